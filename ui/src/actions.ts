// What the user's clicks do: command flows on top of the store.

import { ipc, listenAll, type AppError, type ProfileSummary, type ServiceState, type Settings } from './ipc';
import { applyTheme, onLog, onProgress, onStatus, startAttempt, store, type Editing, type View } from './state';

const SERVICE_CODES = new Set(['service_not_running', 'permission_denied']);

/** A command failed: when the service went away, ask the shell how it stands. */
function noteError(e: AppError): AppError {
  if (SERVICE_CODES.has(e.code)) void refreshService();
  return e;
}

async function refreshService(): Promise<void> {
  try {
    onService(await ipc.serviceState());
  } catch {
    // The shell itself always answers; nothing better to show.
  }
}

/** Profiles, status and the log's tail, once the service is reachable. */
async function loadFromService(): Promise<void> {
  const [profiles, status, logs] = await Promise.allSettled([
    ipc.listProfiles(),
    ipc.getStatus(),
    ipc.getLogs(500),
  ]);
  if (profiles.status === 'fulfilled') store.set({ profiles: profiles.value });
  if (status.status === 'fulfilled') onStatus(status.value);
  if (logs.status === 'fulfilled') store.set({ logs: logs.value });
}

export function onService(service: ServiceState): void {
  const was = store.get().service;
  store.set({ service });
  if (service.running && !was?.running) {
    void loadFromService();
  } else if (!service.running) {
    store.set({ profiles: [], pending: null, passwordFor: null });
  }
}

export async function init(): Promise<void> {
  await listenAll({ service: onService, status: onStatus, progress: onProgress, log: onLog });
  try {
    const settings = await ipc.getSettings();
    applyTheme(settings.theme);
    store.set({ settings });
  } catch {
    // Defaults stay; the Settings view says when saving fails.
  }
  const service = await ipc.serviceState().catch(
    (e: AppError): ServiceState => ({ running: false, version: null, socket: '', error: e }),
  );
  store.set({ service });
  if (service.running) await loadFromService();
  store.set({ loaded: true });
}

export async function reloadProfiles(): Promise<void> {
  try {
    store.set({ profiles: await ipc.listProfiles() });
  } catch (e) {
    noteError(e as AppError);
  }
}

export function show(view: View): void {
  store.set({ view });
}

export function edit(editing: Editing): void {
  store.set({ editing, view: 'profiles' });
}

function summary(name: string): ProfileSummary {
  return (
    store.get().profiles.find((p) => p.name === name) ?? {
      name,
      sc: '',
      method: 'eap-mschapv2',
      identity: '',
      needs_secret: true,
    }
  );
}

/** Connect with the keychain's password; ask for one when there is none. */
export async function connect(name: string): Promise<void> {
  const { progress, problem } = store.get();
  startAttempt(name);
  store.set({ pending: name, view: 'connection' });
  try {
    await ipc.connect(name, null, false);
  } catch (e) {
    const error = noteError(e as AppError);
    if (error.code === 'secret_needed') {
      // Nothing started yet: what was shown stays until the password is given.
      store.set({ passwordFor: summary(name), progress, problem });
    } else {
      store.set({ problem: { kind: 'command', profile: name, error }, progress: null, pending: null });
    }
  }
}

/** The password dialog's Connect: the secret goes to `connect` and nowhere else. */
export async function connectWith(name: string, secret: string, remember: boolean): Promise<void> {
  store.set({ passwordFor: null });
  startAttempt(name);
  store.set({ pending: name });
  try {
    await ipc.connect(name, secret, remember);
  } catch (e) {
    const error = noteError(e as AppError);
    store.set({ problem: { kind: 'command', profile: name, error }, progress: null, pending: null });
  }
}

export function cancelPassword(): void {
  store.set({ passwordFor: null, pending: null });
}

/** After a refused password: forget the stored one and ask again. */
export async function askPasswordAgain(name: string): Promise<void> {
  try {
    await ipc.forgetSecret(name);
  } catch (e) {
    const error = noteError(e as AppError);
    store.set({ problem: { kind: 'command', profile: name, error } });
    return;
  }
  store.set({ passwordFor: summary(name), pending: name });
}

export async function disconnect(): Promise<void> {
  try {
    await ipc.disconnect();
  } catch (e) {
    const error = noteError(e as AppError);
    store.set({ problem: { kind: 'command', profile: store.get().status.profile ?? null, error } });
  }
}

export function dismissProblem(): void {
  store.set({ problem: null });
}

/** Applies the theme at once and saves; resolves with the error, if any. */
export async function saveSettings(settings: Settings): Promise<AppError | null> {
  applyTheme(settings.theme);
  store.set({ settings });
  try {
    await ipc.saveSettings(settings);
    return null;
  } catch (e) {
    return noteError(e as AppError);
  }
}

export { noteError };
