//! Why a read from the device cannot be turned into IP packets.

/// A read that [`split`](super::split()) refuses. Each names the first
/// inconsistency found; the read should be dropped.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OffloadError {
    /// The read is shorter than the 10-byte `virtio_net_hdr`.
    #[error("read of {len} bytes is shorter than the 10-byte virtio_net_hdr")]
    ShortHeader {
        /// Bytes read.
        len: usize,
    },
    /// The header is followed by nothing.
    #[error("virtio_net_hdr with no packet after it")]
    EmptyPacket,
    /// Header flags other than `NEEDS_CSUM` and `DATA_VALID`.
    #[error("unsupported virtio_net_hdr flags {flags:#04x}")]
    UnsupportedFlags {
        /// The flags byte.
        flags: u8,
    },
    /// A TCP GSO type with the ECN bit: `TUN_F_TSO_ECN` is never enabled.
    #[error("GSO type {gso_type:#04x} has the ECN bit, which was not enabled")]
    EcnNotSupported {
        /// The GSO type byte.
        gso_type: u8,
    },
    /// A GSO type other than none, TCPv4 and TCPv6 (UDP segmentation and
    /// UFO are never enabled).
    #[error("unsupported GSO type {gso_type:#04x}")]
    UnsupportedGsoType {
        /// The GSO type byte.
        gso_type: u8,
    },
    /// A GSO packet with a segment size of 0.
    #[error("GSO packet with a gso_size of 0")]
    ZeroGsoSize,
    /// `NEEDS_CSUM` with a checksum field that does not fit in the packet.
    #[error(
        "checksum field at csum_start {csum_start} + csum_offset {csum_offset} \
         does not fit in the {len}-byte packet"
    )]
    ChecksumBeyondPacket {
        /// `csum_start` from the header.
        csum_start: u16,
        /// `csum_offset` from the header.
        csum_offset: u16,
        /// Length of the packet after the header.
        len: usize,
    },
    /// A TCPv4 GSO packet that is not IPv4, or a TCPv6 one that is not IPv6.
    #[error("GSO type {gso_type:#04x} on an IP version {version} packet")]
    VersionMismatch {
        /// The GSO type byte.
        gso_type: u8,
        /// The packet's version nibble.
        version: u8,
    },
    /// A version nibble that is neither 4 nor 6.
    #[error("IP version {version} is neither 4 nor 6")]
    NotIp {
        /// The version nibble.
        version: u8,
    },
    /// An IPv4 header length (IHL) below 5 words.
    #[error("IPv4 header length of {ihl} words (at least 5)")]
    BadIpv4HeaderLength {
        /// The IHL nibble.
        ihl: u8,
    },
    /// The IP header ends beyond the packet.
    #[error("{header_len}-byte IP header in a {len}-byte packet")]
    IpHeaderBeyondPacket {
        /// The IP header's length.
        header_len: usize,
        /// The packet's length.
        len: usize,
    },
    /// The IPv4 total length (or the IPv6 payload length plus 40)
    /// disagrees with the bytes read.
    #[error("IP header says {stated} bytes, {actual} were read")]
    LengthMismatch {
        /// The length the IP header gives.
        stated: usize,
        /// The packet's length.
        actual: usize,
    },
    /// An IPv4 fragment (MF set or a non-zero offset) in a GSO packet.
    #[error("IPv4 fragment in a GSO packet")]
    Fragment,
    /// An IPv6 extension header before TCP in a GSO packet.
    #[error("IPv6 extension header {next_header} in a GSO packet")]
    Ipv6ExtensionHeader {
        /// The first Next Header value.
        next_header: u8,
    },
    /// A GSO packet that does not carry TCP.
    #[error("GSO packet carrying protocol {protocol}, not TCP")]
    NotTcp {
        /// The IPv4 protocol or IPv6 next header.
        protocol: u8,
    },
    /// A TCP data offset below 5 words.
    #[error("TCP data offset of {data_offset} words (at least 5)")]
    BadTcpHeaderLength {
        /// The data offset nibble.
        data_offset: u8,
    },
    /// The TCP header ends beyond the packet.
    #[error("TCP header ends at byte {end} of a {len}-byte packet")]
    TcpHeaderBeyondPacket {
        /// Where the TCP header ends (from the start of the IP packet).
        end: usize,
        /// The packet's length.
        len: usize,
    },
}
