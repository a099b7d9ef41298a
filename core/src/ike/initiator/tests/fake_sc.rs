//! A scripted IKEv2 responder for the initiator's tests: just enough of an
//! SC to answer IKE_SA_INIT, IKE_AUTH (PSK) and INFORMATIONAL, with knobs for
//! the misbehaviour each test needs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::crypto::{derive_ike_keys, DhGroup, IkeSuite, KeyExchange, SecretBytes, SkCipher};
use crate::eap::mschapv2::crypto as mschap;
use crate::ike::auth::{shared_key_auth, signed_octets, verify_shared_key_auth};
use crate::ike::child::EspOffer;
use crate::ike::fragment::seal_fragmented;
use crate::ike::header::{Flags, Header};
use crate::ike::message::Message;
use crate::ike::natt::{classify_port_4500, nat_detection_hash, with_non_esp_marker, Port4500};
use crate::ike::payload::{
    AddressRange, Authentication, CfgAttribute, Configuration, Identification,
    KeyExchange as KePayload, Nonce, Notify, Payload, Proposal, SecurityAssociation,
    TrafficSelector, TrafficSelectors,
};
use crate::ike::payload::{Certificate, EapMessage};
use crate::ike::proposals::IkeOffer;
use crate::ike::protect::{open_message, seal_message};
use crate::ike::types::*;
use crate::pki::{
    verify_auth, verify_peer_certificate, ExpectedIdentity, LocalSigner, TrustAnchors,
};

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
            inbound: None,
            outbound: None,
            natt: false,
            next_request_id: 0,
            received: Vec::new(),
            auth_requests: Vec::new(),
            eap_challenge: [0x3c; 16],
            msk: None,
            id_i: None,
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
            Vec::new()
        } else {
            match message.header.exchange {
                ExchangeType::IkeSaInit => vec![self.sa_init(from, ike, &message)],
                ExchangeType::IkeAuth => self.ike_auth(ike, &message),
                ExchangeType::Informational => vec![self.informational(ike, &message)],
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
        self.suite = Some(suite);
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
            payloads.extend(self.child_payloads(&self.auth_requests[0].clone()));
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

    /// CP, SA, TSi, TSr answering the first IKE_AUTH request's child payloads.
    fn child_payloads(&self, request: &[Payload]) -> Vec<Payload> {
        let sa = request
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap();
        let first = &sa.proposals[0];
        let enc = first
            .transforms
            .iter()
            .find(|t| t.kind == TransformType::Encryption)
            .unwrap()
            .clone();
        let esn = first
            .transforms
            .iter()
            .find(|t| t.kind == TransformType::ExtendedSequenceNumbers)
            .unwrap()
            .clone();
        let child = SecurityAssociation {
            proposals: vec![Proposal {
                number: 1,
                protocol: ProtocolId::Esp,
                spi: vec![0xc0, 0, 0x5c, 0x01],
                transforms: vec![enc, esn],
            }],
        };
        let _ = EspOffer::defaults();
        let v4 = Ipv4Addr::new(203, 0, 113, 129);
        let v6: Ipv6Addr = "2001:db8:cafe::1000".parse().unwrap();
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
            Payload::TsInitiator(TrafficSelectors {
                selectors: vec![
                    TrafficSelector::Range(AddressRange::any(IpAddr::V4(v4), IpAddr::V4(v4))),
                    TrafficSelector::Range(AddressRange::any(IpAddr::V6(v6), IpAddr::V6(v6))),
                ],
            }),
            Payload::TsResponder(TrafficSelectors {
                selectors: vec![
                    TrafficSelector::Range(AddressRange::any_v4()),
                    TrafficSelector::Range(AddressRange::any_v6()),
                ],
            }),
        ]
    }

    fn informational(&mut self, bytes: &[u8], m: &Message) -> Vec<u8> {
        let _inner =
            open_message(bytes, m, self.inbound.as_ref().unwrap()).expect("INFORMATIONAL opens");
        seal_message(self.reply_header(m), &[], self.outbound.as_mut().unwrap()).unwrap()
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
