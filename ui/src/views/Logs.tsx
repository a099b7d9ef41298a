// The service's log: the last lines, then new ones as they come; filters by
// level and text; Copy puts the shown lines on the clipboard.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatLogTime, plural } from '../format';
import type { LogLevel, LogLine } from '../ipc';
import { store } from '../state';
import { useSelect } from '../store';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
type Filter = 'all' | 'info' | 'warn' | 'error';

export function lineText(l: LogLine): string {
  return `${formatLogTime(l.unix_ms)} ${l.level.toUpperCase().padEnd(5)} ${l.message}`;
}

/** navigator.clipboard, else a hidden textarea and execCommand('copy'). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      // The only way left when the async clipboard is not allowed.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function LogsView() {
  const logs = useSelect(store, (s) => s.logs);
  const [level, setLevel] = useState<Filter>('all');
  const [text, setText] = useState('');
  const [copied, setCopied] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);

  const shown = useMemo(() => {
    const min = level === 'all' ? 0 : RANK[level];
    const needle = text.trim().toLowerCase();
    return logs.filter((l) => RANK[l.level] >= min && (!needle || l.message.toLowerCase().includes(needle)));
  }, [logs, level, text]);

  // Follow new lines while the list is scrolled to its end.
  useEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  const copy = async () => {
    const ok = await copyText(shown.map(lineText).join('\n'));
    setCopied(ok ? `Copied ${plural(shown.length, 'line')}` : 'Could not copy: select the lines and copy them by hand');
  };

  return (
    <section class="card logs" aria-labelledby="logs-title">
      <h2 id="logs-title">Service log</h2>
      <div class="toolbar">
        <div class="field">
          <label for="log-level">Show</label>
          <select id="log-level" value={level} onChange={(e) => {
              setLevel(e.currentTarget.value as Filter);
              setCopied('');
            }}>
            <option value="all">Everything</option>
            <option value="info">Info, warnings and errors</option>
            <option value="warn">Warnings and errors</option>
            <option value="error">Errors only</option>
          </select>
        </div>
        <div class="field grow">
          <label for="log-text">Containing</label>
          <input id="log-text" type="search" value={text} onInput={(e) => {
              setText(e.currentTarget.value);
              setCopied('');
            }} />
        </div>
        <button type="button" onClick={() => void copy()} disabled={shown.length === 0}>
          Copy
        </button>
      </div>
      <p class="muted" aria-live="polite">
        <span id="log-count">
          {plural(shown.length, 'line')} shown of {logs.length}
        </span>
        {copied && (
          <span id="copied" class="copied">
            {' '}
            · {copied}
          </span>
        )}
      </p>
      <ol
        ref={list}
        class="log-lines"
        tabIndex={0}
        aria-label="Log lines"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.map((l, i) => (
          <li key={`${l.unix_ms}-${i}`} class={`log log-${l.level}`} data-level={l.level}>
            <time>{formatLogTime(l.unix_ms)}</time> <span class="level">{l.level}</span>{' '}
            <span class="message">{l.message}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
