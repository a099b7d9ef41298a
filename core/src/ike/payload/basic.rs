//! The payloads with a simple fixed layout: KE (RFC 7296 §3.4), IDi/IDr
//! (§3.5), CERT (§3.6), CERTREQ (§3.7), AUTH (§3.8), Nonce (§3.9),
//! Delete (§3.11) and Vendor ID (§3.12).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ike::error::{DecodeError, EncodeError};
use crate::ike::reader::Reader;
use crate::ike::types::{AuthMethod, CertEncoding, IdType, KeyExchangeId, ProtocolId};

/// Smallest nonce a peer may send (RFC 7296 §3.9).
pub const NONCE_MIN: usize = 16;
/// Largest nonce a peer may send (RFC 7296 §3.9).
pub const NONCE_MAX: usize = 256;

/// Key Exchange payload (RFC 7296 §3.4).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyExchange {
    /// The group the public value belongs to.
    pub group: KeyExchangeId,
    /// The sender's public value.
    pub data: Vec<u8>,
}

impl KeyExchange {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let group = KeyExchangeId::from(r.u16("KE payload")?);
        let _reserved = r.u16("KE payload")?;
        Ok(Self {
            group,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group.raw().to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.data);
    }
}

/// Identification payload, IDi or IDr (RFC 7296 §3.5).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Identification {
    /// How `data` is to be read.
    pub id_type: IdType,
    /// The three reserved octets as received; they are part of the octets
    /// the AUTH payload signs (RFC 7296 §2.15), so they are kept.
    pub reserved: [u8; 3],
    /// The identity.
    pub data: Vec<u8>,
}

impl Identification {
    /// An ID_FQDN identity.
    pub fn fqdn(name: &str) -> Self {
        Self::new(IdType::Fqdn, name.as_bytes().to_vec())
    }

    /// An ID_RFC822_ADDR identity (user@domain).
    pub fn rfc822(address: &str) -> Self {
        Self::new(IdType::Rfc822Addr, address.as_bytes().to_vec())
    }

    /// An ID_IPV4_ADDR or ID_IPV6_ADDR identity.
    pub fn ip(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self::new(IdType::Ipv4Addr, v4.octets().to_vec()),
            IpAddr::V6(v6) => Self::new(IdType::Ipv6Addr, v6.octets().to_vec()),
        }
    }

    /// An identity from how users write it: an IP address, `user@domain`
    /// (ID_RFC822_ADDR), or a host name (ID_FQDN).
    pub fn from_text(text: &str) -> Self {
        match text.parse::<IpAddr>() {
            Ok(ip) => Self::ip(ip),
            Err(_) if text.contains('@') => Self::rfc822(text),
            Err(_) => Self::fqdn(text),
        }
    }

    /// An identity of any type with zero reserved octets.
    pub fn new(id_type: IdType, data: Vec<u8>) -> Self {
        Self {
            id_type,
            reserved: [0; 3],
            data,
        }
    }

    /// The payload body after the generic header ("RestOfIDPayload" in
    /// RFC 7296 §2.15), the octets the AUTH computation covers.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.data.len());
        self.encode(&mut out);
        out
    }

    /// The identity as text, when its type is textual or an address.
    pub fn to_text(&self) -> Option<String> {
        match self.id_type {
            IdType::Fqdn | IdType::Rfc822Addr => {
                std::str::from_utf8(&self.data).ok().map(str::to_owned)
            }
            IdType::Ipv4Addr => <[u8; 4]>::try_from(self.data.as_slice())
                .ok()
                .map(|o| Ipv4Addr::from(o).to_string()),
            IdType::Ipv6Addr => <[u8; 16]>::try_from(self.data.as_slice())
                .ok()
                .map(|o| Ipv6Addr::from(o).to_string()),
            _ => None,
        }
    }

    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let id_type = IdType::from(r.u8("ID payload")?);
        let reserved = r.array("ID payload")?;
        Ok(Self {
            id_type,
            reserved,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.id_type.raw());
        out.extend_from_slice(&self.reserved);
        out.extend_from_slice(&self.data);
    }
}

/// Certificate payload (RFC 7296 §3.6).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Certificate {
    /// The encoding of `data`.
    pub encoding: CertEncoding,
    /// The certificate (DER for X509_SIGNATURE).
    pub data: Vec<u8>,
}

/// Certificate Request payload (RFC 7296 §3.7).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CertificateRequest {
    /// The requested certificate encoding.
    pub encoding: CertEncoding,
    /// For X509_SIGNATURE: concatenated SHA-1 hashes of trusted CAs'
    /// SubjectPublicKeyInfo.
    pub authority: Vec<u8>,
}

impl Certificate {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let encoding = CertEncoding::from(r.u8("CERT payload")?);
        Ok(Self {
            encoding,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.encoding.raw());
        out.extend_from_slice(&self.data);
    }
}

impl CertificateRequest {
    /// Length of one certification-authority hash (SHA-1).
    pub const HASH_LEN: usize = 20;

    /// The CA hashes of an X.509 request, if the field is a whole number of them.
    pub fn authority_hashes(&self) -> Option<impl Iterator<Item = &[u8]> + '_> {
        self.authority
            .len()
            .is_multiple_of(Self::HASH_LEN)
            .then(|| self.authority.chunks_exact(Self::HASH_LEN))
    }

    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let encoding = CertEncoding::from(r.u8("CERTREQ payload")?);
        Ok(Self {
            encoding,
            authority: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.encoding.raw());
        out.extend_from_slice(&self.authority);
    }
}

/// Authentication payload (RFC 7296 §3.8).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Authentication {
    /// How `data` was computed.
    pub method: AuthMethod,
    /// The signature or MAC.
    pub data: Vec<u8>,
}

impl Authentication {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let method = AuthMethod::from(r.u8("AUTH payload")?);
        let _reserved = r.array::<3>("AUTH payload")?;
        Ok(Self {
            method,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.method.raw());
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.data);
    }
}

/// Nonce payload (RFC 7296 §3.9): 16 to 256 random octets.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Nonce(pub Vec<u8>);

impl Nonce {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let data = r.take_rest();
        if !(NONCE_MIN..=NONCE_MAX).contains(&data.len()) {
            return Err(DecodeError::BadLength {
                what: "nonce",
                length: data.len(),
                min: NONCE_MIN,
                max: NONCE_MAX,
            });
        }
        Ok(Self(data.to_vec()))
    }
}

/// Delete payload (RFC 7296 §3.11).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Delete {
    /// IKE (no SPIs: the SA the message travels in) or ESP/AH.
    pub protocol: ProtocolId,
    /// Octets per SPI: 0 for IKE, 4 for ESP and AH.
    pub spi_size: u8,
    /// The SPIs of the SAs to delete.
    pub spis: Vec<Vec<u8>>,
}

impl Delete {
    /// Deletes the IKE SA the message is protected by.
    pub fn ike() -> Self {
        Self {
            protocol: ProtocolId::Ike,
            spi_size: 0,
            spis: Vec::new(),
        }
    }

    /// Deletes the given ESP SAs (their inbound SPIs as the sender knows them).
    pub fn esp(spis: &[u32]) -> Self {
        Self {
            protocol: ProtocolId::Esp,
            spi_size: 4,
            spis: spis.iter().map(|s| s.to_be_bytes().to_vec()).collect(),
        }
    }

    /// The 4-octet SPIs as numbers (ESP and AH); SPIs of another size are
    /// skipped.
    pub fn esp_spis(&self) -> Vec<u32> {
        self.spis
            .iter()
            .filter_map(|s| <[u8; 4]>::try_from(s.as_slice()).ok())
            .map(u32::from_be_bytes)
            .collect()
    }

    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let protocol = ProtocolId::from(r.u8("Delete payload")?);
        let spi_size = r.u8("Delete payload")?;
        let count = usize::from(r.u16("Delete payload")?);
        let size = usize::from(spi_size);
        let needed = size.saturating_mul(count);
        if needed != r.remaining() {
            return Err(DecodeError::BadLength {
                what: "Delete payload SPIs",
                length: r.remaining(),
                min: needed,
                max: needed,
            });
        }
        let mut spis = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            spis.push(r.take(size, "Delete payload SPI")?.to_vec());
        }
        Ok(Self {
            protocol,
            spi_size,
            spis,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.protocol.raw());
        out.push(self.spi_size);
        let count = u16::try_from(self.spis.len()).map_err(|_| EncodeError::TooMany {
            what: "SPIs in a Delete payload",
            count: self.spis.len(),
        })?;
        out.extend_from_slice(&count.to_be_bytes());
        for spi in &self.spis {
            if spi.len() != usize::from(self.spi_size) {
                return Err(EncodeError::Invalid(
                    "a Delete SPI differs from the SPI size",
                ));
            }
            out.extend_from_slice(spi);
        }
        Ok(())
    }
}
