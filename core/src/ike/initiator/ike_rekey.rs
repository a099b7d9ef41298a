//! Replacing the IKE SA itself (RFC 7296 §1.3.2, §2.18): a CREATE_CHILD_SA
//! with an IKE proposal, a new SPI, nonce and key exchange; the new SA's
//! keys come from the old SK_d, the CHILD_SAs move over unchanged, and the
//! old IKE SA is deleted with its own keys and SPIs. We stay the original
//! initiator: when the SC asks to rekey the IKE SA, we answer
//! TEMPORARY_FAILURE and rekey it ourselves at once (§2.25 allows either
//! side to do it).

use std::time::Instant;

use ring::rand::{SecureRandom, SystemRandom};

use crate::crypto::{derive_rekeyed_ike_keys, CryptoError, KeyExchange, SkCipher};
use crate::ike::header::{Flags, Header, Spi};
use crate::ike::message::Message;
use crate::ike::payload::{Delete, KeyExchange as KePayload, Nonce, Payload, SecurityAssociation};
use crate::ike::proposals::IkeOffer;
use crate::ike::protect::open_message;
use crate::ike::types::{ExchangeType, KeyExchangeId, ProtocolId};

use super::child_rekey::REKEY_RETRY;
use super::exchange::is_error_notify;
use super::peer_requests::PeerWindow;
use super::sa::IkeSa;
use super::{Initiator, InitiatorError, Phase, State, CLOSING_TRIES};

/// Our IKE SA rekey in flight.
pub(super) struct IkeRekey {
    new_spi_i: Spi,
    nonce: Vec<u8>,
    ke: KeyExchange,
    offer: IkeOffer,
}

/// The replaced IKE SA while its DELETE is outstanding.
pub(super) struct OldIke {
    spi_i: Spi,
    inbound: SkCipher,
    message_id: u32,
    datagrams: Vec<Vec<u8>>,
    tries: u32,
    pub(super) deadline: Instant,
}

/// Whether a CREATE_CHILD_SA request proposes a new IKE SA.
pub(super) fn is_ike_rekey(payloads: &[Payload]) -> bool {
    payloads.iter().any(|p| match p {
        Payload::SecurityAssociation(sa) => {
            sa.proposals.iter().any(|p| p.protocol == ProtocolId::Ike)
        }
        _ => false,
    })
}

impl Initiator {
    /// Sends CREATE_CHILD_SA rekeying the IKE SA with its own algorithms.
    pub(super) fn send_ike_rekey(&mut self, now: Instant) -> Result<(), InitiatorError> {
        let State::Established(sa) = &self.state else {
            return Ok(());
        };
        let suite = sa.suite;
        let offer = IkeOffer {
            encryption: vec![suite.encryption],
            integrity: suite.integrity.into_iter().collect(),
            prf: vec![suite.prf],
            groups: vec![suite.dh],
        };
        let rng = SystemRandom::new();
        let mut new_spi_i = [0u8; 8];
        let mut nonce = vec![0u8; 32];
        rng.fill(&mut new_spi_i)
            .map_err(|_| CryptoError::RandomFailure)?;
        rng.fill(&mut nonce)
            .map_err(|_| CryptoError::RandomFailure)?;
        let ke = KeyExchange::generate(suite.dh)?;
        let payloads = [
            Payload::SecurityAssociation(IkeOffer::to_sa(std::slice::from_ref(&offer), &new_spi_i)),
            Payload::Nonce(Nonce(nonce.clone())),
            Payload::KeyExchange(KePayload {
                group: KeyExchangeId::from(suite.dh.iana_id()),
                data: ke.public_key().to_vec(),
            }),
        ];
        self.ike_rekey = Some(IkeRekey {
            new_spi_i,
            nonce,
            ke,
            offer,
        });
        self.send_established(now, ExchangeType::CreateChildSa, &payloads, Phase::Rekeying)
    }

    /// The SC answered our IKE SA rekey: switch to the new SA and delete
    /// the old one.
    pub(super) fn on_ike_rekey_reply(
        &mut self,
        now: Instant,
        payloads: &[Payload],
    ) -> Result<(), InitiatorError> {
        let Some(rekey) = self.ike_rekey.take() else {
            return Ok(());
        };
        if is_error_notify(payloads).is_some() {
            // TEMPORARY_FAILURE (it is rekeying something itself) or a
            // refusal: the current SA stays; try again later.
            self.ike_rekey_at = Some(now + REKEY_RETRY);
            return Ok(());
        }
        let (mut sa, mut nonce, mut ke) = (None, None, None);
        for p in payloads {
            match p {
                Payload::SecurityAssociation(s) => sa = Some(s),
                Payload::Nonce(n) => nonce = Some(n),
                Payload::KeyExchange(k) => ke = Some(k),
                _ => {}
            }
        }
        let missing = InitiatorError::Protocol("the IKE SA rekey answer lacks SA, nonce or KE");
        let (Some(sa), Some(nonce), Some(ke)) = (sa, nonce, ke) else {
            return Err(missing);
        };
        let suite = IkeOffer::chosen(std::slice::from_ref(&rekey.offer), sa)?;
        let spi_r = new_spi_r(sa)?;
        let shared = rekey.ke.agree(&ke.data)?;
        let State::Established(old) = &self.state else {
            return Ok(());
        };
        let keys = derive_rekeyed_ike_keys(
            old.suite.prf,
            old.keys.sk_d.as_bytes(),
            &suite,
            &rekey.nonce,
            &nonce.0,
            shared.as_bytes(),
            rekey.new_spi_i,
            spi_r,
        )?;
        let new = IkeSa {
            suite,
            outbound: SkCipher::new(&suite, keys.sk_ei.as_bytes(), keys.sk_ai.as_bytes())?,
            inbound: SkCipher::new(&suite, keys.sk_er.as_bytes(), keys.sk_ar.as_bytes())?,
            keys,
            init_request: old.init_request.clone(),
            init_reply: old.init_reply.clone(),
            nonce_r: nonce.0.clone(),
            fragmentation: old.fragmentation,
            nat: old.nat,
            signature_hashes: old.signature_hashes.clone(),
            cert_requests: Vec::new(),
        };
        let State::Established(mut old) =
            std::mem::replace(&mut self.state, State::Established(Box::new(new)))
        else {
            return Ok(());
        };
        let (old_spi_i, old_spi_r) = (self.spi_i, self.spi_r);
        let old_message_id = self.next_message_id;
        self.spi_i = rekey.new_spi_i;
        self.spi_r = spi_r;
        self.nonce_i = rekey.nonce;
        // A new IKE SA counts its message IDs afresh in both directions.
        self.next_message_id = 0;
        self.peer = PeerWindow::default();
        self.stats.ike_rekeys += 1;
        self.mobike_rekeyed();
        self.ike_rekey_at = Some(now + self.config.ike_lifetime.rekey_delay(random_u32()));
        // DELETE the old IKE SA under its own SPIs and keys (§2.18); its
        // CHILD_SAs now belong to the new one.
        let header = Header::new(
            old_spi_i,
            old_spi_r,
            ExchangeType::Informational,
            Flags::new(true, false),
            old_message_id,
        );
        let datagrams = self.protect(&mut old, header, &[Payload::Delete(Delete::ike())])?;
        for d in &datagrams {
            self.queue(d.clone());
        }
        self.old_ike = Some(OldIke {
            spi_i: old_spi_i,
            inbound: old.inbound,
            message_id: old_message_id,
            datagrams,
            tries: 1,
            deadline: self.retransmit_deadline(now),
        });
        Ok(())
    }

    /// A message for the replaced IKE SA: the answer to its DELETE ends
    /// it; anything else for it is ignored. Returns whether it was one.
    pub(super) fn for_old_ike(&mut self, ike: &[u8], message: &Message) -> bool {
        let Some(old) = &self.old_ike else {
            return false;
        };
        if message.header.spi_i != old.spi_i {
            return false;
        }
        if message.header.flags.response()
            && message.header.message_id == old.message_id
            && open_message(ike, message, &old.inbound).is_ok()
        {
            self.old_ike = None;
        }
        true
    }

    /// Resends the old IKE SA's DELETE, or gives up on an answer.
    pub(super) fn old_ike_timeout(&mut self, now: Instant) {
        let Some(old) = self.old_ike.as_mut() else {
            return;
        };
        if now < old.deadline {
            return;
        }
        if old.tries >= CLOSING_TRIES {
            self.old_ike = None;
            return;
        }
        old.deadline = now + self.config.retransmit.wait(old.tries);
        old.tries += 1;
        self.stats.retransmits += 1;
        let datagrams = old.datagrams.clone();
        for d in datagrams {
            self.queue(d);
        }
    }
}

/// The SC's new IKE SPI from its SA payload (8 octets, §3.3.1).
fn new_spi_r(sa: &SecurityAssociation) -> Result<Spi, InitiatorError> {
    sa.proposals
        .first()
        .and_then(|p| Spi::try_from(p.spi.as_slice()).ok())
        .filter(|spi| *spi != [0; 8])
        .ok_or(InitiatorError::Protocol(
            "the IKE SA rekey answer has no valid SPI",
        ))
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = SystemRandom::new().fill(&mut bytes);
    u32::from_be_bytes(bytes)
}
