//! Reconnecting: the SC crashes (SIGKILL, so it sends no DELETE and forgets
//! every SA) and comes back. The client notices while it sends, keeps its
//! routes and DNS so nothing leaks meanwhile, negotiates again with back-off
//! and carries traffic again without a hand; the time to recover is
//! printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use softwire_lab::client::Client;
use softwire_lab::lab::Lab;

#[test]
fn the_client_is_back_up_by_itself_after_the_sc_restarts() {
    let lab = Lab::up().unwrap();
    let profile = lab.dir.join("profile.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"Lab\"\n[sc]\naddress = \"{}\"\nidentity = \"{}\"\nca = \"{}\"\n\
             [auth]\nmethod = \"eap-mschapv2\"\nidentity = \"{}\"\n",
            lab.get("LAB_SC_ADDR"),
            lab.get("LAB_SC_ID"),
            lab.get("LAB_CA_CERT_PEM"),
            lab.get("LAB_EAP_ID"),
        ),
    )
    .unwrap();
    let state = lab.dir.join("client-state");
    let mut client = Client::connect(
        &lab,
        &profile,
        Some(lab.get("LAB_EAP_PASSWORD_FILE")),
        &state,
    )
    .unwrap();
    client
        .wait_for("Connected in", Duration::from_secs(15))
        .unwrap();
    let site = lab.get("LAB_SITE_ADDR4").to_owned();
    let ping_once = || {
        lab.exec("hotspot", "ping", &["-c", "1", "-W", "1", &site])
            .unwrap()
            .status
            .success()
    };
    assert!(ping_once());
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
        if ping_once() {
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
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("status.json")).unwrap()).unwrap();
    assert_eq!(status["state"], "up");
    assert_eq!(status["reconnects"], 1);
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10)).unwrap();
    assert!(exit.success(), "{}", client.output.join("\n"));
}

#[test]
fn a_client_stopped_past_its_sa_lifetime_recovers_when_it_wakes() {
    // The SC replaces CHILD_SAs every ~15 s (hard expiry a little later);
    // the client is frozen (as a suspended laptop) for 40 s, past that
    // lifetime and past its own 30 s liveness interval.
    let lab = Lab::up_with(&[("LAB_SC_CHILD_REKEY", "15s")]).unwrap();
    let profile = lab.dir.join("profile.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"Lab\"\n[sc]\naddress = \"{}\"\nidentity = \"{}\"\nca = \"{}\"\n\
             [auth]\nmethod = \"eap-mschapv2\"\nidentity = \"{}\"\n",
            lab.get("LAB_SC_ADDR"),
            lab.get("LAB_SC_ID"),
            lab.get("LAB_CA_CERT_PEM"),
            lab.get("LAB_EAP_ID"),
        ),
    )
    .unwrap();
    let state = lab.dir.join("client-state");
    let mut client = Client::connect(
        &lab,
        &profile,
        Some(lab.get("LAB_EAP_PASSWORD_FILE")),
        &state,
    )
    .unwrap();
    client
        .wait_for("Connected in", Duration::from_secs(15))
        .unwrap();
    let site = lab.get("LAB_SITE_ADDR4").to_owned();
    let ping_once = || {
        lab.exec("hotspot", "ping", &["-c", "1", "-W", "1", &site])
            .unwrap()
            .status
            .success()
    };
    assert!(ping_once());

    client.signal("STOP");
    std::thread::sleep(Duration::from_secs(40));
    client.signal("CONT");
    let woke = Instant::now();
    let recovered = loop {
        if ping_once() {
            break woke.elapsed();
        }
        assert!(
            woke.elapsed() < Duration::from_secs(60),
            "not back within 60 s of waking:\n{}",
            client.output.join("\n")
        );
    };
    println!("back {:.1} s after waking", recovered.as_secs_f64());
    // No stale SAs on the SC: one IKE SA, one CHILD_SA (a rekey may be
    // under way at this instant: look a few times).
    let mut sas = String::new();
    for _ in 0..50 {
        sas = String::from_utf8_lossy(&lab.run(&["swanctl", "--list-sas"]).unwrap().stdout)
            .into_owned();
        if sas.matches("ESTABLISHED").count() == 1 && sas.matches("INSTALLED").count() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("{sas}");
    assert_eq!(sas.matches("ESTABLISHED").count(), 1, "{sas}");
    assert_eq!(sas.matches("INSTALLED").count(), 1, "{sas}");
    client.signal("INT");
    let exit = client.wait_exit(Duration::from_secs(10)).unwrap();
    println!("{}", client.output.join("\n"));
    assert!(exit.success(), "{}", client.output.join("\n"));
}
