//! Reconnecting and waking up. The SC crashes (SIGKILL, so it sends no
//! DELETE and forgets every SA) and comes back: the client notices while it
//! sends, keeps its routes and DNS so nothing leaks meanwhile, negotiates
//! again with back-off and carries traffic again without a hand; the time
//! to recover is printed. A client frozen (as a suspended laptop) past its
//! SA lifetimes and past the SC's own verdict that it is gone (the SC
//! deletes our SAs meanwhile) recovers when it wakes, leaving no stale SAs
//! on the SC.

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
    child_sa_count, connect_eap, eap_profile, sas_on_sc, settle_to_no_leftovers, site_answers,
    status,
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
fn a_client_stopped_past_the_scs_liveness_verdict_recovers_when_it_wakes() {
    // The SC checks our liveness after 5 s of silence and gives up after
    // 7.1 s of retransmissions (LAB_SC_RETRANSMIT=fast): it deletes our IKE
    // SA about 12 s into the sleep, without telling us. It would replace
    // its CHILD_SAs every ~15 s, ours every ~20 s; the client is frozen for
    // 40 s, past both lifetimes, past the SC's verdict and past its own
    // 30 s liveness interval, as a laptop whose lid was shut.
    let lab = Lab::up_with(&[
        ("LAB_SC_CHILD_REKEY", "15s"),
        ("LAB_SC_DPD", "5s"),
        ("LAB_SC_RETRANSMIT", "fast"),
    ])
    .unwrap();
    let profile = eap_profile(
        &lab,
        lab.get("LAB_SC_ADDR"),
        "[rekey]\nchild_seconds = 20\n",
    );
    let (mut client, state) = connect_eap(&lab, &profile);
    assert!(site_answers(&lab));
    assert_eq!(sas_on_sc(&lab).matches("ESTABLISHED").count(), 1);

    client.signal("STOP");
    let stopped = Instant::now();
    let verdict = loop {
        if !sas_on_sc(&lab).contains("ESTABLISHED") {
            break stopped.elapsed();
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the SC still has our IKE SA 30 s into the sleep:\n{}",
            sas_on_sc(&lab)
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    println!(
        "the SC deleted our IKE SA {:.1} s into the sleep",
        verdict.as_secs_f64()
    );
    if let Some(rest) = Duration::from_secs(40).checked_sub(stopped.elapsed()) {
        std::thread::sleep(rest);
    }
    let before_wake = sas_on_sc(&lab);
    assert!(
        !before_wake.contains("ESTABLISHED") && child_sa_count(&before_wake) == 0,
        "the SC has SAs again before we woke:\n{before_wake}"
    );

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
    // No stale SAs on the SC: only the new IKE SA and its CHILD_SA.
    let sas = settle_to_no_leftovers(&lab);
    println!("{sas}");
    let status = status(&state);
    println!(
        "status: state {}, reconnects {}",
        status["state"], status["reconnects"]
    );
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10));
    println!("{}", client.output.join("\n"));
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    assert_eq!(child_sa_count(&sas), 1, "{sas}");
    assert_eq!(status["state"], "up");
    // The SC forgot us: back by one new connection, not a loop of them.
    assert_eq!(status["reconnects"], 1);
    assert!(exit.unwrap().success());
}
