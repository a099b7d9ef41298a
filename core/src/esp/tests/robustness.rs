//! Tampering, truncation and random input: every one is dropped with a
//! reason, none panics, and the SA stays usable.

use super::*;
use crate::esp::{Drop, EspCounters};

/// One sealed packet and two inbound SAs for it (see [`open_both`]).
fn sealed_sample(suite: EspSuite, seed: u64) -> (EspInbound, EspInbound, Vec<u8>, Vec<u8>) {
    let (mut out, inbound, ours) = downlink(suite, seed);
    let inner = ipv4_packet(THEIR_V4, OUR_V4, 17, 45);
    let mut wire = Vec::new();
    out.seal(&inner, &mut wire).unwrap();
    (inbound, EspInbound::from_child(&ours).unwrap(), wire, inner)
}

#[test]
fn every_single_bit_flip_is_rejected() {
    for (n, suite) in all_suites().into_iter().enumerate() {
        let (mut inbound, mut in_place, wire, inner) = sealed_sample(suite, 100 + n as u64);
        for bit in 0..wire.len() * 8 {
            let mut tampered = wire.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            let verdict = open_both(&mut inbound, &mut in_place, &tampered, None).map(|_| ());
            let expected = match bit / 8 {
                0..=3 => Drop::UnknownSpi,
                _ => Drop::IntegrityFailed,
            };
            // A flip in the sequence number can also land on 0, or, with
            // ESN, just before the window; both are refused before the ICV.
            assert!(
                verdict == Err(expected) || verdict == Err(Drop::TooOld),
                "{suite:?} bit {bit}: {verdict:?}"
            );
        }
        // Nothing moved the window: the genuine packet still opens.
        let (_, plain) = open_both(&mut inbound, &mut in_place, &wire, None).unwrap();
        assert_eq!(plain, inner);
        let c = inbound.counters();
        assert_eq!(c.total_drops(), wire.len() as u64 * 8);
        assert_eq!(c.unknown_spi, 32);
    }
}

#[test]
fn every_truncation_and_extension_is_rejected() {
    for (n, suite) in all_suites().into_iter().enumerate() {
        let (mut inbound, mut in_place, wire, _) = sealed_sample(suite, 200 + n as u64);
        for len in 0..wire.len() {
            let verdict = open_both(&mut inbound, &mut in_place, &wire[..len], None).map(|_| ());
            assert!(
                matches!(
                    verdict,
                    Err(Drop::Truncated
                        | Drop::IntegrityFailed
                        | Drop::BadLength
                        | Drop::UnknownSpi)
                ),
                "{suite:?} length {len}: {verdict:?}"
            );
        }
        for extra in 1..40 {
            let mut longer = wire.clone();
            longer.extend(std::iter::repeat_n(0u8, extra));
            assert!(open_both(&mut inbound, &mut in_place, &longer, None).is_err());
        }
        open_both(&mut inbound, &mut in_place, &wire, None).unwrap();
    }
}

/// A few thousand random inputs per suite: pure noise, noise behind our
/// SPI, and genuine packets with random octets changed. Then packets with
/// a valid ICV around random plaintexts, to reach the trailer, inner
/// header, selector (with a port-narrowing selector) and ECN code.
#[test]
fn random_input_never_panics() {
    let mut rng = Rng::new(7);
    for (n, suite) in all_suites().into_iter().enumerate() {
        let (mut inbound, mut in_place, wire, _) = sealed_sample(suite, 300 + n as u64);
        let spi = wire[..4].to_vec();
        for i in 0..3000 {
            let mut input = match i % 3 {
                0 => rng.noise(200),
                1 => {
                    let mut v = spi.clone();
                    v.extend(rng.noise(200));
                    v
                }
                _ => {
                    let mut v = wire.clone();
                    for _ in 0..1 + rng.below(4) {
                        let at = rng.below(v.len());
                        v[at] = rng.next_u64() as u8;
                    }
                    v
                }
            };
            if input == wire {
                input.push(0);
            }
            let ecn = (rng.below(2) == 0).then(|| rng.next_u64() as u8);
            assert!(open_both(&mut inbound, &mut in_place, &input, ecn).is_err());
        }

        let mut ours = child(suite, 400 + n as u64);
        ours.remote_ts.push(AddressRange {
            ip_protocol: 17,
            start_port: 53,
            end_port: 53,
            start: IpAddr::V4(THEIR_V4),
            end: IpAddr::V4(THEIR_V4),
        });
        ours.remote_ts.swap(0, 2);
        ours.local_ts.push(AddressRange {
            ip_protocol: 6,
            start_port: 1,
            end_port: 100,
            start: IpAddr::V6(OUR_V6),
            end: IpAddr::V6(OUR_V6),
        });
        let mut inbound = EspInbound::from_child(&ours).unwrap();
        let mut in_place = EspInbound::from_child(&ours).unwrap();
        let mut delivered = 0;
        for seq in 1..=3000u64 {
            let mut payload = match rng.below(3) {
                0 => ipv4_packet(
                    THEIR_V4,
                    OUR_V4,
                    [1, 6, 17, 58][rng.below(4)],
                    rng.below(60),
                ),
                1 => ipv6_packet(
                    THEIR_V6,
                    OUR_V6,
                    [0, 6, 17, 44, 60][rng.below(5)],
                    rng.below(60),
                ),
                _ => rng.noise(80),
            };
            for _ in 0..rng.below(4) {
                if !payload.is_empty() {
                    let at = rng.below(payload.len());
                    payload[at] = rng.next_u64() as u8;
                }
            }
            let next_header = [4, 41, 59, 17, rng.next_u64() as u8][rng.below(5)];
            let mut plaintext = with_trailer(&suite, &payload, next_header);
            if rng.below(4) == 0 {
                let at = rng.below(plaintext.len());
                plaintext[at] = rng.next_u64() as u8;
                if !suite.encryption.is_aead() {
                    plaintext.truncate(plaintext.len() / 16 * 16);
                }
            }
            if plaintext.is_empty() {
                continue;
            }
            let wire = peer_raw_packet(&ours, seq, &plaintext);
            let ecn = (rng.below(2) == 0).then(|| rng.next_u64() as u8);
            if open_both(&mut inbound, &mut in_place, &wire, ecn).is_ok() {
                delivered += 1;
            }
        }
        assert!(delivered > 100, "{suite:?}: {delivered}");
        assert_eq!(inbound.counters().packets_in, delivered);
        assert_eq!(inbound.counters(), in_place.counters());
    }
}

/// Each drop reason is counted under its own name.
#[test]
fn counters_per_reason() {
    let mut c = EspCounters::default();
    for (i, reason) in Drop::ALL.into_iter().enumerate() {
        for _ in 0..=i {
            c.record(reason);
        }
    }
    for (i, reason) in Drop::ALL.into_iter().enumerate() {
        assert_eq!(c.drops(reason), i as u64 + 1, "{reason:?}");
    }
    assert_eq!(c.total_drops(), (1..=13).sum::<u64>());
    let mut total = EspCounters::default();
    total.add(&c);
    total.add(&c);
    assert_eq!(total.drops(Drop::EcnDrop), 26);
    let text = c.to_string();
    assert_eq!(text.lines().count(), 4 + Drop::ALL.len());
    assert!(text.contains("spoofed-source: 11"), "{text}");
    assert!(text.contains("packets-in: 0"), "{text}");
    let mut names: Vec<_> = Drop::ALL.iter().map(|r| r.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Drop::ALL.len());
}
