// Why the connection failed, in plain words, and the next step to take.

import { askPasswordAgain, connect, dismissProblem, edit } from '../actions';
import type { ProfileSummary } from '../ipc';
import { store, type ConnectProblem } from '../state';
import { useSelect } from '../store';
import { sentence } from './ErrorNote';

interface Advice {
  title: string;
  next: string | null;
  action: 'password' | 'edit' | 'retry' | null;
}

function advise(problem: ConnectProblem, profile: ProfileSummary | undefined): Advice {
  if (problem.kind === 'command') {
    const e = problem.error;
    return { title: 'Could not connect', next: e.hint, action: e.code === 'no_such_profile' ? null : 'retry' };
  }
  switch (problem.reason) {
    case 'authentication':
      if (profile && !profile.needs_secret) {
        return {
          title: 'The SC did not accept the certificate',
          next: problem.hint ?? 'Check the certificate and key files in the profile.',
          action: 'edit',
        };
      }
      return {
        title: profile?.method === 'psk' ? 'The pre-shared key was not accepted' : 'The password was not accepted',
        next: 'Type it again; the one kept in the keychain is forgotten first.',
        action: 'password',
      };
    case 'unreachable':
      return {
        title: 'The SC did not answer',
        next: "Check the SC's address in the profile, and that this network lets VPN traffic out (UDP ports 500 and 4500).",
        action: 'edit',
      };
    case 'sc_identity':
      return {
        title: 'The SC could not prove it is the right one',
        next: "Check the SC identity and the CA certificate in the profile: the SC's certificate must name that identity and chain to that CA.",
        action: 'edit',
      };
    case 'secret_needed':
      return { title: 'A password is needed', next: null, action: 'password' };
    default:
      return { title: 'The connection failed', next: problem.hint, action: 'retry' };
  }
}

export function ConnectError({ problem }: { problem: ConnectProblem }) {
  const profiles = useSelect(store, (s) => s.profiles);
  const name = problem.profile;
  const profile = profiles.find((p) => p.name === name);
  const advice = advise(problem, profile);
  const reason = problem.kind === 'down' ? (problem.reason ?? 'other') : problem.error.code;
  const detail = problem.kind === 'down' ? problem.error : problem.error.message;

  return (
    <section id="connect-error" class="card notice error" data-reason={reason} role="alert" aria-labelledby="connect-error-title">
      <h2 id="connect-error-title">{advice.title}</h2>
      <p>{sentence(detail)}</p>
      {advice.next && <p class="hint">Next: {sentence(advice.next)}</p>}
      <div class="buttons">
        {advice.action === 'password' && name && (
          <button type="button" class="primary" onClick={() => void askPasswordAgain(name)}>
            {problem.kind === 'down' && problem.reason === 'authentication' ? 'Enter the password again' : 'Enter the password'}
          </button>
        )}
        {advice.action === 'edit' && name && profile && (
          <button type="button" class="primary" onClick={() => edit({ mode: 'edit', name })}>
            Edit the profile
          </button>
        )}
        {(advice.action === 'retry' || advice.action === 'edit') && name && profile && (
          <button type="button" onClick={() => void connect(name)}>
            Try again
          </button>
        )}
        <button type="button" onClick={dismissProblem}>
          Dismiss
        </button>
      </div>
    </section>
  );
}
