//! The Configuration payload (RFC 7296 §3.15) and typed values of the
//! attributes a remote-access client asks for (§3.15.1, RFC 8598).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ike::error::{DecodeError, EncodeError};
use crate::ike::reader::{len16, Reader};
use crate::ike::types::{CfgAttributeType, CfgType};

/// The attribute type occupies the low 15 bits; the top bit is reserved.
const ATTRIBUTE_TYPE_MASK: u16 = 0x7fff;

/// Configuration payload body.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Configuration {
    /// Request, reply, set or ack.
    pub cfg_type: CfgType,
    /// The attributes, in the sender's order.
    pub attributes: Vec<CfgAttribute>,
}

/// One configuration attribute (RFC 7296 §3.15.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CfgAttribute {
    /// The attribute type.
    pub kind: CfgAttributeType,
    /// The value; empty in a request for "any value".
    pub value: Vec<u8>,
}

/// The value of an attribute whose layout RFC 7296 §3.15.1 fixes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CfgValue {
    /// An empty value, as sent in a CFG_REQUEST.
    Empty,
    /// INTERNAL_IP4_ADDRESS, _NETMASK, _DNS, _NBNS, _DHCP.
    Ip4(Ipv4Addr),
    /// INTERNAL_IP6_DNS, INTERNAL_IP6_DHCP.
    Ip6(Ipv6Addr),
    /// INTERNAL_IP4_SUBNET: address and netmask.
    Ip4Subnet(Ipv4Addr, Ipv4Addr),
    /// INTERNAL_IP6_ADDRESS and INTERNAL_IP6_SUBNET: address and prefix length.
    Ip6Prefix(Ipv6Addr, u8),
    /// INTERNAL_DNS_DOMAIN (RFC 8598 §4): a domain name in text form.
    DnsDomain(String),
    /// Any other attribute, as received.
    Raw(Vec<u8>),
}

impl CfgAttribute {
    /// An empty-valued attribute, as a CFG_REQUEST asks for it.
    pub fn request(kind: CfgAttributeType) -> Self {
        Self {
            kind,
            value: Vec::new(),
        }
    }

    /// Interprets the value by the attribute type. A value whose length
    /// does not fit its type is an error, never a guess.
    pub fn value(&self) -> Result<CfgValue, DecodeError> {
        use CfgAttributeType as T;
        if self.value.is_empty() {
            return Ok(CfgValue::Empty);
        }
        let bad = |expected: usize| DecodeError::BadLength {
            what: "configuration attribute",
            length: self.value.len(),
            min: expected,
            max: expected,
        };
        let v = self.value.as_slice();
        Ok(match self.kind {
            T::InternalIp4Address
            | T::InternalIp4Netmask
            | T::InternalIp4Dns
            | T::InternalIp4Nbns
            | T::InternalIp4Dhcp => {
                CfgValue::Ip4(Ipv4Addr::from(<[u8; 4]>::try_from(v).map_err(|_| bad(4))?))
            }
            T::InternalIp6Dns | T::InternalIp6Dhcp => CfgValue::Ip6(Ipv6Addr::from(
                <[u8; 16]>::try_from(v).map_err(|_| bad(16))?,
            )),
            T::InternalIp4Subnet => {
                let both = <[u8; 8]>::try_from(v).map_err(|_| bad(8))?;
                let (a, m) = both.split_at(4);
                let a = <[u8; 4]>::try_from(a).map_err(|_| bad(8))?;
                let m = <[u8; 4]>::try_from(m).map_err(|_| bad(8))?;
                CfgValue::Ip4Subnet(Ipv4Addr::from(a), Ipv4Addr::from(m))
            }
            T::InternalIp6Address | T::InternalIp6Subnet => {
                let all = <[u8; 17]>::try_from(v).map_err(|_| bad(17))?;
                let (a, p) = all.split_at(16);
                let a = <[u8; 16]>::try_from(a).map_err(|_| bad(17))?;
                let prefix = p.first().copied().unwrap_or_default();
                if prefix > 128 {
                    return Err(DecodeError::InvalidValue {
                        what: "IPv6 prefix length",
                        value: u64::from(prefix),
                    });
                }
                CfgValue::Ip6Prefix(Ipv6Addr::from(a), prefix)
            }
            T::InternalDnsDomain => match std::str::from_utf8(v) {
                Ok(text) if text.is_ascii() => CfgValue::DnsDomain(text.to_owned()),
                _ => {
                    return Err(DecodeError::InvalidValue {
                        what: "INTERNAL_DNS_DOMAIN (not ASCII)",
                        value: 0,
                    })
                }
            },
            _ => CfgValue::Raw(self.value.clone()),
        })
    }
}

impl Configuration {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let cfg_type = CfgType::from(r.u8("CP payload")?);
        let _reserved = r.array::<3>("CP payload")?;
        let mut attributes = Vec::new();
        while !r.is_empty() {
            let kind =
                CfgAttributeType::from(r.u16("configuration attribute")? & ATTRIBUTE_TYPE_MASK);
            let length = r.u16("configuration attribute")?;
            let value = r.take(usize::from(length), "configuration attribute value")?;
            attributes.push(CfgAttribute {
                kind,
                value: value.to_vec(),
            });
        }
        Ok(Self {
            cfg_type,
            attributes,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.cfg_type.raw());
        out.extend_from_slice(&[0; 3]);
        for attribute in &self.attributes {
            let kind = attribute.kind.raw();
            if kind & !ATTRIBUTE_TYPE_MASK != 0 {
                return Err(EncodeError::Invalid(
                    "configuration attribute type above 32767",
                ));
            }
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(
                &len16(attribute.value.len(), "configuration attribute")?.to_be_bytes(),
            );
            out.extend_from_slice(&attribute.value);
        }
        Ok(())
    }
}
