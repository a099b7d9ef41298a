// Asks for the password (or pre-shared key) when the keychain has none.
// The secret lives only in the input until it is handed to `connect`.

import { useRef, useState } from 'preact/hooks';
import { cancelPassword, connectWith } from '../actions';
import { store } from '../state';
import { useSelect } from '../store';
import { Dialog } from './Dialog';

export function PasswordDialog() {
  const profile = useSelect(store, (s) => s.passwordFor);
  if (!profile) return null;
  return <PasswordForm key={profile.name} name={profile.name} psk={profile.method === 'psk'} who={profile.identity} sc={profile.sc} />;
}

interface FormProps {
  name: string;
  psk: boolean;
  who: string;
  sc: string;
}

function PasswordForm({ name, psk, who, sc }: FormProps) {
  const input = useRef<HTMLInputElement>(null);
  const [remember, setRemember] = useState(true);
  const [empty, setEmpty] = useState(false);
  const label = psk ? 'Pre-shared key' : 'Password';

  const submit = (e: Event) => {
    e.preventDefault();
    const field = input.current;
    if (!field) return;
    const secret = field.value;
    if (secret === '') {
      setEmpty(true);
      field.focus();
      return;
    }
    field.value = '';
    void connectWith(name, secret, remember);
  };

  return (
    <Dialog
      title={`Connect to ${name}`}
      onCancel={cancelPassword}
      description={`${psk ? 'The pre-shared key' : 'The password'}${who && !psk ? ` for ${who}` : ''}${sc ? ` at ${sc}` : ''}.`}
    >
      <form onSubmit={submit} class="stack">
        <div class="field">
          <label for="password">{label}</label>
          <input
            ref={input}
            id="password"
            type="password"
            autocomplete="current-password"
            data-autofocus
            aria-invalid={empty ? 'true' : undefined}
            aria-describedby={empty ? 'password-error' : undefined}
            onInput={() => setEmpty(false)}
          />
          {empty && (
            <p id="password-error" class="field-error">
              Type the {label.toLowerCase()}, or press Cancel.
            </p>
          )}
        </div>
        <div class="check">
          <input
            id="remember"
            type="checkbox"
            checked={remember}
            onChange={(e) => setRemember(e.currentTarget.checked)}
          />
          <label for="remember">Remember in the keychain</label>
        </div>
        <div class="buttons">
          <button type="submit" class="primary">
            Connect
          </button>
          <button type="button" onClick={cancelPassword}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
