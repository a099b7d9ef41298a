//! A whole IKE message: header and payload chain (RFC 7296 §3.1–3.2).

use super::error::{DecodeError, EncodeError};
use super::header::{Header, HEADER_LEN};
use super::payload::{decode_chain, encode_chain, Notify, Payload};
use super::reader::Reader;
use super::types::NotifyType;

/// The largest IKE message we accept or build. RFC 7296 §2 requires 1280
/// bytes; certificate chains make real messages larger, but a datagram over
/// 64 KiB cannot be a legitimate IKE message.
pub const MAX_MESSAGE_LEN: usize = 65_535;

/// An IKE message as it travels, with the SK payload still encrypted.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Message {
    /// The fixed header; `next_payload` and `length` are recomputed by [`Message::encode`].
    pub header: Header,
    /// The outer payload chain.
    pub payloads: Vec<Payload>,
}

impl Message {
    /// Decodes one datagram (without the non-ESP marker). The header's
    /// length must match the datagram exactly (RFC 7296 §3.1).
    pub fn decode(datagram: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(datagram);
        let header = Header::read(&mut r)?;
        let length = usize::try_from(header.length).unwrap_or(usize::MAX);
        if length != datagram.len() {
            return Err(DecodeError::LengthMismatch {
                header: length,
                datagram: datagram.len(),
            });
        }
        let payloads = decode_chain(header.next_payload, r.take_rest())?;
        Ok(Self { header, payloads })
    }

    /// Encodes the message, filling in the header's Next Payload and Length.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut chain = Vec::new();
        let first = encode_chain(&self.payloads, &mut chain)?;
        let total = HEADER_LEN + chain.len();
        if total > MAX_MESSAGE_LEN {
            return Err(EncodeError::TooLong {
                what: "IKE message",
                length: total,
            });
        }
        let mut header = self.header;
        header.next_payload = first;
        header.length = u32::try_from(total).map_err(|_| EncodeError::TooLong {
            what: "IKE message",
            length: total,
        })?;
        let mut out = Vec::with_capacity(total);
        header.encode_into(&mut out);
        out.extend_from_slice(&chain);
        Ok(out)
    }

    /// The notifications in the outer chain.
    pub fn notifies(&self) -> impl Iterator<Item = &Notify> + '_ {
        notifies(&self.payloads)
    }

    /// The first notification of a type in the outer chain.
    pub fn notify(&self, kind: NotifyType) -> Option<&Notify> {
        self.notifies().find(|n| n.kind == kind)
    }
}

/// The notifications in a payload chain (outer or decrypted inner).
pub fn notifies(payloads: &[Payload]) -> impl Iterator<Item = &Notify> + '_ {
    payloads.iter().filter_map(|p| match p {
        Payload::Notify(n) => Some(n),
        _ => None,
    })
}
