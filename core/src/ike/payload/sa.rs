//! The Security Association payload: proposals, transforms and transform
//! attributes (RFC 7296 §3.3).

use crate::ike::error::{DecodeError, EncodeError};
use crate::ike::reader::{len16, Reader};
use crate::ike::types::{
    AttributeType, EncryptionId, EsnId, IntegrityId, KeyExchangeId, PrfId, ProtocolId,
    TransformType,
};

/// Last-substructure value of a proposal followed by another (RFC 7296 §3.3.1).
const MORE_PROPOSALS: u8 = 2;
/// Last-substructure value of a transform followed by another (RFC 7296 §3.3.2).
const MORE_TRANSFORMS: u8 = 3;
/// Attribute Format bit: set for TV (two-octet value), clear for TLV (RFC 7296 §3.3.5).
const ATTRIBUTE_FORMAT_TV: u16 = 0x8000;

/// SA payload body: one or more proposals in order of preference.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SecurityAssociation {
    /// The proposals, most preferred first.
    pub proposals: Vec<Proposal>,
}

/// One proposal: a protocol, its SPI and the transforms offered for it (RFC 7296 §3.3.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Proposal {
    /// Proposal number: 1 for the first, then the same or one more.
    pub number: u8,
    /// IKE, AH or ESP.
    pub protocol: ProtocolId,
    /// The sender's SPI: empty for the first IKE_SA_INIT, 8 octets when
    /// rekeying an IKE SA, 4 octets for ESP and AH.
    pub spi: Vec<u8>,
    /// Transforms offered (or, in a response, the ones chosen).
    pub transforms: Vec<Transform>,
}

/// One transform of a proposal (RFC 7296 §3.3.2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Transform {
    /// The transform type.
    pub kind: TransformType,
    /// The transform ID within its type's registry.
    pub id: u16,
    /// Attributes, in practice only the key length (RFC 7296 §3.3.5).
    pub attributes: Vec<Attribute>,
}

/// A transform attribute (RFC 7296 §3.3.5).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Attribute {
    /// Type/value format: a two-octet value.
    Tv {
        /// The attribute type.
        kind: AttributeType,
        /// The value.
        value: u16,
    },
    /// Type/length/value format.
    Tlv {
        /// The attribute type.
        kind: AttributeType,
        /// The value octets.
        value: Vec<u8>,
    },
}

impl Transform {
    /// An encryption transform, with a key length for variable-length ciphers.
    pub fn encryption(id: EncryptionId, key_bits: Option<u16>) -> Self {
        let attributes = key_bits
            .map(|bits| {
                vec![Attribute::Tv {
                    kind: AttributeType::KeyLength,
                    value: bits,
                }]
            })
            .unwrap_or_default();
        Self {
            kind: TransformType::Encryption,
            id: id.raw(),
            attributes,
        }
    }

    /// A pseudorandom-function transform.
    pub fn prf(id: PrfId) -> Self {
        Self::plain(TransformType::Prf, id.raw())
    }

    /// An integrity transform.
    pub fn integrity(id: IntegrityId) -> Self {
        Self::plain(TransformType::Integrity, id.raw())
    }

    /// A key-exchange (Diffie-Hellman group) transform.
    pub fn key_exchange(id: KeyExchangeId) -> Self {
        Self::plain(TransformType::KeyExchange, id.raw())
    }

    /// An extended-sequence-numbers transform.
    pub fn esn(id: EsnId) -> Self {
        Self::plain(TransformType::ExtendedSequenceNumbers, id.raw())
    }

    fn plain(kind: TransformType, id: u16) -> Self {
        Self {
            kind,
            id,
            attributes: Vec::new(),
        }
    }

    /// The Key Length attribute, if present.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Tv {
                kind: AttributeType::KeyLength,
                value,
            } => Some(*value),
            _ => None,
        })
    }
}

impl Proposal {
    /// The IDs of this proposal's transforms of one type, in order.
    pub fn transforms_of(&self, kind: TransformType) -> impl Iterator<Item = &Transform> + '_ {
        self.transforms.iter().filter(move |t| t.kind == kind)
    }
}

impl SecurityAssociation {
    /// Decodes an SA payload body: proposals until the one marked last.
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let mut proposals = Vec::new();
        loop {
            let (proposal, more) = decode_proposal(&mut r)?;
            proposals.push(proposal);
            if !more {
                break;
            }
            if r.is_empty() {
                return Err(DecodeError::Truncated {
                    what: "SA proposal",
                    needed: 8,
                    available: 0,
                });
            }
        }
        if !r.is_empty() {
            return Err(DecodeError::TrailingBytes(r.remaining()));
        }
        Ok(Self { proposals })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.proposals.is_empty() {
            return Err(EncodeError::Invalid(
                "an SA payload needs at least one proposal",
            ));
        }
        let count = self.proposals.len();
        for (index, proposal) in self.proposals.iter().enumerate() {
            encode_proposal(proposal, index + 1 < count, out)?;
        }
        Ok(())
    }
}

fn decode_proposal(r: &mut Reader<'_>) -> Result<(Proposal, bool), DecodeError> {
    let last = r.u8("SA proposal")?;
    let more = match last {
        0 => false,
        MORE_PROPOSALS => true,
        value => {
            return Err(DecodeError::BadSubstructureMarker {
                what: "SA proposal",
                value,
            })
        }
    };
    let _reserved = r.u8("SA proposal")?;
    let length = r.u16("SA proposal")?;
    let mut body = r.sub_by_length(length, 4, "SA proposal")?;
    let number = body.u8("SA proposal")?;
    let protocol = ProtocolId::from(body.u8("SA proposal")?);
    let spi_size = body.u8("SA proposal")?;
    let declared = usize::from(body.u8("SA proposal")?);
    let spi = body.take(usize::from(spi_size), "proposal SPI")?.to_vec();
    let mut transforms = Vec::with_capacity(declared.min(64));
    let mut more_transforms = declared > 0;
    while more_transforms {
        let (transform, more_after) = decode_transform(&mut body)?;
        transforms.push(transform);
        more_transforms = more_after;
    }
    if !body.is_empty() {
        return Err(DecodeError::TrailingBytes(body.remaining()));
    }
    if transforms.len() != declared {
        return Err(DecodeError::CountMismatch {
            what: "SA proposal transforms",
            declared,
            found: transforms.len(),
        });
    }
    Ok((
        Proposal {
            number,
            protocol,
            spi,
            transforms,
        },
        more,
    ))
}

fn decode_transform(r: &mut Reader<'_>) -> Result<(Transform, bool), DecodeError> {
    let last = r.u8("SA transform")?;
    let more = match last {
        0 => false,
        MORE_TRANSFORMS => true,
        value => {
            return Err(DecodeError::BadSubstructureMarker {
                what: "SA transform",
                value,
            })
        }
    };
    let _reserved = r.u8("SA transform")?;
    let length = r.u16("SA transform")?;
    let mut body = r.sub_by_length(length, 4, "SA transform")?;
    let kind = TransformType::from(body.u8("SA transform")?);
    let _reserved = body.u8("SA transform")?;
    let id = body.u16("SA transform")?;
    let mut attributes = Vec::new();
    while !body.is_empty() {
        attributes.push(decode_attribute(&mut body)?);
    }
    Ok((
        Transform {
            kind,
            id,
            attributes,
        },
        more,
    ))
}

fn decode_attribute(r: &mut Reader<'_>) -> Result<Attribute, DecodeError> {
    let raw_type = r.u16("transform attribute")?;
    let kind = AttributeType::from(raw_type & !ATTRIBUTE_FORMAT_TV);
    if raw_type & ATTRIBUTE_FORMAT_TV != 0 {
        let value = r.u16("transform attribute")?;
        Ok(Attribute::Tv { kind, value })
    } else {
        let length = r.u16("transform attribute")?;
        let value = r.take(usize::from(length), "transform attribute value")?;
        Ok(Attribute::Tlv {
            kind,
            value: value.to_vec(),
        })
    }
}

fn encode_proposal(p: &Proposal, more: bool, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = out.len();
    out.push(if more { MORE_PROPOSALS } else { 0 });
    out.push(0);
    out.extend_from_slice(&[0, 0]);
    out.push(p.number);
    out.push(p.protocol.raw());
    let spi_size = u8::try_from(p.spi.len()).map_err(|_| EncodeError::TooLong {
        what: "proposal SPI",
        length: p.spi.len(),
    })?;
    out.push(spi_size);
    let count = u8::try_from(p.transforms.len()).map_err(|_| EncodeError::TooMany {
        what: "transforms in a proposal",
        count: p.transforms.len(),
    })?;
    out.push(count);
    out.extend_from_slice(&p.spi);
    let n = p.transforms.len();
    for (index, t) in p.transforms.iter().enumerate() {
        encode_transform(t, index + 1 < n, out)?;
    }
    patch_length(out, start, "SA proposal")
}

fn encode_transform(t: &Transform, more: bool, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = out.len();
    out.push(if more { MORE_TRANSFORMS } else { 0 });
    out.push(0);
    out.extend_from_slice(&[0, 0]);
    out.push(t.kind.raw());
    out.push(0);
    out.extend_from_slice(&t.id.to_be_bytes());
    for attribute in &t.attributes {
        match attribute {
            Attribute::Tv { kind, value } => {
                out.extend_from_slice(&(kind.raw() | ATTRIBUTE_FORMAT_TV).to_be_bytes());
                out.extend_from_slice(&value.to_be_bytes());
            }
            Attribute::Tlv { kind, value } => {
                if kind.raw() & ATTRIBUTE_FORMAT_TV != 0 {
                    return Err(EncodeError::Invalid("attribute type above 32767"));
                }
                out.extend_from_slice(&kind.raw().to_be_bytes());
                out.extend_from_slice(&len16(value.len(), "transform attribute")?.to_be_bytes());
                out.extend_from_slice(value);
            }
        }
    }
    patch_length(out, start, "SA transform")
}

/// Writes the length of the structure that began at `start` into its
/// 16-bit length field at `start + 2`.
pub(crate) fn patch_length(
    out: &mut [u8],
    start: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    let length = len16(out.len().saturating_sub(start), what)?;
    let field = out
        .get_mut(start + 2..start + 4)
        .ok_or(EncodeError::Invalid("length field outside the buffer"))?;
    field.copy_from_slice(&length.to_be_bytes());
    Ok(())
}
