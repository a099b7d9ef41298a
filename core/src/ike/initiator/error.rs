//! Why a connection attempt failed, in words a user can act on.

use std::time::Duration;

use crate::crypto::CryptoError;
use crate::eap::EapError;
use crate::ike::proposals::ProposalError;
use crate::ike::sa_init::SaInitError;
use crate::ike::types::NotifyType;
use crate::ike::EncodeError;
use crate::pki::{CertError, SignatureError};

/// The phase an attempt was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// IKE_SA_INIT: agreeing on algorithms and keys.
    SaInit,
    /// IKE_AUTH: proving identities.
    Authenticating,
    /// Up: the CHILD_SA exists.
    Established,
    /// Deleting the IKE SA.
    Closing,
    /// Replacing a CHILD_SA (CREATE_CHILD_SA).
    Rekeying,
    /// Checking that the SC is still there.
    Liveness,
    /// Moving the SAs to a new address (MOBIKE).
    Roaming,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::SaInit => "IKE_SA_INIT",
            Self::Authenticating => "authentication (IKE_AUTH)",
            Self::Established => "established",
            Self::Closing => "closing",
            Self::Rekeying => "a CHILD_SA rekey",
            Self::Liveness => "a liveness check",
            Self::Roaming => "an address update (MOBIKE)",
        })
    }
}

/// Why the initiator stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitiatorError {
    /// Another candidate SC was chosen (discovery's trial): this attempt
    /// was dropped with a DELETE, before any EAP response.
    #[error("another SC was chosen")]
    Abandoned,
    /// No answer after every retransmission.
    #[error("the SC did not answer during {phase}: {tries} tries over {waited:.1?}. Check the SC address and whether this network blocks UDP 500/4500")]
    Timeout {
        /// Where we were.
        phase: Phase,
        /// Requests sent.
        tries: u32,
        /// Time from the first send to giving up.
        waited: Duration,
    },
    /// The SC accepted none of our algorithm proposals.
    #[error("the SC accepted none of our proposals during {0} (NO_PROPOSAL_CHOSEN): its algorithms do not overlap with Softwire's; check the profile's proposals")]
    NoProposalChosen(Phase),
    /// The SC refused our credentials.
    #[error("the SC refused our credentials (AUTHENTICATION_FAILED): check the identity and the pre-shared key, certificate or password")]
    AuthenticationFailed,
    /// The SC proved an identity other than the one the profile expects.
    #[error("the SC identified itself as {got}, but the profile expects {expected}: refusing to continue (a rogue or misconfigured SC)")]
    ScIdentityMismatch {
        /// The identity the profile names.
        expected: String,
        /// The identity the SC sent.
        got: String,
    },
    /// The SC's certificate is not acceptable (untrusted issuer, expired,
    /// or naming another identity).
    #[error("the SC's certificate is not acceptable: {0}")]
    ScCertificate(#[from] CertError),
    /// The SC's signature did not verify.
    #[error("the SC's signature does not verify: {0}")]
    ScSignature(#[from] SignatureError),
    /// EAP failed: wrong password, account problem, or an SC that could
    /// not prove it knows the password.
    #[error("EAP authentication failed: {0}")]
    Eap(#[from] EapError),
    /// Our private key could not sign.
    #[error("could not sign with our private key: {0}")]
    OwnSignature(SignatureError),
    /// Our own configuration cannot work.
    #[error("the profile cannot be used: {0}")]
    Config(&'static str),
    /// The SC's AUTH payload did not verify.
    #[error("the SC could not prove its identity: its AUTH payload does not verify ({0}). Either the SC's credentials differ from the profile's, or someone is impersonating it")]
    ScAuthInvalid(&'static str),
    /// The SC's traffic selectors are not within what we asked for.
    #[error("the SC's traffic selectors are not acceptable (TS_UNACCEPTABLE): {0}")]
    TsUnacceptable(&'static str),
    /// The SC gave no inner address though we asked for one.
    #[error("the SC assigned no inner address (INTERNAL_ADDRESS_FAILURE or empty CP reply)")]
    NoInnerAddress,
    /// The SC refused with another error notification.
    #[error("the SC refused during {phase}: {notify}")]
    ScRefused {
        /// Where we were.
        phase: Phase,
        /// The error notification.
        notify: NotifyType,
    },
    /// The SC's proposal answer is unacceptable.
    #[error("the SC's algorithm choice is not acceptable: {0}")]
    Proposal(#[from] ProposalError),
    /// IKE_SA_INIT failed.
    #[error(transparent)]
    SaInit(#[from] SaInitError),
    /// The SC broke the protocol.
    #[error("the SC broke the IKEv2 protocol: {0}")]
    Protocol(&'static str),
    /// The SC deleted the IKE SA.
    #[error("the SC closed the connection (it deleted the IKE SA)")]
    ScDeleted,
    /// A local cryptographic failure.
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
    /// A message of ours could not be encoded.
    #[error("could not build a message: {0}")]
    Encode(#[from] EncodeError),
}

impl InitiatorError {
    /// The error for an error notification the SC sent in `phase`.
    pub fn from_notify(phase: Phase, notify: NotifyType) -> Self {
        match notify {
            NotifyType::NoProposalChosen => Self::NoProposalChosen(phase),
            NotifyType::AuthenticationFailed => Self::AuthenticationFailed,
            NotifyType::TsUnacceptable => {
                Self::TsUnacceptable("the SC refused our traffic selectors")
            }
            NotifyType::InternalAddressFailure | NotifyType::FailedCpRequired => {
                Self::NoInnerAddress
            }
            other => Self::ScRefused {
                phase,
                notify: other,
            },
        }
    }
}
