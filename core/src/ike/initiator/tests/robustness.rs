//! Forged, damaged and unexpected input: dropped or answered per RFC 7296,
//! counted, never a panic, and the real exchange still completes.

use crate::ike::initiator::{InitiatorError, Phase};
use crate::ike::message::Message;
use crate::ike::payload::{Delete, Notify, Payload};
use crate::ike::types::{ExchangeType, NotifyType};

use super::fake_sc::{Script, SC_ADDR};
use super::{psk_config, Harness, LOCAL, PSK};

/// Runs IKE_SA_INIT normally, then hands the SC's IKE_AUTH reply to
/// `tamper`, feeds what it returns before the genuine reply.
fn with_forged_auth_replies(tamper: impl Fn(&[u8]) -> Vec<Vec<u8>>) -> Harness {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    // IKE_SA_INIT
    let t = h.initiator.poll_transmit().unwrap();
    for r in h.sc.handle(LOCAL, t.destination, &t.payload) {
        h.initiator.handle_datagram(h.now, SC_ADDR, &r);
    }
    // IKE_AUTH
    let t = h.initiator.poll_transmit().unwrap();
    let replies = h.sc.handle(LOCAL, t.destination, &t.payload);
    for forged in tamper(&replies[0]) {
        h.initiator.handle_datagram(h.now, SC_ADDR, &forged);
    }
    assert!(
        h.initiator.phase() == Some(Phase::Authenticating),
        "a forgery changed the state"
    );
    for r in replies {
        h.initiator.handle_datagram(h.now, SC_ADDR, &r);
    }
    h.pump();
    assert!(h.established().is_some(), "{:?}", h.events);
    h
}

#[test]
fn bad_icv_is_dropped_and_counted() {
    let h = with_forged_auth_replies(|genuine| {
        let mut forged = genuine.to_vec();
        let last = forged.len() - 1;
        forged[last] ^= 0x01;
        vec![forged]
    });
    assert_eq!(h.initiator.stats().integrity_failures, 1);
}

#[test]
fn wrong_message_id_is_dropped() {
    let h = with_forged_auth_replies(|genuine| {
        let mut forged = genuine.to_vec();
        forged[23] = forged[23].wrapping_add(7); // message ID's low byte
        vec![forged]
    });
    assert_eq!(h.initiator.stats().unexpected_response, 1);
}

#[test]
fn truncated_and_garbage_replies_are_dropped() {
    let h = with_forged_auth_replies(|genuine| {
        let mut truncated = genuine[..genuine.len() - 10].to_vec();
        // Keep the header length honest so the SK payload itself is short.
        let len = (truncated.len() as u32).to_be_bytes();
        truncated[24..28].copy_from_slice(&len);
        let sk_len = (truncated.len() - 28) as u16;
        truncated[30..32].copy_from_slice(&sk_len.to_be_bytes());
        vec![
            truncated,
            genuine[..20].to_vec(),
            vec![0xff; 300],
            Vec::new(),
        ]
    });
    let s = h.initiator.stats();
    assert_eq!(s.integrity_failures, 1, "{s:?}");
    assert_eq!(s.malformed, 3, "{s:?}");
}

#[test]
fn unprotected_reply_after_sa_init_is_dropped() {
    let h = with_forged_auth_replies(|genuine| {
        // A cleartext AUTHENTICATION_FAILED with the right SPIs and ID:
        // an attacker's attempt to make us give up.
        let m = Message::decode(genuine).unwrap();
        let forged = Message {
            header: m.header,
            payloads: vec![Payload::Notify(Notify::flag(
                NotifyType::AuthenticationFailed,
            ))],
        };
        vec![forged.encode().unwrap()]
    });
    assert_eq!(h.initiator.stats().malformed, 1);
}

#[test]
fn datagrams_from_strangers_and_other_sas_are_ignored() {
    let h = with_forged_auth_replies(|genuine| {
        let mut other_sa = genuine.to_vec();
        other_sa[0] ^= 0xff;
        vec![other_sa]
    });
    assert_eq!(h.initiator.stats().wrong_spi, 1);
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    let stranger = "203.0.113.66:500".parse().unwrap();
    h.initiator.handle_datagram(h.now, stranger, &[0u8; 40]);
    assert_eq!(h.initiator.stats().unknown_sender, 1);
}

#[test]
fn duplicate_response_after_establishment_is_harmless() {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    let t = h.initiator.poll_transmit().unwrap();
    for r in h.sc.handle(LOCAL, t.destination, &t.payload) {
        h.initiator.handle_datagram(h.now, SC_ADDR, &r);
    }
    let t = h.initiator.poll_transmit().unwrap();
    let replies = h.sc.handle(LOCAL, t.destination, &t.payload);
    for r in replies.iter().chain(replies.iter()) {
        h.initiator.handle_datagram(h.now, SC_ADDR, r);
    }
    h.pump();
    assert!(h.established().is_some());
    assert_eq!(h.initiator.stats().unexpected_response, 1);
}

fn established() -> Harness {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.pump();
    assert!(h.established().is_some());
    h
}

#[test]
fn liveness_check_is_answered_and_its_retransmission_gets_the_same_answer() {
    let mut h = established();
    let request = h.sc.request(ExchangeType::Informational, &[]);
    h.initiator.handle_datagram(h.now, SC_ADDR, &request);
    let answer = h.initiator.poll_transmit().expect("answered");
    let (m, inner) = h.sc.open_response(&answer.payload);
    assert!(m.header.flags.response());
    assert!(m.header.flags.initiator());
    assert_eq!(m.header.message_id, 0);
    assert!(inner.is_empty());
    // The SC did not hear us and sends the same request again.
    h.initiator.handle_datagram(h.now, SC_ADDR, &request);
    let again = h.initiator.poll_transmit().expect("answered again");
    assert_eq!(again.payload, answer.payload);
    assert_eq!(h.initiator.stats().duplicate_requests, 1);
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn requests_outside_the_window_are_dropped() {
    let mut h = established();
    h.sc.next_request_id = 5;
    let request = h.sc.request(ExchangeType::Informational, &[]);
    h.initiator.handle_datagram(h.now, SC_ADDR, &request);
    assert!(h.initiator.poll_transmit().is_none());
    assert_eq!(h.initiator.stats().out_of_window, 1);
}

#[test]
fn sc_delete_of_the_ike_sa_is_answered_and_closes() {
    let mut h = established();
    let request = h.sc.request(
        ExchangeType::Informational,
        &[Payload::Delete(Delete::ike())],
    );
    h.initiator.handle_datagram(h.now, SC_ADDR, &request);
    let answer = h.initiator.poll_transmit().expect("answered");
    let (m, _) = h.sc.open_response(&answer.payload);
    assert!(m.header.flags.response());
    h.pump();
    assert!(matches!(h.closed(), Some(Err(InitiatorError::ScDeleted))));
    assert_eq!(h.initiator.phase(), None);
}

#[test]
fn sc_delete_of_the_child_sa_is_answered_with_ours() {
    let mut h = established();
    let spi_in = h.established().unwrap().child.spi_in;
    let request = h.sc.request(
        ExchangeType::Informational,
        &[Payload::Delete(Delete::esp(&[0xc000_5c01]))],
    );
    h.initiator.handle_datagram(h.now, SC_ADDR, &request);
    let answer = h.initiator.poll_transmit().expect("answered");
    let (_, inner) = h.sc.open_response(&answer.payload);
    assert_eq!(inner, vec![Payload::Delete(Delete::esp(&[spi_in]))]);
}

#[test]
fn create_child_sa_from_the_sc_is_refused_politely_for_now() {
    let mut h = established();
    let request = h.sc.request(ExchangeType::CreateChildSa, &[]);
    h.initiator.handle_datagram(h.now, SC_ADDR, &request);
    let answer = h.initiator.poll_transmit().expect("answered");
    let (_, inner) = h.sc.open_response(&answer.payload);
    assert!(matches!(&inner[..], [Payload::Notify(n)] if n.kind == NotifyType::NoAdditionalSas));
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}
