//! `no_core_dumps` in a process of its own (it cannot be undone, so it is
//! not called in the test process itself): the outer test runs a copy of
//! this binary filtered to the `#[ignore]`d inner test, which must pass and
//! print its closing marker.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::{Command, Stdio};

/// Set in the copy of this binary.
const INNER: &str = "SOFTWIRE_HARDENING_INNER";
const DONE: &str = "HARDENING-INNER-DONE";

#[test]
fn no_core_dumps_in_a_child_process() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "inner_no_core_dumps", "--nocapture"])
        .env(INNER, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().any(|l| l.ends_with(DONE)),
        "the inner test failed or did not run to its end ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "run by no_core_dumps_in_a_child_process in a process of its own"]
fn inner_no_core_dumps() {
    if std::env::var_os(INNER).is_none() {
        return;
    }
    softwire_platform::hardening::no_core_dumps().unwrap();

    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("no core limit in /proc/self/limits");
    let values: Vec<&str> = core.split_whitespace().skip(4).take(2).collect();
    assert_eq!(values, ["0", "0"], "{core}");

    // SAFETY: PR_GET_DUMPABLE takes no argument and touches no memory.
    let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE) };
    assert_eq!(dumpable, 0);

    // Calling it again is harmless.
    softwire_platform::hardening::no_core_dumps().unwrap();
    println!("{DONE}");
}
