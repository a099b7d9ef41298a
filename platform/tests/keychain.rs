//! The keychain against a real Secret Service (gnome-keyring) on a private
//! session bus.
//!
//! Each outer test runs a copy of this test binary, filtered to one
//! `#[ignore]`d inner test, under `dbus-run-session` with fresh `HOME`,
//! `XDG_*` directories (`XDG_RUNTIME_DIR` mode 0700) in a temporary
//! directory of its own, after `echo -n PASS | gnome-keyring-daemon
//! --unlock --components=secrets`. The outer test demands that the copy
//! exits 0 *and* prints the inner test's closing marker, so an inner test
//! that did not run (or returned early) fails it.
//!
//! Clean-up, also on failure: `dbus-run-session` ends its bus when the copy
//! exits, and gnome-keyring-daemon leaves with its bus; the outer test
//! checks that the daemon pids the inner test reported are gone, and that
//! no process carrying the test's unique `XDG_RUNTIME_DIR` is left
//! (killing such leftovers by pid, then failing); the temporary directory
//! is removed.
//!
//! Needs Debian's gnome-keyring, dbus-daemon (dbus-run-session) and
//! libsecret-tools (secret-tool): `scripts/install-deps.sh` installs them.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use softwire_platform::keychain::{Keychain, KeychainError};

/// Names the scenario in the copy of this binary (absent in a plain run,
/// where the inner tests then do nothing and print no marker).
const SCENARIO: &str = "SOFTWIRE_KEYCHAIN_SCENARIO";
/// Printed by an inner test at its very end.
const DONE: &str = "KEYCHAIN-INNER-DONE";
/// Printed by an inner test for each gnome-keyring-daemon of its session.
const DAEMON_PID: &str = "KEYCHAIN-DAEMON-PID";
/// How long one inner run may take.
const LIMIT: Duration = Duration::from_secs(120);
/// The collection's password in the test sessions.
const UNLOCK: &str = "echo -n PASS | gnome-keyring-daemon --unlock --components=secrets";

// ---------------------------------------------------------------------------
// The outer tests

#[test]
fn secret_service_round_trip() {
    let env = TestEnv::new("round-trip");
    env.run_inner("inner_round_trip", Bus::Keyring(UNLOCK));
    env.assert_daemon_seen();
}

#[test]
fn a_locked_keyring_is_reported_as_locked() {
    let env = TestEnv::new("locked");
    // A first session makes the login keyring (unlocked with PASS) and an
    // item in it; the second starts the daemon without unlocking it.
    env.run_shell(&format!(
        "{UNLOCK} && echo -n seeded | secret-tool store --label=seed service softwire \
         username locked-profile"
    ));
    env.run_inner(
        "inner_locked",
        Bus::Keyring("gnome-keyring-daemon --start --components=secrets"),
    );
    env.assert_daemon_seen();
}

#[test]
fn no_session_bus_is_no_backend() {
    let env = TestEnv::new("no-bus");
    env.run_inner("inner_no_backend", Bus::None);
}

#[test]
fn a_session_bus_without_secret_service_is_no_backend() {
    let env = TestEnv::new("no-service");
    env.run_inner("inner_no_backend", Bus::WithoutServices);
}

// ---------------------------------------------------------------------------
// The inner tests (run only by the outer ones)

/// The scenario this run was started for, if it is `name`.
fn scenario_is(name: &str) -> bool {
    std::env::var(SCENARIO).is_ok_and(|s| s == name)
}

#[test]
#[ignore = "run by secret_service_round_trip inside its own session"]
fn inner_round_trip() {
    if !scenario_is("round-trip") {
        return;
    }
    report_daemons();
    let profile = format!("ci profile {}", std::process::id());
    let keychain = Keychain::for_profile(&profile).unwrap();
    assert_eq!(keychain.service(), "softwire");
    assert_eq!(keychain.account(), profile);
    let debug = format!("{keychain:?}");
    assert!(debug.contains(&profile), "{debug}");

    assert!(keychain.get().unwrap().is_none());
    assert!(!keychain.clear().unwrap());

    keychain.set("first secret").unwrap();
    assert_eq!(get(&keychain).as_deref(), Some("first secret"));
    // Really in the Secret Service, under the documented attributes.
    assert_eq!(
        secret_tool_lookup(&profile).as_deref(),
        Some("first secret")
    );
    let listing = secret_tool(&[
        "search", "--all", "service", "softwire", "username", &profile,
    ]);
    assert!(
        listing.contains(&format!("label = Softwire: {profile}")),
        "{listing}"
    );

    keychain.set("second secret, ünïcødé ✓").unwrap();
    assert_eq!(get(&keychain).as_deref(), Some("second secret, ünïcødé ✓"));
    // A new value (and connection) sees the same entry.
    let again = Keychain::for_profile(&profile).unwrap();
    assert_eq!(get(&again).as_deref(), Some("second secret, ünïcødé ✓"));

    assert!(keychain.clear().unwrap());
    assert!(keychain.get().unwrap().is_none());
    assert!(!keychain.clear().unwrap());
    assert_eq!(secret_tool_lookup(&profile), None);

    // Spaces and non-ASCII in the name; entries of profiles are separate.
    let other_name = "Büro VPN – Zürich 東京";
    let other = Keychain::for_profile(other_name).unwrap();
    other.set("büro secret").unwrap();
    keychain.set("mine").unwrap();
    assert_eq!(get(&other).as_deref(), Some("büro secret"));
    assert_eq!(get(&keychain).as_deref(), Some("mine"));
    assert_eq!(
        secret_tool_lookup(other_name).as_deref(),
        Some("büro secret")
    );
    assert!(other.clear().unwrap());
    assert_eq!(get(&keychain).as_deref(), Some("mine"));
    assert!(keychain.clear().unwrap());

    // An entry written by another tool is read.
    secret_tool_store(&profile, &[], "from secret-tool");
    assert_eq!(get(&keychain).as_deref(), Some("from secret-tool"));
    // Two matching items (the second with one more attribute): reading
    // says so, saving replaces both, clearing removes all.
    secret_tool_store(&profile, &["extra", "1"], "duplicate");
    match keychain.get() {
        Err(KeychainError::Other(message)) => {
            assert!(message.contains("2 entries match"), "{message}");
            assert!(message.contains("secret-tool clear"), "{message}");
            assert!(!message.contains("duplicate"), "{message}");
        }
        other => panic!("two items: {:?}", other.map(|s| s.map(|_| "<secret>"))),
    }
    keychain.set("replaced").unwrap();
    assert_eq!(get(&keychain).as_deref(), Some("replaced"));
    secret_tool_store(&profile, &["extra", "2"], "duplicate");
    assert!(keychain.clear().unwrap());
    assert!(keychain.get().unwrap().is_none());

    // Refused before the store is asked.
    assert!(matches!(
        Keychain::for_profile(""),
        Err(KeychainError::Other(_))
    ));
    assert!(matches!(
        Keychain::for_profile("new\nline"),
        Err(KeychainError::Other(_))
    ));
    assert!(matches!(keychain.set(""), Err(KeychainError::Other(_))));

    report_daemons();
    println!("{DONE}");
}

#[test]
#[ignore = "run by a_locked_keyring_is_reported_as_locked inside its own session"]
fn inner_locked() {
    if !scenario_is("locked") {
        return;
    }
    report_daemons();
    let keychain = Keychain::for_profile("locked-profile").unwrap();
    for (what, result) in [
        ("get", keychain.get().map(|_| ())),
        ("set", keychain.set("new secret")),
    ] {
        match result {
            Err(KeychainError::Locked(message)) => {
                println!("{what}: {message}");
                assert!(message.contains("locked"), "{what}: {message}");
                assert!(message.contains("--unlock"), "{what}: {message}");
                assert!(message.contains("--secret-file"), "{what}: {message}");
                assert!(!message.contains("seeded"), "{what}: {message}");
            }
            other => panic!("{what} on a locked keyring: {other:?}"),
        }
    }
    println!("{DONE}");
}

#[test]
#[ignore = "run by the no-backend tests outside a usable session"]
fn inner_no_backend() {
    if !scenario_is("no-bus") && !scenario_is("no-service") {
        return;
    }
    match Keychain::for_profile("any profile") {
        Err(KeychainError::NoBackend(message)) => {
            println!("{message}");
            assert!(
                message.starts_with(
                    "no keychain: the Secret Service (gnome-keyring, KWallet) is not running \
                     in this session; start it, or use --secret-file"
                ),
                "{message}"
            );
        }
        other => panic!("without a Secret Service: {other:?}"),
    }
    println!("{DONE}");
}

fn get(keychain: &Keychain) -> Option<String> {
    keychain.get().unwrap().map(|secret| secret.to_string())
}

fn secret_tool(args: &[&str]) -> String {
    let out = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("secret-tool (Debian libsecret-tools) is missing");
    // `search` prints its listing on stderr too (the attributes).
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn secret_tool_lookup(profile: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "softwire", "username", profile])
        .stdin(Stdio::null())
        .output()
        .expect("secret-tool (Debian libsecret-tools) is missing");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

fn secret_tool_store(profile: &str, extra: &[&str], secret: &str) {
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            "--label=other tool",
            "service",
            "softwire",
            "username",
        ])
        .arg(profile)
        .args(extra)
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool (Debian libsecret-tools) is missing");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store failed");
}

/// Prints the pid of every gnome-keyring-daemon of this session (the ones
/// carrying our `XDG_RUNTIME_DIR`), for the outer test to check later.
fn report_daemons() {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").unwrap();
    for pid in processes_with_runtime_dir(Path::new(&runtime)) {
        if comm(pid).is_some_and(|c| c.starts_with("gnome-keyring")) {
            println!("{DAEMON_PID} {pid}");
        }
    }
}

// ---------------------------------------------------------------------------
// The harness

/// Where the inner run talks to.
enum Bus {
    /// `dbus-run-session`, with gnome-keyring started by this shell
    /// command first.
    Keyring(&'static str),
    /// `dbus-run-session` with a bus configuration that can start no
    /// service (so no Secret Service either).
    WithoutServices,
    /// No bus: `DBUS_SESSION_BUS_ADDRESS` names a socket that does not
    /// exist.
    None,
}

/// One outer test's temporary directory, and the processes started in it.
struct TestEnv {
    scenario: &'static str,
    root: PathBuf,
    runtime: PathBuf,
    /// gnome-keyring-daemon pids the inner runs reported.
    daemons: std::cell::RefCell<Vec<u32>>,
}

impl TestEnv {
    fn new(scenario: &'static str) -> TestEnv {
        for (tool, package) in [
            ("gnome-keyring-daemon", "gnome-keyring"),
            ("dbus-run-session", "dbus-daemon"),
            ("secret-tool", "libsecret-tools"),
        ] {
            assert!(
                on_path(tool),
                "{tool} not found: install Debian's {package} (bash scripts/install-deps.sh \
                 does, as root)"
            );
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let root = std::env::temp_dir().join(format!(
            "softwire-keychain-{}-{scenario}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
        for dir in ["home", "data", "config", "cache", "run"] {
            std::fs::create_dir(root.join(dir)).unwrap();
        }
        let runtime = root.join("run");
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        TestEnv {
            scenario,
            root,
            runtime,
            daemons: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// A command with the test's own home, XDG directories and no display.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", self.root.join("home"))
            .env("XDG_DATA_HOME", self.root.join("data"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env(SCENARIO, self.scenario)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("GNOME_KEYRING_CONTROL")
            .env_remove("SSH_AUTH_SOCK")
            .current_dir(&self.root)
            .stdin(Stdio::null());
        command
    }

    /// Runs a shell command in a session with gnome-keyring (setting up).
    fn run_shell(&self, script: &str) {
        let mut command = self.command("dbus-run-session");
        command.args(["--", "sh", "-c", script]);
        let (status, out) = self.run(command, "setup");
        assert!(status.success(), "session setup failed ({status}): {out}");
        self.check_daemons_gone();
    }

    /// Runs the inner test `name` in a copy of this binary on `bus`; it
    /// must pass and print its marker.
    fn run_inner(&self, name: &str, bus: Bus) {
        let exe = std::env::current_exe().unwrap();
        let filter = [
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
        ];
        let command = match bus {
            Bus::Keyring(start) => {
                let mut command = self.command("dbus-run-session");
                // The daemon's own output goes to a file, so that it does
                // not hold the test's output open.
                command
                    .args(["--", "sh", "-c"])
                    .arg(format!(
                        "{{ {start}; }} >keyring-daemon.log 2>&1 || exit 99; exec \"$0\" \"$@\""
                    ))
                    .arg(&exe)
                    .args(filter);
                command
            }
            Bus::WithoutServices => {
                let config = self.root.join("session.conf");
                std::fs::write(&config, bus_config(&self.runtime)).unwrap();
                let mut command = self.command("dbus-run-session");
                command
                    .arg(format!("--config-file={}", config.display()))
                    .arg("--")
                    .arg(&exe)
                    .args(filter);
                command
            }
            Bus::None => {
                let mut command = self.command(exe.to_str().unwrap());
                command
                    .env(
                        "DBUS_SESSION_BUS_ADDRESS",
                        format!("unix:path={}", self.runtime.join("no-such-bus").display()),
                    )
                    .args(filter);
                command
            }
        };
        let (status, out) = self.run(command, name);
        self.daemons.borrow_mut().extend(
            // libtest prints "test NAME ... " before the test's output.
            out.lines()
                .filter_map(|l| l.split_once(DAEMON_PID))
                .filter_map(|(_, pid)| pid.trim().parse::<u32>().ok()),
        );
        let log = std::fs::read_to_string(self.root.join("keyring-daemon.log")).unwrap_or_default();
        assert!(
            status.success() && out.lines().any(|l| l.ends_with(DONE)),
            "the inner test {name} failed or did not run to its end ({status}):\n{out}\n\
             gnome-keyring-daemon's output:\n{log}"
        );
        // Shown with --nocapture.
        println!("{name}:\n{out}");
        self.check_daemons_gone();
    }

    /// The inner runs saw (and reported) a gnome-keyring-daemon, whose
    /// exit [`Self::check_daemons_gone`] then checked.
    fn assert_daemon_seen(&self) {
        assert!(
            !self.daemons.borrow().is_empty(),
            "the inner test reported no gnome-keyring-daemon"
        );
    }

    /// Runs `command` with its output in a file, within [`LIMIT`].
    fn run(&self, mut command: Command, label: &str) -> (ExitStatus, String) {
        let path = self.root.join(format!("{label}.out"));
        let out = File::create(&path).unwrap();
        command.stdout(out.try_clone().unwrap()).stderr(out);
        let mut child = command.spawn().unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{label} did not finish within {LIMIT:?}:\n{}",
                    std::fs::read_to_string(&path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, std::fs::read_to_string(&path).unwrap())
    }

    /// The daemons the inner runs reported must be gone, and nothing else
    /// of this test's sessions may be left.
    fn check_daemons_gone(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let daemons: Vec<u32> = self
                .daemons
                .borrow()
                .iter()
                .copied()
                .filter(|&pid| is_running(pid))
                .collect();
            let others = processes_with_runtime_dir(&self.runtime);
            if daemons.is_empty() && others.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                let names: Vec<String> = daemons
                    .iter()
                    .chain(&others)
                    .map(|&pid| format!("{pid} ({})", comm(pid).unwrap_or_default()))
                    .collect();
                // Drop kills them.
                panic!("left running after the session: {}", names.join(", "));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Only processes of this test carry its runtime directory.
        let mut pids = processes_with_runtime_dir(&self.runtime);
        pids.extend(self.daemons.borrow().iter().filter(|&&pid| is_running(pid)));
        for pid in pids {
            if let Ok(pid) = i32::try_from(pid) {
                // SAFETY: kill() takes plain integers; the pid is one of
                // this test's processes (it carries the test's unique
                // XDG_RUNTIME_DIR, or was reported as its daemon).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A session bus that starts no services: no `<servicedir>`, so not even
/// D-Bus activation of gnome-keyring.
fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    )
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Live (not zombie) processes whose environment has
/// `XDG_RUNTIME_DIR=<runtime>`.
fn processes_with_runtime_dir(runtime: &Path) -> Vec<u32> {
    let wanted = format!("XDG_RUNTIME_DIR={}", runtime.display());
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || !is_running(pid) {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|&b| b == 0)
            .any(|var| var == wanted.as_bytes())
        {
            pids.push(pid);
        }
    }
    pids
}

/// Whether `pid` exists and is not a zombie.
fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_owned())
}
