//! A reader for the classic pcap files tcpdump writes on lab interfaces,
//! enough to pull the UDP payloads of IKE traffic out of Ethernet frames.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One UDP datagram seen in a capture.
#[derive(Clone, Debug)]
pub struct UdpDatagram {
    /// Sender.
    pub source: SocketAddr,
    /// Receiver.
    pub destination: SocketAddr,
    /// The UDP payload.
    pub payload: Vec<u8>,
}

/// What a capture held besides whole UDP datagrams.
#[derive(Clone, Debug, Default)]
pub struct Skipped {
    /// IP fragments (not reassembled).
    pub fragments: usize,
    /// Frames that are not IP/UDP.
    pub other: usize,
    /// What those frames were: "arp", "icmpv6-nd", "ipv4 proto 1", ...
    pub other_kinds: Vec<String>,
}

/// Why a capture file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// Not a classic pcap file.
    #[error("not a pcap file (magic {0:#x})")]
    Magic(u32),
    /// The link type is not Ethernet.
    #[error("unsupported link type {0}")]
    LinkType(u32),
    /// The file ends inside a record.
    #[error("truncated pcap file")]
    Truncated,
}

const ETHERNET: u32 = 1;

/// Parses a pcap file and returns its UDP datagrams in capture order.
pub fn udp_datagrams(file: &[u8]) -> Result<(Vec<UdpDatagram>, Skipped), PcapError> {
    let magic = read_u32(file, 0, false).ok_or(PcapError::Truncated)?;
    let swapped = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => false,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => true,
        other => return Err(PcapError::Magic(other)),
    };
    let link = read_u32(file, 20, swapped).ok_or(PcapError::Truncated)?;
    if link != ETHERNET {
        return Err(PcapError::LinkType(link));
    }
    let mut offset = 24;
    let mut out = Vec::new();
    let mut skipped = Skipped::default();
    while offset < file.len() {
        let captured = read_u32(file, offset + 8, swapped).ok_or(PcapError::Truncated)? as usize;
        let frame = file
            .get(offset + 16..offset + 16 + captured)
            .ok_or(PcapError::Truncated)?;
        offset += 16 + captured;
        match parse_ethernet(frame) {
            Frame::Udp(d) => out.push(d),
            Frame::Fragment => skipped.fragments += 1,
            Frame::Other => {
                skipped.other += 1;
                skipped.other_kinds.push(describe(frame));
            }
        }
    }
    Ok((out, skipped))
}

enum Frame {
    Udp(UdpDatagram),
    Fragment,
    Other,
}

fn parse_ethernet(frame: &[u8]) -> Frame {
    let Some(ethertype) = read_u16(frame, 12) else {
        return Frame::Other;
    };
    let Some(ip) = frame.get(14..) else {
        return Frame::Other;
    };
    match ethertype {
        0x0800 => parse_ipv4(ip),
        0x86dd => parse_ipv6(ip),
        _ => Frame::Other,
    }
}

fn parse_ipv4(ip: &[u8]) -> Frame {
    let (Some(&vihl), Some(total), Some(flags_frag), Some(&proto)) =
        (ip.first(), read_u16(ip, 2), read_u16(ip, 6), ip.get(9))
    else {
        return Frame::Other;
    };
    let ihl = usize::from(vihl & 0x0f) * 4;
    if flags_frag & 0x3fff != 0 {
        return Frame::Fragment;
    }
    let (Some(src), Some(dst)) = (ip.get(12..16), ip.get(16..20)) else {
        return Frame::Other;
    };
    let src = IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(src).unwrap_or_default()));
    let dst = IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(dst).unwrap_or_default()));
    match (proto, ip.get(ihl..usize::from(total))) {
        (17, Some(udp)) => parse_udp(src, dst, udp),
        _ => Frame::Other,
    }
}

fn parse_ipv6(ip: &[u8]) -> Frame {
    let (Some(payload_len), Some(&next)) = (read_u16(ip, 4), ip.get(6)) else {
        return Frame::Other;
    };
    let (Some(src), Some(dst)) = (ip.get(8..24), ip.get(24..40)) else {
        return Frame::Other;
    };
    let src = IpAddr::V6(Ipv6Addr::from(
        <[u8; 16]>::try_from(src).unwrap_or_default(),
    ));
    let dst = IpAddr::V6(Ipv6Addr::from(
        <[u8; 16]>::try_from(dst).unwrap_or_default(),
    ));
    match (next, ip.get(40..40 + usize::from(payload_len))) {
        (17, Some(udp)) => parse_udp(src, dst, udp),
        (44, _) => Frame::Fragment,
        _ => Frame::Other,
    }
}

fn parse_udp(src: IpAddr, dst: IpAddr, udp: &[u8]) -> Frame {
    let (Some(sport), Some(dport), Some(len)) =
        (read_u16(udp, 0), read_u16(udp, 2), read_u16(udp, 4))
    else {
        return Frame::Other;
    };
    match udp.get(8..usize::from(len)) {
        Some(payload) => Frame::Udp(UdpDatagram {
            source: SocketAddr::new(src, sport),
            destination: SocketAddr::new(dst, dport),
            payload: payload.to_vec(),
        }),
        None => Frame::Other,
    }
}

/// A short name for a frame that is not a UDP datagram.
fn describe(frame: &[u8]) -> String {
    match read_u16(frame, 12) {
        Some(0x0806) => "arp".to_owned(),
        Some(0x0800) => format!("ipv4 proto {}", frame.get(14 + 9).copied().unwrap_or(0)),
        Some(0x86dd) => match (frame.get(14 + 6), frame.get(14 + 40)) {
            (Some(58), Some(t)) if (133..=137).contains(t) => "icmpv6-nd".to_owned(),
            (Some(58), Some(143)) => "icmpv6-mld".to_owned(),
            (Some(next), _) => format!("ipv6 next {next}"),
            (None, _) => "ipv6 truncated".to_owned(),
        },
        Some(other) => format!("ethertype {other:#06x}"),
        None => "runt".to_owned(),
    }
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]))
}

fn read_u32(b: &[u8], at: usize, swapped: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    // pcap headers are written in the capturing host's byte order; the
    // magic number tells which.
    Some(if swapped {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}
