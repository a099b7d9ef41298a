//! Device → ESP → socket: the packets of each device read are sealed back
//! to back and leave in as few system calls as the OS allows (UDP GSO: one
//! `sendmsg` for a run of equal-sized ESP packets).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use softwire_core::esp::{EspCounters, EspOutbound};
use softwire_platform::offload::Packets;
use softwire_platform::udp::{is_lost_send, BatchSocket};
use tokio::sync::{mpsc, watch};

use super::{Counters, LastSent, PacketRead};
use crate::ike_io::is_transient;
use crate::SessionError;

/// The most UDP payload one segmented send carries (the kernel's limit is
/// a 64 KiB IP datagram).
const MAX_RUN_BYTES: usize = 60_000;

/// ESP packets sealed back to back, waiting for one segmented send: all of
/// `segment` octets but possibly the last, which is shorter.
#[derive(Debug)]
struct Run {
    bytes: Vec<u8>,
    segment: usize,
    count: usize,
}

impl Run {
    fn new() -> Self {
        Self {
            bytes: Vec::with_capacity(MAX_RUN_BYTES + 2048),
            segment: 0,
            count: 0,
        }
    }

    /// Whether a packet of `len` octets must go in a new run: this one is
    /// full, or would no longer be equal-sized.
    fn must_flush_before(&self, len: usize, max_segments: usize) -> bool {
        self.count > 0
            && (len > self.segment
                || self.count >= max_segments
                || self.bytes.len().saturating_add(len) > MAX_RUN_BYTES)
    }

    /// Notes a packet of `len` octets appended; whether the run is closed
    /// (a shorter packet ends it).
    fn appended(&mut self, len: usize) -> bool {
        if self.count == 0 {
            self.segment = len;
        }
        self.count += 1;
        len < self.segment
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.count = 0;
        self.segment = 0;
    }
}

/// The uplink's state between device reads.
pub(super) struct Uplink {
    pub(super) socket: Arc<BatchSocket>,
    pub(super) esp: EspOutbound,
    pub(super) peer: SocketAddr,
    pub(super) counters: Arc<Counters>,
    pub(super) last_sent: Arc<LastSent>,
    /// Outbound SAs replacing `esp` after a rekey, and new paths.
    pub(super) replacements: mpsc::UnboundedReceiver<UplinkChange>,
}

/// What the control task tells the uplink.
pub(super) enum UplinkChange {
    /// A rekeyed SA takes over from the next packet on.
    Outbound(Box<EspOutbound>),
    /// Send from this socket to this address from now on (a move).
    Path(Arc<BatchSocket>, SocketAddr),
}

impl Uplink {
    /// Runs until the device fails or `stop` turns true; hands the device
    /// back either way.
    pub(super) async fn run<R: PacketRead>(
        self,
        mut device: R,
        stop: watch::Receiver<bool>,
    ) -> (Result<(), SessionError>, R) {
        let result = self.carry(&mut device, stop).await;
        (result, device)
    }

    async fn carry<R: PacketRead>(
        mut self,
        device: &mut R,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), SessionError> {
        let mut packets = Packets::new();
        let mut run = Run::new();
        let mut retired = EspCounters::default();
        loop {
            let read = tokio::select! {
                biased;
                _ = stop.changed() => return Ok(()),
                read = device.read_packets(&mut packets) => read,
            };
            match read {
                Ok(_) => {
                    self.counters
                        .calls
                        .device_reads
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    // A super-packet we could not split: lost, counted.
                    self.counters.device_skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            // A rekeyed SA takes over from the next packet on.
            while let Ok(change) = self.replacements.try_recv() {
                match change {
                    UplinkChange::Outbound(next) => {
                        retired.add(self.esp.counters());
                        self.esp = *next;
                    }
                    UplinkChange::Path(socket, peer) => {
                        self.socket = socket;
                        self.peer = peer;
                    }
                }
            }
            let max_segments = self.socket.max_segments();
            for inner in packets.iter() {
                if !carries(inner) {
                    self.counters.device_skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let len = self.esp.sealed_len(inner.len());
                if run.must_flush_before(len, max_segments) {
                    self.send(&mut run).await?;
                }
                match self.esp.seal_append(inner, &mut run.bytes) {
                    Ok(len) => {
                        if run.appended(len) {
                            self.send(&mut run).await?;
                        }
                    }
                    // Sequence numbers exhausted or a packet we cannot
                    // carry: counted by the SA, nothing to send.
                    Err(_) => continue,
                }
            }
            self.send(&mut run).await?;
            if let Ok(mut c) = self.counters.outbound.lock() {
                *c = retired;
                c.add(self.esp.counters());
            }
        }
    }

    async fn send(&self, run: &mut Run) -> Result<(), SessionError> {
        if run.count == 0 {
            return Ok(());
        }
        let segment = (run.count > 1).then_some(run.segment);
        let result = self.socket.send(self.peer, &run.bytes, segment).await;
        self.counters
            .calls
            .udp_sends
            .fetch_add(1, Ordering::Relaxed);
        run.clear();
        match result {
            Ok(()) => {
                self.last_sent.mark();
                Ok(())
            }
            // Lost like any datagram; the inner transport recovers. A
            // refused segmented send also turns segmentation off.
            Err(e) if is_transient(&e) || is_lost_send(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Whether a device packet is one we carry: IPv4 or IPv6, not link-local
/// multicast noise the kernel sends on its own (router solicitations, MLD).
fn carries(packet: &[u8]) -> bool {
    match packet.first().map(|b| b >> 4) {
        Some(4) => packet.len() >= 20,
        Some(6) => {
            // ff02::/16 destinations stay on the link.
            packet.len() >= 40 && packet.get(24..26) != Some(&[0xff, 0x02])
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hold_equal_segments_and_end_at_a_shorter_one() {
        let mut run = Run::new();
        assert!(!run.must_flush_before(1400, 64));
        assert!(!run.appended(1400));
        assert!(!run.must_flush_before(1400, 64));
        assert!(!run.appended(1400));
        // A larger packet cannot join; a shorter one can, and closes.
        assert!(run.must_flush_before(1401, 64));
        assert!(!run.must_flush_before(100, 64));
        assert!(run.appended(100));
        assert_eq!((run.count, run.segment), (3, 1400));
        // The segment limit and the byte limit.
        assert!(run.must_flush_before(1400, 3));
        run.bytes.resize(MAX_RUN_BYTES - 1000, 0);
        assert!(run.must_flush_before(1400, 64));
        run.clear();
        assert!(!run.must_flush_before(65_000, 1));
    }

    #[test]
    fn only_ip_packets_are_carried() {
        assert!(carries(&[0x45; 20]));
        assert!(!carries(&[0x45; 19]));
        let mut v6 = [0x60u8; 40];
        assert!(carries(&v6));
        v6[24] = 0xff;
        v6[25] = 0x02;
        assert!(!carries(&v6));
        assert!(!carries(&[]));
        assert!(!carries(&[0x10; 60]));
    }
}
