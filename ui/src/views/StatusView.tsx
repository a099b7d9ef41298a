// The Connection view: the attempt's steps, its error, and the tunnel's
// details while it is up.

import type { ComponentChildren } from 'preact';
import { edit } from '../actions';
import { formatBytes, formatClock, formatDuration, formatMs, plural } from '../format';
import { useNow } from '../hooks';
import { focusImport } from '../importer';
import type { Status } from '../ipc';
import { stateLabel, store } from '../state';
import { useSelect } from '../store';
import { ConnectError } from './ConnectError';
import { ProgressSteps } from './Progress';
import { RateChart } from './RateChart';

export function ConnectionView() {
  const status = useSelect(store, (s) => s.status);
  const progress = useSelect(store, (s) => s.progress);
  const problem = useSelect(store, (s) => s.problem);
  const running = useSelect(store, (s) => s.service?.running ?? false);
  const count = useSelect(store, (s) => s.profiles.length);
  const tunnel = status.state === 'up' || status.state === 'reconnecting';

  return (
    <div class="stack">
      {problem && <ConnectError problem={problem} />}
      {progress && <ProgressSteps progress={progress} />}
      {tunnel && <TunnelDetails status={status} />}
      {!problem && !progress && !tunnel && running && (
        <section class="card empty" aria-labelledby="idle-title">
          <h2 id="idle-title">{stateLabel(status)}</h2>
          {count > 0 ? (
            <p>Press Connect next to a profile to connect.</p>
          ) : (
            <>
              <p>Add the profile your administrator gave you to get started.</p>
              <div class="buttons">
                <button type="button" class="primary" onClick={focusImport}>
                  Import a profile file
                </button>
                <button type="button" onClick={() => edit({ mode: 'new' })}>
                  Create a profile
                </button>
              </div>
            </>
          )}
        </section>
      )}
    </div>
  );
}

function Fact({ label, field, children }: { label: string; field?: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd data-field={field}>{children}</dd>
    </div>
  );
}

function TunnelDetails({ status: s }: { status: Status }) {
  const now = useNow(1000);
  const samples = useSelect(store, (st) => st.rates);
  const bytesIn = s.counters['bytes-in'] ?? 0;
  const bytesOut = s.counters['bytes-out'] ?? 0;
  const uptime = s.up_since_unix ? formatDuration(now / 1000 - s.up_since_unix) : '—';
  const rekey =
    s.last_rekey_unix !== undefined
      ? `${formatClock(s.last_rekey_unix)} (${plural(s.rekeys, 'rekey')}, ${plural(s.ike_rekeys, 'IKE rekey')})`
      : 'never';

  return (
    <section class="card" aria-labelledby="tunnel-title">
      <h2 id="tunnel-title">Tunnel details</h2>
      <dl class="facts">
        <Fact label="State" field="state">
          {stateLabel(s)}
        </Fact>
        <Fact label="Profile" field="profile">
          {s.profile ?? '—'}
        </Fact>
        <Fact label="SC address" field="sc">
          {s.sc ?? '—'}
        </Fact>
        <Fact label="SC identity (proven)" field="sc_identity">
          {s.sc_identity ?? '—'}
        </Fact>
        {s.sc_found_via && (
          <Fact label="SC found" field="sc_found_via">
            {s.sc_found_via}
          </Fact>
        )}
        <Fact label="Virtual IPv4" field="inner_ipv4">
          {s.inner_ipv4 ?? 'none'}
        </Fact>
        <Fact label="Virtual IPv6" field="inner_ipv6">
          {s.inner_ipv6 ?? 'none'}
        </Fact>
        <Fact label="DNS servers" field="dns">
          {s.dns.length ? s.dns.join(', ') : 'none'}
        </Fact>
        <Fact label="Behind a NAT" field="behind_nat">
          {s.behind_nat ? 'yes' : 'no'}
        </Fact>
        <Fact label="IKE suite" field="ike">
          {s.ike ?? '—'}
        </Fact>
        <Fact label="ESP suite" field="esp">
          {s.esp ?? '—'}
        </Fact>
        <Fact label="Up for" field="uptime">
          {uptime}
        </Fact>
        <Fact label="Connected in" field="connect_ms">
          {s.connect_ms !== undefined ? formatMs(s.connect_ms) : '—'}
        </Fact>
        <Fact label="Last rekey" field="last_rekey">
          {rekey}
        </Fact>
        <Fact label="Reconnects" field="reconnects">
          {s.reconnects}
        </Fact>
      </dl>
      <h3>Traffic</h3>
      <dl class="facts traffic">
        <div class="fact">
          <dt>Received</dt>
          <dd data-field="bytes_in" data-value={bytesIn} title={`${bytesIn} bytes`}>
            {formatBytes(bytesIn)}
          </dd>
        </div>
        <div class="fact">
          <dt>Sent</dt>
          <dd data-field="bytes_out" data-value={bytesOut} title={`${bytesOut} bytes`}>
            {formatBytes(bytesOut)}
          </dd>
        </div>
      </dl>
      <RateChart samples={samples} />
    </section>
  );
}
