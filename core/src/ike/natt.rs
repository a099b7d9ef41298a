//! NAT traversal on the wire: telling IKE from ESP on UDP port 4500
//! (RFC 3948 §2), and the NAT_DETECTION hashes (RFC 7296 §2.23).

use std::net::{IpAddr, SocketAddr};

use ring::digest;

use super::header::Spi;

/// Four zero octets that precede an IKE message on port 4500 (RFC 3948 §2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// The one-octet NAT-keepalive payload (RFC 3948 §2.3).
pub const NAT_KEEPALIVE: u8 = 0xff;

/// What a UDP datagram received on port 4500 carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Port4500<'a> {
    /// An IKE message, marker removed.
    Ike(&'a [u8]),
    /// An ESP packet (starts with a non-zero SPI).
    Esp(&'a [u8]),
    /// A NAT keepalive.
    Keepalive,
    /// Too short to be any of them.
    Invalid,
}

/// Classifies a datagram received on the NAT-T port (RFC 3948 §2.2–2.3).
pub fn classify_port_4500(datagram: &[u8]) -> Port4500<'_> {
    match datagram {
        [NAT_KEEPALIVE] => Port4500::Keepalive,
        [0, 0, 0, 0, ike @ ..] => Port4500::Ike(ike),
        esp if esp.len() >= 8 => Port4500::Esp(esp),
        _ => Port4500::Invalid,
    }
}

/// Prefixes an IKE message with the non-ESP marker for port 4500.
pub fn with_non_esp_marker(ike: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ike.len() + NON_ESP_MARKER.len());
    out.extend_from_slice(&NON_ESP_MARKER);
    out.extend_from_slice(ike);
    out
}

/// NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | Port) (RFC 7296 §2.23).
/// SHA-1 is what the RFC specifies here; it is a hash of public values, not
/// a security function.
pub fn nat_detection_hash(spi_i: &Spi, spi_r: &Spi, endpoint: SocketAddr) -> [u8; 20] {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(spi_i);
    ctx.update(spi_r);
    match endpoint.ip() {
        IpAddr::V4(v4) => ctx.update(&v4.octets()),
        IpAddr::V6(v6) => ctx.update(&v6.octets()),
    }
    ctx.update(&endpoint.port().to_be_bytes());
    let mut out = [0u8; 20];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}
