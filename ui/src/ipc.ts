// The contract with the Rust shell (docs/DESKTOP-IPC.md): every command and
// event, typed. This is the only module that talks to @tauri-apps/api.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export type ConnState = 'idle' | 'connecting' | 'up' | 'reconnecting' | 'disconnecting' | 'down';

/** softwire_api::Status as the service sends it. */
export interface Status {
  state: ConnState;
  profile?: string;
  phase?: string;
  error?: string;
  attempt?: number;
  next_in_s?: number;
  sc?: string;
  sc_identity?: string;
  /** How discovery found the SC ("via DHCP option 224 on wlan0"). */
  sc_found_via?: string;
  inner_ipv4?: string;
  inner_ipv6?: string;
  dns: string[];
  ike?: string;
  esp?: string;
  behind_nat: boolean;
  connect_ms?: number;
  up_since_unix?: number;
  counters: Record<string, number>;
  rekeys: number;
  last_rekey_unix?: number;
  ike_rekeys: number;
  reconnects: number;
  mobike: boolean;
  moves: number;
}

export type AuthMethod = 'eap-mschapv2' | 'psk' | 'certificate';

export interface ProfileSummary {
  name: string;
  sc: string;
  method: AuthMethod;
  identity: string;
  needs_secret: boolean;
}

export interface Profile {
  name: string;
  sc: {
    address: string;
    port: number;
    identity: string | null;
    ca: string | null;
    /** How to find the SC (with address "discover"); kept as the service wrote it. */
    discovery?: Record<string, unknown> | null;
  };
  auth: {
    method: AuthMethod;
    identity: string;
    certificate: string | null;
    private_key: string | null;
  };
  tunnel: { mode: 'full' | 'split'; routes: string[]; mtu: number | null; use_sc_dns: boolean };
  rekey: {
    child_seconds: number;
    ike_seconds: number;
    jitter_percent: number;
    pfs: boolean;
    dpd_seconds: number;
  };
}

export interface Saved {
  name: string;
  warnings: string[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  unix_ms: number;
  level: LogLevel;
  message: string;
}

export interface AppError {
  code: string;
  message: string;
  hint: string | null;
  field: string | null;
}

export interface ServiceState {
  running: boolean;
  version: string | null;
  socket: string;
  error: AppError | null;
}

export interface Settings {
  theme: 'system' | 'light' | 'dark';
  notifications: boolean;
  start_hidden: boolean;
}

/** A profile's problem; `field` is null for one with the whole profile. */
export interface FieldProblem {
  field: string | null;
  message: string;
}

export type DownReason = 'authentication' | 'unreachable' | 'sc_identity' | 'secret_needed' | 'other';

export type Step =
  | { step: 'resolving_sc'; name: string }
  | { step: 'sa_init'; sc: string }
  | { step: 'discovering'; sources: string[] }
  | { step: 'trying'; sc: string; via: string }
  | { step: 'candidate_failed'; sc: string; via: string; reason: string }
  | { step: 'authenticating' }
  | { step: 'configuring' }
  | { step: 'up'; status: Status }
  | { step: 'reconnecting'; attempt: number; next_in_s: number; reason: string }
  | { step: 'moved'; local: string; sc: string; behind_nat: boolean; took_ms?: number | null }
  | { step: 'disconnecting' }
  | {
      step: 'down';
      error: string | null;
      hint: string | null;
      reason: DownReason | null;
      up_for_s: number | null;
    };

export interface ProgressEvent {
  profile: string;
  step: Step;
}

export type ImportFormat = 'sswan' | 'mobileconfig';

/** Whatever a command rejected with, as an AppError. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'message' in e) {
    const o = e as Partial<AppError> & { message: unknown };
    return {
      code: typeof o.code === 'string' ? o.code : 'internal',
      message: String(o.message),
      hint: typeof o.hint === 'string' ? o.hint : null,
      field: typeof o.field === 'string' ? o.field : null,
    };
  }
  return { code: 'internal', message: String(e), hint: null, field: null };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export const ipc = {
  serviceState: () => call<ServiceState>('service_state'),
  getStatus: () => call<Status>('get_status'),
  listProfiles: () => call<ProfileSummary[]>('list_profiles'),
  getProfile: (name: string) => call<Profile>('get_profile', { name }),
  validateProfile: (profile: Profile, caPem: string | null) =>
    call<FieldProblem | null>('validate_profile', { profile, caPem }),
  saveProfile: (
    profile: Profile,
    replace: boolean,
    previousName: string | null,
    caPem: string | null,
  ) => call<Saved>('save_profile', { profile, replace, previousName, caPem }),
  importProfile: (format: ImportFormat, content: string, name: string | null, replace: boolean) =>
    call<Saved>('import_profile', { format, content, name, replace }),
  removeProfile: (name: string) => call<null>('remove_profile', { name }),
  connect: (profile: string, secret: string | null, remember: boolean) =>
    call<null>('connect', { profile, secret, remember }),
  disconnect: () => call<{ was_connected: boolean }>('disconnect'),
  getLogs: (lines: number) => call<LogLine[]>('get_logs', { lines }),
  secretSaved: (profile: string) => call<boolean>('secret_saved', { profile }),
  forgetSecret: (profile: string) => call<null>('forget_secret', { profile }),
  getSettings: () => call<Settings>('get_settings'),
  saveSettings: (settings: Settings) => call<null>('save_settings', { settings }),
};

export interface Handlers {
  service: (s: ServiceState) => void;
  status: (s: Status) => void;
  progress: (p: ProgressEvent) => void;
  log: (l: LogLine) => void;
}

/** Listens to the shell's four events; resolves once all are registered. */
export async function listenAll(h: Handlers): Promise<UnlistenFn> {
  const offs = await Promise.all([
    listen<ServiceState>('service', (e) => h.service(e.payload)),
    listen<Status>('status', (e) => h.status(e.payload)),
    listen<ProgressEvent>('progress', (e) => h.progress(e.payload)),
    listen<LogLine>('log', (e) => h.log(e.payload)),
  ]);
  return () => offs.forEach((off) => off());
}
