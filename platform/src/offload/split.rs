//! Reading: one read from the device (header and packet) into complete IP
//! packets.

use super::packets::Packets;
use super::vnet::{
    VnetHeader, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN,
    VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6, VNET_HDR_LEN,
};
use super::wire::{
    read_u16, read_u32, read_u8, write_u16, write_u32, IpVersion, TcpLayout, IPV4_ID, TCP_CWR,
    TCP_FIN, TCP_FLAGS, TCP_PSH, TCP_SEQUENCE,
};
use super::{checksum, OffloadError};

/// Turns one read from the device (a `virtio_net_hdr`, then one IP packet)
/// into complete IP packets appended to `out`:
///
/// - `VIRTIO_NET_HDR_GSO_NONE`: the packet itself; with
///   `VIRTIO_NET_HDR_F_NEEDS_CSUM` its checksum is completed first, for
///   any protocol: the ones'-complement sum from `csum_start` to the end
///   (the field already holds the pseudo-header sum), complemented, stored
///   at `csum_start + csum_offset` (virtio 1.2 §5.1.6.2; a result of 0 is
///   stored as `0xffff`, as Linux's `skb_checksum_help` does).
/// - `VIRTIO_NET_HDR_GSO_TCPV4`/`TCPV6`: a TSO super-packet cut into
///   segments as Linux's `tcp_gso_segment` and `inet_gso_segment` do: each
///   gets the IP header and TCP header (options included) and up to
///   `gso_size` payload bytes; the IPv4 total length, ID (the first one
///   plus the segment's index, wrapping) and header checksum, or the IPv6
///   payload length, are set per segment; the TCP sequence number grows by
///   `gso_size` per segment; FIN and PSH stay on the last segment only, CWR
///   on the first only; and every TCP checksum is computed in full. The
///   header lengths come from the packet (IHL, data offset), never from
///   `hdr_len`.
///
/// Nothing is appended when the read is refused (see [`OffloadError`]:
/// inconsistent lengths or offsets, an unsupported GSO type or flag, IPv6
/// extension headers or IPv4 fragments in a GSO packet). Never panics.
pub fn split(read: &[u8], out: &mut Packets) -> Result<(), OffloadError> {
    let count = out.len();
    let result = split_read(read, out);
    if result.is_err() {
        out.truncate(count);
    }
    result
}

fn split_read(read: &[u8], out: &mut Packets) -> Result<(), OffloadError> {
    let (header, packet) = read
        .split_at_checked(VNET_HDR_LEN)
        .ok_or(OffloadError::ShortHeader { len: read.len() })?;
    let header = VnetHeader::parse(header)?;
    let version = match header.gso_type {
        VIRTIO_NET_HDR_GSO_NONE => None,
        VIRTIO_NET_HDR_GSO_TCPV4 => Some(IpVersion::V4),
        VIRTIO_NET_HDR_GSO_TCPV6 => Some(IpVersion::V6),
        gso_type if gso_type & VIRTIO_NET_HDR_GSO_ECN != 0 => {
            return Err(OffloadError::EcnNotSupported { gso_type });
        }
        gso_type => return Err(OffloadError::UnsupportedGsoType { gso_type }),
    };
    if header.flags & !(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID) != 0 {
        return Err(OffloadError::UnsupportedFlags {
            flags: header.flags,
        });
    }
    if packet.is_empty() {
        return Err(OffloadError::EmptyPacket);
    }
    let checksum_at = if header.needs_csum() {
        Some(checksum_field(&header, packet.len())?)
    } else {
        None
    };
    match version {
        None => {
            let copy = out.push_parts(&[packet]);
            if let Some(at) = checksum_at {
                complete_checksum(copy, usize::from(header.csum_start), at);
            }
            Ok(())
        }
        Some(version) => segment(packet, &header, version, out),
    }
}

/// Where the checksum field of a `NEEDS_CSUM` packet is, if both of its
/// bytes are inside the packet.
fn checksum_field(header: &VnetHeader, len: usize) -> Result<usize, OffloadError> {
    let at = usize::from(header.csum_start) + usize::from(header.csum_offset);
    if at + 2 > len {
        return Err(OffloadError::ChecksumBeyondPacket {
            csum_start: header.csum_start,
            csum_offset: header.csum_offset,
            len,
        });
    }
    Ok(at)
}

/// Completes a partial checksum: sums from `start` to the end, including
/// the field (which holds the pseudo-header sum), and stores the result.
fn complete_checksum(packet: &mut [u8], start: usize, field: usize) {
    let sum = checksum::checksum(packet.get(start..).unwrap_or_default());
    write_u16(packet, field, if sum == 0 { 0xffff } else { sum });
}

fn segment(
    packet: &[u8],
    header: &VnetHeader,
    version: IpVersion,
    out: &mut Packets,
) -> Result<(), OffloadError> {
    if header.gso_size == 0 {
        return Err(OffloadError::ZeroGsoSize);
    }
    let found = read_u8(packet, 0).unwrap_or(0) >> 4;
    let expected = match version {
        IpVersion::V4 => 4,
        IpVersion::V6 => 6,
    };
    if found != expected {
        return Err(OffloadError::VersionMismatch {
            gso_type: header.gso_type,
            version: found,
        });
    }
    let layout = TcpLayout::parse(packet)?;
    let (headers, payload) = packet.split_at_checked(layout.headers_len()).ok_or(
        OffloadError::TcpHeaderBeyondPacket {
            end: layout.headers_len(),
            len: packet.len(),
        },
    )?;
    let ip = layout.ip_header_len;
    let flags = read_u8(packet, ip + TCP_FLAGS).unwrap_or(0);
    let mut sequence = read_u32(packet, ip + TCP_SEQUENCE).unwrap_or(0);
    let mut id = read_u16(packet, IPV4_ID).unwrap_or(0);
    let mss = usize::from(header.gso_size);
    let last = payload.len().div_ceil(mss).saturating_sub(1);
    // A super-packet without payload still makes one segment.
    let chunks = payload
        .chunks(mss)
        .chain(payload.is_empty().then_some(payload));
    for (index, chunk) in chunks.enumerate() {
        let segment = out.push_parts(&[headers, chunk]);
        let mut segment_flags = flags;
        if index != last {
            segment_flags &= !(TCP_FIN | TCP_PSH);
        }
        if index != 0 {
            segment_flags &= !TCP_CWR;
        }
        if let Some(field) = segment.get_mut(ip + TCP_FLAGS) {
            *field = segment_flags;
        }
        write_u32(segment, ip + TCP_SEQUENCE, sequence);
        if version == IpVersion::V4 {
            write_u16(segment, IPV4_ID, id);
        }
        layout.set_ip_length(segment);
        layout.set_tcp_checksum(segment);
        sequence = sequence.wrapping_add(u32::from(header.gso_size));
        id = id.wrapping_add(1);
    }
    Ok(())
}
