//! The session's status: written to the status file (for `softwire run`
//! and `softwire status --state-dir`) and, for the service, sent to a
//! watch channel.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use softwire_api::{State, Status};
use softwire_core::esp::EspCounters;
use softwire_core::profile::Profile;
use tokio::sync::watch;

use crate::datapath::Counters;
use crate::run::SessionOptions;
use crate::{SessionError, UpInfo};

/// Where the service wants every status.
pub type StatusSink = Arc<watch::Sender<Status>>;

/// The status file other commands read (`softwire status --state-dir`).
pub fn status_path(state_dir: &Path) -> PathBuf {
    state_dir.join("status.json")
}

impl SessionOptions {
    /// Writes the status file atomically (temporary file, then rename)
    /// and tells the sink.
    pub(crate) fn publish(&self, status: Status) {
        let path = status_path(&self.state_dir);
        let tmp = self.state_dir.join("status.json.tmp");
        if let Ok(text) = serde_json::to_vec(&status) {
            if std::fs::write(&tmp, text).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        if let Some(sink) = &self.status_sink {
            sink.send_replace(status);
        }
    }
}

pub(crate) fn status_up(
    profile: &str,
    up: &UpInfo,
    since_unix: u64,
    counters: &EspCounters,
    shared: &Counters,
) -> Status {
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    Status {
        state: State::Up,
        profile: Some(profile.to_owned()),
        sc: Some(up.sc),
        sc_identity: Some(up.sc_identity.clone()),
        sc_found_via: up.sc_found_via.clone(),
        inner_ipv4: up.inner_ipv4,
        inner_ipv6: up.inner_ipv6,
        dns: up.dns.clone(),
        ike: Some(up.ike_suite.clone()),
        esp: Some(up.esp_suite.clone()),
        behind_nat: up.behind_nat,
        connect_ms: Some(up.connect_time.as_secs_f64() * 1000.0),
        reconnects: up.reconnects,
        up_since_unix: Some(since_unix),
        counters: counters.entries().map(|(k, v)| (k.to_owned(), v)).collect(),
        keepalives: load(&shared.keepalives),
        device_skipped: load(&shared.device_skipped),
        rekeys: load(&shared.rekeys),
        ike_rekeys: load(&shared.ike_rekeys),
        last_rekey_unix: Some(load(&shared.last_rekey_unix)).filter(|&t| t > 0),
        liveness_checks: load(&shared.liveness_checks),
        rekey_collisions: load(&shared.rekey_collisions),
        mobike: up.mobike,
        moves: load(&shared.moves),
        nat_rebindings: load(&shared.nat_rebindings),
        roam_errors: load(&shared.roam_errors),
        last_roam_error: shared.last_roam_error.lock().ok().and_then(|e| e.clone()),
        ..Status::default()
    }
}

pub(crate) fn status_reconnecting(
    profile: &Profile,
    attempt: u32,
    next_in: Duration,
    reason: &str,
) -> Status {
    Status {
        state: State::Reconnecting,
        profile: Some(profile.name.clone()),
        attempt: Some(attempt),
        next_in_s: Some(next_in.as_secs_f64()),
        error: Some(reason.to_owned()),
        ..Status::default()
    }
}

pub(crate) fn status_down(profile: &Profile, error: Option<&SessionError>) -> Status {
    Status {
        state: State::Down,
        profile: Some(profile.name.clone()),
        error: error.map(ToString::to_string),
        ..Status::default()
    }
}
