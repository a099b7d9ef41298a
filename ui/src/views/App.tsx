// The window: header with the state, the profile list, the sections.

import { show } from '../actions';
import { stateLabel, store, type View } from '../state';
import { useSelect } from '../store';
import { DropTarget } from './Import';
import { LogsView } from './Logs';
import { PasswordDialog } from './PasswordDialog';
import { ProfileList } from './ProfileList';
import { ProfilesView } from './ProfilesView';
import { ServiceDown } from './ServiceDown';
import { SettingsView } from './Settings';
import { ConnectionView } from './StatusView';

const VIEWS: { id: View; label: string }[] = [
  { id: 'connection', label: 'Connection' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'logs', label: 'Logs' },
  { id: 'settings', label: 'Settings' },
];

function StatePill() {
  const status = useSelect(store, (s) => s.status);
  const failed = status.state === 'down' && Boolean(status.error);
  return (
    <span id="state" class={`pill pill-${failed ? 'failed' : status.state}`} data-state={status.state}>
      {stateLabel(status)}
      {status.profile && status.state !== 'idle' && !(status.state === 'down' && !failed) ? ` · ${status.profile}` : ''}
    </span>
  );
}

export function App() {
  const view = useSelect(store, (s) => s.view);
  const service = useSelect(store, (s) => s.service);
  const loaded = useSelect(store, (s) => s.loaded);
  const announcement = useSelect(store, (s) => s.announcement);
  const down = service !== null && !service.running;

  return (
    <>
      <div id="shell" class="shell">
        <header class="topbar">
          <h1>Softwire</h1>
          <StatePill />
        </header>
        {down && <ServiceDown service={service} />}
        <div class="body">
          <aside class="sidebar">
            <ProfileList />
          </aside>
          <main id="main" tabIndex={-1} aria-busy={loaded ? undefined : 'true'}>
            <nav class="tabs" aria-label="Sections">
              {VIEWS.map((v) => (
                <button
                  key={v.id}
                  type="button"
                  class="tab"
                  aria-current={view === v.id ? 'page' : undefined}
                  onClick={() => show(v.id)}
                >
                  {v.label}
                </button>
              ))}
            </nav>
            <div class="view">
              {view === 'connection' && <ConnectionView />}
              {view === 'profiles' && <ProfilesView />}
              {view === 'logs' && <LogsView />}
              {view === 'settings' && <SettingsView />}
            </div>
          </main>
        </div>
        <div class="sr-only" aria-live="polite" role="status">
          {announcement}
        </div>
      </div>
      <PasswordDialog />
      <DropTarget />
    </>
  );
}
