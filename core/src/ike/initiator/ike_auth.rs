//! IKE_AUTH from the initiator's side (RFC 7296 §1.2, §2.15–2.17): our
//! identity and proof, the SC's identity and proof, and the first CHILD_SA
//! with its configuration payload. The SC is authenticated before anything
//! derived from the user's secret leaves the laptop.

use std::time::Instant;

use crate::crypto::{derive_child_sa_keys, SecretBytes};
use crate::eap::{EapOutcome, EapPeer};
use crate::ike::auth::{shared_key_auth, signed_octets, verify_shared_key_auth};
use crate::ike::child::{is_narrowing, ranges, selectors, ChildSa, EspOffer, TunnelConfig};
use crate::ike::payload::{
    Authentication, Certificate, CertificateRequest, CfgAttribute, Configuration, EapMessage,
    Identification, Notify, Payload,
};
use crate::ike::sa_init::SIGNATURE_HASHES;
use crate::ike::types::{
    AuthMethod, CertEncoding, CfgAttributeType, CfgType, ExchangeType, NotifyType,
};
use crate::pki::{check_legacy_downgrade, verify_auth, verify_peer_certificate, ExpectedIdentity};

use super::child_rekey::random_spi;
use super::exchange::is_error_notify;
use super::sa::IkeSa;
use super::{ClientAuth, Established, Event, Initiator, InitiatorError, Phase, ScAuth, State};

/// IKE_AUTH under way.
pub(super) struct AuthState {
    sa: IkeSa,
    /// Our inbound SPI for the CHILD_SA.
    child_spi: u32,
    /// Where IKE_AUTH stands.
    step: Step,
}

/// IKE_AUTH's rounds (RFC 7296 §1.2, §2.16).
enum Step {
    /// Our first request is out.
    First,
    /// The SC proved `id_r`; EAP waits for [`Initiator::proceed`]
    /// (`confirm_sc`).
    Proven {
        peer: Box<EapPeer>,
        id_r: Identification,
        request: EapMessage,
    },
    /// EAP is running; the SC proved `id_r` already.
    Eap {
        peer: Box<EapPeer>,
        id_r: Identification,
    },
    /// EAP succeeded and our MSK-based AUTH is out.
    FinalAuth {
        msk: SecretBytes,
        id_r: Identification,
    },
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
    certs: Vec<&'a [u8]>,
    eap: Option<&'a EapMessage>,
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
                Payload::Certificate(c) if c.encoding == CertEncoding::X509Signature => {
                    r.certs.push(&c.data)
                }
                Payload::Eap(e) => r.eap = Some(e),
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
        if matches!(self.config.sc_auth, ScAuth::Certificate(_)) && self.config.wall_clock.is_none()
        {
            return Err(InitiatorError::Config(
                "certificate checks need the wall-clock time",
            ));
        }
        let octets = signed_octets(
            prf,
            &sa.init_request,
            &sa.nonce_r,
            sa.keys.sk_pi.as_bytes(),
            &self.config.local_id,
        );
        let mut inner = vec![Payload::IdInitiator(self.config.local_id.clone())];
        if let ClientAuth::Certificate {
            certificate,
            intermediates,
            ..
        } = &self.config.client_auth
        {
            for der in std::iter::once(certificate).chain(intermediates) {
                inner.push(Payload::Certificate(Certificate {
                    encoding: CertEncoding::X509Signature,
                    data: der.clone(),
                }));
            }
        }
        if let ScAuth::Certificate(anchors) = &self.config.sc_auth {
            // RFC 7296 §3.7: name the CA we trust so the SC sends the right chain.
            inner.push(Payload::CertificateRequest(CertificateRequest {
                encoding: CertEncoding::X509Signature,
                authority: anchors.certreq_authorities(),
            }));
        }
        inner.push(Payload::IdResponder(self.config.remote_id.clone()));
        match &self.config.client_auth {
            ClientAuth::Psk(psk) => {
                inner.push(Payload::Authentication(Authentication {
                    method: AuthMethod::SharedKeyMic,
                    data: shared_key_auth(prf, psk.as_bytes(), &octets)
                        .as_bytes()
                        .to_vec(),
                }));
            }
            ClientAuth::Certificate { signer, .. } => {
                let (method, data) = signer
                    .sign(&octets, &sa.signature_hashes)
                    .map_err(InitiatorError::OwnSignature)?;
                inner.push(Payload::Authentication(Authentication { method, data }));
            }
            // RFC 7296 §2.16: no AUTH payload announces EAP.
            ClientAuth::EapMsChapV2 { .. } => {}
        }
        inner.extend(self.child_request(child_spi));
        self.send_protected(
            now,
            &mut sa,
            ExchangeType::IkeAuth,
            &inner,
            Phase::Authenticating,
        )?;
        self.state = State::Auth(Box::new(AuthState {
            sa,
            child_spi,
            step: Step::First,
        }));
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
        // RFC 4555 §3.2: we can move between addresses.
        out.push(Payload::Notify(Notify::flag(NotifyType::MobikeSupported)));
        out
    }

    pub(super) fn on_auth_reply(
        &mut self,
        now: Instant,
        mut auth: AuthState,
        payloads: Vec<Payload>,
    ) {
        match self.auth_round(now, &mut auth, &payloads) {
            Ok(Some(mut established)) => {
                self.mobike_negotiated(&payloads);
                established.mobike = self.mobike.enabled;
                self.state = State::Established(Box::new(auth.into_sa()));
                self.track_child(now, &established.child);
                self.note_inbound(now);
                self.events.push_back(Event::Phase(Phase::Established));
                self.events
                    .push_back(Event::Established(Box::new(established)));
                // A NAT check, with MOBIKE.
                self.start_next_want(now);
            }
            Ok(None) => {
                // Another round is out (EAP, or our MSK-based AUTH).
                self.state = State::Auth(Box::new(auth));
            }
            Err(e) => {
                // The IKE SA may exist on the SC even though we refuse it:
                // tell it (RFC 7296 §1.4.1), without waiting.
                let mut sa = auth.into_sa();
                let _ = self.send_delete_unacknowledged(&mut sa);
                self.fail(e);
            }
        }
    }

    /// Handles one IKE_AUTH reply; returns the result once the CHILD_SA is up.
    fn auth_round(
        &mut self,
        now: Instant,
        auth: &mut AuthState,
        payloads: &[Payload],
    ) -> Result<Option<Established>, InitiatorError> {
        let reply = AuthReply::sort(payloads);
        match std::mem::replace(&mut auth.step, Step::First) {
            Step::First => {
                // AUTHENTICATION_FAILED and friends come without IDr/AUTH.
                if reply.auth.is_none() {
                    if let Some(notify) = is_error_notify(payloads) {
                        return Err(InitiatorError::from_notify(Phase::Authenticating, notify));
                    }
                }
                let id_r = self.authenticate_sc(&auth.sa, &reply)?;
                if let ClientAuth::EapMsChapV2 { identity, password } = &self.config.client_auth {
                    // Only now, with the SC proven, does EAP begin.
                    let password = std::str::from_utf8(password.as_bytes())
                        .map_err(|_| InitiatorError::Config("the password is not valid UTF-8"))?;
                    let peer = Box::new(EapPeer::mschapv2(identity, password)?);
                    let request = reply
                        .eap
                        .ok_or(InitiatorError::Protocol("the SC did not start EAP"))?;
                    if self.config.confirm_sc {
                        self.events.push_back(Event::ScProven {
                            identity: describe(&id_r),
                        });
                        auth.step = Step::Proven {
                            peer,
                            id_r,
                            request: request.clone(),
                        };
                        return Ok(None);
                    }
                    auth.step = Step::Eap {
                        peer,
                        id_r: id_r.clone(),
                    };
                    return self.eap_round(now, auth, request);
                }
                if let Some(notify) = is_error_notify(payloads) {
                    return Err(InitiatorError::from_notify(Phase::Authenticating, notify));
                }
                self.child_from_reply(auth, &reply, describe(&id_r))
                    .map(Some)
            }
            step @ Step::Proven { .. } => {
                auth.step = step;
                Err(InitiatorError::Protocol(
                    "an IKE_AUTH reply while none was asked for",
                ))
            }
            step @ Step::Eap { .. } => {
                auth.step = step;
                let Some(request) = reply.eap else {
                    if let Some(notify) = is_error_notify(payloads) {
                        return Err(InitiatorError::from_notify(Phase::Authenticating, notify));
                    }
                    return Err(InitiatorError::Protocol(
                        "IKE_AUTH reply without EAP during EAP",
                    ));
                };
                self.eap_round(now, auth, request)
            }
            Step::FinalAuth { msk, id_r } => {
                let sc_auth = reply.auth.ok_or_else(|| match is_error_notify(payloads) {
                    Some(notify) => InitiatorError::from_notify(Phase::Authenticating, notify),
                    None => InitiatorError::ScAuthInvalid("no AUTH payload after EAP"),
                })?;
                let sa = &auth.sa;
                let prf = sa.suite.prf;
                let octets = signed_octets(
                    prf,
                    &sa.init_reply,
                    &self.nonce_i,
                    sa.keys.sk_pr.as_bytes(),
                    &id_r,
                );
                // RFC 7296 §2.16: the SC's AUTH over the MSK proves it ran EAP with us.
                if sc_auth.method != AuthMethod::SharedKeyMic
                    || !verify_shared_key_auth(prf, msk.as_bytes(), &octets, &sc_auth.data)
                {
                    return Err(InitiatorError::ScAuthInvalid(
                        "the MSK-based AUTH does not verify",
                    ));
                }
                if let Some(notify) = is_error_notify(payloads) {
                    return Err(InitiatorError::from_notify(Phase::Authenticating, notify));
                }
                self.child_from_reply(auth, &reply, describe(&id_r))
                    .map(Some)
            }
        }
    }

    /// Goes on after [`Event::ScProven`]: answers the SC's first EAP
    /// request. Does nothing in any other state.
    pub fn proceed(&mut self, now: Instant) {
        let State::Auth(auth) = &mut self.state else {
            return;
        };
        let Step::Proven { .. } = &auth.step else {
            return;
        };
        let State::Auth(mut auth) = std::mem::replace(&mut self.state, State::Closed) else {
            return;
        };
        let Step::Proven {
            peer,
            id_r,
            request,
        } = std::mem::replace(&mut auth.step, Step::First)
        else {
            return;
        };
        auth.step = Step::Eap { peer, id_r };
        match self.eap_round(now, &mut auth, &request) {
            Ok(_) => self.state = State::Auth(auth),
            Err(e) => {
                let mut sa = auth.into_sa();
                let _ = self.send_delete_unacknowledged(&mut sa);
                self.fail(e);
            }
        }
    }

    /// One EAP request from the SC: answer it, or on success send our
    /// MSK-based AUTH (RFC 7296 §2.16).
    fn eap_round(
        &mut self,
        now: Instant,
        auth: &mut AuthState,
        request: &EapMessage,
    ) -> Result<Option<Established>, InitiatorError> {
        let Step::Eap { peer, id_r } = &mut auth.step else {
            return Err(InitiatorError::Protocol("EAP outside the EAP round"));
        };
        match peer.process(request) {
            EapOutcome::Send(response) => {
                self.send_protected(
                    now,
                    &mut auth.sa,
                    ExchangeType::IkeAuth,
                    &[Payload::Eap(response)],
                    Phase::Authenticating,
                )?;
                Ok(None)
            }
            EapOutcome::Succeeded { msk } => {
                let id_r = id_r.clone();
                let sa = &mut auth.sa;
                let prf = sa.suite.prf;
                let octets = signed_octets(
                    prf,
                    &sa.init_request,
                    &sa.nonce_r,
                    sa.keys.sk_pi.as_bytes(),
                    &self.config.local_id,
                );
                let data = shared_key_auth(prf, msk.as_bytes(), &octets)
                    .as_bytes()
                    .to_vec();
                self.send_protected(
                    now,
                    sa,
                    ExchangeType::IkeAuth,
                    &[Payload::Authentication(Authentication {
                        method: AuthMethod::SharedKeyMic,
                        data,
                    })],
                    Phase::Authenticating,
                )?;
                auth.step = Step::FinalAuth { msk, id_r };
                Ok(None)
            }
            EapOutcome::Failed { error, response } => {
                if let Some(response) = response {
                    // The method's last word (e.g. MS-CHAPv2 Failure-Response),
                    // sent once; we do not wait for more and do not retry.
                    let message_id = self.next_message_id;
                    let header = crate::ike::header::Header::new(
                        self.spi_i,
                        self.spi_r,
                        ExchangeType::IkeAuth,
                        crate::ike::header::Flags::new(true, false),
                        message_id,
                    );
                    let datagrams =
                        self.protect(&mut auth.sa, header, &[Payload::Eap(response)])?;
                    self.next_message_id = message_id.wrapping_add(1);
                    for d in datagrams {
                        self.queue(d);
                    }
                }
                Err(InitiatorError::Eap(error))
            }
        }
    }

    /// Checks the SC's IDr and AUTH (and certificate) in its first IKE_AUTH
    /// reply; returns the identity it proved.
    fn authenticate_sc(
        &self,
        sa: &IkeSa,
        reply: &AuthReply<'_>,
    ) -> Result<Identification, InitiatorError> {
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
            ScAuth::Certificate(anchors) => {
                let expected = ExpectedIdentity::from_id_payload(expected).map_err(|_| {
                    InitiatorError::Config("the SC identity cannot be matched against certificates")
                })?;
                let (end_entity, intermediates) = reply
                    .certs
                    .split_first()
                    .ok_or(InitiatorError::ScAuthInvalid("the SC sent no certificate"))?;
                let time = self.config.wall_clock.ok_or(InitiatorError::Config(
                    "certificate checks need the wall-clock time",
                ))?;
                let peer =
                    verify_peer_certificate(end_entity, intermediates, anchors, time, &expected)?;
                // An SC that announced SHA-2 signatures must not fall back to
                // SHA-1 RSA_SIG (a downgrade), RFC 7427 §4.
                check_legacy_downgrade(sc_auth.method, &sa.signature_hashes)?;
                verify_auth(
                    &peer,
                    sc_auth.method,
                    &sc_auth.data,
                    &octets,
                    &SIGNATURE_HASHES,
                )?;
            }
        }
        Ok(id_r.clone())
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
            mobike: false,
        })
    }
}

/// An identity for messages: text when it has a text form.
pub(super) fn describe(id: &Identification) -> String {
    id.to_text()
        .unwrap_or_else(|| format!("{} ({} bytes)", id.id_type, id.data.len()))
}
