//! `softwire run PROFILE.toml`: connects without the service, in the
//! foreground (as root), shows progress by phase, stays up until Ctrl-C or
//! SIGTERM, then disconnects cleanly. For scripts, containers and the lab;
//! on a laptop the service does this (`softwire connect NAME`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use softwire_core::crypto::SecretBytes;
use softwire_core::profile::{AuthMethodSetting, Profile};
use softwire_session::{Progress, SessionError, SessionOptions};
use tokio::sync::watch;

/// Command-line options of `run`.
#[derive(Debug, Clone)]
pub struct ConnectArgs {
    /// The profile file.
    pub profile: PathBuf,
    /// Read the password or PSK from this file instead of asking.
    pub secret_file: Option<PathBuf>,
    /// Where the status and the crash-recovery record are kept.
    pub state_dir: PathBuf,
}

/// Why `run` failed before the session ran.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The profile file could not be read.
    #[error("cannot read profile {path}: {source}")]
    ReadProfile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The profile is invalid.
    #[error("{path}: {source}")]
    Profile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: softwire_core::profile::ProfileError,
    },
    /// The secret could not be read.
    #[error("cannot read the secret: {0}")]
    Secret(String),
    /// The session failed.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Loads and validates a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, ConnectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConnectError::ReadProfile {
        path: path.to_owned(),
        source,
    })?;
    Profile::from_toml(&text).map_err(|source| ConnectError::Profile {
        path: path.to_owned(),
        source,
    })
}

fn read_secret(
    profile: &Profile,
    file: Option<&Path>,
) -> Result<Option<SecretBytes>, ConnectError> {
    let what = match profile.auth.method {
        AuthMethodSetting::Certificate => return Ok(None),
        AuthMethodSetting::Psk => "pre-shared key",
        AuthMethodSetting::EapMschapv2 => "password",
    };
    let text = match file {
        Some(path) => std::fs::read(path)
            .map_err(|e| ConnectError::Secret(format!("{}: {e}", path.display())))?,
        None => rpassword::prompt_password(format!("{what} for {}: ", profile.auth.identity))
            .map_err(|e| {
                ConnectError::Secret(format!(
                    "no terminal to ask for the {what} ({e}); use --secret-file"
                ))
            })?
            .into_bytes(),
    };
    let trimmed = text.trim_ascii_end().to_vec();
    Ok(Some(SecretBytes::new(trimmed)))
}

/// Runs `run`; returns when disconnected.
pub async fn run(args: ConnectArgs) -> Result<(), ConnectError> {
    let profile = load_profile(&args.profile)?;
    let secret = read_secret(&profile, args.secret_file.as_deref())?;
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        softwire_platform::signals::stop_requested().await;
        let _ = stop.send(true);
    });
    say(&format!("Connecting \"{}\" ...", profile.name));
    let options = SessionOptions {
        state_dir: args.state_dir.clone(),
        status_interval: Duration::from_secs(1),
        status_sink: None,
        discovery_cache: std::sync::Arc::default(),
    };
    let summary = softwire_session::run(profile, secret, options, &show, stopped).await?;
    say(&format!(
        "Disconnected after {:.1} s; {}",
        summary.up_for.as_secs_f64(),
        counters_line(&summary.counters)
    ));
    Ok(())
}

/// "packets-in 4, bytes-in 376, ..." with the zero counters left out.
pub fn counters_line(c: &softwire_core::esp::EspCounters) -> String {
    let parts: Vec<String> = c
        .entries()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    if parts.is_empty() {
        "no traffic".to_owned()
    } else {
        parts.join(", ")
    }
}

fn show(progress: Progress) {
    match progress {
        Progress::ResolvingSc(name) => say(&format!("  looking up SC {name}")),
        Progress::SaInit(sc) => say(&format!("  IKE_SA_INIT with {sc}")),
        Progress::Discovering(sources) => say(&format!("  finding the SC: {}", sources.join(", "))),
        Progress::Trying(c) => say(&format!("  IKE_SA_INIT with {} ({})", c.address, c.origin)),
        Progress::CandidateFailed { candidate, reason } => say(&format!(
            "  refused {} ({}): {reason}",
            candidate.address, candidate.origin
        )),
        Progress::Authenticating => say("  authenticating (IKE_AUTH)"),
        Progress::Configuring => say("  configuring the tunnel (device, addresses, routes, DNS)"),
        Progress::Up(up) if up.reconnects > 0 => say(&format!(
            "Reconnected in {:.1} ms (reconnect {}).",
            up.connect_time.as_secs_f64() * 1000.0,
            up.reconnects
        )),
        Progress::Reconnecting {
            attempt,
            next_in,
            reason,
        } => {
            if attempt == 1 {
                say(&format!("Connection lost: {reason}"));
            } else {
                say(&format!("  attempt {} failed: {reason}", attempt - 1));
            }
            say(&format!(
                "  reconnecting (attempt {attempt}, next in {:.1} s); traffic waits in the tunnel",
                next_in.as_secs_f64()
            ));
        }
        Progress::Up(up) => {
            say(&format!(
                "Connected in {:.1} ms.",
                up.connect_time.as_secs_f64() * 1000.0
            ));
            say(&format!("  SC:         {} ({})", up.sc_identity, up.sc));
            if let Some(via) = &up.sc_found_via {
                say(&format!("  found:      {via}"));
            }
            if let Some(v4) = up.inner_ipv4 {
                say(&format!("  inner IPv4: {v4}"));
            }
            if let Some(v6) = up.inner_ipv6 {
                say(&format!("  inner IPv6: {v6}"));
            }
            let dns: Vec<String> = up.dns.iter().map(ToString::to_string).collect();
            say(&format!(
                "  DNS:        {}",
                if dns.is_empty() {
                    "(none)".to_owned()
                } else {
                    dns.join(", ")
                }
            ));
            say(&format!("  IKE:        {}", up.ike_suite));
            say(&format!("  ESP:        {}", up.esp_suite));
            say(&format!(
                "  NAT:        {}",
                if up.behind_nat {
                    "behind a NAT, UDP-encapsulated on port 4500"
                } else {
                    "none detected"
                }
            ));
            say(&format!(
                "  Roaming:    {}",
                if up.mobike {
                    "MOBIKE (the tunnel follows address changes)"
                } else {
                    "the SC does not support MOBIKE: address changes reconnect"
                }
            ));
            say("Press Ctrl-C to disconnect.");
        }
        Progress::Moved {
            local,
            sc,
            behind_nat,
            took,
        } => {
            let nat = if behind_nat { ", behind a NAT" } else { "" };
            say(&match took {
                Some(took) => format!(
                    "Moved to {local} in {:.1} ms (MOBIKE; SC {sc}{nat}).",
                    took.as_secs_f64() * 1000.0
                ),
                None => format!(
                    "The NAT in front of us changed our public address or port; the SC follows (MOBIKE; SC {sc}{nat})."
                ),
            });
        }
        Progress::Disconnecting => say("Disconnecting ..."),
    }
}

#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}
