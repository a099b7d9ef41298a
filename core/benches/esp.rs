//! ESP seal/open throughput next to the bare cipher on the same sizes.
//!
//! `cargo bench -p softwire-core --bench esp` prints, per suite and inner
//! packet size, the throughput of:
//!
//! - `bare seal`: the cipher alone on as many octets as ESP encrypts for
//!   the packet (packet, padding, trailer): ring's
//!   `seal_in_place_separate_tag` for the AEADs, AES-CBC (RustCrypto) plus
//!   HMAC (ring) for AES-CBC with HMAC-SHA2-256-128, keys prepared once;
//! - `esp seal`: [`EspOutbound::seal`], everything included (copy into the
//!   output buffer, header, padding, IV, sequence number);
//! - `bare open`: verification and in-place decryption of pre-sealed
//!   buffers (restored between rounds, untimed);
//! - `esp open`: [`EspInbound::open`] with the replay window, trailer,
//!   inner header and traffic-selector checks, which copies the ciphertext
//!   into its output buffer (ring decrypts in place only);
//! - `esp open/place`: [`EspInbound::open_in_place`], the same without the
//!   copy.
//!
//! It then prints ESP's overhead over the bare cipher at 1400 octets.
//! Figures only, no pass/fail: the machine may be busy. Each figure is the
//! fastest of many short batches, the bare and ESP batches interleaved.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::panic,
    clippy::large_enum_variant
)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyInit};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;
use softwire_core::crypto::{ChildSaKeys, Encryption, Integrity, SecretBytes};
use softwire_core::esp::{EspInbound, EspOutbound};
use softwire_core::ike::child::{ChildSa, EspSuite};
use softwire_core::ike::payload::AddressRange;

const SIZES: [usize; 4] = [64, 512, 1400, 8192];
/// Packets per timed batch: short enough (microseconds) that most batches
/// run without being preempted on a busy machine.
const BATCH: usize = 32;
/// Batches per figure, the four measurements interleaved; the fastest
/// batch counts.
const ROUNDS: usize = 3000;

struct Suite {
    name: &'static str,
    suite: EspSuite,
}

fn suites() -> Vec<Suite> {
    let aead = |encryption| EspSuite {
        encryption,
        integrity: None,
        esn: false,
    };
    let cbc = |key_bits| EspSuite {
        encryption: Encryption::AesCbc { key_bits },
        integrity: Some(Integrity::HmacSha256_128),
        esn: false,
    };
    vec![
        Suite {
            name: "AES-128-GCM-16",
            suite: aead(Encryption::AesGcm16 { key_bits: 128 }),
        },
        Suite {
            name: "AES-256-GCM-16",
            suite: aead(Encryption::AesGcm16 { key_bits: 256 }),
        },
        Suite {
            name: "ChaCha20-Poly1305",
            suite: aead(Encryption::ChaCha20Poly1305),
        },
        Suite {
            name: "AES-128-CBC/SHA256",
            suite: cbc(128),
        },
        Suite {
            name: "AES-256-CBC/SHA256",
            suite: cbc(256),
        },
    ]
}

fn key_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// The CHILD_SA as we see it, with distinct keys per direction.
fn child(suite: EspSuite) -> ChildSa {
    let encr = suite.encryption.keymat_len();
    let integ = suite.integrity.map_or(0, |i| i.key_len());
    ChildSa {
        spi_in: 0xc001_0001,
        spi_out: 0xd001_0001,
        suite,
        keys: ChildSaKeys {
            encr_i: SecretBytes::new(key_bytes(encr, 1)),
            integ_i: SecretBytes::new(key_bytes(integ, 2)),
            encr_r: SecretBytes::new(key_bytes(encr, 3)),
            integ_r: SecretBytes::new(key_bytes(integ, 4)),
        },
        local_ts: vec![AddressRange::any(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        )],
        remote_ts: vec![AddressRange::any_v4(), AddressRange::any_v6()],
    }
}

/// The SC's view of the same SA.
fn peer(ours: &ChildSa) -> ChildSa {
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

/// An IPv4/UDP packet of `size` octets from 192.0.2.10 to 10.0.0.2.
fn inner_packet(size: usize) -> Vec<u8> {
    let mut p = vec![0u8; size];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(size as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&[192, 0, 2, 10]);
    p[16..20].copy_from_slice(&[10, 0, 0, 2]);
    for (i, b) in p[20..].iter_mut().enumerate() {
        *b = i as u8;
    }
    p
}

/// The bare cipher, keys prepared once.
enum Bare {
    Aead(LessSafeKey),
    Cbc {
        enc: CbcEnc,
        dec: CbcDec,
        mac: hmac::Key,
    },
}

enum CbcEnc {
    A128(aes::Aes128Enc),
    A256(aes::Aes256Enc),
}

enum CbcDec {
    A128(aes::Aes128Dec),
    A256(aes::Aes256Dec),
}

fn nonce(n: u64) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[4..].copy_from_slice(&n.to_be_bytes());
    Nonce::assume_unique_for_key(bytes)
}

impl Bare {
    fn new(suite: &EspSuite) -> Self {
        match suite.encryption {
            Encryption::AesCbc { key_bits } => {
                let key = key_bytes(usize::from(key_bits) / 8, 9);
                let (enc, dec) = if key_bits == 128 {
                    (
                        CbcEnc::A128(aes::Aes128Enc::new_from_slice(&key).unwrap()),
                        CbcDec::A128(aes::Aes128Dec::new_from_slice(&key).unwrap()),
                    )
                } else {
                    (
                        CbcEnc::A256(aes::Aes256Enc::new_from_slice(&key).unwrap()),
                        CbcDec::A256(aes::Aes256Dec::new_from_slice(&key).unwrap()),
                    )
                };
                Bare::Cbc {
                    enc,
                    dec,
                    mac: hmac::Key::new(hmac::HMAC_SHA256, &key_bytes(32, 7)),
                }
            }
            encryption => {
                let algorithm = match encryption {
                    Encryption::AesGcm16 { key_bits: 128 } => &aead::AES_128_GCM,
                    Encryption::AesGcm16 { .. } => &aead::AES_256_GCM,
                    _ => &aead::CHACHA20_POLY1305,
                };
                let key = key_bytes(algorithm.key_len(), 9);
                Bare::Aead(LessSafeKey::new(UnboundKey::new(algorithm, &key).unwrap()))
            }
        }
    }

    /// The octets ESP encrypts for an inner packet of `size`: the packet,
    /// the padding and the 2-octet trailer, to 4 octets for the AEADs and
    /// whole blocks for AES-CBC (RFC 4303 §2.4).
    fn len(&self, size: usize) -> usize {
        match self {
            Bare::Aead(_) => (size + 2).next_multiple_of(4),
            Bare::Cbc { .. } => (size + 2).next_multiple_of(16),
        }
    }

    /// Encrypts `buf` in place and returns the 16-octet tag/ICV.
    fn seal(&self, n: u64, buf: &mut [u8]) -> [u8; 16] {
        let mut icv = [0u8; 16];
        match self {
            Bare::Aead(key) => {
                let tag = key
                    .seal_in_place_separate_tag(nonce(n), Aad::from(&n.to_be_bytes()), buf)
                    .unwrap();
                icv.copy_from_slice(tag.as_ref());
            }
            Bare::Cbc { enc, mac, .. } => {
                let iv = aes::Block::from([n as u8; 16]);
                let len = buf.len();
                match enc {
                    CbcEnc::A128(c) => {
                        cbc::Encryptor::<aes::Aes128Enc>::inner_iv_init(c.clone(), &iv)
                            .encrypt_padded_mut::<NoPadding>(buf, len)
                            .unwrap();
                    }
                    CbcEnc::A256(c) => {
                        cbc::Encryptor::<aes::Aes256Enc>::inner_iv_init(c.clone(), &iv)
                            .encrypt_padded_mut::<NoPadding>(buf, len)
                            .unwrap();
                    }
                }
                icv.copy_from_slice(&hmac::sign(mac, buf).as_ref()[..16]);
            }
        }
        icv
    }

    /// Verifies and decrypts `buf` in place.
    fn open(&self, n: u64, buf: &mut [u8], icv: &[u8; 16]) {
        match self {
            Bare::Aead(key) => {
                let tag = aead::Tag::from(*icv);
                key.open_in_place_separate_tag(
                    nonce(n),
                    Aad::from(&n.to_be_bytes()),
                    tag,
                    buf,
                    0..,
                )
                .unwrap();
            }
            Bare::Cbc { dec, mac, .. } => {
                let expected = hmac::sign(mac, buf);
                assert!(expected.as_ref()[..16] == icv[..]);
                let iv = aes::Block::from([n as u8; 16]);
                match dec {
                    CbcDec::A128(c) => {
                        cbc::Decryptor::<aes::Aes128Dec>::inner_iv_init(c.clone(), &iv)
                            .decrypt_padded_mut::<NoPadding>(buf)
                            .unwrap();
                    }
                    CbcDec::A256(c) => {
                        cbc::Decryptor::<aes::Aes256Dec>::inner_iv_init(c.clone(), &iv)
                            .decrypt_padded_mut::<NoPadding>(buf)
                            .unwrap();
                    }
                }
            }
        }
    }
}

struct Figures {
    bare_seal: Duration,
    esp_seal: Duration,
    bare_open: Duration,
    esp_open: Duration,
    esp_open_in_place: Duration,
}

fn measure(suite: &EspSuite, size: usize, quick: bool) -> Figures {
    let ours = child(*suite);
    let theirs = peer(&ours);
    let inner = inner_packet(size);
    let bare = Bare::new(suite);
    let mut uplink = EspOutbound::from_child(&ours).unwrap();
    let mut sc = EspOutbound::from_child(&theirs).unwrap();
    let mut downlink = EspInbound::from_child(&ours).unwrap();
    let mut sc2 = EspOutbound::from_child(&theirs).unwrap();
    let mut downlink2 = EspInbound::from_child(&ours).unwrap();

    // Bare seal: one buffer encrypted over and over.
    let mut buf = vec![0u8; bare.len(size)];
    buf[..size].copy_from_slice(&inner);
    let mut n = 0u64;
    let mut bare_seal_round = || {
        let start = Instant::now();
        for _ in 0..BATCH {
            n += 1;
            black_box(bare.seal(n, black_box(&mut buf)));
        }
        start.elapsed()
    };

    // ESP seal into a reused output buffer.
    let mut out = Vec::with_capacity(size + 128);
    let mut esp_seal_round = || {
        let start = Instant::now();
        for _ in 0..BATCH {
            uplink.seal(black_box(&inner), &mut out).unwrap();
            black_box(&out);
        }
        start.elapsed()
    };

    // Bare open: a batch of sealed buffers, opened in place (timed) and
    // sealed again (untimed).
    let mut sealed: Vec<(Vec<u8>, [u8; 16])> = (0..BATCH as u64)
        .map(|i| {
            let mut b = vec![0u8; bare.len(size)];
            b[..size].copy_from_slice(&inner);
            let icv = bare.seal(i, &mut b);
            (b, icv)
        })
        .collect();
    let mut bare_open_round = || {
        let start = Instant::now();
        for (i, (b, icv)) in sealed.iter_mut().enumerate() {
            bare.open(i as u64, black_box(b), icv);
        }
        let spent = start.elapsed();
        for (i, (b, icv)) in sealed.iter_mut().enumerate() {
            *icv = bare.seal(i as u64, b);
        }
        spent
    };

    // ESP open: a fresh batch from the SC each round (untimed), opened in
    // order into a reused buffer (timed).
    let mut packets: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(size + 128)).collect();
    let mut opened = Vec::with_capacity(size + 128);
    let mut esp_open_round = || {
        for p in packets.iter_mut() {
            sc.seal(&inner, p).unwrap();
        }
        let start = Instant::now();
        for p in &packets {
            let d = downlink.open(black_box(p), None, &mut opened).unwrap();
            black_box(d);
        }
        start.elapsed()
    };

    // ESP open in the packets' own buffers.
    let mut packets2: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(size + 128)).collect();
    let mut esp_open_in_place_round = || {
        for p in packets2.iter_mut() {
            sc2.seal(&inner, p).unwrap();
        }
        let start = Instant::now();
        for p in packets2.iter_mut() {
            let d = downlink2.open_in_place(black_box(p), None).unwrap();
            black_box(d);
        }
        start.elapsed()
    };

    // Interleave the five so that they see the same machine, and keep
    // each one's fastest batch.
    let mut f = Figures {
        bare_seal: Duration::MAX,
        esp_seal: Duration::MAX,
        bare_open: Duration::MAX,
        esp_open: Duration::MAX,
        esp_open_in_place: Duration::MAX,
    };
    let rounds = if quick { 10 } else { ROUNDS };
    for _ in 0..rounds {
        f.bare_seal = f.bare_seal.min(bare_seal_round());
        f.esp_seal = f.esp_seal.min(esp_seal_round());
        f.bare_open = f.bare_open.min(bare_open_round());
        f.esp_open = f.esp_open.min(esp_open_round());
        f.esp_open_in_place = f.esp_open_in_place.min(esp_open_in_place_round());
    }
    let per_packet = |d: Duration| d / BATCH as u32;
    f.bare_seal = per_packet(f.bare_seal);
    f.esp_seal = per_packet(f.esp_seal);
    f.bare_open = per_packet(f.bare_open);
    f.esp_open = per_packet(f.esp_open);
    f.esp_open_in_place = per_packet(f.esp_open_in_place);
    assert_eq!(downlink.counters().total_drops(), 0);
    assert_eq!(downlink2.counters().total_drops(), 0);
    f
}

fn mbps(size: usize, per_packet: Duration) -> f64 {
    size as f64 / per_packet.as_secs_f64() / 1e6
}

fn overhead(bare: Duration, esp: Duration) -> f64 {
    (esp.as_secs_f64() / bare.as_secs_f64() - 1.0) * 100.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not and
    // only wants to know that this builds and runs.
    let quick = !std::env::args().any(|a| a == "--bench");
    // ESP_BENCH_FILTER="AES-128-GCM-16 1400" runs only what matches.
    let filter = std::env::var("ESP_BENCH_FILTER").ok();
    println!("ESP seal/open vs. the bare cipher (fastest batch; MB/s of inner packet octets, ns per packet)");
    println!(
        "{:<19} {:>5}  {:>16} {:>16} {:>16} {:>16} {:>16}",
        "suite", "size", "bare seal", "esp seal", "bare open", "esp open", "esp open/place"
    );
    let mut summary = Vec::new();
    for s in suites() {
        for size in SIZES {
            if quick && size != 64 {
                continue;
            }
            let label = format!("{} {size}", s.name);
            if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
                continue;
            }
            let f = measure(&s.suite, size, quick);
            let cell = |d: Duration| format!("{:>7.0} ({:>5})", mbps(size, d), d.as_nanos());
            println!(
                "{:<19} {:>5}  {:>16} {:>16} {:>16} {:>16} {:>16}",
                s.name,
                size,
                cell(f.bare_seal),
                cell(f.esp_seal),
                cell(f.bare_open),
                cell(f.esp_open),
                cell(f.esp_open_in_place)
            );
            if size == 1400 {
                summary.push((s.name, f));
            }
        }
    }
    if summary.is_empty() {
        return;
    }
    println!();
    println!("ESP overhead over the bare cipher at 1400 octets (target: within 15 %)");
    println!(
        "{:<19} {:>8} {:>8} {:>11} {:>12} {:>12} {:>12}",
        "suite", "seal", "open", "open/place", "esp seal", "esp open", "open/place"
    );
    for (name, f) in summary {
        let gbps = |d: Duration| format!("{:.2} Gb/s", mbps(1400, d) * 8.0 / 1000.0);
        println!(
            "{:<19} {:>7.1}% {:>7.1}% {:>10.1}% {:>12} {:>12} {:>12}",
            name,
            overhead(f.bare_seal, f.esp_seal),
            overhead(f.bare_open, f.esp_open),
            overhead(f.bare_open, f.esp_open_in_place),
            gbps(f.esp_seal),
            gbps(f.esp_open),
            gbps(f.esp_open_in_place),
        );
    }
}
