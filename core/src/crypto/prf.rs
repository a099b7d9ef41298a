//! Pseudorandom functions and prf+ (RFC 7296 §2.13, RFC 4868).

use ring::hmac;
use zeroize::Zeroizing;

use super::{CryptoError, SecretBytes};

/// IANA "Transform Type 2 - Pseudorandom Function Transform IDs" that this
/// implementation supports (RFC 4868 §2.1, RFC 7296 §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prf {
    /// PRF_HMAC_SHA2_256 (ID 5).
    HmacSha256,
    /// PRF_HMAC_SHA2_384 (ID 6).
    HmacSha384,
    /// PRF_HMAC_SHA2_512 (ID 7).
    HmacSha512,
}

/// prf+ counts its blocks in a single octet, so it is only defined for up to
/// 255 blocks (RFC 7296 §2.13).
const PRF_PLUS_MAX_BLOCKS: usize = 255;

impl Prf {
    /// Maps an IANA Transform Type 2 ID to a PRF; `None` for IDs this
    /// implementation does not support.
    pub const fn from_iana(id: u16) -> Option<Self> {
        match id {
            5 => Some(Self::HmacSha256),
            6 => Some(Self::HmacSha384),
            7 => Some(Self::HmacSha512),
            _ => None,
        }
    }

    /// The IANA Transform Type 2 ID.
    pub const fn iana_id(&self) -> u16 {
        match self {
            Self::HmacSha256 => 5,
            Self::HmacSha384 => 6,
            Self::HmacSha512 => 7,
        }
    }

    /// Output length in bytes (the hash length, RFC 4868 §2.1.1).
    pub const fn output_len(&self) -> usize {
        match self {
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }

    /// The PRF's preferred key length in bytes, which is the length of SK_d,
    /// SK_pi and SK_pr (RFC 7296 §2.14; RFC 4868 §2.1.2: the output length).
    pub const fn key_len(&self) -> usize {
        self.output_len()
    }

    pub(crate) fn hmac_algorithm(&self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }

    /// `prf(key, data)` (RFC 7296 §2.13): HMAC over `data` with `key`.
    ///
    /// HMAC takes keys of any length (RFC 2104 §3), so this never fails. It
    /// is also the building block of the AUTH payload computation
    /// (RFC 7296 §2.15).
    pub fn compute(&self, key: &[u8], data: &[u8]) -> SecretBytes {
        self.compute_parts(key, &[data])
    }

    /// `prf(key, part_0 | part_1 | ...)` without concatenating the parts in
    /// a temporary buffer.
    pub fn compute_parts(&self, key: &[u8], parts: &[&[u8]]) -> SecretBytes {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        let mut ctx = hmac::Context::with_key(&key);
        for part in parts {
            ctx.update(part);
        }
        SecretBytes::from_slice(ctx.sign().as_ref())
    }

    /// `prf+(key, seed)` truncated to `len` bytes (RFC 7296 §2.13):
    ///
    /// ```text
    /// prf+ (K,S) = T1 | T2 | T3 | T4 | ...
    /// T1 = prf (K, S | 0x01)
    /// T2 = prf (K, T1 | S | 0x02)
    /// T3 = prf (K, T2 | S | 0x03)
    /// ```
    ///
    /// Fails with [`CryptoError::PrfPlusTooLong`] beyond 255 blocks, where
    /// prf+ is undefined.
    pub fn prf_plus(
        &self,
        key: &[u8],
        seed: &[u8],
        len: usize,
    ) -> Result<SecretBytes, CryptoError> {
        self.prf_plus_parts(key, &[seed], len)
    }

    /// [`Prf::prf_plus`] over the concatenation of `seed_parts`.
    pub fn prf_plus_parts(
        &self,
        key: &[u8],
        seed_parts: &[&[u8]],
        len: usize,
    ) -> Result<SecretBytes, CryptoError> {
        let block_len = self.output_len();
        let max = block_len.saturating_mul(PRF_PLUS_MAX_BLOCKS);
        if len > max {
            return Err(CryptoError::PrfPlusTooLong {
                requested: len,
                max,
            });
        }
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        // T0 is the empty string; each later block is fed back in.
        let mut previous: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
        let mut counter: u8 = 1;
        while out.len() < len {
            let mut ctx = hmac::Context::with_key(&key);
            ctx.update(&previous);
            for part in seed_parts {
                ctx.update(part);
            }
            ctx.update(&[counter]);
            let block = ctx.sign();
            let block = block.as_ref();
            let take = block.len().min(len.saturating_sub(out.len()));
            out.extend_from_slice(block.get(..take).ok_or(CryptoError::Internal)?);
            previous.clear();
            previous.extend_from_slice(block);
            // The length check above bounds the loop to 255 iterations; the
            // checked increment only fails after the last block.
            counter = match counter.checked_add(1) {
                Some(next) => next,
                None if out.len() >= len => break,
                None => return Err(CryptoError::Internal),
            };
        }
        Ok(SecretBytes::new(core::mem::take(&mut *out)))
    }
}

/// `prf(key, data)` for `alg` (RFC 7296 §2.13); see [`Prf::compute`].
pub fn prf(alg: Prf, key: &[u8], data: &[u8]) -> SecretBytes {
    alg.compute(key, data)
}

/// `prf+(key, seed)` for `alg`, truncated to `len` bytes (RFC 7296 §2.13);
/// see [`Prf::prf_plus`].
pub fn prf_plus(alg: Prf, key: &[u8], seed: &[u8], len: usize) -> Result<SecretBytes, CryptoError> {
    alg.prf_plus(key, seed, len)
}
