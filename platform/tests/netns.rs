//! The platform shims against the real kernel, each test in a network
//! namespace of its own.
//!
//! The namespace harness (an uplink, a resolver file of its own, the body
//! run again inside, everything removed afterwards) is in
//! `support/mod.rs`, shared with the roaming tests.
//!
//! Needs root (namespaces, TUN, routes): without it every test fails
//! saying so. Only documentation addresses are used.

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

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use softwire_platform::device::{DeviceReader, DeviceWriter};
use softwire_platform::journal::{read_state, Change};
use softwire_platform::offload::Packets;
use softwire_platform::{
    recover, IpPrefix, NetworkConfig, RouteMode, TunnelConfigurator, TunnelError,
};
use support::{
    has_route, ip_json, link_exists, netns_test, route_get_dev, routes, run, CRASH_PHASE,
    LAB_RESOLV_CONF, UPLINK_GW4, UPLINK_GW6,
};

const SC: &str = "203.0.113.1";
const SC6: &str = "2001:db8:20::1";

fn prefix(s: &str) -> IpPrefix {
    s.parse().unwrap()
}

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

// ---------------------------------------------------------------- inspection

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
