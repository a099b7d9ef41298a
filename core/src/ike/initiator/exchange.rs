//! Our requests and their responses: message IDs, protection, retransmission
//! bookkeeping and response matching (RFC 7296 §2.1–2.2).

use std::time::Instant;

use crate::ike::fragment::{seal_fragmented, FragmentProgress};
use crate::ike::header::{Flags, Header};
use crate::ike::message::Message;
use crate::ike::payload::Payload;
use crate::ike::types::ExchangeType;

use super::sa::IkeSa;
use super::{Initiator, InitiatorError, Phase, State};

/// An outstanding request of ours.
#[derive(Debug)]
pub(super) struct Pending {
    /// Its message ID.
    pub message_id: u32,
    /// The datagrams (several when fragmented), resent as they are.
    pub datagrams: Vec<Vec<u8>>,
    /// Sends so far.
    pub tries: u32,
    /// First send.
    pub first_sent: Instant,
    /// When to resend or give up.
    pub deadline: Instant,
    /// The phase it belongs to, for error reports.
    pub phase: Phase,
    /// For a fragmented request: its header and payloads, to fragment it
    /// again smaller if the fragments do not get through (RFC 7383 §2.5.2).
    pub refragment: Option<(Header, Vec<Payload>)>,
}

impl Initiator {
    /// Records and queues an unprotected request (IKE_SA_INIT).
    pub(super) fn send_plain(
        &mut self,
        now: Instant,
        bytes: Vec<u8>,
        message_id: u32,
        phase: Phase,
    ) {
        self.pending = Some(Pending {
            message_id,
            datagrams: vec![bytes.clone()],
            tries: 1,
            first_sent: now,
            deadline: self.retransmit_deadline(now),
            phase,
            refragment: None,
        });
        self.queue(bytes);
    }

    /// Protects `inner` in the next request of `exchange` and queues it.
    pub(super) fn send_protected(
        &mut self,
        now: Instant,
        sa: &mut IkeSa,
        exchange: ExchangeType,
        inner: &[Payload],
        phase: Phase,
    ) -> Result<(), InitiatorError> {
        let message_id = self.next_message_id;
        let header = Header::new(
            self.spi_i,
            self.spi_r,
            exchange,
            Flags::new(true, false),
            message_id,
        );
        let datagrams = self.protect(sa, header, inner)?;
        self.next_message_id = message_id.wrapping_add(1);
        let refragment = (datagrams.len() > 1).then(|| (header, inner.to_vec()));
        self.pending = Some(Pending {
            message_id,
            datagrams: datagrams.clone(),
            tries: 1,
            first_sent: now,
            deadline: self.retransmit_deadline(now),
            phase,
            refragment,
        });
        for d in datagrams {
            self.queue(d);
        }
        Ok(())
    }

    /// Encrypts `inner` under `header`, fragmenting when the SC supports it
    /// and the message is too large (RFC 7383 §2.5).
    pub(super) fn protect(
        &self,
        sa: &mut IkeSa,
        header: Header,
        inner: &[Payload],
    ) -> Result<Vec<Vec<u8>>, InitiatorError> {
        let limit = if sa.fragmentation {
            // The marker travels in the same UDP payload.
            self.fragment_size
                .saturating_sub(if self.natt { 4 } else { 0 })
        } else {
            usize::MAX
        };
        seal_fragmented(header, inner, &mut sa.outbound, limit).map_err(protect_error)
    }

    /// A response arrived: match it to our request, open it, and hand the
    /// payloads to the phase's handler.
    pub(super) fn on_response(&mut self, now: Instant, ike: &[u8], message: &Message) {
        let Some(pending) = self.pending.as_ref() else {
            self.stats.unexpected_response += 1;
            return;
        };
        if message.header.message_id != pending.message_id {
            self.stats.unexpected_response += 1;
            return;
        }
        if !matches!(self.state, State::SaInit(_)) && message.header.spi_r != self.spi_r {
            self.stats.wrong_spi += 1;
            return;
        }
        if matches!(self.state, State::SaInit(_)) {
            if message.header.exchange != ExchangeType::IkeSaInit {
                self.stats.unexpected_response += 1;
                return;
            }
            self.on_sa_init_reply(now, ike, message);
            return;
        }
        let payloads = match self.open(ike, message) {
            Some(p) => p,
            None => return,
        };
        self.pending = None;
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Auth(auth) => self.on_auth_reply(now, *auth, payloads),
            State::Closing(_) => self.finish(Ok(())),
            State::Established(sa) => {
                // A rekey, DELETE or liveness answer.
                self.state = State::Established(sa);
                self.note_inbound(now);
                self.on_upkeep_reply(now, &payloads);
            }
            other => self.state = other,
        }
    }

    /// Decrypts a protected message, reassembling fragments. Returns `None`
    /// (and counts) when the message must be dropped or more fragments are due.
    pub(super) fn open(&mut self, ike: &[u8], message: &Message) -> Option<Vec<Payload>> {
        let sa = match &self.state {
            State::Auth(auth) => auth.sa(),
            State::Established(sa) | State::Closing(sa) => sa,
            State::SaInit(_) | State::Closed => return None,
        };
        match message.payloads.last() {
            Some(Payload::Encrypted(_)) => {
                match crate::ike::protect::open_message(ike, message, &sa.inbound) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        // RFC 7296 §2.21.2: a message failing its integrity
                        // check is dropped silently.
                        self.stats.integrity_failures += 1;
                        None
                    }
                }
            }
            Some(Payload::EncryptedFragment(skf)) => {
                let progress =
                    self.reassembly
                        .add(message.header.message_id, ike, skf, &sa.inbound);
                match progress {
                    Ok(FragmentProgress::Complete(p)) => Some(p),
                    Ok(FragmentProgress::Incomplete { .. }) => None,
                    Err(_) => {
                        self.stats.integrity_failures += 1;
                        None
                    }
                }
            }
            _ => {
                // After IKE_SA_INIT everything must be protected.
                self.stats.malformed += 1;
                None
            }
        }
    }
}

/// The smallest fragment we fall back to: what every path carries
/// unfragmented, 576 octets for IPv4 and 1280 for IPv6, less the IP and
/// UDP headers (RFC 7383 §2.5.1).
pub(super) fn minimum_fragment_size(sc: std::net::SocketAddr) -> usize {
    if sc.is_ipv4() {
        576 - 20 - 8
    } else {
        1280 - 40 - 8
    }
}

/// Sends of a fragmented request before it is fragmented again at the
/// minimum size.
const SENDS_BEFORE_SHRINKING: u32 = 2;

impl Initiator {
    /// The path MTU towards the SC as the OS knows it (the outgoing
    /// interface's MTU, or less if it learned so): IKE messages are
    /// fragmented to fit it (RFC 7383 §2.5.1), never below the minimum
    /// every path carries.
    pub fn set_path_mtu(&mut self, mtu: usize) {
        let headers = if self.remote.is_ipv4() {
            20 + 8
        } else {
            40 + 8
        };
        self.fragment_size = mtu
            .saturating_sub(headers)
            .clamp(minimum_fragment_size(self.remote), 65_507);
    }

    /// The current fragment size (UDP payload octets).
    pub fn fragment_size(&self) -> usize {
        self.fragment_size
    }

    /// RFC 7383 §2.5.2: fragments that got no answer may be too large for
    /// the path (a tunnel or PPPoE link below the MTU we were told). From
    /// the third send on, the request is fragmented again at the minimum
    /// size, and so is everything after it.
    pub(super) fn shrink_fragments_if_stuck(&mut self, tries: u32) {
        let floor = minimum_fragment_size(self.remote);
        if tries <= SENDS_BEFORE_SHRINKING || self.fragment_size <= floor {
            return;
        }
        let Some((header, inner)) = self.pending.as_ref().and_then(|p| p.refragment.clone()) else {
            return;
        };
        self.fragment_size = floor;
        let mut state = std::mem::replace(&mut self.state, State::Closed);
        let sealed = match &mut state {
            State::Auth(auth) => self.protect(auth.sa_mut(), header, &inner),
            State::Established(sa) | State::Closing(sa) => self.protect(sa, header, &inner),
            State::SaInit(_) | State::Closed => Err(InitiatorError::Protocol("no IKE SA")),
        };
        self.state = state;
        if let (Ok(datagrams), Some(pending)) = (sealed, self.pending.as_mut()) {
            pending.datagrams = datagrams;
        }
    }
}

fn protect_error(e: crate::ike::protect::ProtectError) -> InitiatorError {
    use crate::ike::protect::ProtectError;
    match e {
        ProtectError::Crypto(c) => InitiatorError::Crypto(c),
        ProtectError::Encode(e) => InitiatorError::Encode(e),
        ProtectError::NotEncrypted | ProtectError::Inner(_) => {
            InitiatorError::Protocol("could not protect our own message")
        }
    }
}

/// `Message` in a form handlers take.
pub(super) fn is_error_notify(payloads: &[Payload]) -> Option<crate::ike::types::NotifyType> {
    crate::ike::message::notifies(payloads)
        .find(|n| n.kind.is_error())
        .map(|n| n.kind)
}
