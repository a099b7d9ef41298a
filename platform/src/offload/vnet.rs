//! The `virtio_net_hdr` in front of every packet on a TUN device opened
//! with `IFF_VNET_HDR` (virtio 1.2 §5.1.6 "Device Operation"; `struct
//! virtio_net_hdr` in `linux/virtio_net.h`).

use super::OffloadError;

/// Size of the header: `struct virtio_net_hdr` without the
/// `num_buffers` field (the TUN default, `TUNSETVNETHDRSZ` untouched).
pub const VNET_HDR_LEN: usize = 10;

/// Flag: the transport checksum is partial. The field at
/// `csum_start + csum_offset` holds the pseudo-header sum, and the
/// ones'-complement sum from `csum_start` to the end of the packet,
/// complemented, must be stored there.
pub const VIRTIO_NET_HDR_F_NEEDS_CSUM: u8 = 1;
/// Flag: the checksums were already verified (the kernel sets it on
/// packets it received with a valid checksum). Nothing to do.
pub const VIRTIO_NET_HDR_F_DATA_VALID: u8 = 2;

/// GSO type: an ordinary packet.
pub const VIRTIO_NET_HDR_GSO_NONE: u8 = 0;
/// GSO type: an IPv4 TCP super-packet (TSO).
pub const VIRTIO_NET_HDR_GSO_TCPV4: u8 = 1;
/// GSO type: UDP fragmentation offload (UFO, long gone from Linux).
pub const VIRTIO_NET_HDR_GSO_UDP: u8 = 3;
/// GSO type: an IPv6 TCP super-packet (TSO).
pub const VIRTIO_NET_HDR_GSO_TCPV6: u8 = 4;
/// GSO type: UDP segmentation offload (USO).
pub const VIRTIO_NET_HDR_GSO_UDP_L4: u8 = 5;
/// Bit added to a TCP GSO type when the super-packet carries CWR
/// (`TUN_F_TSO_ECN`).
pub const VIRTIO_NET_HDR_GSO_ECN: u8 = 0x80;

/// A decoded `virtio_net_hdr`. The 16-bit fields are little-endian on the
/// wire (see the module documentation of [`crate::offload`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VnetHeader {
    /// `VIRTIO_NET_HDR_F_*` bits.
    pub flags: u8,
    /// One of `VIRTIO_NET_HDR_GSO_*`, possibly with
    /// [`VIRTIO_NET_HDR_GSO_ECN`].
    pub gso_type: u8,
    /// Length of the headers (IP + TCP) of a GSO packet. Only a hint: the
    /// kernel may put more here, so it is never trusted when reading.
    pub hdr_len: u16,
    /// Payload bytes per segment of a GSO packet (the MSS).
    pub gso_size: u16,
    /// Where the checksummed region starts, from the start of the packet.
    pub csum_start: u16,
    /// Where the checksum field is, from `csum_start`.
    pub csum_offset: u16,
}

impl VnetHeader {
    /// Decodes the first [`VNET_HDR_LEN`] bytes of `bytes` (the rest is
    /// ignored). Fails only when there are fewer.
    pub fn parse(bytes: &[u8]) -> Result<Self, OffloadError> {
        let Some(header) = bytes.first_chunk::<VNET_HDR_LEN>() else {
            return Err(OffloadError::ShortHeader { len: bytes.len() });
        };
        let [flags, gso_type, h0, h1, g0, g1, s0, s1, o0, o1] = *header;
        Ok(Self {
            flags,
            gso_type,
            hdr_len: u16::from_le_bytes([h0, h1]),
            gso_size: u16::from_le_bytes([g0, g1]),
            csum_start: u16::from_le_bytes([s0, s1]),
            csum_offset: u16::from_le_bytes([o0, o1]),
        })
    }

    /// The header's wire form.
    pub fn encode(&self) -> [u8; VNET_HDR_LEN] {
        let [h0, h1] = self.hdr_len.to_le_bytes();
        let [g0, g1] = self.gso_size.to_le_bytes();
        let [s0, s1] = self.csum_start.to_le_bytes();
        let [o0, o1] = self.csum_offset.to_le_bytes();
        [self.flags, self.gso_type, h0, h1, g0, g1, s0, s1, o0, o1]
    }

    /// Whether [`VIRTIO_NET_HDR_F_NEEDS_CSUM`] is set.
    pub fn needs_csum(&self) -> bool {
        self.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_little_endian_in_kernel_order() {
        let header = VnetHeader {
            flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
            gso_type: VIRTIO_NET_HDR_GSO_TCPV6,
            hdr_len: 0x0102,
            gso_size: 0x0304,
            csum_start: 0x0506,
            csum_offset: 0x0708,
        };
        let bytes = header.encode();
        assert_eq!(
            bytes,
            [1, 4, 0x02, 0x01, 0x04, 0x03, 0x06, 0x05, 0x08, 0x07]
        );
        assert_eq!(VnetHeader::parse(&bytes), Ok(header));
        assert!(header.needs_csum());
        assert!(!VnetHeader::default().needs_csum());
        assert_eq!(VnetHeader::default().encode(), [0; VNET_HDR_LEN]);
    }

    #[test]
    fn parse_reads_only_the_prefix() {
        let mut bytes = VnetHeader {
            gso_size: 1448,
            ..VnetHeader::default()
        }
        .encode()
        .to_vec();
        bytes.extend_from_slice(&[0x45, 0, 0, 20]);
        assert_eq!(VnetHeader::parse(&bytes).unwrap().gso_size, 1448);
    }

    #[test]
    fn short_input_is_refused() {
        for len in 0..VNET_HDR_LEN {
            assert_eq!(
                VnetHeader::parse(&[0; VNET_HDR_LEN][..len]),
                Err(OffloadError::ShortHeader { len })
            );
        }
    }
}
