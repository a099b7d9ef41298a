//! CHILD_SA rekeying, DELETE of replaced SAs and liveness checks, on the
//! fake clock: our rekeys when the lifetime is up (with and without PFS),
//! the SC's, refusals, a collision of both, deletes from either side, and
//! an SC that stops answering.

use std::time::Duration;

use super::child_checks::{carries_esp, rekeyed, same_child, up};
use super::fake_sc::FIRST_CHILD_SPI;
use super::*;
use crate::crypto::DhGroup;
use crate::ike::initiator::{InitiatorError, Lifetime, Phase};
use crate::ike::payload::{Delete, Payload};
use crate::ike::types::{ExchangeType, NotifyType};

const CHILD_LIFE: Duration = Duration::from_secs(20);

fn config(pfs: Option<DhGroup>, dpd: Option<Duration>) -> InitiatorConfig {
    let mut config = psk_config();
    config.child_lifetime = Lifetime {
        rekey_after: CHILD_LIFE,
        jitter: Duration::ZERO,
    };
    config.child_pfs = pfs;
    config.dpd_interval = dpd;
    config
}

fn outbound(h: &Harness) -> Vec<u32> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::ChildOutbound { spi_in } => Some(*spi_in),
            _ => None,
        })
        .collect()
}

fn retired(h: &Harness) -> Vec<u32> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::ChildRetired { spi_in } => Some(*spi_in),
            _ => None,
        })
        .collect()
}

#[test]
fn our_rekey_comes_at_the_lifetime_and_retires_the_old_sa() {
    for pfs in [None, Some(DhGroup::Curve25519)] {
        let mut h = up(config(pfs, None));
        let first = h.established().unwrap().child.spi_in;
        let start = h.now;
        assert_eq!(h.initiator.poll_timeout(), Some(start + CHILD_LIFE));
        h.advance();
        h.pump();
        // REKEY_SA named our old inbound SPI; PFS sent a KE.
        let request = &h.sc.create_child_requests[0];
        let has_ke = request.iter().any(|p| matches!(p, Payload::KeyExchange(_)));
        assert_eq!(has_ke, pfs.is_some());
        let new = rekeyed(&h);
        assert_eq!(new.len(), 1, "{pfs:?}");
        let expected = &h.sc.children[1];
        assert_eq!(expected.rekeyed_from, Some(first));
        same_child(new[0], &expected.client_view());
        carries_esp(new[0], &expected.sc_view());
        // We started it: the SC installed its inbound half before
        // answering, so we send on the new SA at once.
        assert_eq!(outbound(&h), vec![new[0].spi_in]);
        // The old one was deleted on both sides, then reported retired.
        assert!(h.sc.children[0].deleted);
        assert_eq!(retired(&h), vec![first]);
        assert_eq!(h.initiator.phase(), Some(Phase::Established));
        // The next rekey is one lifetime after this one.
        assert_eq!(h.initiator.poll_timeout(), Some(h.now + CHILD_LIFE));
        h.advance();
        h.pump();
        assert_eq!(rekeyed(&h).len(), 2);
        assert!(h.sc.children[1].deleted);
    }
}

#[test]
fn the_scs_rekey_is_answered_and_its_delete_retires_the_old_sa() {
    let mut h = up(config(None, None));
    let first = h.established().unwrap().child.spi_in;
    for pfs in [None, Some(DhGroup::Curve25519)] {
        let request = h.sc.rekey_child_request(h.sc.children.len() - 1, pfs);
        let source = h.sc.address();
        h.initiator.handle_datagram(h.now, source, &request);
        h.pump();
        assert!(
            matches!(h.sc.rekey_answers.last(), Some(Ok(_))),
            "{:?}",
            h.sc.rekey_answers
        );
    }
    let new = rekeyed(&h);
    assert_eq!(new.len(), 2);
    for (ours, theirs) in new.iter().zip(&h.sc.children[1..]) {
        same_child(ours, &theirs.client_view());
        carries_esp(ours, &theirs.sc_view());
    }
    // The SC started these: we keep sending on the old SA until it goes
    // (RFC 7296 §2.8), since the SC may not have installed the new one yet.
    assert!(outbound(&h).is_empty());
    // The SC deletes the two replaced SAs (by its inbound SPIs): we answer
    // with ours and retire them; the connection stays up.
    let old: Vec<u32> = h.sc.children[..2].iter().map(|c| c.sc_spi).collect();
    let delete = h.sc.request(
        ExchangeType::Informational,
        &[Payload::Delete(Delete::esp(&old))],
    );
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &delete);
    let answer = h.initiator.poll_transmit().unwrap();
    let (_, payloads) = h.sc.open_response(&answer.payload);
    let Some(Payload::Delete(d)) = payloads.first() else {
        panic!("no DELETE in the answer: {payloads:?}");
    };
    assert_eq!(d.esp_spis(), vec![first, h.sc.children[1].client_spi]);
    h.pump();
    assert_eq!(retired(&h), vec![first, h.sc.children[1].client_spi]);
    // Now the newest one carries our traffic.
    assert_eq!(outbound(&h), vec![h.sc.children[2].client_spi]);
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn a_rekey_for_an_sa_we_do_not_have_is_refused() {
    let mut h = up(config(None, None));
    // Make the SC believe the current SA has another SPI.
    h.sc.children[0].sc_spi ^= 0x0101_0101;
    let request = h.sc.rekey_child_request(0, None);
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &request);
    h.pump();
    let answer = h.sc.rekey_answers.last().unwrap();
    assert!(
        answer
            .as_ref()
            .is_err_and(|e| e.contains("CHILD_SA_NOT_FOUND")),
        "{answer:?}"
    );
    assert!(rekeyed(&h).is_empty());
}

#[test]
fn a_refused_rekey_keeps_the_sa_and_is_tried_again() {
    let mut h = up(config(None, None));
    h.sc.script.refuse_create_child = Some(NotifyType::TemporaryFailure);
    h.advance();
    h.pump();
    assert!(rekeyed(&h).is_empty());
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
    let retry = h.initiator.poll_timeout().unwrap();
    assert_eq!(retry - h.now, Duration::from_secs(10));
    h.sc.script.refuse_create_child = None;
    h.advance();
    h.pump();
    assert_eq!(rekeyed(&h).len(), 1);
}

#[test]
fn an_unanswered_rekey_is_retransmitted_then_ends_the_connection() {
    let mut h = up(config(None, None));
    h.sc.script.drop_create_child = true;
    h.advance();
    h.pump();
    while h.closed().is_none() {
        h.advance();
        h.pump();
    }
    assert!(h.sc.create_child_requests.len() >= 2, "no retransmission");
    assert!(
        matches!(
            h.closed(),
            Some(Err(InitiatorError::Timeout {
                phase: Phase::Rekeying,
                ..
            }))
        ),
        "{:?}",
        h.closed()
    );
}

#[test]
fn a_delete_of_the_current_sa_ends_the_connection() {
    let mut h = up(config(None, None));
    let delete = h.sc.request(
        ExchangeType::Informational,
        &[Payload::Delete(Delete::esp(&[FIRST_CHILD_SPI]))],
    );
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &delete);
    h.pump();
    assert!(
        matches!(h.closed(), Some(Err(InitiatorError::ScDeleted))),
        "{:?}",
        h.closed()
    );
}

#[test]
fn collisions_leave_one_sa_whichever_nonce_is_lowest() {
    // The nonces are random: repeat so both outcomes are likely seen.
    let mut outcomes = [0usize; 2];
    for _ in 0..16 {
        let mut h = up(config(None, None));
        let first = h.established().unwrap().child.spi_in;
        // Our rekey is due and queued; before it reaches the SC, the SC's
        // own rekey of the same SA arrives.
        h.advance();
        let ours = h.initiator.poll_transmit().unwrap();
        let theirs = h.sc.rekey_child_request(0, None);
        let source = h.sc.address();
        h.initiator.handle_datagram(h.now, source, &theirs);
        let answer = h.initiator.poll_transmit().unwrap();
        h.sc.take_rekey_response(&answer.payload).unwrap();
        for reply in h.sc.handle(LOCAL, ours.destination, &ours.payload) {
            h.initiator.handle_datagram(h.now, source, &reply);
        }
        h.pump();
        let scs =
            h.sc.children
                .iter()
                .position(|c| c.rekeyed_from.is_some())
                .unwrap();
        let ours_at =
            h.sc.children
                .iter()
                .rposition(|c| c.rekeyed_from.is_some())
                .unwrap();
        assert_ne!(scs, ours_at);
        let (scs, ours_sa) = (&h.sc.children[scs], &h.sc.children[ours_at]);
        let current = rekeyed(&h).last().unwrap().spi_in;
        if current == scs.client_spi {
            // Ours had the lowest nonce: we deleted it ourselves.
            outcomes[0] += 1;
            assert!(ours_sa.deleted, "our redundant SA was not deleted");
        } else {
            // Theirs had it: ours is current, and deleting the old SA
            // and (when the SC gets to it) its redundant one is left.
            outcomes[1] += 1;
            assert_eq!(current, ours_sa.client_spi);
            assert!(!ours_sa.deleted);
            assert!(h.sc.children[0].deleted, "the old SA was not deleted");
            assert!(retired(&h).contains(&first));
        }
        assert_eq!(h.initiator.phase(), Some(Phase::Established));
    }
    println!(
        "ours redundant {}, theirs redundant {}",
        outcomes[0], outcomes[1]
    );
    assert_eq!(outcomes.iter().sum::<usize>(), 16);
}

#[test]
fn silence_brings_a_liveness_check_and_traffic_postpones_it() {
    let dpd = Duration::from_secs(30);
    let mut config = config(None, Some(dpd));
    config.child_lifetime.rekey_after = Duration::from_secs(3600);
    let mut h = up(config);
    let start = h.now;
    assert_eq!(h.initiator.poll_timeout(), Some(start + dpd));
    // ESP from the SC 20 s in: the check moves.
    h.initiator.note_inbound(start + Duration::from_secs(20));
    assert_eq!(
        h.initiator.poll_timeout(),
        Some(start + Duration::from_secs(50))
    );
    h.advance();
    h.pump();
    assert_eq!(h.sc.informational_requests.len(), 1);
    assert!(
        h.sc.informational_requests[0].is_empty(),
        "a liveness check is empty"
    );
    assert_eq!(h.initiator.stats().liveness_checks, 1);
    // Answered: the next one is due a full interval later.
    assert_eq!(h.initiator.poll_timeout(), Some(h.now + dpd));
}

#[test]
fn an_sc_that_stops_answering_is_declared_gone() {
    let mut config = config(None, Some(Duration::from_secs(30)));
    config.child_lifetime.rekey_after = Duration::from_secs(3600);
    let mut h = up(config);
    h.sc.script.ignore_informational = true;
    let start = h.now;
    while h.closed().is_none() {
        h.advance();
        h.pump();
    }
    let Some(Err(InitiatorError::Timeout { phase, tries, .. })) = h.closed() else {
        panic!("{:?}", h.closed());
    };
    assert_eq!(*phase, Phase::Liveness);
    assert_eq!(*tries, crate::ike::initiator::LIVENESS_TRIES);
    println!("declared gone after {:?}", h.now - start);
}

#[test]
fn a_crossed_rekey_the_sc_refuses_leaves_the_scs_new_sa_its_full_lifetime() {
    let mut h = up(config(None, None));
    // Our rekey is due; the SC's rekey of the same SA reaches us first and
    // is answered, so the SC's new SA is current.
    h.advance();
    let ours = h.initiator.poll_transmit().unwrap();
    let theirs = h.sc.rekey_child_request(0, None);
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &theirs);
    let answer = h.initiator.poll_transmit().unwrap();
    h.sc.take_rekey_response(&answer.payload).unwrap();
    let scs_new = rekeyed(&h).last().map(|c| c.spi_in);
    h.pump();
    // Ours then arrives for an SA the SC has replaced: it refuses.
    h.sc.script.refuse_create_child = Some(NotifyType::ChildSaNotFound);
    for reply in h.sc.handle(LOCAL, ours.destination, &ours.payload) {
        h.initiator.handle_datagram(h.now, source, &reply);
    }
    h.pump();
    assert_eq!(h.initiator.stats().rekey_collisions, 1);
    let current = rekeyed(&h).last().unwrap().spi_in;
    assert!(scs_new.is_none() || scs_new == Some(current));
    // No retry in 10 s: the SA is new and lives its lifetime.
    assert_eq!(h.initiator.poll_timeout(), Some(h.now + CHILD_LIFE));
}

#[test]
fn after_a_long_silence_a_liveness_check_goes_before_an_overdue_rekey() {
    let mut h = up(config(None, Some(Duration::from_secs(30))));
    h.sc.script.ignore_informational = true;
    h.sc.script.drop_create_child = true;
    // Asleep past both the liveness interval and the CHILD_SA lifetime.
    h.now += Duration::from_secs(120);
    h.initiator.handle_timeout(h.now);
    h.pump();
    assert_eq!(h.sc.informational_requests.len(), 1);
    assert!(h.sc.create_child_requests.is_empty());
    // Its short schedule ends the SA in 7.5 s, not after a rekey's 31.5 s.
    let woke = h.now;
    while h.closed().is_none() {
        h.advance();
        h.pump();
    }
    assert!(h.now - woke <= Duration::from_secs(8), "{:?}", h.now - woke);
    assert!(matches!(
        h.closed(),
        Some(Err(InitiatorError::Timeout {
            phase: Phase::Liveness,
            ..
        }))
    ));
}

#[test]
fn an_unanswered_rekey_ends_the_sa_on_the_liveness_schedule() {
    let mut h = up(config(None, Some(Duration::from_secs(30))));
    h.sc.script.drop_create_child = true;
    h.advance();
    h.pump();
    let sent = h.now;
    while h.closed().is_none() {
        h.advance();
        h.pump();
    }
    assert_eq!(h.sc.create_child_requests.len(), 4);
    assert_eq!(h.now - sent, Duration::from_millis(7500));
    assert!(matches!(
        h.closed(),
        Some(Err(InitiatorError::Timeout {
            phase: Phase::Rekeying,
            tries: 4,
            ..
        }))
    ));
}
