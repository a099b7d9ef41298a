//! Who is on the other end of a Unix socket: the service's check of its
//! clients (the CLI, the GUI) before it acts for them.
//!
//! [`peer_credentials`] reads the credentials the kernel recorded when the
//! peer connected (or made the socket pair): they cannot be forged by the
//! peer, and do not change when it later changes its own.
//!
//! - **Linux**: `SO_PEERCRED` (uid, gid, pid) and `SO_PEERGROUPS` (the
//!   supplementary groups; Linux 4.13 or newer).
//! - **macOS**: `LOCAL_PEERCRED` (uid and groups, the first of which is the
//!   effective gid; at most 16) and `LOCAL_PEERPID`. Only type-checked so
//!   far.
//!
//! [`group_id`] and [`user_name`] read the user and group databases
//! (`getgrnam_r`, `getpwuid_r`, so NSS sources such as LDAP count).
//!
//! Windows is left out (the module is `cfg(unix)`): the service's named
//! pipe there needs its own check of the client's token, which is not
//! written yet.

use std::io;
use std::os::fd::BorrowedFd;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;
mod names;

pub use names::{group_id, user_name};

/// A connected peer's identity, as the kernel recorded it at connect time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCredentials {
    /// The effective user id.
    pub uid: u32,
    /// The effective group id.
    pub gid: u32,
    /// The process id at connect time, when the OS tells it (and, on
    /// Linux, when the peer is visible in our pid namespace). For messages
    /// and logs: the process may have exited and its id been reused.
    pub pid: Option<i32>,
    /// The groups: on Linux the supplementary groups (which may or may not
    /// include `gid`); on macOS the credential's group list (which includes
    /// `gid`; at most 16). Sorted, without duplicates.
    pub groups: Vec<u32>,
}

impl PeerCredentials {
    /// Whether the peer is in group `gid`, as its effective group or one
    /// of its supplementary groups.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

/// The credentials of the process at the other end of `stream`.
pub fn peer_credentials(stream: &tokio::net::UnixStream) -> io::Result<PeerCredentials> {
    let mut creds = os::peer_credentials(stream)?;
    creds.groups.sort_unstable();
    creds.groups.dedup();
    Ok(creds)
}

/// Plain old data: any bytes make a valid value (integers, C structs of
/// them, arrays of those), so the kernel may write into it.
///
/// # Safety
/// Implement only for such types.
unsafe trait PlainData: Copy {}

// SAFETY: integers.
unsafe impl PlainData for libc::gid_t {}
// SAFETY: a C struct of integers.
#[cfg(target_os = "linux")]
unsafe impl PlainData for libc::ucred {}
// SAFETY: a C struct of integers and an array of integers.
#[cfg(target_os = "macos")]
unsafe impl PlainData for libc::xucred {}

/// The length argument of `getsockopt` for `len` bytes.
fn socklen(len: usize) -> io::Result<libc::socklen_t> {
    libc::socklen_t::try_from(len).map_err(|_| io::Error::other("socket option too large"))
}

/// `getsockopt` into `value` (all of it, as bytes); returns the length the
/// kernel wrote (or, on Linux with `ERANGE`, the length it needs).
fn getsockopt_into<T: PlainData>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &mut [T],
) -> (io::Result<()>, usize) {
    use std::os::fd::AsRawFd;

    let Ok(mut len) = socklen(size_of_val(value)) else {
        return (Err(io::Error::other("socket option too large")), 0);
    };
    // SAFETY: the descriptor is borrowed for the call; `value` is a live,
    // writable buffer of exactly `len` bytes, and `len` a live local. The
    // kernel writes at most `len` bytes, and any bytes make valid `T`s
    // (`PlainData`).
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value.as_mut_ptr().cast(),
            &raw mut len,
        )
    };
    let written = usize::try_from(len).unwrap_or(0);
    if rc == 0 {
        (Ok(()), written)
    } else {
        (Err(io::Error::last_os_error()), written)
    }
}
