//! The 2048-bit MODP group (RFC 3526 §3, IANA group 14) over `crypto-bigint`.
//!
//! Exponentiation is constant time in the exponent's value
//! (`DynResidue::pow_bounded_exp` with a fixed bit bound).

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, U2048};
use zeroize::Zeroizing;

use super::{CryptoError, DhGroup, SecretBytes};

/// Byte length of the modulus, of public values and of the shared secret
/// (RFC 7296 §3.4: zero-padded to the length of the modulus).
pub(crate) const MODP_2048_LEN: usize = 256;

/// The prime of the 2048-bit MODP group, 2^2048 - 2^1984 - 1 + 2^64 *
/// { [2^1918 pi] + 124476 } (RFC 3526 §3). The generator is 2.
pub(crate) const MODP_2048_P: U2048 = U2048::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF",
));

/// The generator of the group (RFC 3526 §3).
pub(crate) const MODP_2048_G: U2048 = U2048::from_u8(2);

/// Length of the private exponents we generate, in bytes. RFC 3526 §8
/// estimates the group's strength at 110-160 bits and recommends an exponent
/// of at least twice that; 512 bits leaves a wide margin.
pub(crate) const MODP_2048_EXPONENT_LEN: usize = 64;

/// A private exponent with the number of bits that the exponentiation
/// processes (public: it only depends on the exponent's byte length).
pub(crate) struct ModpPrivate {
    exponent: Zeroizing<U2048>,
    bits: usize,
}

impl ModpPrivate {
    /// Builds a private exponent from big-endian bytes (1 to 256 bytes,
    /// not zero).
    pub(crate) fn from_be_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let invalid = CryptoError::InvalidPrivateKey(DhGroup::Modp2048);
        if bytes.is_empty() || bytes.iter().all(|&b| b == 0) {
            return Err(invalid);
        }
        let exponent = Zeroizing::new(uint_from_be_padded(bytes).ok_or(invalid)?);
        let bits = bytes.len().checked_mul(8).ok_or(CryptoError::Internal)?;
        Ok(Self { exponent, bits })
    }

    /// `g^x mod p` as a 256-byte big-endian value (RFC 7296 §3.4).
    pub(crate) fn public_value(&self) -> Vec<u8> {
        let g = DynResidue::new(&MODP_2048_G, params());
        g.pow_bounded_exp(&self.exponent, self.bits)
            .retrieve()
            .to_be_bytes()
            .to_vec()
    }

    /// `y^x mod p` for the peer's public value `y`, after checking that
    /// `1 < y < p-1` (RFC 6989 §2.1, required by RFC 7296 §2.12). The result is 256 bytes, zero-padded (RFC 7296 §2.14).
    pub(crate) fn agree(&self, peer: &[u8]) -> Result<SecretBytes, CryptoError> {
        if peer.len() != MODP_2048_LEN {
            return Err(CryptoError::InvalidPublicKeyLength {
                group: DhGroup::Modp2048,
                expected: MODP_2048_LEN,
                actual: peer.len(),
            });
        }
        let y = uint_from_be_padded(peer).ok_or(CryptoError::Internal)?;
        if !is_valid_public_value(&y) {
            return Err(CryptoError::InvalidPublicKey(DhGroup::Modp2048));
        }
        let base = Zeroizing::new(DynResidue::new(&y, params()));
        let shared = Zeroizing::new(base.pow_bounded_exp(&self.exponent, self.bits).retrieve());
        let bytes = Zeroizing::new(shared.to_be_bytes());
        Ok(SecretBytes::from_slice(bytes.as_slice()))
    }
}

/// `1 < y < p-1` (RFC 6989 §2.1): excludes 0, 1, p-1 (the elements of order
/// 1 and 2, which would force the shared secret into a tiny set) and every
/// value that is not reduced modulo p.
pub(crate) fn is_valid_public_value(y: &U2048) -> bool {
    let p_minus_1 = MODP_2048_P.wrapping_sub(&U2048::ONE);
    *y > U2048::ONE && *y < p_minus_1
}

fn params() -> DynResidueParams<{ U2048::LIMBS }> {
    DynResidueParams::new(&MODP_2048_P)
}

/// Big-endian bytes (at most 256) to a `U2048`, left-padding with zeros.
fn uint_from_be_padded(bytes: &[u8]) -> Option<U2048> {
    let mut buf = Zeroizing::new([0u8; MODP_2048_LEN]);
    let offset = MODP_2048_LEN.checked_sub(bytes.len())?;
    buf.get_mut(offset..)?.copy_from_slice(bytes);
    Some(U2048::from_be_bytes(*buf))
}
