//! The exchange's paths: plain, behind a NAT, COOKIE, INVALID_KE_PAYLOAD,
//! fragments, refusals, identity mismatch, timeouts and closing.

use std::time::Duration;

use crate::crypto::DhGroup;
use crate::ike::initiator::{InitiatorError, Phase};
use crate::ike::payload::Identification;
use crate::ike::types::{ExchangeType, NotifyType};
use crate::ike::Payload;

use super::fake_sc::Script;
use super::{psk_config, Harness, NAT_PUBLIC, PSK};

#[test]
fn psk_exchange_establishes_with_config_and_child() {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.pump();
    let e = h.established().expect("established");
    assert_eq!(e.sc_identity, "sc.example.net");
    assert_eq!(e.config.ipv4, Some("203.0.113.129".parse().unwrap()));
    assert_eq!(
        e.config.ipv6,
        Some(("2001:db8:cafe::1000".parse().unwrap(), 64))
    );
    assert_eq!(
        e.config.dns,
        vec!["203.0.113.53".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(e.child.spi_out, 0xc000_5c01);
    assert_eq!(e.child.local_ts.len(), 2);
    assert!(!e.nat.local_behind_nat);
    // Child keys: AES-GCM-16-256 takes 32 key + 4 salt bytes each way.
    assert_eq!(e.child.keys.encr_i.len(), 36);
    assert_eq!(e.child.keys.encr_r.len(), 36);
    assert_ne!(
        e.child.keys.encr_i.as_bytes(),
        e.child.keys.encr_r.as_bytes()
    );
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
    // Exactly two requests: IKE_SA_INIT and IKE_AUTH, no retransmission.
    assert_eq!(h.sent.len(), 2);
    // The IKE_AUTH request carried what RFC 7296 §1.2 and our profile ask for.
    let auth = &h.sc.received[1];
    assert_eq!(auth.header.exchange, ExchangeType::IkeAuth);
    assert_eq!(auth.header.message_id, 1);
}

#[test]
fn behind_a_nat_ike_moves_to_4500_with_the_marker() {
    let mut script = Script::psk(PSK);
    script.sees_us_at = Some(NAT_PUBLIC);
    let mut h = Harness::new(psk_config(), script);
    h.pump();
    let e = h.established().expect("established");
    assert!(e.nat.local_behind_nat);
    assert_eq!(e.sc_address.port(), 4500);
    assert_eq!(h.sent[0].destination.port(), 500);
    assert_eq!(h.sent[1].destination.port(), 4500);
    assert_eq!(&h.sent[1].payload[..4], &[0, 0, 0, 0], "non-ESP marker");
}

#[test]
fn cookie_is_returned_first_in_a_new_request() {
    let mut script = Script::psk(PSK);
    script.demand_cookie = true;
    let mut h = Harness::new(psk_config(), script);
    h.pump();
    assert!(h.established().is_some());
    assert_eq!(h.initiator.stats().cookie_restarts, 1);
    let second = &h.sc.received[1];
    assert_eq!(second.header.exchange, ExchangeType::IkeSaInit);
    // RFC 7296 §2.6: the COOKIE notification comes first.
    assert!(matches!(&second.payloads[0], Payload::Notify(n) if n.kind == NotifyType::Cookie));
    // Same SPI in both requests.
    assert_eq!(h.sc.received[0].header.spi_i, second.header.spi_i);
}

#[test]
fn invalid_ke_payload_restarts_with_the_group_the_sc_wants() {
    let mut config = psk_config();
    config.first_group = DhGroup::Modp2048;
    let mut script = Script::psk(PSK);
    script.want_group = Some(DhGroup::Curve25519);
    let mut h = Harness::new(config, script);
    h.pump();
    let e = h.established().expect("established");
    assert_eq!(e.suite.dh, DhGroup::Curve25519);
    assert_eq!(h.initiator.stats().invalid_ke_restarts, 1);
}

#[test]
fn invalid_ke_for_a_group_we_never_offered_fails() {
    let mut config = psk_config();
    for offer in &mut config.ike_offers {
        offer.groups.retain(|g| *g == DhGroup::Curve25519);
    }
    let mut script = Script::psk(PSK);
    script.want_group = Some(DhGroup::Ecp384);
    let mut h = Harness::new(config, script);
    h.pump();
    assert!(matches!(
        h.closed(),
        Some(Err(InitiatorError::NoProposalChosen(Phase::SaInit)))
    ));
}

#[test]
fn fragmented_ike_auth_reply_is_reassembled() {
    let mut script = Script::psk(PSK);
    script.fragment_reply = Some(200);
    let mut h = Harness::new(psk_config(), script);
    h.pump();
    assert!(h.established().is_some(), "{:?}", h.events);
}

#[test]
fn psk_the_sc_does_not_share_makes_it_refuse_us() {
    let mut h = Harness::new(psk_config(), Script::psk(b"the SC has another key"));
    h.pump();
    // Our AUTH doesn't verify at the SC, so it refuses.
    assert!(
        matches!(h.closed(), Some(Err(InitiatorError::AuthenticationFailed))),
        "{:?}",
        h.events
    );
}

#[test]
fn sc_proving_another_identity_is_refused() {
    let mut script = Script::psk(PSK);
    script.id = Identification::fqdn("rogue.example.net");
    let mut h = Harness::new(psk_config(), script);
    h.pump();
    match h.closed() {
        Some(Err(InitiatorError::ScIdentityMismatch { expected, got })) => {
            assert_eq!(expected, "sc.example.net");
            assert_eq!(got, "rogue.example.net");
        }
        other => panic!("{other:?}"),
    }
    assert!(h.established().is_none());
    // We told the SC to forget the half-made SA.
    let last = h.sc.received.last().unwrap();
    assert_eq!(last.header.exchange, ExchangeType::Informational);
}

#[test]
fn lost_ike_auth_requests_are_retransmitted_with_back_off() {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.drop = vec![1, 2]; // the first two IKE_AUTH requests
    h.pump();
    assert!(h.established().is_none());
    assert_eq!(h.advance(), Duration::from_millis(500));
    h.pump();
    assert!(h.established().is_none());
    assert_eq!(h.advance(), Duration::from_secs(1));
    h.pump();
    assert!(h.established().is_some());
    assert_eq!(h.initiator.stats().retransmits, 2);
    // Retransmissions are the same bytes (RFC 7296 §2.1).
    assert_eq!(h.sent[1], h.sent[2]);
    assert_eq!(h.sent[2], h.sent[3]);
}

#[test]
fn unreachable_sc_times_out_naming_the_phase() {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.drop = (0..100).collect();
    h.pump();
    let mut waited = Duration::ZERO;
    while h.closed().is_none() {
        waited += h.advance();
        h.pump();
    }
    match h.closed() {
        Some(Err(InitiatorError::Timeout {
            phase,
            tries,
            waited: w,
        })) => {
            assert_eq!(*phase, Phase::SaInit);
            assert_eq!(*tries, 6);
            assert_eq!(*w, Duration::from_millis(31_500));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(waited, Duration::from_millis(31_500));
    assert_eq!(h.sent.len(), 6);
    assert_eq!(h.initiator.poll_timeout(), None);
}

#[test]
fn close_sends_delete_and_reports_closed() {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.pump();
    assert!(h.established().is_some());
    h.initiator.close(h.now);
    h.pump();
    assert!(matches!(h.closed(), Some(Ok(()))));
    let last = h.sc.received.last().unwrap();
    assert_eq!(last.header.exchange, ExchangeType::Informational);
    assert_eq!(last.header.message_id, 2);
}

#[test]
fn forced_udp_encapsulation_moves_to_4500_without_a_nat() {
    let mut config = psk_config();
    config.force_udp_encapsulation = true;
    let mut h = Harness::new(config, Script::psk(PSK));
    h.pump();
    let e = h.established().expect("established");
    // No NAT between us (the fake SC sees our real address) ...
    assert!(!e.nat.local_behind_nat);
    // ... but IKE moved to 4500 with the marker, where ESP will follow.
    assert_eq!(e.sc_address.port(), 4500);
    assert_eq!(h.sent[1].destination.port(), 4500);
    assert_eq!(&h.sent[1].payload[..4], &[0, 0, 0, 0]);
    // Our NAT_DETECTION_SOURCE_IP does not hash our address, so the SC
    // concludes we are behind a NAT and encapsulates too.
    let init = &h.sc.received[0];
    let source = init.notify(NotifyType::NatDetectionSourceIp).unwrap();
    let honest = crate::ike::natt::nat_detection_hash(&init.header.spi_i, &[0; 8], super::LOCAL);
    assert_ne!(source.data, honest);
}

#[test]
fn close_gives_up_quickly_when_the_sc_is_gone() {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.pump();
    assert!(h.established().is_some());
    h.drop = (h.sent.len()..h.sent.len() + 10).collect();
    h.initiator.close(h.now);
    h.pump();
    let mut waited = Duration::ZERO;
    while h.closed().is_none() {
        waited += h.advance();
        h.pump();
    }
    // 0.5 + 1 + 2 s, then closed as asked.
    assert_eq!(waited, Duration::from_millis(3_500));
    assert!(matches!(h.closed(), Some(Ok(()))));
}
