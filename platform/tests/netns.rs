//! The platform shims against the real kernel, each test in a network
//! namespace of its own.
//!
//! A test creates a namespace `swp<pid><tag>` with an uplink (a veth pair)
//! (`198.51.100.2/24`, `2001:db8:1::2/64`, default routes via `.1` / `::1`)
//! and its own resolver file at `/etc/netns/<ns>/resolv.conf`, then runs
//! itself again under `ip netns exec` (which bind-mounts that file over
//! `/etc/resolv.conf`, so the machine's own is never touched) with
//! `SOFTWIRE_PLATFORM_NETNS` set; that run executes the test's body. The
//! namespace, its `/etc/netns` entry and the test's temporary directory
//! are removed afterwards, also when the test fails.
//!
//! Needs root (namespaces, TUN, routes): without it every test fails
//! saying so.
//!
//! Only documentation addresses are used.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;
use softwire_platform::device::{DeviceReader, DeviceWriter};
use softwire_platform::dns::DnsChoice;
use softwire_platform::journal::{read_state, Change};
use softwire_platform::offload::Packets;
use softwire_platform::{
    recover, ConfiguratorOptions, IpPrefix, NetworkConfig, RouteMode, TunnelConfigurator,
    TunnelError,
};

/// Set (to the namespace's name) in the run inside the namespace.
const INSIDE: &str = "SOFTWIRE_PLATFORM_NETNS";
/// Set in a helper run that applies a configuration and then dies.
const CRASH_PHASE: &str = "SOFTWIRE_PLATFORM_CRASH";

/// The namespace's resolver file: no final newline, a comment, options —
/// it must come back byte for byte.
const LAB_RESOLV_CONF: &str =
    "# swp test namespace\nnameserver 198.51.100.53\nsearch lab.example\noptions ndots:2 edns0\n# end";

const UPLINK_GW4: &str = "198.51.100.1";
const UPLINK_GW6: &str = "2001:db8:1::1";
const SC: &str = "203.0.113.1";
const SC6: &str = "2001:db8:20::1";

fn prefix(s: &str) -> IpPrefix {
    s.parse().unwrap()
}

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

// ---------------------------------------------------------------- harness

fn run(program: &str, args: &[&str]) -> String {
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

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn require_root() {
    if effective_uid() != Some(0) {
        panic!(
            "the platform tests need root: they create network namespaces, TUN devices and \
             routes. Run them as root (CI does), e.g. `sudo -E cargo test -p softwire-platform`."
        );
    }
}

/// Whether /etc/netns was missing when this process first looked: then
/// it removes the directory again once empty.
static ETC_NETNS_WAS_MISSING: OnceLock<bool> = OnceLock::new();

/// A namespace with an uplink; removed (with its resolver file and
/// the test's temporary directory) on drop.
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
        std::fs::create_dir_all(ns.temp_dir()).unwrap();

        run("ip", &["netns", "add", name]);
        let ip = |args: &[&str]| {
            let mut all = vec!["-n", name];
            all.extend_from_slice(args);
            run("ip", &all);
        };
        ip(&["link", "set", "lo", "up"]);
        // A veth pair stands in for the uplink (no dummy module here).
        ip(&[
            "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p",
        ]);
        for dev in ["uplink0", "uplink0p"] {
            // No link-local address: nothing changes behind the test's
            // back (DAD, its "tentative" flag going away).
            ip(&["link", "set", dev, "addrgenmode", "none"]);
            ip(&["link", "set", dev, "up"]);
        }
        ip(&["addr", "add", "198.51.100.2/24", "dev", "uplink0"]);
        ip(&[
            "-6",
            "addr",
            "add",
            "2001:db8:1::2/64",
            "dev",
            "uplink0",
            "nodad",
        ]);
        ip(&[
            "route", "add", "default", "via", UPLINK_GW4, "dev", "uplink0",
        ]);
        ip(&[
            "-6", "route", "add", "default", "via", UPLINK_GW6, "dev", "uplink0",
        ]);
        ns
    }

    fn temp_dir(&self) -> PathBuf {
        temp_dir_for(&self.name)
    }
}

fn temp_dir_for(ns: &str) -> PathBuf {
    std::env::temp_dir().join(ns)
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
        let _ = std::fs::remove_dir_all(self.temp_dir());
    }
}

/// What a test body gets.
struct Ctx {
    state_file: PathBuf,
}

impl Ctx {
    fn options(&self) -> ConfiguratorOptions {
        let mut options = ConfiguratorOptions::new(&self.state_file);
        // No systemd-resolved serves a test namespace; be explicit anyway.
        options.dns = DnsChoice::ResolvConf;
        options
    }
}

/// Runs `body` inside a fresh namespace: the test's first run sets the
/// namespace up and runs itself again in it; that second run (the one with
/// `INSIDE` set) executes the body on a tokio runtime.
fn netns_test<F, Fut>(test: &str, tag: &str, body: F)
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
    require_root();
    let ns = Namespace::create(&format!("swp{}{tag}", std::process::id()));
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(&exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, &ns.name)
        .env_remove(CRASH_PHASE)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the run inside namespace {} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        ns.name,
        out.status
    );
    // Shown with --nocapture.
    println!("--- inside {}:\n{stdout}{stderr}", ns.name);
    drop(ns);
}

// ---------------------------------------------------------------- inspection

fn ip_json(args: &[&str]) -> Value {
    let mut all = vec!["-j"];
    all.extend_from_slice(args);
    serde_json::from_str(&run("ip", &all)).unwrap()
}

/// Everything a tunnel may change, as text to compare.
fn snapshot() -> String {
    format!(
        "addr: {}\nroute4: {}\nroute6: {}\nlinks: {}\nresolv.conf: {:?}",
        run("ip", &["-j", "addr", "show"]),
        run("ip", &["-j", "-4", "route", "show", "table", "all"]),
        run("ip", &["-j", "-6", "route", "show", "table", "all"]),
        run("ip", &["-j", "link", "show"]),
        std::fs::read("/etc/resolv.conf").unwrap(),
    )
}

fn assert_same(before: &str, after: &str) {
    if before != after {
        let diff: Vec<String> = before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("before: {a}\nafter:  {b}"))
            .collect();
        panic!("the system was not restored:\n{}", diff.join("\n"));
    }
}

/// The main table's routes of one family, as (destination, gateway, dev).
fn routes(family: &str) -> Vec<(String, Option<String>, String)> {
    ip_json(&[family, "route", "show"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["dst"].as_str().unwrap().to_owned(),
                r["gateway"].as_str().map(str::to_owned),
                r["dev"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn has_route(family: &str, dst: &str, gateway: Option<&str>, dev: &str) -> bool {
    routes(family)
        .iter()
        .any(|(d, g, v)| d == dst && g.as_deref() == gateway && v == dev)
}

fn route_get_dev(destination: &str) -> String {
    let answer = ip_json(&["route", "get", destination]);
    answer[0]["dev"].as_str().unwrap().to_owned()
}

fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

fn full_config() -> NetworkConfig {
    let mut config = NetworkConfig::full_tunnel(1400);
    config.ipv4 = Some(prefix("192.0.2.10/24"));
    config.ipv6 = Some(prefix("2001:db8:10::10/64"));
    config.dns_servers = vec![addr("192.0.2.53"), addr("2001:db8:10::53")];
    config.search_domains = vec!["corp.example".into(), "example.net".into()];
    config.outer_peer = Some(addr(SC));
    config
}

// ---------------------------------------------------------------- packets

fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in bytes.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn icmp_echo_request(src: Ipv4Addr, dst: Ipv4Addr, id: u16) -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&1u16.to_be_bytes());
    icmp.extend_from_slice(b"softwire platform test");
    let c = checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());

    let total = (20 + icmp.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, 1, 0, 0]);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let c = checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&icmp);
    ip
}

/// Sends an echo request "from the tunnel" and reads packets until the
/// kernel's echo reply comes back; returns the IP versions of the other
/// packets (the kernel's own IPv6 traffic) read meanwhile.
async fn ping_through(reader: &mut DeviceReader, writer: &mut DeviceWriter) -> Vec<u8> {
    let peer = Ipv4Addr::new(192, 0, 2, 77);
    let me = Ipv4Addr::new(192, 0, 2, 10);
    let request = icmp_echo_request(peer, me, 0x5157);
    let mut batch = writer.batch();
    batch.push(&request);
    writer.write_batch(&mut batch).await.unwrap();
    assert!(batch.is_empty());
    let mut others = Vec::new();
    let mut packets = Packets::new();
    loop {
        tokio::time::timeout(Duration::from_secs(5), reader.read_packets(&mut packets))
            .await
            .expect("no echo reply within 5 s")
            .unwrap();
        let packet = packets.iter().next().unwrap().to_vec();
        let packet = &packet[..];
        if packet[0] >> 4 == 4
            && packet[9] == 1
            && packet[12..16] == me.octets()
            && packet[16..20] == peer.octets()
            && packet[20] == 0
        {
            assert_eq!(&packet[24..26], &0x5157u16.to_be_bytes(), "echo id");
            return others;
        }
        others.push(packet[0] >> 4);
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn device_comes_up_with_both_addresses_and_the_mtu() {
    netns_test(
        "device_comes_up_with_both_addresses_and_the_mtu",
        "dev",
        |ctx| async move {
            let mut config = full_config();
            config.routes = RouteMode::Split(vec![prefix("203.0.113.0/24")]);
            config.outer_peer = None;
            config.dns_servers.clear();
            let (mut configurator, device) = TunnelConfigurator::apply(&config, &ctx.options())
                .await
                .unwrap();
            let name = device.interface().name.clone();
            assert_eq!(name, "swtun0", "the first device of the namespace");
            assert_eq!(device.mtu(), 1400);

            let link = &ip_json(&["addr", "show", "dev", &name])[0];
            assert_eq!(link["mtu"], 1400);
            let flags: Vec<&str> = link["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            assert!(flags.contains(&"UP"), "{flags:?}");
            let addrs = link["addr_info"].as_array().unwrap();
            let v4 = addrs
                .iter()
                .find(|a| a["local"] == "192.0.2.10")
                .expect("the IPv4 address");
            assert_eq!(v4["prefixlen"], 24);
            let v6 = addrs
                .iter()
                .find(|a| a["local"] == "2001:db8:10::10")
                .expect("the IPv6 address");
            assert_eq!(v6["prefixlen"], 64);
            assert_eq!(v6["nodad"], true, "{v6}");
            assert!(v6.get("tentative").is_none(), "usable at once: {v6}");

            // A packet round trip through the device.
            let (mut reader, mut writer) = device.split().unwrap();
            let started = std::time::Instant::now();
            let others = ping_through(&mut reader, &mut writer).await;
            println!("other packets read before the echo reply (IP versions): {others:?}");

            // The kernel's own IPv6 traffic (MLD reports, router
            // solicitations) reaches the reader unfiltered.
            let mut packets = Packets::new();
            let mut saw_v6 = others.contains(&6);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
            while !saw_v6 {
                match tokio::time::timeout_at(deadline, reader.read_packets(&mut packets)).await {
                    Ok(Ok(_)) => {
                        saw_v6 = packets.iter().any(|p| p.first().map(|b| b >> 4) == Some(6))
                    }
                    Ok(Err(e)) => panic!("read failed: {e}"),
                    Err(_) => break,
                }
            }
            assert!(saw_v6, "no IPv6 packet from the kernel within 6 s");
            println!(
                "an IPv6 packet from the kernel after {:?}",
                started.elapsed()
            );

            drop((reader, writer));
            configurator.undo().await.unwrap();
            assert!(!link_exists(&name));
        },
    );
}

#[test]
fn full_tunnel_keeps_the_sc_outside_and_undo_restores_everything() {
    netns_test(
        "full_tunnel_keeps_the_sc_outside_and_undo_restores_everything",
        "full",
        |ctx| async move {
            let before = snapshot();
            let config = full_config();
            let (mut configurator, device) = TunnelConfigurator::apply(&config, &ctx.options())
                .await
                .unwrap();
            let tun = device.interface().name.clone();

            // Half routes for both families, the defaults untouched.
            assert!(has_route("-4", "0.0.0.0/1", None, &tun));
            assert!(has_route("-4", "128.0.0.0/1", None, &tun));
            assert!(has_route("-4", "default", Some(UPLINK_GW4), "uplink0"));
            assert!(has_route("-6", "::/1", None, &tun));
            assert!(has_route("-6", "8000::/1", None, &tun));
            assert!(has_route("-6", "default", Some(UPLINK_GW6), "uplink0"));
            // The SC stays reachable through the original gateway.
            assert!(
                has_route("-4", SC, Some(UPLINK_GW4), "uplink0"),
                "{:?}",
                routes("-4")
            );
            assert_eq!(route_get_dev(SC), "uplink0");
            assert_eq!(route_get_dev("203.0.113.99"), tun);
            assert_eq!(route_get_dev("2001:db8:99::1"), tun);
            // The uplink's own subnet is more specific than a half route.
            assert_eq!(route_get_dev("198.51.100.200"), "uplink0");

            // DNS: the namespace's resolver file, rewritten in place.
            let resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap();
            assert!(resolv.starts_with("# Written by Softwire"), "{resolv}");
            assert!(resolv.contains("\nnameserver 192.0.2.53\nnameserver 2001:db8:10::53\n"));
            assert!(resolv.contains("\nsearch corp.example example.net\n"));
            assert!(resolv.contains("\noptions ndots:2 edns0\n"));
            assert!(!resolv.contains("198.51.100.53"));

            // The journal lists every change, in order.
            let state = read_state(&ctx.state_file).unwrap().unwrap();
            let kinds: Vec<String> = state.changes.iter().map(ToString::to_string).collect();
            assert_eq!(
                kinds,
                [
                    format!("packet device {tun}"),
                    format!("address 192.0.2.10/24 on {tun}"),
                    format!("address 2001:db8:10::10/64 on {tun}"),
                    format!("route {SC}/32 via {UPLINK_GW4} dev uplink0"),
                    format!("route 0.0.0.0/1 dev {tun}"),
                    format!("route 128.0.0.0/1 dev {tun}"),
                    format!("route ::/1 dev {tun}"),
                    format!("route 8000::/1 dev {tun}"),
                    "DNS settings in /etc/resolv.conf".to_owned(),
                ]
            );
            assert_eq!(state.pid, std::process::id());
            match &state.changes[8] {
                Change::ResolvConf { edit } => {
                    assert_eq!(edit.original, LAB_RESOLV_CONF.as_bytes());
                }
                other => panic!("{other:?}"),
            }

            // Undo with the device still open and read: every change is
            // reverted (last first), the device removed from under its
            // handle, and the blocked reader gets an error.
            let (mut reader, writer) = device.split().unwrap();
            let reading = tokio::spawn(async move {
                let mut packets = Packets::new();
                loop {
                    if let Err(e) = reader.read_packets(&mut packets).await {
                        return e;
                    }
                }
            });
            let report = configurator.undo().await.unwrap();
            println!("{report:#?}");
            let mut reverse = kinds.clone();
            reverse.reverse();
            assert_eq!(report.undone, reverse);
            assert!(!link_exists(&tun));
            let read_error = tokio::time::timeout(Duration::from_secs(5), reading)
                .await
                .expect("the reader still blocks after the device was removed")
                .unwrap();
            println!("the reader's error once the device is gone: {read_error}");
            drop(writer);
            assert_same(&before, &snapshot());
            assert_eq!(
                std::fs::read("/etc/resolv.conf").unwrap(),
                LAB_RESOLV_CONF.as_bytes()
            );
            assert!(!ctx.state_file.exists());
            // Idempotent.
            assert!(configurator.undo().await.unwrap().is_empty());
            drop(configurator);
            assert_same(&before, &snapshot());
        },
    );
}

#[test]
fn split_tunnel_routes_only_its_prefixes_and_drop_undoes() {
    netns_test(
        "split_tunnel_routes_only_its_prefixes_and_drop_undoes",
        "split",
        |ctx| async move {
            let before = snapshot();
            let mut config = full_config();
            config.routes = RouteMode::Split(vec![
                prefix("203.0.113.0/24"),
                // Host bits are cleared.
                prefix("2001:db8:20::1/48"),
            ]);
            // An IPv6 SC this time, inside a split prefix.
            config.outer_peer = Some(addr(SC6));
            let (configurator, device) = TunnelConfigurator::apply(&config, &ctx.options())
                .await
                .unwrap();
            let tun = device.interface().name.clone();
            assert!(has_route("-4", "203.0.113.0/24", None, &tun));
            assert!(has_route("-6", "2001:db8:20::/48", None, &tun));
            assert!(!has_route("-4", "0.0.0.0/1", None, &tun));
            assert!(!has_route("-6", "::/1", None, &tun));
            // The SC lies inside a split prefix: it keeps its host route.
            assert!(
                has_route("-6", SC6, Some(UPLINK_GW6), "uplink0"),
                "{:?}",
                routes("-6")
            );
            assert_eq!(route_get_dev(SC6), "uplink0");
            assert_eq!(route_get_dev(SC), tun);
            assert_eq!(route_get_dev("203.0.113.99"), tun);
            assert_eq!(route_get_dev("2001:db8:20::5"), tun);
            assert_eq!(route_get_dev("192.0.2.200"), tun);
            // Everything else keeps using the uplink.
            assert_eq!(route_get_dev("2001:db8:99::1"), "uplink0");
            assert_eq!(route_get_dev("198.51.100.99"), "uplink0");

            // Dropping the configurator undoes everything.
            drop(device);
            drop(configurator);
            assert_same(&before, &snapshot());
            assert!(!ctx.state_file.exists());
        },
    );
}

#[test]
fn split_tunnel_outside_the_sc_needs_no_host_route() {
    netns_test(
        "split_tunnel_outside_the_sc_needs_no_host_route",
        "nohost",
        |ctx| async move {
            let before = snapshot();
            let mut config = full_config();
            config.routes = RouteMode::Split(vec![prefix("198.51.100.128/25")]);
            let (mut configurator, device) = TunnelConfigurator::apply(&config, &ctx.options())
                .await
                .unwrap();
            let tun = device.interface().name.clone();
            assert!(has_route("-4", "198.51.100.128/25", None, &tun));
            assert!(!routes("-4").iter().any(|(d, _, _)| d == SC));
            assert_eq!(route_get_dev("198.51.100.200"), tun);
            drop(device);
            configurator.undo().await.unwrap();
            assert_same(&before, &snapshot());
        },
    );
}

#[test]
fn recover_undoes_what_a_crashed_run_left() {
    netns_test(
        "recover_undoes_what_a_crashed_run_left",
        "crash",
        |ctx| async move {
            if std::env::var(CRASH_PHASE).is_ok() {
                // The "crashing" run: apply, then die without undoing.
                let (_configurator, _device) =
                    TunnelConfigurator::apply(&full_config(), &ctx.options())
                        .await
                        .unwrap();
                std::process::exit(0);
            }
            let before = snapshot();
            let exe = std::env::current_exe().unwrap();
            let status = Command::new(exe)
                .args([
                    "recover_undoes_what_a_crashed_run_left",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CRASH_PHASE, "1")
                .status()
                .unwrap();
            assert!(status.success());

            // What the dead run left: the journal, the SC's host route,
            // the resolver file. Its device died with it, taking the
            // addresses and the tunnel's routes along.
            let state = read_state(&ctx.state_file).unwrap().expect("a state file");
            assert_ne!(state.pid, std::process::id());
            assert_eq!(state.changes.len(), 9);
            assert!(!link_exists("swtun0"));
            assert!(has_route("-4", SC, Some(UPLINK_GW4), "uplink0"));
            assert!(std::fs::read_to_string("/etc/resolv.conf")
                .unwrap()
                .starts_with("# Written by Softwire"));

            // A new run is refused until recovery.
            let refused = TunnelConfigurator::apply(&full_config(), &ctx.options()).await;
            assert!(
                matches!(refused, Err(TunnelError::StateExists { .. })),
                "{refused:?}"
            );
            assert!(!link_exists("swtun0"));

            let report = recover(&ctx.state_file).await.unwrap();
            println!("{report:#?}");
            assert_eq!(
                report.undone,
                [
                    "DNS settings in /etc/resolv.conf".to_owned(),
                    format!("route {SC}/32 via {UPLINK_GW4} dev uplink0"),
                ]
            );
            assert_eq!(report.already_gone.len(), 7);
            assert_same(&before, &snapshot());
            assert!(!ctx.state_file.exists());
            assert!(recover(&ctx.state_file).await.unwrap().is_empty());

            // And now a new run works.
            let (mut configurator, device) =
                TunnelConfigurator::apply(&full_config(), &ctx.options())
                    .await
                    .unwrap();
            drop(device);
            configurator.undo().await.unwrap();
            assert_same(&before, &snapshot());
        },
    );
}

#[test]
fn recover_removes_a_device_that_outlived_its_run() {
    netns_test(
        "recover_removes_a_device_that_outlived_its_run",
        "orphan",
        |ctx| async move {
            let before = snapshot();
            let (configurator, device) = TunnelConfigurator::apply(&full_config(), &ctx.options())
                .await
                .unwrap();
            let tun = device.interface().name.clone();
            // The run "dies" without undoing, yet its device stays open.
            std::mem::forget(configurator);
            assert!(link_exists(&tun));

            let report = recover(&ctx.state_file).await.unwrap();
            assert_eq!(report.undone.len(), 9, "{report:#?}");
            assert!(report.undone.contains(&format!("packet device {tun}")));
            assert!(!link_exists(&tun));
            drop(device);
            assert_same(&before, &snapshot());
        },
    );
}

#[test]
fn a_failing_step_undoes_the_steps_before_it() {
    netns_test(
        "a_failing_step_undoes_the_steps_before_it",
        "fail",
        |ctx| async move {
            let before = snapshot();
            let mut options = ctx.options();
            options.resolv_conf = PathBuf::from("/nonexistent/resolv.conf");
            let err = TunnelConfigurator::apply(&full_config(), &options)
                .await
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with("could not read /nonexistent/resolv.conf: No such file"),
                "{text}"
            );
            assert_same(&before, &snapshot());
            assert!(!ctx.state_file.exists());

            // A route the kernel refuses names the route and the reason.
            let mut config = full_config();
            config.dns_servers.clear();
            config.routes = RouteMode::Split(vec![prefix("2001:db8:30::/48")]);
            config.ipv6 = None;
            run("sysctl", &["-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
            let err = TunnelConfigurator::apply(&config, &ctx.options())
                .await
                .unwrap_err();
            run("sysctl", &["-qw", "net.ipv6.conf.default.disable_ipv6=0"]);
            let text = err.to_string();
            println!("{text}");
            assert!(
                text.starts_with("could not add route 2001:db8:30::/48 dev swtun0: "),
                "{text}"
            );
            let after = snapshot();
            assert_same(&before, &after);
            assert!(!ctx.state_file.exists());
        },
    );
}
