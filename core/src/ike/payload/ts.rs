//! Traffic Selector payloads, TSi and TSr (RFC 7296 §3.13).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ike::error::{DecodeError, EncodeError};
use crate::ike::reader::Reader;
use crate::ike::types::TsType;

/// A TSi or TSr payload body: one or more selectors.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TrafficSelectors {
    /// The selectors, in the sender's order.
    pub selectors: Vec<TrafficSelector>,
}

/// One traffic selector (RFC 7296 §3.13.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TrafficSelector {
    /// TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE.
    Range(AddressRange),
    /// A selector type this version does not interpret, kept as received.
    Other {
        /// Its type.
        ts_type: TsType,
        /// The selector after the type and length fields.
        body: Vec<u8>,
    },
}

/// An address and port range for one IP protocol (RFC 7296 §3.13.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AddressRange {
    /// IP protocol number, 0 for any.
    pub ip_protocol: u8,
    /// First port (0 for any).
    pub start_port: u16,
    /// Last port (65535 for any).
    pub end_port: u16,
    /// First address.
    pub start: IpAddr,
    /// Last address, of the same family as `start`.
    pub end: IpAddr,
}

impl AddressRange {
    /// Every IPv4 address, protocol and port.
    pub fn any_v4() -> Self {
        Self::any(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::BROADCAST),
        )
    }

    /// Every IPv6 address, protocol and port.
    pub fn any_v6() -> Self {
        Self::any(
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V6(Ipv6Addr::from([0xff; 16])),
        )
    }

    /// All protocols and ports between two addresses.
    pub fn any(start: IpAddr, end: IpAddr) -> Self {
        Self {
            ip_protocol: 0,
            start_port: 0,
            end_port: u16::MAX,
            start,
            end,
        }
    }
}

const V4_SELECTOR_LEN: usize = 16;
const V6_SELECTOR_LEN: usize = 40;

impl TrafficSelectors {
    pub(crate) fn decode(mut r: Reader<'_>) -> Result<Self, DecodeError> {
        let declared = usize::from(r.u8("TS payload")?);
        let _reserved = r.array::<3>("TS payload")?;
        let mut selectors = Vec::with_capacity(declared);
        while !r.is_empty() {
            selectors.push(decode_selector(&mut r)?);
        }
        if selectors.len() != declared {
            return Err(DecodeError::CountMismatch {
                what: "traffic selectors",
                declared,
                found: selectors.len(),
            });
        }
        Ok(Self { selectors })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let count = u8::try_from(self.selectors.len()).map_err(|_| EncodeError::TooMany {
            what: "traffic selectors",
            count: self.selectors.len(),
        })?;
        out.push(count);
        out.extend_from_slice(&[0; 3]);
        for selector in &self.selectors {
            encode_selector(selector, out)?;
        }
        Ok(())
    }
}

fn decode_selector(r: &mut Reader<'_>) -> Result<TrafficSelector, DecodeError> {
    let ts_type = TsType::from(r.u8("traffic selector")?);
    let first = r.u8("traffic selector")?;
    let length = r.u16("traffic selector")?;
    let mut body = r.sub_by_length(length, 4, "traffic selector")?;
    let expected = match ts_type {
        TsType::Ipv4AddrRange => V4_SELECTOR_LEN,
        TsType::Ipv6AddrRange => V6_SELECTOR_LEN,
        _ => {
            let mut raw = vec![first];
            raw.extend_from_slice(body.take_rest());
            return Ok(TrafficSelector::Other { ts_type, body: raw });
        }
    };
    if usize::from(length) != expected {
        return Err(DecodeError::BadLength {
            what: "traffic selector",
            length: usize::from(length),
            min: expected,
            max: expected,
        });
    }
    let start_port = body.u16("traffic selector")?;
    let end_port = body.u16("traffic selector")?;
    let (start, end) = if ts_type == TsType::Ipv4AddrRange {
        let s: [u8; 4] = body.array("traffic selector")?;
        let e: [u8; 4] = body.array("traffic selector")?;
        (IpAddr::from(s), IpAddr::from(e))
    } else {
        let s: [u8; 16] = body.array("traffic selector")?;
        let e: [u8; 16] = body.array("traffic selector")?;
        (IpAddr::from(s), IpAddr::from(e))
    };
    Ok(TrafficSelector::Range(AddressRange {
        ip_protocol: first,
        start_port,
        end_port,
        start,
        end,
    }))
}

fn encode_selector(selector: &TrafficSelector, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match selector {
        TrafficSelector::Range(range) => {
            let (ts_type, length) = match (range.start, range.end) {
                (IpAddr::V4(_), IpAddr::V4(_)) => (TsType::Ipv4AddrRange, V4_SELECTOR_LEN),
                (IpAddr::V6(_), IpAddr::V6(_)) => (TsType::Ipv6AddrRange, V6_SELECTOR_LEN),
                _ => {
                    return Err(EncodeError::Invalid(
                        "traffic selector mixes address families",
                    ))
                }
            };
            out.push(ts_type.raw());
            out.push(range.ip_protocol);
            out.extend_from_slice(
                &crate::ike::reader::len16(length, "traffic selector")?.to_be_bytes(),
            );
            out.extend_from_slice(&range.start_port.to_be_bytes());
            out.extend_from_slice(&range.end_port.to_be_bytes());
            for address in [range.start, range.end] {
                match address {
                    IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
                    IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
                }
            }
        }
        TrafficSelector::Other { ts_type, body } => {
            let (first, rest) = body
                .split_first()
                .ok_or(EncodeError::Invalid("empty traffic selector body"))?;
            out.push(ts_type.raw());
            out.push(*first);
            let length = crate::ike::reader::len16(body.len() + 3, "traffic selector")?;
            out.extend_from_slice(&length.to_be_bytes());
            out.extend_from_slice(rest);
        }
    }
    Ok(())
}
