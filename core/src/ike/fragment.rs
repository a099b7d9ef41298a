//! IKE message fragmentation (RFC 7383): splitting an encrypted message into
//! Encrypted Fragment (SKF) payloads, and putting received ones back together.

use zeroize::Zeroizing;

use crate::crypto::SkCipher;

use super::error::EncodeError;
use super::header::{Header, HEADER_LEN};
use super::payload::{decode_chain, encode_chain, EncryptedFragment, Payload, GENERIC_HEADER_LEN};
use super::protect::ProtectError;
use super::reader::len16;
use super::types::PayloadType;

/// Size of the SKF header after the generic payload header: Fragment
/// Number and Total Fragments (RFC 7383 §2.5).
const SKF_FIELDS_LEN: usize = 4;
/// No message is split into more fragments than this (RFC 7383 §2.6 leaves
/// the limit to implementations; 32 fragments of 1280 bytes cover any
/// certificate chain we will meet).
pub const MAX_FRAGMENTS: u16 = 32;

/// Seals `inner` into one or more datagrams no larger than `max_datagram`
/// (IKE header included, non-ESP marker not). A message that fits is sent
/// as a single SK payload; one that does not is split into SKF payloads
/// (RFC 7383 §2.5), each with its own IV and ICV.
pub fn seal_fragmented(
    header: Header,
    inner: &[Payload],
    cipher: &mut SkCipher,
    max_datagram: usize,
) -> Result<Vec<Vec<u8>>, ProtectError> {
    let mut plaintext = Zeroizing::new(Vec::new());
    let first_inner = encode_chain(inner, &mut plaintext)?;
    let whole = HEADER_LEN + GENERIC_HEADER_LEN + cipher.sealed_len(plaintext.len());
    if whole <= max_datagram {
        return Ok(vec![super::protect::seal_message(header, inner, cipher)?]);
    }
    let overhead = HEADER_LEN + GENERIC_HEADER_LEN + SKF_FIELDS_LEN + cipher.sealed_len(0);
    // The largest plaintext chunk whose sealed fragment still fits; for
    // block ciphers, sealed_len rounds up, so search downwards.
    let mut chunk = max_datagram.saturating_sub(overhead);
    while chunk > 0 && overhead - cipher.sealed_len(0) + cipher.sealed_len(chunk) > max_datagram {
        chunk -= 1;
    }
    if chunk == 0 {
        return Err(EncodeError::Invalid("fragment size too small for any payload").into());
    }
    let pieces: Vec<&[u8]> = plaintext.chunks(chunk).collect();
    let total = u16::try_from(pieces.len())
        .ok()
        .filter(|n| *n <= MAX_FRAGMENTS)
        .ok_or(EncodeError::TooMany {
            what: "IKE fragments",
            count: pieces.len(),
        })?;
    let mut out = Vec::with_capacity(pieces.len());
    for (piece, number) in pieces.into_iter().zip(1u16..) {
        let body_len = cipher.sealed_len(piece.len());
        let skf_len = GENERIC_HEADER_LEN + SKF_FIELDS_LEN + body_len;
        let datagram_len = HEADER_LEN + skf_len;
        let mut h = header;
        h.next_payload = PayloadType::EncryptedFragment;
        h.length = u32::try_from(datagram_len).map_err(|_| EncodeError::TooLong {
            what: "IKE fragment",
            length: datagram_len,
        })?;
        let mut datagram = Vec::with_capacity(datagram_len);
        h.encode_into(&mut datagram);
        // RFC 7383 §2.5: only the first fragment names the first inner payload.
        let next = if number == 1 {
            first_inner
        } else {
            PayloadType::NoNextPayload
        };
        datagram.push(next.raw());
        datagram.push(0);
        datagram.extend_from_slice(&len16(skf_len, "SKF payload")?.to_be_bytes());
        datagram.extend_from_slice(&number.to_be_bytes());
        datagram.extend_from_slice(&total.to_be_bytes());
        let body = cipher.seal(&datagram, piece)?;
        datagram.extend_from_slice(&body);
        out.push(datagram);
    }
    Ok(out)
}

/// Collects the fragments of one message (one message ID) until all have
/// arrived (RFC 7383 §2.6). Each fragment is authenticated on arrival, so
/// a forged fragment cannot displace a real one.
#[derive(Debug)]
pub struct Reassembly {
    message_id: Option<u32>,
    total: u16,
    first_inner: PayloadType,
    parts: Vec<Option<Zeroizing<Vec<u8>>>>,
}

impl Default for Reassembly {
    fn default() -> Self {
        Self {
            message_id: None,
            total: 0,
            first_inner: PayloadType::NoNextPayload,
            parts: Vec::new(),
        }
    }
}

/// The outcome of adding one fragment.
#[derive(Debug)]
pub enum FragmentProgress {
    /// More fragments are needed.
    Incomplete {
        /// Fragments held so far.
        have: u16,
        /// Fragments in the message.
        total: u16,
    },
    /// The message is whole: its inner payloads.
    Complete(Vec<Payload>),
}

impl Reassembly {
    /// Opens and stores one SKF fragment of the message `datagram` carries.
    pub fn add(
        &mut self,
        message_id: u32,
        datagram: &[u8],
        skf: &EncryptedFragment,
        cipher: &SkCipher,
    ) -> Result<FragmentProgress, ProtectError> {
        let aad = datagram
            .len()
            .checked_sub(skf.body.len())
            .and_then(|n| datagram.get(..n))
            .ok_or(ProtectError::NotEncrypted)?;
        let plaintext = Zeroizing::new(cipher.open(aad, &skf.body)?);
        if self.message_id != Some(message_id) || self.total != skf.total {
            // A new message, or the sender re-fragmented with a different
            // size (RFC 7383 §2.6.1): start over.
            self.message_id = Some(message_id);
            self.total = skf.total.min(MAX_FRAGMENTS);
            self.parts = (0..self.total).map(|_| None).collect();
            self.first_inner = PayloadType::NoNextPayload;
        }
        if skf.total > MAX_FRAGMENTS {
            return Err(EncodeError::TooMany {
                what: "IKE fragments",
                count: usize::from(skf.total),
            }
            .into());
        }
        let index = usize::from(skf.number).saturating_sub(1);
        if skf.number == 1 {
            self.first_inner = skf.first_inner;
        }
        if let Some(slot) = self.parts.get_mut(index) {
            *slot = Some(plaintext);
        }
        let have = u16::try_from(self.parts.iter().filter(|p| p.is_some()).count()).unwrap_or(0);
        if have < self.total {
            return Ok(FragmentProgress::Incomplete {
                have,
                total: self.total,
            });
        }
        let mut whole = Zeroizing::new(Vec::new());
        for part in self.parts.iter().flatten() {
            whole.extend_from_slice(part);
        }
        let first = self.first_inner;
        *self = Self::default();
        Ok(FragmentProgress::Complete(decode_chain(first, &whole)?))
    }
}
