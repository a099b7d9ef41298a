//! CHILD_SA rekeying against the lab's strongSwan, under a steady ping
//! through the tunnel: rekeys we start when our lifetime is up, and rekeys
//! the SC starts; every one completes, no ping is lost, and the SC ends up
//! with exactly one CHILD_SA for us (the replaced ones deleted).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::Duration;

use softwire_lab::lab::Lab;
use softwire_lab::session::{connect_eap, eap_profile, settle_to_one_sa_pair, status};

/// Connects, pings the site every 10 ms for `seconds`, and returns the
/// client's status; asserts no ping was lost and that the SC is left with
/// one IKE SA and one CHILD_SA for us.
fn ping_through_rekeys(
    lab: &Lab,
    child_seconds: u64,
    ike_seconds: u64,
    seconds: u64,
) -> serde_json::Value {
    let profile = eap_profile(
        lab,
        lab.get("LAB_SC_ADDR"),
        &format!("[rekey]\nchild_seconds = {child_seconds}\nike_seconds = {ike_seconds}\n"),
    );
    let (mut client, state) = connect_eap(lab, &profile);
    let count = (seconds * 100).to_string();
    let out = lab
        .exec(
            "hotspot",
            "ping",
            &[
                "-c",
                &count,
                "-i",
                "0.01",
                "-W",
                "1",
                "-q",
                lab.get("LAB_SITE_ADDR4"),
            ],
        )
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{summary}");
    assert!(
        summary.contains(&format!("{count} packets transmitted, {count} received")),
        "pings were lost across rekeys:\n{summary}"
    );
    let status = status(&state);
    // One IKE SA with one installed CHILD_SA: every replaced one deleted.
    let sas = settle_to_one_sa_pair(lab);
    println!("{sas}");
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    client.signal("INT");
    client.wait_exit(Duration::from_secs(10)).unwrap();
    status
}

#[test]
fn our_rekeys_lose_no_packet() {
    let lab = Lab::up().unwrap();
    // Ours every ~10 s (9-10 s with jitter), the SC's after an hour.
    let rekeys = ping_through_rekeys(&lab, 10, 14_400, 35)["rekeys"]
        .as_u64()
        .unwrap();
    println!("rekeys: {rekeys}");
    assert!(rekeys >= 3, "only {rekeys} rekeys in 35 s");
}

#[test]
fn the_scs_rekeys_lose_no_packet() {
    let lab = Lab::up_with(&[("LAB_SC_CHILD_REKEY", "10s")]).unwrap();
    // The SC's every ~10 s (9-10 s), ours after an hour.
    let rekeys = ping_through_rekeys(&lab, 3600, 14_400, 35)["rekeys"]
        .as_u64()
        .unwrap();
    println!("rekeys: {rekeys}");
    assert!(rekeys >= 3, "only {rekeys} rekeys in 35 s");
}

#[test]
fn short_lifetimes_on_both_sides_for_three_minutes_lose_no_ping() {
    // CHILD_SAs every ~20 s and IKE SAs every ~45 s, on both sides: rekeys
    // of either side, and collisions between them, for three minutes.
    let lab = Lab::up_with(&[("LAB_SC_CHILD_REKEY", "20s"), ("LAB_SC_IKE_REKEY", "45s")]).unwrap();
    let status = ping_through_rekeys(&lab, 20, 45, 180);
    let (child, ike) = (
        status["rekeys"].as_u64().unwrap(),
        status["ike_rekeys"].as_u64().unwrap(),
    );
    println!("CHILD_SA rekeys {child}, IKE SA rekeys {ike}");
    assert!(child >= 8, "only {child} CHILD_SA rekeys in 180 s");
    assert!(ike >= 3, "only {ike} IKE SA rekeys in 180 s");
}
