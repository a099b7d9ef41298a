//! Key exchange methods (IANA Transform Type 4) and their IKE encodings.

use core::fmt;

use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::modp::{ModpPrivate, MODP_2048_EXPONENT_LEN, MODP_2048_LEN};
use super::{CryptoError, SecretBytes};

/// IANA "Transform Type 4 - Key Exchange Method Transform IDs" that this
/// implementation supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhGroup {
    /// 2048-bit MODP Group (ID 14, RFC 3526 §3).
    Modp2048,
    /// 256-bit random ECP group, NIST P-256 (ID 19, RFC 5903).
    Ecp256,
    /// 384-bit random ECP group, NIST P-384 (ID 20, RFC 5903).
    Ecp384,
    /// Curve25519 (ID 31, RFC 8031).
    Curve25519,
}

/// The SEC 1 tag of an uncompressed point, which `ring` uses and IKE omits
/// (RFC 5903 §7).
const UNCOMPRESSED_POINT_TAG: u8 = 0x04;

impl DhGroup {
    /// Maps an IANA Transform Type 4 ID to a group; `None` for IDs this
    /// implementation does not support.
    pub const fn from_iana(id: u16) -> Option<Self> {
        match id {
            14 => Some(Self::Modp2048),
            19 => Some(Self::Ecp256),
            20 => Some(Self::Ecp384),
            31 => Some(Self::Curve25519),
            _ => None,
        }
    }

    /// The IANA Transform Type 4 ID (the KE payload's Diffie-Hellman Group
    /// Num, RFC 7296 §3.4).
    pub const fn iana_id(&self) -> u16 {
        match self {
            Self::Modp2048 => 14,
            Self::Ecp256 => 19,
            Self::Ecp384 => 20,
            Self::Curve25519 => 31,
        }
    }

    /// Length of the KE payload's Key Exchange Data in bytes: the modulus
    /// length for MODP (RFC 7296 §3.4), x | y for ECP (RFC 5903 §7), 32 for
    /// Curve25519 (RFC 8031 §2).
    pub const fn public_key_len(&self) -> usize {
        match self {
            Self::Modp2048 => MODP_2048_LEN,
            Self::Ecp256 => 64,
            Self::Ecp384 => 96,
            Self::Curve25519 => 32,
        }
    }

    /// Length of the shared secret g^ir in bytes: the modulus length for
    /// MODP (RFC 7296 §2.14), the x coordinate for ECP (RFC 5903 §7), 32 for
    /// Curve25519 (RFC 8031 §2).
    pub const fn shared_secret_len(&self) -> usize {
        match self {
            Self::Modp2048 => MODP_2048_LEN,
            Self::Ecp256 => 32,
            Self::Ecp384 => 48,
            Self::Curve25519 => 32,
        }
    }

    fn ring_algorithm(&self) -> Option<&'static agreement::Algorithm> {
        match self {
            Self::Modp2048 => None,
            Self::Ecp256 => Some(&agreement::ECDH_P256),
            Self::Ecp384 => Some(&agreement::ECDH_P384),
            Self::Curve25519 => Some(&agreement::X25519),
        }
    }

    fn is_ecp(&self) -> bool {
        matches!(self, Self::Ecp256 | Self::Ecp384)
    }
}

enum PrivateKey {
    /// X25519 and the NIST curves, held by `ring`.
    Ring(EphemeralPrivateKey),
    /// The MODP exponent, zeroized on drop.
    Modp(ModpPrivate),
}

/// Our ephemeral private key for one key exchange, with its public value in
/// the IKE encoding. It is consumed by [`KeyExchange::agree`], so it is used
/// for exactly one exchange.
pub struct KeyExchange {
    group: DhGroup,
    private: PrivateKey,
    public: Vec<u8>,
}

impl fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyExchange")
            .field("group", &self.group)
            .field("public_len", &self.public.len())
            .finish_non_exhaustive()
    }
}

impl KeyExchange {
    /// Generates a fresh private key for `group` from the system RNG.
    pub fn generate(group: DhGroup) -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        match group.ring_algorithm() {
            Some(alg) => {
                let private = EphemeralPrivateKey::generate(alg, &rng)
                    .map_err(|_| CryptoError::RandomFailure)?;
                Self::from_ring(group, private)
            }
            None => {
                let mut bytes = Zeroizing::new([0u8; MODP_2048_EXPONENT_LEN]);
                rng.fill(bytes.as_mut_slice())
                    .map_err(|_| CryptoError::RandomFailure)?;
                // Setting the top bit gives a full-length, non-zero exponent.
                if let Some(first) = bytes.first_mut() {
                    *first |= 0x80;
                }
                Self::from_modp_exponent(bytes.as_slice())
            }
        }
    }

    /// Builds a MODP-2048 key exchange from a fixed big-endian private
    /// exponent (1 to 256 bytes, not zero).
    ///
    /// Intended for known-answer tests and interoperability captures only: a
    /// real exchange must use [`KeyExchange::generate`].
    pub fn from_modp_exponent(exponent: &[u8]) -> Result<Self, CryptoError> {
        let private = ModpPrivate::from_be_bytes(exponent)?;
        let public = private.public_value();
        Ok(Self {
            group: DhGroup::Modp2048,
            private: PrivateKey::Modp(private),
            public,
        })
    }

    /// Builds a key exchange from a fixed private key, for known-answer
    /// tests: a MODP exponent, a P-256/P-384 scalar (32/48 bytes big-endian,
    /// `0 < d < n`) or an X25519 scalar (32 bytes, RFC 7748 §5).
    #[cfg(test)]
    pub(crate) fn from_private_for_test(
        group: DhGroup,
        private: &[u8],
    ) -> Result<Self, CryptoError> {
        let Some(alg) = group.ring_algorithm() else {
            return Self::from_modp_exponent(private);
        };
        let expected = group.shared_secret_len();
        if private.len() != expected {
            return Err(CryptoError::InvalidKeyLength {
                what: "private key",
                expected,
                actual: private.len(),
            });
        }
        // ring only builds agreement keys from a SecureRandom; this test RNG
        // returns exactly the given bytes (ring checks the scalar's range).
        #[allow(deprecated)]
        let rng = ring::test::rand::FixedSliceRandom { bytes: private };
        let private = EphemeralPrivateKey::generate(alg, &rng)
            .map_err(|_| CryptoError::InvalidPrivateKey(group))?;
        Self::from_ring(group, private)
    }

    fn from_ring(group: DhGroup, private: EphemeralPrivateKey) -> Result<Self, CryptoError> {
        let public = private
            .compute_public_key()
            .map_err(|_| CryptoError::Internal)?;
        let public = public.as_ref();
        let public = if group.is_ecp() {
            // RFC 5903 §7: the KE data is x | y without the SEC 1 tag.
            match public.split_first() {
                Some((&UNCOMPRESSED_POINT_TAG, xy)) => xy.to_vec(),
                _ => return Err(CryptoError::Internal),
            }
        } else {
            public.to_vec()
        };
        if public.len() != group.public_key_len() {
            return Err(CryptoError::Internal);
        }
        Ok(Self {
            group,
            private: PrivateKey::Ring(private),
            public,
        })
    }

    /// The group of this key exchange.
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// Our public value, exactly as the KE payload's Key Exchange Data:
    /// 32 bytes for X25519 (RFC 8031 §2), x | y without the 0x04 tag for ECP
    /// (RFC 5903 §7), g^x big-endian zero-padded to 256 bytes for MODP
    /// (RFC 7296 §3.4).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Computes the shared secret g^ir with the peer's Key Exchange Data:
    /// 32 bytes for X25519, the x coordinate for ECP (RFC 5903 §7), 256 bytes
    /// zero-padded for MODP (RFC 7296 §2.14).
    ///
    /// The peer value is validated: wrong lengths, MODP values outside
    /// 1 < y < p-1 (RFC 6989 §2.1), points not on the curve (RFC 6989 §2.3)
    /// and X25519 inputs that give the all-zero secret (RFC 8031 §2) are
    /// rejected with a typed error.
    pub fn agree(self, peer_public: &[u8]) -> Result<SecretBytes, CryptoError> {
        let group = self.group;
        let expected = group.public_key_len();
        if peer_public.len() != expected {
            return Err(CryptoError::InvalidPublicKeyLength {
                group,
                expected,
                actual: peer_public.len(),
            });
        }
        match self.private {
            PrivateKey::Modp(private) => private.agree(peer_public),
            PrivateKey::Ring(private) => agree_ring(group, private, peer_public),
        }
    }
}

fn agree_ring(
    group: DhGroup,
    private: EphemeralPrivateKey,
    peer_public: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let alg = group.ring_algorithm().ok_or(CryptoError::Internal)?;
    let tagged;
    let peer_bytes = if group.is_ecp() {
        tagged = [&[UNCOMPRESSED_POINT_TAG][..], peer_public].concat();
        tagged.as_slice()
    } else {
        peer_public
    };
    let peer = UnparsedPublicKey::new(alg, peer_bytes);
    // ring rejects ECP points that are not on the curve and X25519 results
    // that are all zero; both come back as the same unspecified error.
    let shared =
        agreement::agree_ephemeral(private, &peer, SecretBytes::from_slice).map_err(|_| {
            if group == DhGroup::Curve25519 {
                CryptoError::ZeroSharedSecret
            } else {
                CryptoError::InvalidPublicKey(group)
            }
        })?;
    if group == DhGroup::Curve25519 {
        let zero = [0u8; 32];
        if bool::from(shared.as_bytes().ct_eq(&zero)) {
            return Err(CryptoError::ZeroSharedSecret);
        }
    }
    if shared.len() != group.shared_secret_len() {
        return Err(CryptoError::Internal);
    }
    Ok(shared)
}
