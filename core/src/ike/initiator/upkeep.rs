//! Keeping an established IKE SA healthy: the requests we make of the SC
//! while up (CHILD_SA rekeys, DELETEs of replaced CHILD_SAs, liveness
//! checks), one at a time as the message-ID window of one requires
//! (RFC 7296 §2.3), and the timers that call for them.

use std::time::Instant;

use crate::ike::payload::{Delete, Payload};
use crate::ike::types::ExchangeType;

use super::child_rekey::Retiring;
use super::{Initiator, InitiatorError, Phase, State};

/// A request we want to make while established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// CREATE_CHILD_SA replacing the current CHILD_SA.
    RekeyChild,
    /// CREATE_CHILD_SA replacing the IKE SA.
    RekeyIke,
    /// INFORMATIONAL with DELETE for a replaced CHILD_SA.
    DeleteChild(Retiring),
    /// An empty INFORMATIONAL: is the SC still there? (RFC 7296 §1.4)
    /// With MOBIKE it carries NAT detection (RFC 4555 §3.8).
    Liveness,
    /// INFORMATIONAL with NAT detection only, to learn how the SC sees us
    /// (MOBIKE, after IKE_AUTH and IKE SA rekeys).
    NatCheck,
    /// INFORMATIONAL with UPDATE_SA_ADDRESSES (MOBIKE, RFC 4555 §3.5).
    UpdateAddresses,
}

impl Initiator {
    /// Protects and sends a request on the established IKE SA.
    pub(super) fn send_established(
        &mut self,
        now: Instant,
        exchange: ExchangeType,
        payloads: &[Payload],
        phase: Phase,
    ) -> Result<(), InitiatorError> {
        let mut state = std::mem::replace(&mut self.state, State::Closed);
        let result = match &mut state {
            State::Established(sa) => self.send_protected(now, sa, exchange, payloads, phase),
            _ => Ok(()),
        };
        self.state = state;
        result
    }

    /// When the next rekey or liveness check is due, if nothing is in
    /// flight.
    pub(super) fn upkeep_deadline(&self) -> Option<Instant> {
        if !matches!(self.state, State::Established(_)) || self.pending.is_some() {
            return None;
        }
        let rekey = self
            .child
            .as_ref()
            .filter(|_| self.rekey.is_none())
            .map(|c| c.rekey_at);
        let ike = self.ike_rekey_at.filter(|_| self.ike_rekey.is_none());
        let liveness = self
            .config
            .dpd_interval
            .zip(self.last_heard)
            .map(|(interval, heard)| heard + interval);
        [rekey, ike, liveness].into_iter().flatten().min()
    }

    /// Queues what has come due and starts it.
    pub(super) fn on_upkeep_timers(&mut self, now: Instant) {
        if !matches!(self.state, State::Established(_)) {
            return;
        }
        let rekey_due = self.child.as_ref().is_some_and(|c| now >= c.rekey_at);
        if rekey_due
            && self.rekey.is_none()
            && self.in_flight != Some(Want::RekeyChild)
            && !self.wants.contains(&Want::RekeyChild)
        {
            self.wants.push_back(Want::RekeyChild);
        }
        let ike_due = self.ike_rekey_at.is_some_and(|at| now >= at);
        if ike_due
            && self.ike_rekey.is_none()
            && self.in_flight != Some(Want::RekeyIke)
            && !self.wants.contains(&Want::RekeyIke)
        {
            self.wants.push_back(Want::RekeyIke);
        }
        let silent = self
            .config
            .dpd_interval
            .zip(self.last_heard)
            .is_some_and(|(interval, heard)| now >= heard + interval);
        if silent && self.in_flight.is_none() && !self.wants.contains(&Want::Liveness) {
            // First, before any rekey that came due meanwhile: after a long
            // silence (a laptop that slept) the SC may have dropped us, and
            // a liveness check finds that out on its short schedule
            // (7.5 s) where a rekey would retransmit for half a minute.
            self.wants.push_front(Want::Liveness);
        }
        self.start_next_want(now);
    }

    /// Sends the next wanted request unless one is in flight.
    pub(super) fn start_next_want(&mut self, now: Instant) {
        if self.pending.is_some() || !matches!(self.state, State::Established(_)) {
            return;
        }
        let Some(want) = self.wants.pop_front() else {
            return;
        };
        let sent = match want {
            Want::RekeyChild => self.send_child_rekey(now),
            Want::RekeyIke => self.send_ike_rekey(now),
            Want::DeleteChild(gone) => self.send_established(
                now,
                ExchangeType::Informational,
                &[Payload::Delete(Delete::esp(&[gone.spi_in]))],
                Phase::Rekeying,
            ),
            Want::Liveness | Want::NatCheck => {
                if want == Want::Liveness {
                    self.stats.liveness_checks += 1;
                }
                let nat_detection = if self.mobike.enabled {
                    self.nat_detection().to_vec()
                } else {
                    Vec::new()
                };
                self.send_established(
                    now,
                    ExchangeType::Informational,
                    &nat_detection,
                    Phase::Liveness,
                )
            }
            Want::UpdateAddresses => self.send_update_addresses(now),
        };
        match sent {
            Ok(()) => self.in_flight = Some(want),
            Err(e) => self.fail(e),
        }
    }

    /// The answer to our request while established.
    pub(super) fn on_upkeep_reply(&mut self, now: Instant, payloads: &[Payload]) {
        match self.in_flight.take() {
            Some(Want::RekeyChild) => {
                if let Err(e) = self.on_child_rekey_reply(now, payloads) {
                    // A reply we cannot use: keep the current SA, retry
                    // later, and count it.
                    let _ = e;
                    self.stats.failed_rekeys += 1;
                    if let Some(child) = self.child.as_mut() {
                        child.rekey_at = now + super::child_rekey::REKEY_RETRY;
                    }
                }
            }
            Some(Want::RekeyIke) => {
                if let Err(e) = self.on_ike_rekey_reply(now, payloads) {
                    // As for CHILD_SAs: keep the SA, retry later, count it.
                    let _ = e;
                    self.stats.failed_rekeys += 1;
                    self.ike_rekey_at = Some(now + super::child_rekey::REKEY_RETRY);
                }
            }
            Some(Want::DeleteChild(gone)) => self.child_deleted(gone),
            Some(Want::Liveness | Want::NatCheck) => self.check_nat_mapping(payloads),
            Some(Want::UpdateAddresses) => self.on_update_reply(payloads),
            None => {}
        }
        self.start_next_want(now);
    }

    /// Starts a liveness check now if nothing was heard from the SC for
    /// `silence` (the data path calls this while it is sending: a peer
    /// that stopped answering is then noticed within seconds, not after
    /// the idle interval).
    pub fn check_liveness_if_silent(&mut self, now: Instant, silence: std::time::Duration) {
        let silent = self.last_heard.is_some_and(|heard| now >= heard + silence);
        if !silent
            || self.config.dpd_interval.is_none()
            || self.in_flight.is_some()
            || !self.wants.is_empty()
        {
            return;
        }
        self.wants.push_back(Want::Liveness);
        self.start_next_want(now);
    }

    /// Hearing from the SC (an authenticated IKE message, or ESP the data
    /// path opened) postpones the liveness check.
    pub fn note_inbound(&mut self, now: Instant) {
        if self.last_heard.is_none_or(|t| now > t) {
            self.last_heard = Some(now);
        }
    }
}
