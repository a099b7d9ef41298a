//! MOBIKE (RFC 4555) on the fake clock: agreeing on it, moving the SAs to
//! a new local address, a move while a request is in flight, a NAT
//! rebinding found by a liveness check, the SC's refusals and a missing
//! COOKIE2, and following the SC to another of its addresses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::fake_sc::mobike::MobikeScript;
use super::fake_sc::Script;
use super::*;
use crate::ike::initiator::{InitiatorError, Phase};
use crate::ike::message::notifies;
use crate::ike::payload::Payload;
use crate::ike::types::NotifyType;

/// Where the hotspot's new address puts us.
const MOVED: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77)), 50_001);
/// Where a NAT that rebound shows us.
const REBOUND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 11)), 62_000);
/// Another address of the SC.
const SC_OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));

fn mobike_script(mobike: MobikeScript) -> Script {
    let mut script = Script::psk(PSK);
    script.mobike = Some(mobike);
    script
}

fn up_with(script: Script, dpd: Option<Duration>) -> Harness {
    let mut config = psk_config();
    config.dpd_interval = dpd;
    let mut h = Harness::new(config, script);
    h.pump();
    assert!(h.established().is_some(), "{:?}", h.closed());
    h
}

fn has(payloads: &[Payload], kind: NotifyType) -> bool {
    notifies(payloads).any(|n| n.kind == kind)
}

fn path_updates(h: &Harness) -> Vec<(SocketAddr, SocketAddr, bool)> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::PathUpdated {
                local,
                sc,
                behind_nat,
            } => Some((*local, *sc, *behind_nat)),
            _ => None,
        })
        .collect()
}

fn update_requests(h: &Harness) -> usize {
    h.sc.informational_requests
        .iter()
        .filter(|r| has(r, NotifyType::UpdateSaAddresses))
        .count()
}

#[test]
fn mobike_is_agreed_and_the_nat_mapping_learned_at_once() {
    let h = up_with(mobike_script(MobikeScript::default()), None);
    assert!(h.established().unwrap().mobike);
    assert!(h.initiator.mobike());
    // Right after IKE_AUTH: NAT detection only, no move.
    assert_eq!(h.sc.informational_requests.len(), 1);
    let check = &h.sc.informational_requests[0];
    assert!(has(check, NotifyType::NatDetectionSourceIp));
    assert!(has(check, NotifyType::NatDetectionDestinationIp));
    assert!(!has(check, NotifyType::UpdateSaAddresses));
    assert_eq!(h.initiator.stats().liveness_checks, 0);
}

#[test]
fn without_mobike_at_the_sc_a_move_is_refused_and_nothing_sent() {
    let mut h = up_with(Script::psk(PSK), None);
    assert!(!h.established().unwrap().mobike);
    assert!(h.sc.informational_requests.is_empty());
    let sent = h.sent.len();
    assert!(!h.initiator.move_to(h.now, MOVED));
    h.pump();
    assert_eq!(h.sent.len(), sent);
    assert_eq!(h.initiator.local_address(), LOCAL);
}

#[test]
fn a_new_local_address_moves_the_sas_with_a_return_routability_check() {
    let mut h = up_with(mobike_script(MobikeScript::default()), None);
    h.source = Some(MOVED);
    assert!(h.initiator.move_to(h.now, MOVED));
    h.pump();
    assert_eq!(h.sc.moves, vec![MOVED]);
    let update =
        h.sc.informational_requests
            .iter()
            .find(|r| has(r, NotifyType::UpdateSaAddresses))
            .unwrap();
    assert!(has(update, NotifyType::Cookie2));
    assert!(has(update, NotifyType::NatDetectionSourceIp));
    // The SC sees us where we say we are: no NAT.
    assert_eq!(
        path_updates(&h),
        vec![(MOVED, h.initiator.sc_address(), false)]
    );
    assert_eq!(h.initiator.stats().path_updates, 1);
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn a_move_resends_the_request_in_flight_at_once_and_updates_after_it() {
    let mut script = mobike_script(MobikeScript::default());
    script.drop_create_child = true;
    let mut config = psk_config();
    config.child_lifetime.rekey_after = Duration::from_secs(20);
    config.child_lifetime.jitter = Duration::ZERO;
    let mut h = Harness::new(config, script);
    h.pump();
    // Our CHILD_SA rekey goes out and is not answered.
    h.advance();
    h.pump();
    assert_eq!(h.sc.create_child_requests.len(), 1);
    let rekey = h.sent.last().unwrap().payload.clone();
    h.now += Duration::from_millis(100);
    h.source = Some(MOVED);
    h.sc.script.drop_create_child = false;
    assert!(h.initiator.move_to(h.now, MOVED));
    // The same request again, now, from the new path; no update yet (one
    // request at a time).
    let resent = h.initiator.poll_transmit().unwrap();
    assert_eq!(resent.payload, rekey);
    assert!(h.initiator.poll_transmit().is_none());
    h.sent.push(resent.clone());
    for reply in h.sc.handle(MOVED, resent.destination, &resent.payload) {
        h.initiator.handle_datagram(h.now, h.sc.address(), &reply);
    }
    // The rekey's answer lets the update go.
    h.pump();
    assert_eq!(h.sc.moves, vec![MOVED]);
    assert_eq!(path_updates(&h).len(), 1);
}

#[test]
fn a_nat_rebinding_is_found_by_a_liveness_check_and_followed() {
    let mut script = mobike_script(MobikeScript::default());
    script.sees_us_at = Some(NAT_PUBLIC);
    let mut h = up_with(script, Some(Duration::from_secs(30)));
    // The NAT gives us another public port; nothing changes locally.
    h.source = Some(REBOUND);
    let waited = h.advance();
    assert_eq!(waited, Duration::from_secs(30));
    h.pump();
    assert_eq!(h.initiator.stats().liveness_checks, 1);
    assert_eq!(h.initiator.stats().nat_rebindings, 1);
    assert_eq!(h.sc.moves, vec![REBOUND]);
    // Our address is unchanged; the SC sees another one: behind a NAT.
    assert_eq!(
        path_updates(&h),
        vec![(LOCAL, h.initiator.sc_address(), true)]
    );
    // The next check finds the mapping as the update left it.
    h.advance();
    h.pump();
    assert_eq!(h.initiator.stats().nat_rebindings, 1);
    assert_eq!(update_requests(&h), 1);
}

#[test]
fn an_unchanged_nat_mapping_moves_nothing() {
    let mut script = mobike_script(MobikeScript::default());
    script.sees_us_at = Some(NAT_PUBLIC);
    let mut h = up_with(script, Some(Duration::from_secs(30)));
    for _ in 0..3 {
        h.advance();
        h.pump();
    }
    assert_eq!(h.initiator.stats().liveness_checks, 3);
    assert_eq!(h.initiator.stats().nat_rebindings, 0);
    assert_eq!(update_requests(&h), 0);
}

#[test]
fn a_missing_cookie2_ends_the_connection() {
    let mut h = up_with(
        mobike_script(MobikeScript {
            drop_cookie2: true,
            ..MobikeScript::default()
        }),
        None,
    );
    h.source = Some(MOVED);
    assert!(h.initiator.move_to(h.now, MOVED));
    h.pump();
    assert!(
        matches!(h.closed(), Some(Err(InitiatorError::Protocol(m))) if m.contains("COOKIE2")),
        "{:?}",
        h.closed()
    );
    assert!(path_updates(&h).is_empty());
}

#[test]
fn a_refused_move_ends_the_connection_with_the_reason() {
    let mut h = up_with(
        mobike_script(MobikeScript {
            refuse_update: Some(NotifyType::UnacceptableAddresses),
            ..MobikeScript::default()
        }),
        None,
    );
    h.source = Some(MOVED);
    assert!(h.initiator.move_to(h.now, MOVED));
    h.pump();
    assert!(h.closed().is_some_and(|r| r.is_err()), "{:?}", h.closed());
    assert!(h.sc.moves.is_empty());
}

#[test]
fn the_sc_withdrawing_its_address_is_followed_to_the_one_it_writes_from() {
    let mut h = up_with(
        mobike_script(MobikeScript {
            additional: vec![SC_OTHER],
            ..MobikeScript::default()
        }),
        None,
    );
    assert_eq!(h.initiator.sc_additional_addresses(), &[SC_OTHER]);
    let port = h.initiator.sc_address().port();
    let other = SocketAddr::new(SC_OTHER, port);
    // From its other address: "this is my only address now".
    let request = h.sc.address_list_request(&[]);
    h.sc_source = Some(other);
    h.initiator.handle_datagram(h.now, other, &request);
    assert_eq!(h.initiator.sc_address(), other);
    h.pump();
    // The answer and the update went to the new address.
    assert!(h.sent.iter().rev().take(2).all(|t| t.destination == other));
    assert_eq!(h.sc.moves.len(), 1);
    assert_eq!(path_updates(&h), vec![(LOCAL, other, false)]);
    assert!(h.initiator.sc_additional_addresses().is_empty());
}

#[test]
fn an_address_list_that_keeps_the_current_address_moves_nothing() {
    let mut h = up_with(mobike_script(MobikeScript::default()), None);
    let sc = h.initiator.sc_address();
    let request = h.sc.address_list_request(&[SC_OTHER]);
    h.initiator.handle_datagram(h.now, sc, &request);
    h.pump();
    assert_eq!(h.initiator.sc_address(), sc);
    assert_eq!(h.initiator.sc_additional_addresses(), &[SC_OTHER]);
    assert_eq!(update_requests(&h), 0);
}

#[test]
fn responses_from_another_address_are_dropped_even_with_mobike() {
    let mut h = up_with(
        mobike_script(MobikeScript::default()),
        Some(Duration::from_secs(30)),
    );
    h.sc_source = Some(SocketAddr::new(SC_OTHER, h.initiator.sc_address().port()));
    h.advance();
    h.pump();
    assert!(
        h.initiator.stats().unknown_sender >= 1,
        "{:?} {:?}",
        h.initiator.stats(),
        h.sent.len()
    );
    // Unanswered, the check is sent again.
    h.sc_source = None;
    h.advance();
    h.pump();
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}
