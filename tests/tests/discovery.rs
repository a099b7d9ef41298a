//! SC discovery against the lab's real dnsmasq on the hotspot LAN: a
//! profile that only says `address = "discover"` finds the SC through the
//! search domain DNS hands out, through a DHCP option with DNS off, and
//! through the DHCPv6 AFTR-Name on an IPv6 hotspot; a rogue SC found first
//! is refused before any secret reaches it; sources that answer garbage
//! (from the lab-junk tool) or nothing are given up on in bounded time,
//! the next source is used, and the error says what was tried.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use softwire_lab::client::Client;
use softwire_lab::lab::Lab;
use softwire_lab::session::{connect_eap, eap_profile, parsed_requests, site_answers, status};

fn lab(env: &[(&str, &str)]) -> Lab {
    Lab::up_with(env).unwrap()
}

/// The junk server the `junk` scenarios start.
const JUNK: &str = env!("CARGO_BIN_EXE_lab-junk");

/// `lab.sh discovery ARGS...`, then its `env`.
fn discovery(lab: &Lab, args: &[&str]) -> HashMap<String, String> {
    let mut all = vec!["discovery"];
    all.extend_from_slice(args);
    let out = lab
        .command(&all)
        .env("LAB_JUNK_BIN", JUNK)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "discovery {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = lab.command(&["discovery", "env"]).output().unwrap();
    String::from_utf8_lossy(&env.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn discover_profile(lab: &Lab, extra: &str) -> PathBuf {
    eap_profile(lab, "discover", extra)
}

/// Connects with the "discover" profile and checks how the SC was found.
fn connects_via(lab: &Lab, extra: &str, via: &str) -> Client {
    let profile = discover_profile(lab, extra);
    let (mut client, state) = connect_eap(lab, &profile);
    let found = client
        .output
        .iter()
        .find(|l| l.contains("found:"))
        .cloned()
        .unwrap_or_else(|| {
            client
                .wait_for("found:", Duration::from_secs(2))
                .unwrap_or_default()
        });
    assert!(found.contains(via), "{found}\n{}", client.output.join("\n"));
    let s = status(&state);
    assert_eq!(s["sc_found_via"], via, "{s}");
    assert_eq!(s["sc_identity"], lab.get("LAB_SC_ID"), "{s}");
    assert!(site_answers(lab), "no traffic through the tunnel");
    client
}

#[test]
fn discover_alone_finds_the_sc_in_the_search_domain_dhcp_hands_out() {
    let lab = lab(&[]);
    let env = discovery(&lab, &["dns"]);
    let via = format!(
        "via DNS {}.{} (A)",
        env["LAB_DISC_LABEL"], env["LAB_DISC_DOMAIN"]
    );
    let mut client = connects_via(&lab, "", &via);
    client.signal("INT");
    assert!(client.wait_exit(Duration::from_secs(10)).unwrap().success());
}

#[test]
fn a_dhcp_option_alone_finds_the_sc_with_dns_off() {
    let lab = lab(&[]);
    let env = discovery(&lab, &["dhcp"]);
    let via = format!(
        "via DHCP option {} on {}",
        env["LAB_DISC_OPTION"], env["LAB_DISC_IFACE"]
    );
    let mut client = connects_via(&lab, "", &via);
    // DNS was asked too, and said nothing useful: the client says so.
    assert!(
        client
            .output
            .iter()
            .any(|l| l.contains("finding the SC: DNS softwire.")),
        "{}",
        client.output.join("\n")
    );
    client.signal("INT");
    assert!(client.wait_exit(Duration::from_secs(10)).unwrap().success());
}

#[test]
fn the_aftr_name_finds_the_sc_on_an_ipv6_hotspot() {
    let lab = lab(&[("LAB_OUTER", "ipv6")]);
    let env = discovery(&lab, &["aftr"]);
    let via = format!(
        "via DHCPv6 AFTR-Name {} on {}",
        lab.get("LAB_SC_ID"),
        env["LAB_DISC_IFACE"]
    );
    let mut client = connects_via(&lab, "[sc.discovery]\nsources = [\"dhcpv6\"]\n", &via);
    client.signal("INT");
    assert!(client.wait_exit(Duration::from_secs(10)).unwrap().success());
}

#[test]
fn a_rogue_found_first_is_refused_before_any_secret_and_the_next_one_wins() {
    let lab = lab(&[("LAB_ROGUES", "1")]);
    let rogues: HashMap<String, String> =
        String::from_utf8_lossy(&lab.run(&["rogues", "env"]).unwrap().stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    let env = discovery(&lab, &["rogue"]);
    let rogue = &env["LAB_DISC_ROGUE_ADDR"];
    let mut client = connects_via(&lab, "", "via DNS softwire.corp.example.net (A)");
    // The rogue was tried first, refused with both identities named.
    let refused = client
        .output
        .iter()
        .find(|l| l.contains("refused"))
        .cloned()
        .unwrap_or_default();
    assert!(
        refused.contains(rogue.as_str())
            && refused.contains("softwire.hotspot.example.net")
            && refused.contains("rogue.example.net"),
        "{}",
        client.output.join("\n")
    );
    client.signal("INT");
    assert!(client.wait_exit(Duration::from_secs(10)).unwrap().success());
    // The rogue's own log: our identities and a DELETE at most; no EAP
    // response, no AUTH.
    let log = std::fs::read_to_string(&rogues["LAB_ROGUE_IDENTITY_LOG"]).unwrap();
    let requests = parsed_requests(&log);
    assert!(
        requests.iter().filter(|l| l.contains("IKE_AUTH")).count() <= 1,
        "{requests:#?}"
    );
    for line in &requests {
        assert!(!line.contains("EAP/RES"), "{line}");
        assert!(!line.contains(" AUTH "), "{line}");
    }
    assert!(!log.contains("with EAP successful"));
}

/// Runs a "discover" connect that must fail; returns its output and how
/// long it took.
fn fails_in_bounded_time(lab: &Lab, extra: &str) -> (String, Duration) {
    let profile = discover_profile(lab, extra);
    let state = lab.dir.join("client-state");
    let started = Instant::now();
    let mut client = Client::connect(
        lab,
        &profile,
        Some(lab.get("LAB_EAP_PASSWORD_FILE")),
        &state,
    )
    .unwrap();
    let exit = client.wait_exit(Duration::from_secs(30)).unwrap();
    let took = started.elapsed();
    let output = client.output.join("\n");
    assert!(!exit.success(), "{output}");
    assert!(!output.contains("panicked"), "{output}");
    (output, took)
}

#[test]
fn silent_sources_end_in_bounded_time_and_the_error_says_what_was_tried() {
    let lab = lab(&[]);
    // Nothing answers at all (no ICMP either): every source times out.
    discovery(&lab, &["silent"]);
    let (output, took) = fails_in_bounded_time(&lab, "");
    assert!(took < Duration::from_secs(12), "{took:?}\n{output}");
    for named in [
        "found no SC",
        "DNS softwire.<search domains>: softwire.hotspot.example.net: no usable answer: 192.0.2.1",
        "DHCP option 224 on eth0: no answer in 3 s",
        "DHCPv6 AFTR-Name on eth0: eth0 has no IPv6 link-local address",
    ] {
        assert!(output.contains(named), "{named:?} missing:\n{output}");
    }
}

#[test]
fn garbage_from_the_dhcp_server_is_given_up_on_and_dns_still_finds_the_sc() {
    let lab = lab(&[]);
    for mode in [
        "random",
        "truncated",
        "wrong-id",
        "bad-option",
        "bad-magic",
        "nak",
        "flood",
    ] {
        discovery(&lab, &["junk", "dhcp4", mode]);
        // DHCP alone: refused answers, counted, the last reason given.
        let (output, took) =
            fails_in_bounded_time(&lab, "[sc.discovery]\nsources = [\"dhcpv4\"]\n");
        assert!(took < Duration::from_secs(8), "{mode}: {took:?}\n{output}");
        assert!(
            output.contains("DHCP option 224 on eth0: no usable answer in 3 s: ")
                && output.contains(" refused (last: "),
            "{mode}:\n{output}"
        );
        assert!(
            !output.contains("198.51.100.99"),
            "{mode}: believed junk\n{output}"
        );
    }
    // With every source, DNS finds the SC despite DHCP's garbage.
    let mut client = connects_via(&lab, "", "via DNS softwire.hotspot.example.net (A)");
    assert!(!client.output.iter().any(|l| l.contains("198.51.100.99")));
    client.signal("INT");
    assert!(client.wait_exit(Duration::from_secs(10)).unwrap().success());
}

#[test]
fn garbage_from_the_dns_server_is_given_up_on_and_dhcp_still_finds_the_sc() {
    let lab = lab(&[]);
    for mode in [
        "random",
        "truncated",
        "wrong-id",
        "bad-rdata",
        "pointer-loop",
        "flood",
    ] {
        let env = discovery(&lab, &["junk", "dns", mode]);
        let via = format!(
            "via DHCP option {} on {}",
            env["LAB_DISC_OPTION"], env["LAB_DISC_IFACE"]
        );
        let started = Instant::now();
        let mut client = connects_via(&lab, "", &via);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{mode}: {:?}",
            started.elapsed()
        );
        assert!(!client.output.iter().any(|l| l.contains("198.51.100.99")));
        client.signal("INT");
        assert!(client.wait_exit(Duration::from_secs(10)).unwrap().success());
    }
}
