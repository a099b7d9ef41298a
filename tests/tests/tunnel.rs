//! The first real tunnel: `softwire connect` in the hotspot namespace, ESP
//! over UDP through the NAT to the lab's strongSwan, traffic to the site
//! over inner IPv4 and IPv6, and nothing left behind afterwards.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::Duration;

use softwire_lab::client::{softwire_binary, Client};
use softwire_lab::lab::Lab;
use softwire_lab::pcap::udp_datagrams;
use softwire_lab::session::{connect_eap, eap_profile, sas_on_sc};

fn snapshot(lab: &Lab) -> String {
    lab.snapshot("hotspot").unwrap()
}

fn hotspot_ok(lab: &Lab, program: &str, args: &[&str]) -> String {
    let out = lab.exec("hotspot", program, args).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// iperf3 through the tunnel for two seconds; returns Mbit/s received.
fn iperf(lab: &Lab, target: &str, v6: bool) -> f64 {
    let mut args = vec!["-c", target, "-t", "2", "-J"];
    if v6 {
        args.insert(0, "-6");
    }
    let json = hotspot_ok(lab, "iperf3", &args);
    let marker = "\"sum_received\":";
    let after = &json[json.find(marker).expect("iperf3 JSON has sum_received") + marker.len()..];
    let bps = after
        .split("\"bits_per_second\":")
        .nth(1)
        .and_then(|s| s.split([',', '\n', '}']).next())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .expect("bits_per_second");
    bps / 1e6
}

/// Pings `target` from the hotspot (through the tunnel) `count` times,
/// 0.2 s apart; fails the test on any loss.
fn ping_site(lab: &Lab, target: &str, count: &str, v6: bool) {
    let mut args = vec!["-c", count, "-i", "0.2", "-W", "2", target];
    if v6 {
        args.insert(0, "-6");
    }
    hotspot_ok(lab, "ping", &args);
}

#[test]
fn eap_tunnel_carries_ipv4_and_ipv6_and_leaves_nothing_behind() {
    let lab = Lab::up().unwrap();
    let before = snapshot(&lab);
    let mut capture = lab.command(&["capture", "start", "sc", "eth0", "wire"]);
    capture.env("CAPTURE_FILTER", "");
    assert!(capture.status().unwrap().success());

    let state = lab.dir.join("client-state");
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let mut client = Client::connect(
        &lab,
        &profile,
        Some(lab.get("LAB_EAP_PASSWORD_FILE")),
        &state,
    )
    .unwrap();
    let connected = client
        .wait_for("Connected in", Duration::from_secs(15))
        .unwrap();
    println!("{connected}");

    // ICMP over inner IPv4 and IPv6.
    ping_site(&lab, lab.get("LAB_SITE_ADDR4"), "3", false);
    ping_site(&lab, lab.get("LAB_SITE_ADDR6"), "3", true);
    // TCP over both.
    let v4 = iperf(&lab, lab.get("LAB_SITE_ADDR4"), false);
    let v6 = iperf(&lab, lab.get("LAB_SITE_ADDR6"), true);
    println!("iperf3 through the tunnel: IPv4 {v4:.0} Mbit/s, IPv6 {v6:.0} Mbit/s");
    assert!(v4 > 1.0 && v6 > 1.0);

    // Status while up.
    let status = std::process::Command::new(softwire_binary())
        .args(["status", "--state-dir", state.to_str().unwrap()])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        status.contains("Lab: up") && status.contains("inner IPv6: 2001:db8:cafe::"),
        "{status}"
    );
    assert!(status.contains("packets-in"), "{status}");
    let sas = sas_on_sc(&lab);
    assert!(
        sas.contains(lab.get("LAB_EAP_ID")) && sas.contains("INSTALLED"),
        "{sas}"
    );

    // Ctrl-C: DELETE sent, everything undone.
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(15)).unwrap();
    assert!(exit.success(), "{}", client.output.join("\n"));
    assert!(
        client
            .output
            .iter()
            .any(|l| l.starts_with("Disconnected after")),
        "{}",
        client.output.join("\n")
    );
    assert_eq!(snapshot(&lab), before, "the hotspot's network changed");
    assert!(!sas_on_sc(&lab).contains(lab.get("LAB_EAP_ID")));

    // Between the NAT and the SC: only UDP 500 and 4500.
    lab.run(&["capture", "stop", "wire"]).unwrap();
    let file = std::fs::read(lab.dir.join("captures/wire.pcap")).unwrap();
    let (datagrams, skipped) = udp_datagrams(&file).unwrap();
    assert!(datagrams.len() > 100, "only {} datagrams", datagrams.len());
    for d in &datagrams {
        let ports = [d.source.port(), d.destination.port()];
        assert!(
            ports.iter().any(|p| *p == 500 || *p == 4500),
            "a datagram outside IKE/ESP: {} -> {}",
            d.source,
            d.destination
        );
    }
    assert_eq!(skipped.fragments, 0);
    for kind in &skipped.other_kinds {
        assert!(
            kind == "arp" || kind.starts_with("icmpv6-"),
            "non-UDP traffic on the wire: {kind}"
        );
    }
}

#[test]
fn sigterm_after_the_sc_died_still_leaves_nothing_behind() {
    let lab = Lab::up().unwrap();
    let before = snapshot(&lab);
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let (mut client, _state) = connect_eap(&lab, &profile);
    ping_site(&lab, lab.get("LAB_SITE_ADDR4"), "1", false);
    // The SC dies without a word.
    let charon = lab.get("LAB_CHARON_PID").to_owned();
    assert!(std::process::Command::new("kill")
        .args(["-KILL", &charon])
        .status()
        .unwrap()
        .success());
    client.signal("TERM");
    let exit = client.wait_exit(Duration::from_secs(15)).unwrap();
    assert!(exit.success(), "{}", client.output.join("\n"));
    assert_eq!(snapshot(&lab), before, "the hotspot's network changed");
}

#[test]
fn ipv4_in_ipv6_over_an_ipv6_only_outer_path() {
    let lab = Lab::up_with(&[("LAB_OUTER", "ipv6")]).unwrap();
    let before = snapshot(&lab);
    let state = lab.dir.join("client-state");
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR6"), "");
    let mut client = Client::connect(
        &lab,
        &profile,
        Some(lab.get("LAB_EAP_PASSWORD_FILE")),
        &state,
    )
    .unwrap();
    let line = client.wait_for("SC:", Duration::from_secs(15)).unwrap();
    assert!(line.contains("[2001:db8:"), "{line}");
    client
        .wait_for("Press Ctrl-C", Duration::from_secs(5))
        .unwrap();
    // Inner IPv4 inside outer IPv6.
    ping_site(&lab, lab.get("LAB_SITE_ADDR4"), "3", false);
    ping_site(&lab, lab.get("LAB_SITE_ADDR6"), "2", true);
    client.signal("INT");
    assert!(client.wait_exit(Duration::from_secs(15)).unwrap().success());
    assert_eq!(snapshot(&lab), before);
}

#[test]
fn a_killed_client_is_cleaned_up_by_the_next_start() {
    let lab = Lab::up().unwrap();
    let before = snapshot(&lab);
    let state = lab.dir.join("client-state");
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let secret = Some(lab.get("LAB_EAP_PASSWORD_FILE"));
    let mut client = Client::connect(&lab, &profile, secret, &state).unwrap();
    client
        .wait_for("Press Ctrl-C", Duration::from_secs(15))
        .unwrap();
    // A crash: no DELETE, no undo.
    client.signal("KILL");
    client.wait_exit(Duration::from_secs(5)).unwrap();
    let crashed = snapshot(&lab);
    assert_ne!(
        crashed, before,
        "the crashed client left nothing to clean up?"
    );
    assert!(crashed.contains("swtun"), "{crashed}");
    // The next start undoes the recorded changes first, then connects.
    let mut again = Client::connect(&lab, &profile, secret, &state).unwrap();
    again
        .wait_for("Press Ctrl-C", Duration::from_secs(15))
        .unwrap();
    ping_site(&lab, lab.get("LAB_SITE_ADDR4"), "2", false);
    again.signal("INT");
    assert!(again.wait_exit(Duration::from_secs(15)).unwrap().success());
    assert_eq!(
        snapshot(&lab),
        before,
        "leftovers of the crashed run remain"
    );
}
