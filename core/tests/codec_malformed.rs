//! Bad input never panics and always gets a named error: truncation at every
//! offset, lengths that overrun or undercut their header, chains that end
//! early or would loop, unknown critical payloads, wrong versions, and
//! random and bit-flipped datagrams.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use softwire_core::ike::payload::{
    Identification, KeyExchange, Nonce, Notify, Proposal, SecurityAssociation, Transform,
};
use softwire_core::ike::types::*;
use softwire_core::ike::{DecodeError, Flags, Header, Message, Payload};

fn valid_init() -> Vec<u8> {
    Message {
        header: Header::new(
            [7; 8],
            [0; 8],
            ExchangeType::IkeSaInit,
            Flags::new(true, false),
            0,
        ),
        payloads: vec![
            Payload::SecurityAssociation(SecurityAssociation {
                proposals: vec![Proposal {
                    number: 1,
                    protocol: ProtocolId::Ike,
                    spi: Vec::new(),
                    transforms: vec![
                        Transform::encryption(EncryptionId::AesGcm16, Some(128)),
                        Transform::prf(PrfId::HmacSha2_256),
                        Transform::key_exchange(KeyExchangeId::Curve25519),
                    ],
                }],
            }),
            Payload::KeyExchange(KeyExchange {
                group: KeyExchangeId::Curve25519,
                data: vec![1; 32],
            }),
            Payload::Nonce(Nonce(vec![2; 32])),
            Payload::Notify(Notify::flag(NotifyType::Ikev2FragmentationSupported)),
            Payload::IdInitiator(Identification::fqdn("client.example.net")),
        ],
    }
    .encode()
    .unwrap()
}

/// Sets the header length field to the datagram length after an edit.
fn fix_header_length(bytes: &mut [u8]) {
    let len = (bytes.len() as u32).to_be_bytes();
    bytes[24..28].copy_from_slice(&len);
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = valid_init();
    for cut in 0..bytes.len() {
        assert!(
            Message::decode(&bytes[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
        // Also with the header length adjusted, so the chain itself is cut.
        let mut cut_bytes = bytes[..cut].to_vec();
        if cut >= 28 {
            fix_header_length(&mut cut_bytes);
            assert!(
                Message::decode(&cut_bytes).is_err(),
                "chain cut at {cut} decoded"
            );
        }
    }
}

#[test]
fn header_length_must_match_datagram() {
    let mut bytes = valid_init();
    bytes.push(0);
    assert!(matches!(
        Message::decode(&bytes),
        Err(DecodeError::LengthMismatch { .. })
    ));
    let mut bytes = valid_init();
    bytes[27] = bytes[27].wrapping_add(1);
    assert!(matches!(
        Message::decode(&bytes),
        Err(DecodeError::LengthMismatch { .. })
    ));
}

#[test]
fn wrong_major_version_is_refused() {
    let mut bytes = valid_init();
    bytes[17] = 0x10; // IKEv1
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::UnsupportedVersion(1))
    );
    bytes[17] = 0x30;
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::UnsupportedVersion(3))
    );
    bytes[17] = 0x21; // minor versions are ignored (RFC 7296 §2.5)
    assert!(Message::decode(&bytes).is_ok());
}

#[test]
fn payload_length_shorter_than_its_header_is_refused() {
    // A zero payload length would make a naive parser loop on one payload.
    for bad in [0u16, 1, 3] {
        let mut bytes = valid_init();
        bytes[30..32].copy_from_slice(&bad.to_be_bytes());
        assert!(
            matches!(Message::decode(&bytes), Err(DecodeError::BadLength { .. })),
            "length {bad}"
        );
    }
}

#[test]
fn payload_length_overrunning_the_message_is_refused() {
    let mut bytes = valid_init();
    bytes[30..32].copy_from_slice(&u16::MAX.to_be_bytes());
    assert!(matches!(
        Message::decode(&bytes),
        Err(DecodeError::BadLength { .. })
    ));
}

#[test]
fn chain_that_ends_early_or_late_is_refused() {
    // The last payload claims a successor that is not there.
    let mut bytes = valid_init();
    let last_header = find_last_payload_header(&bytes);
    bytes[last_header] = PayloadType::Notify.raw();
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::ChainEndsEarly(PayloadType::Notify))
    );
    // The chain ends but bytes remain.
    let mut bytes = valid_init();
    bytes.extend_from_slice(&[0, 0, 0, 4]);
    fix_header_length(&mut bytes);
    assert_eq!(Message::decode(&bytes), Err(DecodeError::TrailingBytes(4)));
}

fn find_last_payload_header(bytes: &[u8]) -> usize {
    let mut offset = 28;
    loop {
        let len = u16::from_be_bytes([bytes[offset + 2], bytes[offset + 3]]) as usize;
        if offset + len == bytes.len() {
            return offset;
        }
        offset += len;
    }
}

#[test]
fn unknown_payloads_critical_and_not() {
    let mut bytes = valid_init();
    let last = find_last_payload_header(&bytes);
    bytes[last] = 200;
    bytes.extend_from_slice(&[0, 0x00, 0, 6, 0xaa, 0xbb]);
    fix_header_length(&mut bytes);
    let m = Message::decode(&bytes).unwrap();
    assert!(
        matches!(m.payloads.last(), Some(Payload::Unknown { kind: 200, body, .. }) if body == &[0xaa, 0xbb])
    );
    assert_eq!(m.encode().unwrap(), bytes);
    let n = bytes.len();
    bytes[n - 5] = 0x80; // critical bit
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::UnsupportedCriticalPayload(200))
    );
}

#[test]
fn encrypted_payload_must_be_last() {
    // SK payload (type 46) followed by more bytes in the outer chain.
    let mut bytes = valid_init();
    let last = find_last_payload_header(&bytes);
    bytes[last] = PayloadType::Encrypted.raw();
    bytes.extend_from_slice(&[0, 0, 0, 8, 1, 2, 3, 4]);
    bytes.extend_from_slice(&[0, 0, 0, 4]);
    fix_header_length(&mut bytes);
    assert_eq!(Message::decode(&bytes), Err(DecodeError::EncryptedNotLast));
}

#[test]
fn substructure_errors_are_named() {
    let bytes = valid_init();
    // Proposal's last-substructure marker at offset 32.
    let mut b = bytes.clone();
    b[32] = 9;
    assert!(matches!(
        Message::decode(&b),
        Err(DecodeError::BadSubstructureMarker { .. })
    ));
    // Transform count says 4, three present.
    let mut b = bytes.clone();
    b[39] = 4;
    assert!(Message::decode(&b).is_err());
    // Transform count says 2, three present (the third would be left over).
    let mut b = bytes;
    b[39] = 2;
    assert!(matches!(
        Message::decode(&b),
        Err(DecodeError::CountMismatch { .. })
    ));
}

#[test]
fn nonce_size_limits() {
    let mut m = Message::decode(&valid_init()).unwrap();
    m.payloads[2] = Payload::Nonce(Nonce(vec![1; 15]));
    assert!(matches!(
        Message::decode(&m.encode().unwrap()),
        Err(DecodeError::BadLength { what: "nonce", .. })
    ));
    m.payloads[2] = Payload::Nonce(Nonce(vec![1; 257]));
    assert!(Message::decode(&m.encode().unwrap()).is_err());
}

#[test]
fn too_many_payloads_is_refused() {
    let mut payloads = vec![];
    for _ in 0..200 {
        payloads.push(Payload::VendorId(Vec::new()));
    }
    let m = Message {
        header: Header::new(
            [1; 8],
            [0; 8],
            ExchangeType::Informational,
            Flags::new(true, false),
            1,
        ),
        payloads,
    };
    assert!(matches!(
        Message::decode(&m.encode().unwrap()),
        Err(DecodeError::TooManyPayloads(_))
    ));
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_datagrams_never_panic() {
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let len = (rng.next() % 600) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len >= 28 {
            // Make the header plausible so the chain parser is reached.
            bytes[17] = 0x20;
            fix_header_length(&mut bytes);
        }
        if Message::decode(&bytes).is_ok() {
            accepted += 1;
        }
    }
    // Nearly all random chains are malformed; the point is that none panicked.
    assert!(accepted < 20_000);
}

#[test]
fn bit_flips_of_a_valid_message_never_panic() {
    let bytes = valid_init();
    let mut reencoded_same = 0;
    for bit in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        if let Ok(m) = Message::decode(&b) {
            // Whatever decodes must encode again without error.
            if m.encode().unwrap() == b {
                reencoded_same += 1;
            }
        }
    }
    assert!(reencoded_same > 0);
}
