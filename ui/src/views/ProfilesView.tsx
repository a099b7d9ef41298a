// The Profiles view: the editor (new or existing profile) and the import panel.

import { edit } from '../actions';
import { store } from '../state';
import { useSelect } from '../store';
import { ImportPanel } from './Import';
import { ProfileEditor } from './ProfileEditor';

export function ProfilesView() {
  const editing = useSelect(store, (s) => s.editing);
  const notice = useSelect(store, (s) => s.notice);
  const running = useSelect(store, (s) => s.service?.running ?? false);

  return (
    <div class="stack">
      {notice && (
        <div class="notice ok" role="status" id="profiles-notice">
          <p>{notice.text}</p>
          {notice.warnings.length > 0 && (
            <ul class="warnings">
              {notice.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {editing ? (
        <ProfileEditor key={editing.mode === 'edit' ? `edit:${editing.name}` : 'new'} name={editing.mode === 'edit' ? editing.name : null} />
      ) : (
        <section class="card" aria-labelledby="new-title">
          <h2 id="new-title">Edit or create a profile</h2>
          <p class="muted">Press Edit next to a profile to change it, or start a new one.</p>
          <div class="buttons">
            <button type="button" class="primary" disabled={!running} onClick={() => edit({ mode: 'new' })}>
              New profile
            </button>
          </div>
        </section>
      )}
      <ImportPanel />
    </div>
  );
}
