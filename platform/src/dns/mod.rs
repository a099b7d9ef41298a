//! DNS through the tunnel.
//!
//! - **Linux with systemd-resolved** (it runs, and `/etc/resolv.conf` is its
//!   stub — `nameserver 127.0.0.53` — or its generated file): the tunnel's
//!   servers and search domains are set on the packet device's link with
//!   `resolvectl dns LINK ...` and `resolvectl domain LINK ~. ...`; the
//!   routing domain `~.` sends every query to them. Undone with
//!   `resolvectl revert LINK` (and forgotten by resolved anyway when the
//!   link disappears).
//! - **Linux otherwise**: `/etc/resolv.conf` is rewritten **in place**
//!   (opened with truncation and written; never replaced by a rename, which
//!   fails with `EBUSY` where the file is a bind mount, as under `ip netns
//!   exec`). The original bytes are kept (in the undo journal too) and put
//!   back byte for byte — unless someone else rewrote the file meanwhile,
//!   in which case their version is left alone.
//! - **Windows, macOS**: not implemented yet; [`detect`] returns
//!   [`DnsError::Unsupported`].

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::device::{Interface, Removal};

mod resolv_conf;
pub use resolv_conf::{ResolvConfEdit, Restore};

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod os;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod os;
#[cfg(target_os = "windows")]
#[path = "windows.rs"]
mod os;

/// The usual resolver configuration file.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// Which mechanism to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsChoice {
    /// systemd-resolved when it is in charge, the resolver file otherwise.
    #[default]
    Auto,
    /// Always the resolver file.
    ResolvConf,
    /// Always systemd-resolved.
    Resolved,
}

/// The mechanism chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsBackend {
    /// Per-link settings in systemd-resolved (`resolvectl`).
    Resolved,
    /// A resolver file rewritten in place.
    ResolvConf(PathBuf),
}

/// Why a DNS change failed.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// Reading a file failed.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// Writing a file failed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// A helper command failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its error output or exit status.
        detail: String,
    },
    /// Not implemented on this OS yet.
    #[error("{what} is not supported on {os} yet")]
    Unsupported {
        /// What was asked.
        what: &'static str,
        /// This OS.
        os: &'static str,
    },
}

/// Picks the mechanism: `resolv_conf` is the resolver file to edit (and,
/// for [`DnsChoice::Auto`], to inspect).
pub fn detect(choice: DnsChoice, resolv_conf: &Path) -> Result<DnsBackend, DnsError> {
    os::detect(choice, resolv_conf)
}

/// Sets the link's DNS servers and search domains in systemd-resolved,
/// with the routing domain `~.` so that every query goes to them.
pub async fn set_link_dns(
    interface: &Interface,
    servers: &[IpAddr],
    search_domains: &[String],
) -> Result<(), DnsError> {
    os::set_link_dns(interface, servers, search_domains).await
}

/// Reverts the link's settings in systemd-resolved; a link that no longer
/// exists is [`Removal::AlreadyGone`].
pub async fn revert_link_dns(interface: &Interface) -> Result<Removal, DnsError> {
    os::revert_link_dns(interface).await
}
