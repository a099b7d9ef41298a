// Traffic rates over the last 60 seconds, from successive status counters,
// as an inline SVG chart.

import { formatRate } from '../format';
import type { RateSample } from '../state';

const WINDOW_S = 60;
const W = 300;
const H = 80;

export interface Rate {
  t: number;
  down: number;
  up: number;
}

/** Bytes per second between successive samples (a counter reset counts as 0). */
export function rates(samples: RateSample[]): Rate[] {
  const out: Rate[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (!a || !b) continue;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    out.push({
      t: b.t,
      down: Math.max(0, b.bytesIn - a.bytesIn) / dt,
      up: Math.max(0, b.bytesOut - a.bytesOut) / dt,
    });
  }
  return out;
}

function points(series: Rate[], pick: (r: Rate) => number, now: number, max: number): string {
  return series
    .map((r) => {
      const x = W - ((now - r.t) / 1000 / WINDOW_S) * W;
      const y = H - 2 - (pick(r) / max) * (H - 4);
      return `${Math.max(0, x).toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

export function RateChart({ samples }: { samples: RateSample[] }) {
  const series = rates(samples);
  const last = series[series.length - 1];
  const now = last?.t ?? Date.now();
  const inWindow = series.filter((r) => now - r.t <= WINDOW_S * 1000);
  const max = Math.max(1, ...inWindow.map((r) => Math.max(r.down, r.up)));
  const summary = last
    ? `Now ${formatRate(last.down)} in and ${formatRate(last.up)} out; peak ${formatRate(max)} in the last minute.`
    : 'Collecting the first rates…';

  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Traffic in the last 60 seconds. ${summary}`}
        data-points={inWindow.length}
      >
        <line class="chart-axis" x1="0" y1={H - 1} x2={W} y2={H - 1} />
        <polyline class="chart-in" points={points(inWindow, (r) => r.down, now, max)} />
        <polyline class="chart-out" points={points(inWindow, (r) => r.up, now, max)} />
      </svg>
      <figcaption>
        <span class="legend legend-in">In {last ? formatRate(last.down) : '—'}</span>
        <span class="legend legend-out">Out {last ? formatRate(last.up) : '—'}</span>
        <span class="muted">last 60 s, peak {formatRate(max)}</span>
      </figcaption>
    </figure>
  );
}
