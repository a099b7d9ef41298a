//! Packet-size arithmetic for the data path: how much ESP in UDP adds to
//! an inner packet, and the MTU to give the TUN device.

use crate::ike::child::EspSuite;

use super::cipher::{self, TRAILER_LEN};
use super::ESP_HEADER_LEN;

const IPV4_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;
const UDP_HEADER_LEN: usize = 8;

fn fixed_overhead(suite: &EspSuite, outer_v6: bool, udp_encap: bool) -> usize {
    let outer_ip = if outer_v6 {
        IPV6_HEADER_LEN
    } else {
        IPV4_HEADER_LEN
    };
    let udp = if udp_encap { UDP_HEADER_LEN } else { 0 };
    outer_ip
        + udp
        + ESP_HEADER_LEN
        + cipher::iv_len(suite.encryption)
        + TRAILER_LEN
        + cipher::icv_len(suite)
}

/// The most octets that tunnelling adds to an inner packet: outer IP header
/// (20 or 40, without options or extension headers), UDP header (8, with
/// RFC 3948 encapsulation), ESP header (8), IV, the largest padding (3 for
/// the AEADs' 4-octet alignment, 15 for AES-CBC's blocks; RFC 4303 §2.4),
/// Pad Length and Next Header (2), and ICV (RFC 4303 §2).
///
/// For AES-GCM-16 over IPv4 and UDP: 20 + 8 + 8 + 8 + 3 + 2 + 16 = 65.
pub fn esp_overhead(suite: &EspSuite, outer_v6: bool, udp_encap: bool) -> usize {
    fixed_overhead(suite, outer_v6, udp_encap) + cipher::alignment(suite.encryption) - 1
}

/// The largest inner packet whose ESP packet, in its outer headers, fits in
/// `path_mtu` octets: the MTU to configure on the TUN device.
///
/// This is exact rather than `path_mtu - esp_overhead(..)`: the padding
/// only has to round `inner + 2` up to the alignment, so the result is the
/// largest aligned size that fits, minus the trailer. 0 if not even an
/// empty packet fits. The caller should still not go below the IPv6
/// minimum of 1280 (RFC 8200 §5) on a tunnel that carries IPv6, and rather
/// rely on fragmentation of the outer packets there.
pub fn inner_mtu(path_mtu: usize, suite: &EspSuite, outer_v6: bool, udp_encap: bool) -> usize {
    let without_trailer = fixed_overhead(suite, outer_v6, udp_encap) - TRAILER_LEN;
    let align = cipher::alignment(suite.encryption);
    let available = path_mtu.saturating_sub(without_trailer);
    (available / align * align).saturating_sub(TRAILER_LEN)
}
