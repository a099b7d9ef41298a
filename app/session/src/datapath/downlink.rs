//! Socket → ESP → device: one batched receive (several buffers, each a run
//! of datagrams the kernel coalesced) is opened in place and the inner
//! packets go to the device in one batch, where TCP segments are merged
//! back into super-packets.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use softwire_core::esp::EspInbound;
use softwire_core::ike::natt::{classify_port_4500, Port4500};
use softwire_platform::device::WriteBatch;
use softwire_platform::udp::RecvBatch;

use super::Counters;

/// The downlink's state between receives.
pub(super) struct Downlink {
    pub(super) inbound: EspInbound,
    pub(super) received: RecvBatch,
    pub(super) writes: WriteBatch,
    pub(super) counters: Arc<Counters>,
}

impl Downlink {
    /// Opens the ESP packets of the last receive into [`Downlink::writes`]
    /// (when `peer` is given, only ESP from it); hands every other datagram
    /// but NAT keepalives to `other` (IKE, for the initiator). Drops are
    /// counted by the SA.
    pub(super) fn open_received(
        &mut self,
        peer: Option<SocketAddr>,
        mut other: impl FnMut(SocketAddr, &[u8]),
    ) {
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
                        if let Ok(opened) = self.inbound.open_in_place(datagram, ecn) {
                            if let Some(inner) = datagram.get(opened.range) {
                                self.writes.push(inner);
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
            *c = *self.inbound.counters();
        }
    }
}
