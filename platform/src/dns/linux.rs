//! Linux: systemd-resolved through `resolvectl` when it is in charge of
//! name resolution, the resolver file otherwise.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{DnsBackend, DnsChoice, DnsError};
use crate::device::{Interface, Removal};

/// Where systemd-resolved keeps its runtime files (and its generated
/// resolver files) while it runs.
const RESOLVED_RUNTIME: &str = "/run/systemd/resolve";

pub(super) fn detect(choice: DnsChoice, resolv_conf: &Path) -> Result<DnsBackend, DnsError> {
    Ok(match choice {
        DnsChoice::ResolvConf => DnsBackend::ResolvConf(resolv_conf.to_owned()),
        DnsChoice::Resolved => DnsBackend::Resolved,
        DnsChoice::Auto => {
            if resolved_in_charge(resolv_conf) {
                DnsBackend::Resolved
            } else {
                DnsBackend::ResolvConf(resolv_conf.to_owned())
            }
        }
    })
}

/// systemd-resolved answers this process's queries when it runs, its
/// `resolvectl` is installed, and the resolver file is its stub (pointing
/// at 127.0.0.53 / 127.0.0.54) or the file it generates. The content is
/// what counts, not where a symlink points: under `ip netns exec` a
/// namespace's own file is bind-mounted over the symlink's target, and
/// resolved (which runs in the main namespace) does not serve that
/// namespace's links.
fn resolved_in_charge(resolv_conf: &Path) -> bool {
    if !Path::new(RESOLVED_RUNTIME).is_dir() || find_in_path("resolvectl").is_none() {
        return false;
    }
    let Ok(content) = fs::read(resolv_conf) else {
        return false;
    };
    let content = String::from_utf8_lossy(&content);
    let stub = content.lines().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("nameserver")
            && matches!(words.next(), Some("127.0.0.53" | "127.0.0.54"))
    });
    let generated = content.contains("managed by man:systemd-resolved");
    stub || generated
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

async fn resolvectl(args: &[String]) -> Result<(), DnsError> {
    let command = format!("resolvectl {}", args.join(" "));
    let output = tokio::process::Command::new("resolvectl")
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|err| DnsError::Command {
            command: command.clone(),
            detail: err.to_string(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(DnsError::Command {
        command,
        detail: if stderr.is_empty() {
            output.status.to_string()
        } else {
            stderr
        },
    })
}

pub(super) async fn set_link_dns(
    interface: &Interface,
    servers: &[IpAddr],
    search_domains: &[String],
) -> Result<(), DnsError> {
    let mut dns = vec!["dns".to_owned(), interface.name.clone()];
    dns.extend(servers.iter().map(ToString::to_string));
    resolvectl(&dns).await?;
    let mut domain = vec!["domain".to_owned(), interface.name.clone(), "~.".to_owned()];
    domain.extend(search_domains.iter().cloned());
    resolvectl(&domain).await
}

pub(super) async fn revert_link_dns(interface: &Interface) -> Result<Removal, DnsError> {
    if !Path::new("/sys/class/net").join(&interface.name).exists() {
        // resolved forgets a link's settings when the link goes.
        return Ok(Removal::AlreadyGone);
    }
    resolvectl(&["revert".to_owned(), interface.name.clone()]).await?;
    Ok(Removal::Removed)
}
