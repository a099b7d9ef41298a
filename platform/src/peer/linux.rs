//! Linux: `SO_PEERCRED` and `SO_PEERGROUPS`.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use super::{getsockopt_into, PeerCredentials};

/// Room for this many groups at first; grown to what the kernel asks for.
const FIRST_GROUPS: usize = 32;
/// The kernel's `NGROUPS_MAX`: no credential has more.
const MAX_GROUPS: usize = 65_536;

pub(super) fn peer_credentials(stream: &tokio::net::UnixStream) -> io::Result<PeerCredentials> {
    let fd = stream.as_fd();
    let mut cred = [libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    }];
    let (result, written) = getsockopt_into(fd, libc::SOL_SOCKET, libc::SO_PEERCRED, &mut cred);
    result?;
    if written != size_of::<libc::ucred>() {
        return Err(io::Error::other("SO_PEERCRED returned a short credential"));
    }
    let [cred] = cred;
    Ok(PeerCredentials {
        uid: cred.uid,
        gid: cred.gid,
        pid: (cred.pid > 0).then_some(cred.pid),
        groups: peer_groups(fd)?,
    })
}

/// `SO_PEERGROUPS`: the kernel answers `ERANGE` with the length it needs
/// when the buffer is too small.
fn peer_groups(fd: BorrowedFd<'_>) -> io::Result<Vec<u32>> {
    let mut groups: Vec<libc::gid_t> = vec![0; FIRST_GROUPS];
    loop {
        let (result, written) =
            getsockopt_into(fd, libc::SOL_SOCKET, libc::SO_PEERGROUPS, &mut groups);
        let count = written / size_of::<libc::gid_t>();
        match result {
            Ok(()) => {
                groups.truncate(count);
                return Ok(groups);
            }
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) => {
                if count <= groups.len() || count > MAX_GROUPS {
                    return Err(io::Error::other(format!(
                        "SO_PEERGROUPS asks for room for {count} groups"
                    )));
                }
                groups.resize(count, 0);
            }
            Err(e) => return Err(e),
        }
    }
}
