//! IKEv2 cryptographic suites.
//!
//! Primitives come from `ring` (HMAC-SHA2, AES-GCM, ChaCha20-Poly1305,
//! X25519, ECDH P-256/P-384, the system RNG); the RustCrypto crates are used
//! only where `ring` has no primitive: `aes` + `cbc` for AES-CBC and
//! `crypto-bigint` for the constant-time modular exponentiation of the
//! 2048-bit MODP group. The IKEv2 constructions (prf+, key derivation, the
//! Encrypted payload framing) are implemented here.
//!
//! - [`Prf`] and [`prf_plus`]: RFC 7296 §2.13.
//! - [`derive_ike_keys`], [`derive_rekeyed_ike_keys`], [`child_sa_keymat`]:
//!   RFC 7296 §2.14, §2.18 and §2.17.
//! - [`KeyExchange`]: the key exchange methods (RFC 7296 §3.4, RFC 3526,
//!   RFC 5903, RFC 8031).
//! - [`SkCipher`]: the Encrypted payload transforms (RFC 7296 §3.14,
//!   RFC 5282, RFC 7634).
//!
//! Every secret is held in a [`SecretBytes`] (or another zeroizing container)
//! and is wiped when dropped; no `Debug` output ever shows secret bytes.

use core::fmt;

use zeroize::Zeroizing;

mod dh;
mod integ;
mod keys;
mod modp;
mod prf;
mod sk;
mod suite;

#[cfg(test)]
mod tests;

pub use dh::{DhGroup, KeyExchange};
pub use integ::Integrity;
pub use keys::{
    child_sa_keymat, derive_child_sa_keys, derive_ike_keys, derive_rekeyed_ike_keys,
    rekeyed_skeyseed, skeyseed, ChildSaKeys, IkeKeys,
};
pub use prf::{prf, prf_plus, Prf};
pub use sk::SkCipher;
pub use suite::{Encryption, IkeSuite};

/// Errors from the cryptographic layer.
///
/// Every malformed input (wrong key or public value length, bad padding, a
/// failed integrity check, ...) maps to one of these; no function in this
/// module panics on peer-controlled data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The encryption transform was negotiated with a key size it does not
    /// have (AES-CBC: 128/192/256 bits; AES-GCM: 128/256 bits).
    #[error("{algorithm} does not support a {key_bits}-bit key")]
    UnsupportedKeySize {
        /// The encryption algorithm's name.
        algorithm: &'static str,
        /// The negotiated key size in bits.
        key_bits: u16,
    },
    /// AES-GCM with a 192-bit key was negotiated; `ring` provides AES-GCM only
    /// with 128- and 256-bit keys.
    #[error("AES-192-GCM is not supported: ring provides AES-GCM with 128- and 256-bit keys only")]
    Aes192GcmUnsupported,
    /// An AEAD encryption transform was combined with an integrity transform
    /// (RFC 5282: combined-mode ciphers take no separate integrity
    /// algorithm).
    #[error("an AEAD encryption transform must not be combined with an integrity transform")]
    AeadWithIntegrity,
    /// A non-AEAD encryption transform was negotiated without an integrity
    /// transform (RFC 7296 §3.3.3).
    #[error("a non-AEAD encryption transform requires an integrity transform")]
    MissingIntegrity,
    /// A key handed to a cipher or MAC has the wrong length.
    #[error("{what} has the wrong length: expected {expected} bytes, got {actual}")]
    InvalidKeyLength {
        /// Which key it was.
        what: &'static str,
        /// The length the suite requires.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// An IV handed to [`SkCipher::seal_with_iv`] has the wrong length.
    #[error("IV has the wrong length: expected {expected} bytes, got {actual}")]
    InvalidIvLength {
        /// The cipher's IV length.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// The peer's Key Exchange Data has the wrong length for the group.
    #[error(
        "{group:?} public value has the wrong length: expected {expected} bytes, got {actual}"
    )]
    InvalidPublicKeyLength {
        /// The key exchange group.
        group: DhGroup,
        /// The length the group requires.
        expected: usize,
        /// The length that was received.
        actual: usize,
    },
    /// The peer's public value is not a valid element of the group (MODP
    /// value outside 1 < y < p-1, RFC 6989 §2.1; ECP point not on the curve,
    /// RFC 6989 §2.3).
    #[error("{0:?} public value is not a valid group element")]
    InvalidPublicKey(DhGroup),
    /// X25519 produced the all-zero shared secret, i.e. the peer sent a point
    /// of small order (RFC 8031 §2, RFC 7748 §6.1).
    #[error("X25519 produced the all-zero shared secret")]
    ZeroSharedSecret,
    /// A private key given to a key exchange constructor is invalid for the
    /// group.
    #[error("invalid private key for {0:?}")]
    InvalidPrivateKey(DhGroup),
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    RandomFailure,
    /// More prf+ output was requested than RFC 7296 §2.13 defines (255 blocks).
    #[error("prf+ output of {requested} bytes exceeds the maximum of {max}")]
    PrfPlusTooLong {
        /// The requested length in bytes.
        requested: usize,
        /// 255 times the PRF output length.
        max: usize,
    },
    /// The Encrypted payload body is shorter than IV + minimal ciphertext +
    /// ICV.
    #[error("encrypted body of {actual} bytes is shorter than the minimum of {min}")]
    BodyTooShort {
        /// The minimum body length for the cipher.
        min: usize,
        /// The received body length.
        actual: usize,
    },
    /// The CBC ciphertext is not a whole number of blocks.
    #[error("ciphertext of {0} bytes is not a whole number of cipher blocks")]
    BadBlockAlignment(usize),
    /// The integrity check value (HMAC or AEAD tag) did not verify.
    #[error("integrity check failed")]
    IntegrityCheckFailed,
    /// The Pad Length field points before the start of the decrypted data.
    #[error("pad length {pad_len} exceeds the {available} bytes before it")]
    InvalidPadding {
        /// The received Pad Length value.
        pad_len: u8,
        /// Bytes available before the Pad Length byte.
        available: usize,
    },
    /// The per-key IV counter of an AEAD cipher is exhausted; the SA must be
    /// rekeyed (RFC 5282 §3.1, RFC 7634 §2).
    #[error("the IV space for this key is exhausted; rekey the SA")]
    IvExhausted,
    /// A lower-level primitive failed in a way that does not depend on the
    /// input (should not happen).
    #[error("internal cryptographic failure")]
    Internal,
}

/// Secret bytes (keys, shared secrets, SKEYSEED, SK_*) that are zeroized on
/// drop and never shown by `Debug`.
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps `bytes`, taking ownership so that the only copy is wiped on
    /// drop.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new zeroizing buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes (e.g. `SK_a*` of an AEAD suite).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

/// Constant-time comparison of the contents (the lengths are not secret).
impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}
