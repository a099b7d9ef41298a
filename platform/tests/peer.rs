//! Peer credentials of Unix socket clients, and the user and group
//! databases, against the real kernel.
//!
//! The test with another user needs root: it starts a copy of this test
//! binary under `setpriv` with unused high ids (no `/etc/passwd` change),
//! which connects to a listener in a temporary directory.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use softwire_platform::peer::{group_id, peer_credentials, user_name, PeerCredentials};
use tokio::net::{UnixListener, UnixStream};

/// Tells the copy of this binary started under `setpriv` where to connect.
const CHILD_SOCKET: &str = "SOFTWIRE_PEER_TEST_SOCKET";
/// What that copy prints once it was served.
const CHILD_DONE: &str = "PEER-TEST-CHILD-DONE";
const LIMIT: Duration = Duration::from_secs(60);

/// A temporary directory of this test, removed on drop (also on failure).
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "softwire-peer-{}-{tag}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&path).unwrap();
        // Searchable by the other user, who connects to a socket inside.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `Name:` line of `/proc/self/status`, as numbers.
fn status_ids(name: &str) -> Vec<u32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in /proc/self/status"));
    line.split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_socket_pair_shows_our_own_credentials() {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let creds = peer_credentials(&ours).unwrap();
    let mut groups = status_ids("Groups:");
    groups.sort_unstable();
    groups.dedup();
    assert_eq!(
        creds,
        PeerCredentials {
            uid: status_ids("Uid:")[1],
            gid: status_ids("Gid:")[1],
            pid: Some(i32::try_from(std::process::id()).unwrap()),
            groups,
        }
    );
    assert_eq!(peer_credentials(&theirs).unwrap(), creds);
}

/// Starts this binary's `child_connects` as `uid`/`gid` with `groups`
/// through `setpriv`, and returns what the listener saw of it and its pid.
async fn credentials_of_child(tag: &str, id: u32, groups: &[u32]) -> (PeerCredentials, u32) {
    assert_eq!(
        status_ids("Uid:")[1],
        0,
        "this test starts a process as another user: run it as root"
    );
    let scratch = Scratch::new(tag);
    let socket = scratch.0.join("peer.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();

    let groups_arg: Vec<String> = groups.iter().map(u32::to_string).collect();
    let exe = std::env::current_exe().unwrap();
    let mut child = tokio::process::Command::new("setpriv")
        .arg(format!("--reuid={id}"))
        .arg(format!("--regid={id}"))
        .arg(format!("--groups={}", groups_arg.join(",")))
        .arg(&exe)
        .args(["--ignored", "--exact", "child_connects", "--nocapture"])
        .env(CHILD_SOCKET, &socket)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("could not run setpriv (util-linux)");
    let child_pid = child.id().unwrap();

    let accepted = tokio::time::timeout(LIMIT, listener.accept()).await;
    let Ok(accepted) = accepted else {
        let _ = child.start_kill();
        let out = child.wait_with_output().await.unwrap();
        panic!(
            "the child never connected: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (stream, _) = accepted.unwrap();
    let creds = peer_credentials(&stream).unwrap();
    // The child reads until we close.
    drop(stream);
    let out = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .expect("the child did not exit")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(CHILD_DONE),
        "the child failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (creds, child_pid)
}

#[tokio::test]
async fn a_process_of_another_user_is_seen_as_that_user() {
    let (id, g, h) = (64_311, 64_312, 64_313);
    let (creds, pid) = credentials_of_child("user", id, &[h, g]).await;
    assert_eq!(
        creds,
        PeerCredentials {
            uid: id,
            gid: id,
            pid: Some(i32::try_from(pid).unwrap()),
            groups: vec![g, h],
        }
    );
    assert!(creds.in_group(g) && creds.in_group(h) && creds.in_group(id));
    assert!(!creds.in_group(0));
}

/// More groups than the first buffer holds: `SO_PEERGROUPS` answers
/// `ERANGE` and the buffer grows.
#[tokio::test]
async fn a_peer_with_many_groups_has_all_of_them() {
    let id = 64_321;
    let groups: Vec<u32> = (64_400..64_700).collect();
    let (creds, _) = credentials_of_child("groups", id, &groups).await;
    assert_eq!((creds.uid, creds.gid), (id, id));
    assert_eq!(creds.groups, groups);
}

/// Run by `credentials_of_child` under `setpriv`: connects, then waits for
/// the listener to close.
#[test]
#[ignore = "started by the tests above, as another user"]
fn child_connects() {
    let Some(path) = std::env::var_os(CHILD_SOCKET) else {
        return;
    };
    let mut stream = std::os::unix::net::UnixStream::connect(Path::new(&path)).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    println!("{CHILD_DONE}");
}

#[test]
fn group_names_and_numbers() {
    assert_eq!(group_id("0").unwrap(), Some(0));
    assert_eq!(group_id("64999").unwrap(), Some(64_999));
    assert_eq!(group_id("root").unwrap(), Some(0));
    assert_eq!(group_id("no-such-group-xyz").unwrap(), None);
    assert_eq!(group_id("").unwrap(), None);
    assert!(group_id("4294967295").is_err());
    assert!(group_id("99999999999").is_err());
    assert!(group_id("ro\0ot").is_err());
}

#[test]
fn user_names() {
    assert_eq!(user_name(0).as_deref(), Some("root"));
    assert_eq!(user_name(64_311), None);
}
