//! The reading and writing halves of a packet device, moving packets in
//! batches: with Linux's offloads one read returns up to 64 KiB of TCP
//! segments as one super-packet (split here into IP packets), and the
//! packets of a batch written to the device are merged back into
//! super-packets where they continue a TCP flow (see [`crate::offload`]).

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use super::Interface;
use crate::offload::{self, Coalescer, Packets, VNET_HDR_LEN};

/// How packets are framed on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// Bare IP packets.
    Plain,
    /// Each read and write starts with a `virtio_net_hdr` (Linux
    /// `IFF_VNET_HDR`); `offload` says whether the kernel agreed to hand us
    /// TSO super-packets (`TUNSETOFFLOAD`), in which case we also write
    /// merged ones.
    Vnet {
        /// Segmentation and checksum offloads are on.
        offload: bool,
    },
}

/// The largest read: a 64 KiB super-packet and its header.
const READ_BUFFER: usize = 65_536 + VNET_HDR_LEN;

/// The receiving half of a packet device: packets the OS sends into the
/// tunnel.
pub struct DeviceReader {
    pub(super) inner: tun::DeviceReader,
    pub(super) interface: Interface,
    pub(super) closer: DeviceCloser,
    pub(super) framing: Framing,
    pub(super) raw: Vec<u8>,
}

impl fmt::Debug for DeviceReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceReader")
            .field("interface", &self.interface)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

impl DeviceReader {
    pub(super) fn new(
        inner: tun::DeviceReader,
        interface: Interface,
        closer: DeviceCloser,
        framing: Framing,
    ) -> Self {
        Self {
            inner,
            interface,
            closer,
            framing,
            raw: vec![0; READ_BUFFER],
        }
    }

    /// Waits for the next read from the device and puts the IP packets it
    /// held into `out` (cleared first): one packet, or with offloads the
    /// segments of a super-packet, each with complete checksums. Returns
    /// how many.
    ///
    /// Fails with [`io::ErrorKind::NotConnected`] once the device is
    /// closed, and with [`io::ErrorKind::InvalidData`] for a read whose
    /// offload header or packet cannot be split (the read is lost; reading
    /// again is fine).
    pub async fn read_packets(&mut self, out: &mut Packets) -> io::Result<usize> {
        out.clear();
        let closed = self.closer.state.notify.notified();
        tokio::pin!(closed);
        // Registered before the flag is checked, so a close in between
        // is not missed.
        closed.as_mut().enable();
        if self.closer.is_closed() {
            return Err(closed_error(&self.interface));
        }
        let n = tokio::select! {
            biased;
            () = closed => return Err(closed_error(&self.interface)),
            read = self.inner.read(&mut self.raw) => read?,
        };
        let read = self.raw.get(..n).unwrap_or_default();
        match self.framing {
            Framing::Plain => out.push(read),
            Framing::Vnet { .. } => offload::split(read, out)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        }
        Ok(out.len())
    }

    /// The device's interface.
    pub fn interface(&self) -> &Interface {
        &self.interface
    }
}

/// Packets gathered for one [`DeviceWriter::write_batch`].
#[derive(Debug)]
pub struct WriteBatch {
    framing: Framing,
    coalescer: Coalescer,
    plain: Packets,
}

impl WriteBatch {
    /// A batch of bare packets, for a device that takes them one by one.
    pub fn plain() -> Self {
        Self {
            framing: Framing::Plain,
            coalescer: Coalescer::new(),
            plain: Packets::new(),
        }
    }

    /// Adds one IP packet (copied).
    pub fn push(&mut self, packet: &[u8]) {
        match self.framing {
            Framing::Vnet { offload: true } => self.coalescer.push(packet),
            _ => self.plain.push(packet),
        }
    }

    /// How many writes [`DeviceWriter::write_batch`] would make now.
    pub fn pending_writes(&self) -> usize {
        self.coalescer.write_count() + self.plain.len()
    }

    /// Whether nothing was pushed since the last write.
    pub fn is_empty(&self) -> bool {
        self.coalescer.is_empty() && self.plain.is_empty()
    }

    /// Forgets what was pushed.
    pub fn clear(&mut self) {
        self.coalescer.clear();
        self.plain.clear();
    }

    /// The merging counters (all zero without offloads).
    pub fn merge_stats(&self) -> offload::CoalesceStats {
        self.coalescer.stats()
    }
}

/// The sending half of a packet device: packets from the tunnel, handed
/// to the OS as if received on the device.
pub struct DeviceWriter {
    pub(super) inner: tun::DeviceWriter,
    pub(super) interface: Interface,
    pub(super) closer: DeviceCloser,
    pub(super) framing: Framing,
    pub(super) scratch: Vec<u8>,
    pub(super) rejected: u64,
}

impl fmt::Debug for DeviceWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceWriter")
            .field("interface", &self.interface)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

impl DeviceWriter {
    pub(super) fn new(
        inner: tun::DeviceWriter,
        interface: Interface,
        closer: DeviceCloser,
        framing: Framing,
    ) -> Self {
        Self {
            inner,
            interface,
            closer,
            framing,
            scratch: Vec::with_capacity(READ_BUFFER),
            rejected: 0,
        }
    }

    /// An empty batch for this device.
    pub fn batch(&self) -> WriteBatch {
        WriteBatch {
            framing: self.framing,
            coalescer: Coalescer::new(),
            plain: Packets::new(),
        }
    }

    /// Hands every packet of `batch` to the OS (merged where the device
    /// takes super-packets) and empties it. A packet the OS refuses as
    /// malformed is dropped and counted ([`DeviceWriter::rejected`]); the
    /// rest still go. Fails with [`io::ErrorKind::NotConnected`] once the
    /// device is closed, or with the OS's error if the device fails.
    pub async fn write_batch(&mut self, batch: &mut WriteBatch) -> io::Result<()> {
        if self.closer.is_closed() {
            batch.clear();
            return Err(closed_error(&self.interface));
        }
        let result = self.write_all(batch).await;
        batch.clear();
        result
    }

    async fn write_all(&mut self, batch: &WriteBatch) -> io::Result<()> {
        match self.framing {
            Framing::Vnet { offload: true } => {
                for write in batch.coalescer.writes() {
                    Self::write_one(&mut self.inner, &mut self.rejected, write).await?;
                }
            }
            Framing::Vnet { offload: false } => {
                for packet in batch.plain.iter() {
                    self.scratch.clear();
                    self.scratch.extend_from_slice(&[0; VNET_HDR_LEN]);
                    self.scratch.extend_from_slice(packet);
                    Self::write_one(&mut self.inner, &mut self.rejected, &self.scratch).await?;
                }
            }
            Framing::Plain => {
                for packet in batch.plain.iter() {
                    Self::write_one(&mut self.inner, &mut self.rejected, packet).await?;
                }
            }
        }
        Ok(())
    }

    async fn write_one(
        inner: &mut tun::DeviceWriter,
        rejected: &mut u64,
        bytes: &[u8],
    ) -> io::Result<()> {
        match inner.write(bytes).await {
            Ok(_) => Ok(()),
            // The kernel refuses a packet it cannot parse (EINVAL): that
            // packet is lost, the device is fine.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                *rejected = rejected.saturating_add(1);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Packets the OS refused as malformed since the device was split.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The device's interface.
    pub fn interface(&self) -> &Interface {
        &self.interface
    }
}

fn closed_error(interface: &Interface) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        format!("the packet device {interface} is closed"),
    )
}

#[derive(Debug, Default)]
pub(super) struct CloseState {
    closed: AtomicBool,
    notify: Notify,
}

/// Closes a packet device's reader and writer: pending and later reads
/// and writes fail with [`io::ErrorKind::NotConnected`]. Cloneable; closing
/// twice is harmless. The device itself goes when both halves are dropped
/// (or when it is removed).
#[derive(Debug, Clone, Default)]
pub struct DeviceCloser {
    state: Arc<CloseState>,
}

impl DeviceCloser {
    /// Closes the device's halves.
    pub fn close(&self) {
        self.state.closed.store(true, Ordering::Release);
        self.state.notify.notify_waiters();
    }

    /// Whether [`DeviceCloser::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.state.closed.load(Ordering::Acquire)
    }
}
