// The service's profile check (core/src/profile/validate.rs), rule for rule
// and message for message, for the fake shell's validate_profile.

import type { FieldProblem, Profile } from '../src/ipc';

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return (
    parts.length === 4 &&
    parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
  );
}

function isIPv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

export function isIp(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

function isHostName(name: string): boolean {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return (
    n !== '' &&
    n.length <= 253 &&
    n
      .split('.')
      .every(
        (label) =>
          label !== '' &&
          label.length <= 63 &&
          !label.startsWith('-') &&
          !label.endsWith('-') &&
          /^[A-Za-z0-9-]+$/.test(label),
      )
  );
}

function prefixProblem(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not a prefix like 203.0.113.0/24`;
  const address = text.slice(0, slash);
  const length = text.slice(slash + 1);
  if (!isIp(address)) return `"${address}" is not an IP address`;
  if (!/^\d+$/.test(length) || Number(length) > 255) return `"${length}" is not a prefix length`;
  const max = isIPv4(address) ? 32 : 128;
  if (Number(length) > max) return `prefix length ${length} is longer than ${max}`;
  return null;
}

const MAX_NAME = 64;

/** The shell's own rules for names (app/desktop/src/profiles.rs, check_name). */
function nameProblem(name: string): string | null {
  if (name === '') return 'must not be empty';
  if (Array.from(name).length > MAX_NAME) return `must be at most ${MAX_NAME} characters long`;
  if (/^[. ]|[. ]$/.test(name)) return 'must not start or end with a dot or space';
  const bad = Array.from(name).find((c) => !/[\p{L}\p{N} \-_.@+()]/u.test(c));
  if (bad !== undefined) return `must not contain ${JSON.stringify(bad)}: use letters, digits, spaces and - _ . @ + ( )`;
  return null;
}

/**
 * What the shell's validate_profile answers: the service's check, then the
 * name rules. With a CA file chosen (`caPem`), sc.ca stands for it.
 */
export function check(p: Profile, caPem: boolean): FieldProblem | null {
  const profile = caPem ? { ...p, sc: { ...p.sc, ca: '(the chosen CA file)' } } : p;
  const problem = validate(profile);
  if (problem) return problem;
  const name = nameProblem(p.name);
  return name ? { field: 'name', message: name } : null;
}

/** null when valid, else the first problem, as the service finds it. */
export function validate(p: Profile): FieldProblem | null {
  const f = (field: string, message: string): FieldProblem => ({ field, message });
  if (p.name.trim() === '') return f('name', 'must not be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(p.name)) return f('name', 'must not contain control characters');
  const address = p.sc.address.trim();
  if (address === '') return f('sc.address', 'must name the SC (a host name or IP address)');
  if (!isIp(address) && !isHostName(address)) {
    return f('sc.address', `"${address}" is neither an IP address nor a host name`);
  }
  if (p.sc.port === 0) return f('sc.port', 'must not be 0');
  const r = p.rekey;
  if (r.child_seconds < 10 || r.child_seconds > 86_400) {
    return f('rekey.child_seconds', `${r.child_seconds} is outside 10 to 86400 seconds`);
  }
  if (r.ike_seconds < 30 || r.ike_seconds > 172_800) {
    return f('rekey.ike_seconds', `${r.ike_seconds} is outside 30 to 172800 seconds`);
  }
  if (r.jitter_percent > 50) return f('rekey.jitter_percent', `${r.jitter_percent} is outside 0 to 50 percent`);
  if (r.dpd_seconds !== 0 && (r.dpd_seconds < 5 || r.dpd_seconds > 3600)) {
    return f('rekey.dpd_seconds', `${r.dpd_seconds} is outside 5 to 3600 seconds (0 turns liveness checks off)`);
  }
  if ((p.sc.identity ?? p.sc.address).trim() === '') return f('sc.identity', 'must not be empty');
  if (p.auth.identity.trim() === '') return f('auth.identity', 'must not be empty');
  if (p.auth.method === 'psk') {
    if (p.sc.ca !== null) {
      return f('sc.ca', 'is not used with auth.method = "psk" (the SC proves itself with the same key); remove it');
    }
  } else if (p.sc.ca === null) {
    return f('sc.ca', 'is required: the SC\'s certificate must chain to a CA (a file, or "system")');
  }
  if (p.auth.method === 'certificate') {
    if (p.auth.certificate === null) return f('auth.certificate', 'is required with auth.method = "certificate"');
    if (p.auth.private_key === null) return f('auth.private_key', 'is required with auth.method = "certificate"');
  } else if (p.auth.certificate !== null || p.auth.private_key !== null) {
    return f('auth.certificate', 'is only used with auth.method = "certificate"');
  }
  if (p.tunnel.mode === 'full') {
    if (p.tunnel.routes.length > 0) return f('tunnel.routes', 'is only used with tunnel.mode = "split"');
  } else {
    if (p.tunnel.routes.length === 0) {
      return f('tunnel.routes', 'must list at least one prefix with tunnel.mode = "split"');
    }
    for (const route of p.tunnel.routes) {
      const problem = prefixProblem(route);
      if (problem) return f('tunnel.routes', problem);
    }
  }
  const mtu = p.tunnel.mtu;
  if (mtu !== null && (mtu < 1280 || mtu > 9000)) return f('tunnel.mtu', `${mtu} is outside 1280..=9000`);
  return null;
}
