// The fake service's one connection: the steps a real negotiation goes
// through, as `progress` and `status` events a step's time apart; status
// every 200 ms while up with growing counters; a lost connection that is
// negotiated again; a move to another path; disconnecting.

import type { LogLevel, Profile, Status, Step } from '../src/ipc';

export const SC_ADDRESS = '203.0.113.10';

export interface SessionIo {
  stepMs: number;
  status: () => Status;
  setStatus: (s: Status) => void;
  progress: (profile: string, step: Step) => void;
  log: (level: LogLevel, message: string) => void;
}

export function idleStatus(): Status {
  return {
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
}

export function makeSession(io: SessionIo) {
  let timers: number[] = [];
  let counter: number | null = null;

  const stop = () => {
    timers.forEach((t) => clearTimeout(t));
    timers = [];
    if (counter !== null) clearInterval(counter);
    counter = null;
  };

  /** Runs the steps one after the other, each a step's time after the last. */
  const run = (steps: (() => void)[], first = io.stepMs) => {
    const next = (i: number, wait: number) => {
      const step = steps[i];
      if (!step) return;
      timers.push(
        window.setTimeout(() => {
          step();
          next(i + 1, io.stepMs);
        }, wait),
      );
    };
    next(0, first);
  };

  const traffic = () => {
    let tick = 0;
    counter = window.setInterval(() => {
      tick += 1;
      const s = io.status();
      io.setStatus({
        ...s,
        counters: {
          'bytes-in': (s.counters['bytes-in'] ?? 0) + 20_000 + 15_000 * (tick % 4),
          'bytes-out': (s.counters['bytes-out'] ?? 0) + 4_000 + 1_000 * (tick % 3),
          'packets-in': (s.counters['packets-in'] ?? 0) + 20,
          'packets-out': (s.counters['packets-out'] ?? 0) + 9,
        },
      });
    }, 200);
  };

  /** The negotiation's steps; `ok` false: the SC refuses the credentials. */
  const negotiate = (name: string, p: Profile, ok: boolean, reconnects: number): (() => void)[] => {
    const state = reconnects > 0 ? 'reconnecting' : 'connecting';
    const during = (phase: string): Status =>
      reconnects > 0 ? { ...io.status(), state, phase } : { ...idleStatus(), state, profile: name, phase };
    const sc = `${SC_ADDRESS}:${p.sc.port}`;
    const steps: (() => void)[] = [];
    const discover = p.sc.address === 'discover';
    const foundVia = 'via DNS softwire.corp.example.net (A)';
    if (discover) {
      const rogue = '198.51.100.66:500';
      const rogueVia = 'via DNS softwire.hotspot.example.net (A)';
      steps.push(() => {
        const sources = ['DNS softwire.<search domains>', 'DHCP option 224', 'DHCPv6 AFTR-Name'];
        io.setStatus(during(`finding the SC (${sources.join(', ')})`));
        io.progress(name, { step: 'discovering', sources });
      });
      steps.push(() => io.progress(name, { step: 'trying', sc: rogue, via: rogueVia }));
      steps.push(() => {
        const reason = `the SC proved rogue.example.net, not ${p.sc.identity ?? ''}`;
        io.log('warn', `"${name}" SC ${rogue} (${rogueVia}) refused: ${reason}`);
        io.progress(name, { step: 'candidate_failed', sc: rogue, via: rogueVia, reason });
      });
      steps.push(() => io.progress(name, { step: 'trying', sc, via: foundVia }));
    } else if (!/^[\d.]+$|:/.test(p.sc.address)) {
      steps.push(() => {
        io.setStatus(during(`looking up SC ${p.sc.address}`));
        io.progress(name, { step: 'resolving_sc', name: p.sc.address });
      });
    }
    if (!discover) {
      steps.push(() => {
        io.setStatus(during(`IKE_SA_INIT with ${sc}`));
        io.progress(name, { step: 'sa_init', sc });
      });
    }
    steps.push(() => {
      io.setStatus(during('authenticating'));
      io.progress(name, { step: 'authenticating' });
    });
    if (!ok) {
      steps.push(() => {
        const error = 'the SC refused the credentials (AUTHENTICATION_FAILED)';
        io.log('error', `"${name}" failed after 0.9 s: ${error}`);
        io.setStatus({ ...idleStatus(), state: 'down', profile: name, error });
        io.progress(name, {
          step: 'down',
          error,
          hint: `store the right password or key: softwire password set "${name}"`,
          reason: 'authentication',
          up_for_s: null,
        });
      });
      return steps;
    }
    steps.push(() => {
      io.setStatus(during('configuring the tunnel'));
      io.progress(name, { step: 'configuring' });
    });
    steps.push(() => {
      const before = io.status();
      const up: Status = {
        ...idleStatus(),
        state: 'up',
        profile: name,
        sc: `${SC_ADDRESS}:4500`,
        sc_identity: p.sc.identity ?? p.sc.address,
        ...(discover ? { sc_found_via: foundVia } : {}),
        inner_ipv4: '203.0.113.129',
        inner_ipv6: '2001:db8:cafe::1000',
        dns: ['2001:db8:cafe::53', '203.0.113.53'],
        ike: 'AES-GCM-16-256, PRF-HMAC-SHA2-256, ECP-256',
        esp: 'AES-GCM-16-256',
        behind_nat: true,
        connect_ms: 412.5,
        up_since_unix: reconnects > 0 ? before.up_since_unix : Math.floor(Date.now() / 1000),
        counters:
          reconnects > 0 ? before.counters : { 'bytes-in': 0, 'bytes-out': 0, 'packets-in': 0, 'packets-out': 0 },
        mobike: true,
        moves: reconnects > 0 ? before.moves : 0,
        reconnects,
      };
      io.log('info', `"${name}" up in 412.5 ms: SC ${up.sc_identity ?? ''} (${up.sc ?? ''}), inner 203.0.113.129 2001:db8:cafe::1000`);
      io.setStatus(up);
      io.progress(name, { step: 'up', status: up });
      traffic();
    });
    return steps;
  };

  let current: { name: string; profile: Profile } | null = null;

  return {
    connect(name: string, p: Profile, ok: boolean) {
      stop();
      current = { name, profile: p };
      io.log('info', `connecting "${name}"`);
      io.setStatus({ ...idleStatus(), state: 'connecting', profile: name, phase: 'starting' });
      run(negotiate(name, p, ok, 0));
    },

    /** The SC stops answering: reconnect after `nextInS` seconds. */
    lose(nextInS: number) {
      const s = io.status();
      if (!current || s.state !== 'up') return;
      stop();
      const reason = 'the SC stopped answering (3 liveness checks unanswered)';
      io.log('warn', `"${current.name}" reconnecting (attempt 1, in ${nextInS.toFixed(1)} s): ${reason}`);
      io.progress(current.name, { step: 'reconnecting', attempt: 1, next_in_s: nextInS, reason });
      io.setStatus({ ...s, state: 'reconnecting', attempt: 1, next_in_s: nextInS });
      run(negotiate(current.name, current.profile, true, s.reconnects + 1), nextInS * 1000);
    },

    /** The laptop got another address; the tunnel follows (MOBIKE). */
    move() {
      const s = io.status();
      if (!current || s.state !== 'up') return;
      const local = '198.51.100.23:4500';
      io.log('info', `"${current.name}" moved to ${local} (SC ${SC_ADDRESS}:4500)`);
      io.progress(current.name, { step: 'moved', local, sc: `${SC_ADDRESS}:4500`, behind_nat: true, took_ms: 35.2 });
      io.setStatus({ ...s, moves: s.moves + 1 });
    },

    async disconnect(): Promise<{ was_connected: boolean }> {
      const s = io.status();
      const name = s.profile;
      if (s.state === 'idle' || s.state === 'down' || !name) return { was_connected: false };
      stop();
      current = null;
      io.log('info', `disconnecting "${name}"`);
      io.progress(name, { step: 'disconnecting' });
      io.setStatus({ ...s, state: 'disconnecting' });
      await new Promise((r) => setTimeout(r, 150));
      // As the service does: a connection ended by the user is `down` with no error.
      io.setStatus({ ...idleStatus(), state: 'down', profile: name });
      io.progress(name, { step: 'down', error: null, hint: null, reason: null, up_for_s: 3 });
      io.log('info', `"${name}" disconnected after 3.0 s`);
      return { was_connected: true };
    },
  };
}
