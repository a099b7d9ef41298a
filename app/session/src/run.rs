//! A whole session: look up the SC, authenticate, configure the tunnel,
//! carry traffic until told to stop, undo everything.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use softwire_core::crypto::SecretBytes;
use softwire_core::discovery::cache::DiscoveryCache;
use softwire_core::discovery::{LocalNetwork, NetworkView, Policy};
use softwire_core::esp::{EspCounters, EspInbound, EspOutbound};
use softwire_core::ike::initiator::Established;
use softwire_core::ike::proposals::suite_name;
use softwire_core::pki::UnixTime;
use softwire_core::profile::Profile;
use softwire_platform::discovery::{SystemDhcpPorts, SystemDns, SystemNetwork};
use tokio::sync::watch;

use crate::datapath::{self, Counters, Ended};
use crate::discovery::{self, Lookups};
use crate::ike_io::IkeIo;
use crate::roaming::Roamer;
use crate::status::{status_down, status_reconnecting, status_up, StatusSink};
use crate::trial::{self, TrialError};
use crate::{config, reconnect, resolve_sc, tunnel, Progress, ProgressFn, SessionError, UpInfo};

/// How a session runs.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Status file and crash-recovery record live here.
    pub state_dir: PathBuf,
    /// How often the status file is refreshed.
    pub status_interval: Duration,
    /// Also told every status (the service's `status` events).
    pub status_sink: Option<StatusSink>,
    /// The SCs discovery found, per network (shared by the sessions of
    /// one service).
    pub discovery_cache: Arc<Mutex<DiscoveryCache>>,
}

/// What a finished session reports.
#[derive(Debug)]
pub struct Summary {
    /// How long the tunnel was up.
    pub up_for: Duration,
    /// Traffic and drops, both directions.
    pub counters: EspCounters,
}

/// Runs one session until `shutdown` turns true or it fails. A connection
/// lost while up is negotiated again (see [`crate::reconnect`]) with the
/// tunnel kept in place. Every OS change is undone before this returns.
pub async fn run(
    profile: Profile,
    secret: Option<SecretBytes>,
    options: SessionOptions,
    progress: &ProgressFn,
    mut shutdown: watch::Receiver<bool>,
) -> Result<Summary, SessionError> {
    std::fs::create_dir_all(&options.state_dir)
        .map_err(|e| SessionError::Platform(format!("{}: {e}", options.state_dir.display())))?;
    // A run that crashed left its changes recorded: undo them first.
    tunnel::recover(&options.state_dir).await;
    let (sc, found_via, ike, established) = match profile.discovery_policy() {
        Some(policy) => {
            let up = find_sc(
                &profile,
                secret.as_ref(),
                &policy,
                &options.discovery_cache,
                progress,
                &mut shutdown,
            )
            .await?;
            (
                up.candidate.address,
                Some(up.candidate.origin.to_string()),
                up.ike,
                up.established,
            )
        }
        None => {
            if profile.sc_ip().is_none() {
                progress(Progress::ResolvingSc(profile.sc.address.clone()));
            }
            let sc = resolve_sc(&profile.sc.address, profile.sc.port).await?;
            progress(Progress::SaInit(sc));
            let config = attempt_config(&profile, secret.as_ref())?;
            let mut ike = IkeIo::start(config, sc).await?;
            let established = ike.establish(progress, &mut shutdown).await?;
            (sc, None, ike, established)
        }
    };
    let session = Session {
        profile: &profile,
        secret: secret.as_ref(),
        sc,
        found_via,
        options: &options,
        progress,
    };
    progress(Progress::Configuring);
    let result = session.carry(ike, *established, &mut shutdown).await;
    options.publish(status_down(&profile, result.as_ref().err()));
    result
}

/// What every (re)negotiation of one session needs.
struct Session<'a> {
    profile: &'a Profile,
    secret: Option<&'a SecretBytes>,
    sc: SocketAddr,
    /// How discovery found the SC, when it did.
    found_via: Option<String>,
    options: &'a SessionOptions,
    progress: &'a ProgressFn,
}

/// The initiator's configuration for one attempt, with a fresh wall clock
/// for certificate checks.
fn attempt_config(
    profile: &Profile,
    secret: Option<&SecretBytes>,
) -> Result<softwire_core::ike::initiator::InitiatorConfig, SessionError> {
    let mut config = config::initiator_config(profile, secret.cloned(), UnixTime::now())?;
    // User-space ESP travels in UDP (RFC 3948) whether or not there is a NAT.
    config.force_udp_encapsulation = true;
    Ok(config)
}

/// Discovery: the SC found on this network before, else every source of
/// the policy; then the candidates raced until one proves itself.
async fn find_sc(
    profile: &Profile,
    secret: Option<&SecretBytes>,
    policy: &Policy,
    cache: &Mutex<DiscoveryCache>,
    progress: &ProgressFn,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<trial::Winner, SessionError> {
    let lookups = Lookups {
        network: SystemNetwork::new(None),
        dns: SystemDns::new(),
        dhcp: SystemDhcpPorts::new(),
    };
    let network = lookups.network.current().await;
    let key = network.as_ref().ok().map(LocalNetwork::key);
    let config = || attempt_config(profile, secret);
    let cached = key.as_ref().and_then(|key| {
        let mut cache = cache.lock().ok()?;
        cache.on_network(key);
        cache.get(policy, key, Instant::now()).cloned()
    });
    if let (Some(candidate), Some(key)) = (cached, key.as_ref()) {
        match trial::race(
            std::slice::from_ref(&candidate),
            &config,
            progress,
            shutdown,
        )
        .await
        {
            Ok(winner) => return Ok(winner),
            Err(TrialError::Cancelled) => return Err(SessionError::Cancelled),
            Err(TrialError::Winner(e)) => return Err(e),
            Err(TrialError::AllFailed(_)) => {
                if let Ok(mut cache) = cache.lock() {
                    cache.forget(policy, key);
                }
            }
        }
    }
    progress(Progress::Discovering(
        policy.sources.iter().map(|s| s.to_string()).collect(),
    ));
    let found = discovery::discover_on(policy, network, &lookups).await;
    let report = discovery::Report(&found.report).to_string();
    if found.candidates.is_empty() {
        return Err(SessionError::Discovery(format!("found no SC: {report}")));
    }
    match trial::race(&found.candidates, &config, progress, shutdown).await {
        Ok(winner) => {
            if let (Some(key), Ok(mut cache)) = (key, cache.lock()) {
                cache.put(policy, &key, winner.candidate.clone(), Instant::now());
            }
            Ok(winner)
        }
        Err(TrialError::Cancelled) => Err(SessionError::Cancelled),
        Err(TrialError::Winner(e)) => Err(e),
        Err(TrialError::AllFailed(failures)) => {
            let tried: Vec<String> = failures
                .iter()
                .map(|(c, e)| format!("{} ({}): {e}", c.address, c.origin))
                .collect();
            Err(SessionError::Discovery(format!(
                "no SC proved itself as {}. Tried {}. Sources: {report}",
                profile.sc_identity(),
                tried.join("; ")
            )))
        }
    }
}

impl Session<'_> {
    /// IKE_SA_INIT and IKE_AUTH with a fresh configuration (and a fresh
    /// wall clock for certificate checks).
    async fn negotiate(
        &self,
        progress: &ProgressFn,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(IkeIo, Box<Established>), SessionError> {
        let config = attempt_config(self.profile, self.secret)?;
        let mut ike = IkeIo::start(config, self.sc).await?;
        let established = ike.establish(progress, shutdown).await?;
        Ok((ike, established))
    }

    async fn carry(
        &self,
        mut ike: IkeIo,
        mut established: Established,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Summary, SessionError> {
        let state_dir = &self.options.state_dir;
        let device = match tunnel::bring_up(self.profile, &established, self.sc, state_dir).await {
            Ok(d) => d,
            Err(e) => {
                close_quietly(&mut ike).await;
                return Err(e);
            }
        };
        let up_since = Instant::now();
        let since_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let counters = Arc::new(Counters::default());
        let name = self.profile.name.clone();
        let (reader, mut writer, mut handle) = device.split();
        let mut reader = Some(reader);
        let mut reconnects = 0u32;
        let outcome = loop {
            let (outbound, inbound) = match esp_pair(&established) {
                Ok(pair) => pair,
                Err(e) => break Err(e),
            };
            let mut up = up_info(&established, self.sc, ike.started.elapsed(), reconnects);
            up.sc_found_via = self.found_via.clone();
            // At once, not at the next tick (and before anyone is told it
            // is up): "reconnecting" must not linger.
            self.options.publish(status_up(
                &name,
                &up,
                since_unix,
                &counters.snapshot(),
                &counters,
            ));
            (self.progress)(Progress::Up(Box::new(up.clone())));
            let Some(device_reader) = reader.take() else {
                break Err(SessionError::Platform(
                    "the tunnel device's reader was lost".to_owned(),
                ));
            };
            let mut roamer = Roamer::new(&mut handle);
            if let Some(e) = roamer.monitor_error.take() {
                note_monitor_error(&counters, &e);
            }
            let (ended, back, w) = datapath::run(
                &mut ike,
                device_reader,
                writer,
                outbound,
                inbound,
                counters.clone(),
                shutdown,
                &mut roamer,
                self.progress,
                |c| {
                    self.options
                        .publish(status_up(&name, &up, since_unix, &c.snapshot(), c))
                },
            )
            .await;
            reader = back;
            writer = w;
            let error = match ended {
                Ended::ByUser => break Ok(()),
                Ended::Failed(e) => e,
            };
            if !reconnect::is_recoverable(&error) || *shutdown.borrow() {
                break Err(error);
            }
            if let Some(e) = roamer.monitor_error.take() {
                note_monitor_error(&counters, &e);
            }
            match self.reconnect(&error, &mut handle, shutdown).await {
                Ok(Some((new_ike, new))) => {
                    if new.config.ipv4 != established.config.ipv4
                        || new.config.ipv6 != established.config.ipv6
                    {
                        let mut new_ike = new_ike;
                        close_quietly(&mut new_ike).await;
                        break Err(SessionError::Platform(
                            "on reconnecting, the SC assigned other inner addresses: connect again"
                                .to_owned(),
                        ));
                    }
                    ike = new_ike;
                    established = *new;
                    reconnects += 1;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        (self.progress)(Progress::Disconnecting);
        let undo = handle.undo().await;
        let summary = Summary {
            up_for: up_since.elapsed(),
            counters: counters.snapshot(),
        };
        match (outcome, undo) {
            (Ok(()), Ok(())) => Ok(summary),
            (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        }
    }

    /// Negotiates again after `error`, with back-off, until it works, an
    /// attempt fails in a way retrying cannot fix, or the user stops
    /// (`Ok(None)`). Routes and DNS stay as they are meanwhile.
    async fn reconnect(
        &self,
        error: &SessionError,
        handle: &mut tunnel::Handle,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Option<(IkeIo, Box<Established>)>, SessionError> {
        let mut reason = error.to_string();
        for attempt in 1u32.. {
            let wait = reconnect::wait_before(attempt, error, jitter());
            (self.progress)(Progress::Reconnecting {
                attempt,
                next_in: wait,
                reason: reason.clone(),
            });
            self.options
                .publish(status_reconnecting(self.profile, attempt, wait, &reason));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return Ok(None);
                    }
                }
            }
            // The network may have changed under us (a renumbering flushes
            // the SC's host route): without the route the new attempt
            // would go into the tunnel.
            if let Err(e) = handle.refresh_outer_route(self.sc.ip()).await {
                reason = e.to_string();
                continue;
            }
            match self.negotiate(&|_| {}, shutdown).await {
                Ok(up) => return Ok(Some(up)),
                Err(SessionError::Cancelled) => return Ok(None),
                Err(e) if reconnect::is_recoverable(&e) => reason = e.to_string(),
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

fn esp_pair(established: &Established) -> Result<(EspOutbound, EspInbound), SessionError> {
    let outbound = EspOutbound::from_child(&established.child)
        .map_err(|e| SessionError::Platform(format!("ESP: {e}")))?;
    let inbound = EspInbound::from_child(&established.child)
        .map_err(|e| SessionError::Platform(format!("ESP: {e}")))?;
    Ok((outbound, inbound))
}

fn up_info(
    established: &Established,
    sc: SocketAddr,
    connect_time: Duration,
    reconnects: u32,
) -> UpInfo {
    UpInfo {
        sc,
        sc_identity: established.sc_identity.clone(),
        ike_suite: suite_name(&established.suite),
        esp_suite: esp_name(established),
        inner_ipv4: established.config.ipv4.map(Into::into),
        inner_ipv6: established.config.ipv6.map(|(a, _)| a.into()),
        dns: established.config.dns.clone(),
        behind_nat: established.nat.local_behind_nat,
        connect_time,
        reconnects,
        mobike: established.mobike,
        sc_found_via: None,
    }
}

/// Records that the network monitor is not running (roaming is then
/// noticed only by liveness checks).
fn note_monitor_error(counters: &Counters, error: &str) {
    counters
        .roam_errors
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut last) = counters.last_roam_error.lock() {
        *last = Some(format!("no network monitor: {error}"));
    }
}

/// Jitter for the back-off (not a secret: the clock's nanoseconds).
fn jitter() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // 0..1e9 spread over 0..=u32::MAX.
    u32::try_from(u64::from(nanos) * u64::from(u32::MAX) / 999_999_999).unwrap_or(u32::MAX)
}

/// Tells the SC we are leaving, briefly, after a local failure.
async fn close_quietly(ike: &mut IkeIo) {
    ike.initiator.close(Instant::now());
    let _ = tokio::time::timeout(Duration::from_secs(4), async {
        loop {
            if ike.flush().await.is_err() {
                return;
            }
            while let Some(e) = ike.initiator.poll_event() {
                if matches!(e, softwire_core::ike::initiator::Event::Closed(_)) {
                    return;
                }
            }
            match ike.initiator.poll_timeout() {
                Some(d) => {
                    tokio::time::sleep_until(d.into()).await;
                    ike.initiator.handle_timeout(Instant::now());
                }
                None => return,
            }
        }
    })
    .await;
}

fn esp_name(e: &Established) -> String {
    let s = &e.child.suite;
    let mut name = s.encryption.name().to_owned();
    if let Some(bits) = s.encryption.key_length_attribute() {
        name.push_str(&format!("-{bits}"));
    }
    if let Some(i) = s.integrity {
        name.push_str(&format!(" + {}", i.name()));
    }
    if s.esn {
        name.push_str(", ESN");
    }
    name
}
