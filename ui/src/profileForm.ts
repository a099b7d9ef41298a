// The profile editor's form: text fields to and from a Profile, with the
// checks that must happen before the service can be asked (numbers that
// are not numbers, a CA file that is not PEM).

import type { AuthMethod, FieldProblem, Profile } from './ipc';

export type CaChoice = 'system' | 'file' | 'keep';

/** The SC address that asks for discovery on the network. */
export const DISCOVER = 'discover';

export interface Form {
  name: string;
  address: string;
  /** Find the SC on the network (`sc.address = "discover"`). */
  discover: boolean;
  /** The profile's `[sc.discovery]` table, kept as it is. */
  discovery: Record<string, unknown> | null;
  port: string;
  identity: string;
  caChoice: CaChoice;
  /** The CA path the saved profile has (for "keep"). */
  caPath: string | null;
  caFileName: string | null;
  caPem: string | null;
  method: AuthMethod;
  authIdentity: string;
  certificate: string;
  privateKey: string;
  mode: 'full' | 'split';
  routes: string;
  mtu: string;
  useScDns: boolean;
  childSeconds: string;
  ikeSeconds: string;
  jitterPercent: string;
  pfs: boolean;
  dpdSeconds: string;
}

/** Each profile field the form shows, and the id of its control. */
export const FIELD_IDS: Record<string, string> = {
  name: 'pe-name',
  'sc.address': 'pe-address',
  'sc.port': 'pe-port',
  'sc.identity': 'pe-identity',
  'sc.ca': 'pe-ca-system',
  'auth.method': 'pe-method',
  'auth.identity': 'pe-auth-identity',
  'auth.certificate': 'pe-certificate',
  'auth.private_key': 'pe-private-key',
  'tunnel.mode': 'pe-mode-full',
  'tunnel.routes': 'pe-routes',
  'tunnel.mtu': 'pe-mtu',
  'tunnel.use_sc_dns': 'pe-dns',
  'rekey.child_seconds': 'pe-child',
  'rekey.ike_seconds': 'pe-ike',
  'rekey.jitter_percent': 'pe-jitter',
  'rekey.pfs': 'pe-pfs',
  'rekey.dpd_seconds': 'pe-dpd',
};

/** Fields inside the "Advanced" disclosure. */
export const ADVANCED = new Set([
  'tunnel.mtu',
  'tunnel.use_sc_dns',
  'rekey.child_seconds',
  'rekey.ike_seconds',
  'rekey.jitter_percent',
  'rekey.pfs',
  'rekey.dpd_seconds',
]);

export function emptyForm(): Form {
  return {
    name: '',
    address: '',
    discover: false,
    discovery: null,
    port: '500',
    identity: '',
    caChoice: 'system',
    caPath: null,
    caFileName: null,
    caPem: null,
    method: 'eap-mschapv2',
    authIdentity: '',
    certificate: '',
    privateKey: '',
    mode: 'full',
    routes: '',
    mtu: '',
    useScDns: true,
    childSeconds: '3600',
    ikeSeconds: '14400',
    jitterPercent: '10',
    pfs: false,
    dpdSeconds: '30',
  };
}

export function toForm(p: Profile): Form {
  const ca = p.sc.ca;
  return {
    name: p.name,
    address: p.sc.address === DISCOVER ? '' : p.sc.address,
    discover: p.sc.address === DISCOVER,
    discovery: p.sc.discovery ?? null,
    port: String(p.sc.port),
    identity: p.sc.identity ?? '',
    caChoice: ca && ca !== 'system' ? 'keep' : 'system',
    caPath: ca && ca !== 'system' ? ca : null,
    caFileName: null,
    caPem: null,
    method: p.auth.method,
    authIdentity: p.auth.identity,
    certificate: p.auth.certificate ?? '',
    privateKey: p.auth.private_key ?? '',
    mode: p.tunnel.mode,
    routes: p.tunnel.routes.join('\n'),
    mtu: p.tunnel.mtu === null ? '' : String(p.tunnel.mtu),
    useScDns: p.tunnel.use_sc_dns,
    childSeconds: String(p.rekey.child_seconds),
    ikeSeconds: String(p.rekey.ike_seconds),
    jitterPercent: String(p.rekey.jitter_percent),
    pfs: p.rekey.pfs,
    dpdSeconds: String(p.rekey.dpd_seconds),
  };
}

function whole(text: string, max: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n <= max ? n : null;
}

export interface Built {
  /** The profile to save and check (with `caPem` beside it when a CA file was chosen). */
  profile: Profile;
  caPem: string | null;
  /** A problem found before asking the service. */
  problem: FieldProblem | null;
}

const U64 = Number.MAX_SAFE_INTEGER;

export function build(f: Form): Built {
  let problem: FieldProblem | null = null;
  const note = (field: string, message: string) => {
    problem ??= { field, message };
  };
  const number = (field: string, text: string, max: number, words: string): number => {
    const n = whole(text, max);
    if (n === null) note(field, words);
    return n ?? 0;
  };
  const port = number('sc.port', f.port, 65535, 'must be a whole number from 1 to 65535');
  let mtu: number | null = null;
  if (f.mtu.trim() !== '') {
    mtu = number('tunnel.mtu', f.mtu, 65535, 'must be a whole number, or empty for automatic');
  }
  const childSeconds = number('rekey.child_seconds', f.childSeconds, U64, 'must be a whole number of seconds');
  const ikeSeconds = number('rekey.ike_seconds', f.ikeSeconds, U64, 'must be a whole number of seconds');
  const jitter = number('rekey.jitter_percent', f.jitterPercent, 255, 'must be a whole number from 0 to 50');
  const dpd = number('rekey.dpd_seconds', f.dpdSeconds, U64, 'must be a whole number of seconds (0: off)');

  const usesCa = f.method !== 'psk';
  let ca: string | null = null;
  let caPem: string | null = null;
  if (usesCa) {
    if (f.caChoice === 'system') {
      ca = 'system';
    } else if (f.caChoice === 'keep' && f.caPath) {
      ca = f.caPath;
    } else if (f.caChoice === 'file') {
      if (!f.caPem) {
        note('sc.ca', 'choose the CA certificate file');
      } else if (!f.caPem.includes('-----BEGIN CERTIFICATE-----')) {
        note('sc.ca', 'this file is not a CA certificate in PEM form (it must contain BEGIN CERTIFICATE)');
      } else {
        // The service stores the PEM and fills in sc.ca.
        caPem = f.caPem;
      }
    }
  }
  const cert = f.method === 'certificate';
  const profile: Profile = {
    name: f.name,
    sc: {
      address: f.discover ? DISCOVER : f.address.trim(),
      port,
      identity: f.identity.trim() || null,
      ca,
      ...(f.discovery ? { discovery: f.discovery } : {}),
    },
    auth: {
      method: f.method,
      identity: f.authIdentity.trim(),
      certificate: cert ? f.certificate.trim() || null : null,
      private_key: cert ? f.privateKey.trim() || null : null,
    },
    tunnel: {
      mode: f.mode,
      routes:
        f.mode === 'split'
          ? f.routes
              .split('\n')
              .map((r) => r.trim())
              .filter((r) => r !== '')
          : [],
      mtu,
      use_sc_dns: f.useScDns,
    },
    rekey: {
      child_seconds: childSeconds,
      ike_seconds: ikeSeconds,
      jitter_percent: jitter,
      pfs: f.pfs,
      dpd_seconds: dpd,
    },
  };
  return { profile, caPem, problem };
}
