//! Packet builders and checkers for the offload tests, written the plain
//! way (byte by byte, word by word) so that they check the module rather
//! than repeat it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::{split, Coalescer, Packets, VnetHeader, VNET_HDR_LEN};

pub(super) const FIN: u8 = 0x01;
pub(super) const SYN: u8 = 0x02;
pub(super) const RST: u8 = 0x04;
pub(super) const PSH: u8 = 0x08;
pub(super) const ACK: u8 = 0x10;
pub(super) const URG: u8 = 0x20;
pub(super) const ECE: u8 = 0x40;
pub(super) const CWR: u8 = 0x80;

pub(super) const SOURCE4: [u8; 4] = [192, 0, 2, 1];
pub(super) const DESTINATION4: [u8; 4] = [198, 51, 100, 2];
pub(super) const SOURCE6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub(super) const DESTINATION6: [u8; 16] =
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// Deterministic filler bytes (xorshift).
pub(super) fn pseudo_random(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_be_bytes()[0]
        })
        .collect()
}

/// The RFC 1071 sum, folded, one 16-bit word at a time.
pub(super) fn naive_sum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        sum += u32::from(word);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    u16::try_from(sum).unwrap()
}

/// A TCP segment to build. Every field has a usable default.
#[derive(Debug, Clone)]
pub(super) struct Tcp {
    pub(super) ipv6: bool,
    pub(super) source_port: u16,
    pub(super) destination_port: u16,
    pub(super) sequence: u32,
    pub(super) acknowledgment: u32,
    pub(super) flags: u8,
    pub(super) window: u16,
    pub(super) options: Vec<u8>,
    pub(super) payload: Vec<u8>,
    pub(super) ipv4_id: u16,
    pub(super) dont_fragment: bool,
    pub(super) ttl: u8,
    pub(super) tos: u8,
    pub(super) ipv4_options: Vec<u8>,
    pub(super) flow_label: u32,
}

impl Default for Tcp {
    fn default() -> Self {
        Self {
            ipv6: false,
            source_port: 443,
            destination_port: 50_000,
            sequence: 0x1000_0000,
            acknowledgment: 0x2000_0000,
            flags: ACK,
            window: 502,
            options: timestamps(0x0102_0304, 0x0506_0708),
            payload: Vec::new(),
            ipv4_id: 100,
            dont_fragment: true,
            ttl: 64,
            tos: 0,
            ipv4_options: Vec::new(),
            flow_label: 0x1_2345,
        }
    }
}

/// NOP, NOP, Timestamps (RFC 7323): 12 option bytes.
pub(super) fn timestamps(value: u32, echo: u32) -> Vec<u8> {
    let mut options = vec![1, 1, 8, 10];
    options.extend_from_slice(&value.to_be_bytes());
    options.extend_from_slice(&echo.to_be_bytes());
    options
}

impl Tcp {
    /// The IP packet, with correct IPv4 header and TCP checksums.
    pub(super) fn build(&self) -> Vec<u8> {
        assert_eq!(self.options.len() % 4, 0);
        let tcp_header_len = 20 + self.options.len();
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&self.source_port.to_be_bytes());
        tcp.extend_from_slice(&self.destination_port.to_be_bytes());
        tcp.extend_from_slice(&self.sequence.to_be_bytes());
        tcp.extend_from_slice(&self.acknowledgment.to_be_bytes());
        tcp.push(u8::try_from(tcp_header_len / 4).unwrap() << 4);
        tcp.push(self.flags);
        tcp.extend_from_slice(&self.window.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0]);
        tcp.extend_from_slice(&self.options);
        tcp.extend_from_slice(&self.payload);
        let sum = !naive_sum(&[pseudo_header(self.ipv6, 6, tcp.len()), tcp.clone()].concat());
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());
        [self.ip_header(6, tcp.len()), tcp].concat()
    }

    fn ip_header(&self, protocol: u8, upper_len: usize) -> Vec<u8> {
        if self.ipv6 {
            let word = (6 << 28) | (u32::from(self.tos) << 20) | self.flow_label;
            let mut header = word.to_be_bytes().to_vec();
            header.extend_from_slice(&u16::try_from(upper_len).unwrap().to_be_bytes());
            header.extend_from_slice(&[protocol, self.ttl]);
            header.extend_from_slice(&SOURCE6);
            header.extend_from_slice(&DESTINATION6);
            return header;
        }
        let header_len = 20 + self.ipv4_options.len();
        let total = u16::try_from(header_len + upper_len).unwrap();
        let fragment: u16 = if self.dont_fragment { 0x4000 } else { 0 };
        let mut header = vec![0x40 | u8::try_from(header_len / 4).unwrap(), self.tos];
        header.extend_from_slice(&total.to_be_bytes());
        header.extend_from_slice(&self.ipv4_id.to_be_bytes());
        header.extend_from_slice(&fragment.to_be_bytes());
        header.extend_from_slice(&[self.ttl, protocol, 0, 0]);
        header.extend_from_slice(&SOURCE4);
        header.extend_from_slice(&DESTINATION4);
        header.extend_from_slice(&self.ipv4_options);
        let sum = !naive_sum(&header);
        header[10..12].copy_from_slice(&sum.to_be_bytes());
        header
    }

    /// The next segment of the flow, carrying `payload`.
    pub(super) fn next(&self, payload: Vec<u8>) -> Self {
        let sent = u32::try_from(self.payload.len()).unwrap();
        Self {
            sequence: self.sequence.wrapping_add(sent),
            ipv4_id: self.ipv4_id.wrapping_add(1),
            payload,
            ..self.clone()
        }
    }
}

/// Consecutive segments of `template`'s flow with payloads of `sizes`
/// bytes, the first starting at the template's sequence number and ID.
pub(super) fn segment_specs(template: &Tcp, sizes: &[usize]) -> Vec<Tcp> {
    let mut specs: Vec<Tcp> = Vec::new();
    for (index, &size) in sizes.iter().enumerate() {
        let payload = pseudo_random(size, u32::try_from(index).unwrap() + 1);
        let spec = match specs.last() {
            Some(previous) => previous.next(payload),
            None => Tcp {
                payload,
                ..template.clone()
            },
        };
        specs.push(spec);
    }
    specs
}

/// [`segment_specs`], built.
pub(super) fn segments(template: &Tcp, sizes: &[usize]) -> Vec<Vec<u8>> {
    segment_specs(template, sizes)
        .iter()
        .map(Tcp::build)
        .collect()
}

/// A UDP datagram with a correct checksum.
pub(super) fn udp(ipv6: bool, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut udp = vec![0x13, 0x88, 0x00, 0x35];
    udp.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let sum = !naive_sum(&[pseudo_header(ipv6, 17, len), udp.clone()].concat());
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
    let spec = Tcp {
        ipv6,
        ..Tcp::default()
    };
    [spec.ip_header(17, len), udp].concat()
}

/// The pseudo-header bytes (RFC 9293 §3.1, RFC 8200 §8.1).
fn pseudo_header(ipv6: bool, protocol: u8, upper_len: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    if ipv6 {
        bytes.extend_from_slice(&SOURCE6);
        bytes.extend_from_slice(&DESTINATION6);
        bytes.extend_from_slice(&u32::try_from(upper_len).unwrap().to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, protocol]);
    } else {
        bytes.extend_from_slice(&SOURCE4);
        bytes.extend_from_slice(&DESTINATION4);
        bytes.extend_from_slice(&[0, protocol]);
        bytes.extend_from_slice(&u16::try_from(upper_len).unwrap().to_be_bytes());
    }
    bytes
}

/// The IP header length of `packet` (IHL, or 40 for IPv6).
pub(super) fn ip_header_len(packet: &[u8]) -> usize {
    if packet[0] >> 4 == 6 {
        40
    } else {
        usize::from(packet[0] & 0x0f) * 4
    }
}

/// The folded pseudo-header sum of `packet`'s transport segment: what
/// the kernel leaves in the checksum field with `NEEDS_CSUM`.
pub(super) fn partial_checksum(packet: &[u8]) -> u16 {
    let ip = ip_header_len(packet);
    let protocol = if packet[0] >> 4 == 6 {
        packet[6]
    } else {
        packet[9]
    };
    naive_sum(&pseudo_header(
        packet[0] >> 4 == 6,
        protocol,
        packet.len() - ip,
    ))
}

/// Whether the transport checksum (TCP or UDP) verifies: the sum over the
/// pseudo-header and the whole segment is `0xffff`.
pub(super) fn transport_checksum_ok(packet: &[u8]) -> bool {
    let ip = ip_header_len(packet);
    let protocol = if packet[0] >> 4 == 6 {
        packet[6]
    } else {
        packet[9]
    };
    let pseudo = pseudo_header(packet[0] >> 4 == 6, protocol, packet.len() - ip);
    naive_sum(&[pseudo, packet[ip..].to_vec()].concat()) == 0xffff
}

/// Whether the IPv4 header checksum verifies (true for IPv6).
pub(super) fn ipv4_checksum_ok(packet: &[u8]) -> bool {
    packet[0] >> 4 == 6 || naive_sum(&packet[..ip_header_len(packet)]) == 0xffff
}

/// `header` followed by `packet`: one device read or write.
pub(super) fn framed(header: VnetHeader, packet: &[u8]) -> Vec<u8> {
    [&header.encode()[..], packet].concat()
}

/// A big-endian 16-bit field.
pub(super) fn read_u16_at(packet: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([packet[at], packet[at + 1]])
}

/// A big-endian 32-bit field.
pub(super) fn read_u32_at(packet: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(packet[at..at + 4].try_into().unwrap())
}

/// A coalescer that was given `packets`.
pub(super) fn push_all(packets: &[Vec<u8>]) -> Coalescer {
    let mut coalescer = Coalescer::new();
    for packet in packets {
        coalescer.push(packet);
    }
    coalescer
}

/// Each write split back into packets.
pub(super) fn split_writes(coalescer: &Coalescer) -> Vec<Vec<Vec<u8>>> {
    coalescer
        .writes()
        .map(|write| {
            let mut out = Packets::new();
            split(write, &mut out).unwrap();
            out.iter().map(<[u8]>::to_vec).collect()
        })
        .collect()
}

/// The header of a device write.
pub(super) fn vnet_header_of(write: &[u8]) -> VnetHeader {
    VnetHeader::parse(write).unwrap()
}

/// Checks that `write` is `packet` behind an all-zero header.
pub(super) fn assert_plain(write: &[u8], packet: &[u8]) {
    assert_eq!(write[..VNET_HDR_LEN], [0; VNET_HDR_LEN]);
    assert_eq!(&write[VNET_HDR_LEN..], packet);
}

/// The default flow's template, over IPv4 or IPv6.
pub(super) fn flow(ipv6: bool) -> Tcp {
    Tcp {
        ipv6,
        ..Tcp::default()
    }
}
