//! IKE SA and Child SA key derivation (RFC 7296 §2.14, §2.17, §2.18).

use super::{CryptoError, IkeSuite, Prf, SecretBytes};

/// The seven IKE SA keys, taken in this order from
/// `prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)` (RFC 7296 §2.14).
///
/// `sk_ai`/`sk_ar` are empty for AEAD suites; `sk_ei`/`sk_er` then end with
/// the 4-byte salt (RFC 5282 §7.1, RFC 7634 §4). `Debug` shows only lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeKeys {
    /// Key for deriving Child SA keys and rekeyed IKE SA keys.
    pub sk_d: SecretBytes,
    /// Integrity key for messages from the original initiator.
    pub sk_ai: SecretBytes,
    /// Integrity key for messages from the original responder.
    pub sk_ar: SecretBytes,
    /// Encryption key (and AEAD salt) for messages from the original
    /// initiator.
    pub sk_ei: SecretBytes,
    /// Encryption key (and AEAD salt) for messages from the original
    /// responder.
    pub sk_er: SecretBytes,
    /// Key for the initiator's AUTH payload (RFC 7296 §2.15).
    pub sk_pi: SecretBytes,
    /// Key for the responder's AUTH payload (RFC 7296 §2.15).
    pub sk_pr: SecretBytes,
}

/// Child SA keys, taken in this order from KEYMAT (RFC 7296 §2.17): first
/// the initiator-to-responder encryption and integrity keys, then the
/// responder-to-initiator ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSaKeys {
    /// Encryption key (and salt, for AEADs) for initiator-to-responder
    /// traffic.
    pub encr_i: SecretBytes,
    /// Integrity key for initiator-to-responder traffic (empty for AEADs).
    pub integ_i: SecretBytes,
    /// Encryption key (and salt, for AEADs) for responder-to-initiator
    /// traffic.
    pub encr_r: SecretBytes,
    /// Integrity key for responder-to-initiator traffic (empty for AEADs).
    pub integ_r: SecretBytes,
}

/// `SKEYSEED = prf(Ni | Nr, g^ir)` (RFC 7296 §2.14).
///
/// `ni` and `nr` are the nonces without payload headers; `shared` is g^ir
/// as returned by [`super::KeyExchange::agree`].
pub fn skeyseed(prf: Prf, ni: &[u8], nr: &[u8], shared: &[u8]) -> SecretBytes {
    let key = SecretBytes::new([ni, nr].concat());
    prf.compute(key.as_bytes(), shared)
}

/// `SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)` for a rekeyed IKE SA
/// (RFC 7296 §2.18). `old_prf` is the PRF of the IKE SA being rekeyed:
/// "it is the old IKE SA's PRF that is used to generate SKEYSEED".
pub fn rekeyed_skeyseed(
    old_prf: Prf,
    old_sk_d: &[u8],
    shared: &[u8],
    ni: &[u8],
    nr: &[u8],
) -> SecretBytes {
    old_prf.compute_parts(old_sk_d, &[shared, ni, nr])
}

/// Derives the IKE SA keys after IKE_SA_INIT (RFC 7296 §2.14):
///
/// ```text
/// SKEYSEED = prf(Ni | Nr, g^ir)
/// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
///     = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
/// ```
///
/// Key lengths come from the suite: SK_d/SK_pi/SK_pr have the PRF's key
/// length, SK_a* the integrity key length (none for AEADs) and SK_e* the
/// cipher key length plus the AEAD salt.
pub fn derive_ike_keys(
    suite: &IkeSuite,
    ni: &[u8],
    nr: &[u8],
    shared: &[u8],
    spi_i: [u8; 8],
    spi_r: [u8; 8],
) -> Result<IkeKeys, CryptoError> {
    suite.validate()?;
    let seed = skeyseed(suite.prf, ni, nr, shared);
    expand_ike_keys(suite, seed.as_bytes(), ni, nr, spi_i, spi_r)
}

/// Derives the keys of a new IKE SA created by rekeying (RFC 7296 §2.18):
/// SKEYSEED comes from [`rekeyed_skeyseed`] with the old SA's PRF and SK_d,
/// and the seven keys from prf+ as in §2.14 with the new SA's PRF
/// (`new_suite.prf`).
///
/// `ni`/`nr` are the nonces of the CREATE_CHILD_SA exchange; `spi_i`/`spi_r`
/// are the new IKE SA's SPIs, from the SA payloads of that exchange.
#[allow(clippy::too_many_arguments)]
pub fn derive_rekeyed_ike_keys(
    old_prf: Prf,
    old_sk_d: &[u8],
    new_suite: &IkeSuite,
    ni: &[u8],
    nr: &[u8],
    shared: &[u8],
    spi_i: [u8; 8],
    spi_r: [u8; 8],
) -> Result<IkeKeys, CryptoError> {
    new_suite.validate()?;
    let seed = rekeyed_skeyseed(old_prf, old_sk_d, shared, ni, nr);
    expand_ike_keys(new_suite, seed.as_bytes(), ni, nr, spi_i, spi_r)
}

fn expand_ike_keys(
    suite: &IkeSuite,
    skeyseed: &[u8],
    ni: &[u8],
    nr: &[u8],
    spi_i: [u8; 8],
    spi_r: [u8; 8],
) -> Result<IkeKeys, CryptoError> {
    let prf_len = suite.prf.key_len();
    let integ_len = suite.integ_key_len();
    let encr_len = suite.encr_keymat_len();
    let keymat =
        suite
            .prf
            .prf_plus_parts(skeyseed, &[ni, nr, &spi_i, &spi_r], suite.ike_keymat_len())?;
    let mut rest = keymat.as_bytes();
    Ok(IkeKeys {
        sk_d: take(&mut rest, prf_len)?,
        sk_ai: take(&mut rest, integ_len)?,
        sk_ar: take(&mut rest, integ_len)?,
        sk_ei: take(&mut rest, encr_len)?,
        sk_er: take(&mut rest, encr_len)?,
        sk_pi: take(&mut rest, prf_len)?,
        sk_pr: take(&mut rest, prf_len)?,
    })
}

/// `KEYMAT = prf+(SK_d, Ni | Nr)`, or with a fresh key exchange
/// `KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)` (RFC 7296 §2.17), truncated to
/// `len` bytes.
///
/// For the first Child SA (created in IKE_AUTH) `ni`/`nr` are the
/// IKE_SA_INIT nonces; for CREATE_CHILD_SA they are that exchange's nonces.
pub fn child_sa_keymat(
    prf: Prf,
    sk_d: &[u8],
    shared: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> Result<SecretBytes, CryptoError> {
    match shared {
        Some(shared) => prf.prf_plus_parts(sk_d, &[shared, ni, nr], len),
        None => prf.prf_plus_parts(sk_d, &[ni, nr], len),
    }
}

/// Derives KEYMAT with [`child_sa_keymat`] and splits it into the four Child
/// SA keys (RFC 7296 §2.17): `encr_len` bytes of encryption key (including
/// any salt) and `integ_len` bytes of integrity key (0 for AEADs) per
/// direction, initiator-to-responder first.
pub fn derive_child_sa_keys(
    prf: Prf,
    sk_d: &[u8],
    shared: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    encr_len: usize,
    integ_len: usize,
) -> Result<ChildSaKeys, CryptoError> {
    let per_direction = encr_len
        .checked_add(integ_len)
        .ok_or(CryptoError::Internal)?;
    let total = per_direction.checked_mul(2).ok_or(CryptoError::Internal)?;
    let keymat = child_sa_keymat(prf, sk_d, shared, ni, nr, total)?;
    let mut rest = keymat.as_bytes();
    Ok(ChildSaKeys {
        encr_i: take(&mut rest, encr_len)?,
        integ_i: take(&mut rest, integ_len)?,
        encr_r: take(&mut rest, encr_len)?,
        integ_r: take(&mut rest, integ_len)?,
    })
}

/// Splits the next `len` bytes off `rest` into a new secret.
fn take(rest: &mut &[u8], len: usize) -> Result<SecretBytes, CryptoError> {
    let (head, tail) = rest.split_at_checked(len).ok_or(CryptoError::Internal)?;
    *rest = tail;
    Ok(SecretBytes::from_slice(head))
}
