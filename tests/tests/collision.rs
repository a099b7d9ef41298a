//! CHILD_SA rekey collisions (RFC 7296 §2.8.1) against the lab's
//! strongSwan: both sides rekey at once, with equal lifetimes and no
//! jitter on either side, under a steady ping. Every collision is
//! resolved, the tunnel stays up throughout, and the SC is left with
//! exactly one IKE SA and one CHILD_SA for us.
//!
//! Equal lifetimes make both rekeys start within a few milliseconds of each
//! other (both timers start with the last exchange that made the SA), but
//! whether the two requests cross on the lab's sub-millisecond links is
//! then a matter of luck. So the crossings are staged as on a lossy hotspot
//! link: the NAT drops the first CREATE_CHILD_SA request of each side, and
//! the retransmissions cross. Ours are resent after 0.5 s and 1.5 s, the
//! SC's (`LAB_SC_RETRANSMIT=fast`) after 1 s:
//!
//! - round 1: ours dropped twice. The SC's resent request reaches us while
//!   ours is unanswered (our crossing); ours reaches the SC after it has
//!   replaced the SA (answered `CHILD_SA_NOT_FOUND`).
//! - round 2: ours dropped once. If we started up to 0.5 s after the SC,
//!   ours is resent first and reaches the SC while its own request is
//!   unanswered (the SC's crossing); if later, the SC's comes first (ours
//!   again). Either way the two cross.
//! - round 3: nothing dropped, the timers cross or not.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use softwire_lab::lab::Lab;
use softwire_lab::session::{
    child_sa_count, connect_eap, eap_profile, settle_to_no_leftovers, status,
};
use softwire_lab::traffic::Ping;

/// Both sides' CHILD_SA lifetime: rounds at about 10, 21 and 32 s.
const LIFETIME_S: u64 = 10;
/// Round 2 is staged this long after connecting (between rounds 1 and 2).
const STAGE_2_AT_S: u64 = 15;
/// Long enough for three rounds.
const PING_S: u64 = 36;

/// `lab.sh drop-create-child status` as `key=value` lines.
fn drops(lab: &Lab) -> String {
    String::from_utf8_lossy(&lab.run(&["drop-create-child", "status"]).unwrap().stdout).into_owned()
}

fn counter(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Drops the first `ours` of our CREATE_CHILD_SA requests and the SC's
/// first one.
fn stage(lab: &Lab, ours: u32) {
    lab.run(&["drop-create-child", "sc", "1"]).unwrap();
    lab.run(&["drop-create-child", "hotspot", &ours.to_string()])
        .unwrap();
}

/// Waits until a staged round is over: `ours` requests of ours and 2 of
/// the SC's (the dropped one and its retransmission) went by. Returns the
/// NAT's counters.
fn wait_round(lab: &Lab, ours: u64, until: Instant) -> String {
    loop {
        let d = drops(lab);
        if counter(&d, "hotspot_seen") >= ours && counter(&d, "sc_seen") >= 2 {
            return d;
        }
        assert!(
            Instant::now() < until,
            "the round did not happen as staged:\n{d}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Crossings the SC saw so far (its log).
fn sc_crossings(lab: &Lab) -> u64 {
    std::fs::read_to_string(lab.get("LAB_CHARON_LOG"))
        .unwrap_or_default()
        .matches("detected CHILD_REKEY collision")
        .count() as u64
}

#[test]
fn simultaneous_rekeys_are_resolved_without_losing_a_ping_or_leaving_an_sa() {
    let lifetime = format!("{LIFETIME_S}s");
    let lab = Lab::up_with(&[
        ("LAB_SC_CHILD_REKEY", lifetime.as_str()),
        ("LAB_SC_CHILD_RAND", "0s"),
        // A staged round ends about 1 s late: past strongSwan's default
        // hard lifetime (a tenth over the rekey time), when the SC would
        // drop the old SA and a ping with it.
        ("LAB_SC_CHILD_LIFE", "20s"),
        ("LAB_SC_RETRANSMIT", "fast"),
    ])
    .unwrap();
    stage(&lab, 2);
    let profile = eap_profile(
        &lab,
        lab.get("LAB_SC_ADDR"),
        &format!("[rekey]\nchild_seconds = {LIFETIME_S}\njitter_percent = 0\n"),
    );
    let (mut client, state) = connect_eap(&lab, &profile);
    let connected = Instant::now();
    let ping = Ping::start(&lab, "hotspot", lab.get("LAB_SITE_ADDR4"), "0.01").unwrap();

    // Round 1 is over once our third request (the first one let through)
    // and the SC's second have passed; round 2 once our second has.
    let round_1 = wait_round(&lab, 3, connected + Duration::from_secs(STAGE_2_AT_S));
    let ours_1 = status(&state)["rekey_collisions"].as_u64().unwrap();
    let sc_1 = sc_crossings(&lab);
    std::thread::sleep(Duration::from_secs(STAGE_2_AT_S).saturating_sub(connected.elapsed()));
    stage(&lab, 1);
    let round_2 = wait_round(&lab, 2, connected + Duration::from_secs(PING_S - 6));
    let ours_2 = status(&state)["rekey_collisions"].as_u64().unwrap() - ours_1;
    let sc_2 = sc_crossings(&lab) - sc_1;
    std::thread::sleep(Duration::from_secs(PING_S).saturating_sub(connected.elapsed()));
    let pings = ping.stop();

    let status = status(&state);
    let sas = settle_to_no_leftovers(&lab);
    let sc_all = sc_crossings(&lab);
    let (collisions, rekeys) = (
        status["rekey_collisions"].as_u64().unwrap(),
        status["rekeys"].as_u64().unwrap(),
    );
    println!("round 1 (ours dropped twice):\n{round_1}");
    println!("round 2 (ours dropped once):\n{round_2}");
    println!("{sas}");
    println!(
        "crossings seen by us / by the SC: round 1 {ours_1}/{sc_1}, round 2 {ours_2}/{sc_2}, \
         in all {collisions}/{sc_all}; CHILD_SA rekeys {rekeys}; pings sent {}, lost {}",
        pings.transmitted,
        pings.lost()
    );
    let start = pings.replies.first().map_or(0.0, |r| r.at);
    for pair in pings.replies.windows(2) {
        if pair[1].seq > pair[0].seq + 1 {
            println!(
                "lost pings {}..{} at {:.3} s",
                pair[0].seq + 1,
                pair[1].seq - 1,
                pair[0].at - start
            );
        }
    }
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10));
    println!("{}", client.output.join("\n"));

    // The crossings were staged: the NAT dropped what it was told to.
    assert_eq!(counter(&round_1, "hotspot_dropped"), 2, "{round_1}");
    assert_eq!(counter(&round_1, "sc_dropped"), 1, "{round_1}");
    assert_eq!(counter(&round_2, "hotspot_dropped"), 1, "{round_2}");
    assert_eq!(counter(&round_2, "sc_dropped"), 1, "{round_2}");
    assert!(ours_1 > 0, "round 1: we saw no collision");
    assert!(ours_2 + sc_2 > 0, "round 2: no side saw a collision");
    assert!(rekeys >= 3, "only {rekeys} rekeys in {PING_S} s");
    assert!(pings.transmitted > PING_S * 50, "{pings:?}");
    assert_eq!(pings.lost(), 0, "pings were lost");
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    assert_eq!(
        child_sa_count(&sas),
        1,
        "a replaced CHILD_SA is left:\n{sas}"
    );
    assert_eq!(status["reconnects"], 0, "a collision cost a reconnect");
    assert!(exit.unwrap().success());
}
