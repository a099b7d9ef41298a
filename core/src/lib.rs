//! Softwire's protocol engine.
//!
//! Everything in this crate is sans-IO: it takes bytes and time in and gives
//! bytes, deadlines and events out. It never opens a socket, reads a clock or
//! spawns a task; the service (`softwired`) drives it with real I/O and the
//! tests drive it with a fake clock and fake peers.
//!
//! - [`ike`]: the IKEv2 message codec (RFC 7296 §3, RFC 7383) and, later, the
//!   initiator's exchanges.
//! - [`discovery`]: finding the SC's address (configuration, DNS, DHCP).
//! - [`crypto`]: the IKE cryptographic suites over `ring`, with RustCrypto
//!   crates only where `ring` has no primitive.
#![forbid(unsafe_code)]

pub mod crypto;
pub mod discovery;
pub mod eap;
pub mod esp;
pub mod ike;
pub mod pki;
pub mod profile;
