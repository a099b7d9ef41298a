//! IKE_AUTH from the initiator's side (RFC 7296 §1.2, §2.15–2.17): our
//! identity and proof, the SC's identity and proof, and the first CHILD_SA
//! with its configuration payload. The SC is authenticated before anything
//! derived from the user's secret leaves the laptop.

use std::time::Instant;

use ring::rand::{SecureRandom, SystemRandom};

use crate::crypto::{derive_child_sa_keys, CryptoError};
use crate::ike::auth::{shared_key_auth, signed_octets, verify_shared_key_auth};
use crate::ike::child::{is_narrowing, ranges, selectors, ChildSa, EspOffer, TunnelConfig};
use crate::ike::payload::{
    Authentication, CfgAttribute, Configuration, Identification, Notify, Payload,
};
use crate::ike::types::{AuthMethod, CfgAttributeType, CfgType, ExchangeType, NotifyType};

use super::exchange::is_error_notify;
use super::sa::IkeSa;
use super::{ClientAuth, Established, Event, Initiator, InitiatorError, Phase, ScAuth, State};

/// IKE_AUTH under way.
pub(super) struct AuthState {
    sa: IkeSa,
    /// Our inbound SPI for the CHILD_SA.
    child_spi: u32,
}

impl AuthState {
    pub(super) fn sa(&self) -> &IkeSa {
        &self.sa
    }

    pub(super) fn sa_mut(&mut self) -> &mut IkeSa {
        &mut self.sa
    }

    pub(super) fn into_sa(self) -> IkeSa {
        self.sa
    }
}

/// The SC's IKE_AUTH answer, sorted by payload.
#[derive(Default)]
struct AuthReply<'a> {
    id_r: Option<&'a Identification>,
    auth: Option<&'a Authentication>,
    sa: Option<&'a crate::ike::payload::SecurityAssociation>,
    ts_i: Option<&'a crate::ike::payload::TrafficSelectors>,
    ts_r: Option<&'a crate::ike::payload::TrafficSelectors>,
    cp: Option<&'a Configuration>,
}

impl<'a> AuthReply<'a> {
    fn sort(payloads: &'a [Payload]) -> Self {
        let mut r = Self::default();
        for p in payloads {
            match p {
                Payload::IdResponder(id) => r.id_r = Some(id),
                Payload::Authentication(a) => r.auth = Some(a),
                Payload::SecurityAssociation(sa) => r.sa = Some(sa),
                Payload::TsInitiator(ts) => r.ts_i = Some(ts),
                Payload::TsResponder(ts) => r.ts_r = Some(ts),
                Payload::Configuration(cp) => r.cp = Some(cp),
                _ => {}
            }
        }
        r
    }
}

impl Initiator {
    pub(super) fn start_auth(&mut self, now: Instant, mut sa: IkeSa) -> Result<(), InitiatorError> {
        let child_spi = random_spi()?;
        let prf = sa.suite.prf;
        let mut inner = vec![Payload::IdInitiator(self.config.local_id.clone())];
        inner.push(Payload::IdResponder(self.config.remote_id.clone()));
        match &self.config.client_auth {
            ClientAuth::Psk(psk) => {
                let octets = signed_octets(
                    prf,
                    &sa.init_request,
                    &sa.nonce_r,
                    sa.keys.sk_pi.as_bytes(),
                    &self.config.local_id,
                );
                inner.push(Payload::Authentication(Authentication {
                    method: AuthMethod::SharedKeyMic,
                    data: shared_key_auth(prf, psk.as_bytes(), &octets)
                        .as_bytes()
                        .to_vec(),
                }));
            }
        }
        inner.extend(self.child_request(child_spi));
        self.send_protected(
            now,
            &mut sa,
            ExchangeType::IkeAuth,
            &inner,
            Phase::Authenticating,
        )?;
        self.state = State::Auth(Box::new(AuthState { sa, child_spi }));
        Ok(())
    }

    /// CP, SA, TSi, TSr and the notifications that go with the first CHILD_SA.
    fn child_request(&self, child_spi: u32) -> Vec<Payload> {
        let mut out = Vec::new();
        if self.config.request_config {
            out.push(Payload::Configuration(Configuration {
                cfg_type: CfgType::Request,
                attributes: [
                    CfgAttributeType::InternalIp4Address,
                    CfgAttributeType::InternalIp6Address,
                    CfgAttributeType::InternalIp4Dns,
                    CfgAttributeType::InternalIp6Dns,
                ]
                .into_iter()
                .map(CfgAttribute::request)
                .collect(),
            }));
        }
        out.push(Payload::SecurityAssociation(EspOffer::to_sa(
            &self.config.esp_offers,
            child_spi,
        )));
        out.push(Payload::TsInitiator(selectors(&self.config.local_ts)));
        out.push(Payload::TsResponder(selectors(&self.config.remote_ts)));
        // RFC 7296 §2.4: the SC may drop any older SAs with us.
        out.push(Payload::Notify(Notify::flag(NotifyType::InitialContact)));
        // RFC 4555 §3.3: we can move between addresses.
        out.push(Payload::Notify(Notify::flag(NotifyType::MobikeSupported)));
        out
    }

    pub(super) fn on_auth_reply(&mut self, now: Instant, auth: AuthState, payloads: Vec<Payload>) {
        match self.finish_auth(&auth, &payloads) {
            Ok(established) => {
                self.child_spi = Some(established.child.spi_in);
                self.state = State::Established(Box::new(auth.into_sa()));
                self.events.push_back(Event::Phase(Phase::Established));
                self.events
                    .push_back(Event::Established(Box::new(established)));
            }
            Err(e) => {
                // The IKE SA may exist on the SC even though we refuse it:
                // tell it (RFC 7296 §1.4.1), without waiting.
                let mut sa = auth.into_sa();
                let _ = self.send_delete_unacknowledged(&mut sa);
                let _ = now;
                self.fail(e);
            }
        }
    }

    fn finish_auth(
        &self,
        auth: &AuthState,
        payloads: &[Payload],
    ) -> Result<Established, InitiatorError> {
        let reply = AuthReply::sort(payloads);
        // AUTHENTICATION_FAILED and friends come without IDr/AUTH.
        if reply.auth.is_none() {
            if let Some(notify) = is_error_notify(payloads) {
                return Err(InitiatorError::from_notify(Phase::Authenticating, notify));
            }
        }
        let id_r = reply
            .id_r
            .ok_or(InitiatorError::Protocol("IKE_AUTH reply without IDr"))?;
        let expected = &self.config.remote_id;
        if id_r.id_type != expected.id_type || id_r.data != expected.data {
            return Err(InitiatorError::ScIdentityMismatch {
                expected: describe(expected),
                got: describe(id_r),
            });
        }
        let sc_auth = reply
            .auth
            .ok_or(InitiatorError::ScAuthInvalid("no AUTH payload"))?;
        let sa = &auth.sa;
        let prf = sa.suite.prf;
        let octets = signed_octets(
            prf,
            &sa.init_reply,
            &self.nonce_i,
            sa.keys.sk_pr.as_bytes(),
            id_r,
        );
        match &self.config.sc_auth {
            ScAuth::SharedKey(psk) => {
                if sc_auth.method != AuthMethod::SharedKeyMic {
                    return Err(InitiatorError::ScAuthInvalid(
                        "the SC did not use the pre-shared key",
                    ));
                }
                if !verify_shared_key_auth(prf, psk.as_bytes(), &octets, &sc_auth.data) {
                    return Err(InitiatorError::ScAuthInvalid("pre-shared key MAC mismatch"));
                }
            }
        }
        // The SC is authenticated: errors now concern the CHILD_SA.
        if let Some(notify) = is_error_notify(payloads) {
            return Err(InitiatorError::from_notify(Phase::Authenticating, notify));
        }
        self.child_from_reply(auth, &reply, describe(id_r))
    }

    fn child_from_reply(
        &self,
        auth: &AuthState,
        reply: &AuthReply<'_>,
        sc_identity: String,
    ) -> Result<Established, InitiatorError> {
        let (sa_p, ts_i, ts_r) = match (reply.sa, reply.ts_i, reply.ts_r) {
            (Some(sa), Some(i), Some(r)) => (sa, i, r),
            _ => {
                return Err(InitiatorError::Protocol(
                    "IKE_AUTH reply without SA, TSi and TSr",
                ))
            }
        };
        let (suite, spi_out) = EspOffer::chosen(&self.config.esp_offers, sa_p)?;
        let local_ts = ranges(ts_i);
        let remote_ts = ranges(ts_r);
        if !is_narrowing(&self.config.local_ts, &local_ts) {
            return Err(InitiatorError::TsUnacceptable(
                "TSi is not within what we proposed",
            ));
        }
        if !is_narrowing(&self.config.remote_ts, &remote_ts) {
            return Err(InitiatorError::TsUnacceptable(
                "TSr is not within what we proposed",
            ));
        }
        let config = match reply.cp {
            Some(cp) if cp.cfg_type == CfgType::Reply => TunnelConfig::from_reply(cp).0,
            _ => TunnelConfig::default(),
        };
        if self.config.request_config && config.ipv4.is_none() && config.ipv6.is_none() {
            return Err(InitiatorError::NoInnerAddress);
        }
        let sa = &auth.sa;
        let encr_len = suite.encryption.keymat_len();
        let integ_len = suite.integrity.map_or(0, |i| i.key_len());
        let keys = derive_child_sa_keys(
            sa.suite.prf,
            sa.keys.sk_d.as_bytes(),
            None,
            &self.nonce_i,
            &sa.nonce_r,
            encr_len,
            integ_len,
        )?;
        Ok(Established {
            suite: sa.suite,
            child: ChildSa {
                spi_in: auth.child_spi,
                spi_out,
                suite,
                keys,
                local_ts,
                remote_ts,
            },
            config,
            nat: sa.nat,
            sc_identity,
            sc_address: self.remote,
        })
    }
}

/// An identity for messages: text when it has a text form.
pub(super) fn describe(id: &Identification) -> String {
    id.to_text()
        .unwrap_or_else(|| format!("{} ({} bytes)", id.id_type, id.data.len()))
}

/// A random SPI outside the reserved range 0-255 (RFC 4303 §2.1).
fn random_spi() -> Result<u32, InitiatorError> {
    let rng = SystemRandom::new();
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b).map_err(|_| CryptoError::RandomFailure)?;
        let spi = u32::from_be_bytes(b);
        if spi >= 256 {
            return Ok(spi);
        }
    }
}
