//! Replacing the CHILD_SA before it wears out (RFC 7296 §1.3.3, §2.8):
//! our CREATE_CHILD_SA when its lifetime is up, the SC's answered, and
//! collisions of the two resolved by nonces (§2.8.1). The old SA is
//! retired with a DELETE (§1.4.1) once the new one carries traffic, and its
//! inbound half is reported retired only then, so nothing in flight is
//! lost.

use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};

use crate::crypto::{derive_child_sa_keys, ChildSaKeys, CryptoError, DhGroup, KeyExchange};
use crate::ike::child::{is_narrowing, ranges, selectors, ChildSa, EspOffer, EspSuite};
use crate::ike::payload::{
    AddressRange, KeyExchange as KePayload, Nonce, Notify, Payload, Proposal, SecurityAssociation,
    TrafficSelectors, Transform,
};
use crate::ike::proposals::encryption_transform;
use crate::ike::types::{
    EsnId, ExchangeType, IntegrityId, KeyExchangeId, NotifyType, ProtocolId, TransformType,
};

use super::exchange::is_error_notify;
use super::{Event, Initiator, InitiatorError, Phase, State, Want};

/// How long after a refused or failed rekey we try again.
pub(super) const REKEY_RETRY: Duration = Duration::from_secs(10);

/// The CHILD_SA the data path uses now.
#[derive(Debug, Clone)]
pub(super) struct CurrentChild {
    pub spi_in: u32,
    pub spi_out: u32,
    pub suite: EspSuite,
    pub local_ts: Vec<AddressRange>,
    pub remote_ts: Vec<AddressRange>,
    pub rekey_at: Instant,
}

impl CurrentChild {
    fn of(child: &ChildSa, rekey_at: Instant) -> Self {
        Self {
            spi_in: child.spi_in,
            spi_out: child.spi_out,
            suite: child.suite,
            local_ts: child.local_ts.clone(),
            remote_ts: child.remote_ts.clone(),
            rekey_at,
        }
    }
}

/// A replaced CHILD_SA waiting for its DELETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Retiring {
    pub spi_in: u32,
    pub spi_out: u32,
}

/// Our CREATE_CHILD_SA in flight.
pub(super) struct ChildRekey {
    old: Retiring,
    new_spi_in: u32,
    nonce: Vec<u8>,
    ke: Option<KeyExchange>,
    offer: EspOffer,
    /// The SC rekeyed the same SA meanwhile: the two nonces of its
    /// exchange and the SA it made.
    collision: Option<(Vec<u8>, Vec<u8>, Retiring)>,
}

impl Initiator {
    /// Starts tracking the first CHILD_SA.
    pub(super) fn track_child(&mut self, now: Instant, child: &ChildSa) {
        let rekey_at = now + self.rekey_delay();
        let mut random = [0u8; 4];
        let _ = SystemRandom::new().fill(&mut random);
        self.ike_rekey_at = Some(
            now + self
                .config
                .ike_lifetime
                .rekey_delay(u32::from_be_bytes(random)),
        );
        self.child = Some(CurrentChild::of(child, rekey_at));
    }

    fn rekey_delay(&self) -> Duration {
        let mut random = [0u8; 4];
        let _ = SystemRandom::new().fill(&mut random);
        self.config
            .child_lifetime
            .rekey_delay(u32::from_be_bytes(random))
    }

    /// Sends CREATE_CHILD_SA rekeying the current CHILD_SA.
    pub(super) fn send_child_rekey(&mut self, now: Instant) -> Result<(), InitiatorError> {
        let Some(child) = self.child.clone() else {
            return Ok(());
        };
        let new_spi_in = random_spi()?;
        let nonce = random_nonce()?;
        let ke = self
            .config
            .child_pfs
            .map(KeyExchange::generate)
            .transpose()?;
        let offer = EspOffer {
            encryption: vec![child.suite.encryption],
            integrity: child.suite.integrity.into_iter().collect(),
            groups: self.config.child_pfs.into_iter().collect(),
            esn: vec![child.suite.esn],
        };
        let mut payloads = vec![
            Payload::Notify(rekey_notify(child.spi_in)),
            Payload::SecurityAssociation(EspOffer::to_sa(std::slice::from_ref(&offer), new_spi_in)),
            Payload::Nonce(Nonce(nonce.clone())),
        ];
        if let Some(ke) = &ke {
            payloads.push(Payload::KeyExchange(KePayload {
                group: KeyExchangeId::from(ke.group().iana_id()),
                data: ke.public_key().to_vec(),
            }));
        }
        payloads.push(Payload::TsInitiator(selectors(&child.local_ts)));
        payloads.push(Payload::TsResponder(selectors(&child.remote_ts)));
        self.rekey = Some(ChildRekey {
            old: Retiring {
                spi_in: child.spi_in,
                spi_out: child.spi_out,
            },
            new_spi_in,
            nonce,
            ke,
            offer,
            collision: None,
        });
        self.send_established(now, ExchangeType::CreateChildSa, &payloads, Phase::Rekeying)
    }

    /// The SC answered our CREATE_CHILD_SA.
    pub(super) fn on_child_rekey_reply(
        &mut self,
        now: Instant,
        payloads: &[Payload],
    ) -> Result<(), InitiatorError> {
        let Some(rekey) = self.rekey.take() else {
            return Ok(());
        };
        if is_error_notify(payloads).is_some() {
            // TEMPORARY_FAILURE (a collision on its side), NO_PROPOSAL_CHOSEN
            // or CHILD_SA_NOT_FOUND: the current SA stays; try again later
            // (the SC's own rekey may come first). If the SC's rekey
            // already replaced the SA we meant (a collision it won), the
            // new one keeps its own full lifetime.
            if let Some(child) = self.child.as_mut().filter(|c| c.spi_in == rekey.old.spi_in) {
                child.rekey_at = now + REKEY_RETRY;
            }
            return Ok(());
        }
        let reply = ChildReply::read(payloads)?;
        let (suite, spi_out) = EspOffer::chosen(std::slice::from_ref(&rekey.offer), reply.sa)?;
        let shared = match (rekey.ke, reply.ke) {
            (Some(ke), Some(theirs)) => Some(ke.agree(&theirs.data)?),
            (None, _) => None,
            (Some(_), None) => return Err(InitiatorError::Protocol("the SC's rekey lacks its KE")),
        };
        let local_ts = ranges(reply.ts_i);
        let remote_ts = ranges(reply.ts_r);
        if !is_narrowing(&self.config.local_ts, &local_ts)
            || !is_narrowing(&self.config.remote_ts, &remote_ts)
        {
            return Err(InitiatorError::TsUnacceptable(
                "the rekeyed CHILD_SA's selectors are not within ours",
            ));
        }
        let keys = self.child_keys(
            shared.as_ref().map(|s| s.as_bytes()),
            &rekey.nonce,
            &reply.nonce.0,
            &suite,
        )?;
        let ours = ChildSa {
            spi_in: rekey.new_spi_in,
            spi_out,
            suite,
            keys,
            local_ts,
            remote_ts,
        };
        if let Some((their_ni, our_nr, theirs)) = rekey.collision {
            // RFC 7296 §2.8.1: the SA made with the lowest of the four
            // nonces is redundant and its creator deletes it.
            let lowest_ours = rekey.nonce.min(reply.nonce.0.clone());
            let lowest_theirs = their_ni.min(our_nr);
            if lowest_ours < lowest_theirs {
                // Ours is redundant: the SC's SA stays current.
                // (Its inbound half is never installed: ESP the SC sends
                // on it before our DELETE lands is lost.)
                self.wants.push_back(Want::DeleteChild(Retiring {
                    spi_in: ours.spi_in,
                    spi_out: ours.spi_out,
                }));
                return Ok(());
            }
            // Theirs is redundant: the SC deletes it; ours takes over.
            self.retiring.push(theirs);
        }
        // We started this rekey: the SC installed its inbound half before
        // answering, so we may send on it at once.
        self.install(now, ours, rekey.old, true);
        if self.retiring.contains(&rekey.old) {
            self.wants.push_back(Want::DeleteChild(rekey.old));
        }
        Ok(())
    }

    /// Makes `child` the current CHILD_SA, `old` retiring. With `send_now`
    /// the data path sends on it at once; otherwise (the SC started the
    /// rekey) once the SC deletes the old SA, since the SC may install its
    /// inbound half only when it has our answer (RFC 7296 §2.8).
    fn install(&mut self, now: Instant, child: ChildSa, old: Retiring, send_now: bool) {
        let rekey_at = now + self.rekey_delay();
        self.child = Some(CurrentChild::of(&child, rekey_at));
        if !self.retiring.contains(&old) {
            self.retiring.push(old);
        }
        let spi_in = child.spi_in;
        self.events.push_back(Event::ChildRekeyed(Box::new(child)));
        if send_now {
            self.send_later = None;
            self.events.push_back(Event::ChildOutbound { spi_in });
        } else {
            self.send_later = Some(spi_in);
        }
    }

    /// The SC's CREATE_CHILD_SA: a rekey of the current CHILD_SA is
    /// answered (§1.3.3); anything else is refused.
    pub(super) fn answer_create_child(
        &mut self,
        now: Instant,
        payloads: &[Payload],
    ) -> Vec<Payload> {
        match self.try_answer_create_child(now, payloads) {
            Ok(answer) => answer,
            Err(kind) => vec![Payload::Notify(Notify::flag(kind))],
        }
    }

    fn try_answer_create_child(
        &mut self,
        now: Instant,
        payloads: &[Payload],
    ) -> Result<Vec<Payload>, NotifyType> {
        if !matches!(self.state, State::Established(_)) {
            return Err(NotifyType::TemporaryFailure);
        }
        if super::ike_rekey::is_ike_rekey(payloads) {
            // We stay the IKE SA's original initiator: rekey it ourselves,
            // now (RFC 7296 §2.25: TEMPORARY_FAILURE makes the SC wait).
            self.ike_rekey_at = Some(now);
            return Err(NotifyType::TemporaryFailure);
        }
        let rekeyed = payloads.iter().find_map(|p| match p {
            Payload::Notify(n)
                if n.kind == NotifyType::RekeySa && n.protocol == ProtocolId::Esp =>
            {
                <[u8; 4]>::try_from(n.spi.as_slice())
                    .ok()
                    .map(u32::from_be_bytes)
            }
            _ => None,
        });
        // A request for another CHILD_SA (no REKEY_SA): one is all we use.
        let rekeyed = rekeyed.ok_or(NotifyType::NoAdditionalSas)?;
        if self.ike_rekey.is_some() {
            // RFC 7296 §2.25.2: not while the IKE SA is being rekeyed.
            return Err(NotifyType::TemporaryFailure);
        }
        let current = self.child.clone().ok_or(NotifyType::ChildSaNotFound)?;
        // Its REKEY_SA names its inbound SPI: our outbound one (§1.3.3).
        if rekeyed != current.spi_out {
            return Err(NotifyType::ChildSaNotFound);
        }
        let request = ChildReply::read(payloads).map_err(|_| NotifyType::InvalidSyntax)?;
        let their_ke = request.ke;
        let new_spi_in = random_spi().map_err(|_| NotifyType::TemporaryFailure)?;
        let (proposal, spi_out, group) =
            answer_proposal(request.sa, &current.suite, their_ke, new_spi_in)
                .ok_or(NotifyType::NoProposalChosen)?;
        let nonce = random_nonce().map_err(|_| NotifyType::TemporaryFailure)?;
        let mut answer = vec![
            Payload::SecurityAssociation(SecurityAssociation {
                proposals: vec![proposal],
            }),
            Payload::Nonce(Nonce(nonce.clone())),
        ];
        let shared = match (group, their_ke) {
            (Some(group), Some(theirs)) => {
                let ke = KeyExchange::generate(group).map_err(|_| NotifyType::TemporaryFailure)?;
                answer.push(Payload::KeyExchange(KePayload {
                    group: theirs.group,
                    data: ke.public_key().to_vec(),
                }));
                Some(
                    ke.agree(&theirs.data)
                        .map_err(|_| NotifyType::InvalidKePayload)?,
                )
            }
            _ => None,
        };
        answer.push(Payload::TsInitiator(request.ts_i.clone()));
        answer.push(Payload::TsResponder(request.ts_r.clone()));
        // The SC initiated this exchange: the first keys are its outbound
        // ones (§2.17), our inbound.
        let theirs_first = self
            .child_keys(
                shared.as_ref().map(|s| s.as_bytes()),
                &request.nonce.0,
                &nonce,
                &current.suite,
            )
            .map_err(|_| NotifyType::TemporaryFailure)?;
        let child = ChildSa {
            spi_in: new_spi_in,
            spi_out,
            suite: current.suite,
            keys: ChildSaKeys {
                encr_i: theirs_first.encr_r,
                integ_i: theirs_first.integ_r,
                encr_r: theirs_first.encr_i,
                integ_r: theirs_first.integ_i,
            },
            // Its TSi is its side, TSr ours.
            local_ts: ranges(request.ts_r),
            remote_ts: ranges(request.ts_i),
        };
        let old = Retiring {
            spi_in: current.spi_in,
            spi_out: current.spi_out,
        };
        if let Some(ours) = self.rekey.as_mut().filter(|ours| ours.old == old) {
            ours.collision = Some((
                request.nonce.0.clone(),
                nonce,
                Retiring {
                    spi_in: child.spi_in,
                    spi_out: child.spi_out,
                },
            ));
            self.stats.rekey_collisions += 1;
        }
        // The SC deletes the old SA once it has our answer.
        self.install(now, child, old, false);
        Ok(answer)
    }

    fn child_keys(
        &self,
        shared: Option<&[u8]>,
        ni: &[u8],
        nr: &[u8],
        suite: &EspSuite,
    ) -> Result<ChildSaKeys, InitiatorError> {
        let State::Established(sa) = &self.state else {
            return Err(InitiatorError::Protocol("no IKE SA to derive keys from"));
        };
        Ok(derive_child_sa_keys(
            sa.suite.prf,
            sa.keys.sk_d.as_bytes(),
            shared,
            ni,
            nr,
            suite.encryption.keymat_len(),
            suite.integrity.map_or(0, |i| i.key_len()),
        )?)
    }

    /// A DELETE for CHILD_SAs from the SC (its inbound SPIs): returns our
    /// inbound SPIs of those we had, and whether the current one was among
    /// them (the connection then has no CHILD_SA left).
    pub(super) fn sc_deletes_children(&mut self, spis: &[u32]) -> (Vec<u32>, bool) {
        let mut ours = Vec::new();
        let mut current_gone = false;
        for &spi in spis {
            if let Some(at) = self.retiring.iter().position(|r| r.spi_out == spi) {
                let gone = self.retiring.remove(at);
                ours.push(gone.spi_in);
                self.wants.retain(|w| *w != Want::DeleteChild(gone));
                self.events.push_back(Event::ChildRetired {
                    spi_in: gone.spi_in,
                });
                self.release_outbound();
            } else if let Some(child) = self.child.as_ref().filter(|c| c.spi_out == spi) {
                ours.push(child.spi_in);
                current_gone = true;
            }
        }
        (ours, current_gone)
    }

    /// The SA the SC made in its rekey may carry our traffic now that the
    /// one it replaced is gone.
    fn release_outbound(&mut self) {
        if let Some(spi_in) = self.send_later.take() {
            self.events.push_back(Event::ChildOutbound { spi_in });
        }
    }

    /// Our DELETE of a CHILD_SA was answered.
    pub(super) fn child_deleted(&mut self, gone: Retiring) {
        self.release_outbound();
        self.retiring.retain(|r| *r != gone);
        self.events.push_back(Event::ChildRetired {
            spi_in: gone.spi_in,
        });
    }
}

/// The payloads of a CREATE_CHILD_SA request or response.
struct ChildReply<'a> {
    sa: &'a SecurityAssociation,
    nonce: &'a Nonce,
    ke: Option<&'a KePayload>,
    ts_i: &'a TrafficSelectors,
    ts_r: &'a TrafficSelectors,
}

impl<'a> ChildReply<'a> {
    fn read(payloads: &'a [Payload]) -> Result<Self, InitiatorError> {
        let (mut sa, mut nonce, mut ke, mut ts_i, mut ts_r) = (None, None, None, None, None);
        for p in payloads {
            match p {
                Payload::SecurityAssociation(s) => sa = Some(s),
                Payload::Nonce(n) => nonce = Some(n),
                Payload::KeyExchange(k) => ke = Some(k),
                Payload::TsInitiator(t) => ts_i = Some(t),
                Payload::TsResponder(t) => ts_r = Some(t),
                _ => {}
            }
        }
        Ok(Self {
            sa: sa.ok_or(InitiatorError::Protocol("CREATE_CHILD_SA lacks its SA"))?,
            nonce: nonce.ok_or(InitiatorError::Protocol("CREATE_CHILD_SA lacks its nonce"))?,
            ke,
            ts_i: ts_i.ok_or(InitiatorError::Protocol("CREATE_CHILD_SA lacks TSi"))?,
            ts_r: ts_r.ok_or(InitiatorError::Protocol("CREATE_CHILD_SA lacks TSr"))?,
        })
    }
}

/// Picks the SC's proposal that keeps `suite` (and, if it asks for a key
/// exchange, one whose group matches its KE payload): our answer with
/// `our_spi`, the SC's new inbound SPI and the group, if any.
fn answer_proposal(
    sa: &SecurityAssociation,
    suite: &EspSuite,
    their_ke: Option<&KePayload>,
    our_spi: u32,
) -> Option<(Proposal, u32, Option<DhGroup>)> {
    let encryption = encryption_transform(suite.encryption);
    let integrity = suite
        .integrity
        .map(|i| Transform::integrity(IntegrityId::from(i.iana_id())));
    let esn = Transform::esn(if suite.esn { EsnId::Esn } else { EsnId::NoEsn });
    sa.proposals.iter().find_map(|p| {
        if p.protocol != ProtocolId::Esp {
            return None;
        }
        let spi = u32::from_be_bytes(<[u8; 4]>::try_from(p.spi.as_slice()).ok()?);
        if spi < 256 || !p.transforms.contains(&encryption) || !p.transforms.contains(&esn) {
            return None;
        }
        if let Some(i) = &integrity {
            if !p.transforms.contains(i) {
                return None;
            }
        }
        let groups: Vec<&Transform> = p
            .transforms
            .iter()
            .filter(|t| t.kind == TransformType::KeyExchange && t.id != 0)
            .collect();
        let group = if groups.is_empty() {
            None
        } else {
            let ke = their_ke?;
            let t = groups.iter().find(|t| t.id == ke.group.raw())?;
            Some((
                Transform::key_exchange(KeyExchangeId::from(t.id)),
                DhGroup::from_iana(t.id)?,
            ))
        };
        let mut transforms = vec![encryption.clone()];
        transforms.extend(integrity.clone());
        if let Some((t, _)) = &group {
            transforms.push(t.clone());
        }
        transforms.push(esn.clone());
        Some((
            Proposal {
                number: p.number,
                protocol: ProtocolId::Esp,
                spi: our_spi.to_be_bytes().to_vec(),
                transforms,
            },
            spi,
            group.map(|(_, g)| g),
        ))
    })
}

/// REKEY_SA naming our inbound SPI of the SA being replaced (§3.10.1).
fn rekey_notify(spi_in: u32) -> Notify {
    Notify {
        protocol: ProtocolId::Esp,
        spi: spi_in.to_be_bytes().to_vec(),
        kind: NotifyType::RekeySa,
        data: Vec::new(),
    }
}

/// A random SPI outside the reserved range 0-255 (RFC 4303 §2.1).
pub(super) fn random_spi() -> Result<u32, InitiatorError> {
    let rng = SystemRandom::new();
    loop {
        let mut bytes = [0u8; 4];
        rng.fill(&mut bytes)
            .map_err(|_| CryptoError::RandomFailure)?;
        let spi = u32::from_be_bytes(bytes);
        if spi >= 256 {
            return Ok(spi);
        }
    }
}

/// A fresh 32-octet nonce (RFC 7296 §2.10: at least half the PRF's key
/// size, and at least 16 octets).
fn random_nonce() -> Result<Vec<u8>, InitiatorError> {
    let mut nonce = vec![0u8; 32];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| CryptoError::RandomFailure)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rekey_delay_stays_within_the_jitter() {
        let life = super::super::Lifetime {
            rekey_after: Duration::from_secs(20),
            jitter: Duration::from_secs(4),
        };
        assert_eq!(life.rekey_delay(0), Duration::from_secs(20));
        assert_eq!(life.rekey_delay(u32::MAX), Duration::from_secs(16));
        let mid = life.rekey_delay(u32::MAX / 2);
        assert!(mid > Duration::from_secs(17) && mid < Duration::from_secs(19));
        // A jitter beyond half the lifetime is capped.
        let wild = super::super::Lifetime {
            rekey_after: Duration::from_secs(10),
            jitter: Duration::from_secs(60),
        };
        assert_eq!(wild.rekey_delay(u32::MAX), Duration::from_secs(5));
    }
}
