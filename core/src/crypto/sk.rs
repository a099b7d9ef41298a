//! The Encrypted (SK) payload transforms (RFC 7296 §3.14, RFC 5282,
//! RFC 7634).
//!
//! The body of an Encrypted payload is `IV | ciphertext | ICV`, where the
//! ciphertext covers `inner payloads | Padding | Pad Length`.

use core::fmt;

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::suite::{AEAD_IV_LEN, AEAD_SALT_LEN, AEAD_TAG_LEN, AES_BLOCK_LEN};
use super::{CryptoError, Encryption, IkeSuite, Integrity, SecretBytes};

/// One direction of Encrypted payload protection: SK_ei (+ SK_ai) for
/// messages from the original initiator, SK_er (+ SK_ar) for the other
/// direction (RFC 7296 §2.14).
pub struct SkCipher {
    encryption: Encryption,
    inner: Inner,
}

enum Inner {
    /// AES-CBC with a truncated-HMAC ICV (RFC 7296 §3.14, RFC 3602).
    Cbc {
        key: SecretBytes,
        integrity: Integrity,
        integ_key: SecretBytes,
    },
    /// AES-GCM-16 (RFC 5282) or ChaCha20-Poly1305 (RFC 7634): the cipher
    /// key, the 4-byte salt from the end of SK_e, and the per-key IV counter.
    Aead {
        key: Box<LessSafeKey>,
        salt: [u8; AEAD_SALT_LEN],
        ivs: IvCounter,
    },
}

/// Unique 64-bit IVs for one AEAD key: a counter from a random start that
/// refuses to wrap around to a value it has used (RFC 5282 §3.1, RFC 7634 §2:
/// the IV must never repeat for a key; a counter is recommended).
struct IvCounter {
    next: u64,
    remaining: u64,
}

impl IvCounter {
    fn new(start: u64) -> Self {
        Self {
            next: start,
            remaining: u64::MAX,
        }
    }

    fn next_iv(&mut self) -> Result<[u8; AEAD_IV_LEN], CryptoError> {
        self.remaining = self
            .remaining
            .checked_sub(1)
            .ok_or(CryptoError::IvExhausted)?;
        let iv = self.next.to_be_bytes();
        self.next = self.next.wrapping_add(1);
        Ok(iv)
    }
}

impl fmt::Debug for SkCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("SkCipher");
        s.field("encryption", &self.encryption);
        if let Inner::Cbc { integrity, .. } = &self.inner {
            s.field("integrity", integrity);
        }
        s.finish_non_exhaustive()
    }
}

impl SkCipher {
    /// Sets up one direction from the suite and that direction's keys:
    /// `sk_e` is SK_ei or SK_er (for AEADs the key followed by the 4-byte
    /// salt, RFC 5282 §7.1, RFC 7634 §4) and `sk_a` is SK_ai or SK_ar (empty
    /// for AEADs).
    pub fn new(suite: &IkeSuite, sk_e: &[u8], sk_a: &[u8]) -> Result<Self, CryptoError> {
        suite.validate()?;
        let encryption = suite.encryption;
        check_len("SK_e", encryption.keymat_len(), sk_e.len())?;
        check_len("SK_a", suite.integ_key_len(), sk_a.len())?;
        let inner = match (encryption, suite.integrity) {
            (Encryption::AesCbc { .. }, Some(integrity)) => Inner::Cbc {
                key: SecretBytes::from_slice(sk_e),
                integrity,
                integ_key: SecretBytes::from_slice(sk_a),
            },
            (Encryption::AesGcm16 { .. } | Encryption::ChaCha20Poly1305, None) => {
                let (key, salt) = sk_e
                    .split_at_checked(encryption.key_len())
                    .ok_or(CryptoError::Internal)?;
                let salt: [u8; AEAD_SALT_LEN] =
                    salt.try_into().map_err(|_| CryptoError::Internal)?;
                let mut start = [0u8; 8];
                SystemRandom::new()
                    .fill(&mut start)
                    .map_err(|_| CryptoError::RandomFailure)?;
                Inner::Aead {
                    key: Box::new(aead_key(encryption, key)?),
                    salt,
                    ivs: IvCounter::new(u64::from_be_bytes(start)),
                }
            }
            // `validate` rules out the other combinations.
            _ => return Err(CryptoError::Internal),
        };
        Ok(Self { encryption, inner })
    }

    /// Length of the IV at the start of the body: 16 for AES-CBC, 8 for the
    /// AEADs.
    pub fn iv_len(&self) -> usize {
        self.encryption.iv_len()
    }

    /// Length of the ICV at the end of the body: 16 for the AEADs, the
    /// truncated HMAC length otherwise.
    pub fn icv_len(&self) -> usize {
        match &self.inner {
            Inner::Cbc { integrity, .. } => integrity.icv_len(),
            Inner::Aead { .. } => AEAD_TAG_LEN,
        }
    }

    /// Length of `IV | encrypted(plaintext | padding | pad length) | ICV`
    /// for a plaintext of `plaintext_len` bytes, with the minimum padding.
    /// The caller needs it to write the IKE header and Encrypted payload
    /// lengths (which are part of the AAD) before sealing.
    pub fn sealed_len(&self, plaintext_len: usize) -> usize {
        self.iv_len()
            .saturating_add(self.padded_len(plaintext_len))
            .saturating_add(self.icv_len())
    }

    /// Length of `plaintext | padding | pad length` with the minimum
    /// padding for the block size (RFC 7296 §3.14).
    fn padded_len(&self, plaintext_len: usize) -> usize {
        let with_pad_length = plaintext_len.saturating_add(1);
        let block = self.encryption.block_size();
        with_pad_length.div_ceil(block).saturating_mul(block)
    }

    /// Encrypts and authenticates `plaintext` (the inner payload chain) and
    /// returns the Encrypted payload body, exactly [`SkCipher::sealed_len`]
    /// bytes.
    ///
    /// `aad` is every message byte before the IV: the IKE header through the
    /// end of the Encrypted payload's generic header (RFC 5282 §5.1; for
    /// AES-CBC the ICV covers `aad | IV | ciphertext`, RFC 7296 §3.14). The
    /// IV is random for AES-CBC and a per-key counter for the AEADs.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let iv = match &mut self.inner {
            Inner::Cbc { .. } => {
                let mut iv = [0u8; AES_BLOCK_LEN];
                SystemRandom::new()
                    .fill(&mut iv)
                    .map_err(|_| CryptoError::RandomFailure)?;
                iv.to_vec()
            }
            Inner::Aead { ivs, .. } => ivs.next_iv()?.to_vec(),
        };
        self.seal_with_iv(aad, plaintext, &iv)
    }

    /// [`SkCipher::seal`] with a caller-chosen IV, for known-answer tests and
    /// replaying captured exchanges.
    ///
    /// An IV must never be used twice with the same key (for the AEADs
    /// that reveals the plaintexts and the authentication key) and must be
    /// unpredictable for AES-CBC (RFC 7296 §3.14); real traffic uses
    /// [`SkCipher::seal`].
    pub fn seal_with_iv(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        iv: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        check_iv(self.iv_len(), iv)?;
        let padded_len = self.padded_len(plaintext.len());
        let pad_len = padded_len
            .checked_sub(plaintext.len())
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| u8::try_from(n).ok())
            .ok_or(CryptoError::Internal)?;
        // IV | plaintext | zero padding | pad length, encrypted in place.
        let mut out = Vec::with_capacity(self.sealed_len(plaintext.len()));
        out.extend_from_slice(iv);
        out.extend_from_slice(plaintext);
        out.resize(out.len().saturating_add(usize::from(pad_len)), 0);
        out.push(pad_len);
        let (iv, body) = out.split_at_mut(iv.len());
        match &self.inner {
            Inner::Cbc {
                key,
                integrity,
                integ_key,
            } => {
                cbc_encrypt(key.as_bytes(), iv, body)?;
                let icv = integrity.compute(integ_key.as_bytes(), &[aad, &out])?;
                out.extend_from_slice(&icv);
            }
            Inner::Aead { key, salt, .. } => {
                let nonce = aead_nonce(salt, iv)?;
                let tag = key
                    .seal_in_place_separate_tag(nonce, Aad::from(aad), body)
                    .map_err(|_| CryptoError::Internal)?;
                out.extend_from_slice(tag.as_ref());
            }
        }
        Ok(out)
    }

    /// Verifies and decrypts an Encrypted payload body `IV | ciphertext |
    /// ICV` and returns the inner payload chain with the padding and Pad
    /// Length removed.
    ///
    /// `aad` is as for [`SkCipher::seal`]. The ICV is checked first, in
    /// constant time; a short body, a CBC ciphertext that is not whole
    /// blocks, a failed ICV and a Pad Length larger than the data all give
    /// typed errors. The padding bytes' values are not checked (RFC 7296
    /// §3.14 lets the sender choose them).
    pub fn open(&self, aad: &[u8], body: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let iv_len = self.iv_len();
        let icv_len = self.icv_len();
        // At least one block of ciphertext (the Pad Length byte needs one).
        let min = iv_len
            .saturating_add(self.encryption.block_size())
            .saturating_add(icv_len);
        if body.len() < min {
            return Err(CryptoError::BodyTooShort {
                min,
                actual: body.len(),
            });
        }
        let (iv, rest) = body.split_at_checked(iv_len).ok_or(CryptoError::Internal)?;
        let ciphertext_len = rest
            .len()
            .checked_sub(icv_len)
            .ok_or(CryptoError::Internal)?;
        let (ciphertext, icv) = rest
            .split_at_checked(ciphertext_len)
            .ok_or(CryptoError::Internal)?;
        let mut plain = Zeroizing::new(ciphertext.to_vec());
        match &self.inner {
            Inner::Cbc {
                key,
                integrity,
                integ_key,
            } => {
                if ciphertext.len() % AES_BLOCK_LEN != 0 {
                    return Err(CryptoError::BadBlockAlignment(ciphertext.len()));
                }
                let covered = body.get(..iv_len.saturating_add(ciphertext_len));
                let covered = covered.ok_or(CryptoError::Internal)?;
                integrity.verify(integ_key.as_bytes(), &[aad, covered], icv)?;
                cbc_decrypt(key.as_bytes(), iv, &mut plain)?;
            }
            Inner::Aead { key, salt, .. } => {
                let nonce = aead_nonce(salt, iv)?;
                let tag = aead::Tag::try_from(icv).map_err(|_| CryptoError::Internal)?;
                key.open_in_place_separate_tag(nonce, Aad::from(aad), tag, &mut plain, 0..)
                    .map_err(|_| CryptoError::IntegrityCheckFailed)?;
            }
        }
        strip_padding(&plain)
    }
}

/// Removes `Padding | Pad Length` from decrypted data (RFC 7296 §3.14).
fn strip_padding(plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (&pad_len, before) = plain.split_last().ok_or(CryptoError::Internal)?;
    let payload_len =
        before
            .len()
            .checked_sub(usize::from(pad_len))
            .ok_or(CryptoError::InvalidPadding {
                pad_len,
                available: before.len(),
            })?;
    before
        .get(..payload_len)
        .map(<[u8]>::to_vec)
        .ok_or(CryptoError::Internal)
}

fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<(), CryptoError> {
    if expected == actual {
        Ok(())
    } else {
        Err(CryptoError::InvalidKeyLength {
            what,
            expected,
            actual,
        })
    }
}

fn check_iv(expected: usize, iv: &[u8]) -> Result<(), CryptoError> {
    if iv.len() == expected {
        Ok(())
    } else {
        Err(CryptoError::InvalidIvLength {
            expected,
            actual: iv.len(),
        })
    }
}

pub(super) fn aead_key(encryption: Encryption, key: &[u8]) -> Result<LessSafeKey, CryptoError> {
    let alg = match encryption {
        Encryption::AesGcm16 { key_bits: 128 } => &aead::AES_128_GCM,
        Encryption::AesGcm16 { key_bits: 256 } => &aead::AES_256_GCM,
        Encryption::AesGcm16 { key_bits: 192 } => return Err(CryptoError::Aes192GcmUnsupported),
        Encryption::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        Encryption::AesGcm16 { key_bits } | Encryption::AesCbc { key_bits } => {
            return Err(CryptoError::UnsupportedKeySize {
                algorithm: encryption.name(),
                key_bits,
            })
        }
    };
    let key = UnboundKey::new(alg, key).map_err(|_| CryptoError::InvalidKeyLength {
        what: "SK_e",
        expected: alg.key_len(),
        actual: key.len(),
    })?;
    Ok(LessSafeKey::new(key))
}

/// The 12-byte AEAD nonce `salt | IV` (RFC 4106 §4 as used by RFC 5282;
/// RFC 7634 §2).
pub(super) fn aead_nonce(salt: &[u8; AEAD_SALT_LEN], iv: &[u8]) -> Result<Nonce, CryptoError> {
    let mut nonce = [0u8; aead::NONCE_LEN];
    let (salt_part, iv_part) = nonce.split_at_mut(AEAD_SALT_LEN);
    salt_part.copy_from_slice(salt);
    if iv_part.len() != iv.len() {
        return Err(CryptoError::InvalidIvLength {
            expected: iv_part.len(),
            actual: iv.len(),
        });
    }
    iv_part.copy_from_slice(iv);
    Ok(Nonce::assume_unique_for_key(nonce))
}

/// AES-CBC encryption of whole blocks in place (RFC 3602), for 128/192/256
/// bit keys.
pub(super) fn cbc_encrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    match key.len() {
        16 => cbc_encrypt_with::<aes::Aes128>(key, iv, buf),
        24 => cbc_encrypt_with::<aes::Aes192>(key, iv, buf),
        32 => cbc_encrypt_with::<aes::Aes256>(key, iv, buf),
        actual => Err(CryptoError::InvalidKeyLength {
            what: "AES key",
            expected: 32,
            actual,
        }),
    }
}

/// AES-CBC decryption of whole blocks in place (RFC 3602).
pub(super) fn cbc_decrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    match key.len() {
        16 => cbc_decrypt_with::<aes::Aes128>(key, iv, buf),
        24 => cbc_decrypt_with::<aes::Aes192>(key, iv, buf),
        32 => cbc_decrypt_with::<aes::Aes256>(key, iv, buf),
        actual => Err(CryptoError::InvalidKeyLength {
            what: "AES key",
            expected: 32,
            actual,
        }),
    }
}

fn cbc_encrypt_with<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError>
where
    C: BlockEncryptMut + BlockCipher + KeyInit,
{
    let len = buf.len();
    cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::Internal)?
        .encrypt_padded_mut::<NoPadding>(buf, len)
        .map_err(|_| CryptoError::BadBlockAlignment(len))?;
    Ok(())
}

fn cbc_decrypt_with<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError>
where
    C: BlockDecryptMut + BlockCipher + KeyInit,
{
    let len = buf.len();
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::Internal)?
        .decrypt_padded_mut::<NoPadding>(buf)
        .map_err(|_| CryptoError::BadBlockAlignment(len))?;
    Ok(())
}
