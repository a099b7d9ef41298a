//! Reconnecting and waking up. The SC crashes (SIGKILL, so it sends no
//! DELETE and forgets every SA) and comes back: the client notices while it
//! sends, keeps its routes and DNS so nothing leaks meanwhile, negotiates
//! again with back-off and carries traffic again without a hand; the time
//! to recover is printed. A client frozen (as a suspended laptop) past its
//! SA lifetime recovers when it wakes, leaving no stale SAs on the SC.

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
    connect_eap, eap_profile, settle_to_one_sa_pair, site_answers, status,
};

#[test]
fn the_client_is_back_up_by_itself_after_the_sc_restarts() {
    let lab = Lab::up().unwrap();
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let (mut client, state) = connect_eap(&lab, &profile);
    assert!(site_answers(&lab));
    let routes_before = lab.exec("hotspot", "ip", &["route"]).unwrap().stdout;

    let restart = lab.run(&["sc-restart"]).unwrap();
    assert!(
        restart.status.success(),
        "{}",
        String::from_utf8_lossy(&restart.stderr)
    );
    let restarted = Instant::now();
    // Traffic keeps trying (as an application would); the routes stay.
    let mut saw_routes_kept = false;
    let recovered = loop {
        if site_answers(&lab) {
            break restarted.elapsed();
        }
        if !saw_routes_kept {
            let routes = lab.exec("hotspot", "ip", &["route"]).unwrap().stdout;
            assert_eq!(
                routes, routes_before,
                "the routes changed while reconnecting"
            );
            saw_routes_kept = true;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(90),
            "not back within 90 s:\n{}",
            client.output.join("\n")
        );
    };
    client
        .wait_for("Reconnected in", Duration::from_secs(5))
        .unwrap();
    println!("{}", client.output.join("\n"));
    println!(
        "time to recover after the SC restarted: {:.1} s",
        recovered.as_secs_f64()
    );
    assert!(saw_routes_kept);
    let status = status(&state);
    assert_eq!(status["state"], "up");
    assert_eq!(status["reconnects"], 1);
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10)).unwrap();
    assert!(exit.success(), "{}", client.output.join("\n"));
}

#[test]
fn a_client_stopped_past_its_sa_lifetime_recovers_when_it_wakes() {
    // The SC replaces CHILD_SAs every ~15 s (hard expiry a little later);
    // the client is frozen for 40 s, past that lifetime and past its own
    // 30 s liveness interval.
    let lab = Lab::up_with(&[("LAB_SC_CHILD_REKEY", "15s")]).unwrap();
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let (mut client, _state) = connect_eap(&lab, &profile);
    assert!(site_answers(&lab));

    client.signal("STOP");
    std::thread::sleep(Duration::from_secs(40));
    client.signal("CONT");
    let woke = Instant::now();
    let recovered = loop {
        if site_answers(&lab) {
            break woke.elapsed();
        }
        assert!(
            woke.elapsed() < Duration::from_secs(60),
            "not back within 60 s of waking:\n{}",
            client.output.join("\n")
        );
    };
    println!("back {:.1} s after waking", recovered.as_secs_f64());
    // No stale SAs on the SC.
    let sas = settle_to_one_sa_pair(&lab);
    println!("{sas}");
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10)).unwrap();
    assert!(exit.success(), "{}", client.output.join("\n"));
}
