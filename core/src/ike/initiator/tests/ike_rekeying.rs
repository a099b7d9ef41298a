//! IKE SA rekeying (RFC 7296 §1.3.2, §2.18) on the fake clock: ours when
//! the lifetime is up, the switch of both sides to the new SA and the
//! DELETE of the old one under its own SPIs and keys, a lost answer to that
//! DELETE, a refusal, the SC's own request, and several rekeys in a row.

use std::time::Duration;

use super::child_checks::{carries_esp, rekeyed, same_child, up};
use super::*;
use crate::ike::header::{Header, Spi};
use crate::ike::initiator::{Lifetime, Phase, CLOSING_TRIES};
use crate::ike::payload::{Delete, Notify, Payload};
use crate::ike::types::{ExchangeType, KeyExchangeId, NotifyType, ProtocolId};

const IKE_LIFE: Duration = Duration::from_secs(600);
/// A CHILD_SA lifetime that never comes up in these tests.
const LONG: Duration = Duration::from_secs(100 * 3600);
/// The fake SC's SPI of the first IKE SA, and of the first rekeyed one.
const FIRST_SPI_R: Spi = [0x5c; 8];
const REKEYED_SPI_R: Spi = [0x5d; 8];
const WILL_RETRY: Duration = Duration::from_secs(10);

/// An IKE SA rekeyed every [`IKE_LIFE`] exactly, CHILD_SAs every
/// `child_life`, no liveness checks.
fn config(child_life: Duration) -> InitiatorConfig {
    let mut config = psk_config();
    config.ike_lifetime = Lifetime {
        rekey_after: IKE_LIFE,
        jitter: Duration::ZERO,
    };
    config.child_lifetime = Lifetime {
        rekey_after: child_life,
        jitter: Duration::ZERO,
    };
    config.dpd_interval = None;
    config
}

/// The requests the SC received from index `from` of `received` on:
/// exchange, message ID and IKE SPIs.
fn requests(h: &Harness, from: usize) -> Vec<(ExchangeType, u32, (Spi, Spi))> {
    h.sc.received[from..]
        .iter()
        .filter(|m| !m.header.flags.response())
        .map(|m| {
            let h = m.header;
            (h.exchange, h.message_id, (h.spi_i, h.spi_r))
        })
        .collect()
}

/// A liveness check from the SC on its current IKE SA: the initiator's
/// answer must open with the SC's keys and be empty. Returns its header.
fn sc_liveness_check(h: &mut Harness) -> Header {
    let request = h.sc.request(ExchangeType::Informational, &[]);
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &request);
    let answer = h.initiator.poll_transmit().expect("an answer");
    let (m, payloads) = h.sc.open_response(&answer.payload);
    assert!(payloads.is_empty(), "{payloads:?}");
    assert!(m.header.flags.response());
    assert_eq!((m.header.spi_i, m.header.spi_r), h.sc.ike_spis());
    m.header
}

/// The old SA's DELETE as the SC opened it with the old SA's keys.
fn old_sa_delete(h: &Harness, index: usize, old: (Spi, Spi), message_id: u32) {
    let (header, payloads) = &h.sc.old_sa_requests[index];
    assert_eq!((header.spi_i, header.spi_r), old);
    assert_eq!(
        (header.exchange, header.message_id),
        (ExchangeType::Informational, message_id)
    );
    assert!(!header.flags.response());
    assert_eq!(payloads, &vec![Payload::Delete(Delete::ike())]);
}

#[test]
fn our_ike_rekey_comes_at_the_lifetime_and_moves_to_the_new_sa() {
    // The CHILD_SA is rekeyed after the IKE SA, from the new SK_d.
    let child_life = Duration::from_secs(900);
    let mut h = up(config(child_life));
    let start = h.now;
    let suite = h.established().unwrap().suite;
    let old = (h.initiator.spi_i(), FIRST_SPI_R);
    assert_eq!(h.sc.ike_spis(), old);
    assert_eq!(h.initiator.poll_timeout(), Some(start + IKE_LIFE));
    let seen = h.sc.received.len();
    assert_eq!(h.advance(), IKE_LIFE);
    h.pump();
    // CREATE_CHILD_SA on the old SA, then the DELETE of the old SA, with
    // the next message IDs after IKE_AUTH's.
    assert_eq!(
        requests(&h, seen),
        vec![
            (ExchangeType::CreateChildSa, 2, old),
            (ExchangeType::Informational, 3, old),
        ]
    );
    // SA (one IKE proposal: the current suite, our new SPI), Ni, KEi.
    let request = h.sc.create_child_requests.last().unwrap();
    let new_spi_i = h.initiator.spi_i();
    assert_ne!(new_spi_i, old.0);
    let mut kinds = Vec::new();
    for p in request {
        match p {
            Payload::SecurityAssociation(sa) => {
                let [proposal] = sa.proposals.as_slice() else {
                    panic!("one proposal: {sa:?}");
                };
                assert_eq!(proposal.protocol, ProtocolId::Ike);
                assert_eq!(proposal.spi, new_spi_i);
                kinds.push("SA");
            }
            Payload::Nonce(n) => {
                assert!(n.0.len() >= 16);
                kinds.push("N");
            }
            Payload::KeyExchange(k) => {
                assert_eq!(k.group, KeyExchangeId::from(suite.dh.iana_id()));
                kinds.push("KE");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    kinds.sort_unstable();
    assert_eq!(kinds, ["KE", "N", "SA"]);
    // Both sides are on the new SA.
    let new = (new_spi_i, REKEYED_SPI_R);
    assert_eq!(h.sc.ike_spis(), new);
    assert_eq!(h.sc.ike_rekeys, 1);
    assert_eq!(h.initiator.stats().ike_rekeys, 1);
    // The old SA's DELETE opened with the old keys and was answered.
    assert_eq!(h.sc.old_sa_requests.len(), 1);
    old_sa_delete(&h, 0, old, 3);
    assert_eq!((h.sc.old_sas_deleted, h.sc.old_sas()), (1, 0));
    // The CHILD_SA stays as it was.
    assert!(rekeyed(&h).is_empty());
    assert!(!h.sc.children[0].deleted);
    carries_esp(&h.established().unwrap().child, &h.sc.children[0].sc_view());
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
    assert!(h.closed().is_none());
    // The SC's first request on the new SA has message ID 0.
    assert_eq!(sc_liveness_check(&mut h).message_id, 0);
    // Our first request on it too: the CHILD_SA rekey, then its DELETE.
    assert_eq!(h.initiator.poll_timeout(), Some(start + child_life));
    let seen = h.sc.received.len();
    h.advance();
    h.pump();
    assert_eq!(
        requests(&h, seen),
        vec![
            (ExchangeType::CreateChildSa, 0, new),
            (ExchangeType::Informational, 1, new),
        ]
    );
    // Its keys come from the new SK_d on both sides.
    let ours = rekeyed(&h);
    assert_eq!(ours.len(), 1);
    let theirs = &h.sc.children[1];
    same_child(ours[0], &theirs.client_view());
    carries_esp(ours[0], &theirs.sc_view());
    assert!(h.sc.children[0].deleted);
    // The next IKE SA rekey is one lifetime after the last.
    assert_eq!(h.initiator.poll_timeout(), Some(start + IKE_LIFE * 2));
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn an_unanswered_delete_of_the_old_sa_is_resent_on_its_own_schedule() {
    let mut h = up(config(LONG));
    h.sc.script.drop_old_delete = true;
    h.advance();
    h.pump();
    assert_eq!(h.sc.old_sa_requests.len(), 1);
    // Resent after 0.5 and 1 s more, then given up 2 s later.
    for (sends, wait) in [(2, 500), (3, 1000)] {
        assert_eq!(
            h.initiator.poll_timeout(),
            Some(h.now + Duration::from_millis(wait)),
            "the DELETE's retransmission is due"
        );
        h.advance();
        h.pump();
        assert_eq!(h.sc.old_sa_requests.len(), sends);
    }
    while h.sc.ike_rekeys < 2 {
        h.advance();
        h.pump();
    }
    assert_eq!(h.sc.old_sa_requests.len(), 4, "3 DELETEs, then the next");
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn an_unanswered_delete_of_the_old_sa_is_sent_three_times_then_dropped() {
    // The timers are fired by hand at the retransmission times (see the
    // test above for why `advance` cannot find them).
    let mut h = up(config(LONG));
    let old = (h.initiator.spi_i(), FIRST_SPI_R);
    h.sc.script.drop_old_delete = true;
    h.advance();
    h.pump();
    let rekeyed_at = h.now;
    assert_eq!(h.sc.ike_rekeys, 1);
    for wait in [500, 1000, 2000, 4000, 8000] {
        h.now += Duration::from_millis(wait);
        h.initiator.handle_timeout(h.now);
        h.pump();
    }
    assert_eq!(h.sc.old_sa_requests.len(), CLOSING_TRIES as usize);
    for i in 0..CLOSING_TRIES as usize {
        old_sa_delete(&h, i, old, 3);
    }
    assert_eq!((h.sc.old_sas_deleted, h.sc.old_sas()), (0, 1));
    // The connection stays up on the new SA.
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
    assert!(h.closed().is_none());
    assert_eq!(sc_liveness_check(&mut h).message_id, 0);
    // And the next rekey's DELETE, answered this time, is sent once.
    h.sc.script.drop_old_delete = false;
    assert_eq!(h.initiator.poll_timeout(), Some(rekeyed_at + IKE_LIFE));
    h.advance();
    h.pump();
    assert_eq!(h.sc.ike_rekeys, 2);
    assert_eq!(h.sc.old_sa_requests.len(), CLOSING_TRIES as usize + 1);
    assert_eq!(h.sc.old_sas_deleted, 1);
    h.now += Duration::from_secs(10);
    h.initiator.handle_timeout(h.now);
    h.pump();
    assert_eq!(h.sc.old_sa_requests.len(), CLOSING_TRIES as usize + 1);
}

#[test]
fn a_refused_ike_rekey_keeps_the_sa_and_is_tried_again() {
    let mut h = up(config(LONG));
    let old = (h.initiator.spi_i(), FIRST_SPI_R);
    h.sc.script.refuse_ike_rekey = Some(NotifyType::TemporaryFailure);
    h.advance();
    h.pump();
    assert_eq!(h.sc.create_child_requests.len(), 1);
    assert_eq!(h.sc.ike_rekeys, 0);
    assert_eq!(h.initiator.stats().ike_rekeys, 0);
    assert_eq!(h.initiator.spi_i(), old.0);
    assert_eq!(h.sc.ike_spis(), old);
    assert!(h.sc.old_sa_requests.is_empty());
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
    // The old SA still works both ways.
    let check = sc_liveness_check(&mut h);
    assert_eq!(((check.spi_i, check.spi_r), check.message_id), (old, 0));
    // Tried again 10 s later, with the next message ID.
    assert_eq!(h.initiator.poll_timeout(), Some(h.now + WILL_RETRY));
    h.sc.script.refuse_ike_rekey = None;
    let seen = h.sc.received.len();
    assert_eq!(h.advance(), WILL_RETRY);
    h.pump();
    assert_eq!(
        requests(&h, seen),
        vec![
            (ExchangeType::CreateChildSa, 3, old),
            (ExchangeType::Informational, 4, old),
        ]
    );
    assert_eq!(h.sc.ike_rekeys, 1);
    assert_eq!(h.initiator.stats().ike_rekeys, 1);
    assert_eq!(h.sc.ike_spis(), (h.initiator.spi_i(), REKEYED_SPI_R));
    assert_eq!(h.sc.old_sas_deleted, 1);
    assert_eq!(h.initiator.poll_timeout(), Some(h.now + IKE_LIFE));
}

#[test]
fn the_scs_ike_rekey_is_refused_and_ours_follows_at_once() {
    let mut h = up(config(LONG));
    let old = (h.initiator.spi_i(), FIRST_SPI_R);
    let request = h.sc.ike_rekey_request();
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &request);
    h.pump();
    // TEMPORARY_FAILURE, under the old SA, answering the SC's message 0.
    let answer = h.sent.last().unwrap();
    let (m, payloads) = h.sc.open_response(&answer.payload);
    assert!(m.header.flags.response());
    assert_eq!(
        (m.header.exchange, m.header.message_id),
        (ExchangeType::CreateChildSa, 0)
    );
    assert_eq!((m.header.spi_i, m.header.spi_r), old);
    let refusal = vec![Payload::Notify(Notify::flag(NotifyType::TemporaryFailure))];
    assert_eq!(payloads, refusal);
    assert_eq!(h.sc.ike_rekey_answers, vec![refusal]);
    assert_eq!(h.sc.ike_rekeys, 0);
    // Our own rekey is due at once.
    assert_eq!(h.initiator.poll_timeout(), Some(h.now));
    let seen = h.sc.received.len();
    assert_eq!(h.advance(), Duration::ZERO);
    h.pump();
    assert_eq!(
        requests(&h, seen),
        vec![
            (ExchangeType::CreateChildSa, 2, old),
            (ExchangeType::Informational, 3, old),
        ]
    );
    assert_eq!(h.sc.ike_rekeys, 1);
    assert_eq!(h.initiator.stats().ike_rekeys, 1);
    // (The SC's refused proposal used its first new SPI.)
    let new = h.sc.ike_spis();
    assert_eq!(new.0, h.initiator.spi_i());
    assert!(new.0 != old.0 && new.1 != old.1 && new.1 != REKEYED_SPI_R);
    assert_eq!(h.sc.old_sas_deleted, 1);
    // The SC's message IDs start again at 0 on the new SA.
    assert_eq!(sc_liveness_check(&mut h).message_id, 0);
    assert_eq!(h.initiator.poll_timeout(), Some(h.now + IKE_LIFE));
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn a_lost_answer_to_our_ike_rekey_is_given_again_from_the_old_sa() {
    let mut h = up(config(LONG));
    let old = (h.initiator.spi_i(), FIRST_SPI_R);
    let seen = h.sc.received.len();
    h.advance();
    // The SC answers and moves to the new SA; its answer is lost.
    let request = h.initiator.poll_transmit().unwrap();
    h.sent.push(request.clone());
    let lost = h.sc.handle(LOCAL, request.destination, &request.payload);
    assert_eq!(lost.len(), 1);
    assert_eq!(h.sc.ike_rekeys, 1);
    assert_eq!(h.initiator.spi_i(), old.0);
    // Our retransmission reaches the old SA and gets the same answer.
    assert_eq!(h.advance(), RetransmitPolicy::DEFAULT.initial);
    h.pump();
    assert_eq!(
        requests(&h, seen),
        vec![
            (ExchangeType::CreateChildSa, 2, old),
            (ExchangeType::CreateChildSa, 2, old),
            (ExchangeType::Informational, 3, old),
        ]
    );
    assert_eq!(h.sc.old_sa_requests.len(), 2);
    assert_eq!(
        h.sc.old_sa_requests[0].0.exchange,
        ExchangeType::CreateChildSa
    );
    old_sa_delete(&h, 1, old, 3);
    assert_eq!((h.sc.ike_rekeys, h.sc.old_sas_deleted), (1, 1));
    assert_eq!(h.initiator.stats().ike_rekeys, 1);
    assert_eq!(h.sc.ike_spis(), (h.initiator.spi_i(), REKEYED_SPI_R));
    assert_eq!(sc_liveness_check(&mut h).message_id, 0);
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}

#[test]
fn three_ike_rekeys_in_a_row_each_with_working_keys() {
    // Without and with UDP encapsulation (port 4500, non-ESP marker).
    for natt in [false, true] {
        three_ike_rekeys(natt);
    }
}

fn three_ike_rekeys(natt: bool) {
    let mut config = config(LONG);
    config.force_udp_encapsulation = natt;
    let mut h = up(config);
    assert_eq!(h.sc.address().port() == 4500, natt);
    let start = h.now;
    let mut spis = vec![h.sc.ike_spis()];
    for round in 1..=3u32 {
        assert_eq!(h.initiator.poll_timeout(), Some(start + IKE_LIFE * round));
        let seen = h.sc.received.len();
        h.advance();
        h.pump();
        let previous = *spis.last().unwrap();
        let current = h.sc.ike_spis();
        assert!(!spis.contains(&current), "{current:?} reused");
        assert_eq!(current.0, h.initiator.spi_i());
        // After IKE_AUTH, message 2; on a rekeyed SA our first request is 0.
        let id = if round == 1 { 2 } else { 0 };
        assert_eq!(
            requests(&h, seen),
            vec![
                (ExchangeType::CreateChildSa, id, previous),
                (ExchangeType::Informational, id + 1, previous),
            ],
            "round {round}"
        );
        let n = round as usize;
        assert_eq!(h.sc.ike_rekeys, n);
        assert_eq!(h.initiator.stats().ike_rekeys, u64::from(round));
        assert_eq!((h.sc.old_sas_deleted, h.sc.old_sas()), (n, 0));
        // The new keys work both ways: a liveness check and a CHILD_SA
        // rekey from the SC, whose keys come from the new SK_d.
        assert_eq!(sc_liveness_check(&mut h).message_id, 0);
        let child = h.sc.children.len() - 1;
        let request = h.sc.rekey_child_request(child, None);
        let source = h.sc.address();
        h.initiator.handle_datagram(h.now, source, &request);
        h.pump();
        assert_eq!(h.sc.rekey_answers.last(), Some(&Ok(child + 1)));
        let ours = rekeyed(&h);
        assert_eq!(ours.len(), n);
        let theirs = &h.sc.children[child + 1];
        same_child(ours[n - 1], &theirs.client_view());
        carries_esp(ours[n - 1], &theirs.sc_view());
        assert_eq!(h.initiator.phase(), Some(Phase::Established));
        spis.push(current);
    }
    // The SC's SPIs: 5d5d5d5d5d5d5d5d, then counting up.
    let spis_r: Vec<u8> = spis[1..].iter().map(|s| s.1[7]).collect();
    assert_eq!(spis[1].1, REKEYED_SPI_R);
    assert_eq!(spis_r, vec![0x5d, 0x5e, 0x5f]);
    assert!(h.closed().is_none());
}

#[test]
fn a_child_rekey_from_the_sc_waits_while_the_ike_sa_is_rekeyed() {
    let mut h = up(config(LONG));
    // Our IKE rekey is due and sent, but not yet answered...
    h.advance();
    let ours = h.initiator.poll_transmit().unwrap();
    // ...when the SC asks to rekey the CHILD_SA: RFC 7296 §2.25.2.
    let request = h.sc.rekey_child_request(0, None);
    let source = h.sc.address();
    h.initiator.handle_datagram(h.now, source, &request);
    let answer = h.initiator.poll_transmit().unwrap();
    let refused = h.sc.take_rekey_response(&answer.payload);
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("TEMPORARY_FAILURE")),
        "{refused:?}"
    );
    assert!(rekeyed(&h).is_empty());
    // Our IKE rekey then completes as usual.
    for reply in h.sc.handle(LOCAL, ours.destination, &ours.payload) {
        h.initiator.handle_datagram(h.now, source, &reply);
    }
    h.pump();
    assert_eq!(h.initiator.stats().ike_rekeys, 1);
    assert_eq!(h.initiator.phase(), Some(Phase::Established));
}
