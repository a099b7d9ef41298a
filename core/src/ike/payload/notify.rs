//! The Notify payload (RFC 7296 §3.10) and typed views of the notify data
//! that the initiator reads.

use crate::ike::error::{DecodeError, EncodeError};
use crate::ike::reader::Reader;
use crate::ike::types::{HashAlgorithm, KeyExchangeId, NotifyType, ProtocolId};

/// Notify payload (RFC 7296 §3.10).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Notify {
    /// The SA type the SPI belongs to; `None` (0) when there is no SPI.
    pub protocol: ProtocolId,
    /// The SPI of the SA concerned, often empty.
    pub spi: Vec<u8>,
    /// The notification.
    pub kind: NotifyType,
    /// Type-specific data.
    pub data: Vec<u8>,
}

impl Notify {
    /// A notification without SPI.
    pub fn new(kind: NotifyType, data: Vec<u8>) -> Self {
        Self {
            protocol: ProtocolId::None,
            spi: Vec::new(),
            kind,
            data,
        }
    }

    /// A notification with no data (e.g. MOBIKE_SUPPORTED).
    pub fn flag(kind: NotifyType) -> Self {
        Self::new(kind, Vec::new())
    }

    /// SIGNATURE_HASH_ALGORITHMS listing the hashes we accept (RFC 7427 §4).
    pub fn signature_hash_algorithms(hashes: &[HashAlgorithm]) -> Self {
        let data = hashes.iter().flat_map(|h| h.raw().to_be_bytes()).collect();
        Self::new(NotifyType::SignatureHashAlgorithms, data)
    }

    /// The group an INVALID_KE_PAYLOAD asks for (RFC 7296 §1.3, §3.10.1).
    pub fn requested_group(&self) -> Result<KeyExchangeId, DecodeError> {
        let bytes: [u8; 2] =
            self.data
                .as_slice()
                .try_into()
                .map_err(|_| DecodeError::BadLength {
                    what: "INVALID_KE_PAYLOAD data",
                    length: self.data.len(),
                    min: 2,
                    max: 2,
                })?;
        Ok(KeyExchangeId::from(u16::from_be_bytes(bytes)))
    }

    /// The hash algorithms of a SIGNATURE_HASH_ALGORITHMS notification (RFC 7427 §4).
    pub fn hash_algorithms(&self) -> Result<Vec<HashAlgorithm>, DecodeError> {
        if !self.data.len().is_multiple_of(2) {
            return Err(DecodeError::BadLength {
                what: "SIGNATURE_HASH_ALGORITHMS data",
                length: self.data.len(),
                min: 0,
                max: self.data.len().saturating_sub(1),
            });
        }
        Ok(self
            .data
            .chunks_exact(2)
            .filter_map(|pair| <[u8; 2]>::try_from(pair).ok())
            .map(|pair| HashAlgorithm::from(u16::from_be_bytes(pair)))
            .collect())
    }

    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let protocol = ProtocolId::from(r.u8("Notify payload")?);
        let spi_size = r.u8("Notify payload")?;
        let kind = NotifyType::from(r.u16("Notify payload")?);
        let spi = r.take(usize::from(spi_size), "Notify SPI")?.to_vec();
        Ok(Self {
            protocol,
            spi,
            kind,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.protocol.raw());
        let spi_size = u8::try_from(self.spi.len()).map_err(|_| EncodeError::TooLong {
            what: "Notify SPI",
            length: self.spi.len(),
        })?;
        out.push(spi_size);
        out.extend_from_slice(&self.kind.raw().to_be_bytes());
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}
