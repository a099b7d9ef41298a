//! The ESP transforms: AES-GCM-16 (RFC 4106), ChaCha20-Poly1305 (RFC 7634)
//! and AES-CBC (RFC 3602) with a truncated HMAC-SHA2 ICV (RFC 4868), with
//! the packet layout of RFC 4303 §2:
//!
//! ```text
//! SPI (4) | Sequence Number (4) | IV | encrypted(Payload | Padding |
//!     Pad Length (1) | Next Header (1)) | ICV
//! ```
//!
//! Keys are expanded once per SA: a `ring` `LessSafeKey`, an AES key
//! schedule, an HMAC key with its precomputed inner and outer states.
//!
//! Zeroization: the AEAD salt and the AES-CBC key schedules (the `aes`
//! crate's `zeroize` feature, also for the per-packet copies the CBC mode
//! makes) are wiped when dropped; `ring`'s key objects offer no way to wipe
//! them. The raw keys stay in the caller's `ChildSaKeys`, whose
//! `SecretBytes` are wiped on drop.

use core::fmt;
use core::ops::Range;

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncrypt, BlockEncryptMut, InnerIvInit, KeyInit};
use aes::{Aes128Dec, Aes128Enc, Aes192Dec, Aes192Enc, Aes256Dec, Aes256Enc};
use ring::aead::{self, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::{CryptoError, Encryption, Integrity};
use crate::ike::child::EspSuite;

use super::{Drop, EspError, ESP_HEADER_LEN};

/// The explicit IV of the AEAD transforms (RFC 4106 §3.1, RFC 7634 §2).
pub(crate) const AEAD_IV_LEN: usize = 8;
/// The salt at the end of the AEAD keying material (RFC 4106 §8.1,
/// RFC 7634 §2).
const SALT_LEN: usize = 4;
/// The ICV of AES-GCM-16 and ChaCha20-Poly1305.
pub(crate) const AEAD_ICV_LEN: usize = 16;
/// The AES block, which is also the AES-CBC IV (RFC 3602 §3).
pub(crate) const AES_BLOCK: usize = 16;
/// The AEADs pad only to the 4-octet alignment of RFC 4303 §2.4.
pub(crate) const AEAD_ALIGN: usize = 4;
/// Pad Length and Next Header.
pub(crate) const TRAILER_LEN: usize = 2;

/// The default padding, 1, 2, 3, ... (RFC 4303 §2.4); never more than 15
/// octets are needed.
const PADDING: [u8; 15] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Length of the IV for an encryption transform.
pub(crate) const fn iv_len(encryption: Encryption) -> usize {
    if encryption.is_aead() {
        AEAD_IV_LEN
    } else {
        AES_BLOCK
    }
}

/// The alignment that `Payload | Padding | Pad Length | Next Header` must
/// reach (RFC 4303 §2.4): the cipher block for AES-CBC, 4 for the AEADs.
pub(crate) const fn alignment(encryption: Encryption) -> usize {
    if encryption.is_aead() {
        AEAD_ALIGN
    } else {
        AES_BLOCK
    }
}

/// The ICV length of a suite.
pub(crate) fn icv_len(suite: &EspSuite) -> usize {
    if suite.encryption.is_aead() {
        AEAD_ICV_LEN
    } else {
        suite.integrity.map_or(0, |i| i.icv_len())
    }
}

/// The high and low halves of a 64-bit sequence number.
pub(crate) fn split_seq(seq: u64) -> (u32, u32) {
    let [a, b, c, d, e, f, g, h] = seq.to_be_bytes();
    (
        u32::from_be_bytes([a, b, c, d]),
        u32::from_be_bytes([e, f, g, h]),
    )
}

/// The AEAD additional data: `SPI | Seq` or, with ESN, `SPI | Seq high |
/// Seq low` (RFC 4106 §5, RFC 7634 §3). Returns the buffer and the length
/// used.
fn aead_aad(spi: [u8; 4], low: [u8; 4], high: Option<u32>) -> ([u8; 12], usize) {
    let [s0, s1, s2, s3] = spi;
    let [l0, l1, l2, l3] = low;
    match high {
        Some(high) => {
            let [h0, h1, h2, h3] = high.to_be_bytes();
            ([s0, s1, s2, s3, h0, h1, h2, h3, l0, l1, l2, l3], 12)
        }
        None => ([s0, s1, s2, s3, l0, l1, l2, l3, 0, 0, 0, 0], 8),
    }
}

/// The 12-octet nonce `salt | IV` (RFC 4106 §4, RFC 7634 §2).
fn aead_nonce(salt: &[u8; SALT_LEN], iv: &[u8]) -> Result<Nonce, ()> {
    let [s0, s1, s2, s3] = *salt;
    let [i0, i1, i2, i3, i4, i5, i6, i7] = <[u8; AEAD_IV_LEN]>::try_from(iv).map_err(|_| ())?;
    Ok(Nonce::assume_unique_for_key([
        s0, s1, s2, s3, i0, i1, i2, i3, i4, i5, i6, i7,
    ]))
}

fn key_length_error(what: &'static str, expected: usize, actual: usize) -> EspError {
    EspError::Crypto(CryptoError::InvalidKeyLength {
        what,
        expected,
        actual,
    })
}

/// Checks the suite and the key lengths (RFC 4106 §8.1, RFC 7634 §2,
/// RFC 4868 §2.1.1).
fn check_suite(suite: &EspSuite, encr: &[u8], integ: &[u8]) -> Result<(), EspError> {
    suite.encryption.validate()?;
    match (suite.encryption.is_aead(), suite.integrity) {
        (true, Some(_)) => return Err(CryptoError::AeadWithIntegrity.into()),
        (false, None) => return Err(CryptoError::MissingIntegrity.into()),
        _ => {}
    }
    let keymat_len = suite.encryption.keymat_len();
    if encr.len() != keymat_len {
        return Err(key_length_error(
            "ESP encryption key",
            keymat_len,
            encr.len(),
        ));
    }
    let integ_len = suite.integrity.map_or(0, |i| i.key_len());
    if integ.len() != integ_len {
        return Err(key_length_error(
            "ESP integrity key",
            integ_len,
            integ.len(),
        ));
    }
    Ok(())
}

/// An AEAD key and its salt.
pub(crate) struct AeadKey {
    key: LessSafeKey,
    salt: Zeroizing<[u8; SALT_LEN]>,
}

impl AeadKey {
    fn new(encryption: Encryption, keymat: &[u8]) -> Result<Self, EspError> {
        let algorithm = match encryption {
            Encryption::AesGcm16 { key_bits: 128 } => &aead::AES_128_GCM,
            Encryption::AesGcm16 { key_bits: 256 } => &aead::AES_256_GCM,
            Encryption::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
            Encryption::AesGcm16 { key_bits: 192 } => {
                return Err(CryptoError::Aes192GcmUnsupported.into())
            }
            Encryption::AesGcm16 { key_bits } | Encryption::AesCbc { key_bits } => {
                return Err(CryptoError::UnsupportedKeySize {
                    algorithm: encryption.name(),
                    key_bits,
                }
                .into())
            }
        };
        let key_len = algorithm.key_len();
        let (key, salt) = keymat
            .split_at_checked(key_len)
            .ok_or_else(|| key_length_error("ESP AEAD key", key_len + SALT_LEN, keymat.len()))?;
        let salt = <[u8; SALT_LEN]>::try_from(salt)
            .map_err(|_| key_length_error("ESP AEAD key", key_len + SALT_LEN, keymat.len()))?;
        let key = UnboundKey::new(algorithm, key)
            .map_err(|_| key_length_error("ESP AEAD key", key_len + SALT_LEN, keymat.len()))?;
        Ok(Self {
            key: LessSafeKey::new(key),
            salt: Zeroizing::new(salt),
        })
    }
}

/// A truncated HMAC-SHA2 (RFC 4868) with its key prepared once.
pub(crate) struct Mac {
    key: hmac::Key,
    icv_len: usize,
}

impl Mac {
    fn new(integrity: Integrity, key: &[u8]) -> Self {
        let algorithm = match integrity {
            Integrity::HmacSha256_128 => hmac::HMAC_SHA256,
            Integrity::HmacSha384_192 => hmac::HMAC_SHA384,
            Integrity::HmacSha512_256 => hmac::HMAC_SHA512,
        };
        Self {
            key: hmac::Key::new(algorithm, key),
            icv_len: integrity.icv_len(),
        }
    }

    /// The full HMAC over `covered` (SPI through the end of the ciphertext)
    /// with, for ESN, the high 32 bits of the sequence number appended for
    /// the computation only (RFC 4303 §2.2.1, §3.3.2.2).
    fn tag(&self, covered: &[&[u8]], seq_high: Option<u32>) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.key);
        for part in covered {
            context.update(part);
        }
        if let Some(high) = seq_high {
            context.update(&high.to_be_bytes());
        }
        context.sign()
    }
}

pub(crate) enum AesEnc {
    A128(Aes128Enc),
    A192(Aes192Enc),
    A256(Aes256Enc),
}

pub(crate) enum AesDec {
    A128(Aes128Dec),
    A192(Aes192Dec),
    A256(Aes256Dec),
}

impl AesEnc {
    fn new(key: &[u8]) -> Result<Self, EspError> {
        let error = || key_length_error("AES-CBC key", 32, key.len());
        Ok(match key.len() {
            16 => Self::A128(Aes128Enc::new_from_slice(key).map_err(|_| error())?),
            24 => Self::A192(Aes192Enc::new_from_slice(key).map_err(|_| error())?),
            32 => Self::A256(Aes256Enc::new_from_slice(key).map_err(|_| error())?),
            _ => return Err(error()),
        })
    }

    /// CBC encryption of whole blocks in place (RFC 3602 §2.3). The key
    /// schedule is copied into the mode's state (and wiped with it).
    fn encrypt(&self, iv: &[u8; AES_BLOCK], buf: &mut [u8]) -> Result<(), ()> {
        let iv = aes::Block::from(*iv);
        let len = buf.len();
        let result = match self {
            Self::A128(c) => cbc::Encryptor::<Aes128Enc>::inner_iv_init(c.clone(), &iv)
                .encrypt_padded_mut::<NoPadding>(buf, len)
                .map(|_| ()),
            Self::A192(c) => cbc::Encryptor::<Aes192Enc>::inner_iv_init(c.clone(), &iv)
                .encrypt_padded_mut::<NoPadding>(buf, len)
                .map(|_| ()),
            Self::A256(c) => cbc::Encryptor::<Aes256Enc>::inner_iv_init(c.clone(), &iv)
                .encrypt_padded_mut::<NoPadding>(buf, len)
                .map(|_| ()),
        };
        result.map_err(|_| ())
    }
}

impl AesDec {
    fn new(key: &[u8]) -> Result<Self, EspError> {
        let error = || key_length_error("AES-CBC key", 32, key.len());
        Ok(match key.len() {
            16 => Self::A128(Aes128Dec::new_from_slice(key).map_err(|_| error())?),
            24 => Self::A192(Aes192Dec::new_from_slice(key).map_err(|_| error())?),
            32 => Self::A256(Aes256Dec::new_from_slice(key).map_err(|_| error())?),
            _ => return Err(error()),
        })
    }

    /// CBC decryption of whole blocks in place (RFC 3602 §2.3).
    fn decrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), ()> {
        let iv = aes::Block::from(<[u8; AES_BLOCK]>::try_from(iv).map_err(|_| ())?);
        let result = match self {
            Self::A128(c) => cbc::Decryptor::<Aes128Dec>::inner_iv_init(c.clone(), &iv)
                .decrypt_padded_mut::<NoPadding>(buf)
                .map(|_| ()),
            Self::A192(c) => cbc::Decryptor::<Aes192Dec>::inner_iv_init(c.clone(), &iv)
                .decrypt_padded_mut::<NoPadding>(buf)
                .map(|_| ()),
            Self::A256(c) => cbc::Decryptor::<Aes256Dec>::inner_iv_init(c.clone(), &iv)
                .decrypt_padded_mut::<NoPadding>(buf)
                .map(|_| ()),
        };
        result.map_err(|_| ())
    }
}

/// The sending half of an SA's transform. One lives as long as its SA and
/// is never moved on the data path, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SealKey {
    Aead(AeadKey),
    /// AES-CBC. `iv_key` is a random AES key of this SA alone; the IV of
    /// the packet with sequence number `n` is `AES(iv_key, 0^64 | n)`, an
    /// unpredictable (RFC 3602 §2.1, RFC 4303 §3.3.2) and never-repeating
    /// value, as NIST SP 800-38A Appendix C describes, without a system
    /// call per packet.
    Cbc {
        aes: AesEnc,
        iv_key: Aes128Enc,
        mac: Option<Mac>,
    },
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aead(_) => f.write_str("SealKey::Aead(..)"),
            Self::Cbc { .. } => f.write_str("SealKey::Cbc(..)"),
        }
    }
}

impl SealKey {
    /// The outbound transform from the suite and its keys (`encr_i`,
    /// `integ_i`).
    pub(crate) fn new(suite: &EspSuite, encr: &[u8], integ: &[u8]) -> Result<Self, EspError> {
        check_suite(suite, encr, integ)?;
        match suite.integrity {
            None => Ok(Self::Aead(AeadKey::new(suite.encryption, encr)?)),
            Some(integrity) => Self::cbc(encr, Some(Mac::new(integrity, integ))),
        }
    }

    fn cbc(key: &[u8], mac: Option<Mac>) -> Result<Self, EspError> {
        let mut iv_key = Zeroizing::new([0u8; AES_BLOCK]);
        SystemRandom::new()
            .fill(iv_key.as_mut())
            .map_err(|_| EspError::RandomFailure)?;
        Ok(Self::Cbc {
            aes: AesEnc::new(key)?,
            iv_key: Aes128Enc::new(&aes::Block::from(*iv_key)),
            mac,
        })
    }

    /// AES-CBC without an ICV, only to run the encryption-only ESP vectors
    /// of RFC 3602 §4.
    #[cfg(test)]
    pub(crate) fn cbc_without_integrity(key: &[u8]) -> Result<Self, EspError> {
        Self::cbc(key, None)
    }

    /// Writes the ESP packet for `payload` into `out`, with the IV the
    /// transform chooses: the sequence number for the AEADs (RFC 4106 §3.1,
    /// RFC 7634 §2: a counter never repeats under one key), the encrypted
    /// sequence number for AES-CBC.
    pub(crate) fn seal(
        &self,
        out: &mut Vec<u8>,
        spi: u32,
        seq: u64,
        esn: bool,
        payload: &[u8],
        next_header: u8,
    ) -> Result<(), EspError> {
        match self {
            Self::Aead(_) => {
                let iv = seq.to_be_bytes();
                self.seal_with_iv(out, spi, seq, esn, &iv, payload, next_header)
            }
            Self::Cbc { iv_key, .. } => {
                let [a, b, c, d, e, f, g, h] = seq.to_be_bytes();
                let mut block = aes::Block::from([0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d, e, f, g, h]);
                iv_key.encrypt_block(&mut block);
                let iv: [u8; AES_BLOCK] = block.into();
                self.seal_with_iv(out, spi, seq, esn, &iv, payload, next_header)
            }
        }
    }

    /// [`SealKey::seal`] with a given IV, which must have the transform's
    /// IV length. Only known-answer tests choose the IV themselves.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn seal_with_iv(
        &self,
        out: &mut Vec<u8>,
        spi: u32,
        seq: u64,
        esn: bool,
        iv: &[u8],
        payload: &[u8],
        next_header: u8,
    ) -> Result<(), EspError> {
        let (align, icv_len, expected_iv) = match self {
            Self::Aead(_) => (AEAD_ALIGN, AEAD_ICV_LEN, AEAD_IV_LEN),
            Self::Cbc { mac, .. } => (AES_BLOCK, mac.as_ref().map_or(0, |m| m.icv_len), AES_BLOCK),
        };
        if iv.len() != expected_iv {
            return Err(EspError::Internal);
        }
        let (high, low) = split_seq(seq);
        let high = esn.then_some(high);
        let padded = payload
            .len()
            .checked_add(TRAILER_LEN)
            .and_then(|n| n.checked_next_multiple_of(align))
            .ok_or(EspError::Internal)?;
        let pad_len = padded - payload.len() - TRAILER_LEN;
        let padding = PADDING.get(..pad_len).ok_or(EspError::Internal)?;
        let pad_len = u8::try_from(pad_len).map_err(|_| EspError::Internal)?;
        let start = out.len();
        out.reserve(ESP_HEADER_LEN + iv.len() + padded + icv_len);
        out.extend_from_slice(&spi.to_be_bytes());
        out.extend_from_slice(&low.to_be_bytes());
        out.extend_from_slice(iv);
        out.extend_from_slice(payload);
        out.extend_from_slice(padding);
        out.extend_from_slice(&[pad_len, next_header]);
        self.protect(out, start, high)
    }

    /// Writes `SPI | Seq | IV | plaintext` and protects it, whatever the
    /// plaintext: for tests that need packets with a valid ICV around a
    /// malformed trailer or ciphertext length. AES-CBC still needs whole
    /// blocks.
    #[cfg(test)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn seal_raw(
        &self,
        out: &mut Vec<u8>,
        spi: u32,
        seq: u64,
        esn: bool,
        iv: &[u8],
        plaintext: &[u8],
    ) -> Result<(), EspError> {
        let (high, low) = split_seq(seq);
        out.clear();
        out.extend_from_slice(&spi.to_be_bytes());
        out.extend_from_slice(&low.to_be_bytes());
        out.extend_from_slice(iv);
        out.extend_from_slice(plaintext);
        self.protect(out, 0, esn.then_some(high))
    }

    /// Encrypts everything after `SPI | Seq | IV` of the packet that starts
    /// at `start` in `out` in place and appends the ICV (RFC 4303 §3.3.2,
    /// §3.3.4). What precedes `start` (earlier packets of a batch) is left
    /// alone.
    fn protect(&self, out: &mut Vec<u8>, start: usize, high: Option<u32>) -> Result<(), EspError> {
        let packet = out.get_mut(start..).ok_or(EspError::Internal)?;
        let header: &[u8; ESP_HEADER_LEN] = packet.first_chunk().ok_or(EspError::Internal)?;
        let [s0, s1, s2, s3, l0, l1, l2, l3] = *header;
        match self {
            Self::Aead(AeadKey { key, salt }) => {
                let (aad, aad_len) = aead_aad([s0, s1, s2, s3], [l0, l1, l2, l3], high);
                let aad = aad.get(..aad_len).ok_or(EspError::Internal)?;
                let (head, body) = packet
                    .split_at_mut_checked(ESP_HEADER_LEN + AEAD_IV_LEN)
                    .ok_or(EspError::Internal)?;
                let iv = head.get(ESP_HEADER_LEN..).ok_or(EspError::Internal)?;
                let nonce = aead_nonce(salt, iv).map_err(|_| EspError::Internal)?;
                let tag = key
                    .seal_in_place_separate_tag(nonce, Aad::from(aad), body)
                    .map_err(|_| EspError::Internal)?;
                out.extend_from_slice(tag.as_ref());
            }
            Self::Cbc { aes, mac, .. } => {
                let (head, body) = packet
                    .split_at_mut_checked(ESP_HEADER_LEN + AES_BLOCK)
                    .ok_or(EspError::Internal)?;
                let iv = head.last_chunk::<AES_BLOCK>().ok_or(EspError::Internal)?;
                aes.encrypt(iv, body).map_err(|_| EspError::Internal)?;
                if let Some(mac) = mac {
                    let sealed = out.get(start..).ok_or(EspError::Internal)?;
                    let tag = mac.tag(&[sealed], high);
                    let icv = tag.as_ref().get(..mac.icv_len).ok_or(EspError::Internal)?;
                    out.extend_from_slice(icv);
                }
            }
        }
        Ok(())
    }
}

/// The receiving half of an SA's transform (sized like [`SealKey`]).
#[allow(clippy::large_enum_variant)]
pub(crate) enum OpenKey {
    Aead(AeadKey),
    Cbc { aes: AesDec, mac: Option<Mac> },
}

impl fmt::Debug for OpenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Aead(_) => f.write_str("OpenKey::Aead(..)"),
            Self::Cbc { .. } => f.write_str("OpenKey::Cbc(..)"),
        }
    }
}

impl OpenKey {
    /// The inbound transform from the suite and its keys (`encr_r`,
    /// `integ_r`).
    pub(crate) fn new(suite: &EspSuite, encr: &[u8], integ: &[u8]) -> Result<Self, EspError> {
        check_suite(suite, encr, integ)?;
        match suite.integrity {
            None => Ok(Self::Aead(AeadKey::new(suite.encryption, encr)?)),
            Some(integrity) => Ok(Self::Cbc {
                aes: AesDec::new(encr)?,
                mac: Some(Mac::new(integrity, integ)),
            }),
        }
    }

    /// AES-CBC without an ICV, only to run the encryption-only ESP vectors
    /// of RFC 3602 §4.
    #[cfg(test)]
    pub(crate) fn cbc_without_integrity(key: &[u8]) -> Result<Self, EspError> {
        Ok(Self::Cbc {
            aes: AesDec::new(key)?,
            mac: None,
        })
    }

    /// Where the ciphertext of an ESP packet of `len` octets lies, after
    /// `SPI | Seq | IV` and before the ICV; [`Drop::Truncated`] if the packet
    /// cannot hold a header, IV, minimal ciphertext and ICV (RFC 4303 §2).
    fn ciphertext_range(&self, len: usize) -> Result<Range<usize>, Drop> {
        let (iv_len, icv_len, min_ciphertext) = match self {
            Self::Aead(_) => (AEAD_IV_LEN, AEAD_ICV_LEN, TRAILER_LEN),
            Self::Cbc { mac, .. } => (AES_BLOCK, mac.as_ref().map_or(0, |m| m.icv_len), AES_BLOCK),
        };
        let start = ESP_HEADER_LEN + iv_len;
        if len < start + min_ciphertext + icv_len {
            return Err(Drop::Truncated);
        }
        Ok(start..len - icv_len)
    }

    /// Verifies the ICV of the ESP packet `esp` and decrypts it into `out`,
    /// which then holds `Payload | Padding | Pad Length | Next Header`
    /// (RFC 4303 §3.4.4). `seq_high` is the inferred high half of an
    /// extended sequence number. Nothing is decrypted before the ICV has
    /// been verified (for AES-CBC, in constant time).
    pub(crate) fn open(
        &self,
        esp: &[u8],
        seq_high: Option<u32>,
        out: &mut Vec<u8>,
    ) -> Result<(), Drop> {
        let range = self.ciphertext_range(esp.len())?;
        let head = esp.get(..range.start).ok_or(Drop::Truncated)?;
        let icv = esp.get(range.end..).ok_or(Drop::Truncated)?;
        let ciphertext = esp.get(range).ok_or(Drop::Truncated)?;
        out.clear();
        out.extend_from_slice(ciphertext);
        self.verify_and_decrypt(head, out, icv, seq_high)
    }

    /// [`OpenKey::open`] in the packet's own buffer: returns where the
    /// plaintext now lies in `packet`. After a failure the ciphertext may
    /// be overwritten.
    pub(crate) fn open_in_place(
        &self,
        packet: &mut [u8],
        seq_high: Option<u32>,
    ) -> Result<Range<usize>, Drop> {
        let range = self.ciphertext_range(packet.len())?;
        let (head, rest) = packet
            .split_at_mut_checked(range.start)
            .ok_or(Drop::Truncated)?;
        let (ciphertext, icv) = rest
            .split_at_mut_checked(range.len())
            .ok_or(Drop::Truncated)?;
        self.verify_and_decrypt(head, ciphertext, icv, seq_high)?;
        Ok(range)
    }

    /// Checks the ICV over `head` (`SPI | Seq | IV`) and the ciphertext,
    /// then decrypts the ciphertext in place.
    fn verify_and_decrypt(
        &self,
        head: &[u8],
        ciphertext: &mut [u8],
        icv: &[u8],
        seq_high: Option<u32>,
    ) -> Result<(), Drop> {
        let (header, iv) = head
            .split_first_chunk::<ESP_HEADER_LEN>()
            .ok_or(Drop::Truncated)?;
        let [s0, s1, s2, s3, l0, l1, l2, l3] = *header;
        match self {
            Self::Aead(AeadKey { key, salt }) => {
                let (aad, aad_len) = aead_aad([s0, s1, s2, s3], [l0, l1, l2, l3], seq_high);
                let aad = aad.get(..aad_len).ok_or(Drop::Truncated)?;
                let nonce = aead_nonce(salt, iv).map_err(|_| Drop::Truncated)?;
                let tag = Tag::try_from(icv).map_err(|_| Drop::Truncated)?;
                key.open_in_place_separate_tag(nonce, Aad::from(aad), tag, ciphertext, 0..)
                    .map_err(|_| Drop::IntegrityFailed)?;
            }
            Self::Cbc { aes, mac } => {
                if let Some(mac) = mac {
                    let tag = mac.tag(&[head, ciphertext], seq_high);
                    let expected = tag.as_ref().get(..mac.icv_len).ok_or(Drop::Truncated)?;
                    if !bool::from(expected.ct_eq(icv)) {
                        return Err(Drop::IntegrityFailed);
                    }
                }
                if !ciphertext.len().is_multiple_of(AES_BLOCK) {
                    return Err(Drop::BadLength);
                }
                aes.decrypt(iv, ciphertext).map_err(|_| Drop::BadLength)?;
            }
        }
        Ok(())
    }
}

/// Splits `Payload | Padding | Pad Length | Next Header` (RFC 4303 §2.4),
/// checking that the padding is the default 1, 2, 3, ... sequence. Returns
/// the payload length and the Next Header.
pub(crate) fn strip_trailer(plain: &[u8]) -> Result<(usize, u8), Drop> {
    let (&next_header, rest) = plain.split_last().ok_or(Drop::BadPadding)?;
    let (&pad_len, rest) = rest.split_last().ok_or(Drop::BadPadding)?;
    let payload_len = rest
        .len()
        .checked_sub(usize::from(pad_len))
        .ok_or(Drop::BadPadding)?;
    let padding = rest.get(payload_len..).ok_or(Drop::BadPadding)?;
    if !padding
        .iter()
        .zip(1u8..)
        .all(|(byte, expected)| *byte == expected)
    {
        return Err(Drop::BadPadding);
    }
    Ok((payload_len, next_header))
}
