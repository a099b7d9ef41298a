//! `confirm_sc`: the initiator stops once the SC has proven its identity,
//! before the first EAP response, until told to go on or to drop it.

use crate::ike::initiator::{Event, InitiatorError};
use crate::ike::types::ExchangeType;
use crate::pki::tests::support::{ca, dns, Alg, Leaf};

use super::certificates::{eap_config, has_eap_or_auth, sc_script, PASSWORD};
use super::Harness;

fn paused_harness(leaf: Leaf) -> Harness {
    let root = ca("Softwire Test CA", Alg::P256);
    let issued = leaf.issue(&root);
    let mut config = eap_config(&root, PASSWORD);
    config.confirm_sc = true;
    let mut h = Harness::new(config, sc_script(&issued));
    h.pump();
    h
}

fn proven(h: &Harness) -> Option<&str> {
    h.events.iter().find_map(|e| match e {
        Event::ScProven { identity } => Some(identity.as_str()),
        _ => None,
    })
}

#[test]
fn the_engine_pauses_after_the_proof_and_proceeds_to_established() {
    let mut h = paused_harness(Leaf::sc());
    assert_eq!(proven(&h), Some("sc.example.net"));
    // Only the first IKE_AUTH (identities) went out; nothing is queued
    // and no timer would send anything.
    assert_eq!(h.sc.auth_requests.len(), 1);
    assert!(!has_eap_or_auth(&h.sc.auth_requests[0]));
    assert!(h.initiator.poll_transmit().is_none());
    assert_eq!(h.initiator.poll_timeout(), None);
    assert!(h.established().is_none());

    h.initiator.proceed(h.now);
    h.pump();
    let e = h.established().unwrap_or_else(|| panic!("{:?}", h.events));
    assert_eq!(e.sc_identity, "sc.example.net");
    // The same five rounds as without the pause.
    assert_eq!(h.sc.auth_requests.len(), 5);
    // A second proceed does nothing.
    h.initiator.proceed(h.now);
    assert!(h.initiator.poll_transmit().is_none());
}

#[test]
fn abandon_after_the_proof_sends_one_delete_and_no_eap() {
    let mut h = paused_harness(Leaf::sc());
    assert!(proven(&h).is_some());
    let before = h.sent.len();
    h.initiator.abandon(h.now);
    h.pump();
    assert_eq!(h.sent.len(), before + 1, "exactly one datagram: the DELETE");
    let last = h.sc.received.last().unwrap();
    assert_eq!(last.header.exchange, ExchangeType::Informational);
    assert_eq!(h.sc.auth_requests.len(), 1);
    assert!(h.sc.auth_requests.iter().all(|r| !has_eap_or_auth(r)));
    assert!(matches!(h.closed(), Some(Err(InitiatorError::Abandoned))));
    assert_eq!(h.initiator.poll_timeout(), None);
}

#[test]
fn abandon_before_any_answer_closes_with_nothing_sent() {
    let root = ca("Softwire Test CA", Alg::P256);
    let mut config = eap_config(&root, PASSWORD);
    config.confirm_sc = true;
    let mut h = Harness::new(config, sc_script(&Leaf::sc().issue(&root)));
    // IKE_SA_INIT is queued but not yet answered.
    let queued = h.initiator.poll_transmit();
    assert!(queued.is_some());
    h.initiator.abandon(h.now);
    h.pump();
    assert!(matches!(h.closed(), Some(Err(InitiatorError::Abandoned))));
    assert!(h.sent.is_empty());
    assert_eq!(h.initiator.poll_timeout(), None);
    assert_eq!(
        InitiatorError::Abandoned.to_string(),
        "another SC was chosen"
    );
}

#[test]
fn without_confirm_there_is_no_pause() {
    let root = ca("Softwire Test CA", Alg::P256);
    let mut h = Harness::new(
        eap_config(&root, PASSWORD),
        sc_script(&Leaf::sc().issue(&root)),
    );
    h.pump();
    assert_eq!(proven(&h), None);
    assert!(h.established().is_some());
}

#[test]
fn an_sc_proving_another_identity_is_refused_without_a_pause() {
    let mut leaf = Leaf::sc();
    leaf.cn = "rogue.example.net";
    leaf.sans = vec![dns("rogue.example.net")];
    let h = paused_harness(leaf);
    assert_eq!(proven(&h), None);
    assert!(matches!(
        h.closed(),
        Some(Err(InitiatorError::ScCertificate(_)))
    ));
    assert!(h.sc.auth_requests.iter().all(|r| !has_eap_or_auth(r)));
}
