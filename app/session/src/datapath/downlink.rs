//! Socket → ESP → device: one batched receive (several buffers, each a run
//! of datagrams the kernel coalesced) is opened in place and the inner
//! packets go to the device in one batch, where TCP segments are merged
//! back into super-packets.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use softwire_core::esp::{EspCounters, EspInbound};
use softwire_core::ike::natt::{classify_port_4500, Port4500};
use softwire_platform::device::WriteBatch;
use softwire_platform::udp::RecvBatch;

use super::Counters;

/// The inbound SAs: the current one first, then replaced ones still
/// draining (RFC 7296 §2.8: until their DELETE, ESP may still come on them).
pub(super) struct InboundSas {
    sas: Vec<EspInbound>,
    /// What retired SAs counted.
    retired: EspCounters,
}

impl InboundSas {
    pub(super) fn new(current: EspInbound) -> Self {
        Self {
            sas: vec![current],
            retired: EspCounters::default(),
        }
    }

    /// A new current SA (after a rekey).
    pub(super) fn add(&mut self, sa: EspInbound) {
        self.sas.insert(0, sa);
    }

    /// Forgets a replaced SA; its counts stay in the totals.
    pub(super) fn retire(&mut self, spi: u32) {
        if let Some(at) = self.sas.iter().skip(1).position(|sa| sa.spi() == spi) {
            let gone = self.sas.remove(at + 1);
            self.retired.add(gone.counters());
        }
    }

    /// Whether the SA with inbound SPI `spi` has delivered anything.
    pub(super) fn has_traffic(&self, spi: u32) -> bool {
        self.sas
            .iter()
            .any(|sa| sa.spi() == spi && sa.counters().packets_in > 0)
    }

    /// The SA an ESP packet names by its SPI; the current one (which
    /// counts it as unknown) when none does.
    fn for_packet(&mut self, esp: &[u8]) -> Option<&mut EspInbound> {
        let spi = esp.first_chunk::<4>().map(|s| u32::from_be_bytes(*s));
        let at = self
            .sas
            .iter()
            .position(|sa| Some(sa.spi()) == spi)
            .unwrap_or(0);
        self.sas.get_mut(at)
    }

    /// All SAs' counters together.
    pub(super) fn counters(&self) -> EspCounters {
        let mut all = self.retired;
        for sa in &self.sas {
            all.add(sa.counters());
        }
        all
    }
}

/// The downlink's state between receives.
pub(super) struct Downlink {
    pub(super) inbound: InboundSas,
    pub(super) received: RecvBatch,
    pub(super) writes: WriteBatch,
    pub(super) counters: Arc<Counters>,
}

impl Downlink {
    /// Opens the ESP packets of the last receive into [`Downlink::writes`]
    /// (when `peer` is given, only ESP from it); hands every other datagram
    /// but NAT keepalives to `other` (IKE, for the initiator). Drops are
    /// counted by the SA. Returns how many ESP packets were delivered.
    pub(super) fn open_received(
        &mut self,
        peer: Option<SocketAddr>,
        mut other: impl FnMut(SocketAddr, &[u8]),
    ) -> usize {
        let mut delivered = 0;
        let calls = &self.counters.calls;
        calls.udp_receives.fetch_add(1, Ordering::Relaxed);
        for index in 0..self.received.len() {
            let Some(mut buffer) = self.received.get_mut(index) else {
                continue;
            };
            let (from, ecn) = (buffer.from, buffer.ecn);
            for datagram in buffer.datagrams() {
                match classify_port_4500(datagram) {
                    Port4500::Esp(_) if peer.is_none_or(|p| p == from) => {
                        // Decrypt where it landed: no copy before the batch.
                        let Some(sa) = self.inbound.for_packet(datagram) else {
                            continue;
                        };
                        if let Ok(opened) = sa.open_in_place(datagram, ecn) {
                            if let Some(inner) = datagram.get(opened.range) {
                                self.writes.push(inner);
                                delivered += 1;
                            }
                        }
                    }
                    Port4500::Keepalive => {}
                    _ => other(from, datagram),
                }
            }
        }
        let writes = u64::try_from(self.writes.pending_writes()).unwrap_or(u64::MAX);
        calls.device_writes.fetch_add(writes, Ordering::Relaxed);
        if let Ok(mut c) = self.counters.inbound.lock() {
            *c = self.inbound.counters();
        }
        delivered
    }
}
