//! macOS: `LOCAL_PEERCRED` (a `struct xucred`). Only type-checked so far.

use std::io;
use std::os::fd::AsFd;

use super::{getsockopt_into, PeerCredentials};

pub(super) fn peer_credentials(stream: &tokio::net::UnixStream) -> io::Result<PeerCredentials> {
    let fd = stream.as_fd();
    let mut cred = [libc::xucred {
        cr_version: 0,
        cr_uid: 0,
        cr_ngroups: 0,
        cr_groups: [0; 16],
    }];
    let (result, written) = getsockopt_into(fd, libc::SOL_LOCAL, libc::LOCAL_PEERCRED, &mut cred);
    result?;
    let [cred] = cred;
    if written != size_of::<libc::xucred>() || cred.cr_version != libc::XUCRED_VERSION {
        return Err(io::Error::other(
            "LOCAL_PEERCRED returned an unknown credential format",
        ));
    }
    let count = usize::try_from(cred.cr_ngroups)
        .unwrap_or(0)
        .min(cred.cr_groups.len());
    let groups: Vec<u32> = cred.cr_groups.iter().take(count).copied().collect();
    let Some(&gid) = groups.first() else {
        return Err(io::Error::other("LOCAL_PEERCRED returned no group"));
    };
    Ok(PeerCredentials {
        uid: cred.cr_uid,
        gid,
        // tokio reads LOCAL_PEERPID.
        pid: stream.peer_cred()?.pid().filter(|&pid| pid > 0),
        groups,
    })
}
