//! EAP for IKEv2: the peer side of RFC 3748 and the EAP-MSCHAPv2 method.
//!
//! In IKEv2 (RFC 7296 §2.16) the initiator leaves the AUTH payload out of
//! its first IKE_AUTH request; the responder then carries EAP-Requests in
//! EAP payloads and the initiator answers each with an EAP-Response, until
//! the responder sends EAP-Success or EAP-Failure. After EAP-Success both
//! sides compute the AUTH payloads from the method's MSK
//! (`prf(prf(MSK, "Key Pad for IKEv2"), <SignedOctets>)`, RFC 7296 §2.15).
//!
//! - [`EapPeer`] is the peer state machine (RFC 3748 §2, §4, §5): it
//!   answers Identity and Notification, Naks methods it does not run,
//!   hands requests of its method to an [`EapMethod`], answers duplicates
//!   with the cached response and accepts EAP-Success only once the method
//!   has completed.
//! - [`EapMethod`] is the interface of an authentication method.
//! - [`mschapv2::MsChapV2`] is EAP-MSCHAPv2
//!   (draft-kamath-pppext-eap-mschapv2-02 framing, RFC 2759 algorithms,
//!   RFC 3079 keys).
//!
//! Every input is treated as hostile: malformed packets become an
//! [`EapError`], never a panic. Passwords, NT hashes, master keys and MSKs
//! are held in zeroizing containers and never appear in `Debug` output or
//! error messages.

use core::fmt;

use crate::crypto::SecretBytes;
use crate::ike::types::{EapCode, EapType};

pub mod mschapv2;
mod peer;

#[cfg(test)]
mod tests;

pub use mschapv2::MsChapV2ErrorCode;
pub use peer::{EapOutcome, EapPeer};

/// An EAP authentication method as run by the peer (RFC 3748 §2, §5).
///
/// [`EapPeer`] hands it the type-data of every EAP-Request of its type and
/// sends back what it returns. A method that fails may still produce one
/// last response (EAP-MSCHAPv2's Failure-Response); it then reports the
/// reason through [`EapMethod::failure`].
pub trait EapMethod: Send + fmt::Debug {
    /// The method's EAP type (RFC 3748 §5).
    fn method_type(&self) -> EapType;

    /// Handles one EAP-Request of this type (type-data = bytes after the
    /// type octet) and returns the type-data of our EAP-Response.
    fn respond(&mut self, type_data: &[u8]) -> Result<Vec<u8>, EapError>;

    /// True once the method considers authentication successful (for
    /// MSCHAPv2: the server's authenticator response verified).
    fn is_complete(&self) -> bool;

    /// The MSK once complete (RFC 3748 §7.10); `None` before.
    fn msk(&self) -> Option<SecretBytes>;

    /// Why the method failed, once it has: the authenticator's reason (for
    /// MSCHAPv2, the Failure-Request's error code) after the method
    /// produced its last response. `None` while the method may go on.
    fn failure(&self) -> Option<EapError> {
        None
    }
}

/// Errors of the EAP peer and its methods.
///
/// Malformed packets, protocol violations and the authenticator's verdicts
/// each have their own variant. No variant carries a password, a hash or a
/// key; texts that come from the server are reduced to printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EapError {
    /// A field or packet is shorter than its format requires.
    #[error("{what} is truncated: {needed} bytes needed, {available} present")]
    Truncated {
        /// What was being parsed.
        what: &'static str,
        /// The number of bytes the format requires.
        needed: usize,
        /// The number of bytes present.
        available: usize,
    },
    /// A length field disagrees with the number of bytes present.
    #[error("{what} says {claimed} bytes but {actual} are present")]
    LengthMismatch {
        /// The length field.
        what: &'static str,
        /// The value of the length field.
        claimed: usize,
        /// The number of bytes actually present.
        actual: usize,
    },
    /// A field has a value its format does not allow.
    #[error("{what} has the invalid value {value}")]
    InvalidValue {
        /// The field.
        what: &'static str,
        /// The value received.
        value: u64,
    },
    /// An EAP-Request or EAP-Response without a type octet.
    #[error("EAP {0} without a method type")]
    MissingType(EapCode),
    /// The authenticator sent a packet with a code a peer never receives
    /// (a Response, or an unknown code; RFC 3748 §4).
    #[error("unexpected EAP code {0} from the authenticator")]
    UnexpectedCode(EapCode),
    /// The authenticator sent a Nak, which is valid only in Responses
    /// (RFC 3748 §5.3).
    #[error("the authenticator sent a Nak request")]
    NakRequest,
    /// After our method had started, the authenticator asked for another
    /// one (RFC 3748 §2.1 forbids switching methods within a round).
    #[error("the authenticator switched from {expected} to {received} mid-authentication")]
    MethodSwitch {
        /// The method we were running.
        expected: EapType,
        /// The method the authenticator asked for.
        received: EapType,
    },
    /// An EAP-MSCHAPv2 OpCode that is not valid in the current state (or
    /// at all, in a request to the peer).
    #[error("unexpected EAP-MSCHAPv2 OpCode {opcode} while {state}")]
    UnexpectedOpCode {
        /// The OpCode received.
        opcode: u8,
        /// What the method was waiting for.
        state: &'static str,
    },
    /// The Success-Request does not start with `S=` and 40 hexadecimal
    /// digits (RFC 2759 §5).
    #[error(
        "the Success-Request carries no well-formed authenticator response (S=<40 hex digits>)"
    )]
    MalformedAuthenticatorResponse,
    /// The Failure-Request has no decimal `E=` error code (RFC 2759 §6).
    #[error("the Failure-Request carries no well-formed error code (E=<decimal>)")]
    MalformedFailureRequest,
    /// The authenticator response in the Success-Request is wrong: the
    /// server does not know the password (an attack, or a server
    /// misconfiguration). RFC 2759 §8.7; the peer must not go on.
    #[error("the server's authenticator response is wrong: the server does not know the password (attack or misconfiguration)")]
    ServerNotAuthenticated,
    /// The server refused the credentials with an MS-CHAPv2
    /// Failure-Request (RFC 2759 §6). The peer does not retry.
    #[error(
        "the server rejected the authentication: {code}{}",
        server_message(message)
    )]
    Rejected {
        /// The error code from `E=`.
        code: MsChapV2ErrorCode,
        /// Whether the server offered a retry (`R=1`); we never retry.
        retriable: bool,
        /// The server's `M=` text, reduced to printable ASCII (may be
        /// empty).
        message: String,
    },
    /// EAP-Success arrived before the method completed; for MSCHAPv2 this
    /// means before the server proved knowledge of the password, which is
    /// an attack (RFC 3748 §4.2, §7.2).
    #[error("EAP-Success before the method completed (refused)")]
    SuccessBeforeCompletion,
    /// The method completed but produced no MSK.
    #[error("the method completed without an MSK")]
    NoMsk,
    /// The authenticator ended the conversation with EAP-Failure
    /// (RFC 3748 §4.2) without a method-specific reason.
    #[error("the authenticator sent EAP-Failure")]
    AuthenticatorFailure,
    /// A packet arrived after the conversation had ended successfully.
    #[error("EAP packet after the conversation ended")]
    ConversationOver,
    /// The user name is longer than MS-CHAPv2 allows (RFC 2759 §8: 256
    /// characters).
    #[error("the user name is {actual} bytes long; at most {max} are allowed")]
    UserNameTooLong {
        /// The maximum length.
        max: usize,
        /// The given length.
        actual: usize,
    },
    /// The identity does not fit in an EAP packet.
    #[error("the identity is {actual} bytes long; at most {max} fit in an EAP packet")]
    IdentityTooLong {
        /// The maximum length.
        max: usize,
        /// The given length.
        actual: usize,
    },
    /// The password is longer than MS-CHAPv2 allows (RFC 2759 §8: 256
    /// Unicode characters).
    #[error("the password is longer than 256 characters")]
    PasswordTooLong,
    /// A stored NT password hash does not have 16 bytes.
    #[error("an NT password hash must have 16 bytes")]
    InvalidNtHash,
    /// The random number generator failed.
    #[error("the random number generator failed")]
    RandomFailure,
    /// A primitive failed in a way that does not depend on the input
    /// (should not happen).
    #[error("internal EAP failure")]
    Internal,
}

/// Formats the optional server text of [`EapError::Rejected`].
fn server_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" (server says: {message})")
    }
}

/// Reduces text that came from the authenticator to at most `max` printable
/// ASCII characters, replacing anything else with `?`, so that it can be
/// logged and shown safely.
pub(crate) fn sanitize_text(bytes: &[u8], max: usize) -> String {
    bytes
        .iter()
        .take(max)
        .map(|&b| {
            if (0x20..=0x7e).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}
