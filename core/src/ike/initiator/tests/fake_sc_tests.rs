//! Tests of the fake itself: the test plays the client by sealing with the
//! fake's own client→SC cipher and opening with its SC→client one.

use std::net::Ipv4Addr;

use super::super::fake_child::{first_of_each_type, ipv4_packet, suite_of, Side};
use super::super::{psk_config, Harness, LOCAL, PSK};
use super::{FakeSc, Script, FIRST_CHILD_SPI};
use crate::crypto::{ChildSaKeys, DhGroup, Encryption, KeyExchange};
use crate::esp::{EspInbound, EspOutbound};
use crate::ike::child::{ranges, selectors, ChildSa, EspOffer};
use crate::ike::header::{Flags, Header};
use crate::ike::message::Message;
use crate::ike::payload::{
    Delete, KeyExchange as KePayload, Nonce, Notify, Payload, SecurityAssociation, TrafficSelectors,
};
use crate::ike::protect::{open_message, seal_message};
use crate::ike::types::*;

const CLIENT_INNER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 129);
const SITE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 7);

fn established() -> Harness {
    let mut h = Harness::new(psk_config(), Script::psk(PSK));
    h.pump();
    assert!(h.established().is_some());
    h
}

/// A request from the client, protected as the client would.
fn client_request(sc: &mut FakeSc, exchange: ExchangeType, id: u32, p: &[Payload]) -> Vec<u8> {
    let header = Header::new(sc.spi_i, sc.spi_r, exchange, Flags::new(true, false), id);
    seal_message(header, p, sc.inbound.as_mut().unwrap()).unwrap()
}

/// The client's answer to an SC request.
fn client_answer(sc: &mut FakeSc, request: &Message, p: &[Payload]) -> Vec<u8> {
    let h = request.header;
    let header = Header::new(
        h.spi_i,
        h.spi_r,
        h.exchange,
        Flags::new(true, true),
        h.message_id,
    );
    seal_message(header, p, sc.inbound.as_mut().unwrap()).unwrap()
}

/// Opens what the SC sent, as the client.
fn from_sc(sc: &FakeSc, bytes: &[u8]) -> (Message, Vec<Payload>) {
    let m = Message::decode(bytes).unwrap();
    let inner = open_message(bytes, &m, sc.outbound.as_ref().unwrap()).unwrap();
    (m, inner)
}

fn send(sc: &mut FakeSc, bytes: &[u8]) -> Vec<Vec<u8>> {
    let destination = sc.address();
    sc.handle(LOCAL, destination, bytes)
}

fn find<T>(payloads: &[Payload], f: impl Fn(&Payload) -> Option<T>) -> T {
    payloads.iter().find_map(f).expect("payload present")
}

fn nonce(p: &Payload) -> Option<Vec<u8>> {
    match p {
        Payload::Nonce(n) => Some(n.0.clone()),
        _ => None,
    }
}

fn ke(p: &Payload) -> Option<KePayload> {
    match p {
        Payload::KeyExchange(k) => Some(k.clone()),
        _ => None,
    }
}

fn sa(p: &Payload) -> Option<SecurityAssociation> {
    match p {
        Payload::SecurityAssociation(s) => Some(s.clone()),
        _ => None,
    }
}

/// Seals with `from`'s outbound SA, opens with `to`'s inbound SA.
fn esp_crosses(from: &ChildSa, to: &ChildSa, packet: &[u8]) {
    let mut out = EspOutbound::from_child(from).unwrap();
    let mut inbound = EspInbound::from_child(to).unwrap();
    let mut esp = Vec::new();
    out.seal(packet, &mut esp).unwrap();
    let mut inner = Vec::new();
    inbound.open(&esp, None, &mut inner).unwrap();
    assert_eq!(inner, packet);
}

fn rekey_request(sc: &FakeSc, new_spi: u32, offers: &[EspOffer], ni: &[u8]) -> Vec<Payload> {
    let old = &sc.children[0];
    let mut rekey = Notify::flag(NotifyType::RekeySa);
    rekey.protocol = ProtocolId::Esp;
    rekey.spi = old.client_spi.to_be_bytes().to_vec();
    vec![
        Payload::SecurityAssociation(EspOffer::to_sa(offers, new_spi)),
        Payload::Nonce(Nonce(ni.to_vec())),
        Payload::Notify(rekey),
        Payload::TsInitiator(selectors(&old.client_ts)),
        Payload::TsResponder(selectors(&old.sc_ts)),
    ]
}

#[test]
fn the_ike_auth_child_is_the_one_the_client_holds() {
    let h = established();
    let client = &h.established().unwrap().child;
    let [record] = h.sc.children.as_slice() else {
        panic!("one CHILD_SA expected");
    };
    let view = record.client_view();
    assert_eq!(
        (view.spi_in, view.spi_out),
        (client.spi_in, FIRST_CHILD_SPI)
    );
    assert_eq!(view.suite, client.suite);
    assert_eq!(view.keys, client.keys);
    assert_eq!(view.local_ts, client.local_ts);
    assert_eq!(view.remote_ts, client.remote_ts);
    assert_eq!(
        (record.created_by, record.rekeyed_from),
        (Side::Client, None)
    );
    let sc = record.sc_view();
    esp_crosses(client, &sc, &ipv4_packet(CLIENT_INNER, SITE));
    esp_crosses(&sc, client, &ipv4_packet(SITE, CLIENT_INNER));
}

#[test]
fn a_client_rekey_with_pfs_is_answered_and_recorded() {
    let mut h = established();
    let sc = &mut h.sc;
    let mut offers = EspOffer::defaults();
    for offer in &mut offers {
        offer.groups = vec![DhGroup::Ecp256, DhGroup::Curve25519];
    }
    let mut payloads = rekey_request(sc, 0xabcd_0001, &offers, &[0x11; 32]);
    // KEi of the proposal's second group: the fake takes that one.
    let ours = KeyExchange::generate(DhGroup::Curve25519).unwrap();
    payloads.push(Payload::KeyExchange(KePayload {
        group: KeyExchangeId::from(31),
        data: ours.public_key().to_vec(),
    }));
    let request = client_request(sc, ExchangeType::CreateChildSa, 2, &payloads);
    let replies = send(sc, &request);
    let [reply] = replies.as_slice() else {
        panic!("one reply expected");
    };
    let (m, inner) = from_sc(sc, reply);
    assert!(m.header.flags.response());
    assert_eq!(
        (m.header.exchange, m.header.message_id),
        (ExchangeType::CreateChildSa, 2)
    );
    let chosen = find(&inner, sa);
    let (suite, spi) = EspOffer::chosen(&offers, &chosen).unwrap();
    assert_eq!(spi, 0xc000_5c02);
    assert_eq!(suite.encryption, Encryption::AesGcm16 { key_bits: 256 });
    let groups: Vec<u16> = chosen.proposals[0]
        .transforms_of(TransformType::KeyExchange)
        .map(|t| t.id)
        .collect();
    assert_eq!(groups, vec![31]);
    let nr = find(&inner, nonce);
    assert_eq!(nr.len(), 32);
    assert_ne!(nr, sc.nonce_r);
    let ker = find(&inner, ke);
    let shared = ours.agree(&ker.data).unwrap();
    assert!(
        inner.contains(&payloads[3]) && inner.contains(&payloads[4]),
        "TS echoed"
    );
    // The client initiated: the first half of KEYMAT is client→SC.
    let expected: ChildSaKeys = crate::crypto::derive_child_sa_keys(
        sc.suite.unwrap().prf,
        sc.sk_d.as_bytes(),
        Some(shared.as_bytes()),
        &[0x11; 32],
        &nr,
        suite.encryption.keymat_len(),
        0,
    )
    .unwrap();
    let record = &sc.children[1];
    assert_eq!(
        (record.sc_spi, record.client_spi),
        (0xc000_5c02, 0xabcd_0001)
    );
    assert_eq!(record.rekeyed_from, Some(sc.children[0].client_spi));
    assert_eq!(record.client_view().keys, expected);
    esp_crosses(
        &record.client_view(),
        &record.sc_view(),
        &ipv4_packet(CLIENT_INNER, SITE),
    );
    // A retransmission gets the same answer and makes no new CHILD_SA.
    assert_eq!(send(sc, &request), replies);
    assert_eq!(sc.children.len(), 2);
    assert_eq!(sc.create_child_requests.len(), 2);
}

#[test]
fn a_client_rekey_without_pfs_uses_fresh_spis_and_nonces() {
    let mut h = established();
    let sc = &mut h.sc;
    let offers = EspOffer::defaults();
    for (id, spi) in [(2, 0xabcd_0001u32), (3, 0xabcd_0002)] {
        let payloads = rekey_request(sc, spi, &offers, &[id as u8; 32]);
        let request = client_request(sc, ExchangeType::CreateChildSa, id, &payloads);
        let reply = send(sc, &request).remove(0);
        let (_, inner) = from_sc(sc, &reply);
        assert!(inner.iter().all(|p| ke(p).is_none()));
    }
    let [first, a, b] = sc.children.as_slice() else {
        panic!("three CHILD_SAs expected");
    };
    assert_eq!((a.sc_spi, b.sc_spi), (0xc000_5c02, 0xc000_5c03));
    assert_eq!(a.rekeyed_from, Some(first.client_spi));
    assert_ne!(a.to_sc, b.to_sc);
}

#[test]
fn create_child_knobs_refuse_drop_and_unknown_spis() {
    let mut h = established();
    let sc = &mut h.sc;
    let offers = EspOffer::defaults();
    let payloads = rekey_request(sc, 0xabcd_0001, &offers, &[0x11; 32]);
    sc.script.drop_create_child = true;
    let request = client_request(sc, ExchangeType::CreateChildSa, 2, &payloads);
    assert!(send(sc, &request).is_empty());
    sc.script.drop_create_child = false;
    sc.script.refuse_create_child = Some(NotifyType::TemporaryFailure);
    let reply = send(sc, &request).remove(0);
    let (_, inner) = from_sc(sc, &reply);
    assert_eq!(
        inner,
        vec![Payload::Notify(Notify::flag(NotifyType::TemporaryFailure))]
    );
    assert_eq!((sc.create_child_requests.len(), sc.children.len()), (2, 1));
    // Rekeying a CHILD_SA the SC does not have.
    sc.script.refuse_create_child = None;
    let mut payloads = payloads;
    let Payload::Notify(n) = &mut payloads[2] else {
        panic!("REKEY_SA");
    };
    n.spi = 0x0bad_0bad_u32.to_be_bytes().to_vec();
    let request = client_request(sc, ExchangeType::CreateChildSa, 3, &payloads);
    let reply = send(sc, &request).remove(0);
    let (_, inner) = from_sc(sc, &reply);
    assert!(matches!(&inner[..], [Payload::Notify(n)] if n.kind == NotifyType::ChildSaNotFound));
}

#[test]
fn an_sc_rekey_is_read_back_with_the_scs_nonce_first() {
    let mut h = established();
    let sc = &mut h.sc;
    let request = sc.rekey_child_request(0, Some(DhGroup::Curve25519));
    let (m, inner) = from_sc(sc, &request);
    assert!(!m.header.flags.response());
    assert_eq!(m.header.exchange, ExchangeType::CreateChildSa);
    let rekey = inner
        .iter()
        .find_map(|p| match p {
            Payload::Notify(n) if n.kind == NotifyType::RekeySa => Some(n.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(rekey.protocol, ProtocolId::Esp);
    assert_eq!(rekey.spi, FIRST_CHILD_SPI.to_be_bytes());
    let offered = find(&inner, sa);
    let [proposal] = offered.proposals.as_slice() else {
        panic!("one proposal");
    };
    assert_eq!(proposal.spi, 0xc000_5c02_u32.to_be_bytes());
    assert_eq!(first_of_each_type(proposal), *proposal, "single transforms");
    let (suite, group) = suite_of(proposal).unwrap();
    assert_eq!(
        (suite, group),
        (sc.children[0].suite, Some(DhGroup::Curve25519))
    );
    let ts_i = find(&inner, |p| match p {
        Payload::TsInitiator(t) => Some(t.clone()),
        _ => None,
    });
    let ts_r = find(&inner, |p| match p {
        Payload::TsResponder(t) => Some(t.clone()),
        _ => None,
    });
    assert_eq!(ranges(&ts_i), sc.children[0].sc_ts);
    assert_eq!(ranges(&ts_r), sc.children[0].client_ts);
    let ni = find(&inner, nonce);
    let kei = find(&inner, ke);
    // Answer as the client: same proposal with our SPI, Nr, KEr, TS.
    let mut answer_sa = offered.clone();
    answer_sa.proposals[0].spi = 0xabcd_0009_u32.to_be_bytes().to_vec();
    let ours = KeyExchange::generate(DhGroup::Curve25519).unwrap();
    let answer = client_answer(
        sc,
        &m,
        &[
            Payload::SecurityAssociation(answer_sa),
            Payload::Nonce(Nonce(vec![0x22; 32])),
            Payload::KeyExchange(KePayload {
                group: kei.group,
                data: ours.public_key().to_vec(),
            }),
            Payload::TsInitiator(ts_i),
            Payload::TsResponder(ts_r),
        ],
    );
    let shared = ours.agree(&kei.data).unwrap();
    let index = sc.take_rekey_response(&answer).unwrap();
    let record = &sc.children[index];
    assert_eq!(
        (record.sc_spi, record.client_spi),
        (0xc000_5c02, 0xabcd_0009)
    );
    assert_eq!(record.created_by, Side::Sc);
    assert_eq!(record.rekeyed_from, Some(sc.children[0].client_spi));
    // The SC initiated: the first half of KEYMAT is SC→client.
    let keymat = crate::crypto::derive_child_sa_keys(
        sc.suite.unwrap().prf,
        sc.sk_d.as_bytes(),
        Some(shared.as_bytes()),
        &ni,
        &[0x22; 32],
        suite.encryption.keymat_len(),
        0,
    )
    .unwrap();
    let view = record.client_view();
    assert_eq!(view.keys.encr_r, keymat.encr_i);
    assert_eq!(view.keys.encr_i, keymat.encr_r);
    esp_crosses(&record.sc_view(), &view, &ipv4_packet(SITE, CLIENT_INNER));
    // The exchange is over: the same answer again is refused.
    assert!(sc.take_rekey_response(&answer).is_err());
    // An answer that arrives through `handle` is taken the same way.
    let request = sc.rekey_child_request(index, None);
    let (m, inner) = from_sc(sc, &request);
    let mut answer_sa = find(&inner, sa);
    answer_sa.proposals[0].spi = 0xabcd_000a_u32.to_be_bytes().to_vec();
    let mut payloads = vec![
        Payload::SecurityAssociation(answer_sa),
        Payload::Nonce(Nonce(vec![0x33; 32])),
    ];
    payloads.extend(
        inner
            .iter()
            .filter(|p| matches!(p, Payload::TsInitiator(_) | Payload::TsResponder(_)))
            .cloned(),
    );
    let answer = client_answer(sc, &m, &payloads);
    assert!(send(sc, &answer).is_empty());
    assert_eq!(sc.rekey_answers, vec![Ok(index + 1)]);
    let next = &sc.children[index + 1];
    assert_eq!((next.sc_spi, next.client_spi), (0xc000_5c03, 0xabcd_000a));
    assert_eq!(next.rekeyed_from, Some(0xabcd_0009));
}

#[test]
fn an_sc_rekey_refused_by_the_client_is_an_error() {
    let mut h = established();
    let sc = &mut h.sc;
    let request = sc.rekey_child_request(0, None);
    let (m, _) = from_sc(sc, &request);
    let refusal = [Payload::Notify(Notify::flag(NotifyType::NoProposalChosen))];
    let answer = client_answer(sc, &m, &refusal);
    let err = sc.take_rekey_response(&answer).unwrap_err();
    assert!(err.contains("NO_PROPOSAL_CHOSEN"), "{err}");
    assert_eq!(sc.children.len(), 1);
    // An answer that is not our proposal.
    let request = sc.rekey_child_request(0, None);
    let (m, inner) = from_sc(sc, &request);
    let mut other = find(&inner, sa);
    other.proposals[0].transforms[0] = crate::ike::payload::Transform::encryption(
        crate::ike::types::EncryptionId::AesCbc,
        Some(128),
    );
    let answer = client_answer(
        sc,
        &m,
        &[
            Payload::SecurityAssociation(other),
            Payload::Nonce(Nonce(vec![0x22; 32])),
            Payload::TsInitiator(TrafficSelectors::default()),
            Payload::TsResponder(TrafficSelectors::default()),
        ],
    );
    let err = sc.take_rekey_response(&answer).unwrap_err();
    assert!(err.contains("not our proposal"), "{err}");
}

#[test]
fn client_deletes_and_liveness_checks_are_answered() {
    let mut h = established();
    let sc = &mut h.sc;
    // A liveness check gets an empty answer.
    let request = client_request(sc, ExchangeType::Informational, 2, &[]);
    let reply = send(sc, &request).remove(0);
    assert_eq!(from_sc(sc, &reply).1, vec![]);
    // Delete(ESP) of the client's SPI is answered with the SC's.
    let client_spi = sc.children[0].client_spi;
    let delete = [Payload::Delete(Delete::esp(&[client_spi]))];
    let request = client_request(sc, ExchangeType::Informational, 3, &delete);
    let reply = send(sc, &request).remove(0);
    let (m, inner) = from_sc(sc, &reply);
    assert!(m.header.flags.response());
    assert_eq!(
        inner,
        vec![Payload::Delete(Delete::esp(&[FIRST_CHILD_SPI]))]
    );
    assert!(sc.children[0].deleted);
    assert_eq!(sc.child_by_client_spi(client_spi), None);
    assert_eq!(sc.informational_requests, vec![vec![], delete.to_vec()]);
    // Ignored: recorded, not answered.
    sc.script.ignore_informational = true;
    let request = client_request(sc, ExchangeType::Informational, 4, &[]);
    assert!(send(sc, &request).is_empty());
    assert_eq!(sc.informational_requests.len(), 3);
}
