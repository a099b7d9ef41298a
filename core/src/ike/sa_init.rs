//! The IKE_SA_INIT exchange as the initiator sees it (RFC 7296 §1.2): the
//! request we send and what the SC's reply means.

use std::net::SocketAddr;

use crate::crypto::{DhGroup, IkeSuite};

use super::header::{Flags, Header, Spi};
use super::message::Message;
use super::natt::nat_detection_hash;
use super::payload::{CertificateRequest, KeyExchange, Nonce, Notify, Payload};
use super::proposals::{IkeOffer, ProposalError};
use super::types::{ExchangeType, HashAlgorithm, KeyExchangeId, NotifyType};

/// Everything that goes into our IKE_SA_INIT request.
#[derive(Clone, Debug)]
pub struct SaInitRequest<'a> {
    /// Our IKE SPI.
    pub spi_i: Spi,
    /// The proposals we offer.
    pub offers: &'a [IkeOffer],
    /// The group of our KE payload.
    pub group: DhGroup,
    /// Our public key-exchange value.
    pub public_key: &'a [u8],
    /// Our nonce Ni.
    pub nonce: &'a [u8],
    /// The cookie the SC asked for, if it did (RFC 7296 §2.6).
    pub cookie: Option<&'a [u8]>,
    /// Our address as the socket sends from it.
    pub local: SocketAddr,
    /// The SC's address.
    pub remote: SocketAddr,
    /// Make the SC believe we are behind a NAT, so that both sides use UDP
    /// encapsulation even without one: a user-space ESP data path cannot
    /// send raw ESP (RFC 7296 §2.23 allows faking NAT detection for this).
    pub force_udp_encapsulation: bool,
}

/// The address hashed into a forced NAT_DETECTION_SOURCE_IP: no real
/// sender has it, so the SC's check can never match.
pub(crate) const UNMATCHABLE_SOURCE: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

/// The hash algorithms we accept in RFC 7427 signatures; IDENTITY is
/// Ed25519's (RFC 8420 §2).
pub const SIGNATURE_HASHES: [HashAlgorithm; 4] = [
    HashAlgorithm::Sha2_256,
    HashAlgorithm::Sha2_384,
    HashAlgorithm::Sha2_512,
    HashAlgorithm::Identity,
];

impl SaInitRequest<'_> {
    /// The request message (message ID 0): [N(COOKIE)], SA, KE, Ni,
    /// N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
    /// N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS).
    pub fn to_message(&self) -> Message {
        let zero: Spi = [0; 8];
        let mut payloads = Vec::with_capacity(8);
        if let Some(cookie) = self.cookie {
            // RFC 7296 §2.6: the COOKIE notification comes first.
            payloads.push(Payload::Notify(Notify::new(
                NotifyType::Cookie,
                cookie.to_vec(),
            )));
        }
        payloads.push(Payload::SecurityAssociation(IkeOffer::to_sa(
            self.offers,
            &[],
        )));
        payloads.push(Payload::KeyExchange(KeyExchange {
            group: KeyExchangeId::from(self.group.iana_id()),
            data: self.public_key.to_vec(),
        }));
        payloads.push(Payload::Nonce(Nonce(self.nonce.to_vec())));
        payloads.push(Payload::Notify(Notify::new(
            NotifyType::NatDetectionSourceIp,
            nat_detection_hash(
                &self.spi_i,
                &zero,
                if self.force_udp_encapsulation {
                    UNMATCHABLE_SOURCE
                } else {
                    self.local
                },
            )
            .to_vec(),
        )));
        payloads.push(Payload::Notify(Notify::new(
            NotifyType::NatDetectionDestinationIp,
            nat_detection_hash(&self.spi_i, &zero, self.remote).to_vec(),
        )));
        payloads.push(Payload::Notify(Notify::flag(
            NotifyType::Ikev2FragmentationSupported,
        )));
        payloads.push(Payload::Notify(Notify::signature_hash_algorithms(
            &SIGNATURE_HASHES,
        )));
        Message {
            header: Header::new(
                self.spi_i,
                zero,
                ExchangeType::IkeSaInit,
                Flags::new(true, false),
                0,
            ),
            payloads,
        }
    }
}

/// What NAT detection found (RFC 7296 §2.23).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NatStatus {
    /// Our address was translated on the way: we are behind a NAT and
    /// must send keepalives and use UDP encapsulation.
    pub local_behind_nat: bool,
    /// The SC's address was translated.
    pub remote_behind_nat: bool,
    /// The SC sent NAT_DETECTION payloads at all.
    pub supported: bool,
}

impl NatStatus {
    /// Either side is behind a NAT: IKE moves to port 4500 and ESP is
    /// UDP-encapsulated (RFC 7296 §2.23, RFC 3948).
    pub fn any(&self) -> bool {
        self.local_behind_nat || self.remote_behind_nat
    }
}

/// A successful IKE_SA_INIT reply.
#[derive(Clone, Debug)]
pub struct SaInitAccepted {
    /// The SC's IKE SPI.
    pub spi_r: Spi,
    /// The suite the SC chose.
    pub suite: IkeSuite,
    /// The SC's public key-exchange value.
    pub public_key: Vec<u8>,
    /// The SC's nonce Nr.
    pub nonce: Vec<u8>,
    /// NAT detection results.
    pub nat: NatStatus,
    /// The SC supports IKE fragmentation (RFC 7383 §2.3).
    pub fragmentation: bool,
    /// Hash algorithms the SC accepts for RFC 7427 signatures.
    pub signature_hashes: Vec<HashAlgorithm>,
    /// CA hashes the SC trusts, from its CERTREQ payloads.
    pub cert_requests: Vec<CertificateRequest>,
}

/// What an IKE_SA_INIT reply asks of us.
#[derive(Clone, Debug)]
pub enum SaInitReply {
    /// The SC accepted: go on to IKE_AUTH.
    Accepted(Box<SaInitAccepted>),
    /// Send the request again with this cookie (RFC 7296 §2.6).
    Cookie(Vec<u8>),
    /// Send the request again with a KE payload of this group (RFC 7296 §1.3).
    InvalidKe(KeyExchangeId),
}

/// Why an IKE_SA_INIT reply cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaInitError {
    /// The message is not a response to our IKE_SA_INIT.
    #[error("not an IKE_SA_INIT response to our request: {0}")]
    NotOurResponse(&'static str),
    /// The SC refused with an error notification.
    #[error("the SC refused IKE_SA_INIT: {0}")]
    Refused(NotifyType),
    /// The SC's chosen proposal is not acceptable.
    #[error(transparent)]
    Proposal(#[from] ProposalError),
    /// A payload the exchange needs is missing.
    #[error("the SC's IKE_SA_INIT reply has no {0} payload")]
    Missing(&'static str),
    /// The SC's KE payload is for another group than the one it chose.
    #[error("the SC's KE payload is for group {ke}, but it chose {chosen}")]
    GroupMismatch {
        /// Group of the KE payload.
        ke: KeyExchangeId,
        /// Group of the chosen proposal.
        chosen: KeyExchangeId,
    },
}

/// Reads the SC's reply to `request`. `local` and `remote` are the
/// addresses the reply was received on and from.
pub fn read_sa_init_reply(
    request: &SaInitRequest<'_>,
    reply: &Message,
    local: SocketAddr,
    remote: SocketAddr,
) -> Result<SaInitReply, SaInitError> {
    let h = &reply.header;
    if h.exchange != ExchangeType::IkeSaInit || !h.flags.response() || h.flags.initiator() {
        return Err(SaInitError::NotOurResponse("wrong exchange or flags"));
    }
    if h.spi_i != request.spi_i || h.message_id != 0 {
        return Err(SaInitError::NotOurResponse("wrong SPI or message ID"));
    }
    if let Some(cookie) = reply.notify(NotifyType::Cookie) {
        return Ok(SaInitReply::Cookie(cookie.data.clone()));
    }
    if let Some(invalid_ke) = reply.notify(NotifyType::InvalidKePayload) {
        let group = invalid_ke
            .requested_group()
            .map_err(|_| SaInitError::NotOurResponse("malformed INVALID_KE_PAYLOAD"))?;
        return Ok(SaInitReply::InvalidKe(group));
    }
    if let Some(error) = reply.notifies().find(|n| n.kind.is_error()) {
        return Err(SaInitError::Refused(error.kind));
    }
    let mut sa = None;
    let mut ke = None;
    let mut nonce = None;
    let mut cert_requests = Vec::new();
    for payload in &reply.payloads {
        match payload {
            Payload::SecurityAssociation(p) => sa = Some(p),
            Payload::KeyExchange(p) => ke = Some(p),
            Payload::Nonce(p) => nonce = Some(p),
            Payload::CertificateRequest(p) => cert_requests.push(p.clone()),
            _ => {}
        }
    }
    let sa = sa.ok_or(SaInitError::Missing("SA"))?;
    let ke = ke.ok_or(SaInitError::Missing("KE"))?;
    let nonce = nonce.ok_or(SaInitError::Missing("Nonce"))?;
    let suite = IkeOffer::chosen(request.offers, sa)?;
    let chosen = KeyExchangeId::from(suite.dh.iana_id());
    if ke.group != chosen {
        return Err(SaInitError::GroupMismatch {
            ke: ke.group,
            chosen,
        });
    }
    let nat = nat_status(reply, local, remote);
    let signature_hashes = reply
        .notify(NotifyType::SignatureHashAlgorithms)
        .and_then(|n| n.hash_algorithms().ok())
        .unwrap_or_default();
    Ok(SaInitReply::Accepted(Box::new(SaInitAccepted {
        spi_r: h.spi_r,
        suite,
        public_key: ke.data.clone(),
        nonce: nonce.0.clone(),
        nat,
        fragmentation: reply
            .notify(NotifyType::Ikev2FragmentationSupported)
            .is_some(),
        signature_hashes,
        cert_requests,
    })))
}

/// RFC 7296 §2.23: the SC's NAT_DETECTION_SOURCE_IP hashes the address it
/// sent from; its NAT_DETECTION_DESTINATION_IP hashes the address it saw
/// ours as. A mismatch with what we see means a NAT in between.
pub fn nat_status(reply: &Message, local: SocketAddr, remote: SocketAddr) -> NatStatus {
    let h = &reply.header;
    let expected_source = nat_detection_hash(&h.spi_i, &h.spi_r, remote);
    let expected_destination = nat_detection_hash(&h.spi_i, &h.spi_r, local);
    let sources: Vec<_> = reply
        .notifies()
        .filter(|n| n.kind == NotifyType::NatDetectionSourceIp)
        .collect();
    let destination = reply.notify(NotifyType::NatDetectionDestinationIp);
    let supported = !sources.is_empty() && destination.is_some();
    NatStatus {
        local_behind_nat: supported
            && destination.is_some_and(|d| d.data.as_slice() != expected_destination),
        remote_behind_nat: supported
            && !sources.iter().any(|s| s.data.as_slice() == expected_source),
        supported,
    }
}
