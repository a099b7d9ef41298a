// A small stand-in for the service's importers (core/src/profile/import):
// enough of .sswan and .mobileconfig for the UI tests, with the service's
// errors and warnings for the cases the tests use.

import type { AppError, Profile } from '../src/ipc';
import { validate } from './fake-validate';

const MAX_REQUEST = 64 * 1024;

function failed(message: string): AppError {
  return { code: 'import_failed', message, hint: null, field: null };
}

function base(name: string, address: string, identity: string): Profile {
  return {
    name,
    sc: { address, port: 500, identity: null, ca: null },
    auth: { method: 'eap-mschapv2', identity, certificate: null, private_key: null },
    tunnel: { mode: 'full', routes: [], mtu: null, use_sc_dns: true },
    rekey: { child_seconds: 3600, ike_seconds: 14400, jitter_percent: 10, pfs: false, dpd_seconds: 30 },
  };
}

type Json = Record<string, unknown>;

function sswan(content: string): { profile: Profile; warnings: string[] } {
  let root: unknown;
  try {
    root = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw failed(`not JSON: ${(e as Error).message}`);
  }
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw failed('not a profile: the top level of a .sswan file must be a JSON object');
  }
  const top = root as Json;
  const known = ['uuid', 'name', 'type', 'remote', 'local', 'ike-proposal', 'esp-proposal', 'dns-servers', 'mtu', 'split-tunneling', 'apps'];
  const warnings: string[] = [];
  if (top.type !== 'ikev2-eap') {
    throw failed(`type "${String(top.type)}" is not supported: Softwire imports "ikev2-eap" profiles (user name and password)`);
  }
  const remote = (top.remote ?? {}) as Json;
  if (typeof remote.addr !== 'string') throw failed('"remote" is missing: the SC\'s address and identity');
  const local = (top.local ?? {}) as Json;
  const user = (local.eap_id ?? local.id) as string | undefined;
  if (!user) throw failed('"local.eap_id" is missing: the user name');
  const address = remote.addr.trim();
  const p = base(typeof top.name === 'string' && top.name.trim() ? top.name.trim() : address, address, user);
  if (typeof remote.port === 'number') p.sc.port = remote.port;
  if (typeof remote.id === 'string' && remote.id.trim()) p.sc.identity = remote.id.trim();
  const split = top['split-tunneling'] as Json | undefined;
  if (split && Array.isArray(split.subnets) && split.subnets.length > 0) {
    p.tunnel.mode = 'split';
    p.tunnel.routes = split.subnets as string[];
  }
  if (typeof top.mtu === 'number') p.tunnel.mtu = top.mtu;
  if (Array.isArray(top['dns-servers'])) {
    warnings.push(
      `dns-servers (${(top['dns-servers'] as string[]).join(', ')}) is not imported: Softwire uses the DNS servers the SC assigns`,
    );
  }
  if (typeof top['ike-proposal'] === 'string') {
    warnings.push(`ike-proposal "${top['ike-proposal']}" is not imported: Softwire proposes its own algorithms`);
  }
  const unknown = Object.keys(top).filter((k) => !known.includes(k));
  if (unknown.length) warnings.push(`unknown keys ignored: ${unknown.join(', ')}`);
  if (typeof remote.cert === 'string' && remote.cert.trim()) {
    p.sc.ca = `/var/lib/softwire/profiles/ca/${p.name}.pem`;
  } else {
    p.sc.ca = 'system';
    warnings.push(
      'the file carries no CA certificate: the SC\'s certificate will be checked against the system trust store (sc.ca = "system")',
    );
  }
  return { profile: p, warnings };
}

function mobileconfig(content: string): { profile: Profile; warnings: string[] } {
  const text = content.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('0') || text.startsWith('MI')) {
    throw failed('signed .mobileconfig files are not supported: export it unsigned');
  }
  if (!text.includes('<plist')) throw failed('not an XML property list: no <plist> element');
  const value = (key: string) =>
    new RegExp(`<key>${key}</key>\\s*<string>([^<]*)</string>`).exec(text)?.[1]?.trim() ?? null;
  const address = value('RemoteAddress');
  if (!address) throw failed('"RemoteAddress" is missing: the SC\'s host name or IP address');
  const user = value('AuthName') ?? value('LocalIdentifier');
  if (!user) throw failed('"AuthName" is missing: the user name');
  const p = base(value('UserDefinedName') ?? value('PayloadDisplayName') ?? address, address, user);
  p.sc.identity = value('RemoteIdentifier');
  p.sc.ca = 'system';
  return {
    profile: p,
    warnings: [
      'the file carries no CA certificate: the SC\'s certificate will be checked against the system trust store (sc.ca = "system")',
    ],
  };
}

export function importProfile(format: string, content: string): { profile: Profile; warnings: string[] } {
  if (new TextEncoder().encode(content).length > MAX_REQUEST) {
    const tooLarge: AppError = { code: 'too_large', message: 'the request is larger than 64 KiB', hint: null, field: null };
    throw tooLarge;
  }
  const result = format === 'sswan' ? sswan(content) : mobileconfig(content);
  const problem = validate(result.profile);
  if (problem) throw failed(`"${problem.field}" is not usable: ${problem.message}`);
  return result;
}
