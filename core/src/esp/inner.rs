//! The decrypted inner packet: its IP header (RFC 791 §3.1, RFC 8200 §3)
//! and the traffic-selector check of RFC 4301 §5.2 step 4.

use std::net::IpAddr;

use crate::ike::payload::AddressRange;

use super::Drop;

/// IP version of an inner packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// IPv4 (Next Header 4).
    V4,
    /// IPv6 (Next Header 41).
    V6,
}

/// An address as a number, so that ranges compare cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addr {
    V4(u32),
    V6(u128),
}

/// What the selector check needs from an inner header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InnerHeader {
    /// Length of the packet by its own header (total length / 40 + payload
    /// length).
    pub(crate) len: usize,
    pub(crate) src: Addr,
    pub(crate) dst: Addr,
}

/// Reads the IP header of `packet`, which the Next Header announced as
/// `family`. The packet may be longer than its header says (TFC padding,
/// RFC 4303 §2.7) but not shorter.
pub(crate) fn parse(packet: &[u8], family: IpFamily) -> Result<InnerHeader, Drop> {
    match family {
        IpFamily::V4 => {
            let header: &[u8; 20] = packet.first_chunk().ok_or(Drop::MalformedInner)?;
            let [b0, _, l0, l1, _, _, _, _, _, _, _, _, s0, s1, s2, s3, d0, d1, d2, d3] = *header;
            let ihl = usize::from(b0 & 0x0f) * 4;
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            if b0 >> 4 != 4 || ihl < 20 || len < ihl || len > packet.len() {
                return Err(Drop::MalformedInner);
            }
            Ok(InnerHeader {
                len,
                src: Addr::V4(u32::from_be_bytes([s0, s1, s2, s3])),
                dst: Addr::V4(u32::from_be_bytes([d0, d1, d2, d3])),
            })
        }
        IpFamily::V6 => {
            let header: &[u8; 40] = packet.first_chunk().ok_or(Drop::MalformedInner)?;
            let [b0, _, _, _, l0, l1, _, _, ref addresses @ ..] = *header;
            let len = 40 + usize::from(u16::from_be_bytes([l0, l1]));
            let src = addresses.first_chunk::<16>().map(addr16);
            let dst = addresses.last_chunk::<16>().map(addr16);
            match (src, dst) {
                (Some(src), Some(dst)) if b0 >> 4 == 6 && len <= packet.len() => {
                    Ok(InnerHeader { len, src, dst })
                }
                _ => Err(Drop::MalformedInner),
            }
        }
    }
}

fn addr16(bytes: &[u8; 16]) -> Addr {
    Addr::V6(u128::from_be_bytes(*bytes))
}

/// The upper-layer protocol and the ports of a packet, for selectors that
/// name a protocol or a port range (RFC 7296 §3.13.1). `ports` is `None`
/// where they cannot be read: a non-initial fragment, a protocol without
/// ports, a truncated header ("OPAQUE", RFC 4301 §4.4.1.1). For ICMP and
/// ICMPv6 both "ports" are Type << 8 | Code (RFC 7296 §3.13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Upper {
    protocol: Option<u8>,
    ports: Option<(u16, u16)>,
}

/// Bounds the IPv6 extension-header walk.
const MAX_EXTENSION_HEADERS: usize = 8;

fn upper(packet: &[u8], header: &InnerHeader) -> Upper {
    let packet = packet.get(..header.len).unwrap_or_default();
    match header.src {
        Addr::V4(_) => {
            let (ihl, protocol, fragment_offset) = match packet {
                [b0, _, _, _, _, _, f0, f1, _, protocol, ..] => (
                    usize::from(b0 & 0x0f) * 4,
                    *protocol,
                    u16::from_be_bytes([*f0, *f1]) & 0x1fff,
                ),
                _ => return OPAQUE,
            };
            let ports = if fragment_offset == 0 {
                packet.get(ihl..).and_then(|l4| ports_of(protocol, l4))
            } else {
                None
            };
            Upper {
                protocol: Some(protocol),
                ports,
            }
        }
        Addr::V6(_) => {
            let mut next = match packet.get(6) {
                Some(n) => *n,
                None => return OPAQUE,
            };
            let mut offset = 40usize;
            let mut first_fragment = true;
            for _ in 0..MAX_EXTENSION_HEADERS {
                let ext = packet.get(offset..).unwrap_or_default();
                let skip = match (next, ext) {
                    // Hop-by-Hop, Routing, Destination Options.
                    (0 | 43 | 60, [_, len, ..]) => (usize::from(*len) + 1) * 8,
                    // Fragment.
                    (44, [_, _, o0, o1, ..]) => {
                        first_fragment = u16::from_be_bytes([*o0, *o1]) >> 3 == 0;
                        8
                    }
                    // Authentication Header (RFC 4302 §2.2).
                    (51, [_, len, ..]) => (usize::from(*len) + 2) * 4,
                    (0 | 43 | 60 | 44 | 51, _) => return OPAQUE,
                    _ => {
                        let ports = if first_fragment {
                            ports_of(next, ext)
                        } else {
                            None
                        };
                        return Upper {
                            protocol: Some(next),
                            ports,
                        };
                    }
                };
                next = match ext.first() {
                    Some(n) => *n,
                    None => return OPAQUE,
                };
                offset = offset.saturating_add(skip);
            }
            OPAQUE
        }
    }
}

const OPAQUE: Upper = Upper {
    protocol: None,
    ports: None,
};

fn ports_of(protocol: u8, l4: &[u8]) -> Option<(u16, u16)> {
    match (protocol, l4) {
        // TCP, UDP, SCTP, UDP-Lite: source and destination port first.
        (6 | 17 | 132 | 136, [s0, s1, d0, d1, ..]) => Some((
            u16::from_be_bytes([*s0, *s1]),
            u16::from_be_bytes([*d0, *d1]),
        )),
        // ICMP, ICMPv6: Type and Code.
        (1 | 58, [t, c, ..]) => {
            let port = u16::from_be_bytes([*t, *c]);
            Some((port, port))
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Selector<A> {
    start: A,
    end: A,
    protocol: u8,
    start_port: u16,
    end_port: u16,
}

impl<A: PartialOrd> Selector<A> {
    fn narrows_upper(&self) -> bool {
        self.protocol != 0 || self.start_port != 0 || self.end_port != u16::MAX
    }

    fn matches(&self, addr: &A, upper: impl FnOnce() -> (Option<u8>, Option<u16>)) -> bool {
        if *addr < self.start || *addr > self.end {
            return false;
        }
        if !self.narrows_upper() {
            return true;
        }
        let (protocol, port) = upper();
        let protocol_ok = self.protocol == 0 || protocol == Some(self.protocol);
        let port_ok = (self.start_port == 0 && self.end_port == u16::MAX)
            || port.is_some_and(|p| (self.start_port..=self.end_port).contains(&p));
        protocol_ok && port_ok
    }
}

/// One side's traffic selectors, as numbers (RFC 7296 §3.13.1). A range
/// whose ends are of different families matches nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selectors {
    v4: Vec<Selector<u32>>,
    v6: Vec<Selector<u128>>,
}

/// Which address of the inner packet a selector set constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Source,
    Destination,
}

impl Selectors {
    pub(crate) fn new(ranges: &[AddressRange]) -> Self {
        let mut selectors = Self::default();
        for range in ranges {
            match (range.start, range.end) {
                (IpAddr::V4(start), IpAddr::V4(end)) => selectors.v4.push(Selector {
                    start: u32::from(start),
                    end: u32::from(end),
                    protocol: range.ip_protocol,
                    start_port: range.start_port,
                    end_port: range.end_port,
                }),
                (IpAddr::V6(start), IpAddr::V6(end)) => selectors.v6.push(Selector {
                    start: u128::from(start),
                    end: u128::from(end),
                    protocol: range.ip_protocol,
                    start_port: range.start_port,
                    end_port: range.end_port,
                }),
                _ => {}
            }
        }
        selectors
    }

    /// Whether the `side` address of `packet` (with `header` parsed from it)
    /// lies in one of the selectors, with the selector's protocol and port
    /// range if it names them.
    pub(crate) fn matches(&self, packet: &[u8], header: &InnerHeader, side: Side) -> bool {
        let addr = match side {
            Side::Source => header.src,
            Side::Destination => header.dst,
        };
        let upper_of = || {
            let u = upper(packet, header);
            let port = u.ports.map(|(src, dst)| match side {
                Side::Source => src,
                Side::Destination => dst,
            });
            (u.protocol, port)
        };
        match addr {
            Addr::V4(a) => self.v4.iter().any(|s| s.matches(&a, upper_of)),
            Addr::V6(a) => self.v6.iter().any(|s| s.matches(&a, upper_of)),
        }
    }
}
