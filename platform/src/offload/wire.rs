//! IPv4 (RFC 791), IPv6 (RFC 8200) and TCP (RFC 9293) header fields, read
//! and written without indexing, and the checks both directions share.

use super::checksum::{self, Checksum};
use super::OffloadError;

/// IP protocol number of TCP.
pub(super) const IPPROTO_TCP: u8 = 6;

/// IPv4 header without options.
pub(super) const IPV4_MIN_HEADER: usize = 20;
pub(super) const IPV4_TOS: usize = 1;
pub(super) const IPV4_TOTAL_LENGTH: usize = 2;
pub(super) const IPV4_ID: usize = 4;
pub(super) const IPV4_FRAGMENT: usize = 6;
pub(super) const IPV4_TTL: usize = 8;
pub(super) const IPV4_PROTOCOL: usize = 9;
pub(super) const IPV4_CHECKSUM: usize = 10;
/// Don't Fragment, in the flags/fragment-offset word.
pub(super) const IPV4_DF: u16 = 0x4000;
/// More Fragments and the fragment offset.
const IPV4_MF_AND_OFFSET: u16 = 0x3fff;

/// The fixed IPv6 header.
pub(super) const IPV6_HEADER: usize = 40;
const IPV6_PAYLOAD_LENGTH: usize = 4;
const IPV6_NEXT_HEADER: usize = 6;
pub(super) const IPV6_HOP_LIMIT: usize = 7;

/// TCP header without options.
pub(super) const TCP_MIN_HEADER: usize = 20;
pub(super) const TCP_SEQUENCE: usize = 4;
pub(super) const TCP_ACKNOWLEDGMENT: usize = 8;
pub(super) const TCP_DATA_OFFSET: usize = 12;
pub(super) const TCP_FLAGS: usize = 13;
pub(super) const TCP_WINDOW: usize = 14;
pub(super) const TCP_CHECKSUM: usize = 16;

pub(super) const TCP_FIN: u8 = 0x01;
pub(super) const TCP_PSH: u8 = 0x08;
pub(super) const TCP_ACK: u8 = 0x10;
pub(super) const TCP_CWR: u8 = 0x80;

/// IPv6 extension headers (RFC 8200 §4 and IANA's list): Hop-by-Hop,
/// Routing, Fragment, ESP, AH, Destination Options, Mobility, HIP, Shim6
/// and the two experimental values.
const IPV6_EXTENSION_HEADERS: [u8; 11] = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];

pub(super) fn read_u8(bytes: &[u8], at: usize) -> Option<u8> {
    bytes.get(at).copied()
}

pub(super) fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let field = bytes.get(at..)?.first_chunk::<2>()?;
    Some(u16::from_be_bytes(*field))
}

pub(super) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..)?.first_chunk::<4>()?;
    Some(u32::from_be_bytes(*field))
}

/// Callers pass offsets inside headers already checked to be there; a
/// field out of range is left unwritten.
pub(super) fn write_u16(bytes: &mut [u8], at: usize, value: u16) {
    if let Some(field) = bytes.get_mut(at..).and_then(|b| b.first_chunk_mut::<2>()) {
        *field = value.to_be_bytes();
    }
}

pub(super) fn write_u32(bytes: &mut [u8], at: usize, value: u32) {
    if let Some(field) = bytes.get_mut(at..).and_then(|b| b.first_chunk_mut::<4>()) {
        *field = value.to_be_bytes();
    }
}

/// A length for a 16-bit field. Callers pass lengths already bounded by
/// one (an IP length field or the 65535-byte limit); larger saturate.
pub(super) fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The IP version of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IpVersion {
    V4,
    V6,
}

/// Where the headers of an IP/TCP packet end, checked against the packet:
/// the IP length field matches its length exactly, it is TCP directly
/// after the IP header (no IPv4 fragment, no IPv6 extension header), and
/// both headers fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TcpLayout {
    pub(super) version: IpVersion,
    pub(super) ip_header_len: usize,
    pub(super) tcp_header_len: usize,
}

impl TcpLayout {
    pub(super) fn parse(packet: &[u8]) -> Result<Self, OffloadError> {
        let len = packet.len();
        let first = read_u8(packet, 0).ok_or(OffloadError::EmptyPacket)?;
        let (version, ip_header_len) = match first >> 4 {
            4 => (IpVersion::V4, parse_ipv4(packet)?),
            6 => (IpVersion::V6, parse_ipv6(packet)?),
            version => return Err(OffloadError::NotIp { version }),
        };
        let tcp = packet.get(ip_header_len..).unwrap_or_default();
        let min_end = ip_header_len.saturating_add(TCP_MIN_HEADER);
        if tcp.len() < TCP_MIN_HEADER {
            return Err(OffloadError::TcpHeaderBeyondPacket { end: min_end, len });
        }
        let data_offset = read_u8(tcp, TCP_DATA_OFFSET).unwrap_or(0) >> 4;
        if data_offset < 5 {
            return Err(OffloadError::BadTcpHeaderLength { data_offset });
        }
        let tcp_header_len = usize::from(data_offset) * 4;
        if tcp_header_len > tcp.len() {
            let end = ip_header_len.saturating_add(tcp_header_len);
            return Err(OffloadError::TcpHeaderBeyondPacket { end, len });
        }
        Ok(Self {
            version,
            ip_header_len,
            tcp_header_len,
        })
    }

    /// IP and TCP headers together.
    pub(super) fn headers_len(&self) -> usize {
        self.ip_header_len.saturating_add(self.tcp_header_len)
    }

    /// Source and destination addresses.
    pub(super) fn addresses<'p>(&self, packet: &'p [u8]) -> (&'p [u8], &'p [u8]) {
        let (source, destination) = match self.version {
            IpVersion::V4 => (12..16, 16..20),
            IpVersion::V6 => (8..24, 24..40),
        };
        (
            packet.get(source).unwrap_or_default(),
            packet.get(destination).unwrap_or_default(),
        )
    }

    /// The TCP pseudo-header sum for a TCP segment of `tcp_len` bytes.
    pub(super) fn pseudo_header(&self, packet: &[u8], tcp_len: usize) -> Checksum {
        let (source, destination) = self.addresses(packet);
        checksum::pseudo_header(source, destination, IPPROTO_TCP, len32(tcp_len))
    }

    /// Whether the TCP checksum of `packet` is right.
    pub(super) fn tcp_checksum_ok(&self, packet: &[u8]) -> bool {
        let tcp = packet.get(self.ip_header_len..).unwrap_or_default();
        let mut sum = self.pseudo_header(packet, tcp.len());
        sum.add_bytes(tcp);
        sum.fold() == 0xffff
    }

    /// Sets the TCP checksum of `packet` from scratch.
    pub(super) fn set_tcp_checksum(&self, packet: &mut [u8]) {
        let at = self.ip_header_len.saturating_add(TCP_CHECKSUM);
        write_u16(packet, at, 0);
        let tcp = packet.get(self.ip_header_len..).unwrap_or_default();
        let mut sum = self.pseudo_header(packet, tcp.len());
        sum.add_bytes(tcp);
        write_u16(packet, at, sum.finish());
    }

    /// Makes the IP length field say `packet.len()` (and, for IPv4, fixes
    /// the header checksum).
    pub(super) fn set_ip_length(&self, packet: &mut [u8]) {
        let len = packet.len();
        match self.version {
            IpVersion::V4 => {
                write_u16(packet, IPV4_TOTAL_LENGTH, len16(len));
                set_ipv4_header_checksum(packet, self.ip_header_len);
            }
            IpVersion::V6 => {
                let payload = len.saturating_sub(IPV6_HEADER);
                write_u16(packet, IPV6_PAYLOAD_LENGTH, len16(payload));
            }
        }
    }
}

/// Sets the IPv4 header checksum over the first `header_len` bytes.
pub(super) fn set_ipv4_header_checksum(packet: &mut [u8], header_len: usize) {
    write_u16(packet, IPV4_CHECKSUM, 0);
    let header = packet.get(..header_len).unwrap_or_default();
    let sum = checksum::checksum(header);
    write_u16(packet, IPV4_CHECKSUM, sum);
}

fn parse_ipv4(packet: &[u8]) -> Result<usize, OffloadError> {
    let len = packet.len();
    let ihl = read_u8(packet, 0).unwrap_or(0) & 0x0f;
    if ihl < 5 {
        return Err(OffloadError::BadIpv4HeaderLength { ihl });
    }
    let header_len = usize::from(ihl) * 4;
    if header_len > len {
        return Err(OffloadError::IpHeaderBeyondPacket { header_len, len });
    }
    let stated = usize::from(read_u16(packet, IPV4_TOTAL_LENGTH).unwrap_or(0));
    if stated != len {
        return Err(OffloadError::LengthMismatch {
            stated,
            actual: len,
        });
    }
    if read_u16(packet, IPV4_FRAGMENT).unwrap_or(0) & IPV4_MF_AND_OFFSET != 0 {
        return Err(OffloadError::Fragment);
    }
    match read_u8(packet, IPV4_PROTOCOL).unwrap_or(0) {
        IPPROTO_TCP => Ok(header_len),
        protocol => Err(OffloadError::NotTcp { protocol }),
    }
}

fn parse_ipv6(packet: &[u8]) -> Result<usize, OffloadError> {
    let len = packet.len();
    if len < IPV6_HEADER {
        return Err(OffloadError::IpHeaderBeyondPacket {
            header_len: IPV6_HEADER,
            len,
        });
    }
    let stated = IPV6_HEADER + usize::from(read_u16(packet, IPV6_PAYLOAD_LENGTH).unwrap_or(0));
    if stated != len {
        return Err(OffloadError::LengthMismatch {
            stated,
            actual: len,
        });
    }
    match read_u8(packet, IPV6_NEXT_HEADER).unwrap_or(0) {
        IPPROTO_TCP => Ok(IPV6_HEADER),
        next_header if IPV6_EXTENSION_HEADERS.contains(&next_header) => {
            Err(OffloadError::Ipv6ExtensionHeader { next_header })
        }
        protocol => Err(OffloadError::NotTcp { protocol }),
    }
}

/// The protocol after the IP header, when it is TCP with its ports in
/// reach: the source and destination address and the ports, or `None`.
/// Looser than [`TcpLayout::parse`] (IPv4 options and first fragments
/// count), so that any packet of a flow can be recognised.
pub(super) fn tcp_flow(packet: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let first = read_u8(packet, 0)?;
    let (source, destination, ports_at) = match first >> 4 {
        4 => {
            let header_len = usize::from(first & 0x0f) * 4;
            let fragment_offset = read_u16(packet, IPV4_FRAGMENT)? & 0x1fff;
            let tcp = read_u8(packet, IPV4_PROTOCOL)? == IPPROTO_TCP;
            if header_len < IPV4_MIN_HEADER || fragment_offset != 0 || !tcp {
                return None;
            }
            (packet.get(12..16)?, packet.get(16..20)?, header_len)
        }
        6 => {
            if read_u8(packet, IPV6_NEXT_HEADER)? != IPPROTO_TCP {
                return None;
            }
            (packet.get(8..24)?, packet.get(24..40)?, IPV6_HEADER)
        }
        _ => return None,
    };
    let ports = packet.get(ports_at..)?.get(..4)?;
    Some((source, destination, ports))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::testutil::{naive_sum, Tcp};

    /// IPv4/TCP, 13 bytes of payload ("hello, world\n"), checksums worked
    /// out separately: IPv4 header 0x3246, TCP 0xa226.
    const IPV4_TCP: &str = "450000351c46400040063246c0000201c633640201bbc3500102030405060708\
                            501801f6a226000068656c6c6f2c20776f726c640a";
    /// The same TCP segment over IPv6 (2001:db8::1 to 2001:db8::2): 0x32e9.
    const IPV6_TCP: &str = "600123450021064020010db80000000000000000000000012001\
                            0db800000000000000000000000201bbc3500102030405060708\
                            501801f632e9000068656c6c6f2c20776f726c640a";

    #[test]
    fn known_packets_verify_and_their_checksums_are_reproduced() {
        for (text, ip_sum, tcp_sum) in [(IPV4_TCP, Some(0x3246), 0xa226), (IPV6_TCP, None, 0x32e9)]
        {
            let packet = hex::decode(text).unwrap();
            let layout = TcpLayout::parse(&packet).unwrap();
            let ip = layout.ip_header_len;
            assert_eq!(layout.tcp_header_len, 20);
            assert!(layout.tcp_checksum_ok(&packet));
            // Pseudo-header + the whole TCP segment sums to 0xffff.
            let (source, destination) = layout.addresses(&packet);
            let mut sum = checksum::pseudo_header(source, destination, 6, 33);
            sum.add_bytes(&packet[ip..]);
            assert_eq!(sum.fold(), 0xffff);

            let mut rebuilt = packet.clone();
            rebuilt[ip + 16..ip + 18].fill(0);
            layout.set_tcp_checksum(&mut rebuilt);
            assert_eq!(read_u16(&rebuilt, ip + TCP_CHECKSUM), Some(tcp_sum));
            if let Some(ip_sum) = ip_sum {
                assert_eq!(naive_sum(&packet[..20]), 0xffff);
                rebuilt[10..12].fill(0);
                layout.set_ip_length(&mut rebuilt);
                assert_eq!(read_u16(&rebuilt, IPV4_CHECKSUM), Some(ip_sum));
            }
            assert_eq!(rebuilt, packet);
            let mut broken = packet.clone();
            broken[ip + 20] ^= 1;
            assert!(!layout.tcp_checksum_ok(&broken));
        }
    }

    #[test]
    fn flows_are_found_even_where_merging_is_not_allowed() {
        let plain = Tcp::default().build();
        let (source, destination, ports) = tcp_flow(&plain).unwrap();
        assert_eq!(source, [192, 0, 2, 1]);
        assert_eq!(destination, [198, 51, 100, 2]);
        assert_eq!(ports, [0x01, 0xbb, 0xc3, 0x50]);
        let with_options = Tcp {
            ipv4_options: vec![1, 1, 1, 0],
            ..Tcp::default()
        }
        .build();
        assert_eq!(tcp_flow(&with_options).unwrap().2, ports);
        assert!(TcpLayout::parse(&with_options).is_ok());
        let mut later_fragment = plain.clone();
        later_fragment[7] = 8;
        assert_eq!(tcp_flow(&later_fragment), None);
        assert_eq!(
            TcpLayout::parse(&later_fragment),
            Err(OffloadError::Fragment)
        );
        assert_eq!(tcp_flow(&[0x45, 0, 0]), None);
        assert_eq!(tcp_flow(&[]), None);
        assert_eq!(
            TcpLayout::parse(&[0x10]),
            Err(OffloadError::NotIp { version: 1 })
        );
    }
}
