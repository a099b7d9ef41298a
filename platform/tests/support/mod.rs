//! The harness of the platform tests against the real kernel: each test
//! body runs in a network namespace of its own.
//!
//! A test creates a namespace `swp<pid><tag>` with an uplink (a veth pair:
//! `uplink0` with `198.51.100.2/24` and `2001:db8:1::2/64`, default routes
//! via `.1` / `::1`; `uplink0p` is its other end, without addresses) and
//! its own resolver file at `/etc/netns/<ns>/resolv.conf` (which `ip netns
//! exec` bind-mounts over `/etc/resolv.conf`, so the machine's own is never
//! touched), then runs itself again under `ip netns exec` with [`INSIDE`]
//! set; that run executes the body on a tokio runtime. The run inside is
//! killed after [`BODY_LIMIT`]; the namespace, its `/etc/netns` entry and
//! the test's temporary directory are removed afterwards, also when the
//! test fails.
//!
//! Needs root. Only documentation addresses are used.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use softwire_platform::dns::DnsChoice;
use softwire_platform::ConfiguratorOptions;

/// Set (to the namespace's name) in the run inside the namespace.
pub const INSIDE: &str = "SOFTWIRE_PLATFORM_NETNS";
/// Set in a helper run that applies a configuration and then dies (never
/// passed on to the run inside).
pub const CRASH_PHASE: &str = "SOFTWIRE_PLATFORM_CRASH";

/// The namespace's resolver file: no final newline, a comment, options —
/// it must come back byte for byte.
pub const LAB_RESOLV_CONF: &str =
    "# swp test namespace\nnameserver 198.51.100.53\nsearch lab.example\noptions ndots:2 edns0\n# end";
/// How long the run inside may take.
pub const BODY_LIMIT: Duration = Duration::from_secs(120);

pub const UPLINK_GW4: &str = "198.51.100.1";
pub const UPLINK_GW6: &str = "2001:db8:1::1";

/// Runs a command, panicking with its error output when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `ip ARGS...`.
pub fn ip(args: &[&str]) -> String {
    run("ip", args)
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Whether /etc/netns was missing when this process first looked: then
/// it removes the directory again once empty.
static ETC_NETNS_WAS_MISSING: OnceLock<bool> = OnceLock::new();

/// A namespace with an uplink; removed (with its resolver file and the
/// test's temporary directory) on drop.
struct Namespace {
    name: String,
}

impl Namespace {
    fn create(name: &str) -> Self {
        // A leftover from a killed run of the same pid is unlikely but
        // harmless to clear.
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        ETC_NETNS_WAS_MISSING.get_or_init(|| !Path::new("/etc/netns").exists());
        let ns = Self {
            name: name.to_owned(),
        };
        // The resolver file first, so that nothing ever runs in the
        // namespace with the machine's own /etc/resolv.conf.
        let dir = Path::new("/etc/netns").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("resolv.conf"), LAB_RESOLV_CONF).unwrap();
        std::fs::create_dir_all(temp_dir_for(name)).unwrap();
        ip(&["netns", "add", name]);
        let ip_in = |args: &[&str]| {
            let mut all = vec!["-n", name];
            all.extend_from_slice(args);
            ip(&all);
        };
        ip_in(&["link", "set", "lo", "up"]);
        // A veth pair stands in for the uplink (no dummy module here).
        ip_in(&[
            "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p",
        ]);
        for dev in ["uplink0", "uplink0p"] {
            // No link-local address: nothing changes behind the test's
            // back.
            ip_in(&["link", "set", dev, "addrgenmode", "none"]);
            ip_in(&["link", "set", dev, "up"]);
        }
        ip_in(&["addr", "add", "198.51.100.2/24", "dev", "uplink0"]);
        ip_in(&[
            "-6",
            "addr",
            "add",
            "2001:db8:1::2/64",
            "dev",
            "uplink0",
            "nodad",
        ]);
        ip_in(&[
            "route", "add", "default", "via", UPLINK_GW4, "dev", "uplink0",
        ]);
        ip_in(&[
            "-6", "route", "add", "default", "via", UPLINK_GW6, "dev", "uplink0",
        ]);
        ns
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        let _ = std::fs::remove_dir_all(Path::new("/etc/netns").join(&self.name));
        if ETC_NETNS_WAS_MISSING.get() == Some(&true) {
            // Only once empty: other tests may still be using it.
            let _ = std::fs::remove_dir("/etc/netns");
        }
        let _ = std::fs::remove_dir_all(temp_dir_for(&self.name));
    }
}

fn temp_dir_for(ns: &str) -> PathBuf {
    std::env::temp_dir().join(ns)
}

/// What a test body gets.
pub struct Ctx {
    /// A state file path in the test's temporary directory.
    pub state_file: PathBuf,
}

impl Ctx {
    /// Configurator options with that state file and the resolver file.
    pub fn options(&self) -> ConfiguratorOptions {
        let mut options = ConfiguratorOptions::new(&self.state_file);
        // No systemd-resolved serves a test namespace; be explicit anyway.
        options.dns = DnsChoice::ResolvConf;
        options
    }
}

/// Runs `body` inside a fresh namespace (see the module documentation).
pub fn netns_test<F, Fut>(test: &str, tag: &str, body: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Ok(ns) = std::env::var(INSIDE) {
        let ctx = Ctx {
            state_file: temp_dir_for(&ns).join("state.json"),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(body(ctx));
        return;
    }
    assert_eq!(
        effective_uid(),
        Some(0),
        "the platform tests need root: they create network namespaces, TUN devices and \
         routes. Run them as root (CI does), e.g. `sudo -E cargo test -p softwire-platform`."
    );
    let ns = Namespace::create(&format!("swp{}{tag}", std::process::id()));
    let dir = temp_dir_for(&ns.name);
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(&exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, &ns.name)
        .env_remove(CRASH_PHASE)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > BODY_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let passed = status.is_some_and(|s| s.success()) && stdout.contains("1 passed");
    let name = ns.name.clone();
    drop(ns);
    assert!(
        passed,
        "the run inside namespace {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        status.map_or_else(|| format!("killed after {BODY_LIMIT:?}"), |s| s.to_string()),
    );
    // Shown with --nocapture.
    println!("--- inside {name}:\n{stdout}{stderr}");
}

/// `ip -j ARGS...`, parsed.
pub fn ip_json(args: &[&str]) -> Value {
    let mut all = vec!["-j"];
    all.extend_from_slice(args);
    serde_json::from_str(&ip(&all)).unwrap()
}

/// The main table's routes of one family (`-4` or `-6`), as
/// (destination, gateway, dev).
pub fn routes(family: &str) -> Vec<(String, Option<String>, String)> {
    ip_json(&[family, "route", "show"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["dst"].as_str().unwrap().to_owned(),
                r["gateway"].as_str().map(str::to_owned),
                r["dev"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Whether the main table holds this route.
pub fn has_route(family: &str, dst: &str, gateway: Option<&str>, dev: &str) -> bool {
    routes(family)
        .iter()
        .any(|(d, g, v)| d == dst && g.as_deref() == gateway && v == dev)
}

/// The main table's routes to exactly this destination.
pub fn routes_to(family: &str, dst: &str) -> Vec<(String, Option<String>, String)> {
    routes(family)
        .into_iter()
        .filter(|(d, _, _)| d == dst)
        .collect()
}

/// The interface `ip route get` names for a destination.
pub fn route_get_dev(destination: &str) -> String {
    let answer = ip_json(&["route", "get", destination]);
    answer[0]["dev"].as_str().unwrap().to_owned()
}

/// An interface's index.
pub fn index_of(name: &str) -> u32 {
    std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Whether an interface exists.
pub fn link_exists(name: &str) -> bool {
    std::path::Path::new("/sys/class/net").join(name).exists()
}
