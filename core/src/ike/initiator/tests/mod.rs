//! Deterministic tests of the initiator: a fake clock, a scripted SC, and
//! every path of IKE_SA_INIT and IKE_AUTH, lost packets and forged replies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod certificates;
mod child_checks;
mod confirm_sc;
mod fake_child;
mod fake_sc;
mod fragment_size;
mod ike_rekeying;
mod mobike;
mod paths;
mod rekeying;
mod robustness;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::crypto::SecretBytes;
use crate::ike::payload::Identification;

use super::{ClientAuth, Event, Initiator, InitiatorConfig, RetransmitPolicy, ScAuth, Transmit};
use fake_sc::{FakeSc, Script, SC_ADDR};

pub const PSK: &[u8] = b"correct horse battery staple";
pub const LOCAL: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)), 50_000);
/// Where a hotspot's NAT makes us appear.
pub const NAT_PUBLIC: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)), 61_000);

pub fn psk_config() -> InitiatorConfig {
    InitiatorConfig::new(
        Identification::rfc822("psk-client@example.net"),
        Identification::fqdn("sc.example.net"),
        ClientAuth::Psk(SecretBytes::from_slice(PSK)),
        ScAuth::SharedKey(SecretBytes::from_slice(PSK)),
    )
}

/// An initiator, a fake SC and a fake clock, wired together.
pub struct Harness {
    pub now: Instant,
    pub initiator: Initiator,
    pub sc: FakeSc,
    pub events: Vec<Event>,
    /// Everything the initiator sent, in order.
    pub sent: Vec<Transmit>,
    /// Drop the initiator's datagrams whose index (0-based, over `sent`) is listed.
    pub drop: Vec<usize>,
    /// Where the SC sees our datagrams come from, if set (a moved client,
    /// a NAT that rebound); else [`LOCAL`] or [`NAT_PUBLIC`].
    pub source: Option<SocketAddr>,
    /// Where the SC's answers come from, if set; else its own address.
    pub sc_source: Option<SocketAddr>,
}

impl Harness {
    pub fn new(config: InitiatorConfig, script: Script) -> Self {
        let now = Instant::now();
        let initiator = Initiator::new(config, now, LOCAL, SC_ADDR).unwrap();
        Self {
            now,
            initiator,
            sc: FakeSc::new(script),
            events: Vec::new(),
            sent: Vec::new(),
            drop: Vec::new(),
            source: None,
            sc_source: None,
        }
    }

    /// Delivers everything queued, both ways, until quiet.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.initiator.poll_transmit() {
                progressed = true;
                let index = self.sent.len();
                self.sent.push(t.clone());
                if self.drop.contains(&index) {
                    continue;
                }
                let from = match self.source {
                    Some(source) => source,
                    None if self.sc.script.sees_us_at.is_some() => NAT_PUBLIC,
                    None => LOCAL,
                };
                for reply in self.sc.handle(from, t.destination, &t.payload) {
                    let source = self.sc_source.unwrap_or_else(|| self.sc.address());
                    self.initiator.handle_datagram(self.now, source, &reply);
                }
            }
            while let Some(e) = self.initiator.poll_event() {
                progressed = true;
                self.events.push(e);
            }
            if !progressed {
                return;
            }
        }
    }

    /// Moves the fake clock to the initiator's next deadline and fires it.
    pub fn advance(&mut self) -> Duration {
        let deadline = self
            .initiator
            .poll_timeout()
            .expect("a deadline is pending");
        let step = deadline.saturating_duration_since(self.now);
        self.now = deadline;
        self.initiator.handle_timeout(self.now);
        step
    }

    pub fn established(&self) -> Option<&super::Established> {
        self.events.iter().find_map(|e| match e {
            Event::Established(e) => Some(e.as_ref()),
            _ => None,
        })
    }

    pub fn closed(&self) -> Option<&Result<(), super::InitiatorError>> {
        self.events.iter().find_map(|e| match e {
            Event::Closed(r) => Some(r),
            _ => None,
        })
    }
}
