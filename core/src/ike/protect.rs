//! Sealing and opening the Encrypted payload SK of a whole message
//! (RFC 7296 §3.14; AEAD framing per RFC 5282 §5 and RFC 7634 §3).

use zeroize::Zeroizing;

use crate::crypto::{CryptoError, SkCipher};

use super::error::{DecodeError, EncodeError};
use super::header::{Header, HEADER_LEN};
use super::message::{Message, MAX_MESSAGE_LEN};
use super::payload::{decode_chain, encode_chain, Payload, GENERIC_HEADER_LEN};
use super::reader::len16;
use super::types::PayloadType;

/// Why a protected message could not be built or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtectError {
    /// The message has no SK payload.
    #[error("the message has no encrypted payload")]
    NotEncrypted,
    /// Integrity check or decryption failed (wrong keys or a forged message).
    #[error("the encrypted payload failed its integrity check: {0}")]
    Crypto(#[from] CryptoError),
    /// The decrypted payload chain is malformed.
    #[error("the decrypted payloads are malformed: {0}")]
    Inner(#[from] DecodeError),
    /// The inner payloads cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Builds a message whose payloads all travel inside one SK payload.
/// `header` supplies SPIs, exchange, flags and message ID; its next payload
/// and length are set here.
pub fn seal_message(
    mut header: Header,
    inner: &[Payload],
    cipher: &mut SkCipher,
) -> Result<Vec<u8>, ProtectError> {
    let mut plaintext = Zeroizing::new(Vec::new());
    let first_inner = encode_chain(inner, &mut plaintext)?;
    let body_len = cipher.sealed_len(plaintext.len());
    let sk_len = GENERIC_HEADER_LEN + body_len;
    let total = HEADER_LEN + sk_len;
    if total > MAX_MESSAGE_LEN {
        return Err(EncodeError::TooLong {
            what: "IKE message",
            length: total,
        }
        .into());
    }
    header.next_payload = PayloadType::Encrypted;
    header.length = u32::try_from(total).map_err(|_| EncodeError::TooLong {
        what: "IKE message",
        length: total,
    })?;
    let mut out = Vec::with_capacity(total);
    header.encode_into(&mut out);
    out.push(first_inner.raw());
    out.push(0);
    out.extend_from_slice(&len16(sk_len, "SK payload")?.to_be_bytes());
    let body = cipher.seal(&out, &plaintext)?;
    if body.len() != body_len {
        return Err(EncodeError::Invalid("cipher output differs from its announced length").into());
    }
    out.extend_from_slice(&body);
    Ok(out)
}

/// Verifies and decrypts the SK payload of `message`, which was decoded from
/// `datagram`, and decodes the inner payload chain.
pub fn open_message(
    datagram: &[u8],
    message: &Message,
    cipher: &SkCipher,
) -> Result<Vec<Payload>, ProtectError> {
    let Some(Payload::Encrypted(sk)) = message.payloads.last() else {
        return Err(ProtectError::NotEncrypted);
    };
    // SK is the last payload, so its body is the datagram's tail and all
    // bytes before it are the associated data.
    let aad = datagram
        .len()
        .checked_sub(sk.body.len())
        .and_then(|n| datagram.get(..n))
        .ok_or(ProtectError::NotEncrypted)?;
    let plaintext = Zeroizing::new(cipher.open(aad, &sk.body)?);
    Ok(decode_chain(sk.first_inner, &plaintext)?)
}
