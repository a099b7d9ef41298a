//! The one connection the service keeps: starts a session for a profile,
//! turns its progress into events and log lines, and ends it on request.

use softwire_core::discovery::cache::DiscoveryCache;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use softwire_api::{DownReason, Event, State, Status, Step};
use softwire_core::crypto::SecretBytes;
use softwire_core::ike::initiator::InitiatorError;
use softwire_core::profile::Profile;
use softwire_session::{Progress, SessionError, SessionOptions};
use tokio::sync::{broadcast, watch, Mutex};
use tokio::task::JoinHandle;

use crate::log::Log;

/// The connection manager.
#[derive(Debug)]
pub struct Manager {
    active: Mutex<Option<Active>>,
    status: Arc<watch::Sender<Status>>,
    events: broadcast::Sender<Event>,
    log: Arc<Log>,
    state_dir: PathBuf,
    /// SCs found by discovery, per network, for the next connect.
    discovery_cache: Arc<std::sync::Mutex<DiscoveryCache>>,
}

#[derive(Debug)]
struct Active {
    profile: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Manager {
    /// A manager keeping its sessions' records in `state_dir`.
    pub fn new(state_dir: PathBuf, log: Arc<Log>) -> Arc<Self> {
        let (status, _) = watch::channel(Status::idle());
        let manager = Arc::new(Self {
            active: Mutex::new(None),
            status: Arc::new(status),
            events: broadcast::channel(256).0,
            log,
            state_dir,
            discovery_cache: Arc::default(),
        });
        // Every status the session publishes (each change, and each
        // second while up) goes out as an event.
        let mut changes = manager.status.subscribe();
        let events = manager.events.clone();
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let status = Box::new(changes.borrow_and_update().clone());
                let _ = events.send(Event::Status { status });
            }
        });
        manager
    }

    /// The connection's status now.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The profile in use, if any.
    pub async fn active_profile(&self) -> Option<String> {
        let active = self.active.lock().await;
        active
            .as_ref()
            .filter(|a| !a.task.is_finished())
            .map(|a| a.profile.clone())
    }

    /// Starts connecting with `profile`, ending any other connection first.
    pub async fn connect(self: &Arc<Self>, profile: Profile, secret: Option<SecretBytes>) {
        let mut active = self.active.lock().await;
        if let Some(old) = active.take() {
            self.log.info(format!(
                "ending the connection \"{}\" for \"{}\"",
                old.profile, profile.name
            ));
            finish(old).await;
        }
        let name = profile.name.clone();
        self.log.info(format!("connecting \"{name}\""));
        self.status.send_replace(Status {
            state: State::Connecting,
            profile: Some(name.clone()),
            phase: Some("starting".to_owned()),
            ..Status::default()
        });
        let (stop, stopped) = watch::channel(false);
        let me = Arc::clone(self);
        let task = tokio::spawn(async move { me.run(profile, secret, stopped).await });
        *active = Some(Active {
            profile: name,
            stop,
            task,
        });
    }

    /// Ends the connection; returns once every OS change is undone.
    /// `false` when there was none.
    pub async fn disconnect(&self) -> bool {
        let mut active = self.active.lock().await;
        match active.take() {
            Some(old) => {
                let was_running = !old.task.is_finished();
                self.log.info(format!("disconnecting \"{}\"", old.profile));
                finish(old).await;
                was_running
            }
            None => false,
        }
    }

    async fn run(
        self: Arc<Self>,
        profile: Profile,
        secret: Option<SecretBytes>,
        stopped: watch::Receiver<bool>,
    ) {
        let name = profile.name.clone();
        let started = Instant::now();
        let options = SessionOptions {
            state_dir: self.state_dir.clone(),
            status_interval: Duration::from_secs(1),
            status_sink: Some(Arc::clone(&self.status)),
            discovery_cache: Arc::clone(&self.discovery_cache),
        };
        let me = Arc::clone(&self);
        let progress_name = name.clone();
        let progress = move |p: Progress| me.on_progress(&progress_name, p);
        let result = softwire_session::run(profile, secret, options, &progress, stopped).await;
        let (error, hint, reason, up_for_s) = match &result {
            Ok(summary) => {
                self.log.info(format!(
                    "\"{name}\" disconnected after {:.1} s",
                    summary.up_for.as_secs_f64()
                ));
                (None, None, None, Some(summary.up_for.as_secs_f64()))
            }
            Err(e) => {
                self.log.error(format!(
                    "\"{name}\" failed after {:.1} s: {e}",
                    started.elapsed().as_secs_f64()
                ));
                (Some(e.to_string()), hint(&name, e), Some(reason(e)), None)
            }
        };
        self.status.send_replace(Status {
            state: State::Down,
            profile: Some(name.clone()),
            error: error.clone(),
            ..Status::default()
        });
        let _ = self.events.send(Event::Progress {
            profile: name,
            step: Step::Down {
                error,
                hint,
                reason,
                up_for_s,
            },
        });
    }

    fn on_progress(&self, profile: &str, progress: Progress) {
        let (step, phase) = match progress {
            Progress::ResolvingSc(name) => (
                Step::ResolvingSc { name: name.clone() },
                Some(format!("looking up SC {name}")),
            ),
            Progress::SaInit(sc) => (Step::SaInit { sc }, Some(format!("IKE_SA_INIT with {sc}"))),
            Progress::Discovering(sources) => {
                let phase = format!("finding the SC ({})", sources.join(", "));
                (Step::Discovering { sources }, Some(phase))
            }
            Progress::Trying(candidate) => {
                let via = candidate.origin.to_string();
                let phase = format!("IKE_SA_INIT with {} ({via})", candidate.address);
                self.log.info(format!(
                    "\"{profile}\" trying SC {} {via}",
                    candidate.address
                ));
                (
                    Step::Trying {
                        sc: candidate.address,
                        via,
                    },
                    Some(phase),
                )
            }
            Progress::CandidateFailed { candidate, reason } => {
                let via = candidate.origin.to_string();
                self.log.warn(format!(
                    "\"{profile}\" SC {} ({via}) refused: {reason}",
                    candidate.address
                ));
                (
                    Step::CandidateFailed {
                        sc: candidate.address,
                        via,
                        reason,
                    },
                    None,
                )
            }
            Progress::Authenticating => (Step::Authenticating, Some("authenticating".to_owned())),
            Progress::Configuring => (Step::Configuring, Some("configuring the tunnel".to_owned())),
            Progress::Up(up) => {
                let status = self.status();
                self.log.info(format!(
                    "\"{profile}\" up in {:.1} ms: SC {} ({}), inner {}{}",
                    up.connect_time.as_secs_f64() * 1000.0,
                    up.sc_identity,
                    up.sc,
                    up.inner_ipv4.map(|a| a.to_string()).unwrap_or_default(),
                    up.inner_ipv6.map(|a| format!(" {a}")).unwrap_or_default(),
                ));
                (
                    Step::Up {
                        status: Box::new(status),
                    },
                    None,
                )
            }
            Progress::Reconnecting {
                attempt,
                next_in,
                reason,
            } => {
                self.log.warn(format!(
                    "\"{profile}\" reconnecting (attempt {attempt}, in {:.1} s): {reason}",
                    next_in.as_secs_f64()
                ));
                (
                    Step::Reconnecting {
                        attempt,
                        next_in_s: next_in.as_secs_f64(),
                        reason,
                    },
                    None,
                )
            }
            Progress::Moved {
                local,
                sc,
                behind_nat,
                took,
            } => {
                self.log
                    .info(format!("\"{profile}\" moved to {local} (SC {sc})"));
                (
                    Step::Moved {
                        local,
                        sc,
                        behind_nat,
                        took_ms: took.map(|t| t.as_secs_f64() * 1000.0),
                    },
                    None,
                )
            }
            Progress::Disconnecting => (Step::Disconnecting, None),
        };
        if let Some(phase) = phase {
            self.status.send_replace(Status {
                state: State::Connecting,
                profile: Some(profile.to_owned()),
                phase: Some(phase),
                ..Status::default()
            });
        }
        let _ = self.events.send(Event::Progress {
            profile: profile.to_owned(),
            step,
        });
    }
}

/// Stops a session and waits for it to undo its changes.
async fn finish(active: Active) {
    let _ = active.stop.send(true);
    let _ = active.task.await;
}

/// What the user can do about a failure.
/// The kind of failure, for a client's next step.
fn reason(e: &SessionError) -> DownReason {
    match e {
        SessionError::Ike(InitiatorError::AuthenticationFailed | InitiatorError::Eap(_)) => {
            DownReason::Authentication
        }
        SessionError::Ike(InitiatorError::Timeout { .. })
        | SessionError::Resolve(_)
        | SessionError::Discovery(_) => DownReason::Unreachable,
        SessionError::Ike(InitiatorError::ScIdentityMismatch { .. })
        | SessionError::Ike(InitiatorError::ScCertificate(_)) => DownReason::ScIdentity,
        SessionError::MissingSecret(_) => DownReason::SecretNeeded,
        _ => DownReason::Other,
    }
}

fn hint(profile: &str, e: &SessionError) -> Option<String> {
    match e {
        SessionError::Ike(InitiatorError::AuthenticationFailed | InitiatorError::Eap(_)) => Some(
            format!("store the right password or key: softwire password set \"{profile}\""),
        ),
        SessionError::Ike(InitiatorError::Timeout { .. }) | SessionError::Resolve(_) => Some(
            "check the SC's address in the profile and that this network lets UDP 500 and 4500 out"
                .to_owned(),
        ),
        SessionError::Ike(InitiatorError::ScIdentityMismatch { .. })
        | SessionError::Ike(InitiatorError::ScCertificate(_)) => Some(format!(
            "check sc.identity and sc.ca: softwire profiles show \"{profile}\""
        )),
        SessionError::MissingSecret(_) => {
            Some(format!("store it: softwire password set \"{profile}\""))
        }
        SessionError::Discovery(_) => Some(
            "this network did not point to an SC that proved the profile's identity: \
             name the SC in the profile (sc.address), or ask the network's administrator"
                .to_owned(),
        ),
        _ => None,
    }
}
