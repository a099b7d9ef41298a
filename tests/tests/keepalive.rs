//! NAT keepalives (RFC 3948 §2.3) against a hotspot NAT that forgets idle
//! UDP mappings after 30 s and gives a returning host a new random port: a
//! tunnel left idle for two minutes still takes traffic that starts on the
//! far side (the site pinging the laptop: the SC must still reach us
//! through the NAT), on the same IKE SA and CHILD_SA (no new negotiation).
//! Neither side sends liveness checks here, so only the keepalives hold
//! the mapping open; the control run drops them at the NAT and the idle
//! tunnel goes deaf. (Traffic the laptop starts would recover anyway: the
//! SC follows the new port of authenticated ESP, RFC 3948 §2.1.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::Duration;

use softwire_lab::lab::Lab;
use softwire_lab::session::{connect_eap, eap_profile, sas_on_sc, site_answers, status};

/// The SC's view of our SAs: the IKE SPIs and CHILD_SA SPI lines.
fn sa_ids(lab: &Lab) -> Vec<String> {
    sas_on_sc(lab)
        .lines()
        .filter(|l| l.contains("ESTABLISHED") || l.trim_start().starts_with("in "))
        .map(|l| {
            l.split_whitespace()
                .filter(|w| w.contains("_i") || w.contains("_r") || w.ends_with(','))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Connects with liveness checks off on both sides, stays idle for two
/// minutes (with the NAT dropping keepalives when asked), then has the
/// site ping our inner address three times. Returns how many answers came
/// back, whether the SAs were unchanged, and the keepalives the client
/// sent.
fn idle_for_two_minutes(drop_keepalives: bool) -> (usize, bool, u64) {
    let lab = Lab::up_with(&[
        ("LAB_NAT_UDP_TIMEOUT", "30"),
        ("LAB_NAT_RANDOM_PORTS", "1"),
        ("LAB_SC_DPD", "0s"),
    ])
    .unwrap();
    let timeout = lab
        .exec(
            "nat",
            "sysctl",
            &["-n", "net.netfilter.nf_conntrack_udp_timeout"],
        )
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&timeout.stdout).trim(), "30");
    if drop_keepalives {
        assert!(lab
            .run(&["drop-keepalives", "on"])
            .unwrap()
            .status
            .success());
    }
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "[rekey]\ndpd_seconds = 0\n");
    let (mut client, state) = connect_eap(&lab, &profile);
    assert!(site_answers(&lab));
    let before = sa_ids(&lab);
    let inner = status(&state)["inner_ipv4"].as_str().unwrap().to_owned();

    // Four NAT timeouts of silence.
    std::thread::sleep(Duration::from_secs(120));

    let out = lab
        .exec("site", "ping", &["-c", "3", "-i", "0.5", "-W", "1", &inner])
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{text}");
    let answered = text.matches("bytes from").count();
    let same_sas = sa_ids(&lab) == before;
    let keepalives = status(&state)["keepalives"].as_u64().unwrap();
    println!("answered {answered}/3, same SAs {same_sas}, keepalives sent {keepalives}");
    client.signal("INT");
    client.wait_exit(Duration::from_secs(10)).unwrap();
    (answered, same_sas, keepalives)
}

#[test]
fn an_idle_tunnel_survives_a_nat_with_a_30_second_udp_timeout() {
    let (answered, same_sas, keepalives) = idle_for_two_minutes(false);
    assert_eq!(answered, 3, "the idle tunnel lost traffic");
    assert!(same_sas, "the SAs changed: a new negotiation happened");
    assert!(keepalives >= 5, "only {keepalives} keepalives in 120 s");
}

#[test]
fn without_keepalives_the_same_nat_cuts_the_idle_tunnel() {
    // The control: the NAT forgets the mapping, the SC answers to the old
    // port, nothing comes back.
    let (answered, _, keepalives) = idle_for_two_minutes(true);
    assert!(keepalives >= 5, "the client still sent them: {keepalives}");
    assert!(
        answered < 3,
        "the tunnel survived without keepalives: the test proves nothing"
    );
}
