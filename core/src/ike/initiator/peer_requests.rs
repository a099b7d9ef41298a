//! Requests from the SC (RFC 7296 §1.4, §2.2–2.3): liveness checks,
//! deletes and notifications are answered once, and a retransmitted request
//! gets the same answer again; plus our own DELETE.

use std::time::Instant;

use crate::ike::header::{Flags, Header};
use crate::ike::message::Message;
use crate::ike::payload::{Delete, Payload};
use crate::ike::types::{ExchangeType, ProtocolId};

use super::sa::IkeSa;
use super::{Initiator, InitiatorError, Phase, State};

/// The responder side of the message-ID window (size 1, RFC 7296 §2.3).
#[derive(Debug, Default)]
pub(super) struct PeerWindow {
    /// The message ID the SC's next request must carry.
    next: u32,
    /// Our answer to its last request, for retransmissions of it.
    last: Option<(u32, Vec<Vec<u8>>)>,
}

/// What to do after answering.
enum After {
    Nothing,
    Closed(InitiatorError),
}

impl Initiator {
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        from: std::net::SocketAddr,
        ike: &[u8],
        message: &Message,
    ) {
        let id = message.header.message_id;
        if let Some((last_id, answer)) = &self.peer.last {
            if *last_id == id {
                self.stats.duplicate_requests += 1;
                for d in answer.clone() {
                    self.queue(d);
                }
                return;
            }
        }
        if id != self.peer.next || message.header.spi_r != self.spi_r {
            self.stats.out_of_window += 1;
            return;
        }
        let Some(payloads) = self.open(ike, message) else {
            return;
        };
        self.note_inbound(now);
        let (answer, after) = match message.header.exchange {
            ExchangeType::Informational => {
                let (mut answer, after) = self.informational(&payloads);
                answer.extend(self.mobike_request(&payloads, from));
                (answer, after)
            }
            ExchangeType::CreateChildSa => {
                (self.answer_create_child(now, &payloads), After::Nothing)
            }
            _ => {
                self.stats.malformed += 1;
                return;
            }
        };
        let header = Header::new(
            self.spi_i,
            self.spi_r,
            message.header.exchange,
            Flags::new(true, true),
            id,
        );
        let mut state = std::mem::replace(&mut self.state, State::Closed);
        let sealed = match &mut state {
            State::Auth(auth) => self.protect(auth_sa_mut(auth), header, &answer),
            State::Established(sa) | State::Closing(sa) => self.protect(sa, header, &answer),
            State::SaInit(_) | State::Closed => return,
        };
        self.state = state;
        let Ok(datagrams) = sealed else {
            return;
        };
        self.peer.next = id.wrapping_add(1);
        self.peer.last = Some((id, datagrams.clone()));
        for d in datagrams {
            self.queue(d);
        }
        if let After::Closed(e) = after {
            self.fail(e);
        } else {
            // An address list may have asked for a move.
            self.start_next_want(now);
        }
    }

    fn informational(&mut self, payloads: &[Payload]) -> (Vec<Payload>, After) {
        let mut answer = Vec::new();
        let mut after = After::Nothing;
        for p in payloads {
            if let Payload::Delete(d) = p {
                match d.protocol {
                    ProtocolId::Ike => after = After::Closed(InitiatorError::ScDeleted),
                    ProtocolId::Esp if matches!(self.state, State::Established(_)) => {
                        // Answer with our inbound SPI of each CHILD_SA the SC
                        // deletes (RFC 7296 §1.4.1). A replaced one just
                        // retires; without the current one the connection
                        // has nothing left to carry.
                        let (ours, current_gone) = self.sc_deletes_children(&d.esp_spis());
                        if !ours.is_empty() {
                            answer.push(Payload::Delete(Delete::esp(&ours)));
                        }
                        if current_gone {
                            after = After::Closed(InitiatorError::ScDeleted);
                        }
                    }
                    _ => {}
                }
            }
        }
        // An empty request is a liveness check: the empty answer is the reply.
        (answer, after)
    }

    /// Sends DELETE for the IKE SA and waits for its answer (state Closing).
    pub(super) fn send_delete(&mut self, now: Instant) -> Result<(), InitiatorError> {
        let mut state = std::mem::replace(&mut self.state, State::Closed);
        let result = match &mut state {
            State::Closing(sa) => self.send_protected(
                now,
                sa,
                ExchangeType::Informational,
                &[Payload::Delete(Delete::ike())],
                Phase::Closing,
            ),
            _ => Ok(()),
        };
        self.state = state;
        if let Some(p) = self.pending.as_mut() {
            // A DELETE is not worth the full retransmission schedule.
            p.phase = Phase::Closing;
        }
        result
    }

    /// Sends DELETE for the IKE SA without waiting for an answer.
    pub(super) fn send_delete_unacknowledged(
        &mut self,
        sa: &mut IkeSa,
    ) -> Result<(), InitiatorError> {
        let message_id = self.next_message_id;
        let header = Header::new(
            self.spi_i,
            self.spi_r,
            ExchangeType::Informational,
            Flags::new(true, false),
            message_id,
        );
        let datagrams = self.protect(sa, header, &[Payload::Delete(Delete::ike())])?;
        self.next_message_id = message_id.wrapping_add(1);
        for d in datagrams {
            self.queue(d);
        }
        Ok(())
    }
}

fn auth_sa_mut(auth: &mut super::ike_auth::AuthState) -> &mut IkeSa {
    auth.sa_mut()
}
