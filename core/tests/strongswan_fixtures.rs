//! IKE messages strongSwan 5.9.8 sent to itself in the lab (PSK, server
//! certificate + EAP-MSCHAPv2, and certificates on both sides, across a
//! NAT; captured between the NAT and the SC by
//! `tests/tests/ike_sa_init_and_auth.rs`'s procedure). Each decodes, says
//! what the exchange says, and re-encodes to the same bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::path::Path;

use softwire_core::ike::types::{ExchangeType, NotifyType, PayloadType};
use softwire_core::ike::{Message, Payload};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/strongswan");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, hex::decode(text.trim()).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_captured_message_round_trips() {
    let all = fixtures();
    assert_eq!(all.len(), 28);
    for (name, bytes) in &all {
        let m = Message::decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&m.encode().unwrap(), bytes, "{name} re-encodes differently");
        let expected = if name.contains("sa_init") {
            ExchangeType::IkeSaInit
        } else if name.contains("auth") {
            ExchangeType::IkeAuth
        } else {
            ExchangeType::Informational
        };
        assert_eq!(m.header.exchange, expected, "{name}");
        assert_eq!(
            m.header.flags.response(),
            name.contains("response"),
            "{name}"
        );
    }
}

#[test]
fn sa_init_response_carries_what_rfc_7296_asks() {
    for (name, bytes) in fixtures() {
        if !name.ends_with("sa_init-response.hex") {
            continue;
        }
        let m = Message::decode(&bytes).unwrap();
        let kinds: Vec<PayloadType> = m.payloads.iter().map(Payload::kind).collect();
        for needed in [
            PayloadType::SecurityAssociation,
            PayloadType::KeyExchange,
            PayloadType::Nonce,
        ] {
            assert!(kinds.contains(&needed), "{name}: no {needed}");
        }
        assert!(
            m.notify(NotifyType::NatDetectionSourceIp).is_some(),
            "{name}"
        );
        assert!(
            m.notify(NotifyType::NatDetectionDestinationIp).is_some(),
            "{name}"
        );
        assert!(
            m.notify(NotifyType::Ikev2FragmentationSupported).is_some(),
            "{name}"
        );
        assert_ne!(m.header.spi_r, [0; 8], "{name}");
    }
}

#[test]
fn ike_auth_is_encrypted_and_the_cert_exchange_is_fragmented() {
    let mut fragments = 0;
    for (name, bytes) in fixtures() {
        if !name.contains("-auth-") && !name.contains("-info-") {
            continue;
        }
        let m = Message::decode(&bytes).unwrap();
        match m.payloads.as_slice() {
            [Payload::Encrypted(sk)] => assert!(!sk.body.is_empty(), "{name}"),
            [Payload::EncryptedFragment(skf)] => {
                // RFC 7383 §2.5: only the first fragment names the inner type.
                assert_eq!(
                    skf.first_inner == PayloadType::NoNextPayload,
                    skf.number != 1,
                    "{name}"
                );
                assert_eq!(skf.total, 2, "{name}");
                fragments += 1;
            }
            other => panic!("{name}: unexpected outer payloads {other:?}"),
        }
    }
    // The RSA certificate exchange is split in two, both ways.
    assert_eq!(fragments, 4);
}
