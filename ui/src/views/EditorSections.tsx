// The profile editor's fields, grouped: name, SC, sign-in, tunnel, advanced.

import type { AuthMethod } from '../ipc';
import type { CaChoice } from '../profileForm';
import { CheckField, FieldError, Radio, TextField, type FieldContext } from './EditorFields';

interface Props {
  ctx: FieldContext;
  advanced: boolean;
  setAdvanced: (open: boolean) => void;
}

const METHODS: { value: AuthMethod; label: string }[] = [
  { value: 'eap-mschapv2', label: 'User name and password (EAP-MSCHAPv2)' },
  { value: 'psk', label: 'Pre-shared key' },
  { value: 'certificate', label: 'Certificate' },
];

export function EditorSections({ ctx, advanced, setAdvanced }: Props) {
  const { form, change } = ctx;
  const address = form.address.trim();
  return (
    <>
      <TextField ctx={ctx} id="pe-name" label="Name" name="name" field="name" help="What this connection is called in the list." />

      <fieldset>
        <legend>SC (the VPN server)</legend>
        <CheckField
          ctx={ctx}
          id="pe-discover"
          label="Find the SC on the network"
          name="discover"
          help="Asks the network where its SC is (a DNS name in its search domains, a DHCP option). Needs the SC identity below."
        />
        <div class="row">
          {!form.discover && (
            <TextField
              ctx={ctx}
              id="pe-address"
              label="Address"
              name="address"
              field="sc.address"
              class="grow"
              placeholder="vpn.example.net"
              help="A host name or IP address."
            />
          )}
          <TextField ctx={ctx} id="pe-port" label="Port" name="port" field="sc.port" class="narrow" inputMode="numeric" />
        </div>
        <TextField
          ctx={ctx}
          id="pe-identity"
          label="SC identity"
          name="identity"
          field="sc.identity"
          placeholder={form.discover ? 'sc.example.net' : address || undefined}
          help={
            form.discover
              ? 'Required: an address found on the network is only a hint, so the SC must prove this identity before your password is sent.'
              : address
                ? `Leave empty to use the address (${address}). The SC must prove this identity.`
                : 'Leave empty to use the address. The SC must prove this identity.'
          }
        />
        {form.method === 'psk' ? (
          <p class="help">With a pre-shared key the SC proves itself with the same key: no CA certificate is used.</p>
        ) : (
          <CaChooser ctx={ctx} />
        )}
      </fieldset>

      <fieldset>
        <legend>Sign-in</legend>
        <div class="field">
          <label for="pe-method">Method</label>
          <select
            id="pe-method"
            value={form.method}
            onChange={(e) => change({ method: e.currentTarget.value as AuthMethod })}
          >
            {METHODS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        <TextField
          ctx={ctx}
          id="pe-auth-identity"
          label="Your identity"
          name="authIdentity"
          field="auth.identity"
          placeholder="alice@example.net"
          help={
            form.method === 'certificate'
              ? 'The identity in your certificate.'
              : 'Your user name at the SC. The password is asked for when you connect and kept in the keychain.'
          }
        />
        {form.method === 'certificate' && (
          <>
            <TextField
              ctx={ctx}
              id="pe-certificate"
              label="Certificate file"
              name="certificate"
              field="auth.certificate"
              placeholder="/etc/softwire/alice.pem"
              help="The path of your certificate (PEM or DER), readable by the Softwire service."
            />
            <TextField
              ctx={ctx}
              id="pe-private-key"
              label="Private key file"
              name="privateKey"
              field="auth.private_key"
              placeholder="/etc/softwire/alice.key"
              help="The path of its PKCS#8 private key, readable by the Softwire service only."
            />
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>Tunnel</legend>
        <Radio
          id="pe-mode-full"
          name="pe-mode"
          checked={form.mode === 'full'}
          onSelect={() => change({ mode: 'full' })}
          label="Full tunnel: all traffic goes through the SC"
        />
        <Radio
          id="pe-mode-split"
          name="pe-mode"
          checked={form.mode === 'split'}
          onSelect={() => change({ mode: 'split' })}
          label="Split tunnel: only the networks listed below"
        />
        {form.mode === 'split' && (
          <TextField
            ctx={ctx}
            id="pe-routes"
            label="Networks"
            name="routes"
            field="tunnel.routes"
            multiline
            placeholder={'203.0.113.0/24\n2001:db8::/32'}
            help="One prefix per line, such as 203.0.113.0/24 or 2001:db8::/32."
          />
        )}
      </fieldset>

      <details open={advanced} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
        <summary>Advanced</summary>
        <div class="grid">
          <TextField
            ctx={ctx}
            id="pe-mtu"
            label="MTU"
            name="mtu"
            field="tunnel.mtu"
            inputMode="numeric"
            placeholder="automatic"
            help="Empty: automatic (from the path)."
          />
          <TextField ctx={ctx} id="pe-child" label="Rekey the tunnel every (s)" name="childSeconds" field="rekey.child_seconds" inputMode="numeric" />
          <TextField ctx={ctx} id="pe-ike" label="Rekey the IKE SA every (s)" name="ikeSeconds" field="rekey.ike_seconds" inputMode="numeric" />
          <TextField
            ctx={ctx}
            id="pe-jitter"
            label="Rekey up to this much early (%)"
            name="jitterPercent"
            field="rekey.jitter_percent"
            inputMode="numeric"
          />
          <TextField
            ctx={ctx}
            id="pe-dpd"
            label="Liveness check after silence (s)"
            name="dpdSeconds"
            field="rekey.dpd_seconds"
            inputMode="numeric"
            help="0 turns liveness checks off."
          />
        </div>
        <CheckField ctx={ctx} id="pe-dns" label="Use the SC's DNS servers" name="useScDns" />
        <CheckField
          ctx={ctx}
          id="pe-pfs"
          label="Perfect forward secrecy (PFS)"
          name="pfs"
          help="A fresh key exchange in every rekey; the SC must allow it."
        />
      </details>
    </>
  );
}

function CaChooser({ ctx }: { ctx: FieldContext }) {
  const { form, change } = ctx;
  const error = ctx.errorFor('sc.ca');
  const choose = (caChoice: CaChoice) => {
    change({ caChoice });
    ctx.touch('sc.ca');
  };
  const onFile = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    const caPem = file.size > 256 * 1024 ? '' : await file.text().catch(() => '');
    change({ caChoice: 'file', caFileName: file.name, caPem });
    ctx.touch('sc.ca');
  };
  return (
    <fieldset class="nested" aria-describedby={error ? 'pe-ca-error' : undefined}>
      <legend>CA certificate (what the SC's certificate must chain to)</legend>
      <Radio
        id="pe-ca-system"
        name="pe-ca"
        checked={form.caChoice === 'system'}
        onSelect={() => choose('system')}
        label="The system trust store"
      />
      {form.caPath && (
        <Radio
          id="pe-ca-keep"
          name="pe-ca"
          checked={form.caChoice === 'keep'}
          onSelect={() => choose('keep')}
          label={
            <>
              Keep the current one (<code class="path">{form.caPath}</code>)
            </>
          }
        />
      )}
      <Radio
        id="pe-ca-file"
        name="pe-ca"
        checked={form.caChoice === 'file'}
        onSelect={() => choose('file')}
        label="Import a CA certificate file"
      />
      {form.caChoice === 'file' && (
        <div class="field indent">
          <label for="pe-ca-input">CA certificate file (PEM)</label>
          <input id="pe-ca-input" type="file" accept=".pem,.crt,.cer" onChange={(e) => void onFile(e)} />
          <p class="help" id="pe-ca-chosen">
            {form.caFileName ? `Chosen: ${form.caFileName}` : 'No file chosen yet.'}
          </p>
        </div>
      )}
      <FieldError id="pe-ca" message={error} />
    </fieldset>
  );
}
