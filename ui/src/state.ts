// The app's state, and how the shell's events change it.

import type {
  AppError,
  ConnState,
  DownReason,
  LogLine,
  ProfileSummary,
  ProgressEvent,
  ServiceState,
  Settings,
  Status,
} from './ipc';
import { createStore } from './store';

/** The steps of a connection shown to the user, in order. */
export const STEPS = ['resolving_sc', 'sa_init', 'authenticating', 'configuring', 'up'] as const;
export type StepName = (typeof STEPS)[number];

export interface Progress {
  profile: string;
  /** The latest step reached (every earlier one is done); null before the first. */
  reached: StepName | null;
  /** The SC's name being looked up, and its address once contacted. */
  scName: string | null;
  sc: string | null;
  /** Discovery's sources, while the SC is being found on the network. */
  discovering: string[] | null;
  /** Discovered SCs refused so far, each with why. */
  refused: string[];
  /** The attempt ended at `reached` with an error. */
  failed: boolean;
  reconnecting: { attempt: number; at: number; reason: string } | null;
  moved: { local: string; sc: string; at: number } | null;
}

/** Why the last attempt failed: a `down` step, or a command's rejection. */
export type ConnectProblem =
  | { kind: 'down'; profile: string; error: string; hint: string | null; reason: DownReason | null }
  | { kind: 'command'; profile: string | null; error: AppError };

export interface RateSample {
  t: number;
  bytesIn: number;
  bytesOut: number;
}

export type View = 'connection' | 'profiles' | 'logs' | 'settings';

export type Editing = { mode: 'new' } | { mode: 'edit'; name: string } | null;

export interface AppState {
  loaded: boolean;
  service: ServiceState | null;
  status: Status;
  profiles: ProfileSummary[];
  progress: Progress | null;
  problem: ConnectProblem | null;
  /** The profile whose connect command is in flight. */
  pending: string | null;
  /** The profile the password dialog asks for. */
  passwordFor: ProfileSummary | null;
  settings: Settings;
  logs: LogLine[];
  rates: RateSample[];
  view: View;
  editing: Editing;
  /** What screen readers are told (state changes). */
  announcement: string;
  /** The Profiles view's last result ("Saved ..."), with the service's warnings. */
  notice: { text: string; warnings: string[] } | null;
}

export const IDLE: Status = {
  state: 'idle',
  dns: [],
  behind_nat: false,
  counters: {},
  rekeys: 0,
  ike_rekeys: 0,
  reconnects: 0,
  mobike: false,
  moves: 0,
};

export const MAX_LOG_LINES = 2000;
const RATE_WINDOW_MS = 61_000;

export const store = createStore<AppState>({
  loaded: false,
  service: null,
  status: IDLE,
  profiles: [],
  progress: null,
  problem: null,
  pending: null,
  passwordFor: null,
  settings: { theme: 'system', notifications: true, start_hidden: false },
  logs: [],
  rates: [],
  view: 'connection',
  editing: null,
  announcement: '',
  notice: null,
});

/** What a state means to the user, as the header's pill says it. */
export function stateLabel(s: Status): string {
  switch (s.state) {
    case 'connecting':
      return 'Connecting';
    case 'up':
      return 'Connected';
    case 'reconnecting':
      return 'Reconnecting';
    case 'disconnecting':
      return 'Disconnecting';
    case 'down':
      return s.error ? 'Failed' : 'Not connected';
    default:
      return 'Not connected';
  }
}

/** A profile's state: the status's when it is the status's profile. */
export function profileState(s: Status, name: string): ConnState | 'failed' {
  if (s.profile !== name) return 'idle';
  if (s.state === 'down') return s.error ? 'failed' : 'idle';
  return s.state;
}

export function isActive(state: ConnState | 'failed'): boolean {
  return state === 'connecting' || state === 'up' || state === 'reconnecting' || state === 'disconnecting';
}

function announce(before: Status, after: Status): string | null {
  if (before.state === after.state && before.profile === after.profile) return null;
  const name = after.profile ? ` (${after.profile})` : '';
  return `${stateLabel(after)}${name}`;
}

export function onStatus(status: Status): void {
  store.set((s) => {
    const said = announce(s.status, status);
    let rates = s.rates;
    if (status.state === 'up' || status.state === 'reconnecting') {
      const now = Date.now();
      rates = [
        ...s.rates.filter((r) => now - r.t <= RATE_WINDOW_MS),
        {
          t: now,
          bytesIn: status.counters['bytes-in'] ?? 0,
          bytesOut: status.counters['bytes-out'] ?? 0,
        },
      ];
    } else if (s.rates.length > 0) {
      rates = [];
    }
    let problem = s.problem;
    if (status.state === 'down' && status.error && status.profile && !problem) {
      problem = { kind: 'down', profile: status.profile, error: status.error, hint: null, reason: null };
    }
    return { status, rates, problem, ...(said ? { announcement: said } : {}) };
  });
}

function fresh(profile: string): Progress {
  return {
    profile,
    reached: null,
    scName: null,
    sc: null,
    discovering: null,
    refused: [],
    failed: false,
    reconnecting: null,
    moved: null,
  };
}

/** A new attempt started by the user: forget the last one's steps and error. */
export function startAttempt(profile: string): void {
  store.set({ progress: fresh(profile), problem: null });
}

export function onProgress({ profile, step }: ProgressEvent): void {
  store.set((s) => {
    let p = s.progress && s.progress.profile === profile ? s.progress : fresh(profile);
    const now = Date.now();
    switch (step.step) {
      case 'resolving_sc':
        // A new negotiation (first, or after a lost connection).
        p = { ...fresh(profile), reconnecting: p.reconnecting, reached: 'resolving_sc', scName: step.name };
        return { progress: p, problem: null };
      case 'sa_init':
        if (p.reached === 'up' || p.failed) p = fresh(profile);
        return { progress: { ...p, reached: 'sa_init', sc: step.sc }, problem: null };
      case 'discovering':
        p = { ...fresh(profile), reconnecting: p.reconnecting, reached: 'resolving_sc', discovering: step.sources };
        return { progress: p, problem: null };
      case 'trying':
        if (p.reached === 'up' || p.failed) p = fresh(profile);
        return { progress: { ...p, reached: 'sa_init', sc: `${step.sc} (${step.via})` }, problem: null };
      case 'candidate_failed':
        return { progress: { ...p, refused: [...p.refused, `${step.sc} (${step.via}): ${step.reason}`] } };
      case 'authenticating':
      case 'configuring':
        return { progress: { ...p, reached: step.step } };
      case 'up':
        return {
          progress: { ...p, reached: 'up', reconnecting: null, failed: false },
          problem: null,
          pending: null,
        };
      case 'reconnecting':
        return {
          progress: {
            ...fresh(profile),
            reconnecting: { attempt: step.attempt, at: now + step.next_in_s * 1000, reason: step.reason },
          },
        };
      case 'moved':
        return { progress: { ...p, moved: { local: step.local, sc: step.sc, at: now } } };
      case 'disconnecting':
        return {};
      case 'down': {
        if (!step.error) return { progress: null, problem: null, pending: null };
        // A connect from the tray found no password: ask for it here.
        const asking = step.reason === 'secret_needed' ? s.profiles.find((x) => x.name === profile) : undefined;
        if (asking) return { progress: null, problem: null, pending: profile, passwordFor: asking, view: 'connection' };
        return {
          progress: { ...p, failed: true, reconnecting: null },
          problem: { kind: 'down', profile, error: step.error, hint: step.hint, reason: step.reason },
          pending: null,
          announcement: `Connection failed: ${step.error}`,
        };
      }
    }
  });
}

export function onLog(line: LogLine): void {
  store.set((s) => {
    const logs = s.logs.length >= MAX_LOG_LINES ? s.logs.slice(s.logs.length - MAX_LOG_LINES + 1) : s.logs.slice();
    logs.push(line);
    return { logs };
  });
}

// The page knows two palettes, light and dark (styles.css); "system"
// follows the OS's choice, now and whenever it changes.
const systemDark = matchMedia('(prefers-color-scheme: dark)');
let chosenTheme: Settings['theme'] = 'system';

function paintTheme(): void {
  const dark = chosenTheme === 'dark' || (chosenTheme === 'system' && systemDark.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

systemDark.addEventListener('change', paintTheme);
paintTheme();

export function applyTheme(theme: Settings['theme']): void {
  chosenTheme = theme;
  paintTheme();
}
