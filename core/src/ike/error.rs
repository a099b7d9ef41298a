//! Decoding errors of the IKEv2 codec.
//!
//! Every way a datagram can be malformed has its own variant, so the engine
//! can count and log it and answer per RFC 7296 §2.21 where it must.

use super::types::PayloadType;

/// Why an IKEv2 message or payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the structure needs.
    #[error("truncated {what}: need {needed} bytes, have {available}")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length field is smaller than its own header or runs past its container.
    #[error("bad length in {what}: {length} (allowed {min}..={max})")]
    BadLength {
        /// The structure whose length field is wrong.
        what: &'static str,
        /// The length it claims.
        length: usize,
        /// The smallest valid length.
        min: usize,
        /// The largest length its container allows.
        max: usize,
    },
    /// The IKE header's major version is not 2 (RFC 7296 §3.1).
    #[error("unsupported IKE major version {0}")]
    UnsupportedVersion(u8),
    /// The message length in the IKE header differs from the datagram.
    #[error("IKE header says {header} bytes, datagram has {datagram}")]
    LengthMismatch {
        /// Length from the IKE header.
        header: usize,
        /// Bytes actually received.
        datagram: usize,
    },
    /// Bytes left over after the last payload of the chain.
    #[error("{0} bytes after the last payload")]
    TrailingBytes(usize),
    /// The chain names a next payload but the message has ended.
    #[error("payload chain ends early: {0} announced but no bytes left")]
    ChainEndsEarly(PayloadType),
    /// An unknown payload type with the critical bit set (RFC 7296 §2.5).
    #[error("unsupported critical payload type {0}")]
    UnsupportedCriticalPayload(u8),
    /// The Encrypted (SK) or Encrypted Fragment (SKF) payload is not the last one (RFC 7296 §3.14).
    #[error("encrypted payload is not the last payload")]
    EncryptedNotLast,
    /// More payloads than a message may reasonably carry.
    #[error("more than {0} payloads in one chain")]
    TooManyPayloads(usize),
    /// A count field disagrees with what follows it.
    #[error("{what}: count says {declared}, found {found}")]
    CountMismatch {
        /// The structure with the count field.
        what: &'static str,
        /// The count the field declares.
        declared: usize,
        /// The number actually present.
        found: usize,
    },
    /// A substructure's "last" marker has a value RFC 7296 §3.3 does not allow.
    #[error("{what}: invalid last-substructure value {value}")]
    BadSubstructureMarker {
        /// The substructure (proposal or transform).
        what: &'static str,
        /// The value seen.
        value: u8,
    },
    /// A field holds a value its definition does not allow.
    #[error("{what}: invalid value {value}")]
    InvalidValue {
        /// The field.
        what: &'static str,
        /// The value seen.
        value: u64,
    },
}

/// Why a structure could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A length does not fit its wire field.
    #[error("{what} is {length} bytes, more than its length field can express")]
    TooLong {
        /// The structure that is too long.
        what: &'static str,
        /// Its length.
        length: usize,
    },
    /// A count does not fit its wire field.
    #[error("too many {what}: {count}")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// How many there are.
        count: usize,
    },
    /// A value cannot be represented on the wire.
    #[error("{0}")]
    Invalid(&'static str),
}
