// Shown across the window while the service cannot be used. It goes away
// by itself when the shell reports the service back.

import type { ServiceState } from '../ipc';
import { sentence } from './ErrorNote';

const TITLES: Record<string, string> = {
  service_not_running: 'The Softwire service is not running',
  permission_denied: 'You are not allowed to use the Softwire service',
  version_mismatch: 'This app and the Softwire service do not match',
};

const HINTS: Record<string, string> = {
  service_not_running: 'start it: sudo systemctl start softwired',
  permission_denied: 'ask an administrator to add you to the softwire group, then log in again',
  version_mismatch: 'install the same version of the app and the service',
};

export function ServiceDown({ service }: { service: ServiceState }) {
  const code = service.error?.code ?? 'service_not_running';
  const title = TITLES[code] ?? 'The Softwire service is not answering';
  const hint = service.error?.hint ?? HINTS[code] ?? null;
  return (
    <section id="service-down" class="service-down" role="alert" aria-labelledby="service-down-title">
      <h2 id="service-down-title">{title}</h2>
      {service.error?.message && <p>{sentence(service.error.message)}</p>}
      {hint && <p class="hint">Next: {sentence(hint)}</p>}
      {code !== 'permission_denied' && <p class="muted">This window notices by itself when the service is back.</p>}
    </section>
  );
}
