//! Roaming under load, against strongSwan's own client in the same lab:
//! an iperf3 TCP upload through the tunnel and a ping every 10 ms, while
//! the hotspot's address changes (a DHCP renumbering, which also flushes
//! the hotspot's routes) and then the NAT's public address changes (a
//! rebinding only the SC can see). The tunnel survives both by MOBIKE
//! (RFC 4555), the TCP flow lives on, and each event's traffic gap is
//! printed next to strongSwan's. Without MOBIKE at the SC, the client
//! reconnects at once instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::Duration;

use softwire_lab::lab::Lab;
use softwire_lab::roam::{self, Event, RoamRun};
use softwire_lab::session::{
    child_sa_count, connect_eap, eap_profile, sas_on_sc, settle_to_no_leftovers, status,
};
use softwire_lab::traffic::Gap;

const LOCAL: &str = "hotspot address change";
const REBIND: &str = "NAT rebinding";
/// The upload, and how long after the last event a side may take to
/// come back (strongSwan needs its 30 s liveness check to see a
/// rebinding).
const IPERF_SECONDS: u32 = 25;
const RECOVER_WITHIN: Duration = Duration::from_secs(45);
/// Our client's liveness interval by default
/// (`softwire_core::ike::initiator::DEFAULT_DPD_INTERVAL`): strongSwan's
/// client gets the same `dpd_delay`, which is what lets it notice
/// a rebinding it cannot see.
const SW_CLIENT_DPD: &str = "30s";
/// How much longer than strongSwan our client may take to follow a
/// rebinding. strongSwan notices one only by its liveness check (30 s after
/// the last packet from the SC, the same interval as ours) and follows it
/// in two round trips of a millisecond here; a second covers timer and
/// scheduling slack on a loaded machine, and the ping's own spacing.
const REBIND_TOLERANCE_S: f64 = 1.0;

fn events(hotspot: &str, nat: &str) -> Vec<Event> {
    vec![
        Event::new(LOCAL, 5, &["hotspot-readdress", hotspot]),
        Event::new(REBIND, 14, &["nat-readdress", nat]),
    ]
}

fn show(gap: Option<Gap>) -> String {
    gap.map_or_else(|| "no data".to_owned(), |g| g.to_string())
}

/// strongSwan's client (connection `eap`, full tunnel) through both events.
fn strongswan_run(lab: &Lab) -> RoamRun {
    let up = lab
        .command(&["sw-client", "up"])
        .env("SW_CLIENT_DPD", SW_CLIENT_DPD)
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    lab.run(&["sw-client", "initiate", "eap"]).unwrap();
    let run = roam::run(
        lab,
        &events("192.0.2.101", "198.51.100.11"),
        IPERF_SECONDS,
        RECOVER_WITHIN,
    )
    .unwrap();
    print!("{}", run.report("strongSwan"));
    lab.run(&["sw-client", "down"]).unwrap();
    run
}

/// Back to the addresses `up` gave, the SC without SAs and a fresh iperf3
/// server, so our client starts where strongSwan's did.
fn restore(lab: &Lab) {
    lab.run(&["hotspot-readdress", "192.0.2.100"]).unwrap();
    lab.run(&["nat-readdress", "198.51.100.10"]).unwrap();
    lab.run(&["site-services", "up"]).unwrap();
    for _ in 0..50 {
        if !sas_on_sc(lab).contains("ESTABLISHED") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "strongSwan's client left SAs on the SC:\n{}",
        sas_on_sc(lab)
    );
}

#[test]
fn the_tunnel_and_a_tcp_flow_survive_an_address_change_and_a_nat_rebinding() {
    let lab = Lab::up().unwrap();
    let theirs = strongswan_run(&lab);
    restore(&lab);

    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let (mut client, state) = connect_eap(&lab, &profile);
    let ours = roam::run(
        &lab,
        &events("192.0.2.102", "198.51.100.12"),
        IPERF_SECONDS,
        RECOVER_WITHIN,
    )
    .unwrap();
    print!("{}", ours.report("Softwire"));
    let status = status(&state);
    println!(
        "Softwire status: reconnects {}, moves {}",
        status["reconnects"], status["moves"]
    );
    println!("| | Softwire | strongSwan |");
    println!("| --- | --- | --- |");
    for name in [LOCAL, REBIND] {
        println!(
            "| gap after the {name} | {} | {} |",
            show(ours.gap(name)),
            show(theirs.gap(name))
        );
    }
    println!(
        "| TCP flow survived both (iperf3 completed) | {} | {} |",
        ours.tcp_survived(),
        theirs.tcp_survived()
    );
    println!(
        "| site received after the last outage, within the {IPERF_SECONDS} s upload | {} B | {} B |",
        ours.received_after_events(),
        theirs.received_after_events()
    );

    let sas = settle_to_no_leftovers(&lab);
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10));
    println!("{}", client.output.join("\n"));

    assert!(ours.tcp_survived(), "the TCP flow did not survive");
    assert!(
        ours.received_after_events() > 0,
        "no data reached the site after the rebinding"
    );
    let local = ours.gap(LOCAL).expect("a gap for the address change");
    assert!(
        local.recovered && local.seconds < 1.0,
        "address change: gap {local}"
    );
    let rebind = ours.gap(REBIND).expect("a gap for the rebinding");
    let limit = theirs.gap(REBIND).map_or(f64::INFINITY, |g| g.seconds) + REBIND_TOLERANCE_S;
    assert!(
        rebind.recovered && rebind.seconds <= limit,
        "rebinding: gap {rebind}, strongSwan {}",
        show(theirs.gap(REBIND))
    );
    assert_eq!(
        status["reconnects"], 0,
        "survived by reconnecting, not MOBIKE"
    );
    assert!(
        status["moves"].as_u64().is_some_and(|m| m >= 2),
        "MOBIKE path updates: {}",
        status["moves"]
    );
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    assert_eq!(child_sa_count(&sas), 1, "{sas}");
    assert!(exit.unwrap().success());
}

#[test]
fn without_mobike_at_the_sc_an_address_change_reconnects_at_once() {
    let lab = Lab::up_with(&[("LAB_SC_MOBIKE", "0")]).unwrap();
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let (mut client, state) = connect_eap(&lab, &profile);
    let run = roam::run(
        &lab,
        &[Event::new(LOCAL, 3, &["hotspot-readdress", "192.0.2.101"])],
        10,
        Duration::from_secs(40),
    )
    .unwrap();
    print!("{}", run.report("Softwire (SC without MOBIKE)"));
    let status = status(&state);
    println!("Softwire status: reconnects {}", status["reconnects"]);
    let sas = settle_to_no_leftovers(&lab);
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10));
    println!("{}", client.output.join("\n"));

    let gap = run.gap(LOCAL).expect("a gap for the address change");
    // A new connection takes well under a second here; one that waited
    // for a liveness verdict would take over 30 s.
    assert!(gap.recovered && gap.seconds < 3.0, "gap {gap}");
    assert_eq!(status["reconnects"], 1);
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    assert_eq!(child_sa_count(&sas), 1, "{sas}");
    assert!(exit.unwrap().success());
}
