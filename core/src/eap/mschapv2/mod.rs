//! EAP-MSCHAPv2, the peer side: draft-kamath-pppext-eap-mschapv2-02
//! framing around the MS-CHAP-V2 exchange of RFC 2759, with the MSK of
//! RFC 3079 laid out as strongSwan and wpa_supplicant use it.
//!
//! The exchange, as the authenticator drives it:
//!
//! 1. Challenge (OpCode 1) with the 16-octet Authenticator-Challenge. We
//!    answer with a Response (OpCode 2): a random Peer-Challenge, the
//!    NT-Response (RFC 2759 §8.1) and our user name.
//! 2. Success-Request (OpCode 3, `S=<authenticator response> M=<text>`).
//!    We check the authenticator response (RFC 2759 §8.7) in constant time;
//!    only if it matches — the server knows the password — do we answer
//!    with a Success-Response (OpCode 3) and consider the method complete.
//!    A wrong value is [`EapError::ServerNotAuthenticated`].
//! 3. Or a Failure-Request (OpCode 4, `E=691 R=0 C=... V=3 M=...`): the
//!    error code becomes [`EapError::Rejected`], we answer with a
//!    Failure-Response (OpCode 4) and never retry, even if `R=1`.

use core::fmt;

use zeroize::Zeroizing;

use crate::crypto::SecretBytes;
use crate::ike::types::EapType;

use super::{EapError, EapMethod};

pub mod crypto;
mod message;

use crypto::{AUTHENTICATOR_RESPONSE_LEN, CHALLENGE_LEN, NT_HASH_LEN};
use message::Request;

/// The longest user name MS-CHAPv2 allows (RFC 2759 §8.1:
/// "0-to-256-char UserName").
pub const MAX_USER_NAME_LEN: usize = 256;

/// The longest password MS-CHAPv2 allows, in UTF-16 code units (RFC 2759
/// §8.1: "0-to-256-unicode-char Password").
pub const MAX_PASSWORD_LEN: usize = 256;

/// The error codes of an MS-CHAPv2 Failure-Request's `E=` field (RFC 2759
/// §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MsChapV2ErrorCode {
    /// 646 ERROR_RESTRICTED_LOGON_HOURS: logons are not allowed now.
    RestrictedLogonHours,
    /// 647 ERROR_ACCT_DISABLED: the account is disabled.
    AccountDisabled,
    /// 648 ERROR_PASSWD_EXPIRED: the password has expired.
    PasswordExpired,
    /// 649 ERROR_NO_DIALIN_PERMISSION: the account may not dial in.
    NoDialinPermission,
    /// 691 ERROR_AUTHENTICATION_FAILURE: wrong user name or password.
    AuthenticationFailure,
    /// 709 ERROR_CHANGING_PASSWORD: changing the password failed.
    ChangingPassword,
    /// Any other code.
    Other(u32),
}

impl MsChapV2ErrorCode {
    /// The code for a numeric `E=` value.
    pub fn from_code(code: u32) -> Self {
        match code {
            646 => Self::RestrictedLogonHours,
            647 => Self::AccountDisabled,
            648 => Self::PasswordExpired,
            649 => Self::NoDialinPermission,
            691 => Self::AuthenticationFailure,
            709 => Self::ChangingPassword,
            other => Self::Other(other),
        }
    }

    /// The numeric `E=` value.
    pub fn code(self) -> u32 {
        match self {
            Self::RestrictedLogonHours => 646,
            Self::AccountDisabled => 647,
            Self::PasswordExpired => 648,
            Self::NoDialinPermission => 649,
            Self::AuthenticationFailure => 691,
            Self::ChangingPassword => 709,
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for MsChapV2ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::RestrictedLogonHours => "logon not allowed at this time",
            Self::AccountDisabled => "account disabled",
            Self::PasswordExpired => "password expired",
            Self::NoDialinPermission => "no dial-in permission",
            Self::AuthenticationFailure => "wrong user name or password",
            Self::ChangingPassword => "error changing the password",
            Self::Other(_) => "unknown error",
        };
        write!(f, "{text} (error {})", self.code())
    }
}

/// Where the 16-octet Peer-Challenge comes from (RFC 2759 §4: "a 16-octet
/// random number"). Production code uses [`SystemPeerChallenge`]; tests
/// inject fixed values.
pub trait PeerChallengeSource: Send + fmt::Debug {
    /// A fresh Peer-Challenge.
    fn peer_challenge(&mut self) -> Result<[u8; CHALLENGE_LEN], EapError>;
}

/// Peer-Challenges from the operating system's random number generator
/// (`ring::rand::SystemRandom`).
#[derive(Debug)]
pub struct SystemPeerChallenge(ring::rand::SystemRandom);

impl SystemPeerChallenge {
    /// A source over the system random number generator.
    pub fn new() -> Self {
        Self(ring::rand::SystemRandom::new())
    }
}

impl Default for SystemPeerChallenge {
    fn default() -> Self {
        Self::new()
    }
}

impl PeerChallengeSource for SystemPeerChallenge {
    fn peer_challenge(&mut self) -> Result<[u8; CHALLENGE_LEN], EapError> {
        let mut challenge = [0u8; CHALLENGE_LEN];
        ring::rand::SecureRandom::fill(&self.0, &mut challenge)
            .map_err(|_| EapError::RandomFailure)?;
        Ok(challenge)
    }
}

/// Always the same Peer-Challenge: for known-answer tests and fake
/// authenticators only. A fixed challenge lets a server that does not know
/// the password replay a recorded exchange, so never use it for real
/// connections.
#[derive(Debug, Clone)]
pub struct FixedPeerChallenge(pub [u8; CHALLENGE_LEN]);

impl PeerChallengeSource for FixedPeerChallenge {
    fn peer_challenge(&mut self) -> Result<[u8; CHALLENGE_LEN], EapError> {
        Ok(self.0)
    }
}

/// The method's progress.
enum State {
    /// Waiting for the Challenge.
    AwaitingChallenge,
    /// The Response was sent; waiting for the Success- or Failure-Request.
    AwaitingSuccess {
        /// The authenticator response the server must send.
        expected: Zeroizing<[u8; AUTHENTICATOR_RESPONSE_LEN]>,
        /// The MSK, released once the server is authenticated.
        msk: SecretBytes,
    },
    /// The server proved knowledge of the password.
    Complete {
        /// The MSK.
        msk: SecretBytes,
    },
    /// The server refused us, or sent something invalid.
    Failed(EapError),
}

impl State {
    /// A name for `Debug` output and error messages.
    fn name(&self) -> &'static str {
        match self {
            Self::AwaitingChallenge => "awaiting the Challenge",
            Self::AwaitingSuccess { .. } => "awaiting the Success-Request",
            Self::Complete { .. } => "complete",
            Self::Failed(_) => "failed",
        }
    }
}

/// EAP-MSCHAPv2 for the peer (draft-kamath-pppext-eap-mschapv2-02,
/// RFC 2759, RFC 3079).
///
/// Holds the user name and the password's NT hash (zeroized on drop; the
/// password itself is not kept). `Debug` shows the user name and the state
/// only.
pub struct MsChapV2 {
    /// The user name sent in the Response's Name field; its part after a
    /// `DOMAIN\` goes into the ChallengeHash (RFC 2759 §8.2).
    user_name: String,
    /// NtPasswordHash(password) (RFC 2759 §8.3).
    nt_hash: Zeroizing<[u8; NT_HASH_LEN]>,
    /// Where Peer-Challenges come from.
    challenges: Box<dyn PeerChallengeSource>,
    /// Progress.
    state: State,
}

impl fmt::Debug for MsChapV2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsChapV2")
            .field("user_name", &self.user_name)
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

impl MsChapV2 {
    /// EAP-MSCHAPv2 for `user_name` and `password`, with Peer-Challenges
    /// from the system random number generator.
    ///
    /// `user_name` is sent as the Response's Name; use the same string as
    /// the EAP identity (strongSwan compares them).
    pub fn new(user_name: &str, password: &str) -> Result<Self, EapError> {
        Self::with_challenge_source(user_name, password, Box::new(SystemPeerChallenge::new()))
    }

    /// Like [`MsChapV2::new`] with Peer-Challenges from `challenges`.
    pub fn with_challenge_source(
        user_name: &str,
        password: &str,
        challenges: Box<dyn PeerChallengeSource>,
    ) -> Result<Self, EapError> {
        if password.encode_utf16().count() > MAX_PASSWORD_LEN {
            return Err(EapError::PasswordTooLong);
        }
        Self::build(user_name, crypto::nt_password_hash(password), challenges)
    }

    /// EAP-MSCHAPv2 from a stored NT password hash (16 octets, RFC 2759
    /// §8.3) instead of the password.
    pub fn from_nt_hash(
        user_name: &str,
        nt_hash: &SecretBytes,
        challenges: Box<dyn PeerChallengeSource>,
    ) -> Result<Self, EapError> {
        let hash = <[u8; NT_HASH_LEN]>::try_from(nt_hash.as_bytes())
            .map_err(|_| EapError::InvalidNtHash)?;
        Self::build(user_name, Zeroizing::new(hash), challenges)
    }

    /// Checks the user name and assembles the method.
    fn build(
        user_name: &str,
        nt_hash: Zeroizing<[u8; NT_HASH_LEN]>,
        challenges: Box<dyn PeerChallengeSource>,
    ) -> Result<Self, EapError> {
        if user_name.len() > MAX_USER_NAME_LEN {
            return Err(EapError::UserNameTooLong {
                max: MAX_USER_NAME_LEN,
                actual: user_name.len(),
            });
        }
        Ok(Self {
            user_name: user_name.to_owned(),
            nt_hash,
            challenges,
            state: State::AwaitingChallenge,
        })
    }

    /// Answers a Challenge (RFC 2759 §4, draft-kamath §2.2) and prepares the
    /// values the Success-Request is checked against.
    fn answer_challenge(
        &mut self,
        ms_chapv2_id: u8,
        authenticator_challenge: &[u8; CHALLENGE_LEN],
    ) -> Result<Vec<u8>, EapError> {
        let peer_challenge = self.challenges.peer_challenge()?;
        let user_name = self.user_name.as_bytes();
        let nt_response = crypto::generate_nt_response(
            authenticator_challenge,
            &peer_challenge,
            user_name,
            &self.nt_hash,
        )?;
        let expected = crypto::generate_authenticator_response(
            &self.nt_hash,
            &nt_response,
            &peer_challenge,
            authenticator_challenge,
            user_name,
        );
        let msk = crypto::msk(&self.nt_hash, &nt_response);
        let response =
            message::encode_response(ms_chapv2_id, &peer_challenge, &nt_response, user_name)?;
        self.state = State::AwaitingSuccess { expected, msk };
        Ok(response)
    }

    /// Processes one request in the current state.
    fn step(&mut self, type_data: &[u8]) -> Result<Vec<u8>, EapError> {
        let request = message::parse_request(type_data)?;
        match (request, &self.state) {
            (
                Request::Challenge {
                    ms_chapv2_id,
                    challenge,
                    ..
                },
                State::AwaitingChallenge,
            ) => self.answer_challenge(ms_chapv2_id, &challenge),
            (
                Request::Success {
                    authenticator_response,
                },
                State::AwaitingSuccess { expected, msk },
            ) => {
                // RFC 2759 §8.8 CheckAuthenticatorResponse, compared in
                // constant time.
                let matches: bool = subtle::ConstantTimeEq::ct_eq(
                    expected.as_slice(),
                    authenticator_response.as_slice(),
                )
                .into();
                if !matches {
                    return Err(EapError::ServerNotAuthenticated);
                }
                self.state = State::Complete { msk: msk.clone() };
                Ok(message::success_response())
            }
            (
                Request::Failure(failure),
                State::AwaitingChallenge | State::AwaitingSuccess { .. },
            ) => {
                self.state = State::Failed(EapError::Rejected {
                    code: failure.code,
                    retriable: failure.retriable,
                    message: failure.text,
                });
                Ok(message::failure_response())
            }
            (request, state) => Err(EapError::UnexpectedOpCode {
                opcode: match request {
                    Request::Challenge { .. } => message::OP_CHALLENGE,
                    Request::Success { .. } => message::OP_SUCCESS,
                    Request::Failure(_) => message::OP_FAILURE,
                },
                state: state.name(),
            }),
        }
    }
}

impl EapMethod for MsChapV2 {
    fn method_type(&self) -> EapType {
        EapType::MsChapV2
    }

    fn respond(&mut self, type_data: &[u8]) -> Result<Vec<u8>, EapError> {
        if let State::Failed(error) = &self.state {
            return Err(error.clone());
        }
        let result = self.step(type_data);
        if let Err(error) = &result {
            self.state = State::Failed(error.clone());
        }
        result
    }

    fn is_complete(&self) -> bool {
        matches!(self.state, State::Complete { .. })
    }

    fn msk(&self) -> Option<SecretBytes> {
        match &self.state {
            State::Complete { msk } => Some(msk.clone()),
            _ => None,
        }
    }

    fn failure(&self) -> Option<EapError> {
        match &self.state {
            State::Failed(error) => Some(error.clone()),
            _ => None,
        }
    }
}
