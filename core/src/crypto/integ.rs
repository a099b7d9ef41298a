//! Integrity transforms: truncated HMAC-SHA2 (RFC 4868).

use ring::hmac;
use subtle::ConstantTimeEq;

use super::CryptoError;

/// IANA "Transform Type 3 - Integrity Algorithm Transform IDs" that this
/// implementation supports (RFC 4868 §2.2, RFC 7296 §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// AUTH_HMAC_SHA2_256_128 (ID 12).
    HmacSha256_128,
    /// AUTH_HMAC_SHA2_384_192 (ID 13).
    HmacSha384_192,
    /// AUTH_HMAC_SHA2_512_256 (ID 14).
    HmacSha512_256,
}

impl Integrity {
    /// The algorithm's name for people (RFC 4868).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::HmacSha256_128 => "HMAC-SHA2-256-128",
            Self::HmacSha384_192 => "HMAC-SHA2-384-192",
            Self::HmacSha512_256 => "HMAC-SHA2-512-256",
        }
    }

    /// Maps an IANA Transform Type 3 ID to an integrity algorithm; `None` for
    /// IDs this implementation does not support.
    pub const fn from_iana(id: u16) -> Option<Self> {
        match id {
            12 => Some(Self::HmacSha256_128),
            13 => Some(Self::HmacSha384_192),
            14 => Some(Self::HmacSha512_256),
            _ => None,
        }
    }

    /// The IANA Transform Type 3 ID.
    pub const fn iana_id(&self) -> u16 {
        match self {
            Self::HmacSha256_128 => 12,
            Self::HmacSha384_192 => 13,
            Self::HmacSha512_256 => 14,
        }
    }

    /// Key length in bytes: the full hash length (RFC 4868 §2.1.1), which is
    /// the length of SK_ai/SK_ar.
    pub const fn key_len(&self) -> usize {
        match self {
            Self::HmacSha256_128 => 32,
            Self::HmacSha384_192 => 48,
            Self::HmacSha512_256 => 64,
        }
    }

    /// Length of the truncated ICV in bytes (RFC 4868 §2.1.1: half the hash
    /// length).
    pub const fn icv_len(&self) -> usize {
        match self {
            Self::HmacSha256_128 => 16,
            Self::HmacSha384_192 => 24,
            Self::HmacSha512_256 => 32,
        }
    }

    fn hmac_algorithm(&self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256_128 => hmac::HMAC_SHA256,
            Self::HmacSha384_192 => hmac::HMAC_SHA384,
            Self::HmacSha512_256 => hmac::HMAC_SHA512,
        }
    }

    /// The truncated ICV over `part_0 | part_1 | ...` (RFC 4868 §2.1.1,
    /// RFC 2104 §5: the leftmost `icv_len` bytes of the HMAC).
    ///
    /// HMAC accepts a key of any length (RFC 2104 §3); IKE always uses
    /// [`Integrity::key_len`] bytes (RFC 4868 §2.1.1), which
    /// [`super::SkCipher::new`] enforces.
    pub fn compute(&self, key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, CryptoError> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        let mut ctx = hmac::Context::with_key(&key);
        for part in parts {
            ctx.update(part);
        }
        let tag = ctx.sign();
        tag.as_ref()
            .get(..self.icv_len())
            .map(<[u8]>::to_vec)
            .ok_or(CryptoError::Internal)
    }

    /// Verifies a truncated ICV over `part_0 | part_1 | ...` in constant
    /// time. A wrong-length `icv` fails like a wrong value.
    pub fn verify(&self, key: &[u8], parts: &[&[u8]], icv: &[u8]) -> Result<(), CryptoError> {
        let expected = self.compute(key, parts)?;
        if bool::from(expected.as_slice().ct_eq(icv)) {
            Ok(())
        } else {
            Err(CryptoError::IntegrityCheckFailed)
        }
    }
}
