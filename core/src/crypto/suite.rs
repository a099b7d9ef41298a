//! Encryption transforms and the negotiated IKE SA suite.

use super::{CryptoError, DhGroup, Integrity, Prf};

/// IANA "Transform Type 1 - Encryption Algorithm Transform IDs" that this
/// implementation supports for the IKE SA (RFC 7296 §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encryption {
    /// ENCR_AES_CBC (ID 12, RFC 3602) with the negotiated Key Length
    /// attribute in bits.
    AesCbc {
        /// Key size in bits (128, 192 or 256).
        key_bits: u16,
    },
    /// ENCR_AES_GCM_16 (ID 20, RFC 5282 §7) with the negotiated Key Length
    /// attribute in bits.
    AesGcm16 {
        /// Key size in bits (128 or 256; `ring` has no AES-192-GCM).
        key_bits: u16,
    },
    /// ENCR_CHACHA20_POLY1305 (ID 28, RFC 7634).
    ChaCha20Poly1305,
}

/// Length of the salt that AEAD transforms take from the end of SK_e
/// (RFC 5282 §7.1, RFC 7634 §4).
pub(crate) const AEAD_SALT_LEN: usize = 4;
/// Explicit IV carried in the Encrypted payload by the AEAD transforms
/// (RFC 5282 §3.1, RFC 7634 §2).
pub(crate) const AEAD_IV_LEN: usize = 8;
/// The ICV of ENCR_AES_GCM_16 and ENCR_CHACHA20_POLY1305.
pub(crate) const AEAD_TAG_LEN: usize = 16;
/// The AES block size, which is also the AES-CBC IV length (RFC 3602 §3).
pub(crate) const AES_BLOCK_LEN: usize = 16;

impl Encryption {
    /// Maps an IANA Transform Type 1 ID and its Key Length attribute (in
    /// bits) to an encryption transform.
    ///
    /// AES transforms need the Key Length attribute (RFC 7296 §3.3.5); the
    /// size itself is checked by [`IkeSuite::validate`]. ChaCha20-Poly1305
    /// has a fixed 256-bit key (RFC 7634) and needs no attribute; an
    /// explicit 256 is tolerated. `None` for unsupported IDs or attributes.
    pub const fn from_iana(id: u16, key_bits: Option<u16>) -> Option<Self> {
        match (id, key_bits) {
            (12, Some(key_bits)) => Some(Self::AesCbc { key_bits }),
            (20, Some(key_bits)) => Some(Self::AesGcm16 { key_bits }),
            (28, None | Some(256)) => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// The IANA Transform Type 1 ID.
    pub const fn iana_id(&self) -> u16 {
        match self {
            Self::AesCbc { .. } => 12,
            Self::AesGcm16 { .. } => 20,
            Self::ChaCha20Poly1305 => 28,
        }
    }

    /// The Key Length attribute to send in a proposal, in bits (`None` for
    /// ChaCha20-Poly1305, which has none).
    pub const fn key_length_attribute(&self) -> Option<u16> {
        match self {
            Self::AesCbc { key_bits } | Self::AesGcm16 { key_bits } => Some(*key_bits),
            Self::ChaCha20Poly1305 => None,
        }
    }

    /// The algorithm's name, for errors and logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::AesCbc { .. } => "AES-CBC",
            Self::AesGcm16 { .. } => "AES-GCM-16",
            Self::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    /// Whether this is a combined-mode (AEAD) transform that needs no
    /// integrity transform (RFC 5282).
    pub const fn is_aead(&self) -> bool {
        matches!(self, Self::AesGcm16 { .. } | Self::ChaCha20Poly1305)
    }

    /// Length of the cipher key in bytes, without any salt.
    pub const fn key_len(&self) -> usize {
        match self {
            Self::AesCbc { key_bits } | Self::AesGcm16 { key_bits } => (*key_bits as usize) / 8,
            Self::ChaCha20Poly1305 => 32,
        }
    }

    /// Length of the salt taken from the end of SK_e: 4 bytes for the AEADs
    /// (RFC 5282 §7.1, RFC 7634 §4), none for AES-CBC.
    pub const fn salt_len(&self) -> usize {
        if self.is_aead() {
            AEAD_SALT_LEN
        } else {
            0
        }
    }

    /// Length of SK_ei/SK_er in bytes: the key plus, for AEADs, the salt
    /// (RFC 5282 §7.1, RFC 7634 §4).
    pub const fn keymat_len(&self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// Length of the IV carried in the Encrypted payload: the block size for
    /// AES-CBC (RFC 3602 §3), 8 bytes for the AEADs (RFC 5282 §3.1,
    /// RFC 7634 §2).
    pub const fn iv_len(&self) -> usize {
        if self.is_aead() {
            AEAD_IV_LEN
        } else {
            AES_BLOCK_LEN
        }
    }

    /// The block size that the plaintext, padding and Pad Length must fill:
    /// 16 for AES-CBC; 1 for the AEADs, which are counter-based stream modes
    /// that need no padding (RFC 5282, RFC 7634).
    pub const fn block_size(&self) -> usize {
        if self.is_aead() {
            1
        } else {
            AES_BLOCK_LEN
        }
    }

    /// ICV length of an AEAD transform (16); `None` for AES-CBC, whose ICV
    /// comes from the integrity transform.
    pub const fn aead_icv_len(&self) -> Option<usize> {
        if self.is_aead() {
            Some(AEAD_TAG_LEN)
        } else {
            None
        }
    }

    /// Checks the key size: 128/192/256 bits for AES-CBC (RFC 3602 §2.1),
    /// 128/256 for AES-GCM (ring has no AES-192-GCM).
    pub fn validate(&self) -> Result<(), CryptoError> {
        match *self {
            Self::AesCbc {
                key_bits: 128 | 192 | 256,
            } => Ok(()),
            Self::AesGcm16 {
                key_bits: 128 | 256,
            } => Ok(()),
            Self::AesGcm16 { key_bits: 192 } => Err(CryptoError::Aes192GcmUnsupported),
            Self::AesCbc { key_bits } | Self::AesGcm16 { key_bits } => {
                Err(CryptoError::UnsupportedKeySize {
                    algorithm: self.name(),
                    key_bits,
                })
            }
            Self::ChaCha20Poly1305 => Ok(()),
        }
    }
}

/// The transforms negotiated for an IKE SA (RFC 7296 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IkeSuite {
    /// Transform Type 1.
    pub encryption: Encryption,
    /// Transform Type 3; `None` exactly when `encryption` is an AEAD.
    pub integrity: Option<Integrity>,
    /// Transform Type 2.
    pub prf: Prf,
    /// Transform Type 4.
    pub dh: DhGroup,
}

impl IkeSuite {
    /// Checks that the combination is usable: an AEAD has no integrity
    /// transform (RFC 5282), a non-AEAD has one (RFC 7296 §3.3.3), and the
    /// key size is one the cipher has (see [`Encryption::validate`]).
    pub fn validate(&self) -> Result<(), CryptoError> {
        self.encryption.validate()?;
        match (self.encryption.is_aead(), self.integrity) {
            (true, Some(_)) => Err(CryptoError::AeadWithIntegrity),
            (false, None) => Err(CryptoError::MissingIntegrity),
            _ => Ok(()),
        }
    }

    /// Length of SK_ai/SK_ar in bytes (0 for AEAD suites).
    pub fn integ_key_len(&self) -> usize {
        self.integrity.map_or(0, |integ| integ.key_len())
    }

    /// Length of SK_ei/SK_er in bytes (including the AEAD salt).
    pub fn encr_keymat_len(&self) -> usize {
        self.encryption.keymat_len()
    }

    /// Total prf+ output needed for {SK_d | SK_ai | SK_ar | SK_ei | SK_er |
    /// SK_pi | SK_pr} (RFC 7296 §2.14).
    pub fn ike_keymat_len(&self) -> usize {
        3 * self.prf.key_len() + 2 * self.integ_key_len() + 2 * self.encr_keymat_len()
    }

    /// ICV length of the Encrypted payload: 16 for AEADs, the truncated
    /// HMAC length otherwise.
    pub fn icv_len(&self) -> usize {
        self.encryption
            .aead_icv_len()
            .or_else(|| self.integrity.map(|integ| integ.icv_len()))
            .unwrap_or(0)
    }
}
