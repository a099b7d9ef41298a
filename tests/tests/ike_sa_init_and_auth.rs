//! IKE_SA_INIT and the first IKE_AUTH (PSK) against the lab's strongSwan,
//! across the hotspot's NAT: NAT detection, the shared secret, SKEYSEED and
//! SK_* are proven right by decrypting the SC's IKE_AUTH reply and checking
//! its AUTH; every suite and group we offer is tried; and every IKE message
//! on the wire between NAT and SC decodes and re-encodes byte for byte.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;

use softwire_core::ike::natt::{classify_port_4500, Port4500};
use softwire_core::ike::Message;
use softwire_lab::lab::Lab;
use softwire_lab::pcap::udp_datagrams;

const HANDSHAKE: &str = env!("CARGO_BIN_EXE_lab-ike-handshake");

/// Runs the handshake tool in the hotspot namespace and returns its
/// `key=value` report.
fn handshake(lab: &Lab, extra: &[&str]) -> HashMap<String, String> {
    let mut args = vec![
        lab.get("LAB_SC_ADDR"),
        lab.get("LAB_PSK_FILE"),
        lab.get("LAB_PSK_ID"),
        lab.get("LAB_SC_ID"),
    ];
    args.extend_from_slice(extra);
    let out = lab.exec("hotspot", HANDSHAKE, &args).unwrap();
    let report: HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert!(
        out.status.success(),
        "handshake {extra:?} failed: {report:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

#[test]
fn psk_ike_auth_across_the_nat_proves_the_keys() {
    let lab = Lab::up().unwrap();
    let r = handshake(&lab, &[]);
    assert_eq!(r["sa_init"], "answered");
    // The hotspot's address is translated by the NAT router.
    assert_eq!(r["nat_local"], "true");
    assert_eq!(r["fragmentation"], "true");
    // Decrypting needs SK_er and (for AEAD) its salt; the SC's AUTH
    // needs SK_pr: both come from SKEYSEED, so both being right proves the
    // shared secret and the whole key derivation.
    assert_eq!(r["ike_auth_reply"], "decrypted");
    assert_eq!(r["sc_auth"], "verified");
    assert_eq!(r["idr"], lab.get("LAB_SC_ID"));
    assert!(r["ike_auth_payloads"].contains("CP"), "{r:?}");
    assert!(
        r["cp_internal_ip4_address"].starts_with("203.0.113."),
        "{r:?}"
    );
    assert!(
        r["cp_internal_ip6_address"].starts_with("2001:db8:cafe::"),
        "{r:?}"
    );
    assert_eq!(r["cp_internal_ip4_dns"], lab.get("LAB_DNS4"));
    assert_eq!(r["cp_internal_ip6_dns"], lab.get("LAB_DNS6"));
    assert_eq!(r["delete"], "acknowledged");
    assert!(!r.contains_key("sc_error"), "{r:?}");
    // strongSwan's own view: it authenticated our PSK identity.
    let log = std::fs::read_to_string(lab.get("LAB_CHARON_LOG")).unwrap();
    assert!(
        log.contains(&format!(
            "IKE_SA psk[1] established between 198.51.100.1[sc.example.net]...198.51.100.10[{}]",
            lab.get("LAB_PSK_ID")
        )),
        "charon log does not show the IKE SA established:\n{log}"
    );
}

#[test]
fn every_offered_suite_and_group_interoperates() {
    let lab = Lab::up().unwrap();
    let mut tried = Vec::new();
    let mut check = |args: &[&str], expected: &str| {
        let r = handshake(&lab, args);
        assert_eq!(r["suite"], expected, "{args:?}: {r:?}");
        assert_eq!(r["sc_auth"], "verified", "{args:?}: {r:?}");
        assert_eq!(r["delete"], "acknowledged", "{args:?}: {r:?}");
        tried.push(expected.to_owned());
    };
    // Each key exchange group, with each encryption algorithm.
    for (group, group_name) in [
        ("curve25519", "CURVE25519"),
        ("ecp256", "ECP_256"),
        ("ecp384", "ECP_384"),
        ("modp2048", "MODP_2048"),
    ] {
        for (encryption, encryption_name) in [
            ("aes-gcm-256", "ENCR_AES_GCM_16-256"),
            ("aes-gcm-128", "ENCR_AES_GCM_16-128"),
            ("chacha20", "ENCR_CHACHA20_POLY1305"),
            ("aes-cbc-256", "ENCR_AES_CBC-256/AUTH_HMAC_SHA2_256_128"),
            ("aes-cbc-128", "ENCR_AES_CBC-128/AUTH_HMAC_SHA2_256_128"),
        ] {
            check(
                &[group, encryption, "sha256"],
                &format!("{encryption_name}/PRF_HMAC_SHA2_256/{group_name}"),
            );
        }
    }
    // Each PRF, and each integrity algorithm with AES-CBC.
    for (prf, prf_name) in [
        ("sha384", "PRF_HMAC_SHA2_384"),
        ("sha512", "PRF_HMAC_SHA2_512"),
    ] {
        check(
            &["curve25519", "aes-gcm-256", prf],
            &format!("ENCR_AES_GCM_16-256/{prf_name}/CURVE25519"),
        );
    }
    for (integ, integ_name) in [
        ("sha384", "AUTH_HMAC_SHA2_384_192"),
        ("sha512", "AUTH_HMAC_SHA2_512_256"),
    ] {
        check(
            &["ecp256", "aes-cbc-256", "sha384", integ],
            &format!("ENCR_AES_CBC-256/{integ_name}/PRF_HMAC_SHA2_384/ECP_256"),
        );
    }
    assert_eq!(tried.len(), 24);
}

/// Decodes and re-encodes every IKE message in a capture; returns how many.
fn round_trip_capture(pcap: &str) -> usize {
    let file = std::fs::read(pcap).unwrap();
    let (datagrams, skipped) = udp_datagrams(&file).unwrap();
    assert_eq!(skipped.fragments, 0, "IP fragments in the capture");
    let mut count = 0;
    for d in &datagrams {
        let ike = if d.destination.port() == 4500 || d.source.port() == 4500 {
            match classify_port_4500(&d.payload) {
                Port4500::Ike(ike) => ike,
                Port4500::Esp(_) | Port4500::Keepalive => continue,
                Port4500::Invalid => panic!("invalid datagram on 4500: {:?}", d.payload),
            }
        } else {
            &d.payload
        };
        let message = Message::decode(ike)
            .unwrap_or_else(|e| panic!("{} -> {}: {e}", d.source, d.destination));
        assert_eq!(
            message.encode().unwrap(),
            ike,
            "{} -> {}",
            d.source,
            d.destination
        );
        count += 1;
    }
    count
}

#[test]
fn strongswan_messages_round_trip_byte_for_byte() {
    let lab = Lab::up().unwrap();
    lab.run(&["capture", "start", "sc", "eth0", "wire"])
        .unwrap();
    // strongSwan talking to strongSwan: both directions are built by it.
    lab.run(&["sw-client", "up"]).unwrap();
    for conn in ["psk", "eap", "cert"] {
        lab.run(&["sw-client", "initiate", conn]).unwrap();
        lab.run(&["sw-client", "terminate", conn]).unwrap();
    }
    // And our own exchange, answered by strongSwan.
    handshake(&lab, &[]);
    lab.run(&["capture", "stop", "wire"]).unwrap();
    let pcap = lab.dir.join("captures/wire.pcap");
    let messages = round_trip_capture(pcap.to_str().unwrap());
    // Three strongSwan connections (IKE_SA_INIT, IKE_AUTH rounds,
    // INFORMATIONAL delete) and ours: dozens of messages.
    assert!(messages >= 20, "only {messages} IKE messages captured");
}
