//! The fake SC's record of CHILD_SAs: the one made in IKE_AUTH and every
//! one made by CREATE_CHILD_SA since, with both directions' keys, so that a
//! test can check the client's ESP against the SC's (RFC 7296 §1.3, §2.17).

use crate::crypto::{
    derive_child_sa_keys, ChildSaKeys, DhGroup, Encryption, Integrity, Prf, SecretBytes,
};
use crate::ike::child::{ChildSa, EspSuite};
use crate::ike::payload::Transform;
use crate::ike::payload::{AddressRange, Proposal};
use crate::ike::types::{EsnId, TransformType};
use std::net::Ipv4Addr;

/// Which peer initiated the exchange that created a CHILD_SA. It decides
/// which half of KEYMAT protects which direction (RFC 7296 §2.17: the
/// exchange initiator's outbound keys come first).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    /// The client (IKE_AUTH, or a CREATE_CHILD_SA the client sent).
    Client,
    /// The SC (a CREATE_CHILD_SA the fake sent).
    Sc,
}

/// The keys of one direction of a CHILD_SA.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DirectionKeys {
    /// Encryption key, with the salt at its end for AEADs.
    pub encr: SecretBytes,
    /// Integrity key; empty for AEADs.
    pub integ: SecretBytes,
}

/// One CHILD_SA as the fake SC holds it.
#[derive(Clone, Debug)]
pub struct FakeChild {
    /// The SC's inbound SPI: the client sends ESP with it.
    pub sc_spi: u32,
    /// The client's inbound SPI: the SC sends ESP with it.
    pub client_spi: u32,
    /// The algorithms.
    pub suite: EspSuite,
    /// Keys protecting client→SC traffic.
    pub to_sc: DirectionKeys,
    /// Keys protecting SC→client traffic.
    pub to_client: DirectionKeys,
    /// The client side's traffic selectors (the client's inner addresses).
    pub client_ts: Vec<AddressRange>,
    /// The SC side's traffic selectors.
    pub sc_ts: Vec<AddressRange>,
    /// Who initiated the exchange that created this CHILD_SA.
    pub created_by: Side,
    /// The `client_spi` of the CHILD_SA this one rekeyed (RFC 7296 §1.3.3).
    pub rekeyed_from: Option<u32>,
    /// Deleted by an INFORMATIONAL exchange (RFC 7296 §1.4.1).
    pub deleted: bool,
}

impl FakeChild {
    /// A CHILD_SA from the keys `derive_child_sa_keys` gave for an exchange
    /// that `created_by` initiated: `encr_i`/`integ_i` protect what the
    /// exchange initiator sends (RFC 7296 §2.17).
    pub fn new(
        created_by: Side,
        sc_spi: u32,
        client_spi: u32,
        suite: EspSuite,
        keys: ChildSaKeys,
    ) -> Self {
        let initiator_out = DirectionKeys {
            encr: keys.encr_i,
            integ: keys.integ_i,
        };
        let responder_out = DirectionKeys {
            encr: keys.encr_r,
            integ: keys.integ_r,
        };
        let (to_sc, to_client) = match created_by {
            Side::Client => (initiator_out, responder_out),
            Side::Sc => (responder_out, initiator_out),
        };
        Self {
            sc_spi,
            client_spi,
            suite,
            to_sc,
            to_client,
            client_ts: Vec::new(),
            sc_ts: Vec::new(),
            created_by,
            rekeyed_from: None,
            deleted: false,
        }
    }

    /// Sets the traffic selectors.
    pub fn with_ts(mut self, client_ts: Vec<AddressRange>, sc_ts: Vec<AddressRange>) -> Self {
        self.client_ts = client_ts;
        self.sc_ts = sc_ts;
        self
    }

    /// Marks this CHILD_SA as the successor of the one whose client SPI is
    /// `old_client_spi`.
    pub fn rekeying(mut self, old_client_spi: u32) -> Self {
        self.rekeyed_from = Some(old_client_spi);
        self
    }

    /// The CHILD_SA as the client must hold it: `spi_in` = `client_spi`,
    /// `spi_out` = `sc_spi`, `encr_i`/`integ_i` = client→SC and
    /// `encr_r`/`integ_r` = SC→client (the convention of [`ChildSa::keys`]),
    /// local selectors the client's.
    pub fn client_view(&self) -> ChildSa {
        ChildSa {
            spi_in: self.client_spi,
            spi_out: self.sc_spi,
            suite: self.suite,
            keys: ChildSaKeys {
                encr_i: self.to_sc.encr.clone(),
                integ_i: self.to_sc.integ.clone(),
                encr_r: self.to_client.encr.clone(),
                integ_r: self.to_client.integ.clone(),
            },
            local_ts: self.client_ts.clone(),
            remote_ts: self.sc_ts.clone(),
        }
    }

    /// The mirror of [`FakeChild::client_view`]: the CHILD_SA as the SC
    /// uses it, so `EspOutbound::from_child(&sc_view)` seals what the
    /// client's `EspInbound` opens, and the other way round.
    pub fn sc_view(&self) -> ChildSa {
        ChildSa {
            spi_in: self.sc_spi,
            spi_out: self.client_spi,
            suite: self.suite,
            keys: ChildSaKeys {
                encr_i: self.to_client.encr.clone(),
                integ_i: self.to_client.integ.clone(),
                encr_r: self.to_sc.encr.clone(),
                integ_r: self.to_sc.integ.clone(),
            },
            local_ts: self.sc_ts.clone(),
            remote_ts: self.client_ts.clone(),
        }
    }
}

/// KEYMAT for a CHILD_SA of `suite` (RFC 7296 §2.17): `ni`/`nr` are the
/// nonces of the exchange's initiator and responder, `shared` the g^ir of
/// a PFS key exchange.
pub fn child_keys(
    prf: Prf,
    sk_d: &[u8],
    shared: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    suite: &EspSuite,
) -> ChildSaKeys {
    derive_child_sa_keys(
        prf,
        sk_d,
        shared,
        ni,
        nr,
        suite.encryption.keymat_len(),
        suite.integrity.map_or(0, |i| i.key_len()),
    )
    .expect("CHILD_SA keys derive")
}

/// `proposal` reduced to the first transform of each type it contains, in
/// the order the types first appear: the responder's choice (RFC 7296 §2.7).
pub fn first_of_each_type(proposal: &Proposal) -> Proposal {
    let mut transforms = Vec::new();
    for t in &proposal.transforms {
        if !transforms.iter().any(|c: &Transform| c.kind == t.kind) {
            transforms.push(t.clone());
        }
    }
    Proposal {
        transforms,
        ..proposal.clone()
    }
}

/// The ESP suite and PFS group of a proposal holding one transform of each
/// type (as [`first_of_each_type`] leaves it); `Err` names what is not
/// supported. A KE transform of group NONE (0) means no PFS.
pub fn suite_of(proposal: &Proposal) -> Result<(EspSuite, Option<DhGroup>), String> {
    let first = |kind| proposal.transforms_of(kind).next();
    let encr = first(TransformType::Encryption).ok_or("no encryption transform")?;
    let encryption = Encryption::from_iana(encr.id, encr.key_length())
        .ok_or_else(|| format!("unsupported encryption {}", encr.id))?;
    let integrity = match first(TransformType::Integrity) {
        None => None,
        Some(t) if t.id == 0 => None,
        Some(t) => Some(
            Integrity::from_iana(t.id).ok_or_else(|| format!("unsupported integrity {}", t.id))?,
        ),
    };
    if encryption.is_aead() == integrity.is_some() {
        return Err(format!(
            "{} with integrity {integrity:?}",
            encryption.name()
        ));
    }
    let esn = match first(TransformType::ExtendedSequenceNumbers).map(|t| EsnId::from(t.id)) {
        Some(EsnId::Esn) => true,
        Some(EsnId::NoEsn) => false,
        other => return Err(format!("ESN transform {other:?}")),
    };
    let group = match first(TransformType::KeyExchange) {
        None => None,
        Some(t) if t.id == 0 => None,
        Some(t) => {
            Some(DhGroup::from_iana(t.id).ok_or_else(|| format!("unsupported group {}", t.id))?)
        }
    };
    Ok((
        EspSuite {
            encryption,
            integrity,
            esn,
        },
        group,
    ))
}

/// A minimal IPv4/UDP packet from `src` to `dst`, to push through ESP.
pub fn ipv4_packet(src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    // UDP 4500 -> 4500, length 12, no checksum, 4 octets of data.
    p.extend_from_slice(&[0x11, 0x94, 0x11, 0x94, 0, 12, 0, 0, 1, 2, 3, 4]);
    let mut sum = 0u32;
    for pair in p[..20].chunks_exact(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let checksum = !(sum as u16);
    p[10..12].copy_from_slice(&checksum.to_be_bytes());
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{EspInbound, EspOutbound};
    use crate::ike::child::EspOffer;
    use std::net::IpAddr;

    fn child(created_by: Side, suite: EspSuite) -> FakeChild {
        let keys = child_keys(Prf::HmacSha256, &[7; 32], None, &[1; 32], &[2; 32], &suite);
        let client = Ipv4Addr::new(203, 0, 113, 129);
        FakeChild::new(created_by, 0xc000_5c01, 0x1234_5678, suite, keys).with_ts(
            vec![AddressRange::any(IpAddr::V4(client), IpAddr::V4(client))],
            vec![AddressRange::any_v4()],
        )
    }

    /// Seals with one view's outbound SA and opens with the other's inbound.
    fn crosses(from: &ChildSa, to: &ChildSa, packet: &[u8]) {
        let mut out = EspOutbound::from_child(from).unwrap();
        let mut inbound = EspInbound::from_child(to).unwrap();
        let mut esp = Vec::new();
        out.seal(packet, &mut esp).unwrap();
        let mut inner = Vec::new();
        inbound.open(&esp, None, &mut inner).unwrap();
        assert_eq!(inner, packet);
    }

    #[test]
    fn client_and_sc_views_are_mirrors() {
        let suites = [
            EspSuite {
                encryption: Encryption::AesGcm16 { key_bits: 256 },
                integrity: None,
                esn: true,
            },
            EspSuite {
                encryption: Encryption::AesCbc { key_bits: 128 },
                integrity: Some(Integrity::HmacSha256_128),
                esn: false,
            },
        ];
        let client = Ipv4Addr::new(203, 0, 113, 129);
        let server = Ipv4Addr::new(192, 0, 2, 7);
        for suite in suites {
            for side in [Side::Client, Side::Sc] {
                let c = child(side, suite);
                let (cv, sv) = (c.client_view(), c.sc_view());
                assert_eq!((cv.spi_in, cv.spi_out), (sv.spi_out, sv.spi_in));
                assert_eq!(cv.keys.encr_i, sv.keys.encr_r);
                assert_eq!(cv.keys.encr_r, sv.keys.encr_i);
                assert_ne!(cv.keys.encr_i, cv.keys.encr_r);
                crosses(&cv, &sv, &ipv4_packet(client, server));
                crosses(&sv, &cv, &ipv4_packet(server, client));
            }
        }
    }

    #[test]
    fn orientation_follows_the_exchange_initiator() {
        let suite = EspSuite {
            encryption: Encryption::ChaCha20Poly1305,
            integrity: None,
            esn: true,
        };
        let keys = child_keys(Prf::HmacSha256, &[7; 32], None, &[1; 32], &[2; 32], &suite);
        let by_client = child(Side::Client, suite);
        let by_sc = child(Side::Sc, suite);
        assert_eq!(
            (by_client.created_by, by_sc.created_by),
            (Side::Client, Side::Sc)
        );
        // The exchange initiator's outbound keys are the first half of KEYMAT.
        assert_eq!(by_client.to_sc.encr, keys.encr_i);
        assert_eq!(by_client.client_view().keys.encr_i, keys.encr_i);
        assert_eq!(by_sc.to_client.encr, keys.encr_i);
        assert_eq!(by_sc.client_view().keys.encr_r, keys.encr_i);
    }

    #[test]
    fn the_first_of_each_type_is_chosen_and_read_back() {
        let offers = EspOffer::defaults();
        let mut offer = offers[1].clone();
        offer.groups = vec![DhGroup::Curve25519, DhGroup::Ecp256];
        let sa = EspOffer::to_sa(&[offer], 0x0102_0304);
        let chosen = first_of_each_type(&sa.proposals[0]);
        assert_eq!(chosen.spi, vec![1, 2, 3, 4]);
        assert_eq!(chosen.transforms.len(), 4);
        let (suite, group) = suite_of(&chosen).unwrap();
        assert_eq!(
            suite,
            EspSuite {
                encryption: Encryption::AesCbc { key_bits: 256 },
                integrity: Some(Integrity::HmacSha256_128),
                esn: true,
            }
        );
        assert_eq!(group, Some(DhGroup::Curve25519));
        let gcm = first_of_each_type(&EspOffer::to_sa(&offers, 0x0102_0304).proposals[0]);
        assert_eq!(suite_of(&gcm).unwrap().1, None);
    }
}
