//! The EAP peer state machine (RFC 3748 §2, §4, §5).

use crate::crypto::SecretBytes;
use crate::ike::payload::EapMessage;
use crate::ike::types::{EapCode, EapType};

use super::mschapv2::MsChapV2;
use super::{sanitize_text, EapError, EapMethod};

/// The Expanded Type (RFC 3748 §5.7).
const EXPANDED_TYPE: u8 = 254;

/// The longest identity that fits in an EAP-Response/Identity: the EAP
/// Length field counts code, identifier, length and type (RFC 3748 §4).
const MAX_IDENTITY_LEN: usize = 65535 - 5;

/// The longest Notification text kept for display.
const MAX_NOTIFICATION_LEN: usize = 256;

/// What the IKE engine does with an EAP packet it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EapOutcome {
    /// Send this EAP-Response in the next IKE_AUTH request; the
    /// conversation goes on.
    Send(EapMessage),
    /// EAP-Success after the method completed: authenticate the IKE SA
    /// with this MSK (RFC 7296 §2.16).
    Succeeded {
        /// The method's Master Session Key (RFC 3748 §7.10).
        msk: SecretBytes,
    },
    /// Authentication failed; the conversation is over and is not
    /// retried. If `response` is present (EAP-MSCHAPv2's Failure-Response)
    /// it is sent before giving up, so that the authenticator can finish
    /// with EAP-Failure.
    Failed {
        /// Why.
        error: EapError,
        /// A last EAP-Response to send, if any.
        response: Option<EapMessage>,
    },
}

/// Where the conversation is.
#[derive(Debug)]
enum State {
    /// Requests are being answered.
    Running,
    /// EAP-Success was accepted.
    Succeeded(SecretBytes),
    /// The conversation failed.
    Failed(EapError),
}

/// The peer side of an EAP conversation (RFC 3748) for one method.
///
/// Feed it each EAP packet the authenticator sends with
/// [`EapPeer::process`]; it answers Identity (RFC 3748 §5.1) with the
/// configured identity, acknowledges Notification (§5.2), sends a Legacy Nak
/// (§5.3.1) or Expanded Nak (§5.3.2) naming its method for any other method
/// offered first, passes requests of its own method to the method, and
/// answers a repeated request (same Identifier as the last one answered)
/// with the same response without processing it again (§4.1).
///
/// EAP-Success is accepted only once the method has completed (§4.2; for
/// MSCHAPv2 a Success before the authenticator response verified is an
/// attack). Once failed, the peer never answers again.
#[derive(Debug)]
pub struct EapPeer {
    /// Our identity for EAP-Response/Identity.
    identity: Vec<u8>,
    /// The one method we run.
    method: Box<dyn EapMethod>,
    /// Whether we have answered a request of our method (after which other
    /// methods are refused instead of Nak'ed).
    method_started: bool,
    /// The Identifier of the last request answered and what we did.
    last: Option<(u8, EapOutcome)>,
    /// The last Notification text received, sanitized.
    notification: Option<String>,
    /// Where the conversation is.
    state: State,
}

impl EapPeer {
    /// A peer that answers EAP-Identity with `identity` and runs `method`.
    pub fn new(identity: &str, method: Box<dyn EapMethod>) -> Result<Self, EapError> {
        if identity.len() > MAX_IDENTITY_LEN {
            return Err(EapError::IdentityTooLong {
                max: MAX_IDENTITY_LEN,
                actual: identity.len(),
            });
        }
        Ok(Self {
            identity: identity.as_bytes().to_vec(),
            method,
            method_started: false,
            last: None,
            notification: None,
            state: State::Running,
        })
    }

    /// A peer running EAP-MSCHAPv2 with `identity` as both the EAP identity
    /// and the MS-CHAPv2 user name (strongSwan checks that they match), and
    /// Peer-Challenges from the system random number generator.
    pub fn mschapv2(identity: &str, password: &str) -> Result<Self, EapError> {
        let method = MsChapV2::new(identity, password)?;
        Self::new(identity, Box::new(method))
    }

    /// The type of the method this peer runs.
    pub fn method_type(&self) -> EapType {
        self.method.method_type()
    }

    /// The last EAP-Request/Notification text (RFC 3748 §5.2), reduced to
    /// printable ASCII, for display to the user.
    pub fn last_notification(&self) -> Option<&str> {
        self.notification.as_deref()
    }

    /// Whether the conversation has ended, successfully or not.
    pub fn is_finished(&self) -> bool {
        !matches!(self.state, State::Running)
    }

    /// Handles one EAP packet from the authenticator and says what to do.
    pub fn process(&mut self, message: &EapMessage) -> EapOutcome {
        // RFC 3748 §4.1: a request with the Identifier of the last one we
        // answered is a retransmission; resend the same response without
        // processing the request again.
        if message.code == EapCode::Request {
            if let Some((identifier, outcome)) = &self.last {
                if *identifier == message.identifier {
                    return outcome.clone();
                }
            }
        }
        match &self.state {
            State::Failed(error) => return failed(error.clone()),
            State::Succeeded(msk) => {
                return if message.code == EapCode::Success {
                    EapOutcome::Succeeded { msk: msk.clone() }
                } else {
                    failed(EapError::ConversationOver)
                };
            }
            State::Running => {}
        }
        let outcome = match message.code {
            EapCode::Request => {
                let outcome = self.request(message);
                self.last = Some((message.identifier, outcome.clone()));
                outcome
            }
            // Only a request can be a retransmission: after anything else
            // an old request is no longer answered.
            EapCode::Success => {
                self.last = None;
                self.success()
            }
            EapCode::Failure => {
                self.last = None;
                failed(
                    self.method
                        .failure()
                        .unwrap_or(EapError::AuthenticatorFailure),
                )
            }
            other => {
                self.last = None;
                failed(EapError::UnexpectedCode(other))
            }
        };
        match &outcome {
            EapOutcome::Send(_) => {}
            EapOutcome::Succeeded { msk } => self.state = State::Succeeded(msk.clone()),
            EapOutcome::Failed { error, .. } => self.state = State::Failed(error.clone()),
        }
        outcome
    }

    /// Handles an EAP-Request (RFC 3748 §4.1, §5).
    fn request(&mut self, message: &EapMessage) -> EapOutcome {
        let Some(method) = message.method else {
            return failed(EapError::MissingType(message.code));
        };
        let ours = self.method.method_type();
        let (ty, data) = match method {
            // §5.1: answer with our identity; the request's type-data is an
            // optional displayable message we do not need.
            EapType::Identity => (EapType::Identity, self.identity.clone()),
            // §5.2: the response to a Notification carries no data.
            EapType::Notification => {
                self.notification = Some(sanitize_text(&message.data, MAX_NOTIFICATION_LEN));
                (EapType::Notification, Vec::new())
            }
            // §5.3: Nak is valid only in Responses.
            EapType::Nak => return failed(EapError::NakRequest),
            ty if ty == ours => return self.run_method(message),
            // §2.1: once our method has started, the authenticator must not
            // switch to another one.
            other if self.method_started => {
                return failed(EapError::MethodSwitch {
                    expected: ours,
                    received: other,
                })
            }
            // §5.3.2: an Expanded Type request gets an Expanded Nak listing
            // our method in expanded form (Vendor-Id 0 = IETF).
            other if other.raw() == EXPANDED_TYPE => {
                let mut data = vec![0, 0, 0, 0, 0, 0, EapType::Nak.raw()];
                data.extend_from_slice(&[EXPANDED_TYPE, 0, 0, 0, 0, 0, 0, ours.raw()]);
                (other, data)
            }
            // §5.3.1: a Legacy Nak naming the method we want.
            _ => (EapType::Nak, vec![ours.raw()]),
        };
        EapOutcome::Send(response(message.identifier, ty, data))
    }

    /// Passes a request of our method to the method.
    fn run_method(&mut self, message: &EapMessage) -> EapOutcome {
        let ours = self.method.method_type();
        match self.method.respond(&message.data) {
            Ok(data) => {
                self.method_started = true;
                let reply = response(message.identifier, ours, data);
                match self.method.failure() {
                    Some(error) => EapOutcome::Failed {
                        error,
                        response: Some(reply),
                    },
                    None => EapOutcome::Send(reply),
                }
            }
            Err(error) => failed(error),
        }
    }

    /// Handles EAP-Success (RFC 3748 §4.2): accepted only once the method
    /// has completed, i.e. (for MSCHAPv2) the server proved that it knows
    /// the password.
    fn success(&self) -> EapOutcome {
        if !self.method.is_complete() {
            return failed(EapError::SuccessBeforeCompletion);
        }
        match self.method.msk() {
            Some(msk) => EapOutcome::Succeeded { msk },
            None => failed(EapError::NoMsk),
        }
    }
}

/// A failure with nothing to send.
fn failed(error: EapError) -> EapOutcome {
    EapOutcome::Failed {
        error,
        response: None,
    }
}

/// An EAP-Response with the request's Identifier (RFC 3748 §4.1).
fn response(identifier: u8, method: EapType, data: Vec<u8>) -> EapMessage {
    EapMessage {
        code: EapCode::Response,
        identifier,
        method: Some(method),
        data,
    }
}
