//! Every payload of RFC 7296 §3 and RFC 7383 encodes and decodes back to the
//! same value and the same bytes; hand-assembled wire bytes decode to the
//! fields the RFC layout puts there.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use softwire_core::ike::payload::{
    AddressRange, Attribute, Authentication, Certificate, CertificateRequest, CfgAttribute,
    CfgValue, Configuration, Delete, EapMessage, Encrypted, EncryptedFragment, Identification,
    KeyExchange, Nonce, Notify, Proposal, SecurityAssociation, TrafficSelector, TrafficSelectors,
    Transform,
};
use softwire_core::ike::types::*;
use softwire_core::ike::{Flags, Header, Message, Payload};

fn ike_proposal() -> Proposal {
    Proposal {
        number: 1,
        protocol: ProtocolId::Ike,
        spi: Vec::new(),
        transforms: vec![
            Transform::encryption(EncryptionId::AesGcm16, Some(256)),
            Transform::prf(PrfId::HmacSha2_256),
            Transform::key_exchange(KeyExchangeId::Curve25519),
        ],
    }
}

fn every_payload() -> Vec<Payload> {
    let esp = Proposal {
        number: 2,
        protocol: ProtocolId::Esp,
        spi: vec![0xc0, 0xff, 0xee, 0x01],
        transforms: vec![
            Transform::encryption(EncryptionId::AesCbc, Some(128)),
            Transform::integrity(IntegrityId::HmacSha2_256_128),
            Transform::esn(EsnId::NoEsn),
            Transform {
                kind: TransformType::Unknown(200),
                id: 7,
                attributes: vec![Attribute::Tlv {
                    kind: AttributeType::Unknown(99),
                    value: vec![1, 2, 3],
                }],
            },
        ],
    };
    vec![
        Payload::SecurityAssociation(SecurityAssociation {
            proposals: vec![ike_proposal(), esp],
        }),
        Payload::KeyExchange(KeyExchange {
            group: KeyExchangeId::Curve25519,
            data: vec![9; 32],
        }),
        Payload::Nonce(Nonce(vec![0xa5; 32])),
        Payload::Notify(Notify::flag(NotifyType::Ikev2FragmentationSupported)),
        Payload::Notify(Notify::signature_hash_algorithms(&[
            HashAlgorithm::Sha2_256,
            HashAlgorithm::Sha2_512,
        ])),
        Payload::Notify(Notify {
            protocol: ProtocolId::Esp,
            spi: vec![1, 2, 3, 4],
            kind: NotifyType::RekeySa,
            data: Vec::new(),
        }),
        Payload::IdInitiator(Identification::rfc822("alice@eap.example.net")),
        Payload::IdResponder(Identification::fqdn("sc.example.net")),
        Payload::Certificate(Certificate {
            encoding: CertEncoding::X509Signature,
            data: vec![0x30, 0x82, 0x01, 0x00],
        }),
        Payload::CertificateRequest(CertificateRequest {
            encoding: CertEncoding::X509Signature,
            authority: vec![0x11; 40],
        }),
        Payload::Authentication(Authentication {
            method: AuthMethod::SharedKeyMic,
            data: vec![0x42; 32],
        }),
        Payload::Delete(Delete::esp(&[0x0102_0304, 0x0506_0708])),
        Payload::Delete(Delete::ike()),
        Payload::VendorId(b"softwire".to_vec()),
        Payload::TsInitiator(TrafficSelectors {
            selectors: vec![
                TrafficSelector::Range(AddressRange::any_v4()),
                TrafficSelector::Range(AddressRange::any_v6()),
            ],
        }),
        Payload::TsResponder(TrafficSelectors {
            selectors: vec![
                TrafficSelector::Range(AddressRange {
                    ip_protocol: 17,
                    start_port: 53,
                    end_port: 53,
                    start: IpAddr::V6("2001:db8:5173::".parse().unwrap()),
                    end: IpAddr::V6("2001:db8:5173::ffff".parse().unwrap()),
                }),
                TrafficSelector::Other {
                    ts_type: TsType::SecLabel,
                    body: vec![0, b's', b'y', b's'],
                },
            ],
        }),
        Payload::Configuration(Configuration {
            cfg_type: CfgType::Request,
            attributes: vec![
                CfgAttribute::request(CfgAttributeType::InternalIp4Address),
                CfgAttribute::request(CfgAttributeType::InternalIp6Address),
                CfgAttribute::request(CfgAttributeType::InternalIp4Dns),
                CfgAttribute::request(CfgAttributeType::InternalIp6Dns),
            ],
        }),
        Payload::Eap(EapMessage {
            code: EapCode::Response,
            identifier: 7,
            method: Some(EapType::MsChapV2),
            data: vec![2, 7, 0, 0x3f],
        }),
        Payload::Eap(EapMessage {
            code: EapCode::Success,
            identifier: 8,
            method: None,
            data: Vec::new(),
        }),
        Payload::Unknown {
            kind: 140,
            critical: false,
            body: vec![0xde, 0xad],
        },
        Payload::Encrypted(Encrypted {
            first_inner: PayloadType::IdInitiator,
            body: vec![0x5a; 48],
        }),
    ]
}

fn header(exchange: ExchangeType) -> Header {
    Header::new(
        [1, 2, 3, 4, 5, 6, 7, 8],
        [0; 8],
        exchange,
        Flags::new(true, false),
        0,
    )
}

#[test]
fn every_payload_round_trips() {
    let message = Message {
        header: header(ExchangeType::IkeAuth),
        payloads: every_payload(),
    };
    let bytes = message.encode().unwrap();
    let decoded = Message::decode(&bytes).unwrap();
    assert_eq!(decoded.payloads, message.payloads);
    assert_eq!(decoded.header.length as usize, bytes.len());
    assert_eq!(
        decoded.header.next_payload,
        PayloadType::SecurityAssociation
    );
    assert_eq!(
        decoded.encode().unwrap(),
        bytes,
        "re-encoding changed bytes"
    );
}

#[test]
fn encrypted_fragment_round_trips() {
    let message = Message {
        header: header(ExchangeType::IkeAuth),
        payloads: vec![Payload::EncryptedFragment(EncryptedFragment {
            first_inner: PayloadType::IdInitiator,
            number: 1,
            total: 3,
            body: vec![7; 40],
        })],
    };
    let bytes = message.encode().unwrap();
    // Generic header: next = IDi (35), then fragment number 1, total 3.
    assert_eq!(&bytes[28..36], &[35, 0, 0, 48, 0, 1, 0, 3]);
    assert_eq!(Message::decode(&bytes).unwrap(), {
        let mut m = message.clone();
        m.header.length = bytes.len() as u32;
        m.header.next_payload = PayloadType::EncryptedFragment;
        m
    });
}

/// RFC 7296 §3.1 and §3.3: an IKE_SA_INIT request assembled by hand, field by
/// field, decodes to what the layout says.
#[test]
fn hand_assembled_ike_sa_init_decodes() {
    #[rustfmt::skip]
    let bytes: Vec<u8> = [
        // IKE header: SPIi, SPIr
        &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88][..],
        &[0; 8],
        // next payload SA (33), version 2.0, IKE_SA_INIT (34), flags I, msg id 0, length
        &[33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28 + 48 + 8 + 20],
        // SA payload: next KE (34), not critical, length 48
        &[34, 0, 0, 48],
        //   proposal: last, reserved, length 44, #1, IKE, spi size 0, 4 transforms
        &[0, 0, 0, 44, 1, 1, 0, 4],
        //   ENCR AES-GCM-16 with key length 128 (TV attribute 0x800e)
        &[3, 0, 0, 12, 1, 0, 0, 20, 0x80, 0x0e, 0x00, 0x80],
        //   PRF HMAC-SHA2-256
        &[3, 0, 0, 8, 2, 0, 0, 5],
        //   KE group 19
        &[3, 0, 0, 8, 4, 0, 0, 19],
        //   last: KE group 31
        &[0, 0, 0, 8, 4, 0, 0, 31],
        // KE payload: next Nonce (40), length 8, group 31, reserved, 0 data bytes... plus 0
        &[40, 0, 0, 8, 0, 31, 0, 0],
        // Nonce: next none, length 20, 16 octets
        &[0, 0, 0, 20],
        &[0xab; 16],
    ]
    .concat();
    let m = Message::decode(&bytes).unwrap();
    assert_eq!(
        m.header.spi_i,
        [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
    );
    assert_eq!(m.header.exchange, ExchangeType::IkeSaInit);
    assert!(m.header.flags.initiator());
    assert!(!m.header.flags.response());
    let Payload::SecurityAssociation(sa) = &m.payloads[0] else {
        panic!("first payload is not SA: {:?}", m.payloads[0]);
    };
    let p = &sa.proposals[0];
    assert_eq!(p.protocol, ProtocolId::Ike);
    assert_eq!(p.transforms.len(), 4);
    assert_eq!(p.transforms[0].kind, TransformType::Encryption);
    assert_eq!(
        EncryptionId::from(p.transforms[0].id),
        EncryptionId::AesGcm16
    );
    assert_eq!(p.transforms[0].key_length(), Some(128));
    let groups: Vec<_> = p
        .transforms_of(TransformType::KeyExchange)
        .map(|t| KeyExchangeId::from(t.id))
        .collect();
    assert_eq!(groups, [KeyExchangeId::Ecp256, KeyExchangeId::Curve25519]);
    assert!(
        matches!(&m.payloads[1], Payload::KeyExchange(ke) if ke.group == KeyExchangeId::Curve25519 && ke.data.is_empty())
    );
    assert!(matches!(&m.payloads[2], Payload::Nonce(n) if n.0 == [0xab; 16]));
    assert_eq!(m.encode().unwrap(), bytes);
}

#[test]
fn configuration_values_are_typed() {
    let reply = Configuration {
        cfg_type: CfgType::Reply,
        attributes: vec![
            CfgAttribute {
                kind: CfgAttributeType::InternalIp4Address,
                value: vec![203, 0, 113, 130],
            },
            CfgAttribute {
                kind: CfgAttributeType::InternalIp6Address,
                value: [
                    "2001:db8:cafe::1000"
                        .parse::<Ipv6Addr>()
                        .unwrap()
                        .octets()
                        .as_slice(),
                    &[128],
                ]
                .concat(),
            },
            CfgAttribute {
                kind: CfgAttributeType::InternalIp4Subnet,
                value: vec![203, 0, 113, 0, 255, 255, 255, 128],
            },
            CfgAttribute {
                kind: CfgAttributeType::InternalIp6Dns,
                value: "2001:db8:5173::53"
                    .parse::<Ipv6Addr>()
                    .unwrap()
                    .octets()
                    .to_vec(),
            },
        ],
    };
    let values: Vec<_> = reply
        .attributes
        .iter()
        .map(|a| a.value().unwrap())
        .collect();
    assert_eq!(values[0], CfgValue::Ip4(Ipv4Addr::new(203, 0, 113, 130)));
    assert_eq!(
        values[1],
        CfgValue::Ip6Prefix("2001:db8:cafe::1000".parse().unwrap(), 128)
    );
    assert_eq!(
        values[2],
        CfgValue::Ip4Subnet(
            Ipv4Addr::new(203, 0, 113, 0),
            Ipv4Addr::new(255, 255, 255, 128)
        )
    );
    assert_eq!(
        values[3],
        CfgValue::Ip6("2001:db8:5173::53".parse().unwrap())
    );
    // A 5-byte IPv4 address is an error, not a truncation.
    let bad = CfgAttribute {
        kind: CfgAttributeType::InternalIp4Dns,
        value: vec![1, 2, 3, 4, 5],
    };
    assert!(bad.value().is_err());
    let bad_prefix = CfgAttribute {
        kind: CfgAttributeType::InternalIp6Address,
        value: [[0u8; 16].as_slice(), &[129]].concat(),
    };
    assert!(bad_prefix.value().is_err());
}

#[test]
fn unknown_code_points_survive() {
    assert_eq!(NotifyType::from(40_000), NotifyType::Unknown(40_000));
    assert_eq!(NotifyType::Unknown(40_000).raw(), 40_000);
    assert_eq!(
        NotifyType::from(16430),
        NotifyType::Ikev2FragmentationSupported
    );
    assert_eq!(
        NotifyType::Ikev2FragmentationSupported.to_string(),
        "IKEV2_FRAGMENTATION_SUPPORTED"
    );
    assert_eq!(KeyExchangeId::from(999).to_string(), "KeyExchangeId(999)");
    assert!(NotifyType::AuthenticationFailed.is_error());
    assert!(!NotifyType::Cookie.is_error());
}

#[test]
fn notify_data_views() {
    let n = Notify::new(NotifyType::InvalidKePayload, vec![0, 19]);
    assert_eq!(n.requested_group().unwrap(), KeyExchangeId::Ecp256);
    assert!(Notify::new(NotifyType::InvalidKePayload, vec![19])
        .requested_group()
        .is_err());
    let s =
        Notify::signature_hash_algorithms(&[HashAlgorithm::Sha2_384, HashAlgorithm::Unknown(77)]);
    assert_eq!(s.data, [0, 3, 0, 77]);
    assert_eq!(
        s.hash_algorithms().unwrap(),
        [HashAlgorithm::Sha2_384, HashAlgorithm::Unknown(77)]
    );
    assert!(
        Notify::new(NotifyType::SignatureHashAlgorithms, vec![0, 2, 0])
            .hash_algorithms()
            .is_err()
    );
}
