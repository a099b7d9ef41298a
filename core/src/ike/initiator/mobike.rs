//! MOBIKE (RFC 4555) from the initiator's side: the IKE SA and its
//! CHILD_SA follow us to a new address (UPDATE_SA_ADDRESSES, §3.5) with a
//! return routability check (COOKIE2, §3.7), a NAT that gave us another
//! public address or port is found by NAT detection in liveness checks
//! (§3.5, §3.8), and we follow the SC to another of its addresses when it
//! withdraws the one in use (§3.4, §3.6).
//!
//! Only the original initiator moves the SAs (§3.5): the SC answers, and
//! with a user-space ESP stack (strongSwan's kernel-libipsec) replaces the
//! CHILD_SA by a rekey right after, which [`super::child_rekey`] handles.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use ring::rand::{SecureRandom, SystemRandom};

use crate::crypto::CryptoError;
use crate::ike::message::notifies;
use crate::ike::natt::nat_detection_hash;
use crate::ike::payload::{Notify, Payload};
use crate::ike::sa_init::UNMATCHABLE_SOURCE;
use crate::ike::types::{ExchangeType, NotifyType};

use super::exchange::is_error_notify;
use super::{Event, Initiator, InitiatorError, Phase, State, Want};

/// Octets of our COOKIE2 (RFC 4555 §4.2: 8 to 64).
const COOKIE2_LEN: usize = 16;

/// MOBIKE state of the IKE SA.
#[derive(Debug, Default)]
pub(super) struct Mobike {
    /// Both sides sent MOBIKE_SUPPORTED in IKE_AUTH (§3.2); inherited by
    /// a rekeyed IKE SA.
    pub enabled: bool,
    /// How the SC last saw our address and port: its
    /// NAT_DETECTION_DESTINATION_IP under the current IKE SPIs. `None`
    /// until an exchange told us (IKE_SA_INIT's does not count: it went
    /// to port 500, through another NAT mapping).
    seen_as: Option<Vec<u8>>,
    /// The COOKIE2 of our UPDATE_SA_ADDRESSES in flight, and the address
    /// it announced.
    update: Option<(Vec<u8>, SocketAddr)>,
    /// Other addresses the SC announced (ADDITIONAL_IP*_ADDRESS).
    pub sc_addresses: Vec<IpAddr>,
}

impl Initiator {
    /// Whether the IKE SA can move between addresses: MOBIKE was agreed
    /// and the SA is up.
    pub fn mobike(&self) -> bool {
        self.mobike.enabled && matches!(self.state, State::Established(_))
    }

    /// The SC's other addresses, as it announced them (RFC 4555 §3.6).
    pub fn sc_additional_addresses(&self) -> &[IpAddr] {
        &self.mobike.sc_addresses
    }

    /// Our address and port as the engine uses them (for NAT detection).
    pub fn local_address(&self) -> SocketAddr {
        self.local
    }

    /// Our socket now sends from `local` (a network change gave us another
    /// address, or a new socket another port). With MOBIKE the SC is told
    /// at once with UPDATE_SA_ADDRESSES (RFC 4555 §3.5): a request already
    /// in flight is resent now from the new path and the update follows
    /// its answer; [`Event::PathUpdated`] reports the SC's confirmation.
    /// Returns `false` without MOBIKE: the caller should connect again.
    pub fn move_to(&mut self, now: Instant, local: SocketAddr) -> bool {
        if !self.mobike() {
            return false;
        }
        self.local = local;
        self.mobike.seen_as = None;
        self.want_first(Want::UpdateAddresses);
        self.resend_in_flight(now);
        self.start_next_want(now);
        true
    }

    /// Puts `want` at the head of the queue (once).
    fn want_first(&mut self, want: Want) {
        if !self.wants.contains(&want) {
            self.wants.push_front(want);
        }
    }

    /// §3.5: outstanding requests are retransmitted on the new path, now,
    /// with a fresh schedule (the old path's silence says nothing of it).
    fn resend_in_flight(&mut self, now: Instant) {
        let deadline = self.retransmit_deadline(now);
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        pending.tries = 1;
        pending.first_sent = now;
        pending.deadline = deadline;
        let datagrams = pending.datagrams.clone();
        for d in datagrams {
            self.queue(d);
        }
    }

    /// NAT_DETECTION_SOURCE_IP and _DESTINATION_IP for the current path
    /// and IKE SPIs (RFC 7296 §2.23). With forced UDP encapsulation our
    /// source hash never matches, so the SC keeps encapsulating.
    pub(super) fn nat_detection(&self) -> [Payload; 2] {
        let source = if self.config.force_udp_encapsulation {
            UNMATCHABLE_SOURCE
        } else {
            self.local
        };
        [
            Payload::Notify(Notify::new(
                NotifyType::NatDetectionSourceIp,
                nat_detection_hash(&self.spi_i, &self.spi_r, source).to_vec(),
            )),
            Payload::Notify(Notify::new(
                NotifyType::NatDetectionDestinationIp,
                nat_detection_hash(&self.spi_i, &self.spi_r, self.remote).to_vec(),
            )),
        ]
    }

    /// INFORMATIONAL with UPDATE_SA_ADDRESSES, NAT detection and a COOKIE2
    /// for the return routability check (RFC 4555 §3.5, §3.7).
    pub(super) fn send_update_addresses(&mut self, now: Instant) -> Result<(), InitiatorError> {
        let mut cookie = vec![0u8; COOKIE2_LEN];
        SystemRandom::new()
            .fill(&mut cookie)
            .map_err(|_| CryptoError::RandomFailure)?;
        let mut payloads = vec![Payload::Notify(Notify::flag(NotifyType::UpdateSaAddresses))];
        payloads.extend(self.nat_detection());
        payloads.push(Payload::Notify(Notify::new(
            NotifyType::Cookie2,
            cookie.clone(),
        )));
        self.mobike.update = Some((cookie, self.local));
        self.send_established(now, ExchangeType::Informational, &payloads, Phase::Roaming)
    }

    /// The SC's answer to UPDATE_SA_ADDRESSES.
    pub(super) fn on_update_reply(&mut self, payloads: &[Payload]) {
        let update = self.mobike.update.take();
        if let Some(kind) = is_error_notify(payloads) {
            // UNACCEPTABLE_ADDRESSES, UNEXPECTED_NAT_DETECTED: this path
            // will not do; a new connection may.
            return self.fail(InitiatorError::from_notify(Phase::Roaming, kind));
        }
        let Some((cookie, announced)) = update else {
            return;
        };
        let echoed = notify_data(payloads, NotifyType::Cookie2);
        if echoed != Some(cookie.as_slice()) {
            return self.fail(InitiatorError::Protocol(
                "the SC did not return our COOKIE2 when moving the SA (RFC 4555 §3.7)",
            ));
        }
        if announced != self.local {
            // We moved again meanwhile: the next update follows.
            return;
        }
        let seen = notify_data(payloads, NotifyType::NatDetectionDestinationIp);
        let behind_nat =
            seen.is_none_or(|s| s != nat_detection_hash(&self.spi_i, &self.spi_r, self.local));
        self.mobike.seen_as = seen.map(<[u8]>::to_vec);
        self.stats.path_updates += 1;
        self.events.push_back(Event::PathUpdated {
            local: self.local,
            sc: self.remote,
            behind_nat,
        });
    }

    /// The answer to a liveness check or NAT check that carried NAT
    /// detection: another NAT_DETECTION_DESTINATION_IP than before means a
    /// NAT between us gave us a new public address or port, and the SC
    /// still sends to the old one (§3.5): move the SA to where it sees us.
    pub(super) fn check_nat_mapping(&mut self, payloads: &[Payload]) {
        if !self.mobike.enabled {
            return;
        }
        let Some(seen) = notify_data(payloads, NotifyType::NatDetectionDestinationIp) else {
            return;
        };
        match &self.mobike.seen_as {
            None => self.mobike.seen_as = Some(seen.to_vec()),
            Some(before) if before.as_slice() == seen => {}
            Some(_) => {
                self.stats.nat_rebindings += 1;
                self.mobike.seen_as = None;
                self.want_first(Want::UpdateAddresses);
            }
        }
    }

    /// MOBIKE in IKE_AUTH's last reply: whether the SC supports it, and
    /// its other addresses.
    pub(super) fn mobike_negotiated(&mut self, payloads: &[Payload]) {
        self.mobike.enabled = notifies(payloads).any(|n| n.kind == NotifyType::MobikeSupported);
        if self.mobike.enabled {
            if let Some(addresses) = self.announced_addresses(payloads) {
                self.mobike.sc_addresses = addresses;
            }
            // Learn how the SC sees us on this path, so a later change shows.
            self.wants.push_back(Want::NatCheck);
        }
    }

    /// A new IKE SA has new SPIs, so the NAT detection hashes change: learn
    /// them again.
    pub(super) fn mobike_rekeyed(&mut self) {
        self.mobike.seen_as = None;
        if self.mobike.enabled && !self.wants.contains(&Want::NatCheck) {
            self.wants.push_back(Want::NatCheck);
        }
    }

    /// The MOBIKE part of the SC's INFORMATIONAL request sent from `from`:
    /// NAT detection and COOKIE2 are answered in kind (§3.7, §3.8), and an
    /// address list is taken in (§3.6). If the list no longer
    /// holds the SC address in use, we follow it to the address it wrote
    /// from. Returns the notifications for our answer.
    pub(super) fn mobike_request(
        &mut self,
        payloads: &[Payload],
        from: SocketAddr,
    ) -> Vec<Payload> {
        let mut answer = Vec::new();
        if !self.mobike.enabled {
            return answer;
        }
        let asks_nat = notifies(payloads).any(|n| {
            matches!(
                n.kind,
                NotifyType::NatDetectionSourceIp | NotifyType::NatDetectionDestinationIp
            )
        });
        if asks_nat {
            let [source, _] = self.nat_detection();
            answer.push(source);
            answer.push(Payload::Notify(Notify::new(
                NotifyType::NatDetectionDestinationIp,
                nat_detection_hash(&self.spi_i, &self.spi_r, from).to_vec(),
            )));
        }
        if let Some(cookie) = notify_data(payloads, NotifyType::Cookie2) {
            answer.push(Payload::Notify(Notify::new(
                NotifyType::Cookie2,
                cookie.to_vec(),
            )));
        }
        if let Some(addresses) = self.announced_addresses(payloads) {
            let in_use = self.remote.ip();
            if in_use != from.ip() && !addresses.contains(&in_use) {
                self.remote = SocketAddr::new(from.ip(), self.remote.port());
                self.mobike.seen_as = None;
                self.want_first(Want::UpdateAddresses);
            }
            self.mobike.sc_addresses = addresses;
        }
        answer
    }

    /// ADDITIONAL_IP4/6_ADDRESS values, or an empty list for
    /// NO_ADDITIONAL_ADDRESSES; `None` if the message has neither.
    /// Malformed values are counted and skipped.
    fn announced_addresses(&mut self, payloads: &[Payload]) -> Option<Vec<IpAddr>> {
        let mut list = None::<Vec<IpAddr>>;
        for n in notifies(payloads) {
            let address = match n.kind {
                NotifyType::NoAdditionalAddresses => {
                    list.get_or_insert_with(Vec::new);
                    continue;
                }
                NotifyType::AdditionalIp4Address => <[u8; 4]>::try_from(n.data.as_slice())
                    .ok()
                    .map(|o| IpAddr::V4(Ipv4Addr::from(o))),
                NotifyType::AdditionalIp6Address => <[u8; 16]>::try_from(n.data.as_slice())
                    .ok()
                    .map(|o| IpAddr::V6(Ipv6Addr::from(o))),
                _ => continue,
            };
            match address {
                Some(a) => list.get_or_insert_with(Vec::new).push(a),
                None => self.stats.malformed += 1,
            }
        }
        list
    }
}

/// The data of the first notification of `kind`.
fn notify_data(payloads: &[Payload], kind: NotifyType) -> Option<&[u8]> {
    notifies(payloads)
        .find(|n| n.kind == kind)
        .map(|n| n.data.as_slice())
}
