//! IKEv2 payloads and the payload chain (RFC 7296 §3.2).
//!
//! Each payload starts with a generic header: the type of the *next*
//! payload, a critical bit, and the payload's length. A chain is decoded
//! strictly by position, so it can neither loop nor overrun: every length is
//! checked against what is left, a length shorter than its header is an
//! error, and the chain must end exactly where the message ends.

mod basic;
mod cp;
mod eap;
mod encrypted;
mod notify;
mod sa;
mod ts;

pub use basic::{
    Authentication, Certificate, CertificateRequest, Delete, Identification, KeyExchange, Nonce,
    NONCE_MAX, NONCE_MIN,
};
pub use cp::{CfgAttribute, CfgValue, Configuration};
pub use eap::EapMessage;
pub use encrypted::{Encrypted, EncryptedFragment};
pub use notify::Notify;
pub(crate) use sa::patch_length;
pub use sa::{Attribute, Proposal, SecurityAssociation, Transform};
pub use ts::{AddressRange, TrafficSelector, TrafficSelectors};

use super::error::{DecodeError, EncodeError};
use super::reader::Reader;
use super::types::PayloadType;

/// Size of the generic payload header (RFC 7296 §3.2).
pub const GENERIC_HEADER_LEN: usize = 4;
/// The critical bit in the generic payload header.
const CRITICAL: u8 = 0x80;
/// No legitimate message carries more payloads than this; a chain of
/// thousands of empty payloads is refused early.
pub const MAX_PAYLOADS: usize = 128;

/// One decoded payload.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Payload {
    /// SA (RFC 7296 §3.3).
    SecurityAssociation(SecurityAssociation),
    /// KE (§3.4).
    KeyExchange(KeyExchange),
    /// IDi (§3.5).
    IdInitiator(Identification),
    /// IDr (§3.5).
    IdResponder(Identification),
    /// CERT (§3.6).
    Certificate(Certificate),
    /// CERTREQ (§3.7).
    CertificateRequest(CertificateRequest),
    /// AUTH (§3.8).
    Authentication(Authentication),
    /// Ni / Nr (§3.9).
    Nonce(Nonce),
    /// N (§3.10).
    Notify(Notify),
    /// D (§3.11).
    Delete(Delete),
    /// V (§3.12).
    VendorId(Vec<u8>),
    /// TSi (§3.13).
    TsInitiator(TrafficSelectors),
    /// TSr (§3.13).
    TsResponder(TrafficSelectors),
    /// SK (§3.14), always the last payload.
    Encrypted(Encrypted),
    /// CP (§3.15).
    Configuration(Configuration),
    /// EAP (§3.16).
    Eap(EapMessage),
    /// SKF (RFC 7383 §2.5), always the last payload.
    EncryptedFragment(EncryptedFragment),
    /// A payload type this version does not know, sent without the
    /// critical bit; kept so it can be skipped, logged and re-encoded.
    Unknown {
        /// Its type number.
        kind: u8,
        /// Its critical bit (always false once decoded: critical unknown
        /// payloads are refused).
        critical: bool,
        /// The body after the generic header.
        body: Vec<u8>,
    },
}

impl Payload {
    /// The payload type number written in the previous header.
    pub fn kind(&self) -> PayloadType {
        match self {
            Self::SecurityAssociation(_) => PayloadType::SecurityAssociation,
            Self::KeyExchange(_) => PayloadType::KeyExchange,
            Self::IdInitiator(_) => PayloadType::IdInitiator,
            Self::IdResponder(_) => PayloadType::IdResponder,
            Self::Certificate(_) => PayloadType::Certificate,
            Self::CertificateRequest(_) => PayloadType::CertificateRequest,
            Self::Authentication(_) => PayloadType::Authentication,
            Self::Nonce(_) => PayloadType::Nonce,
            Self::Notify(_) => PayloadType::Notify,
            Self::Delete(_) => PayloadType::Delete,
            Self::VendorId(_) => PayloadType::VendorId,
            Self::TsInitiator(_) => PayloadType::TsInitiator,
            Self::TsResponder(_) => PayloadType::TsResponder,
            Self::Encrypted(_) => PayloadType::Encrypted,
            Self::Configuration(_) => PayloadType::Configuration,
            Self::Eap(_) => PayloadType::Eap,
            Self::EncryptedFragment(_) => PayloadType::EncryptedFragment,
            Self::Unknown { kind, .. } => PayloadType::from(*kind),
        }
    }

    /// The value of this payload's own Next Payload field when it is
    /// followed by `next`: the SK and SKF payloads name their first inner
    /// payload instead (RFC 7296 §3.14).
    fn next_field(&self, next: PayloadType) -> PayloadType {
        match self {
            Self::Encrypted(sk) => sk.first_inner,
            Self::EncryptedFragment(skf) => skf.first_inner,
            _ => next,
        }
    }
}

/// Decodes a payload chain that starts with a payload of type `first` and
/// must fill `bytes` exactly.
pub fn decode_chain(first: PayloadType, bytes: &[u8]) -> Result<Vec<Payload>, DecodeError> {
    let mut r = Reader::new(bytes);
    let mut next = first;
    let mut payloads = Vec::new();
    loop {
        if next == PayloadType::NoNextPayload {
            if !r.is_empty() {
                return Err(DecodeError::TrailingBytes(r.remaining()));
            }
            return Ok(payloads);
        }
        if r.is_empty() {
            return Err(DecodeError::ChainEndsEarly(next));
        }
        if payloads.len() >= MAX_PAYLOADS {
            return Err(DecodeError::TooManyPayloads(MAX_PAYLOADS));
        }
        let kind = next;
        next = PayloadType::from(r.u8("generic payload header")?);
        let critical = r.u8("generic payload header")? & CRITICAL != 0;
        let length = r.u16("generic payload header")?;
        let body = r.sub_by_length(length, GENERIC_HEADER_LEN, "payload")?;
        let payload = decode_body(kind, next, critical, body)?;
        if matches!(
            payload,
            Payload::Encrypted(_) | Payload::EncryptedFragment(_)
        ) {
            // The Next Payload field of SK/SKF names the first inner
            // payload; nothing may follow it in the outer chain.
            if !r.is_empty() {
                return Err(DecodeError::EncryptedNotLast);
            }
            payloads.push(payload);
            return Ok(payloads);
        }
        payloads.push(payload);
    }
}

fn decode_body(
    kind: PayloadType,
    next: PayloadType,
    critical: bool,
    mut body: Reader<'_>,
) -> Result<Payload, DecodeError> {
    use PayloadType as T;
    Ok(match kind {
        T::SecurityAssociation => Payload::SecurityAssociation(SecurityAssociation::decode(body)?),
        T::KeyExchange => Payload::KeyExchange(KeyExchange::decode(body)?),
        T::IdInitiator => Payload::IdInitiator(Identification::decode(body)?),
        T::IdResponder => Payload::IdResponder(Identification::decode(body)?),
        T::Certificate => Payload::Certificate(Certificate::decode(body)?),
        T::CertificateRequest => Payload::CertificateRequest(CertificateRequest::decode(body)?),
        T::Authentication => Payload::Authentication(Authentication::decode(body)?),
        T::Nonce => Payload::Nonce(Nonce::decode(body)?),
        T::Notify => Payload::Notify(Notify::decode(body)?),
        T::Delete => Payload::Delete(Delete::decode(body)?),
        T::VendorId => Payload::VendorId(body.take_rest().to_vec()),
        T::TsInitiator => Payload::TsInitiator(TrafficSelectors::decode(body)?),
        T::TsResponder => Payload::TsResponder(TrafficSelectors::decode(body)?),
        T::Encrypted => Payload::Encrypted(Encrypted {
            first_inner: next,
            body: body.take_rest().to_vec(),
        }),
        T::Configuration => Payload::Configuration(Configuration::decode(body)?),
        T::Eap => Payload::Eap(EapMessage::decode(body)?),
        T::EncryptedFragment => Payload::EncryptedFragment(EncryptedFragment::decode(next, body)?),
        T::NoNextPayload | T::Unknown(_) => {
            // RFC 7296 §2.5: an unknown payload with the critical bit set
            // makes the whole message unacceptable; without it, skip it.
            if critical {
                return Err(DecodeError::UnsupportedCriticalPayload(kind.raw()));
            }
            Payload::Unknown {
                kind: kind.raw(),
                critical,
                body: body.take_rest().to_vec(),
            }
        }
    })
}

/// Encodes a payload chain, returning the type of its first payload (for
/// the IKE header or the SK header). The SK/SKF payload, if any, must be last.
pub fn encode_chain(payloads: &[Payload], out: &mut Vec<u8>) -> Result<PayloadType, EncodeError> {
    for (index, payload) in payloads.iter().enumerate() {
        let following = payloads.get(index + 1);
        if matches!(
            payload,
            Payload::Encrypted(_) | Payload::EncryptedFragment(_)
        ) && following.is_some()
        {
            return Err(EncodeError::Invalid("SK/SKF must be the last payload"));
        }
        let next = following.map_or(PayloadType::NoNextPayload, Payload::kind);
        encode_payload(payload, payload.next_field(next), out)?;
    }
    Ok(payloads
        .first()
        .map_or(PayloadType::NoNextPayload, Payload::kind))
}

fn encode_payload(
    payload: &Payload,
    next: PayloadType,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.push(next.raw());
    let critical = matches!(payload, Payload::Unknown { critical: true, .. });
    out.push(if critical { CRITICAL } else { 0 });
    out.extend_from_slice(&[0, 0]);
    match payload {
        Payload::SecurityAssociation(sa) => sa.encode(out)?,
        Payload::KeyExchange(ke) => ke.encode(out),
        Payload::IdInitiator(id) | Payload::IdResponder(id) => id.encode(out),
        Payload::Certificate(cert) => cert.encode(out),
        Payload::CertificateRequest(req) => req.encode(out),
        Payload::Authentication(auth) => auth.encode(out),
        Payload::Nonce(nonce) => out.extend_from_slice(&nonce.0),
        Payload::Notify(notify) => notify.encode(out)?,
        Payload::Delete(delete) => delete.encode(out)?,
        Payload::VendorId(data) => out.extend_from_slice(data),
        Payload::TsInitiator(ts) | Payload::TsResponder(ts) => ts.encode(out)?,
        Payload::Encrypted(sk) => out.extend_from_slice(&sk.body),
        Payload::Configuration(cp) => cp.encode(out)?,
        Payload::Eap(eap) => eap.encode(out)?,
        Payload::EncryptedFragment(skf) => skf.encode(out),
        Payload::Unknown { body, .. } => out.extend_from_slice(body),
    }
    patch_length(out, start, "payload")
}
