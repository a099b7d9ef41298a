//! Writing: decrypted packets merged into TCP super-packets where they
//! continue a flow (generic receive offload done before the device).

use std::ops::AddAssign;

use super::segment::{FlowKey, Segment};
use super::vnet::{
    VnetHeader, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6,
    VNET_HDR_LEN,
};
use super::wire::{
    len16, read_u16, write_u16, IpVersion, TcpLayout, IPV4_DF, IPV4_FRAGMENT, IPV4_TOS, IPV4_TTL,
    IPV6_HOP_LIMIT, TCP_ACK, TCP_CHECKSUM, TCP_DATA_OFFSET, TCP_FLAGS, TCP_MIN_HEADER, TCP_PSH,
    TCP_WINDOW,
};

/// Super-packets kept open for merging at once; opening one more closes
/// the oldest.
pub const MAX_OPEN_FLOWS: usize = 8;
/// The largest merged IP packet, headers included (Linux's
/// `GRO_LEGACY_MAX_SIZE` is 64 KiB, and an IPv4 total length stops here).
pub const MAX_SUPER_PACKET_LEN: usize = 65_535;

/// What a [`Coalescer`] did since it was made or last cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoalesceStats {
    /// Packets pushed.
    pub pushed: u64,
    /// Packets appended to another one's super-packet (not written alone).
    pub merged: u64,
    /// Super-packets made (writes holding two packets or more).
    pub super_packets: u64,
}

impl AddAssign for CoalesceStats {
    fn add_assign(&mut self, other: Self) {
        self.pushed = self.pushed.saturating_add(other.pushed);
        self.merged = self.merged.saturating_add(other.merged);
        self.super_packets = self.super_packets.saturating_add(other.super_packets);
    }
}

/// Merges the TCP segments of a batch into super-packets for a device
/// with `TUN_F_TSO4 | TUN_F_TSO6`, following Linux's GRO
/// (`inet_gro_receive`, `ipv6_gro_receive`, `tcp_gro_receive`).
///
/// A segment is appended to its flow's open super-packet when all of this
/// holds, and otherwise closes it (and may start a new one):
///
/// - IPv4 without options (IHL 5) and not a fragment, or IPv6 with TCP
///   as the next header; the IP length field equals the packet's length;
/// - same addresses and ports; same IPv4 TOS, TTL and DF bit (the whole
///   flags/fragment word), or same IPv6 version/traffic class/flow label
///   word and hop limit;
/// - IPv4 ID one more than the previous segment's (or, with DF set, equal
///   to it), the same step all along the super-packet;
/// - same TCP data offset byte and option bytes, same acknowledgment
///   number, sequence number right after the previous segment's payload;
/// - flags ACK, or ACK and PSH (PSH closes the super-packet);
/// - payload not empty and not larger than the first segment's (the MSS
///   written as `gso_size`); a smaller one closes the super-packet;
/// - the merged packet stays within [`MAX_SUPER_PACKET_LEN`];
/// - the segment's TCP checksum verifies, and the first segment's too
///   when a second joins it. A segment that fails is written as-is, for
///   the kernel to drop.
///
/// A super-packet is only started by a segment with exactly ACK and some
/// payload. The merged packet keeps the first segment's headers except
/// the lengths, the IPv4 header checksum, PSH (from the last segment) and
/// the window (the last segment's). It is written behind a header with
/// `NEEDS_CSUM`, the TCP GSO type, `hdr_len` (IP and TCP headers),
/// `gso_size` (the first segment's payload length), `csum_start` (IP
/// header length) and `csum_offset` 16, and its TCP checksum field holds
/// the folded, not complemented, pseudo-header sum: the kernel's
/// `CHECKSUM_PARTIAL` form. Every other packet is written as-is behind an
/// all-zero header.
///
/// Packets of one flow keep their order: any packet recognised as the
/// flow's (TCP right after the IP header, IPv4 options allowed, not a
/// later fragment) that does not merge closes its open super-packet and
/// comes after it. Packets of different flows may be reordered between
/// them. Each write has its own buffer, and all are kept across
/// [`Coalescer::clear`], so a steady flow of batches allocates nothing.
#[derive(Debug, Default)]
pub struct Coalescer {
    /// One buffer per write (header then packet); the first `used` count.
    writes: Vec<Vec<u8>>,
    used: usize,
    /// Open super-packets, oldest first.
    open: Vec<OpenFlow>,
    stats: CoalesceStats,
}

/// A super-packet still open for merging.
#[derive(Debug, Clone, Copy)]
struct OpenFlow {
    key: FlowKey,
    /// Index of its write.
    write: usize,
    layout: TcpLayout,
    /// The first segment's payload length.
    gso_size: usize,
    next_sequence: u32,
    acknowledgment: u32,
    last_id: u16,
    /// How the IPv4 ID moves per segment (1, or 0 with DF), once known.
    id_step: Option<u16>,
    segments: usize,
    /// Whether the first segment's TCP checksum is known to be right.
    first_verified: bool,
}

/// What became of a segment offered to an open super-packet.
enum Append {
    Merged,
    /// Not merged; the segment may start a new super-packet.
    Refused {
        checksum_verified: bool,
    },
    /// The segment's own checksum is wrong.
    BadChecksum,
}

impl Coalescer {
    /// An empty coalescer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one decrypted IP packet bound for the device (copied).
    pub fn push(&mut self, packet: &[u8]) {
        self.stats.pushed = self.stats.pushed.saturating_add(1);
        let Some(key) = FlowKey::of(packet) else {
            self.write_plain(packet);
            return;
        };
        let segment = Segment::parse(packet);
        let mut checksum_verified = false;
        if let Some(index) = self.open.iter().position(|flow| flow.key == key) {
            let outcome = match &segment {
                Some(segment) => self.try_append(index, segment, packet),
                None => Append::Refused {
                    checksum_verified: false,
                },
            };
            match outcome {
                Append::Merged => return,
                Append::BadChecksum => {
                    self.close(index);
                    self.write_plain(packet);
                    return;
                }
                Append::Refused {
                    checksum_verified: verified,
                } => {
                    self.close(index);
                    checksum_verified = verified;
                }
            }
        }
        match segment {
            Some(segment) if segment.can_start() => {
                self.open_flow(key, &segment, packet, checksum_verified);
            }
            _ => {
                self.write_plain(packet);
            }
        }
    }

    /// The device writes to make, in order of their first packet: each a
    /// `virtio_net_hdr` followed by a packet.
    pub fn writes(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.writes.iter().take(self.used).map(Vec::as_slice)
    }

    /// How many writes there are.
    pub fn write_count(&self) -> usize {
        self.used
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Forgets everything pushed and zeroes the counters (keeps the
    /// buffers).
    pub fn clear(&mut self) {
        self.used = 0;
        self.open.clear();
        self.stats = CoalesceStats::default();
    }

    /// Counters since [`Coalescer::new`] or the last [`Coalescer::clear`].
    pub fn stats(&self) -> CoalesceStats {
        self.stats
    }

    /// Appends a new write: an all-zero header, then `packet`.
    fn write_plain(&mut self, packet: &[u8]) -> usize {
        let index = self.used;
        if self.writes.len() <= index {
            self.writes.push(Vec::new());
        }
        if let Some(write) = self.writes.get_mut(index) {
            write.clear();
            write.extend_from_slice(&[0; VNET_HDR_LEN]);
            write.extend_from_slice(packet);
        }
        self.used += 1;
        index
    }

    fn open_flow(&mut self, key: FlowKey, segment: &Segment, packet: &[u8], verified: bool) {
        if self.open.len() >= MAX_OPEN_FLOWS {
            self.close(0);
        }
        let write = self.write_plain(packet);
        self.open.push(OpenFlow {
            key,
            write,
            layout: segment.layout,
            gso_size: segment.payload_len,
            next_sequence: segment.sequence.wrapping_add(len32(segment.payload_len)),
            acknowledgment: segment.acknowledgment,
            last_id: segment.ipv4_id,
            id_step: None,
            segments: 1,
            first_verified: verified,
        });
    }

    fn close(&mut self, index: usize) {
        if index < self.open.len() {
            self.open.remove(index);
        }
    }

    fn try_append(&mut self, index: usize, segment: &Segment, packet: &[u8]) -> Append {
        let refused = Append::Refused {
            checksum_verified: false,
        };
        let Some(flow) = self.open.get(index).copied() else {
            return refused;
        };
        let Some(write) = self.writes.get_mut(flow.write) else {
            return refused;
        };
        let Some(first) = write.get(VNET_HDR_LEN..) else {
            return refused;
        };
        let Some(id_step) = continues(&flow, first, segment, packet) else {
            return refused;
        };
        if !segment.layout.tcp_checksum_ok(packet) {
            return Append::BadChecksum;
        }
        if !flow.first_verified && !flow.layout.tcp_checksum_ok(first) {
            return Append::Refused {
                checksum_verified: true,
            };
        }
        let payload = packet
            .get(segment.layout.headers_len()..)
            .unwrap_or_default();
        write.extend_from_slice(payload);
        let push = segment.flags & TCP_PSH != 0;
        finish_super_packet(write, &flow, push, segment.window);

        self.stats.merged = self.stats.merged.saturating_add(1);
        if flow.segments == 1 {
            self.stats.super_packets = self.stats.super_packets.saturating_add(1);
        }
        if push || segment.payload_len < flow.gso_size {
            self.close(index);
        } else if let Some(open) = self.open.get_mut(index) {
            open.segments += 1;
            open.next_sequence = flow.next_sequence.wrapping_add(len32(segment.payload_len));
            open.last_id = segment.ipv4_id;
            open.id_step = Some(id_step);
            open.first_verified = true;
        }
        Append::Merged
    }
}

/// Whether `segment` (the bytes `packet`) continues the super-packet
/// `flow` whose first segment's bytes are `first`, checksums aside; if so,
/// the IPv4 ID step it takes (0 for IPv6).
fn continues(flow: &OpenFlow, first: &[u8], segment: &Segment, packet: &[u8]) -> Option<u16> {
    let tcp_ok = segment.layout == flow.layout
        && segment.flags & !TCP_PSH == TCP_ACK
        && segment.payload_len > 0
        && segment.payload_len <= flow.gso_size
        && segment.sequence == flow.next_sequence
        && segment.acknowledgment == flow.acknowledgment
        && first.len() + segment.payload_len <= MAX_SUPER_PACKET_LEN;
    if !tcp_ok {
        return None;
    }
    let ip = flow.layout.ip_header_len;
    let same = |at: usize| first.get(at) == packet.get(at);
    let options = ip + TCP_MIN_HEADER..flow.layout.headers_len();
    if !same(ip + TCP_DATA_OFFSET) || first.get(options.clone()) != packet.get(options) {
        return None;
    }
    match flow.layout.version {
        IpVersion::V4 => {
            let fragment = read_u16(first, IPV4_FRAGMENT)?;
            let ip_ok =
                same(IPV4_TOS) && same(IPV4_TTL) && read_u16(packet, IPV4_FRAGMENT)? == fragment;
            let step = segment.ipv4_id.wrapping_sub(flow.last_id);
            let step_ok = match flow.id_step {
                Some(known) => step == known,
                None => step == 1 || (step == 0 && fragment & IPV4_DF != 0),
            };
            (ip_ok && step_ok).then_some(step)
        }
        IpVersion::V6 => {
            let ip_ok = first.get(..4) == packet.get(..4) && same(IPV6_HOP_LIMIT);
            ip_ok.then_some(0)
        }
    }
}

/// Makes a write holding merged segments a valid super-packet: its
/// header, IP length (and IPv4 header checksum), PSH, window and partial
/// TCP checksum.
fn finish_super_packet(write: &mut [u8], flow: &OpenFlow, push: bool, window: u16) {
    let Some((header, packet)) = write.split_at_mut_checked(VNET_HDR_LEN) else {
        return;
    };
    let layout = &flow.layout;
    let ip = layout.ip_header_len;
    let gso_type = match layout.version {
        IpVersion::V4 => VIRTIO_NET_HDR_GSO_TCPV4,
        IpVersion::V6 => VIRTIO_NET_HDR_GSO_TCPV6,
    };
    let vnet = VnetHeader {
        flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
        gso_type,
        hdr_len: len16(layout.headers_len()),
        gso_size: len16(flow.gso_size),
        csum_start: len16(ip),
        csum_offset: len16(TCP_CHECKSUM),
    };
    if let Some(header) = header.first_chunk_mut::<VNET_HDR_LEN>() {
        *header = vnet.encode();
    }
    layout.set_ip_length(packet);
    if push {
        if let Some(flags) = packet.get_mut(ip + TCP_FLAGS) {
            *flags |= TCP_PSH;
        }
    }
    write_u16(packet, ip + TCP_WINDOW, window);
    let partial = layout.pseudo_header(packet, packet.len().saturating_sub(ip));
    write_u16(packet, ip + TCP_CHECKSUM, partial.fold());
}

fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
