//! Round trips for every suite, sizes and family; sequence numbers, ESN
//! wraparound and exhaustion; key and SPI directions.

use super::*;
use crate::crypto::CryptoError;
use crate::esp::cipher::{alignment, icv_len, iv_len};
use crate::esp::{Drop, EspError, IpFamily, ESP_HEADER_LEN};

/// Payload sizes after the inner IP header: the bare header, one octet, a
/// small packet, a full-size one and a jumbo frame.
const SIZES: [usize; 5] = [0, 1, 64, 1400, 8192];

fn inner_from_sc(family: IpFamily, payload: usize) -> Vec<u8> {
    match family {
        IpFamily::V4 => ipv4_packet(THEIR_V4, OUR_V4, 17, payload),
        IpFamily::V6 => ipv6_packet(THEIR_V6, OUR_V6, 17, payload),
    }
}

fn inner_to_sc(family: IpFamily, payload: usize) -> Vec<u8> {
    match family {
        IpFamily::V4 => ipv4_packet(OUR_V4, THEIR_V4, 6, payload),
        IpFamily::V6 => ipv6_packet(OUR_V6, THEIR_V6, 6, payload),
    }
}

#[test]
fn every_suite_size_and_family_round_trips_both_ways() {
    for (n, suite) in all_suites().into_iter().enumerate() {
        let ours = child(suite, n as u64);
        let theirs = peer_view(&ours);
        let mut our_out = EspOutbound::from_child(&ours).unwrap();
        let mut our_in = EspInbound::from_child(&ours).unwrap();
        let mut our_in_place = EspInbound::from_child(&ours).unwrap();
        let mut their_out = EspOutbound::from_child(&theirs).unwrap();
        let mut their_in = EspInbound::from_child(&theirs).unwrap();
        let mut wire = Vec::new();
        let mut plain = Vec::new();
        let mut seq = 0u64;
        for family in [IpFamily::V4, IpFamily::V6] {
            for size in SIZES {
                seq += 1;
                // Downlink: the SC seals, we open.
                let inner = inner_from_sc(family, size);
                their_out.seal(&inner, &mut wire).unwrap();
                check_layout(&suite, &wire, inner.len(), theirs.spi_out, seq);
                assert_eq!(wire.len(), their_out.sealed_len(inner.len()));
                let (delivered, opened) =
                    open_both(&mut our_in, &mut our_in_place, &wire, None).unwrap();
                assert_eq!(opened, inner, "{suite:?} {family:?} {size}");
                assert_eq!(delivered.range, 0..inner.len());
                assert_eq!(delivered.family, family);
                assert_eq!(delivered.seq, seq);

                // Uplink: we seal, the SC opens.
                let inner = inner_to_sc(family, size);
                our_out.seal(&inner, &mut wire).unwrap();
                check_layout(&suite, &wire, inner.len(), ours.spi_out, seq);
                let delivered = their_in.open(&wire, None, &mut plain).unwrap();
                assert_eq!(plain, inner, "{suite:?} {family:?} {size}");
                assert_eq!(delivered.family, family);
            }
        }
        assert_eq!(our_out.counters().packets_out, seq);
        assert_eq!(our_in.counters().packets_in, seq);
        assert_eq!(our_in.counters().total_drops(), 0);
        assert_eq!(our_in.counters(), our_in_place.counters());
        let expected_bytes: u64 = [20u64, 40]
            .iter()
            .flat_map(|h| SIZES.iter().map(move |s| h + *s as u64))
            .sum();
        assert_eq!(our_in.counters().bytes_in, expected_bytes);
        assert_eq!(our_out.counters().bytes_out, expected_bytes);
    }
}

/// SPI, sequence number, the minimal padding for the alignment (RFC 4303
/// §2.4) and the IV/ICV lengths.
fn check_layout(suite: &EspSuite, wire: &[u8], inner_len: usize, spi: u32, seq: u64) {
    assert_eq!(wire[..4], spi.to_be_bytes());
    assert_eq!(wire[4..8], (seq as u32).to_be_bytes());
    let ciphertext = wire.len() - ESP_HEADER_LEN - iv_len(suite.encryption) - icv_len(suite);
    let align = alignment(suite.encryption);
    assert_eq!(ciphertext % align, 0);
    assert!(ciphertext >= inner_len + 2 && ciphertext < inner_len + 2 + align);
}

#[test]
fn aead_iv_is_the_sequence_number_and_cbc_ivs_differ() {
    for suite in all_suites() {
        let (mut out, _, _) = downlink(suite, 1);
        let inner = inner_from_sc(IpFamily::V4, 10);
        let mut wire = Vec::new();
        let mut ivs = Vec::new();
        for seq in 1..=50u64 {
            out.seal(&inner, &mut wire).unwrap();
            let iv = wire[8..8 + iv_len(suite.encryption)].to_vec();
            if suite.encryption.is_aead() {
                assert_eq!(iv, seq.to_be_bytes());
            }
            ivs.push(iv);
        }
        ivs.sort();
        ivs.dedup();
        assert_eq!(ivs.len(), 50, "IVs never repeat");
    }
}

#[test]
fn directions_use_their_own_keys_and_spis() {
    for suite in all_suites() {
        let ours = child(suite, 7);
        let mut our_out = EspOutbound::from_child(&ours).unwrap();
        let mut our_in = EspInbound::from_child(&ours).unwrap();
        let inner = inner_to_sc(IpFamily::V4, 100);
        let mut wire = Vec::new();
        let mut plain = Vec::new();
        our_out.seal(&inner, &mut wire).unwrap();
        // Our own packet carries the SC's SPI, not ours.
        assert_eq!(our_in.open(&wire, None, &mut plain), Err(Drop::UnknownSpi));
        // And with our SPI written in, the keys are the wrong direction's.
        wire[..4].copy_from_slice(&ours.spi_in.to_be_bytes());
        assert_eq!(
            our_in.open(&wire, None, &mut plain),
            Err(Drop::IntegrityFailed)
        );
        assert!(plain.is_empty());
    }
}

#[test]
fn esn_low_half_wraps_around() {
    for suite in all_suites().into_iter().filter(|s| s.esn) {
        let (mut out, mut inbound, _) = downlink(suite, 3);
        let start = (1u64 << 32) - 4;
        out.set_last_seq(start);
        inbound.mark_received(start);
        let inner = inner_from_sc(IpFamily::V6, 33);
        let mut wire = Vec::new();
        let mut plain = Vec::new();

        // 2^32 - 3 and 2^32 - 2 in order.
        for _ in 0..2 {
            out.seal(&inner, &mut wire).unwrap();
            inbound.open(&wire, None, &mut plain).unwrap();
        }
        // 2^32 - 1 is held back and arrives after the wrap.
        out.seal(&inner, &mut wire).unwrap();
        let late = wire.clone();
        assert_eq!(late[4..8], [0xff; 4]);
        for expected in (1u64 << 32)..(1u64 << 32) + 3 {
            out.seal(&inner, &mut wire).unwrap();
            // Only the low half is on the wire.
            assert_eq!(wire[4..8], (expected as u32).to_be_bytes());
            let delivered = inbound.open(&wire, None, &mut plain).unwrap();
            assert_eq!(delivered.seq, expected);
        }
        assert_eq!(inbound.highest_seq(), (1 << 32) + 2);
        let delivered = inbound.open(&late, None, &mut plain).unwrap();
        assert_eq!(delivered.seq, (1 << 32) - 1);
        assert_eq!(inbound.open(&late, None, &mut plain), Err(Drop::Replayed));
    }
}

#[test]
fn sequence_numbers_never_cycle() {
    for suite in all_suites() {
        let (mut out, _, _) = downlink(suite, 4);
        let limit = if suite.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        out.set_last_seq(limit - 1);
        assert_eq!(out.remaining(), 1);
        let inner = inner_from_sc(IpFamily::V4, 0);
        let mut wire = Vec::new();
        out.seal(&inner, &mut wire).unwrap();
        assert_eq!(wire[4..8], [0xff; 4]);
        assert_eq!(out.remaining(), 0);
        assert_eq!(
            out.seal(&inner, &mut wire),
            Err(EspError::SequenceExhausted)
        );
        assert!(wire.is_empty());
        assert_eq!(out.last_seq(), limit);
        assert_eq!(out.counters().packets_out, 1);
    }
}

#[test]
fn sequence_numbers_start_at_one() {
    let (mut out, _, _) = downlink(all_suites()[0], 5);
    assert_eq!(out.last_seq(), 0);
    let mut wire = Vec::new();
    out.seal(&inner_from_sc(IpFamily::V4, 0), &mut wire)
        .unwrap();
    assert_eq!(wire[4..8], [0, 0, 0, 1]);
}

#[test]
fn only_ip_packets_are_sealed() {
    let (mut out, _, _) = downlink(all_suites()[0], 6);
    let mut wire = vec![1, 2, 3];
    assert_eq!(out.seal(&[], &mut wire), Err(EspError::NotIpPacket(None)));
    assert_eq!(
        out.seal(&[0x50, 0, 0, 0], &mut wire),
        Err(EspError::NotIpPacket(Some(5)))
    );
    assert!(wire.is_empty());
    // Refused packets use no sequence number.
    assert_eq!(out.last_seq(), 0);
}

#[test]
fn unusable_suites_and_keys_are_refused() {
    let suite = all_suites()[0];
    let mut sa = child(suite, 8);
    sa.spi_out = 255;
    assert_eq!(
        EspOutbound::from_child(&sa).unwrap_err(),
        EspError::ReservedSpi(255)
    );
    let mut sa = child(suite, 8);
    sa.spi_in = 0;
    assert_eq!(
        EspInbound::from_child(&sa).unwrap_err(),
        EspError::ReservedSpi(0)
    );

    // The AEAD keymat must include the salt.
    let mut sa = child(suite, 8);
    sa.keys.encr_i = SecretBytes::new(vec![0; 16]);
    assert!(matches!(
        EspOutbound::from_child(&sa).unwrap_err(),
        EspError::Crypto(CryptoError::InvalidKeyLength {
            expected: 20,
            actual: 16,
            ..
        })
    ));

    let mut sa = child(suite, 8);
    sa.suite.integrity = Some(Integrity::HmacSha256_128);
    assert_eq!(
        EspInbound::from_child(&sa).unwrap_err(),
        EspError::Crypto(CryptoError::AeadWithIntegrity)
    );

    let cbc = EspSuite {
        encryption: Encryption::AesCbc { key_bits: 128 },
        integrity: None,
        esn: false,
    };
    let mut sa = child(cbc, 8);
    sa.keys.integ_r = SecretBytes::default();
    assert_eq!(
        EspInbound::from_child(&sa).unwrap_err(),
        EspError::Crypto(CryptoError::MissingIntegrity)
    );

    let cbc = EspSuite {
        integrity: Some(Integrity::HmacSha256_128),
        ..cbc
    };
    let mut sa = child(cbc, 8);
    sa.keys.integ_r = SecretBytes::new(vec![0; 20]);
    assert!(matches!(
        EspInbound::from_child(&sa).unwrap_err(),
        EspError::Crypto(CryptoError::InvalidKeyLength {
            expected: 32,
            actual: 20,
            ..
        })
    ));
}

/// The hot path reuses the caller's buffers: once they have grown, their
/// storage never moves.
#[test]
fn buffers_are_reused() {
    for suite in all_suites() {
        let (mut out, mut inbound, _) = downlink(suite, 9);
        let inner = inner_from_sc(IpFamily::V4, 1400);
        let mut wire = Vec::new();
        let mut plain = Vec::new();
        out.seal(&inner, &mut wire).unwrap();
        inbound.open(&wire, None, &mut plain).unwrap();
        let (wire_ptr, wire_cap) = (wire.as_ptr(), wire.capacity());
        let (plain_ptr, plain_cap) = (plain.as_ptr(), plain.capacity());
        for size in [0, 64, 1400, 512, 1] {
            let inner = inner_from_sc(IpFamily::V4, size);
            out.seal(&inner, &mut wire).unwrap();
            inbound.open(&wire, None, &mut plain).unwrap();
            assert_eq!((wire.as_ptr(), wire.capacity()), (wire_ptr, wire_cap));
            assert_eq!((plain.as_ptr(), plain.capacity()), (plain_ptr, plain_cap));
        }
    }
}

#[test]
fn packets_sealed_back_to_back_open_one_by_one() {
    for (n, suite) in all_suites().into_iter().enumerate() {
        let ours = child(suite, n as u64);
        let theirs = peer_view(&ours);
        let mut our_out = EspOutbound::from_child(&ours).unwrap();
        let mut their_in = EspInbound::from_child(&theirs).unwrap();
        let mut batch = vec![0xEE; 3]; // what was there before is kept
        let mut lengths = Vec::new();
        let inners: Vec<Vec<u8>> = SIZES
            .iter()
            .map(|&size| inner_to_sc(IpFamily::V4, size))
            .collect();
        for inner in &inners {
            let len = our_out.seal_append(inner, &mut batch).unwrap();
            assert_eq!(len, our_out.sealed_len(inner.len()), "{suite:?}");
            lengths.push(len);
        }
        // Not an IP packet: refused, and the batch is left as it was.
        let before = batch.clone();
        assert!(our_out.seal_append(&[0x10; 40], &mut batch).is_err());
        assert_eq!(batch, before);

        assert_eq!(batch[..3], [0xEE; 3]);
        let mut at = 3;
        let mut plain = Vec::new();
        for (inner, len) in inners.iter().zip(lengths) {
            their_in
                .open(&batch[at..at + len], None, &mut plain)
                .unwrap();
            assert_eq!(&plain, inner, "{suite:?}");
            at += len;
        }
        assert_eq!(at, batch.len());
    }
}
