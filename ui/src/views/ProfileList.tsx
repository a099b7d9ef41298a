// The saved profiles with each one's state and its Connect/Disconnect button.

import { connect, disconnect, edit } from '../actions';
import type { ProfileSummary } from '../ipc';
import { isActive, profileState, store } from '../state';
import { useSelect } from '../store';
import { focusImport } from '../importer';

const METHOD: Record<ProfileSummary['method'], string> = {
  'eap-mschapv2': 'Password',
  psk: 'Pre-shared key',
  certificate: 'Certificate',
};

const STATE_TEXT: Record<string, string> = {
  connecting: 'Connecting',
  up: 'Connected',
  reconnecting: 'Reconnecting',
  disconnecting: 'Disconnecting',
  failed: 'Failed',
};

export function ProfileList() {
  const profiles = useSelect(store, (s) => s.profiles);
  const status = useSelect(store, (s) => s.status);
  const pending = useSelect(store, (s) => s.pending);
  const running = useSelect(store, (s) => s.service?.running ?? false);
  const editing = useSelect(store, (s) => s.editing);

  return (
    <section class="profiles" aria-labelledby="profiles-title">
      <div class="section-head">
        <h2 id="profiles-title">Profiles</h2>
        <div class="buttons">
          <button type="button" onClick={() => edit({ mode: 'new' })} disabled={!running}>
            New
          </button>
          <button type="button" onClick={focusImport} disabled={!running}>
            Import
          </button>
        </div>
      </div>
      {running && profiles.length === 0 && (
        <p class="muted">No profiles yet. Create one with New, or import a .sswan or .mobileconfig file.</p>
      )}
      <ul class="profile-list">
        {profiles.map((p) => {
          const state = profileState(status, p.name);
          const active = isActive(state);
          const nameId = `profile-name-${cssId(p.name)}`;
          const current = editing?.mode === 'edit' && editing.name === p.name;
          return (
            <li key={p.name} class={`profile state-${state}`} data-profile={p.name} data-state={state}>
              <div class="profile-text">
                <span class="profile-name" id={nameId}>
                  {p.name}
                </span>
                <span class="profile-detail">
                  {p.sc} · {METHOD[p.method]}
                </span>
                {STATE_TEXT[state] && <span class={`badge badge-${state}`}>{STATE_TEXT[state]}</span>}
              </div>
              <div class="profile-actions">
                {(() => {
                  // One element for both, so focus stays on it when it turns.
                  const busy = active ? state === 'disconnecting' : pending === p.name;
                  return (
                    <button
                      type="button"
                      class={active ? 'danger' : 'primary'}
                      aria-describedby={nameId}
                      aria-disabled={busy ? 'true' : undefined}
                      onClick={() => {
                        if (busy) return;
                        if (active) void disconnect();
                        else void connect(p.name);
                      }}
                    >
                      {active ? 'Disconnect' : 'Connect'}
                    </button>
                  );
                })()}
                <button
                  type="button"
                  aria-describedby={nameId}
                  aria-pressed={current ? 'true' : undefined}
                  onClick={() => edit({ mode: 'edit', name: p.name })}
                >
                  Edit
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A profile name as a safe id fragment. */
function cssId(name: string): string {
  return Array.from(name)
    .map((c) => (/[A-Za-z0-9_-]/.test(c) ? c : `_${c.codePointAt(0)}`))
    .join('');
}
