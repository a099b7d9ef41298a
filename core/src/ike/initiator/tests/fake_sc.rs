//! A scripted IKEv2 responder for the initiator's tests: just enough of an
//! SC to answer IKE_SA_INIT, IKE_AUTH (PSK, certificates, EAP),
//! CREATE_CHILD_SA (CHILD_SA rekeying, RFC 7296 §1.3.3) and INFORMATIONAL
//! (DELETE, liveness checks), to rekey a CHILD_SA itself, and with knobs for
//! the misbehaviour each test needs. The CHILD_SAs it holds are recorded in
//! [`FakeSc::children`] (see [`super::fake_child`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::crypto::{derive_ike_keys, DhGroup, IkeSuite, KeyExchange, SecretBytes, SkCipher};
use crate::eap::mschapv2::crypto as mschap;
use crate::ike::auth::{shared_key_auth, signed_octets, verify_shared_key_auth};
use crate::ike::child::{ranges, selectors, EspOffer};
use crate::ike::fragment::seal_fragmented;
use crate::ike::header::{Flags, Header};
use crate::ike::message::Message;
use crate::ike::natt::{classify_port_4500, nat_detection_hash, with_non_esp_marker, Port4500};
use crate::ike::payload::{
    AddressRange, Authentication, CfgAttribute, Configuration, Delete, Identification,
    KeyExchange as KePayload, Nonce, Notify, Payload, Proposal, SecurityAssociation,
};
use crate::ike::payload::{Certificate, EapMessage};
use crate::ike::proposals::IkeOffer;
use crate::ike::protect::{open_message, seal_message};
use crate::ike::types::*;
use crate::pki::{
    verify_auth, verify_peer_certificate, ExpectedIdentity, LocalSigner, TrustAnchors,
};

use super::fake_child::{child_keys, first_of_each_type, suite_of, FakeChild, Side};

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
}

/// A CHILD_SA rekey the SC started (RFC 7296 §1.3.3), until the client answers.
struct PendingRekey {
    message_id: u32,
    /// Index in `children` of the CHILD_SA being rekeyed.
    old: usize,
    offer: EspOffer,
    /// The SC's inbound SPI of the new CHILD_SA.
    sc_spi: u32,
    nonce: Vec<u8>,
    ke: Option<KeyExchange>,
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
        let message = Message::decode(ike).expect("the initiator sends valid messages");
        self.received.push(message.clone());
        let replies = if message.header.flags.response() {
            let ours = self
                .pending_rekeys
                .iter()
                .any(|p| p.message_id == message.header.message_id);
            if message.header.exchange == ExchangeType::CreateChildSa && ours {
                let result = self.take_rekey_response(datagram);
                self.rekey_answers.push(result);
            }
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

    fn ike_auth(&mut self, bytes: &[u8], m: &Message) -> Vec<Vec<u8>> {
        let inner = open_message(bytes, m, self.inbound.as_ref().unwrap()).expect("IKE_AUTH opens");
        self.auth_requests.push(inner.clone());
        let suite = self.suite.unwrap();
        let header = self.reply_header(m);
        let find_eap = |p: &Payload| match p {
            Payload::Eap(e) => Some(e.clone()),
            _ => None,
        };
        if let Some(eap) = inner.iter().find_map(find_eap) {
            let reply = self.eap_round(&eap);
            return vec![self.seal(header, &[Payload::Eap(reply)])];
        }
        let auth = inner.iter().find_map(|p| match p {
            Payload::Authentication(a) => Some(a.clone()),
            _ => None,
        });
        if let Some(msk) = self.msk.clone() {
            // The AUTH after EAP-Success, over the MSK (RFC 7296 §2.16).
            let auth = auth.expect("AUTH after EAP");
            let id_i = self.id_i.clone().unwrap();
            let octets = signed_octets(
                suite.prf,
                &self.init_request,
                &self.nonce_r,
                self.sk_pi.as_bytes(),
                &id_i,
            );
            if !verify_shared_key_auth(suite.prf, msk.as_bytes(), &octets, &auth.data) {
                return vec![self.seal(
                    header,
                    &[Payload::Notify(Notify::flag(
                        NotifyType::AuthenticationFailed,
                    ))],
                )];
            }
            let sc_octets = signed_octets(
                suite.prf,
                &self.init_reply,
                &self.nonce_i,
                self.sk_pr.as_bytes(),
                &self.script.id,
            );
            let sc_auth = shared_key_auth(suite.prf, msk.as_bytes(), &sc_octets);
            let mut payloads = vec![Payload::Authentication(Authentication {
                method: AuthMethod::SharedKeyMic,
                data: sc_auth.as_bytes().to_vec(),
            })];
            let first = self.auth_requests[0].clone();
            payloads.extend(self.child_payloads(&first));
            return vec![self.seal(header, &payloads)];
        }
        let id_i = inner
            .iter()
            .find_map(|p| match p {
                Payload::IdInitiator(i) => Some(i.clone()),
                _ => None,
            })
            .unwrap();
        self.id_i = Some(id_i.clone());
        let octets = signed_octets(
            suite.prf,
            &self.init_request,
            &self.nonce_r,
            self.sk_pi.as_bytes(),
            &id_i,
        );
        let client_ok = match &auth {
            None => self.script.eap.is_some(),
            Some(a) if a.method == AuthMethod::SharedKeyMic => {
                verify_shared_key_auth(suite.prf, &self.script.psk, &octets, &a.data)
            }
            Some(a) => {
                let cert = inner
                    .iter()
                    .find_map(|p| match p {
                        Payload::Certificate(c) => Some(c.data.clone()),
                        _ => None,
                    })
                    .unwrap();
                let ca = self
                    .script
                    .client_ca
                    .as_ref()
                    .expect("client CA for certificate auth");
                let expected = ExpectedIdentity::from_id_payload(&id_i).unwrap();
                let peer = verify_peer_certificate(
                    &cert,
                    &[],
                    ca,
                    crate::pki::tests::support::now(),
                    &expected,
                )
                .unwrap();
                verify_auth(
                    &peer,
                    a.method,
                    &a.data,
                    &octets,
                    &crate::ike::sa_init::SIGNATURE_HASHES,
                )
                .is_ok()
            }
        };
        if self.script.refuse_auth || !client_ok {
            let payloads = [Payload::Notify(Notify::flag(
                NotifyType::AuthenticationFailed,
            ))];
            return vec![self.seal(header, &payloads)];
        }
        let mut payloads = vec![Payload::IdResponder(self.script.id.clone())];
        let sc_octets = signed_octets(
            suite.prf,
            &self.init_reply,
            &self.nonce_i,
            self.sk_pr.as_bytes(),
            &self.script.id,
        );
        match &self.script.cert {
            Some(cert) => {
                payloads.push(Payload::Certificate(Certificate {
                    encoding: CertEncoding::X509Signature,
                    data: cert.der.clone(),
                }));
                let (method, data) = cert
                    .signer
                    .sign(&sc_octets, &crate::ike::sa_init::SIGNATURE_HASHES)
                    .unwrap();
                payloads.push(Payload::Authentication(Authentication { method, data }));
            }
            None => {
                let sc_auth = shared_key_auth(suite.prf, &self.script.psk, &sc_octets);
                payloads.push(Payload::Authentication(Authentication {
                    method: AuthMethod::SharedKeyMic,
                    data: sc_auth.as_bytes().to_vec(),
                }));
            }
        }
        if auth.is_none() {
            // EAP begins with an Identity request (RFC 3748 §5.1).
            payloads.push(Payload::Eap(EapMessage {
                code: EapCode::Request,
                identifier: 1,
                method: Some(EapType::Identity),
                data: Vec::new(),
            }));
            return vec![self.seal(header, &payloads)];
        }
        payloads.extend(self.child_payloads(&inner));
        match self.script.fragment_reply {
            Some(size) => {
                seal_fragmented(header, &payloads, self.outbound.as_mut().unwrap(), size).unwrap()
            }
            None => vec![self.seal(header, &payloads)],
        }
    }

    fn seal(&mut self, header: Header, payloads: &[Payload]) -> Vec<u8> {
        seal_message(header, payloads, self.outbound.as_mut().unwrap()).unwrap()
    }

    /// The authenticator's side of EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2).
    fn eap_round(&mut self, response: &EapMessage) -> EapMessage {
        let user = self.script.eap.as_ref().expect("EAP configured");
        let id = response.identifier + 1;
        let request = |data: Vec<u8>| EapMessage {
            code: EapCode::Request,
            identifier: id,
            method: Some(EapType::MsChapV2),
            data,
        };
        let ms_packet = |opcode: u8, ms_id: u8, body: &[u8]| {
            let mut d = vec![opcode, ms_id];
            d.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
            d.extend_from_slice(body);
            d
        };
        match (response.method, response.data.first()) {
            (Some(EapType::Identity), _) => {
                let mut body = vec![16];
                body.extend_from_slice(&self.eap_challenge);
                body.extend_from_slice(b"fake-sc");
                request(ms_packet(1, 7, &body))
            }
            (Some(EapType::MsChapV2), Some(2)) => {
                let d = &response.data;
                let peer_challenge: [u8; 16] = d[5..21].try_into().unwrap();
                let nt_response: [u8; 24] = d[29..53].try_into().unwrap();
                let name = &d[54..];
                assert_eq!(
                    name,
                    user.name.as_bytes(),
                    "MS-CHAPv2 Name is the EAP identity"
                );
                let hash = mschap::nt_password_hash(&user.password);
                let expected =
                    mschap::generate_nt_response(&self.eap_challenge, &peer_challenge, name, &hash)
                        .unwrap();
                if expected != nt_response {
                    return request(ms_packet(4, 7, b"E=691 R=0 C=00000000000000000000000000000000 V=3 M=Authentication failure"));
                }
                let s = mschap::generate_authenticator_response(
                    &hash,
                    &nt_response,
                    &peer_challenge,
                    &self.eap_challenge,
                    name,
                );
                let hex: String = s.iter().map(|b| format!("{b:02X}")).collect();
                self.msk = Some(mschap::msk(&hash, &nt_response));
                request(ms_packet(3, 7, format!("S={hex} M=Welcome").as_bytes()))
            }
            (Some(EapType::MsChapV2), Some(3)) => EapMessage {
                code: EapCode::Success,
                identifier: id,
                method: None,
                data: Vec::new(),
            },
            (Some(EapType::MsChapV2), Some(4)) => EapMessage {
                code: EapCode::Failure,
                identifier: id,
                method: None,
                data: Vec::new(),
            },
            other => panic!("unexpected EAP response {other:?}"),
        }
    }

    /// CP, SA, TSi, TSr answering the first IKE_AUTH request's child
    /// payloads, and the record of that CHILD_SA: its keys come from the
    /// IKE_SA_INIT nonces without a key exchange (RFC 7296 §2.17).
    fn child_payloads(&mut self, request: &[Payload]) -> Vec<Payload> {
        let sa = request
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap();
        let first = &sa.proposals[0];
        // First encryption, integrity (if any) and ESN of the first
        // proposal; IKE_AUTH never does a key exchange.
        let mut transforms = first_of_each_type(first).transforms;
        transforms.retain(|t| t.kind != TransformType::KeyExchange);
        let chosen = Proposal {
            number: 1,
            protocol: ProtocolId::Esp,
            spi: FIRST_CHILD_SPI.to_be_bytes().to_vec(),
            transforms,
        };
        let (suite, _) = suite_of(&chosen).expect("the fake supports the client's first proposal");
        let client_spi = u32::from_be_bytes(first.spi.as_slice().try_into().unwrap());
        let child = SecurityAssociation {
            proposals: vec![chosen],
        };
        let v4 = Ipv4Addr::new(203, 0, 113, 129);
        let v6: Ipv6Addr = "2001:db8:cafe::1000".parse().unwrap();
        let client_ts = vec![
            AddressRange::any(IpAddr::V4(v4), IpAddr::V4(v4)),
            AddressRange::any(IpAddr::V6(v6), IpAddr::V6(v6)),
        ];
        let sc_ts = vec![AddressRange::any_v4(), AddressRange::any_v6()];
        let known = self
            .children
            .iter()
            .any(|c| c.sc_spi == FIRST_CHILD_SPI && c.client_spi == client_spi);
        if !known {
            let keys = child_keys(
                self.suite.unwrap().prf,
                self.sk_d.as_bytes(),
                None,
                &self.nonce_i,
                &self.nonce_r,
                &suite,
            );
            let record = FakeChild::new(Side::Client, FIRST_CHILD_SPI, client_spi, suite, keys)
                .with_ts(client_ts.clone(), sc_ts.clone());
            self.children.push(record);
        }
        vec![
            Payload::Configuration(Configuration {
                cfg_type: CfgType::Reply,
                attributes: vec![
                    CfgAttribute {
                        kind: CfgAttributeType::InternalIp4Address,
                        value: v4.octets().to_vec(),
                    },
                    CfgAttribute {
                        kind: CfgAttributeType::InternalIp6Address,
                        value: [v6.octets().as_slice(), &[64]].concat(),
                    },
                    CfgAttribute {
                        kind: CfgAttributeType::InternalIp4Dns,
                        value: vec![203, 0, 113, 53],
                    },
                ],
            }),
            Payload::SecurityAssociation(child),
            Payload::TsInitiator(selectors(&client_ts)),
            Payload::TsResponder(selectors(&sc_ts)),
        ]
    }

    /// The cached answer if `m` retransmits the client's last answered
    /// CREATE_CHILD_SA or INFORMATIONAL request (RFC 7296 §2.1).
    fn cached_answer(&self, m: &Message) -> Option<Vec<u8>> {
        match &self.last_answer {
            Some((exchange, id, answer))
                if *exchange == m.header.exchange && *id == m.header.message_id =>
            {
                Some(answer.clone())
            }
            _ => None,
        }
    }

    /// Seals an answer to `m` and keeps it for retransmissions of `m`.
    fn answer(&mut self, m: &Message, payloads: &[Payload]) -> Vec<Vec<u8>> {
        let sealed = self.seal(self.reply_header(m), payloads);
        self.last_answer = Some((m.header.exchange, m.header.message_id, sealed.clone()));
        vec![sealed]
    }

    /// INFORMATIONAL from the client (RFC 7296 §1.4): an empty request is a
    /// liveness check and gets an empty answer; Delete(IKE) gets an empty
    /// answer; Delete(ESP) of the client's inbound SPIs marks those
    /// CHILD_SAs deleted and is answered with Delete(ESP) of the SC's
    /// inbound SPIs of the same CHILD_SAs (RFC 7296 §1.4.1).
    fn informational(&mut self, bytes: &[u8], m: &Message) -> Vec<Vec<u8>> {
        let inner =
            open_message(bytes, m, self.inbound.as_ref().unwrap()).expect("INFORMATIONAL opens");
        self.informational_requests.push(inner.clone());
        if let Some(answer) = self.cached_answer(m) {
            return vec![answer];
        }
        if self.script.ignore_informational {
            return Vec::new();
        }
        let mut deleted = Vec::new();
        for p in &inner {
            let Payload::Delete(d) = p else { continue };
            if d.protocol != ProtocolId::Esp {
                continue;
            }
            for spi in &d.spis {
                let spi = u32::from_be_bytes(spi.as_slice().try_into().expect("4-byte ESP SPI"));
                if let Some(child) = self
                    .children
                    .iter_mut()
                    .find(|c| c.client_spi == spi && !c.deleted)
                {
                    child.deleted = true;
                    deleted.push(child.sc_spi);
                }
            }
        }
        let payloads = if deleted.is_empty() {
            Vec::new()
        } else {
            vec![Payload::Delete(Delete::esp(&deleted))]
        };
        self.answer(m, &payloads)
    }

    /// A fresh 32-byte nonce, different for every CREATE_CHILD_SA exchange.
    fn fresh_nonce(&mut self) -> Vec<u8> {
        self.nonces_made += 1;
        let mut nonce = vec![0x6e; 28];
        nonce.extend_from_slice(&self.nonces_made.to_be_bytes());
        nonce
    }

    /// A fresh inbound SPI for a new CHILD_SA.
    fn fresh_child_spi(&mut self) -> u32 {
        let spi = self.next_child_spi;
        self.next_child_spi += 1;
        spi
    }

    /// The index of the live CHILD_SA whose client inbound SPI is `spi`.
    pub fn child_by_client_spi(&self, spi: u32) -> Option<usize> {
        self.children
            .iter()
            .position(|c| c.client_spi == spi && !c.deleted)
    }

    /// CREATE_CHILD_SA from the client. Rekeying a CHILD_SA (RFC 7296
    /// §1.3.3): `SA, Ni, [KEi], N(REKEY_SA), TSi, TSr` is answered with
    /// `SA, Nr, [KEr], TSi, TSr`, the SA being the client's first proposal
    /// reduced to the first transform of each type (§2.7; for the KE type,
    /// the KEi group if the proposal lists it), a fresh SC SPI, and the
    /// selectors echoed. The new keys are `prf+(SK_d, [g^ir |] Ni | Nr)`
    /// with the client's nonce first (§2.17). Without N(REKEY_SA) a new
    /// CHILD_SA is made the same way (§1.3.1). Errors: NO_PROPOSAL_CHOSEN
    /// for a proposal the fake cannot use (IKE SA rekeying included),
    /// INVALID_KE_PAYLOAD when KEi is missing or of another group (§1.3),
    /// CHILD_SA_NOT_FOUND when the SA to rekey is unknown (§2.25).
    fn create_child(&mut self, bytes: &[u8], m: &Message) -> Vec<Vec<u8>> {
        let inner =
            open_message(bytes, m, self.inbound.as_ref().unwrap()).expect("CREATE_CHILD_SA opens");
        self.create_child_requests.push(inner.clone());
        if let Some(answer) = self.cached_answer(m) {
            return vec![answer];
        }
        if self.script.drop_create_child {
            return Vec::new();
        }
        if let Some(kind) = self.script.refuse_create_child {
            return self.answer(m, &[Payload::Notify(Notify::flag(kind))]);
        }
        let refuse = |kind| [Payload::Notify(Notify::flag(kind))];
        let sa = inner
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has an SA payload");
        let ni = inner
            .iter()
            .find_map(|p| match p {
                Payload::Nonce(n) => Some(n.0.clone()),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has a nonce");
        let kei = inner.iter().find_map(|p| match p {
            Payload::KeyExchange(k) => Some(k),
            _ => None,
        });
        let ts_i = inner
            .iter()
            .find_map(|p| match p {
                Payload::TsInitiator(t) => Some(t.clone()),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has TSi");
        let ts_r = inner
            .iter()
            .find_map(|p| match p {
                Payload::TsResponder(t) => Some(t.clone()),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has TSr");
        let rekeyed = inner.iter().find_map(|p| match p {
            Payload::Notify(n) if n.kind == NotifyType::RekeySa => Some(n),
            _ => None,
        });
        let offered = &sa.proposals[0];
        if offered.protocol != ProtocolId::Esp {
            return self.answer(m, &refuse(NotifyType::NoProposalChosen));
        }
        let mut chosen = first_of_each_type(offered);
        if let Some(kei) = kei {
            let wanted = offered
                .transforms_of(TransformType::KeyExchange)
                .find(|t| t.id == kei.group.raw())
                .cloned();
            if let (Some(wanted), Some(slot)) = (
                wanted,
                chosen
                    .transforms
                    .iter_mut()
                    .find(|t| t.kind == TransformType::KeyExchange),
            ) {
                *slot = wanted;
            }
        }
        let Ok((suite, group)) = suite_of(&chosen) else {
            return self.answer(m, &refuse(NotifyType::NoProposalChosen));
        };
        let client_spi = u32::from_be_bytes(
            offered
                .spi
                .as_slice()
                .try_into()
                .expect("4-byte ESP SPI in CREATE_CHILD_SA"),
        );
        let rekeyed_from = match rekeyed {
            None => None,
            Some(n) => {
                let old = u32::from_be_bytes(
                    n.spi.as_slice().try_into().expect("4-byte SPI in REKEY_SA"),
                );
                if self.child_by_client_spi(old).is_none() {
                    let mut notify = Notify::flag(NotifyType::ChildSaNotFound);
                    notify.protocol = ProtocolId::Esp;
                    notify.spi = n.spi.clone();
                    return self.answer(m, &[Payload::Notify(notify)]);
                }
                Some(old)
            }
        };
        let (ker, shared) = match group {
            None => (None, None),
            Some(group) => match kei {
                Some(kei) if kei.group.raw() == group.iana_id() => {
                    let ours = KeyExchange::generate(group).unwrap();
                    let public = ours.public_key().to_vec();
                    let shared = ours.agree(&kei.data).expect("the client's KEi agrees");
                    (
                        Some(KePayload {
                            group: kei.group,
                            data: public,
                        }),
                        Some(shared),
                    )
                }
                _ => {
                    let data = group.iana_id().to_be_bytes().to_vec();
                    let notify = Notify::new(NotifyType::InvalidKePayload, data);
                    return self.answer(m, &[Payload::Notify(notify)]);
                }
            },
        };
        let sc_spi = self.fresh_child_spi();
        chosen.spi = sc_spi.to_be_bytes().to_vec();
        let nr = self.fresh_nonce();
        let keys = child_keys(
            self.suite.unwrap().prf,
            self.sk_d.as_bytes(),
            shared.as_ref().map(|s| s.as_bytes()),
            &ni,
            &nr,
            &suite,
        );
        let mut record = FakeChild::new(Side::Client, sc_spi, client_spi, suite, keys)
            .with_ts(ranges(&ts_i), ranges(&ts_r));
        record.rekeyed_from = rekeyed_from;
        self.children.push(record);
        let mut payloads = vec![
            Payload::SecurityAssociation(SecurityAssociation {
                proposals: vec![chosen],
            }),
            Payload::Nonce(Nonce(nr)),
        ];
        payloads.extend(ker.map(Payload::KeyExchange));
        payloads.push(Payload::TsInitiator(ts_i));
        payloads.push(Payload::TsResponder(ts_r));
        self.answer(m, &payloads)
    }

    /// A CREATE_CHILD_SA request from the SC rekeying `children[child_index]`
    /// (RFC 7296 §1.3.3): `N(REKEY_SA), SA, Ni, [KEi], TSi, TSr`, where the
    /// SA offers exactly that CHILD_SA's suite (plus `pfs`) with a fresh SC
    /// SPI, REKEY_SA names the SC's inbound SPI of the old CHILD_SA, TSi is
    /// the SC's side and TSr the client's. Protected and framed like
    /// [`FakeSc::request`], with the next SC message ID. Pass the client's
    /// answer to [`FakeSc::take_rekey_response`].
    pub fn rekey_child_request(&mut self, child_index: usize, pfs: Option<DhGroup>) -> Vec<u8> {
        let old = &self.children[child_index];
        let suite = old.suite;
        let rekey_spi = old.sc_spi;
        let (sc_ts, client_ts) = (old.sc_ts.clone(), old.client_ts.clone());
        let offer = EspOffer {
            encryption: vec![suite.encryption],
            integrity: suite.integrity.into_iter().collect(),
            groups: pfs.into_iter().collect(),
            esn: vec![suite.esn],
        };
        let sc_spi = self.fresh_child_spi();
        let nonce = self.fresh_nonce();
        let ke = pfs.map(|g| KeyExchange::generate(g).unwrap());
        let mut rekey = Notify::flag(NotifyType::RekeySa);
        rekey.protocol = ProtocolId::Esp;
        rekey.spi = rekey_spi.to_be_bytes().to_vec();
        let mut payloads = vec![
            Payload::Notify(rekey),
            Payload::SecurityAssociation(EspOffer::to_sa(std::slice::from_ref(&offer), sc_spi)),
            Payload::Nonce(Nonce(nonce.clone())),
        ];
        if let (Some(ke), Some(group)) = (&ke, pfs) {
            payloads.push(Payload::KeyExchange(KePayload {
                group: KeyExchangeId::from(group.iana_id()),
                data: ke.public_key().to_vec(),
            }));
        }
        payloads.push(Payload::TsInitiator(selectors(&sc_ts)));
        payloads.push(Payload::TsResponder(selectors(&client_ts)));
        self.pending_rekeys.push(PendingRekey {
            message_id: self.next_request_id,
            old: child_index,
            offer,
            sc_spi,
            nonce,
            ke,
        });
        self.request(ExchangeType::CreateChildSa, &payloads)
    }

    /// Reads the client's answer to a [`FakeSc::rekey_child_request`]:
    /// checks the SA is our one proposal with a 4-byte SPI, takes Nr and,
    /// with PFS, KEr, derives the keys with the SC's nonce first (the SC
    /// initiated the exchange, so the first half of KEYMAT protects
    /// SC→client, RFC 7296 §2.17), records the new CHILD_SA and returns its
    /// index in `children`. `Err` describes an error notification or a
    /// malformed answer; either way the exchange is over.
    pub fn take_rekey_response(&mut self, datagram: &[u8]) -> Result<usize, String> {
        let ike = match classify_port_4500(datagram) {
            Port4500::Ike(ike) if self.natt => ike,
            _ => datagram,
        };
        let m = Message::decode(ike).map_err(|e| format!("undecodable answer: {e}"))?;
        if !m.header.flags.response() || m.header.exchange != ExchangeType::CreateChildSa {
            return Err(format!(
                "not a CREATE_CHILD_SA response: {} response={}",
                m.header.exchange,
                m.header.flags.response()
            ));
        }
        let position = self
            .pending_rekeys
            .iter()
            .position(|p| p.message_id == m.header.message_id)
            .ok_or_else(|| format!("no rekey pending with message ID {}", m.header.message_id))?;
        let inner = open_message(ike, &m, self.inbound.as_ref().unwrap())
            .map_err(|e| format!("the answer does not open: {e}"))?;
        let pending = self.pending_rekeys.remove(position);
        if let Some(n) = inner.iter().find_map(|p| match p {
            Payload::Notify(n) if n.kind.raw() < 16384 => Some(n),
            _ => None,
        }) {
            return Err(format!("the client refused: {}", n.kind));
        }
        let sa = inner
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s),
                _ => None,
            })
            .ok_or("no SA payload")?;
        let (suite, client_spi) = EspOffer::chosen(std::slice::from_ref(&pending.offer), sa)
            .map_err(|e| format!("not our proposal: {e}"))?;
        let groups: Vec<u16> = sa.proposals[0]
            .transforms_of(TransformType::KeyExchange)
            .map(|t| t.id)
            .filter(|id| *id != 0)
            .collect();
        let offered: Vec<u16> = pending.offer.groups.iter().map(|g| g.iana_id()).collect();
        if groups != offered {
            return Err(format!("KE transforms {groups:?}, offered {offered:?}"));
        }
        let nr = inner
            .iter()
            .find_map(|p| match p {
                Payload::Nonce(n) => Some(n.0.clone()),
                _ => None,
            })
            .ok_or("no nonce")?;
        let ker = inner.iter().find_map(|p| match p {
            Payload::KeyExchange(k) => Some(k),
            _ => None,
        });
        let shared = match (pending.ke, ker) {
            (None, None) => None,
            (Some(ours), Some(ker)) if ker.group.raw() == ours.group().iana_id() => Some(
                ours.agree(&ker.data)
                    .map_err(|e| format!("KEr does not agree: {e}"))?,
            ),
            (Some(_), Some(ker)) => return Err(format!("KEr of group {}", ker.group)),
            (Some(_), None) => return Err("no KEr with PFS".to_owned()),
            (None, Some(_)) => return Err("KEr without PFS".to_owned()),
        };
        let ts = |initiator: bool| {
            inner.iter().find_map(|p| match p {
                Payload::TsInitiator(t) if initiator => Some(ranges(t)),
                Payload::TsResponder(t) if !initiator => Some(ranges(t)),
                _ => None,
            })
        };
        // The SC initiated: TSi is its side, TSr the client's.
        let sc_ts = ts(true).ok_or("no TSi")?;
        let client_ts = ts(false).ok_or("no TSr")?;
        let keys = child_keys(
            self.suite.unwrap().prf,
            self.sk_d.as_bytes(),
            shared.as_ref().map(|s| s.as_bytes()),
            &pending.nonce,
            &nr,
            &suite,
        );
        let old_client_spi = self.children[pending.old].client_spi;
        let record = FakeChild::new(Side::Sc, pending.sc_spi, client_spi, suite, keys)
            .with_ts(client_ts, sc_ts)
            .rekeying(old_client_spi);
        self.children.push(record);
        Ok(self.children.len() - 1)
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

/// Tests of the fake itself: the test plays the client by sealing with the
/// fake's own client→SC cipher and opening with its SC→client one.
#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::super::fake_child::ipv4_packet;
    use super::super::{psk_config, Harness, LOCAL, PSK};
    use super::*;
    use crate::crypto::{ChildSaKeys, Encryption};
    use crate::esp::{EspInbound, EspOutbound};
    use crate::ike::child::ChildSa;
    use crate::ike::payload::TrafficSelectors;

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
        assert!(
            matches!(&inner[..], [Payload::Notify(n)] if n.kind == NotifyType::ChildSaNotFound)
        );
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
}
