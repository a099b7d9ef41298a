//! The commands that go through the service: connect, disconnect, status,
//! profiles and logs.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use softwire_api::{
    Client, Event, ImportFormat, LogLine, ProfileSummary, Reply, Request, Status, Step,
};

use crate::failure::Failure;
use crate::{secret, status};

fn say(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

fn unexpected(reply: &Reply) -> Failure {
    Failure::new(format!("unexpected reply from the service: {reply:?}"))
}

async fn profiles(client: &mut Client) -> Result<Vec<ProfileSummary>, Failure> {
    match client.call(Request::ListProfiles).await? {
        Reply::Profiles { profiles } => Ok(profiles),
        other => Err(unexpected(&other)),
    }
}

/// `softwire connect NAME`: connects through the service and follows the
/// progress until the tunnel is up or the attempt failed. Ctrl-C cancels.
pub async fn connect(socket: &Path, name: &str, secret_file: Option<&Path>) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    let summary = profiles(&mut client)
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            Failure::new(format!("no profile named \"{name}\"")).hint(
                "`softwire profiles list` shows the saved ones; `softwire profiles add FILE` adds one",
            )
        })?;
    let secret = if summary.needs_secret {
        // The keychain and the terminal block.
        let (name, file) = (name.to_owned(), secret_file.map(Path::to_owned));
        let found =
            tokio::task::spawn_blocking(move || secret::for_connect(&name, file.as_deref()))
                .await
                .map_err(|e| Failure::new(format!("reading the secret failed: {e}")))?;
        Some(found?)
    } else {
        None
    };
    client.call(Request::Subscribe { logs: false }).await?;
    say(&format!("Connecting \"{name}\" ({}) ...", summary.sc));
    client
        .call(Request::Connect {
            profile: name.to_owned(),
            secret,
        })
        .await?;
    loop {
        let event = tokio::select! {
            e = client.next_event() => e?,
            _ = tokio::signal::ctrl_c() => {
                say("Cancelling ...");
                client.call(Request::Disconnect).await?;
                return Err(Failure::new("cancelled"));
            }
        };
        let Event::Progress { profile, step } = event else {
            continue;
        };
        if profile != name {
            continue;
        }
        match step {
            Step::ResolvingSc { name } => say(&format!("  looking up SC {name}")),
            Step::SaInit { sc } => say(&format!("  IKE_SA_INIT with {sc}")),
            Step::Discovering { sources } => {
                say(&format!("  finding the SC: {}", sources.join(", ")))
            }
            Step::Trying { sc, via } => say(&format!("  IKE_SA_INIT with {sc} ({via})")),
            Step::CandidateFailed { sc, via, reason } => {
                say(&format!("  refused {sc} ({via}): {reason}"))
            }
            Step::Authenticating => say("  authenticating (IKE_AUTH)"),
            Step::Configuring => say("  configuring the tunnel (device, addresses, routes, DNS)"),
            Step::Up { status: up } => {
                say(&format!(
                    "Connected in {:.1} ms.",
                    up.connect_ms.unwrap_or_default()
                ));
                for line in status::lines(&up).into_iter().skip(1) {
                    say(&line);
                }
                say("The service keeps the tunnel up; `softwire disconnect` ends it.");
                return Ok(());
            }
            Step::Down {
                error: Some(e),
                hint,
                ..
            } => {
                return Err(Failure { message: e, hint });
            }
            Step::Down { error: None, .. } => {
                return Err(Failure::new("disconnected before the tunnel was up"))
            }
            Step::Reconnecting { reason, .. } => say(&format!("  retrying: {reason}")),
            Step::Moved { .. } | Step::Disconnecting => {}
        }
    }
}

/// `softwire disconnect`.
pub async fn disconnect(socket: &Path) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    match client.call(Request::Disconnect).await? {
        Reply::Disconnected {
            was_connected: true,
        } => say("Disconnected."),
        Reply::Disconnected {
            was_connected: false,
        } => say("Not connected."),
        other => return Err(unexpected(&other)),
    }
    Ok(())
}

/// `softwire status`.
pub async fn status(socket: &Path, json: bool) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    let status = match client.call(Request::Status).await? {
        Reply::Status { status } => status,
        other => return Err(unexpected(&other)),
    };
    show_status(&status, json)
}

/// Prints a status, as text or JSON.
pub fn show_status(status: &Status, json: bool) -> Result<(), Failure> {
    if json {
        let text = serde_json::to_string_pretty(status)
            .map_err(|e| Failure::new(format!("cannot show the status: {e}")))?;
        say(&text);
    } else {
        for line in status::lines(status) {
            say(&line);
        }
    }
    Ok(())
}

/// `softwire profiles list`.
pub async fn list(socket: &Path) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    let list = profiles(&mut client).await?;
    if list.is_empty() {
        say("No profiles yet: add one with `softwire profiles add FILE.toml` or `softwire profiles import FILE.sswan`.");
    }
    for p in list {
        say(&format!(
            "{}\t{}\t{} as {}",
            p.name, p.sc, p.method, p.identity
        ));
    }
    Ok(())
}

/// `softwire profiles show NAME`.
pub async fn show(socket: &Path, name: &str) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    match client
        .call(Request::ShowProfile {
            name: name.to_owned(),
        })
        .await?
    {
        Reply::Profile { toml, .. } => {
            print!("{toml}");
            Ok(())
        }
        other => Err(unexpected(&other)),
    }
}

/// `softwire profiles add FILE`.
pub async fn add(socket: &Path, file: &Path, replace: bool) -> Result<(), Failure> {
    let toml = std::fs::read_to_string(file)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", file.display())))?;
    let mut client = Client::connect(socket).await?;
    let reply = client
        .call(Request::SaveProfile {
            toml,
            replace,
            ca_pem: None,
        })
        .await
        .map_err(|e| in_file(file, e.into()))?;
    saved(&reply)
}

/// `softwire profiles import FILE`.
pub async fn import(
    socket: &Path,
    file: &Path,
    format: Option<ImportFormat>,
    name: Option<String>,
    replace: bool,
) -> Result<(), Failure> {
    let format = match format {
        Some(f) => f,
        None => match file.extension().and_then(|e| e.to_str()) {
            Some("sswan") => ImportFormat::Sswan,
            Some("mobileconfig") => ImportFormat::Mobileconfig,
            _ => {
                return Err(Failure::new(format!(
                    "{}: cannot tell the format from the file name",
                    file.display()
                ))
                .hint("give --format sswan or --format mobileconfig"))
            }
        },
    };
    let bytes = std::fs::read(file)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", file.display())))?;
    let content = String::from_utf8(bytes).map_err(|_| {
        Failure::new(format!("{} is not text", file.display()))
            .hint("binary property lists are not read: convert it with `plutil -convert xml1 FILE`")
    })?;
    let mut client = Client::connect(socket).await?;
    let reply = client
        .call(Request::ImportProfile {
            format,
            content,
            name,
            replace,
        })
        .await
        .map_err(|e| in_file(file, e.into()))?;
    saved(&reply)
}

fn in_file(file: &Path, mut f: Failure) -> Failure {
    f.message = format!("{}: {}", file.display(), f.message);
    f
}

fn saved(reply: &Reply) -> Result<(), Failure> {
    let Reply::Saved { name, warnings } = reply else {
        return Err(unexpected(reply));
    };
    say(&format!("Saved the profile \"{name}\"."));
    for w in warnings {
        say(&format!("  note: {w}"));
    }
    say(&format!(
        "Next: `softwire password set \"{name}\"` if it needs a password, then `softwire connect \"{name}\"`."
    ));
    Ok(())
}

/// `softwire profiles remove NAME`: also removes its password from the
/// keychain.
pub async fn remove(socket: &Path, name: &str) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    client
        .call(Request::RemoveProfile {
            name: name.to_owned(),
        })
        .await?;
    say(&format!("Removed the profile \"{name}\"."));
    if let Ok(k) = softwire_platform::keychain::Keychain::for_profile(name) {
        if matches!(k.clear(), Ok(true)) {
            say("  and its password from your keychain.");
        }
    }
    Ok(())
}

/// `softwire logs [-n N] [--follow]`.
pub async fn logs(socket: &Path, lines: usize, follow: bool) -> Result<(), Failure> {
    let mut client = Client::connect(socket).await?;
    if follow {
        client.call(Request::Subscribe { logs: true }).await?;
    }
    match client.call(Request::Logs { lines }).await? {
        Reply::Logs { lines } => lines.iter().for_each(print_log),
        other => return Err(unexpected(&other)),
    }
    if !follow {
        return Ok(());
    }
    loop {
        if let Event::Log { line } = client.next_event().await? {
            print_log(&line);
        }
    }
}

fn print_log(line: &LogLine) {
    let level = format!("{:?}", line.level).to_lowercase();
    say(&format!("{} {level:5} {}", utc(line.unix_ms), line.message));
}

/// "2026-11-23 14:05:09.123" (UTC) from Unix milliseconds.
fn utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Days to civil date (proleptic Gregorian), after H. Hinnant's
    // `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

/// Seconds since the epoch now (for tests of [`utc`]).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00.000");
        assert_eq!(utc(1_795_434_309_123), "2026-11-23 11:45:09.123");
        assert!(utc(now_ms()).starts_with("20"));
    }
}
