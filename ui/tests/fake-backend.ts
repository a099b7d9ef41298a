// A fake Rust shell for the UI tests: it answers the commands and sends the
// events of docs/DESKTOP-IPC.md as the shell and the service would, with
// profiles and a keychain in memory. The scenario comes from the URL:
//   ?scenario=default | empty | service-down | permission-denied | discover
//   (discover: also a profile that finds its SC on the network)
//   &step_ms=300 (time between connection steps)

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  AppError,
  FieldProblem,
  LogLevel,
  LogLine,
  Profile,
  ProfileSummary,
  ServiceState,
  Settings,
  Status,
  Step,
} from '../src/ipc';
import { importProfile } from './fake-import';
import { idleStatus, makeSession } from './fake-session';
import { check } from './fake-validate';

/** The password the fake SC accepts. */
export const GOOD_PASSWORD = 'correct horse battery staple';
const SOCKET = '/run/softwire/softwired.sock';

function err(code: string, message: string, hint: string | null = null, field: string | null = null): AppError {
  return { code, message, hint, field };
}

function profile(name: string, address: string, method: Profile['auth']['method'], identity: string): Profile {
  return {
    name,
    sc: { address, port: 500, identity: null, ca: method === 'psk' ? null : 'system' },
    auth: {
      method,
      identity,
      certificate: method === 'certificate' ? '/etc/softwire/alice.pem' : null,
      private_key: method === 'certificate' ? '/etc/softwire/alice.key' : null,
    },
    tunnel: { mode: 'full', routes: [], mtu: null, use_sc_dns: true },
    rekey: { child_seconds: 3600, ike_seconds: 14400, jitter_percent: 10, pfs: false, dpd_seconds: 30 },
  };
}

export function installFakeBackend(query: URLSearchParams): void {
  const scenario = query.get('scenario') ?? 'default';
  const stepMs = Number(query.get('step_ms') ?? '300');
  const profiles = new Map<string, Profile>();
  if (scenario !== 'empty') {
    for (const p of [
      profile('Office', 'vpn.example.net', 'eap-mschapv2', 'alice@example.net'),
      profile('Lab', 'lab.example.net', 'certificate', 'alice@lab.example.net'),
    ]) {
      profiles.set(p.name, p);
    }
  }
  if (scenario === 'discover') {
    const roaming = profile('Roaming', 'discover', 'certificate', 'alice@lab.example.net');
    profiles.set(roaming.name, { ...roaming, sc: { ...roaming.sc, identity: 'lab.example.net' } });
  }
  const keychain = new Map<string, string>();
  let settings: Settings = { theme: 'system', notifications: true, start_hidden: false };
  let status: Status = idleStatus();
  const t0 = Date.now() - 120_000;
  const logs: LogLine[] = [];
  const levels: LogLevel[] = ['info', 'debug', 'info', 'warn', 'info', 'error'];
  for (let i = 0; i < 60; i++) {
    const level = levels[i % levels.length] ?? 'info';
    logs.push({ unix_ms: t0 + i * 1000, level, message: `${level} message number ${i} from softwired` });
  }

  const down = scenario === 'service-down' || scenario === 'permission-denied';
  const service: ServiceState = down
    ? {
        running: false,
        version: null,
        socket: SOCKET,
        error:
          scenario === 'service-down'
            ? err('service_not_running', `nothing listens at ${SOCKET}`, 'start it: sudo systemctl start softwired')
            : err(
                'permission_denied',
                `${SOCKET} is only for members of the softwire group`,
                'ask an administrator: sudo usermod -aG softwire $USER, then log in again',
              ),
      }
    : { running: true, version: '0.4.0', socket: SOCKET, error: null };

  const send = (event: string, payload: unknown) => void emit(event, payload);
  const log = (level: LogLevel, message: string) => {
    const line = { unix_ms: Date.now(), level, message };
    logs.push(line);
    send('log', line);
  };
  const setStatus = (s: Status) => {
    status = s;
    send('status', s);
  };
  const progress = (name: string, step: Step) => send('progress', { profile: name, step });
  const summary = (p: Profile): ProfileSummary => ({
    name: p.name,
    sc: p.sc.address,
    method: p.auth.method,
    identity: p.auth.identity,
    needs_secret: p.auth.method !== 'certificate',
  });
  const need = (name: string): Profile => {
    const p = profiles.get(name);
    if (!p) throw err('no_such_profile', `no profile named "${name}"`, 'see the saved profiles: softwire profiles');
    return p;
  };

  const session = makeSession({
    stepMs,
    status: () => status,
    setStatus,
    progress,
    log,
  });

  const connect = (name: string, secret: string | null, remember: boolean): null => {
    const p = need(name);
    const needsSecret = p.auth.method !== 'certificate';
    let used = secret;
    if (needsSecret && used === null) {
      used = keychain.get(name) ?? null;
      if (used === null) throw err('secret_needed', `"${name}" needs a password`, 'type it');
    }
    if (needsSecret && secret !== null && remember) keychain.set(name, secret);
    session.connect(name, p, !needsSecret || used === GOOD_PASSWORD);
    return null;
  };

  const save = (p: Profile, replace: boolean, previousName: string | null, caPem: string | null) => {
    let checked = p;
    if (caPem !== null) {
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
        throw err(
          'invalid_profile',
          'the CA certificate cannot be used: no certificate in the PEM text',
          'choose the CA\'s certificate in PEM form (BEGIN CERTIFICATE)',
        );
      }
      checked = { ...p, sc: { ...p.sc, ca: `/var/lib/softwire/profiles/ca/${p.name}.pem` } };
    }
    const problem: FieldProblem | null = check(checked, false);
    if (problem) {
      const message = problem.field ? `${problem.field}: ${problem.message}` : problem.message;
      throw err('invalid_profile', message, null, problem.field);
    }
    if (profiles.has(p.name) && !replace) {
      throw err('profile_exists', `a profile named "${p.name}" exists`, 'choose another name, or replace it');
    }
    if (previousName !== null && previousName !== p.name) profiles.delete(previousName);
    profiles.set(p.name, checked);
    log('info', `profile "${p.name}" saved`);
    return { name: p.name, warnings: [] };
  };

  const handlers: Record<string, (a: Record<string, unknown>) => unknown> = {
    service_state: () => ({ ...service }),
    get_status: () => status,
    list_profiles: () => Array.from(profiles.values()).map(summary),
    get_profile: (a) => structuredClone(need(a.name as string)),
    validate_profile: (a) => check(a.profile as Profile, typeof a.caPem === 'string'),
    save_profile: (a) =>
      save(a.profile as Profile, a.replace as boolean, a.previousName as string | null, a.caPem as string | null),
    import_profile: (a) => {
      const { profile: p, warnings } = importProfile(a.format as string, a.content as string);
      if (typeof a.name === 'string') p.name = a.name;
      if (profiles.has(p.name) && !a.replace) {
        throw err('profile_exists', `a profile named "${p.name}" exists`, 'import it with replace, or under another name');
      }
      profiles.set(p.name, p);
      return { name: p.name, warnings };
    },
    remove_profile: (a) => {
      need(a.name as string);
      if (status.profile === a.name && status.state !== 'down' && status.state !== 'idle') {
        throw err('in_use', `"${String(a.name)}" is connected`, 'disconnect first');
      }
      profiles.delete(a.name as string);
      return null;
    },
    connect: (a) => connect(a.profile as string, a.secret as string | null, a.remember as boolean),
    disconnect: () => session.disconnect(),
    get_logs: (a) => logs.slice(-(a.lines as number)),
    secret_saved: (a) => keychain.has(a.profile as string),
    forget_secret: (a) => {
      keychain.delete(a.profile as string);
      return null;
    },
    get_settings: () => ({ ...settings }),
    save_settings: (a) => {
      settings = { ...(a.settings as Settings) };
      return null;
    },
  };
  const local = new Set(['service_state', 'get_settings', 'save_settings', 'secret_saved', 'forget_secret']);

  mockIPC(
    (cmd, args) => {
      const handler = handlers[cmd];
      if (!handler) throw err('internal', `unknown command ${cmd}`);
      if (!service.running && !local.has(cmd) && service.error) throw service.error;
      return handler((args ?? {}) as Record<string, unknown>);
    },
    { shouldMockEvents: true },
  );

  /** What a test may do to the world outside the window. */
  const controls = {
    /** The service starts (or the user joined the group). */
    serviceBack() {
      Object.assign(service, { running: true, version: '0.4.0', error: null });
      send('service', { ...service });
    },
    /** A log line from the service. */
    log,
    /** The SC stops answering; the service reconnects after `nextInS` s. */
    loseConnection: (nextInS = 2) => session.lose(nextInS),
    /** The laptop moved to another network; the tunnel follows. */
    move: () => session.move(),
    /** Connect chosen in the tray menu: without a password, the shell says so as a `down` step. */
    trayConnect(name: string) {
      try {
        connect(name, null, false);
      } catch (e) {
        const error = e as AppError;
        if (error.code !== 'secret_needed') throw e;
        progress(name, { step: 'down', error: error.message, hint: error.hint, reason: 'secret_needed', up_for_s: null });
      }
    },
  };
  (window as unknown as { fakeService: typeof controls }).fakeService = controls;
}
