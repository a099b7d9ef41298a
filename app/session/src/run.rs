//! A whole session: look up the SC, authenticate, configure the tunnel,
//! carry traffic until told to stop, undo everything.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use softwire_core::crypto::SecretBytes;
use softwire_core::esp::{EspCounters, EspInbound, EspOutbound};
use softwire_core::ike::initiator::Established;
use softwire_core::ike::proposals::suite_name;
use softwire_core::pki::UnixTime;
use softwire_core::profile::Profile;
use tokio::sync::watch;

use crate::datapath::{self, Counters, Ended};
use crate::ike_io::IkeIo;
use crate::{config, resolve_sc, tunnel, Progress, SessionError, UpInfo};

/// How a session runs.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Status file and crash-recovery record live here.
    pub state_dir: PathBuf,
    /// How often the status file is refreshed.
    pub status_interval: Duration,
}

/// What a finished session reports.
#[derive(Debug)]
pub struct Summary {
    /// How long the tunnel was up.
    pub up_for: Duration,
    /// Traffic and drops, both directions.
    pub counters: EspCounters,
}

/// Runs one session until `shutdown` turns true or it fails. Every OS
/// change is undone before this returns.
pub async fn run(
    profile: Profile,
    secret: Option<SecretBytes>,
    options: SessionOptions,
    progress: &dyn Fn(Progress),
    mut shutdown: watch::Receiver<bool>,
) -> Result<Summary, SessionError> {
    std::fs::create_dir_all(&options.state_dir)
        .map_err(|e| SessionError::Platform(format!("{}: {e}", options.state_dir.display())))?;
    // A run that crashed left its changes recorded: undo them first.
    tunnel::recover(&options.state_dir).await;
    if profile.sc_ip().is_none() {
        progress(Progress::ResolvingSc(profile.sc.address.clone()));
    }
    let sc = resolve_sc(&profile.sc.address, profile.sc.port).await?;
    let mut config = config::initiator_config(&profile, secret, UnixTime::now())?;
    // User-space ESP travels in UDP (RFC 3948) whether or not there is a NAT.
    config.force_udp_encapsulation = true;
    progress(Progress::SaInit(sc));
    let mut ike = IkeIo::start(config, sc).await?;
    let established = ike.establish(progress, &mut shutdown).await?;
    progress(Progress::Configuring);
    let result = carry(
        &profile,
        &options,
        progress,
        &mut ike,
        *established,
        &mut shutdown,
    )
    .await;
    write_status(
        &options.state_dir,
        &status_down(&profile, result.as_ref().err()),
    );
    result
}

async fn carry(
    profile: &Profile,
    options: &SessionOptions,
    progress: &dyn Fn(Progress),
    ike: &mut IkeIo,
    established: Established,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Summary, SessionError> {
    let outbound = EspOutbound::from_child(&established.child)
        .map_err(|e| SessionError::Platform(format!("ESP: {e}")))?;
    let inbound = EspInbound::from_child(&established.child)
        .map_err(|e| SessionError::Platform(format!("ESP: {e}")))?;
    let sc = ike.initiator_sc();
    let device = match tunnel::bring_up(profile, &established, sc, &options.state_dir).await {
        Ok(d) => d,
        Err(e) => {
            close_quietly(ike).await;
            return Err(e);
        }
    };
    let up = UpInfo {
        sc,
        sc_identity: established.sc_identity.clone(),
        ike_suite: suite_name(&established.suite),
        esp_suite: esp_name(&established),
        inner_ipv4: established.config.ipv4.map(Into::into),
        inner_ipv6: established.config.ipv6.map(|(a, _)| a.into()),
        dns: established.config.dns.clone(),
        behind_nat: established.nat.local_behind_nat,
        connect_time: ike.started.elapsed(),
    };
    progress(Progress::Up(Box::new(up.clone())));
    let up_since = Instant::now();
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let counters = Arc::new(Counters::default());
    let state_dir = options.state_dir.clone();
    let name = profile.name.clone();
    let (reader, writer, handle) = device.split();
    let ended = datapath::run(
        ike,
        reader,
        writer,
        outbound,
        inbound,
        counters.clone(),
        shutdown,
        |c| {
            write_status(
                &state_dir,
                &status_up(&name, &up, since_unix, &c.snapshot(), c),
            )
        },
    )
    .await;
    progress(Progress::Disconnecting);
    let undo = handle.undo().await;
    let summary = Summary {
        up_for: up_since.elapsed(),
        counters: counters.snapshot(),
    };
    match (ended, undo) {
        (Ended::ByUser, Ok(())) => Ok(summary),
        (Ended::Failed(e), _) => Err(e),
        (Ended::ByUser, Err(e)) => Err(e),
    }
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
    let mut name = format!("{:?}", s.encryption);
    if let Some(i) = s.integrity {
        name.push_str(&format!(" + {i:?}"));
    }
    if s.esn {
        name.push_str(", ESN");
    }
    name
}

/// The status file other commands read (`softwire status`).
pub fn status_path(state_dir: &Path) -> PathBuf {
    state_dir.join("status.json")
}

fn status_up(
    profile: &str,
    up: &UpInfo,
    since_unix: u64,
    counters: &EspCounters,
    shared: &Counters,
) -> serde_json::Value {
    let counters: serde_json::Map<String, serde_json::Value> = counters
        .entries()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    serde_json::json!({
        "state": "up",
        "profile": profile,
        "sc": up.sc.to_string(),
        "sc_identity": up.sc_identity,
        "inner_ipv4": up.inner_ipv4.map(|a| a.to_string()),
        "inner_ipv6": up.inner_ipv6.map(|a| a.to_string()),
        "dns": up.dns.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "ike": up.ike_suite,
        "esp": up.esp_suite,
        "behind_nat": up.behind_nat,
        "connect_ms": up.connect_time.as_secs_f64() * 1000.0,
        "up_since_unix": since_unix,
        "counters": counters,
        "keepalives": shared.keepalives.load(std::sync::atomic::Ordering::Relaxed),
        "device_skipped": shared.device_skipped.load(std::sync::atomic::Ordering::Relaxed),
        "rekeys": shared.rekeys.load(std::sync::atomic::Ordering::Relaxed),
        "ike_rekeys": shared.ike_rekeys.load(std::sync::atomic::Ordering::Relaxed),
        "liveness_checks": shared.liveness_checks.load(std::sync::atomic::Ordering::Relaxed),
    })
}

fn status_down(profile: &Profile, error: Option<&SessionError>) -> serde_json::Value {
    serde_json::json!({
        "state": "down",
        "profile": profile.name,
        "error": error.map(ToString::to_string),
    })
}

/// Writes the status file atomically (temporary file, then rename).
fn write_status(dir: &Path, value: &serde_json::Value) {
    let path = status_path(dir);
    let tmp = dir.join("status.json.tmp");
    if std::fs::write(&tmp, value.to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
}
