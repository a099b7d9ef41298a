//! Fixed TEST keys and SAs for running Softwire's ESP data path against
//! itself (`lab-esp-pair`, `lab-esp-forge`, tests/pair/pair.sh). Never
//! used outside the lab.

use std::net::IpAddr;

use softwire_core::crypto::{ChildSaKeys, Encryption, Integrity, SecretBytes};
use softwire_core::ike::child::{ChildSa, EspSuite};
use softwire_core::ike::payload::AddressRange;

/// SPIs of the two directions: A receives on SPI_A, B on SPI_B.
pub const SPI_A: u32 = 0x5157_0a01;
/// See [`SPI_A`].
pub const SPI_B: u32 = 0x5157_0b01;

/// The fixed TEST key of one direction: `direction` 0 is A to B, 1 is B to A.
/// Never used outside the lab.
pub fn test_key(direction: u8, len: usize) -> SecretBytes {
    SecretBytes::new(
        (0..len)
            .map(|i| {
                u8::try_from(i % 256)
                    .unwrap_or(0)
                    .wrapping_mul(7)
                    .wrapping_add(direction.wrapping_mul(101))
            })
            .collect(),
    )
}

pub fn suite(name: &str) -> Result<EspSuite, String> {
    Ok(match name {
        "gcm128" => EspSuite {
            encryption: Encryption::AesGcm16 { key_bits: 128 },
            integrity: None,
            esn: true,
        },
        "gcm256" => EspSuite {
            encryption: Encryption::AesGcm16 { key_bits: 256 },
            integrity: None,
            esn: true,
        },
        "chacha" => EspSuite {
            encryption: Encryption::ChaCha20Poly1305,
            integrity: None,
            esn: true,
        },
        "cbc" => EspSuite {
            encryption: Encryption::AesCbc { key_bits: 128 },
            integrity: Some(Integrity::HmacSha256_128),
            esn: true,
        },
        other => return Err(format!("unknown suite {other}")),
    })
}

/// The CHILD_SA of one side, as IKE would have made it.
pub fn child(role_a: bool, suite: EspSuite, inner: IpAddr, peer_inner: IpAddr) -> ChildSa {
    let encr_len = suite.encryption.keymat_len();
    let integ_len = suite.integrity.map_or(0, |i| i.key_len());
    // "i" keys protect what this side sends.
    let (send, receive) = if role_a { (0, 1) } else { (1, 0) };
    ChildSa {
        spi_in: if role_a { SPI_A } else { SPI_B },
        spi_out: if role_a { SPI_B } else { SPI_A },
        suite,
        keys: ChildSaKeys {
            encr_i: test_key(send, encr_len),
            integ_i: test_key(send + 10, integ_len),
            encr_r: test_key(receive, encr_len),
            integ_r: test_key(receive + 10, integ_len),
        },
        local_ts: vec![AddressRange::any(inner, inner)],
        remote_ts: vec![AddressRange::any(peer_inner, peer_inner)],
    }
}
