//! The fake SC's IKE_AUTH (RFC 7296 §1.2): PSK or certificate
//! authentication of both peers, EAP-MSCHAPv2 with clients that send no AUTH
//! (§2.16), an optionally fragmented reply (RFC 7383), and the CHILD_SA made
//! with the IKE SA.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::eap::mschapv2::crypto as mschap;
use crate::ike::auth::{shared_key_auth, signed_octets, verify_shared_key_auth};
use crate::ike::child::selectors;
use crate::ike::fragment::seal_fragmented;
use crate::ike::message::Message;
use crate::ike::payload::{
    AddressRange, Authentication, Certificate, CfgAttribute, Configuration, EapMessage, Notify,
    Payload, Proposal, SecurityAssociation,
};
use crate::ike::protect::open_message;
use crate::ike::types::*;
use crate::pki::{verify_auth, verify_peer_certificate, ExpectedIdentity};

use super::super::fake_child::{child_keys, first_of_each_type, suite_of, FakeChild, Side};
use super::{FakeSc, FIRST_CHILD_SPI};

impl FakeSc {
    pub(super) fn ike_auth(&mut self, bytes: &[u8], m: &Message) -> Vec<Vec<u8>> {
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
        .into_iter()
        .chain(self.mobike_auth_notifies())
        .collect()
    }
}
