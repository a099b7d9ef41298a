//! Packet logic for a Linux TUN device opened with `IFF_VNET_HDR` and
//! `TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)`. Pure: no I/O.
//!
//! With those flags every read from and every write to the device starts
//! with a 10-byte `struct virtio_net_hdr` ([`VnetHeader`]; virtio 1.2
//! §5.1.6 "Device Operation", `linux/virtio_net.h`), and the kernel stops
//! doing two costly things one packet at a time:
//!
//! - **Reading** ([`split`]). The kernel may hand over a TCP
//!   "super-packet" of up to 64 KiB (TSO, `VIRTIO_NET_HDR_GSO_TCPV4` or
//!   `VIRTIO_NET_HDR_GSO_TCPV6`) with a partial transport checksum
//!   (`VIRTIO_NET_HDR_F_NEEDS_CSUM`: the field holds only the
//!   pseudo-header sum). [`split`] cuts it into segments of `gso_size`
//!   payload bytes as Linux's `tcp_gso_segment` would (IPv4 length, ID and
//!   header checksum, IPv6 payload length, TCP sequence number and flags
//!   per segment) and completes every checksum, so the tunnel encrypts
//!   ordinary IP packets. A packet that is not GSO may still carry
//!   `NEEDS_CSUM`; its checksum is completed the generic way
//!   (`csum_start`/`csum_offset`), whatever the protocol.
//! - **Writing** ([`Coalescer`]). The decrypted packets of a batch that
//!   continue one TCP flow are merged into one super-packet, written once
//!   behind a GSO header with a partial checksum (generic receive offload,
//!   following Linux's `inet_gro_receive`, `ipv6_gro_receive` and
//!   `tcp_gro_receive`), so the kernel's stack handles one packet instead
//!   of dozens. Everything else is written as-is behind an all-zero header
//!   (`VIRTIO_NET_HDR_GSO_NONE`, no flags).
//!
//! Both sides share the RFC 1071 ones'-complement sum ([`checksum`]) and
//! the IPv4 (RFC 791), IPv6 (RFC 8200) and TCP (RFC 9293) header layouts.
//!
//! Assumptions the device code must keep:
//!
//! - the header is exactly [`VNET_HDR_LEN`] bytes (the default; no
//!   `TUNSETVNETHDRSZ`);
//! - its 16-bit fields are little-endian: that is the device's native
//!   order on little-endian hosts, and on a big-endian host the device
//!   must be switched with `TUNSETVNETLE`;
//! - `csum_start` counts from the first byte of the IP packet (an
//!   `IFF_TUN` device has no link-layer header);
//! - no other offload is enabled: UDP segmentation (`TUN_F_USO4/6`) and
//!   ECN-marked TSO (`TUN_F_TSO_ECN`) reads are refused with an error.

#![forbid(unsafe_code)]

pub mod checksum;
mod coalesce;
mod error;
mod packets;
mod segment;
mod split;
mod vnet;
mod wire;

#[cfg(test)]
mod coalesce_tests;
#[cfg(test)]
mod round_trip_tests;
#[cfg(test)]
mod split_tests;
#[cfg(test)]
mod testutil;

pub use coalesce::{CoalesceStats, Coalescer, MAX_OPEN_FLOWS, MAX_SUPER_PACKET_LEN};
pub use error::OffloadError;
pub use packets::Packets;
pub use split::split;
pub use vnet::{
    VnetHeader, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN,
    VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6,
    VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_UDP_L4, VNET_HDR_LEN,
};
