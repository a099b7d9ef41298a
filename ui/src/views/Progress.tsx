// The steps of a connection as a list, done steps marked; reconnects with
// their countdown; a short notice when the tunnel moved.

import { useNow } from '../hooks';
import { STEPS, type Progress, type StepName } from '../state';

function label(step: StepName, p: Progress): string {
  switch (step) {
    case 'resolving_sc':
      if (p.discovering) return `Finding the SC on this network (${p.discovering.join(', ')})`;
      return p.scName ? `Looking up the SC (${p.scName})` : 'Looking up the SC';
    case 'sa_init':
      return p.sc ? `Contacting the SC at ${p.sc}` : 'Contacting the SC';
    case 'authenticating':
      return 'Signing in';
    case 'configuring':
      return 'Setting up the tunnel';
    case 'up':
      return 'Connected';
  }
}

const MOVED_NOTICE_MS = 15_000;

export function ProgressSteps({ progress }: { progress: Progress }) {
  const reached = progress.reached === null ? -1 : STEPS.indexOf(progress.reached);
  const up = progress.reached === 'up';
  const { reconnecting, moved } = progress;
  const now = useNow(250, reconnecting !== null || moved !== null);
  const title = up ? `Connected with ${progress.profile}` : `Connecting with ${progress.profile}`;

  return (
    <section class="card" aria-labelledby="progress-title">
      <h2 id="progress-title">{progress.failed ? `Could not connect with ${progress.profile}` : title}</h2>
      {reconnecting && (
        <p class="notice warn" role="status">
          The connection was lost ({reconnecting.reason}). Reconnecting: attempt {reconnecting.attempt}
          {reconnecting.at > now ? `, next try in ${Math.ceil((reconnecting.at - now) / 1000)} s` : ', trying now'}.
        </p>
      )}
      <ol id="progress" class={`steps ${up ? 'steps-up' : ''}`}>
        {STEPS.map((step, i) => {
          const done = i < reached || (up && step === 'up');
          const current = i === reached && !up;
          const failed = current && progress.failed;
          const state = failed ? 'failed' : done ? 'done' : current ? 'current' : 'pending';
          return (
            <li
              key={step}
              data-step={step}
              data-done={done ? 'true' : 'false'}
              class={`step step-${state}`}
              aria-current={current ? 'step' : undefined}
            >
              <span class="step-mark" aria-hidden="true">
                {failed ? '✕' : done ? '✓' : current ? '…' : ''}
              </span>
              <span class="step-label">{label(step, progress)}</span>
              <span class="sr-only">
                {failed ? ' (failed)' : done ? ' (done)' : current ? ' (in progress)' : ' (not yet)'}
              </span>
            </li>
          );
        })}
      </ol>
      {progress.refused.length > 0 && (
        <div class="notice warn" id="refused" role="status">
          <p>Found on this network but not used:</p>
          <ul>
            {progress.refused.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      {moved && now - moved.at < MOVED_NOTICE_MS && (
        <p class="notice ok" role="status">
          The tunnel moved to a new network path ({moved.local}); the connection stays up.
        </p>
      )}
    </section>
  );
}
