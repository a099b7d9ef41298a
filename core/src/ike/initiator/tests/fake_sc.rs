//! A scripted IKEv2 responder for the initiator's tests: just enough of an
//! SC to answer IKE_SA_INIT, IKE_AUTH (PSK, certificates, EAP),
//! CREATE_CHILD_SA (CHILD_SA and IKE SA rekeying, RFC 7296 §1.3.2–1.3.3)
//! and INFORMATIONAL (DELETE, liveness checks), to rekey a CHILD_SA or ask
//! for an IKE SA rekey itself, and with knobs for the misbehaviour each
//! test needs. The CHILD_SAs it holds are recorded in [`FakeSc::children`]
//! (see [`super::fake_child`]).
//!
//! This file holds the state, the dispatch of [`FakeSc::handle`],
//! IKE_SA_INIT and the framing and protection of messages; IKE_AUTH and EAP
//! are in `fake_sc_auth.rs`, CREATE_CHILD_SA and INFORMATIONAL in
//! `fake_sc_children.rs`, IKE SA rekeying and the replaced SAs in
//! `fake_sc_ike_rekey.rs`, MOBIKE in `fake_sc_mobike.rs`, and the tests of
//! the fake itself in `fake_sc_tests.rs`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::crypto::{derive_ike_keys, DhGroup, IkeSuite, KeyExchange, SecretBytes, SkCipher};
use crate::ike::header::{Flags, Header};
use crate::ike::message::Message;
use crate::ike::natt::{classify_port_4500, nat_detection_hash, with_non_esp_marker, Port4500};
use crate::ike::payload::{
    Identification, KeyExchange as KePayload, Nonce, Notify, Payload, Proposal, SecurityAssociation,
};
use crate::ike::proposals::IkeOffer;
use crate::ike::protect::{open_message, seal_message};
use crate::ike::types::*;
use crate::pki::{LocalSigner, TrustAnchors};

use super::fake_child::FakeChild;
use children::PendingRekey;
use ike_rekey::IkeRekeys;

#[path = "fake_sc_auth.rs"]
mod auth;
#[path = "fake_sc_children.rs"]
mod children;
#[path = "fake_sc_ike_rekey.rs"]
mod ike_rekey;
#[path = "fake_sc_mobike.rs"]
pub mod mobike;
#[cfg(test)]
#[path = "fake_sc_tests.rs"]
mod tests;

/// The SC's inbound SPI of the CHILD_SA made in IKE_AUTH.
pub const FIRST_CHILD_SPI: u32 = 0xc000_5c01;

/// The SC's certificate and key, for certificate authentication.
pub struct ScCert {
    pub der: Vec<u8>,
    pub signer: LocalSigner,
}

/// The SC's EAP-MSCHAPv2 user database (one user).
pub struct EapUser {
    pub name: String,
    pub password: String,
}

/// What the fake SC does.
pub struct Script {
    /// Authenticate with this certificate instead of the PSK.
    pub cert: Option<ScCert>,
    /// Run EAP-MSCHAPv2 with clients that send no AUTH.
    pub eap: Option<EapUser>,
    /// Verify client certificates against this CA.
    pub client_ca: Option<TrustAnchors>,
    pub psk: Vec<u8>,
    pub id: Identification,
    pub demand_cookie: bool,
    pub want_group: Option<DhGroup>,
    /// The address the SC "sees" us at; differs from ours behind a NAT.
    pub sees_us_at: Option<SocketAddr>,
    /// Answer IKE_AUTH with AUTHENTICATION_FAILED.
    pub refuse_auth: bool,
    /// Fragment the IKE_AUTH reply into datagrams of at most this size.
    pub fragment_reply: Option<usize>,
    /// Answer the client's CREATE_CHILD_SA requests with just this error
    /// notification (e.g. NO_PROPOSAL_CHOSEN, TEMPORARY_FAILURE; a kind
    /// without notification data).
    pub refuse_create_child: Option<NotifyType>,
    /// Record the client's CREATE_CHILD_SA requests but do not answer them
    /// (the client must retransmit).
    pub drop_create_child: bool,
    /// Record the client's INFORMATIONAL requests but do not answer them
    /// (liveness checks time out).
    pub ignore_informational: bool,
    /// Answer the client's IKE SA rekeys with just this error notification.
    pub refuse_ike_rekey: Option<NotifyType>,
    /// Record the DELETE of a replaced IKE SA but do not answer it.
    pub drop_old_delete: bool,
    /// MOBIKE (RFC 4555): announce MOBIKE_SUPPORTED in IKE_AUTH, answer
    /// NAT detection and UPDATE_SA_ADDRESSES.
    pub mobike: Option<mobike::MobikeScript>,
}

impl Script {
    pub fn psk(psk: &[u8]) -> Self {
        Self {
            cert: None,
            eap: None,
            client_ca: None,
            psk: psk.to_vec(),
            id: Identification::fqdn("sc.example.net"),
            demand_cookie: false,
            want_group: None,
            sees_us_at: None,
            refuse_auth: false,
            fragment_reply: None,
            refuse_create_child: None,
            drop_create_child: false,
            ignore_informational: false,
            refuse_ike_rekey: None,
            drop_old_delete: false,
            mobike: None,
        }
    }
}

pub const SC_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)), 500);
pub const COOKIE: &[u8] = b"fake-sc-cookie-0123";

pub struct FakeSc {
    pub script: Script,
    spi_r: [u8; 8],
    spi_i: [u8; 8],
    init_request: Vec<u8>,
    init_reply: Vec<u8>,
    nonce_i: Vec<u8>,
    nonce_r: Vec<u8>,
    suite: Option<IkeSuite>,
    sk_pi: SecretBytes,
    sk_pr: SecretBytes,
    /// SK_d, from which CHILD_SA keys come (RFC 7296 §2.17).
    sk_d: SecretBytes,
    inbound: Option<SkCipher>,
    outbound: Option<SkCipher>,
    natt: bool,
    pub next_request_id: u32,
    /// Every IKE message the SC received, decoded.
    pub received: Vec<Message>,
    /// Every decrypted IKE_AUTH request's payloads.
    pub auth_requests: Vec<Vec<Payload>>,
    eap_challenge: [u8; 16],
    msk: Option<SecretBytes>,
    id_i: Option<Identification>,
    /// Every CHILD_SA made with the client, in order of creation.
    pub children: Vec<FakeChild>,
    /// Every decrypted CREATE_CHILD_SA request's payloads (retransmissions
    /// and unanswered ones included).
    pub create_child_requests: Vec<Vec<Payload>>,
    /// Every decrypted INFORMATIONAL request's payloads (retransmissions
    /// and unanswered ones included).
    pub informational_requests: Vec<Vec<Payload>>,
    /// What [`FakeSc::take_rekey_response`] made of the client's answers
    /// to [`FakeSc::rekey_child_request`] that arrived through
    /// [`FakeSc::handle`] (e.g. by [`super::Harness::pump`]).
    pub rekey_answers: Vec<Result<usize, String>>,
    /// The SC's next inbound CHILD_SA SPI.
    next_child_spi: u32,
    /// Nonces made for CREATE_CHILD_SA exchanges so far.
    nonces_made: u32,
    /// The SC's CREATE_CHILD_SA requests awaiting the client's answer.
    pending_rekeys: Vec<PendingRekey>,
    /// The last answer to a client's CREATE_CHILD_SA or INFORMATIONAL
    /// request, by exchange and message ID, for its retransmissions.
    last_answer: Option<(ExchangeType, u32, Vec<u8>)>,
    /// IKE SA rekeys of the client the SC answered (RFC 7296 §1.3.2).
    pub ike_rekeys: usize,
    /// Replaced IKE SAs whose DELETE the SC answered (and then forgot).
    pub old_sas_deleted: usize,
    /// Every request under a replaced IKE SA's SPIs, opened with its keys.
    pub old_sa_requests: Vec<(Header, Vec<Payload>)>,
    /// The client's answers to [`FakeSc::ike_rekey_request`], opened.
    pub ike_rekey_answers: Vec<Vec<Payload>>,
    /// Replaced IKE SAs and the rest of the IKE SA rekeying state.
    ike: IkeRekeys,
    /// Where the last datagram from the client came from.
    last_from: Option<SocketAddr>,
    /// MOBIKE: where the client's SAs are, after its updates.
    pub moves: Vec<SocketAddr>,
}

impl FakeSc {
    pub fn new(script: Script) -> Self {
        Self {
            script,
            spi_r: [0x5c; 8],
            spi_i: [0; 8],
            init_request: Vec::new(),
            init_reply: Vec::new(),
            nonce_i: Vec::new(),
            nonce_r: vec![0x4e; 32],
            suite: None,
            sk_pi: SecretBytes::new(Vec::new()),
            sk_pr: SecretBytes::new(Vec::new()),
            sk_d: SecretBytes::new(Vec::new()),
            inbound: None,
            outbound: None,
            natt: false,
            next_request_id: 0,
            received: Vec::new(),
            auth_requests: Vec::new(),
            eap_challenge: [0x3c; 16],
            msk: None,
            id_i: None,
            children: Vec::new(),
            create_child_requests: Vec::new(),
            informational_requests: Vec::new(),
            rekey_answers: Vec::new(),
            next_child_spi: FIRST_CHILD_SPI + 1,
            nonces_made: 0,
            pending_rekeys: Vec::new(),
            last_answer: None,
            ike_rekeys: 0,
            old_sas_deleted: 0,
            old_sa_requests: Vec::new(),
            ike_rekey_answers: Vec::new(),
            ike: IkeRekeys::default(),
            last_from: None,
            moves: Vec::new(),
        }
    }

    /// The address replies come from.
    pub fn address(&self) -> SocketAddr {
        if self.natt {
            SocketAddr::new(SC_ADDR.ip(), 4500)
        } else {
            SC_ADDR
        }
    }

    /// Handles one datagram from the initiator (sent from `from` to
    /// `destination`) and returns the datagrams it answers with.
    pub fn handle(
        &mut self,
        from: SocketAddr,
        destination: SocketAddr,
        datagram: &[u8],
    ) -> Vec<Vec<u8>> {
        let ike = if destination.port() == 4500 {
            self.natt = true;
            match classify_port_4500(datagram) {
                Port4500::Ike(ike) => ike,
                _ => return Vec::new(),
            }
        } else {
            datagram
        };
        self.last_from = Some(from);
        let message = Message::decode(ike).expect("the initiator sends valid messages");
        self.received.push(message.clone());
        let replies = if let Some(replies) = self.for_replaced_sa(ike, &message) {
            replies
        } else if message.header.flags.response() {
            self.take_response(datagram, &message);
            Vec::new()
        } else {
            match message.header.exchange {
                ExchangeType::IkeSaInit => vec![self.sa_init(from, ike, &message)],
                ExchangeType::IkeAuth => self.ike_auth(ike, &message),
                ExchangeType::CreateChildSa => self.create_child(ike, &message),
                ExchangeType::Informational => self.informational(ike, &message),
                other => panic!("unexpected exchange {other}"),
            }
        };
        replies.into_iter().map(|r| self.frame(r)).collect()
    }

    fn frame(&self, ike: Vec<u8>) -> Vec<u8> {
        if self.natt {
            with_non_esp_marker(&ike)
        } else {
            ike
        }
    }

    fn reply_header(&self, m: &Message) -> Header {
        Header::new(
            m.header.spi_i,
            self.spi_r,
            m.header.exchange,
            Flags::new(false, true),
            m.header.message_id,
        )
    }

    fn sa_init(&mut self, from: SocketAddr, bytes: &[u8], m: &Message) -> Vec<u8> {
        let mut header = self.reply_header(m);
        let notify_reply = |header: &mut Header, n: Notify| {
            header.spi_r = [0; 8];
            Message {
                header: *header,
                payloads: vec![Payload::Notify(n)],
            }
            .encode()
            .unwrap()
        };
        if self.script.demand_cookie
            && m.notify(NotifyType::Cookie)
                .is_none_or(|c| c.data != COOKIE)
        {
            return notify_reply(
                &mut header,
                Notify::new(NotifyType::Cookie, COOKIE.to_vec()),
            );
        }
        let ke = m
            .payloads
            .iter()
            .find_map(|p| match p {
                Payload::KeyExchange(k) => Some(k),
                _ => None,
            })
            .unwrap();
        if let Some(want) = self.script.want_group {
            if ke.group.raw() != want.iana_id() {
                let data = want.iana_id().to_be_bytes().to_vec();
                return notify_reply(&mut header, Notify::new(NotifyType::InvalidKePayload, data));
            }
        }
        let sa = m
            .payloads
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s),
                _ => None,
            })
            .unwrap();
        // Choose from the first proposal: first of each type, KE group of the KE payload.
        let offered = &sa.proposals[0];
        let pick = |kind| offered.transforms.iter().find(|t| t.kind == kind).cloned();
        let mut transforms = vec![
            pick(TransformType::Encryption).unwrap(),
            pick(TransformType::Prf).unwrap(),
        ];
        if let Some(integ) = pick(TransformType::Integrity) {
            transforms.push(integ);
        }
        transforms.push(crate::ike::payload::Transform::key_exchange(ke.group));
        let chosen = SecurityAssociation {
            proposals: vec![Proposal {
                number: offered.number,
                protocol: ProtocolId::Ike,
                spi: vec![],
                transforms,
            }],
        };
        let offers = IkeOffer::defaults(DhGroup::from_iana(ke.group.raw()).unwrap());
        let suite =
            IkeOffer::chosen(&offers, &chosen).expect("the fake chose from the default offers");
        let our_ke = KeyExchange::generate(suite.dh).unwrap();
        let our_public = our_ke.public_key().to_vec();
        let shared = our_ke.agree(&ke.data).unwrap();
        self.spi_i = m.header.spi_i;
        self.nonce_i = m
            .payloads
            .iter()
            .find_map(|p| match p {
                Payload::Nonce(n) => Some(n.0.clone()),
                _ => None,
            })
            .unwrap();
        let keys = derive_ike_keys(
            &suite,
            &self.nonce_i,
            &self.nonce_r,
            shared.as_bytes(),
            self.spi_i,
            self.spi_r,
        )
        .unwrap();
        self.inbound =
            Some(SkCipher::new(&suite, keys.sk_ei.as_bytes(), keys.sk_ai.as_bytes()).unwrap());
        self.outbound =
            Some(SkCipher::new(&suite, keys.sk_er.as_bytes(), keys.sk_ar.as_bytes()).unwrap());
        self.sk_pi = keys.sk_pi.clone();
        self.sk_pr = keys.sk_pr.clone();
        self.sk_d = keys.sk_d.clone();
        self.suite = Some(suite);
        self.last_answer = None;
        self.init_request = bytes.to_vec();
        let seen = self.script.sees_us_at.unwrap_or(from);
        let reply = Message {
            header,
            payloads: vec![
                Payload::SecurityAssociation(chosen),
                Payload::KeyExchange(KePayload {
                    group: ke.group,
                    data: our_public,
                }),
                Payload::Nonce(Nonce(self.nonce_r.clone())),
                Payload::Notify(Notify::new(
                    NotifyType::NatDetectionSourceIp,
                    nat_detection_hash(&self.spi_i, &self.spi_r, SC_ADDR).to_vec(),
                )),
                Payload::Notify(Notify::new(
                    NotifyType::NatDetectionDestinationIp,
                    nat_detection_hash(&self.spi_i, &self.spi_r, seen).to_vec(),
                )),
                Payload::Notify(Notify::flag(NotifyType::Ikev2FragmentationSupported)),
                Payload::Notify(Notify::signature_hash_algorithms(&[
                    HashAlgorithm::Sha2_256,
                    HashAlgorithm::Sha2_384,
                    HashAlgorithm::Sha2_512,
                    HashAlgorithm::Identity,
                ])),
            ],
        }
        .encode()
        .unwrap();
        self.init_reply = reply.clone();
        reply
    }

    fn seal(&mut self, header: Header, payloads: &[Payload]) -> Vec<u8> {
        seal_message(header, payloads, self.outbound.as_mut().unwrap()).unwrap()
    }

    /// A request from the SC (liveness check, DELETE, ...), protected.
    pub fn request(&mut self, exchange: ExchangeType, payloads: &[Payload]) -> Vec<u8> {
        let header = Header::new(
            self.spi_i,
            self.spi_r,
            exchange,
            Flags::new(false, false),
            self.next_request_id,
        );
        self.next_request_id += 1;
        let bytes = seal_message(header, payloads, self.outbound.as_mut().unwrap()).unwrap();
        self.frame(bytes)
    }

    /// Opens a response of the initiator to one of our requests.
    pub fn open_response(&self, datagram: &[u8]) -> (Message, Vec<Payload>) {
        let ike = match classify_port_4500(datagram) {
            Port4500::Ike(ike) if self.natt => ike,
            _ => datagram,
        };
        let m = Message::decode(ike).unwrap();
        let inner = open_message(ike, &m, self.inbound.as_ref().unwrap()).unwrap();
        (m, inner)
    }
}
