//! IKE SA proposals: what the initiator offers (RFC 7296 §3.3, with the
//! algorithm choices of RFC 8247) and checking the one the SC chose.

use crate::crypto::{DhGroup, Encryption, IkeSuite, Integrity, Prf};

use super::payload::{Proposal, SecurityAssociation, Transform};
use super::types::{EncryptionId, IntegrityId, KeyExchangeId, PrfId, ProtocolId, TransformType};

/// One IKE proposal: every combination of the listed algorithms is acceptable.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IkeOffer {
    /// Encryption algorithms, most preferred first; AEAD and non-AEAD
    /// ciphers never share an offer (RFC 7296 §3.3).
    pub encryption: Vec<Encryption>,
    /// Integrity algorithms; empty for an AEAD offer.
    pub integrity: Vec<Integrity>,
    /// Pseudorandom functions.
    pub prf: Vec<Prf>,
    /// Key exchange groups.
    pub groups: Vec<DhGroup>,
}

/// Why the SC's chosen proposal is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// The SA payload must carry exactly one proposal in a response.
    #[error("the SC's SA payload has {0} proposals, expected exactly one")]
    NotOneProposal(usize),
    /// The proposal is not for the IKE protocol.
    #[error("the SC chose a proposal for {0}, not IKE")]
    WrongProtocol(ProtocolId),
    /// The proposal number does not name one of ours.
    #[error("the SC chose proposal number {0}, which we did not offer")]
    UnknownNumber(u8),
    /// A required transform type is missing or repeated.
    #[error("the SC's choice has {count} {kind} transforms, expected one")]
    TransformCount {
        /// The transform type.
        kind: TransformType,
        /// How many there were.
        count: usize,
    },
    /// The SPI in the SC's proposal has the wrong size or a reserved value.
    #[error("the SC's proposal has an invalid SPI ({0} bytes)")]
    BadSpi(usize),
    /// The SC picked an algorithm we did not offer in that proposal.
    #[error("the SC chose {kind} {id}, which we did not offer")]
    NotOffered {
        /// The transform type.
        kind: TransformType,
        /// The transform ID.
        id: u16,
    },
}

impl IkeOffer {
    /// RFC 8247-conformant defaults: AEAD first (AES-GCM-16, ChaCha20-Poly1305),
    /// then AES-CBC with HMAC-SHA2; PRFs HMAC-SHA2; groups Curve25519, ECP-256,
    /// ECP-384 and MODP-2048, with `first_group` moved to the front (the
    /// group our KE payload uses).
    pub fn defaults(first_group: DhGroup) -> Vec<IkeOffer> {
        let prf = vec![Prf::HmacSha256, Prf::HmacSha384, Prf::HmacSha512];
        let mut groups = vec![
            DhGroup::Curve25519,
            DhGroup::Ecp256,
            DhGroup::Ecp384,
            DhGroup::Modp2048,
        ];
        groups.retain(|g| *g != first_group);
        groups.insert(0, first_group);
        vec![
            IkeOffer {
                encryption: vec![
                    Encryption::AesGcm16 { key_bits: 256 },
                    Encryption::AesGcm16 { key_bits: 128 },
                    Encryption::ChaCha20Poly1305,
                ],
                integrity: Vec::new(),
                prf: prf.clone(),
                groups: groups.clone(),
            },
            IkeOffer {
                encryption: vec![
                    Encryption::AesCbc { key_bits: 256 },
                    Encryption::AesCbc { key_bits: 128 },
                ],
                integrity: vec![
                    Integrity::HmacSha256_128,
                    Integrity::HmacSha384_192,
                    Integrity::HmacSha512_256,
                ],
                prf,
                groups,
            },
        ]
    }

    /// The SA payload offering these proposals, numbered from 1. `spi` is
    /// empty in IKE_SA_INIT and our new SPI when rekeying.
    pub fn to_sa(offers: &[IkeOffer], spi: &[u8]) -> SecurityAssociation {
        SecurityAssociation {
            proposals: offers
                .iter()
                .zip(1u8..)
                .map(|(offer, number)| offer.to_proposal(number, spi))
                .collect(),
        }
    }

    fn to_proposal(&self, number: u8, spi: &[u8]) -> Proposal {
        let mut transforms = Vec::new();
        for e in &self.encryption {
            transforms.push(encryption_transform(*e));
        }
        for p in &self.prf {
            transforms.push(Transform::prf(PrfId::from(p.iana_id())));
        }
        for i in &self.integrity {
            transforms.push(Transform::integrity(IntegrityId::from(i.iana_id())));
        }
        for g in &self.groups {
            transforms.push(Transform::key_exchange(KeyExchangeId::from(g.iana_id())));
        }
        Proposal {
            number,
            protocol: ProtocolId::Ike,
            spi: spi.to_vec(),
            transforms,
        }
    }

    /// Checks the SC's answer to [`IkeOffer::to_sa`] and returns the suite
    /// it chose (RFC 7296 §2.7: one proposal, one transform of each type,
    /// all taken from the same offered proposal).
    pub fn chosen(
        offers: &[IkeOffer],
        sa: &SecurityAssociation,
    ) -> Result<IkeSuite, ProposalError> {
        let (proposal, offer) = answered(offers, sa, ProtocolId::Ike)?;
        let encryption = chosen_encryption(&offer.encryption, proposal)?;
        let prf_t = single(proposal, TransformType::Prf)?;
        let prf = offer
            .prf
            .iter()
            .copied()
            .find(|p| p.iana_id() == prf_t.id)
            .ok_or(not_offered(prf_t))?;
        let integrity = chosen_integrity(&offer.integrity, proposal)?;
        let group_t = single(proposal, TransformType::KeyExchange)?;
        let dh = offer
            .groups
            .iter()
            .copied()
            .find(|g| g.iana_id() == group_t.id)
            .ok_or(not_offered(group_t))?;
        Ok(IkeSuite {
            encryption,
            integrity,
            prf,
            dh,
        })
    }
}

/// The single proposal of a response for `protocol`, and the offer (by
/// proposal number) it answers (RFC 7296 §2.7, §3.3.1).
pub(crate) fn answered<'a, O>(
    offers: &'a [O],
    sa: &'a SecurityAssociation,
    protocol: ProtocolId,
) -> Result<(&'a Proposal, &'a O), ProposalError> {
    let [proposal] = sa.proposals.as_slice() else {
        return Err(ProposalError::NotOneProposal(sa.proposals.len()));
    };
    if proposal.protocol != protocol {
        return Err(ProposalError::WrongProtocol(proposal.protocol));
    }
    let offer = usize::from(proposal.number)
        .checked_sub(1)
        .and_then(|i| offers.get(i))
        .ok_or(ProposalError::UnknownNumber(proposal.number))?;
    Ok((proposal, offer))
}

/// The one encryption transform of `proposal`, if it is one of `offered`
/// (key length included).
pub(crate) fn chosen_encryption(
    offered: &[Encryption],
    proposal: &Proposal,
) -> Result<Encryption, ProposalError> {
    let encr = single(proposal, TransformType::Encryption)?;
    offered
        .iter()
        .copied()
        .find(|e| encryption_transform(*e) == *encr)
        .ok_or(not_offered(encr))
}

/// The integrity transform of `proposal`: none with an AEAD offer (an
/// integrity algorithm beside an AEAD cipher is refused, RFC 7296 §3.3),
/// else exactly one of `offered`.
pub(crate) fn chosen_integrity(
    offered: &[Integrity],
    proposal: &Proposal,
) -> Result<Option<Integrity>, ProposalError> {
    if offered.is_empty() {
        if let Some(t) = proposal
            .transforms_of(TransformType::Integrity)
            .find(|t| t.id != 0)
        {
            return Err(not_offered(t));
        }
        return Ok(None);
    }
    let integ = single(proposal, TransformType::Integrity)?;
    offered
        .iter()
        .copied()
        .find(|i| i.iana_id() == integ.id)
        .map(Some)
        .ok_or(not_offered(integ))
}

pub(crate) fn encryption_transform(e: Encryption) -> Transform {
    match e {
        Encryption::AesCbc { key_bits } => {
            Transform::encryption(EncryptionId::AesCbc, Some(key_bits))
        }
        Encryption::AesGcm16 { key_bits } => {
            Transform::encryption(EncryptionId::AesGcm16, Some(key_bits))
        }
        Encryption::ChaCha20Poly1305 => Transform::encryption(EncryptionId::ChaCha20Poly1305, None),
    }
}

pub(crate) fn single(
    proposal: &Proposal,
    kind: TransformType,
) -> Result<&Transform, ProposalError> {
    let mut found = proposal.transforms_of(kind);
    match (found.next(), found.next()) {
        (Some(t), None) => Ok(t),
        _ => Err(ProposalError::TransformCount {
            kind,
            count: proposal.transforms_of(kind).count(),
        }),
    }
}

pub(crate) fn not_offered(t: &Transform) -> ProposalError {
    ProposalError::NotOffered {
        kind: t.kind,
        id: t.id,
    }
}

/// The IANA names of a suite's algorithms, as logs and status show them,
/// e.g. `ENCR_AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE25519`.
pub fn suite_name(suite: &IkeSuite) -> String {
    let encr = encryption_transform(suite.encryption);
    let mut name = EncryptionId::from(encr.id).to_string();
    if let Some(bits) = encr.key_length() {
        name.push_str(&format!("-{bits}"));
    }
    if let Some(integrity) = suite.integrity {
        name.push('/');
        name.push_str(&IntegrityId::from(integrity.iana_id()).to_string());
    }
    name.push('/');
    name.push_str(&PrfId::from(suite.prf.iana_id()).to_string());
    name.push('/');
    name.push_str(&KeyExchangeId::from(suite.dh.iana_id()).to_string());
    name
}
