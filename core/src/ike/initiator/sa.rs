//! IKE_SA_INIT from the initiator's side (RFC 7296 §1.2): the request,
//! COOKIE and INVALID_KE_PAYLOAD restarts, and the keys of the new IKE SA.

use std::time::Instant;

use crate::crypto::{derive_ike_keys, DhGroup, IkeKeys, IkeSuite, KeyExchange, SkCipher};
use crate::ike::message::Message;
use crate::ike::payload::CertificateRequest;
use crate::ike::sa_init::{read_sa_init_reply, NatStatus, SaInitError, SaInitReply, SaInitRequest};
use crate::ike::types::HashAlgorithm;

use super::{Event, Initiator, InitiatorError, Phase, State};

/// How many COOKIE / INVALID_KE_PAYLOAD restarts we follow (RFC 7296 §2.6
/// and §1.3 allow one of each; a few more tolerate an SC under load).
pub(super) const MAX_RESTARTS: usize = 4;

/// Waiting for the IKE_SA_INIT reply.
pub(super) struct SaInitState {
    pub ke: KeyExchange,
    pub cookie: Option<Vec<u8>>,
    pub request: Vec<u8>,
    pub restarts: usize,
}

/// An IKE SA's keys and what IKE_AUTH needs from IKE_SA_INIT.
pub(super) struct IkeSa {
    pub suite: IkeSuite,
    pub keys: IkeKeys,
    pub outbound: SkCipher,
    pub inbound: SkCipher,
    /// Our IKE_SA_INIT request as sent (signed by our AUTH).
    pub init_request: Vec<u8>,
    /// The SC's IKE_SA_INIT reply as received (signed by its AUTH).
    pub init_reply: Vec<u8>,
    pub nonce_r: Vec<u8>,
    pub fragmentation: bool,
    pub nat: NatStatus,
    /// Hashes the SC accepts in our RFC 7427 signatures.
    pub signature_hashes: Vec<HashAlgorithm>,
    /// CAs the SC trusts for our certificate.
    #[allow(dead_code)] // for choosing among several client certificates
    pub cert_requests: Vec<CertificateRequest>,
}

impl Initiator {
    pub(super) fn send_sa_init(
        &mut self,
        now: Instant,
        ke: KeyExchange,
        cookie: Option<Vec<u8>>,
        restarts: usize,
    ) -> Result<(), InitiatorError> {
        let request = SaInitRequest {
            spi_i: self.spi_i,
            offers: &self.config.ike_offers,
            group: ke.group(),
            public_key: ke.public_key(),
            nonce: &self.nonce_i,
            cookie: cookie.as_deref(),
            local: self.local,
            remote: self.remote,
            force_udp_encapsulation: self.config.force_udp_encapsulation,
        };
        let bytes = request.to_message().encode()?;
        self.next_message_id = 1;
        self.send_plain(now, bytes.clone(), 0, Phase::SaInit);
        self.state = State::SaInit(Box::new(SaInitState {
            ke,
            cookie,
            request: bytes,
            restarts,
        }));
        Ok(())
    }

    pub(super) fn on_sa_init_reply(&mut self, now: Instant, ike: &[u8], reply: &Message) {
        let State::SaInit(state) = std::mem::replace(&mut self.state, State::Closed) else {
            return;
        };
        let request = SaInitRequest {
            spi_i: self.spi_i,
            offers: &self.config.ike_offers,
            group: state.ke.group(),
            public_key: state.ke.public_key(),
            nonce: &self.nonce_i,
            cookie: state.cookie.as_deref(),
            local: self.local,
            remote: self.remote,
            force_udp_encapsulation: self.config.force_udp_encapsulation,
        };
        let outcome = read_sa_init_reply(&request, reply, self.local, self.remote);
        match outcome {
            Ok(SaInitReply::Accepted(accepted)) => {
                self.pending = None;
                if let Err(e) = self.complete_sa_init(now, *state, ike, *accepted) {
                    self.fail(e);
                }
            }
            Ok(SaInitReply::Cookie(cookie)) => {
                let restarts = state.restarts + 1;
                if restarts > MAX_RESTARTS {
                    return self.fail(InitiatorError::Protocol(
                        "the SC keeps asking for new IKE_SA_INIT requests",
                    ));
                }
                self.pending = None;
                self.stats.cookie_restarts += 1;
                if let Err(e) = self.send_sa_init(now, state.ke, Some(cookie), restarts) {
                    self.fail(e);
                }
            }
            Ok(SaInitReply::InvalidKe(wanted)) => {
                let offered = DhGroup::from_iana(wanted.raw())
                    .filter(|g| self.config.ike_offers.iter().any(|o| o.groups.contains(g)));
                let restarts = state.restarts + 1;
                match offered {
                    Some(group) if restarts <= MAX_RESTARTS && group != state.ke.group() => {
                        self.pending = None;
                        self.stats.invalid_ke_restarts += 1;
                        let result = KeyExchange::generate(group)
                            .map_err(InitiatorError::from)
                            .and_then(|ke| self.send_sa_init(now, ke, state.cookie, restarts));
                        if let Err(e) = result {
                            self.fail(e);
                        }
                    }
                    _ => self.fail(InitiatorError::NoProposalChosen(Phase::SaInit)),
                }
            }
            Err(SaInitError::Refused(notify)) => {
                self.fail(InitiatorError::from_notify(Phase::SaInit, notify));
            }
            Err(SaInitError::NotOurResponse(_) | SaInitError::Missing(_)) => {
                // Unprotected and unusable: possibly forged. Keep waiting
                // for the real reply (RFC 7296 §2.21.1).
                self.stats.malformed += 1;
                self.state = State::SaInit(state);
            }
            Err(e) => self.fail(e.into()),
        }
    }

    fn complete_sa_init(
        &mut self,
        now: Instant,
        state: SaInitState,
        ike: &[u8],
        accepted: crate::ike::sa_init::SaInitAccepted,
    ) -> Result<(), InitiatorError> {
        let shared = state.ke.agree(&accepted.public_key)?;
        self.spi_r = accepted.spi_r;
        let keys = derive_ike_keys(
            &accepted.suite,
            &self.nonce_i,
            &accepted.nonce,
            shared.as_bytes(),
            self.spi_i,
            self.spi_r,
        )?;
        let outbound = SkCipher::new(
            &accepted.suite,
            keys.sk_ei.as_bytes(),
            keys.sk_ai.as_bytes(),
        )?;
        let inbound = SkCipher::new(
            &accepted.suite,
            keys.sk_er.as_bytes(),
            keys.sk_ar.as_bytes(),
        )?;
        if accepted.nat.any() || self.config.force_udp_encapsulation {
            self.switch_to_natt();
        }
        let sa = IkeSa {
            suite: accepted.suite,
            keys,
            outbound,
            inbound,
            init_request: state.request,
            init_reply: ike.to_vec(),
            nonce_r: accepted.nonce,
            fragmentation: accepted.fragmentation,
            nat: accepted.nat,
            signature_hashes: accepted.signature_hashes,
            cert_requests: accepted.cert_requests,
        };
        self.events.push_back(Event::Phase(Phase::Authenticating));
        self.start_auth(now, sa)
    }
}
