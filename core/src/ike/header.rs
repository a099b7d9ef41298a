//! The IKE header (RFC 7296 §3.1).

use super::error::DecodeError;
use super::reader::Reader;
use super::types::{ExchangeType, PayloadType};

/// Size of the fixed IKE header in bytes.
pub const HEADER_LEN: usize = 28;

/// An IKE SPI: eight octets chosen by one peer (RFC 7296 §3.1).
pub type Spi = [u8; 8];

/// Header flags (RFC 7296 §3.1): bit 3 Initiator, bit 4 Version, bit 5 Response.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Flags(u8);

impl Flags {
    /// Set in messages sent by the original initiator of the IKE SA.
    pub const INITIATOR: u8 = 0x08;
    /// Set by a sender that could speak a higher major version.
    pub const VERSION: u8 = 0x10;
    /// Set in responses.
    pub const RESPONSE: u8 = 0x20;

    /// Flags from their raw octet; unknown bits are kept so a message
    /// re-encodes to the same bytes.
    pub fn from_raw(raw: u8) -> Self {
        Self(raw)
    }

    /// Flags for a message with the given roles.
    pub fn new(initiator: bool, response: bool) -> Self {
        let mut raw = 0;
        if initiator {
            raw |= Self::INITIATOR;
        }
        if response {
            raw |= Self::RESPONSE;
        }
        Self(raw)
    }

    /// The raw octet.
    pub fn raw(self) -> u8 {
        self.0
    }

    /// The sender is the original initiator of the IKE SA.
    pub fn initiator(self) -> bool {
        self.0 & Self::INITIATOR != 0
    }

    /// The message is a response.
    pub fn response(self) -> bool {
        self.0 & Self::RESPONSE != 0
    }
}

/// The fixed header at the start of every IKE message (RFC 7296 §3.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// The initiator's SPI.
    pub spi_i: Spi,
    /// The responder's SPI (zero in the first IKE_SA_INIT request).
    pub spi_r: Spi,
    /// Type of the first payload.
    pub next_payload: PayloadType,
    /// Major version (always 2 once decoded).
    pub major_version: u8,
    /// Minor version (ignored on receipt, RFC 7296 §2.5).
    pub minor_version: u8,
    /// Which exchange this message belongs to.
    pub exchange: ExchangeType,
    /// Initiator / response flags.
    pub flags: Flags,
    /// Message ID used for request/response matching (RFC 7296 §2.2).
    pub message_id: u32,
    /// Total length of the message in octets, header included.
    pub length: u32,
}

impl Header {
    /// A version-2.0 header; `length` is filled in by the encoder.
    pub fn new(
        spi_i: Spi,
        spi_r: Spi,
        exchange: ExchangeType,
        flags: Flags,
        message_id: u32,
    ) -> Self {
        Self {
            spi_i,
            spi_r,
            next_payload: PayloadType::NoNextPayload,
            major_version: 2,
            minor_version: 0,
            exchange,
            flags,
            message_id,
            length: 0,
        }
    }

    /// Decodes the 28-byte header. Rejects major versions other than 2.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        Self::read(&mut r)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let spi_i = r.array("IKE header")?;
        let spi_r = r.array("IKE header")?;
        let next_payload = PayloadType::from(r.u8("IKE header")?);
        let version = r.u8("IKE header")?;
        let exchange = ExchangeType::from(r.u8("IKE header")?);
        let flags = Flags::from_raw(r.u8("IKE header")?);
        let message_id = r.u32("IKE header")?;
        let length = r.u32("IKE header")?;
        let major_version = version >> 4;
        if major_version != 2 {
            return Err(DecodeError::UnsupportedVersion(major_version));
        }
        Ok(Self {
            spi_i,
            spi_r,
            next_payload,
            major_version,
            minor_version: version & 0x0f,
            exchange,
            flags,
            message_id,
            length,
        })
    }

    /// Appends the 28 header bytes as they stand (length included).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.spi_i);
        out.extend_from_slice(&self.spi_r);
        out.push(self.next_payload.raw());
        out.push((self.major_version << 4) | (self.minor_version & 0x0f));
        out.push(self.exchange.raw());
        out.push(self.flags.raw());
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}
