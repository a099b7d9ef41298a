//! The sans-IO IKEv2 initiator (RFC 7296): IKE_SA_INIT, IKE_AUTH with its
//! CHILD_SA and configuration payload, retransmission, and answers to the
//! SC's INFORMATIONAL requests.
//!
//! Bytes and time in, datagrams, deadlines and events out:
//!
//! ```text
//! initiator.handle_datagram(now, from, bytes)
//! initiator.handle_timeout(now)
//! initiator.poll_transmit() -> Option<Transmit>
//! initiator.poll_timeout()  -> Option<Instant>
//! initiator.poll_event()    -> Option<Event>
//! ```
//!
//! It never opens a socket or reads a clock, so a whole exchange, a lost
//! packet or a forged reply is a deterministic test.

mod child_rekey;
mod config;
mod error;
mod exchange;
mod ike_auth;
mod ike_rekey;
mod mobike;
mod peer_requests;
mod sa;
mod upkeep;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};

pub use config::{
    ClientAuth, InitiatorConfig, Lifetime, RetransmitPolicy, ScAuth, DEFAULT_DPD_INTERVAL,
};
pub use error::{InitiatorError, Phase};

use crate::crypto::{CryptoError, IkeSuite, KeyExchange};
use crate::ike::child::{ChildSa, TunnelConfig};
use crate::ike::fragment::Reassembly;
use crate::ike::header::Spi;
use crate::ike::message::Message;
use crate::ike::natt::{classify_port_4500, with_non_esp_marker, Port4500};
use crate::ike::sa_init::NatStatus;

use child_rekey::{ChildRekey, CurrentChild, Retiring};
use exchange::Pending;
use ike_rekey::{IkeRekey, OldIke};
use mobike::Mobike;
use sa::IkeSa;
use upkeep::Want;

/// The IKE port (RFC 7296 §2).
pub const IKE_PORT: u16 = 500;
/// The NAT-traversal port (RFC 3948).
pub const NATT_PORT: u16 = 4500;
/// Sends of our DELETE before giving up on an answer (0.5 + 1 + 2 s).
pub const CLOSING_TRIES: u32 = 3;
/// Sends of a liveness check before the SC counts as gone (7.5 s).
pub const LIVENESS_TRIES: u32 = 4;

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The UDP payload (with the non-ESP marker when sent to port 4500).
    pub payload: Vec<u8>,
}

/// What the initiator reports.
#[derive(Debug)]
pub enum Event {
    /// A new phase began.
    Phase(Phase),
    /// With [`InitiatorConfig::confirm_sc`]: the SC has proven the
    /// expected identity (IDr, certificate and AUTH checked, RFC 7296
    /// §2.15) and EAP is next; nothing more is sent until
    /// [`Initiator::proceed`] or [`Initiator::abandon`]. The SC waits for
    /// our next IKE_AUTH request meanwhile (strongSwan keeps a half-open
    /// SA for 30 s), so the pause must stay short.
    ScProven {
        /// The identity it proved.
        identity: String,
    },
    /// The IKE SA and the first CHILD_SA are up.
    Established(Box<Established>),
    /// A new CHILD_SA replaces the current one (a rekey by either side,
    /// RFC 7296 §1.3.3): accept ESP on it from now on, and keep accepting
    /// ESP on the old one until [`Event::ChildRetired`]. Keep sending on the
    /// old one until [`Event::ChildOutbound`] names this one (or ESP
    /// arrives on it).
    ChildRekeyed(Box<ChildSa>),
    /// Send on the CHILD_SA with this inbound SPI from now on.
    ChildOutbound {
        /// Our inbound SPI of that CHILD_SA.
        spi_in: u32,
    },
    /// A replaced CHILD_SA is deleted on both sides: ESP for our inbound
    /// SPI `spi_in` will no longer come (stragglers may, briefly).
    ChildRetired {
        /// Our inbound SPI of the retired SA.
        spi_in: u32,
    },
    /// The SC confirmed that the SAs moved (MOBIKE, RFC 4555 §3.5): IKE
    /// and ESP now go from `local` to `sc`.
    PathUpdated {
        /// Our address and port.
        local: SocketAddr,
        /// The SC's address and port.
        sc: SocketAddr,
        /// A NAT stands between (the SC sees another address or port).
        behind_nat: bool,
    },
    /// The attempt or the connection ended: `Ok` when we closed it.
    Closed(Result<(), InitiatorError>),
}

/// The result of a successful IKE_AUTH.
#[derive(Debug)]
pub struct Established {
    /// The IKE SA's algorithms.
    pub suite: IkeSuite,
    /// The CHILD_SA for the data path.
    pub child: ChildSa,
    /// Inner addresses and DNS from the SC.
    pub config: TunnelConfig,
    /// NAT detection results.
    pub nat: NatStatus,
    /// The identity the SC proved.
    pub sc_identity: String,
    /// Where the SC is now reached (port 4500 with NAT-T).
    pub sc_address: SocketAddr,
    /// The SC agreed to MOBIKE (RFC 4555): the SAs can follow us to
    /// another address ([`Initiator::move_to`]).
    pub mobike: bool,
}

/// Counters of what was dropped and why; none of these end the attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams that did not decode.
    pub malformed: u64,
    /// Datagrams from an address other than the SC's.
    pub unknown_sender: u64,
    /// Messages for another IKE SA.
    pub wrong_spi: u64,
    /// Responses with no matching outstanding request (late duplicates included).
    pub unexpected_response: u64,
    /// Protected messages whose integrity check failed.
    pub integrity_failures: u64,
    /// Requests from the SC outside the message-ID window.
    pub out_of_window: u64,
    /// Retransmissions of the SC's requests we answered from cache.
    pub duplicate_requests: u64,
    /// ESP packets and keepalives seen on the IKE socket (the data path's).
    pub not_ike: u64,
    /// Our retransmissions.
    pub retransmits: u64,
    /// CP attributes with malformed values.
    pub malformed_attributes: u64,
    /// IKE_SA_INIT restarts because the SC asked for a cookie (RFC 7296 §2.6).
    pub cookie_restarts: u64,
    /// IKE_SA_INIT restarts because the SC wanted another group (§1.3).
    pub invalid_ke_restarts: u64,
    /// Liveness checks sent after silence from the SC.
    pub liveness_checks: u64,
    /// CHILD_SA rekeys whose answer we could not use (retried later).
    pub failed_rekeys: u64,
    /// IKE SA rekeys completed.
    pub ike_rekeys: u64,
    /// CHILD_SA rekeys of the SC that crossed one of ours (RFC 7296 §2.8.1).
    pub rekey_collisions: u64,
    /// Moves of the SAs to a new path the SC confirmed (MOBIKE).
    pub path_updates: u64,
    /// NAT mapping changes found by NAT detection (RFC 4555 §3.8).
    pub nat_rebindings: u64,
}

enum State {
    /// Waiting for the IKE_SA_INIT reply.
    SaInit(Box<sa::SaInitState>),
    /// IKE_AUTH under way.
    Auth(Box<ike_auth::AuthState>),
    /// Up.
    Established(Box<IkeSa>),
    /// DELETE sent, waiting for its answer.
    Closing(Box<IkeSa>),
    /// Finished.
    Closed,
}

/// The IKEv2 initiator for one connection.
pub struct Initiator {
    config: InitiatorConfig,
    state: State,
    local: SocketAddr,
    remote: SocketAddr,
    natt: bool,
    spi_i: Spi,
    spi_r: Spi,
    nonce_i: Vec<u8>,
    next_message_id: u32,
    /// The CHILD_SA in use, once established.
    child: Option<CurrentChild>,
    /// Our CHILD_SA rekey in flight.
    rekey: Option<ChildRekey>,
    /// Replaced CHILD_SAs not yet deleted.
    retiring: Vec<Retiring>,
    /// The CHILD_SA (by our inbound SPI) the SC rekeyed, not yet sent on.
    send_later: Option<u32>,
    /// Requests waiting for the window.
    wants: VecDeque<Want>,
    /// The request of [`Initiator::wants`] in flight.
    in_flight: Option<Want>,
    /// When we last heard from the SC (for liveness checks).
    last_heard: Option<Instant>,
    /// Our IKE SA rekey in flight.
    ike_rekey: Option<IkeRekey>,
    /// When the IKE SA is due for a rekey.
    ike_rekey_at: Option<Instant>,
    /// A replaced IKE SA whose DELETE is outstanding.
    old_ike: Option<OldIke>,
    /// MOBIKE state.
    mobike: Mobike,
    /// The largest IKE datagram we send before fragmenting (RFC 7383).
    fragment_size: usize,
    pending: Option<Pending>,
    peer: peer_requests::PeerWindow,
    reassembly: Reassembly,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
}

impl std::fmt::Debug for Initiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Initiator")
            .field("phase", &self.phase())
            .field("remote", &self.remote)
            .field("natt", &self.natt)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Initiator {
    /// Starts an attempt: the IKE_SA_INIT request is ready in
    /// [`Initiator::poll_transmit`]. `local` is the address the socket sends
    /// from (for NAT detection), `remote` the SC's IKE address.
    pub fn new(
        config: InitiatorConfig,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<Self, InitiatorError> {
        let rng = SystemRandom::new();
        let mut spi_i = [0u8; 8];
        let mut nonce_i = vec![0u8; 32];
        rng.fill(&mut spi_i)
            .map_err(|_| CryptoError::RandomFailure)?;
        rng.fill(&mut nonce_i)
            .map_err(|_| CryptoError::RandomFailure)?;
        let group = config.first_group;
        let fragment_size = config.fragment_size;
        let mut me = Self {
            config,
            state: State::Closed,
            local,
            remote,
            natt: false,
            spi_i,
            spi_r: [0; 8],
            nonce_i,
            next_message_id: 0,
            child: None,
            rekey: None,
            retiring: Vec::new(),
            send_later: None,
            wants: VecDeque::new(),
            in_flight: None,
            last_heard: None,
            ike_rekey: None,
            ike_rekey_at: None,
            old_ike: None,
            mobike: Mobike::default(),
            fragment_size,
            pending: None,
            peer: peer_requests::PeerWindow::default(),
            reassembly: Reassembly::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
        };
        me.events.push_back(Event::Phase(Phase::SaInit));
        let ke = KeyExchange::generate(group)?;
        me.send_sa_init(now, ke, None, 0)?;
        Ok(me)
    }

    /// The current phase, or `None` once closed.
    pub fn phase(&self) -> Option<Phase> {
        match self.state {
            State::SaInit(_) => Some(Phase::SaInit),
            State::Auth(_) => Some(Phase::Authenticating),
            State::Established(_) => Some(Phase::Established),
            State::Closing(_) => Some(Phase::Closing),
            State::Closed => None,
        }
    }

    /// What was dropped so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Where the SC is reached now (port 4500 once UDP encapsulation is on).
    pub fn sc_address(&self) -> SocketAddr {
        self.remote
    }

    /// Our IKE SPI.
    pub fn spi_i(&self) -> Spi {
        self.spi_i
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Initiator::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let retransmit = self.pending.as_ref().map(|p| p.deadline);
        let old_ike = self.old_ike.as_ref().map(|o| o.deadline);
        [retransmit, old_ike, self.upkeep_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Retransmits or gives up when the deadline has passed; starts a
    /// CHILD_SA rekey or a liveness check when one is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.retransmit_if_due(now);
        self.old_ike_timeout(now);
        self.on_upkeep_timers(now);
    }

    fn retransmit_if_due(&mut self, now: Instant) {
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        if now < pending.deadline {
            return;
        }
        // A DELETE gets a short schedule: whoever closes should not wait
        // half a minute for an SC that is gone.
        let tries = match pending.phase {
            Phase::Closing => self.config.retransmit.tries.min(CLOSING_TRIES),
            // 0.5 + 1 + 2 + 4 s: an SC that misses four checks is gone,
            // and so is one that leaves a rekey, a DELETE or an address
            // update unanswered as long (a laptop that slept may answer
            // the SC's stale requests first, and must not then wait half a
            // minute on a rekey the SC will never answer).
            Phase::Liveness | Phase::Roaming | Phase::Rekeying => {
                self.config.retransmit.tries.min(LIVENESS_TRIES)
            }
            _ => self.config.retransmit.tries,
        };
        if pending.tries >= tries {
            let phase = pending.phase;
            let tries = pending.tries;
            let waited = now.saturating_duration_since(pending.first_sent);
            self.pending = None;
            if phase == Phase::Closing {
                // The SC did not confirm our DELETE; the SA is gone on our side anyway.
                self.finish(Ok(()));
            } else {
                self.finish(Err(InitiatorError::Timeout {
                    phase,
                    tries,
                    waited,
                }));
            }
            return;
        }
        pending.deadline = now + self.config.retransmit.wait(pending.tries);
        pending.tries += 1;
        self.stats.retransmits += 1;
        let tries = pending.tries;
        self.shrink_fragments_if_stuck(tries);
        let datagrams = self
            .pending
            .as_ref()
            .map(|p| p.datagrams.clone())
            .unwrap_or_default();
        for d in datagrams {
            self.queue(d);
        }
    }

    /// Feeds one UDP datagram received from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if matches!(self.state, State::Closed) {
            return;
        }
        // With MOBIKE the SC may write from another of its addresses
        // (RFC 4555 §3.6): such requests are authenticated like any other;
        // responses come only from where we sent the request.
        let elsewhere = from.ip() != self.remote.ip();
        if elsewhere && !self.mobike() {
            self.stats.unknown_sender += 1;
            return;
        }
        let ike = if from.port() == NATT_PORT {
            match classify_port_4500(datagram) {
                Port4500::Ike(ike) => ike,
                Port4500::Esp(_) | Port4500::Keepalive => {
                    self.stats.not_ike += 1;
                    return;
                }
                Port4500::Invalid => {
                    self.stats.malformed += 1;
                    return;
                }
            }
        } else {
            datagram
        };
        let message = match Message::decode(ike) {
            Ok(m) => m,
            Err(_) => {
                self.stats.malformed += 1;
                return;
            }
        };
        if self.for_old_ike(ike, &message) {
            return;
        }
        if message.header.spi_i != self.spi_i {
            self.stats.wrong_spi += 1;
            return;
        }
        if message.header.flags.response() {
            if elsewhere {
                self.stats.unknown_sender += 1;
                return;
            }
            self.on_response(now, ike, &message);
        } else {
            self.on_request(now, from, ike, &message);
        }
    }

    /// Closes the connection: sends a DELETE for the IKE SA if one exists
    /// (RFC 7296 §1.4.1) and reports [`Event::Closed`] once answered.
    pub fn close(&mut self, now: Instant) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Established(sa) => {
                self.pending = None;
                self.state = State::Closing(sa);
                if let Err(e) = self.send_delete(now) {
                    self.finish(Err(e));
                }
            }
            State::Auth(auth) => {
                // Half-open: tell the SC to forget it, but don't wait.
                let mut sa = auth.into_sa();
                self.pending = None;
                let _ = self.send_delete_unacknowledged(&mut sa);
                self.finish(Ok(()));
            }
            State::SaInit(_) | State::Closing(_) | State::Closed => {
                self.pending = None;
                self.finish(Ok(()));
            }
        }
    }

    /// Drops this attempt because another SC was chosen: a DELETE for
    /// whatever exists at the SC, sent without waiting (RFC 7296 §1.4.1),
    /// then [`Event::Closed`] with [`InitiatorError::Abandoned`].
    pub fn abandon(&mut self, _now: Instant) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Auth(auth) => {
                let mut sa = auth.into_sa();
                self.pending = None;
                let _ = self.send_delete_unacknowledged(&mut sa);
            }
            State::Established(mut sa) | State::Closing(mut sa) => {
                self.pending = None;
                let _ = self.send_delete_unacknowledged(&mut sa);
            }
            State::SaInit(_) => self.pending = None,
            State::Closed => return,
        }
        self.finish(Err(InitiatorError::Abandoned));
    }

    fn finish(&mut self, result: Result<(), InitiatorError>) {
        self.state = State::Closed;
        self.pending = None;
        self.events.push_back(Event::Closed(result));
    }

    fn fail(&mut self, error: InitiatorError) {
        self.finish(Err(error));
    }

    /// Queues an IKE message for the SC, with the non-ESP marker on 4500.
    fn queue(&mut self, ike: Vec<u8>) {
        let payload = if self.natt {
            with_non_esp_marker(&ike)
        } else {
            ike
        };
        self.transmits.push_back(Transmit {
            destination: self.remote,
            payload,
        });
    }

    /// Moves IKE to port 4500 (RFC 7296 §2.23).
    fn switch_to_natt(&mut self) {
        self.natt = true;
        self.remote.set_port(NATT_PORT);
    }

    fn retransmit_deadline(&self, now: Instant) -> Instant {
        now + self.config.retransmit.wait(0)
    }
}

/// Time left before a deadline, for drivers that sleep.
pub fn until(deadline: Instant, now: Instant) -> Duration {
    deadline.saturating_duration_since(now)
}

#[cfg(test)]
mod tests;
