//! One decrypted packet as the coalescer sees it: its TCP flow, and
//! what its own headers say about merging.

use super::coalesce::MAX_SUPER_PACKET_LEN;
use super::wire::{
    read_u16, read_u32, read_u8, tcp_flow, IpVersion, TcpLayout, IPV4_ID, IPV4_MIN_HEADER, TCP_ACK,
    TCP_ACKNOWLEDGMENT, TCP_FLAGS, TCP_SEQUENCE, TCP_WINDOW,
};

/// A TCP flow: version, addresses and ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FlowKey {
    ipv6: bool,
    source: [u8; 16],
    destination: [u8; 16],
    ports: [u8; 4],
}

impl FlowKey {
    pub(super) fn of(packet: &[u8]) -> Option<Self> {
        let (source, destination, ports) = tcp_flow(packet)?;
        let mut key = Self {
            ipv6: source.len() == 16,
            source: [0; 16],
            destination: [0; 16],
            ports: [0; 4],
        };
        for (to, from) in key.source.iter_mut().zip(source) {
            *to = *from;
        }
        for (to, from) in key.destination.iter_mut().zip(destination) {
            *to = *from;
        }
        for (to, from) in key.ports.iter_mut().zip(ports) {
            *to = *from;
        }
        Some(key)
    }
}

/// A TCP segment that could be merged, as far as its own headers tell.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) layout: TcpLayout,
    pub(super) sequence: u32,
    pub(super) acknowledgment: u32,
    pub(super) flags: u8,
    pub(super) window: u16,
    pub(super) ipv4_id: u16,
    pub(super) payload_len: usize,
}

impl Segment {
    pub(super) fn parse(packet: &[u8]) -> Option<Self> {
        let layout = TcpLayout::parse(packet).ok()?;
        if layout.version == IpVersion::V4 && layout.ip_header_len != IPV4_MIN_HEADER {
            return None;
        }
        let tcp = packet.get(layout.ip_header_len..)?;
        Some(Self {
            layout,
            sequence: read_u32(tcp, TCP_SEQUENCE)?,
            acknowledgment: read_u32(tcp, TCP_ACKNOWLEDGMENT)?,
            flags: read_u8(tcp, TCP_FLAGS)?,
            window: read_u16(tcp, TCP_WINDOW)?,
            ipv4_id: read_u16(packet, IPV4_ID)?,
            payload_len: packet.len().checked_sub(layout.headers_len())?,
        })
    }

    /// Whether a super-packet may start with this segment.
    pub(super) fn can_start(&self) -> bool {
        self.flags == TCP_ACK
            && self.payload_len > 0
            && self.layout.headers_len() + self.payload_len <= MAX_SUPER_PACKET_LEN
    }
}
