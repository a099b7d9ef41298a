//! The ESP data path: tunnel-mode Encapsulating Security Payload
//! (RFC 4303) over UDP (RFC 3948), for the CHILD_SA that IKE negotiated.
//!
//! Like the rest of the crate this is sans-IO: an [`EspOutbound`] turns an
//! inner IP packet read from the TUN device into the bytes of one ESP packet
//! (the UDP payload to send to the SC's port 4500), and an [`EspInbound`]
//! turns the ESP packet in a received datagram back into the inner packet to
//! write to the TUN device, or says why it was dropped ([`Drop`]).
//!
//! - Transforms: AES-GCM-16 with 128/256-bit keys (RFC 4106),
//!   ChaCha20-Poly1305 (RFC 7634), and AES-CBC (RFC 3602) with
//!   HMAC-SHA2-256-128/384-192/512-256 (RFC 4868), the algorithms RFC 8221
//!   recommends. The AEADs and HMAC come from `ring`; AES-CBC from the
//!   RustCrypto `aes` and `cbc` crates. Keys are expanded once, when the SA
//!   is set up; sealing and opening a packet allocate nothing once the
//!   caller's output buffer has grown to the largest packet, and
//!   [`EspInbound::open_in_place`] decrypts in the receive buffer without
//!   even a copy.
//! - Sequence numbers: 32-bit or 64-bit extended (ESN, RFC 4303 §2.2.1,
//!   Appendix A), never allowed to cycle (§3.3.3).
//! - Anti-replay: a 4096-packet sliding window (RFC 4303 §3.4.3, with the
//!   bitmap layout of RFC 6479).
//! - Inbound policy: after decryption the inner packet's source must lie in
//!   the SC's traffic selectors and its destination in ours (RFC 4301 §5.2,
//!   step 4), so that an SC, or anyone holding its keys, cannot inject
//!   packets that claim to come from elsewhere.
//! - ECN: decapsulation per RFC 6040 §4.2 (normal mode).
//! - UDP encapsulation helpers: NAT keepalives (RFC 3948 §2.3, §4) and the
//!   MTU arithmetic for the TUN device.
//!
//! We are always the IKE initiator, so the outbound SA uses the
//! initiator-to-responder keys (`encr_i`/`integ_i`) and the inbound SA the
//! responder-to-initiator ones (RFC 7296 §2.17).

mod cipher;
mod counters;
mod ecn;
mod inbound;
mod inner;
mod mtu;
mod outbound;
mod replay;
mod udp_encap;

#[cfg(test)]
mod tests;

pub use counters::{Drop, EspCounters};
pub use ecn::{ecn_decapsulate, inner_ecn, Ecn};
pub use inbound::{Decapsulated, EspInbound};
pub use inner::IpFamily;
pub use mtu::{esp_overhead, inner_mtu};
pub use outbound::EspOutbound;
pub use replay::REPLAY_WINDOW;
pub use udp_encap::{keepalive_datagram, Keepalive, NAT_KEEPALIVE_INTERVAL};

use crate::crypto::CryptoError;

/// Length of the ESP header: SPI and Sequence Number (RFC 4303 §2).
pub const ESP_HEADER_LEN: usize = 8;

/// Next Header value of an IPv4 packet in tunnel mode (IP-in-IP, IANA
/// protocol 4; RFC 4303 §2.6).
pub const NEXT_HEADER_IPV4: u8 = 4;
/// Next Header value of an IPv6 packet in tunnel mode (IANA protocol 41;
/// RFC 4303 §2.6).
pub const NEXT_HEADER_IPV6: u8 = 41;
/// Next Header value of a dummy packet (IPv6 "No Next Header", IANA protocol
/// 59), which a receiver discards (RFC 4303 §2.6).
pub const NEXT_HEADER_DUMMY: u8 = 59;

/// Errors setting up an ESP SA or sealing a packet.
///
/// Problems with *received* packets are not errors but [`Drop`] reasons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EspError {
    /// The negotiated suite or its keys are unusable (wrong key length, an
    /// AEAD with an integrity transform, AES-CBC without one, AES-192-GCM,
    /// ...).
    #[error("unusable ESP suite: {0}")]
    Crypto(#[from] CryptoError),
    /// The SPI is one of the reserved values 0-255 (RFC 4303 §2.1: 1-255 are
    /// reserved by IANA and 0 must never be sent on the wire).
    #[error("SPI {0} is reserved")]
    ReservedSpi(u32),
    /// The packet to seal is not an IPv4 or IPv6 packet: its first nibble
    /// (the IP version) is neither 4 nor 6, or it is empty. Tunnel mode
    /// carries whole IP packets only (RFC 4303 §2.6).
    #[error("not an IP packet (version nibble {0:?})")]
    NotIpPacket(Option<u8>),
    /// The sequence number counter would cycle: 2^32 - 1 packets were sent
    /// without ESN, or 2^64 - 1 with it. The SA must be rekeyed (RFC 4303
    /// §3.3.3).
    #[error("ESP sequence numbers exhausted; rekey the CHILD_SA")]
    SequenceExhausted,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    RandomFailure,
    /// An internal length computation failed (should not happen).
    #[error("internal ESP error")]
    Internal,
}
