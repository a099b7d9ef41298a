//! IKEv2 on the wire: the message codec of RFC 7296 §3 and RFC 7383, with
//! the IANA registries as types that keep unknown values.
//!
//! Decoding never panics and never trusts a length: every malformed input
//! is a [`DecodeError`] naming what was wrong.

mod error;
mod header;
mod message;
pub mod natt;
pub mod payload;
mod reader;
mod registry;
pub mod types;

pub use error::{DecodeError, EncodeError};
pub use header::{Flags, Header, Spi, HEADER_LEN};
pub use message::{notifies, Message, MAX_MESSAGE_LEN};
pub use payload::Payload;

pub mod auth;
pub mod child;
pub mod fragment;
pub mod initiator;
pub mod proposals;
pub mod protect;
pub mod sa_init;
