// The app's settings (kept by the shell) and what it knows of the service.

import { useState } from 'preact/hooks';
import { saveSettings } from '../actions';
import type { AppError, Settings } from '../ipc';
import { store } from '../state';
import { useSelect } from '../store';
import { ErrorNote } from './ErrorNote';

const THEMES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'Same as the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsView() {
  const settings = useSelect(store, (s) => s.settings);
  const service = useSelect(store, (s) => s.service);
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);

  const update = async (patch: Partial<Settings>) => {
    setSaved(false);
    const problem = await saveSettings({ ...settings, ...patch });
    setError(problem);
    setSaved(problem === null);
  };

  return (
    <div class="stack">
      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <fieldset>
          <legend>Theme</legend>
          {THEMES.map((t) => (
            <div class="check" key={t.value}>
              <input
                id={`theme-${t.value}`}
                type="radio"
                name="theme"
                checked={settings.theme === t.value}
                onChange={() => void update({ theme: t.value })}
              />
              <label for={`theme-${t.value}`}>{t.label}</label>
            </div>
          ))}
        </fieldset>
        <div class="check">
          <input
            id="set-notifications"
            type="checkbox"
            checked={settings.notifications}
            onChange={(e) => void update({ notifications: e.currentTarget.checked })}
          />
          <label for="set-notifications">Desktop notifications when the connection comes up, drops or fails</label>
        </div>
        <div class="check">
          <input
            id="set-start-hidden"
            type="checkbox"
            checked={settings.start_hidden}
            onChange={(e) => void update({ start_hidden: e.currentTarget.checked })}
          />
          <label for="set-start-hidden">Start hidden in the tray</label>
        </div>
        <p class="muted" aria-live="polite">
          {saved ? 'Settings saved.' : ''}
        </p>
        {error && <ErrorNote error={error} title="The settings were not saved" />}
      </section>
      <section class="card" aria-labelledby="service-title">
        <h2 id="service-title">Service</h2>
        <dl class="facts">
          <div class="fact">
            <dt>State</dt>
            <dd data-field="service_running">{service?.running ? 'running' : 'not running'}</dd>
          </div>
          <div class="fact">
            <dt>Version</dt>
            <dd data-field="service_version">{service?.version ?? 'unknown'}</dd>
          </div>
          <div class="fact">
            <dt>Socket</dt>
            <dd data-field="service_socket">
              <code class="path">{service?.socket || 'unknown'}</code>
            </dd>
          </div>
        </dl>
      </section>
    </div>
  );
}
