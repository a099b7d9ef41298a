//! Tests of the ESP data path.
//!
//! Known-answer vectors are copied from the published documents named next
//! to them (`kat`); everything else builds packets with the code under test
//! (or, for malformed ones, with the transform layer directly) and checks
//! the other side's verdict.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::crypto::{ChildSaKeys, Encryption, Integrity, SecretBytes};
use crate::esp::cipher::SealKey;
use crate::esp::{Decapsulated, Drop, EspInbound, EspOutbound};
use crate::ike::child::{ChildSa, EspSuite};
use crate::ike::payload::AddressRange;

mod inner;
mod kat;
mod misc;
mod replay;
mod robustness;
mod roundtrip;

/// Decodes hex, ignoring whitespace (vectors keep their published
/// grouping).
pub(super) fn h(s: &str) -> Vec<u8> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(compact).unwrap()
}

/// A small deterministic generator for test data (not for keys).
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub(super) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// Up to `max - 1` random octets.
    pub(super) fn noise(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }
}

/// Every suite the data path supports, without and with ESN.
pub(super) fn all_suites() -> Vec<EspSuite> {
    let mut suites = Vec::new();
    for esn in [false, true] {
        for (encryption, integrity) in [
            (Encryption::AesGcm16 { key_bits: 128 }, None),
            (Encryption::AesGcm16 { key_bits: 256 }, None),
            (Encryption::ChaCha20Poly1305, None),
            (
                Encryption::AesCbc { key_bits: 128 },
                Some(Integrity::HmacSha256_128),
            ),
            (
                Encryption::AesCbc { key_bits: 256 },
                Some(Integrity::HmacSha256_128),
            ),
            (
                Encryption::AesCbc { key_bits: 192 },
                Some(Integrity::HmacSha384_192),
            ),
            (
                Encryption::AesCbc { key_bits: 256 },
                Some(Integrity::HmacSha512_256),
            ),
        ] {
            suites.push(EspSuite {
                encryption,
                integrity,
                esn,
            });
        }
    }
    suites
}

/// Our inner addresses.
pub(super) const OUR_V4: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
pub(super) const OUR_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);
/// A host behind the SC.
pub(super) const THEIR_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
pub(super) const THEIR_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 10);

pub(super) fn single(addr: IpAddr) -> AddressRange {
    AddressRange::any(addr, addr)
}

/// A CHILD_SA as we see it: our inner addresses only on our side,
/// everything on the SC's; distinct keys per direction.
pub(super) fn child(suite: EspSuite, seed: u64) -> ChildSa {
    let mut rng = Rng::new(seed);
    let encr_len = suite.encryption.keymat_len();
    let integ_len = suite.integrity.map_or(0, |i| i.key_len());
    ChildSa {
        spi_in: 0xc000_0000 | (rng.next_u64() as u32 & 0xffff),
        spi_out: 0xd000_0000 | (rng.next_u64() as u32 & 0xffff),
        suite,
        keys: ChildSaKeys {
            encr_i: SecretBytes::new(rng.bytes(encr_len)),
            integ_i: SecretBytes::new(rng.bytes(integ_len)),
            encr_r: SecretBytes::new(rng.bytes(encr_len)),
            integ_r: SecretBytes::new(rng.bytes(integ_len)),
        },
        local_ts: vec![single(IpAddr::V4(OUR_V4)), single(IpAddr::V6(OUR_V6))],
        remote_ts: vec![AddressRange::any_v4(), AddressRange::any_v6()],
    }
}

/// The same CHILD_SA as the SC sees it: SPIs, key directions and traffic
/// selectors swapped.
pub(super) fn peer_view(ours: &ChildSa) -> ChildSa {
    ChildSa {
        spi_in: ours.spi_out,
        spi_out: ours.spi_in,
        suite: ours.suite,
        keys: ChildSaKeys {
            encr_i: ours.keys.encr_r.clone(),
            integ_i: ours.keys.integ_r.clone(),
            encr_r: ours.keys.encr_i.clone(),
            integ_r: ours.keys.integ_i.clone(),
        },
        local_ts: ours.remote_ts.clone(),
        remote_ts: ours.local_ts.clone(),
    }
}

/// Our inbound SA and the SC's outbound one, which feeds it.
pub(super) fn downlink(suite: EspSuite, seed: u64) -> (EspOutbound, EspInbound, ChildSa) {
    let ours = child(suite, seed);
    let theirs = peer_view(&ours);
    (
        EspOutbound::from_child(&theirs).unwrap(),
        EspInbound::from_child(&ours).unwrap(),
        ours,
    )
}

/// The SC's transform, to build packets the SC's [`EspOutbound`] never
/// would (malformed trailers and inner packets) but with a valid ICV.
pub(super) fn peer_raw_packet(ours: &ChildSa, seq: u64, plaintext: &[u8]) -> Vec<u8> {
    let key = SealKey::new(
        &ours.suite,
        ours.keys.encr_r.as_bytes(),
        ours.keys.integ_r.as_bytes(),
    )
    .unwrap();
    let iv = vec![0x5a; crate::esp::cipher::iv_len(ours.suite.encryption)];
    let mut out = Vec::new();
    key.seal_raw(&mut out, ours.spi_in, seq, ours.suite.esn, &iv, plaintext)
        .unwrap();
    out
}

/// Opens `wire` with `copying` ([`EspInbound::open`]) and `in_place`
/// ([`EspInbound::open_in_place`]), two SAs in the same state, checks that
/// they agree and returns the verdict with the inner packet.
pub(super) fn open_both(
    copying: &mut EspInbound,
    in_place: &mut EspInbound,
    wire: &[u8],
    outer_ecn: Option<u8>,
) -> Result<(Decapsulated, Vec<u8>), Drop> {
    let mut plain = vec![0xee; 3];
    let a = copying.open(wire, outer_ecn, &mut plain);
    let mut buffer = wire.to_vec();
    let b = in_place.open_in_place(&mut buffer, outer_ecn);
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(plain, buffer[b.range.clone()]);
            assert_eq!((a.family, a.seq, a.len()), (b.family, b.seq, b.len()));
            assert_eq!(a.range, 0..plain.len());
            Ok((a, plain))
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            assert!(plain.is_empty());
            Err(a)
        }
        (a, b) => panic!("open: {a:?}, open_in_place: {b:?}"),
    }
}

/// `payload | 1, 2, ... | pad length | next header`, aligned for the suite.
pub(super) fn with_trailer(suite: &EspSuite, payload: &[u8], next_header: u8) -> Vec<u8> {
    let align = crate::esp::cipher::alignment(suite.encryption);
    let mut plain = payload.to_vec();
    let mut pad = 0u8;
    while !(plain.len() + 2).is_multiple_of(align) {
        pad += 1;
        plain.push(pad);
    }
    plain.extend_from_slice(&[pad, next_header]);
    plain
}

/// An IPv4 packet with a valid header checksum and `payload_len` octets of
/// upper-layer data after an 8-octet UDP-like header (ports 1000 -> 2000)
/// when `protocol` is TCP/UDP, plain filler otherwise.
pub(super) fn ipv4_packet(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    payload_len: usize,
) -> Vec<u8> {
    let total = 20 + payload_len;
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    p[8] = 64;
    p[9] = protocol;
    p[12..16].copy_from_slice(&src.octets());
    p[16..20].copy_from_slice(&dst.octets());
    for (i, b) in p[20..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if matches!(protocol, 6 | 17) && payload_len >= 4 {
        p[20..22].copy_from_slice(&1000u16.to_be_bytes());
        p[22..24].copy_from_slice(&2000u16.to_be_bytes());
    }
    let checksum = crate::esp::ecn::ipv4_header_checksum(&p[..20]);
    p[10..12].copy_from_slice(&checksum.to_be_bytes());
    p
}

/// An IPv6 packet with `payload_len` octets after the fixed header, laid
/// out like [`ipv4_packet`]'s.
pub(super) fn ipv6_packet(src: Ipv6Addr, dst: Ipv6Addr, next: u8, payload_len: usize) -> Vec<u8> {
    let mut p = vec![0u8; 40 + payload_len];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&(payload_len as u16).to_be_bytes());
    p[6] = next;
    p[7] = 64;
    p[8..24].copy_from_slice(&src.octets());
    p[24..40].copy_from_slice(&dst.octets());
    for (i, b) in p[40..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if matches!(next, 6 | 17) && payload_len >= 4 {
        p[40..42].copy_from_slice(&1000u16.to_be_bytes());
        p[42..44].copy_from_slice(&2000u16.to_be_bytes());
    }
    p
}
