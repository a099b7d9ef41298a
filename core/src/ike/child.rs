//! The CHILD_SA negotiated inside IKE_AUTH: ESP proposals (RFC 7296 §3.3,
//! RFC 8221 algorithm choices), traffic selectors (§2.9), the inner
//! configuration from CP (§2.19, §3.15) and the keys (§2.17).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::crypto::{ChildSaKeys, DhGroup, Encryption, Integrity};

use super::payload::{
    AddressRange, CfgValue, Configuration, Proposal, SecurityAssociation, TrafficSelector,
    TrafficSelectors, Transform,
};
use super::proposals::{
    answered, chosen_encryption, chosen_integrity, encryption_transform, not_offered, single,
    ProposalError,
};
use super::types::{EsnId, IntegrityId, KeyExchangeId, ProtocolId, TransformType};

/// One ESP proposal: every combination of the listed algorithms is acceptable.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EspOffer {
    /// Encryption algorithms, most preferred first.
    pub encryption: Vec<Encryption>,
    /// Integrity algorithms; empty for AEAD ciphers.
    pub integrity: Vec<Integrity>,
    /// Key exchange groups for PFS; empty for none (the IKE_AUTH child never uses one).
    pub groups: Vec<DhGroup>,
    /// Extended sequence numbers acceptable (RFC 4303 §2.2.1), preferred first.
    pub esn: Vec<bool>,
}

/// The ESP algorithms the SC chose.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EspSuite {
    /// Encryption (AEAD or AES-CBC).
    pub encryption: Encryption,
    /// Integrity, with AES-CBC.
    pub integrity: Option<Integrity>,
    /// 64-bit extended sequence numbers in use.
    pub esn: bool,
}

impl EspOffer {
    /// RFC 8221-conformant defaults: AES-GCM-16 (256, 128) and
    /// ChaCha20-Poly1305, then AES-CBC with HMAC-SHA2-256-128; ESN or not.
    pub fn defaults() -> Vec<EspOffer> {
        vec![
            EspOffer {
                encryption: vec![
                    Encryption::AesGcm16 { key_bits: 256 },
                    Encryption::AesGcm16 { key_bits: 128 },
                    Encryption::ChaCha20Poly1305,
                ],
                integrity: Vec::new(),
                groups: Vec::new(),
                esn: vec![true, false],
            },
            EspOffer {
                encryption: vec![
                    Encryption::AesCbc { key_bits: 256 },
                    Encryption::AesCbc { key_bits: 128 },
                ],
                integrity: vec![Integrity::HmacSha256_128, Integrity::HmacSha512_256],
                groups: Vec::new(),
                esn: vec![true, false],
            },
        ]
    }

    /// The SA payload offering these proposals with our inbound SPI.
    pub fn to_sa(offers: &[EspOffer], spi: u32) -> SecurityAssociation {
        SecurityAssociation {
            proposals: offers
                .iter()
                .zip(1u8..)
                .map(|(offer, number)| {
                    let mut transforms: Vec<Transform> = offer
                        .encryption
                        .iter()
                        .map(|e| encryption_transform(*e))
                        .collect();
                    transforms.extend(
                        offer
                            .integrity
                            .iter()
                            .map(|i| Transform::integrity(IntegrityId::from(i.iana_id()))),
                    );
                    transforms.extend(
                        offer
                            .groups
                            .iter()
                            .map(|g| Transform::key_exchange(KeyExchangeId::from(g.iana_id()))),
                    );
                    transforms.extend(
                        offer.esn.iter().map(|esn| {
                            Transform::esn(if *esn { EsnId::Esn } else { EsnId::NoEsn })
                        }),
                    );
                    Proposal {
                        number,
                        protocol: ProtocolId::Esp,
                        spi: spi.to_be_bytes().to_vec(),
                        transforms,
                    }
                })
                .collect(),
        }
    }

    /// Checks the SC's choice and returns it with the SC's inbound SPI
    /// (our outbound one).
    pub fn chosen(
        offers: &[EspOffer],
        sa: &SecurityAssociation,
    ) -> Result<(EspSuite, u32), ProposalError> {
        let (proposal, offer) = answered(offers, sa, ProtocolId::Esp)?;
        let spi_bytes: [u8; 4] = proposal
            .spi
            .as_slice()
            .try_into()
            .map_err(|_| ProposalError::BadSpi(proposal.spi.len()))?;
        let spi = u32::from_be_bytes(spi_bytes);
        if spi < 256 {
            // RFC 4303 §2.1: SPIs 1-255 are reserved, 0 is never on the wire.
            return Err(ProposalError::BadSpi(4));
        }
        let encryption = chosen_encryption(&offer.encryption, proposal)?;
        let integrity = chosen_integrity(&offer.integrity, proposal)?;
        let esn_t = single(proposal, TransformType::ExtendedSequenceNumbers)?;
        let esn = match EsnId::from(esn_t.id) {
            EsnId::Esn if offer.esn.contains(&true) => true,
            EsnId::NoEsn if offer.esn.contains(&false) => false,
            _ => return Err(not_offered(esn_t)),
        };
        Ok((
            EspSuite {
                encryption,
                integrity,
                esn,
            },
            spi,
        ))
    }
}

/// An established CHILD_SA, ready for the data path.
#[derive(Debug)]
pub struct ChildSa {
    /// Our inbound SPI (the SC sends ESP with it).
    pub spi_in: u32,
    /// The SC's inbound SPI (we send ESP with it).
    pub spi_out: u32,
    /// The algorithms.
    pub suite: EspSuite,
    /// Keys: `encr_i`/`integ_i` protect what we send, `encr_r`/`integ_r`
    /// what we receive (RFC 7296 §2.17).
    pub keys: ChildSaKeys,
    /// Our side's traffic selectors, as the SC narrowed them.
    pub local_ts: Vec<AddressRange>,
    /// The SC's side's traffic selectors.
    pub remote_ts: Vec<AddressRange>,
}

/// The inner configuration the SC assigned by CP(CFG_REPLY).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TunnelConfig {
    /// Inner IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// Inner IPv6 address and prefix length.
    pub ipv6: Option<(Ipv6Addr, u8)>,
    /// DNS servers.
    pub dns: Vec<IpAddr>,
    /// Protected IPv4 subnets (address, netmask), if the SC named any.
    pub ipv4_subnets: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Protected IPv6 prefixes.
    pub ipv6_subnets: Vec<(Ipv6Addr, u8)>,
    /// DNS domains to resolve through the tunnel (RFC 8598).
    pub dns_domains: Vec<String>,
}

impl TunnelConfig {
    /// Reads a CFG_REPLY. Attributes with malformed values are skipped and
    /// counted in the return value's second field.
    pub fn from_reply(cp: &Configuration) -> (Self, usize) {
        use super::types::CfgAttributeType as T;
        let mut config = Self::default();
        let mut malformed = 0;
        for attribute in &cp.attributes {
            match (attribute.kind, attribute.value()) {
                (_, Err(_)) => malformed += 1,
                (T::InternalIp4Address, Ok(CfgValue::Ip4(a))) => config.ipv4 = Some(a),
                (T::InternalIp6Address, Ok(CfgValue::Ip6Prefix(a, p))) => {
                    config.ipv6 = Some((a, p))
                }
                (T::InternalIp4Dns, Ok(CfgValue::Ip4(a))) => config.dns.push(IpAddr::V4(a)),
                (T::InternalIp6Dns, Ok(CfgValue::Ip6(a))) => config.dns.push(IpAddr::V6(a)),
                (T::InternalIp4Subnet, Ok(CfgValue::Ip4Subnet(a, m))) => {
                    config.ipv4_subnets.push((a, m))
                }
                (T::InternalIp6Subnet, Ok(CfgValue::Ip6Prefix(a, p))) => {
                    config.ipv6_subnets.push((a, p))
                }
                (T::InternalDnsDomain, Ok(CfgValue::DnsDomain(d))) => config.dns_domains.push(d),
                _ => {}
            }
        }
        (config, malformed)
    }
}

/// The address ranges of a TS payload (other selector types are ignored).
pub fn ranges(ts: &TrafficSelectors) -> Vec<AddressRange> {
    ts.selectors
        .iter()
        .filter_map(|s| match s {
            TrafficSelector::Range(r) => Some(*r),
            TrafficSelector::Other { .. } => None,
        })
        .collect()
}

/// A TS payload from address ranges.
pub fn selectors(ranges: &[AddressRange]) -> TrafficSelectors {
    TrafficSelectors {
        selectors: ranges.iter().copied().map(TrafficSelector::Range).collect(),
    }
}

/// True when every range the SC returned lies within one we proposed
/// (RFC 7296 §2.9: the responder may only narrow).
pub fn is_narrowing(proposed: &[AddressRange], chosen: &[AddressRange]) -> bool {
    !chosen.is_empty()
        && chosen.iter().all(|c| {
            proposed.iter().any(|p| {
                (p.ip_protocol == 0 || p.ip_protocol == c.ip_protocol)
                    && p.start_port <= c.start_port
                    && c.end_port <= p.end_port
                    && within(p.start, p.end, c.start)
                    && within(p.start, p.end, c.end)
            })
        })
}

fn within(start: IpAddr, end: IpAddr, a: IpAddr) -> bool {
    match (start, end, a) {
        (IpAddr::V4(s), IpAddr::V4(e), IpAddr::V4(x)) => s <= x && x <= e,
        (IpAddr::V6(s), IpAddr::V6(e), IpAddr::V6(x)) => s <= x && x <= e,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::ike::types::EncryptionId;

    fn answer(transforms: Vec<Transform>) -> SecurityAssociation {
        SecurityAssociation {
            proposals: vec![Proposal {
                number: 1,
                protocol: ProtocolId::Esp,
                spi: vec![0xc0, 0, 0, 1],
                transforms,
            }],
        }
    }

    #[test]
    fn the_scs_esp_choice_is_checked_like_ike() {
        let offers = EspOffer::defaults();
        let gcm = Transform::encryption(EncryptionId::AesGcm16, Some(256));
        let ok = answer(vec![gcm.clone(), Transform::esn(EsnId::NoEsn)]);
        let (suite, spi) = EspOffer::chosen(&offers, &ok).unwrap();
        assert_eq!(suite.encryption, Encryption::AesGcm16 { key_bits: 256 });
        assert_eq!(
            (suite.integrity, suite.esn, spi),
            (None, false, 0xc000_0001)
        );
        // An integrity algorithm beside an AEAD cipher is refused.
        let both = answer(vec![
            gcm,
            Transform::integrity(IntegrityId::HmacSha2_256_128),
            Transform::esn(EsnId::NoEsn),
        ]);
        assert!(matches!(
            EspOffer::chosen(&offers, &both),
            Err(ProposalError::NotOffered { .. })
        ));
        // A reserved SPI is refused.
        let mut reserved = ok.clone();
        reserved.proposals[0].spi = vec![0, 0, 0, 255];
        assert!(matches!(
            EspOffer::chosen(&offers, &reserved),
            Err(ProposalError::BadSpi(_))
        ));
    }
}
