//! The IKEv2 initiator against the lab's strongSwan, across the hotspot's
//! NAT: PSK, server certificate + EAP-MSCHAPv2, and certificates on both
//! sides; the INVALID_KE_PAYLOAD path; a wrong password; an unreachable SC.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use softwire_lab::lab::Lab;
use softwire_lab::session::parsed_requests;

const CONNECT: &str = env!("CARGO_BIN_EXE_lab-connect");

/// Runs lab-connect in the hotspot namespace; returns its report and exit status.
fn connect(lab: &Lab, method: &str, extra: &[&str]) -> (HashMap<String, String>, bool) {
    let (idi, secret) = match method {
        "psk" => (lab.get("LAB_PSK_ID"), lab.get("LAB_PSK_FILE")),
        "eap" => (lab.get("LAB_EAP_ID"), lab.get("LAB_EAP_PASSWORD_FILE")),
        "cert" => (lab.get("LAB_CLIENT_ID"), lab.get("LAB_CLIENT_KEY_DER")),
        other => panic!("{other}"),
    };
    let mut args = vec![
        lab.get("LAB_SC_ADDR"),
        method,
        idi,
        lab.get("LAB_SC_ID"),
        secret,
    ];
    if method != "psk" {
        args.extend(["--ca", lab.get("LAB_CA_CERT_DER")]);
    }
    if method == "cert" {
        args.extend(["--cert", lab.get("LAB_CLIENT_CERT_DER")]);
    }
    args.extend_from_slice(extra);
    run(lab, &args)
}

fn run(lab: &Lab, args: &[&str]) -> (HashMap<String, String>, bool) {
    let out = lab.exec("hotspot", CONNECT, args).unwrap();
    let report = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (report, out.status.success())
}

fn swanctl_sas(lab: &Lab) -> String {
    String::from_utf8_lossy(&lab.run(&["swanctl", "--list-sas"]).unwrap().stdout).into_owned()
}

/// Connects, holds the SAs while strongSwan is asked about them, checks
/// what both sides say, then disconnects.
fn establish_and_check(lab: &Lab, method: &str, peer_id: &str) {
    let lab_ref = lab;
    let (report, sas) = std::thread::scope(|s| {
        let client = s.spawn(|| connect(lab_ref, method, &["--hold", "1.5"]));
        // Poll strongSwan while the client holds the SA.
        let mut sas = String::new();
        for _ in 0..40 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            sas = swanctl_sas(lab_ref);
            if sas.contains("INSTALLED") {
                break;
            }
        }
        (client.join().unwrap(), sas)
    });
    let (r, ok) = report;
    assert!(ok, "{method}: {r:?}");
    assert_eq!(r["sc_identity"], "sc.example.net", "{method}: {r:?}");
    assert_eq!(r["nat_local"], "true");
    assert!(r["inner_ipv4"].starts_with("203.0.113."), "{r:?}");
    assert!(r["inner_ipv6"].starts_with("2001:db8:cafe::"), "{r:?}");
    assert_eq!(r["closed"], "ok");
    // strongSwan's view while we held it: both SAs up, our identity, the
    // addresses it assigned, UDP-encapsulated behind the NAT.
    assert!(sas.contains("ESTABLISHED"), "{method}: {sas}");
    assert!(
        sas.contains(&format!("remote '{peer_id}' @ 198.51.100.10")),
        "{method}: {sas}"
    );
    assert!(sas.contains("INSTALLED, TUNNEL-in-UDP"), "{method}: {sas}");
    let inner_v4 = &r["inner_ipv4"];
    assert!(
        sas.contains(&format!("remote {inner_v4}/32")),
        "{method}: {sas}"
    );
    // And after our DELETE, nothing is left on the SC.
    let after = swanctl_sas(lab);
    assert!(!after.contains(peer_id), "left over: {after}");
}

#[test]
fn psk_eap_mschapv2_and_certificates_establish_against_strongswan() {
    let lab = Lab::up().unwrap();
    establish_and_check(&lab, "psk", lab.get("LAB_PSK_ID"));
    establish_and_check(&lab, "eap", lab.get("LAB_EAP_ID"));
    establish_and_check(&lab, "cert", lab.get("LAB_CLIENT_ID"));
}

#[test]
fn invalid_ke_payload_is_followed_to_the_scs_group() {
    let lab = Lab::up().unwrap();
    // strongSwan prefers Curve25519; offering MODP-2048 first makes it ask.
    let (r, ok) = connect(&lab, "psk", &["--group", "modp2048"]);
    assert!(ok, "{r:?}");
    assert_eq!(r["invalid_ke_restarts"], "1");
    assert!(r["suite"].ends_with("/CURVE25519"), "{r:?}");
    // Offering its preferred group first needs no restart.
    let (r, ok) = connect(&lab, "psk", &["--group", "curve25519"]);
    assert!(ok, "{r:?}");
    assert_eq!(r["invalid_ke_restarts"], "0");
}

#[test]
fn aes_gcm_and_aes_cbc_with_groups_31_19_and_14() {
    let lab = Lab::up().unwrap();
    // strongSwan picks the key size and PRF by its own preference; the
    // family and the group are ours to force.
    for (encryption, ike_prefix, esp) in [
        ("aes-gcm", "ENCR_AES_GCM_16-", "AesGcm16"),
        ("aes-cbc", "ENCR_AES_CBC-", "AesCbc"),
    ] {
        for (group, name) in [
            ("curve25519", "CURVE25519"),
            ("ecp256", "ECP_256"),
            ("modp2048", "MODP_2048"),
        ] {
            let (r, ok) = connect(
                &lab,
                "eap",
                &["--encryption", encryption, "--only-group", group],
            );
            assert!(ok, "{encryption} {group}: {r:?}");
            assert!(r["suite"].starts_with(ike_prefix), "{r:?}");
            assert!(r["suite"].ends_with(&format!("/{name}")), "{r:?}");
            assert_eq!(
                r["suite"].contains("AUTH_HMAC_SHA2"),
                encryption == "aes-cbc",
                "{r:?}"
            );
            assert!(r["child_encryption"].starts_with(esp), "{r:?}");
            assert_eq!(r["closed"], "ok");
        }
    }
}

#[test]
fn wrong_eap_password_is_a_clear_error_without_retries() {
    let lab = Lab::up().unwrap();
    let wrong = lab.dir.join("wrong-password");
    std::fs::write(&wrong, "not the password").unwrap();
    let args = [
        lab.get("LAB_SC_ADDR"),
        "eap",
        lab.get("LAB_EAP_ID"),
        lab.get("LAB_SC_ID"),
        wrong.to_str().unwrap(),
        "--ca",
        lab.get("LAB_CA_CERT_DER"),
    ];
    let (r, ok) = run(&lab, &args);
    assert!(!ok);
    assert!(r["error"].contains("wrong user name or password"), "{r:?}");
    assert!(r["error"].contains("691"), "{r:?}");
    // One attempt at the password: strongSwan saw exactly one MS-CHAPv2
    // response with a password proof, and failed it once. Our last
    // Failure-Response goes out without waiting for an answer, so give the
    // SC a moment to log it.
    let mut log = String::new();
    for _ in 0..60 {
        log = std::fs::read_to_string(lab.get("LAB_CHARON_LOG")).unwrap();
        if log.contains("EAP method EAP_MSCHAPV2 failed") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        log.matches("EAP-MS-CHAPv2 verification failed").count(),
        1,
        "{log}"
    );
    assert_eq!(log.matches("EAP method EAP_MSCHAPV2 failed").count(), 1);
}

#[test]
fn unreachable_sc_times_out_naming_the_phase() {
    let lab = Lab::up().unwrap();
    // Nothing listens at this address on the lab's internet segment.
    let args = [
        "198.51.100.99",
        "psk",
        lab.get("LAB_PSK_ID"),
        lab.get("LAB_SC_ID"),
        lab.get("LAB_PSK_FILE"),
        "--tries",
        "3",
        "--initial-ms",
        "200",
    ];
    let started = std::time::Instant::now();
    let (r, ok) = run(&lab, &args);
    assert!(!ok);
    assert!(
        r["error"].contains("did not answer during IKE_SA_INIT"),
        "{r:?}"
    );
    assert!(r["error"].contains("3 tries"), "{r:?}");
    // 0.2 + 0.4 + 0.8 s of back-off.
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_millis(1400), "{took:?}");
    assert_eq!(r["retransmits"], "2");
}

/// Connects with EAP to `sc_addr` (a rogue), expecting refusal.
fn eap_to(lab: &Lab, sc_addr: &str) -> (HashMap<String, String>, bool) {
    run(
        lab,
        &[
            sc_addr,
            "eap",
            lab.get("LAB_EAP_ID"),
            lab.get("LAB_SC_ID"),
            lab.get("LAB_EAP_PASSWORD_FILE"),
            "--ca",
            lab.get("LAB_CA_CERT_DER"),
        ],
    )
}

#[test]
fn rogue_scs_are_refused_before_any_user_secret_leaves() {
    let lab = Lab::up().unwrap();
    let rogues = lab.run(&["rogues", "up"]).unwrap();
    let rogue_env: HashMap<String, String> = String::from_utf8_lossy(&rogues.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();

    // A certificate from the right CA, for another identity.
    let (r, ok) = eap_to(&lab, &rogue_env["LAB_ROGUE_IDENTITY_ADDR"]);
    assert!(!ok, "{r:?}");
    assert!(
        r["error"].contains("rogue.example.net") && r["error"].contains("sc.example.net"),
        "{r:?}"
    );
    // A certificate for the right identity, from an unknown CA.
    let (r, ok) = eap_to(&lab, &rogue_env["LAB_ROGUE_CA_ADDR"]);
    assert!(!ok, "{r:?}");
    assert!(r["error"].contains("unknown issuer"), "{r:?}");
    assert!(r["error"].contains("Rogue CA"), "{r:?}");

    for log_key in ["LAB_ROGUE_IDENTITY_LOG", "LAB_ROGUE_CA_LOG"] {
        // Our DELETE is sent without waiting for an answer: give the rogue
        // a moment to log it.
        let mut log = String::new();
        for _ in 0..40 {
            log = std::fs::read_to_string(&rogue_env[log_key]).unwrap();
            if parsed_requests(&log).len() >= 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let requests = parsed_requests(&log);
        // The rogue got our first IKE_AUTH (identities, no AUTH) and our
        // DELETE, nothing else: no EAP response, no AUTH from the password.
        assert_eq!(requests.len(), 2, "{log_key}: {requests:#?}");
        assert!(
            requests[0].contains("IKE_AUTH request 1 [ IDi"),
            "{requests:#?}"
        );
        assert!(
            requests[1].contains("INFORMATIONAL request 2 [ D ]"),
            "{requests:#?}"
        );
        for line in &requests {
            assert!(!line.contains("EAP/RES"), "{log_key}: {line}");
            assert!(!line.contains(" AUTH "), "{log_key}: {line}");
        }
        assert!(!log.contains("with EAP successful"), "{log_key}");
    }
}

#[test]
fn cookie_demanded_by_the_sc_is_returned() {
    let lab = Lab::up().unwrap();
    lab.run(&["sc-cookies", "on"]).unwrap();
    let (r, ok) = connect(&lab, "psk", &[]);
    assert!(ok, "{r:?}");
    assert_eq!(r["cookie_restarts"], "1");
    let log = std::fs::read_to_string(lab.get("LAB_CHARON_LOG")).unwrap();
    assert!(
        log.contains("sending COOKIE notify to 198.51.100.10"),
        "no cookie sent:\n{log}"
    );
    let with_cookie = log
        .lines()
        .filter(|l| l.contains("parsed IKE_SA_INIT request 0 [ N(COOKIE) SA KE No"))
        .count();
    assert_eq!(
        with_cookie, 1,
        "strongSwan did not get our request with its cookie first"
    );
}

#[test]
fn dropped_ike_auth_requests_are_retransmitted() {
    let lab = Lab::up().unwrap();
    lab.run(&["drop-ike-auth", "2"]).unwrap();
    let started = std::time::Instant::now();
    let (r, ok) = connect(&lab, "psk", &[]);
    assert!(ok, "{r:?}");
    assert_eq!(r["retransmits"], "2", "{r:?}");
    let dropped = lab.run(&["drop-ike-auth-count"]).unwrap();
    assert_eq!(String::from_utf8_lossy(&dropped.stdout).trim(), "2");
    // Up after the 0.5 s and 1 s waits of the default back-off.
    let established_ms: f64 = r["established_ms"].parse().unwrap();
    assert!((1500.0..3000.0).contains(&established_ms), "{r:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn trusting_only_the_system_store_refuses_the_lab_sc() {
    let lab = Lab::up().unwrap();
    let args = [
        lab.get("LAB_SC_ADDR"),
        "eap",
        lab.get("LAB_EAP_ID"),
        lab.get("LAB_SC_ID"),
        lab.get("LAB_EAP_PASSWORD_FILE"),
        "--system-ca",
    ];
    let (r, ok) = run(&lab, &args);
    assert!(!ok, "{r:?}");
    // The real system store was loaded, and it does not vouch for the
    // lab's private CA.
    assert!(r["system_anchors"].parse::<usize>().unwrap() > 50, "{r:?}");
    assert!(r["error"].contains("unknown issuer"), "{r:?}");
    assert!(r["error"].contains("Softwire Lab Root CA"), "{r:?}");
}
