//! The fake SC's CHILD_SAs after IKE_AUTH: answering the client's
//! CREATE_CHILD_SA (new and rekeyed CHILD_SAs, RFC 7296 §1.3) and
//! INFORMATIONAL requests (DELETE, liveness checks, §1.4), rekeying a
//! CHILD_SA itself and reading the client's answer, and the bookkeeping of
//! SPIs, nonces and answers kept for retransmissions.

use crate::crypto::{DhGroup, KeyExchange};
use crate::ike::child::{ranges, selectors, EspOffer};
use crate::ike::message::Message;
use crate::ike::natt::{classify_port_4500, Port4500};
use crate::ike::payload::{
    Delete, KeyExchange as KePayload, Nonce, Notify, Payload, SecurityAssociation,
};
use crate::ike::protect::open_message;
use crate::ike::types::*;

use super::super::fake_child::{child_keys, first_of_each_type, suite_of, FakeChild, Side};
use super::FakeSc;

/// A CHILD_SA rekey the SC started (RFC 7296 §1.3.3), until the client answers.
pub(super) struct PendingRekey {
    message_id: u32,
    /// Index in `children` of the CHILD_SA being rekeyed.
    old: usize,
    offer: EspOffer,
    /// The SC's inbound SPI of the new CHILD_SA.
    sc_spi: u32,
    nonce: Vec<u8>,
    ke: Option<KeyExchange>,
}

impl FakeSc {
    /// A response from the client (decoded as `m`): the answer to one of
    /// the SC's pending rekeys is read by [`FakeSc::take_rekey_response`]
    /// into [`FakeSc::rekey_answers`], the one to an IKE SA rekey into
    /// [`FakeSc::ike_rekey_answers`]; any other is only recorded.
    pub(super) fn take_response(&mut self, datagram: &[u8], m: &Message) {
        if self.take_ike_rekey_answer(datagram, m) {
            return;
        }
        let ours = self
            .pending_rekeys
            .iter()
            .any(|p| p.message_id == m.header.message_id);
        if m.header.exchange == ExchangeType::CreateChildSa && ours {
            let result = self.take_rekey_response(datagram);
            self.rekey_answers.push(result);
        }
    }

    /// The cached answer if `m` retransmits the client's last answered
    /// CREATE_CHILD_SA or INFORMATIONAL request (RFC 7296 §2.1).
    fn cached_answer(&self, m: &Message) -> Option<Vec<u8>> {
        match &self.last_answer {
            Some((exchange, id, answer))
                if *exchange == m.header.exchange && *id == m.header.message_id =>
            {
                Some(answer.clone())
            }
            _ => None,
        }
    }

    /// Seals an answer to `m` and keeps it for retransmissions of `m`.
    pub(super) fn answer(&mut self, m: &Message, payloads: &[Payload]) -> Vec<Vec<u8>> {
        let sealed = self.seal(self.reply_header(m), payloads);
        self.last_answer = Some((m.header.exchange, m.header.message_id, sealed.clone()));
        vec![sealed]
    }

    /// INFORMATIONAL from the client (RFC 7296 §1.4): an empty request is a
    /// liveness check and gets an empty answer; Delete(IKE) gets an empty
    /// answer; Delete(ESP) of the client's inbound SPIs marks those
    /// CHILD_SAs deleted and is answered with Delete(ESP) of the SC's
    /// inbound SPIs of the same CHILD_SAs (RFC 7296 §1.4.1).
    pub(super) fn informational(&mut self, bytes: &[u8], m: &Message) -> Vec<Vec<u8>> {
        let inner =
            open_message(bytes, m, self.inbound.as_ref().unwrap()).expect("INFORMATIONAL opens");
        self.informational_requests.push(inner.clone());
        if let Some(answer) = self.cached_answer(m) {
            return vec![answer];
        }
        if self.script.ignore_informational {
            return Vec::new();
        }
        let mut deleted = Vec::new();
        for p in &inner {
            let Payload::Delete(d) = p else { continue };
            if d.protocol != ProtocolId::Esp {
                continue;
            }
            for spi in &d.spis {
                let spi = u32::from_be_bytes(spi.as_slice().try_into().expect("4-byte ESP SPI"));
                if let Some(child) = self
                    .children
                    .iter_mut()
                    .find(|c| c.client_spi == spi && !c.deleted)
                {
                    child.deleted = true;
                    deleted.push(child.sc_spi);
                }
            }
        }
        let mut payloads = if deleted.is_empty() {
            Vec::new()
        } else {
            vec![Payload::Delete(Delete::esp(&deleted))]
        };
        payloads.extend(self.mobike_answer(&inner));
        self.answer(m, &payloads)
    }

    /// A fresh 32-byte nonce, different for every CREATE_CHILD_SA exchange.
    pub(super) fn fresh_nonce(&mut self) -> Vec<u8> {
        self.nonces_made += 1;
        let mut nonce = vec![0x6e; 28];
        nonce.extend_from_slice(&self.nonces_made.to_be_bytes());
        nonce
    }

    /// A fresh inbound SPI for a new CHILD_SA.
    fn fresh_child_spi(&mut self) -> u32 {
        let spi = self.next_child_spi;
        self.next_child_spi += 1;
        spi
    }

    /// The index of the live CHILD_SA whose client inbound SPI is `spi`.
    pub fn child_by_client_spi(&self, spi: u32) -> Option<usize> {
        self.children
            .iter()
            .position(|c| c.client_spi == spi && !c.deleted)
    }

    /// CREATE_CHILD_SA from the client. Rekeying a CHILD_SA (RFC 7296
    /// §1.3.3): `SA, Ni, [KEi], N(REKEY_SA), TSi, TSr` is answered with
    /// `SA, Nr, [KEr], TSi, TSr`, the SA being the client's first proposal
    /// reduced to the first transform of each type (§2.7; for the KE type,
    /// the KEi group if the proposal lists it), a fresh SC SPI, and the
    /// selectors echoed. The new keys are `prf+(SK_d, [g^ir |] Ni | Nr)`
    /// with the client's nonce first (§2.17). Without N(REKEY_SA) a new
    /// CHILD_SA is made the same way (§1.3.1); an SA with an IKE proposal
    /// rekeys the IKE SA instead (`fake_sc_ike_rekey.rs`; the script's
    /// `drop_create_child` and `refuse_create_child` apply to it too).
    /// Errors: NO_PROPOSAL_CHOSEN for a proposal the fake cannot use,
    /// INVALID_KE_PAYLOAD when KEi is missing or of another group (§1.3),
    /// CHILD_SA_NOT_FOUND when the SA to rekey is unknown (§2.25).
    pub(super) fn create_child(&mut self, bytes: &[u8], m: &Message) -> Vec<Vec<u8>> {
        let inner =
            open_message(bytes, m, self.inbound.as_ref().unwrap()).expect("CREATE_CHILD_SA opens");
        self.create_child_requests.push(inner.clone());
        if let Some(answer) = self.cached_answer(m) {
            return vec![answer];
        }
        if self.script.drop_create_child {
            return Vec::new();
        }
        if let Some(kind) = self.script.refuse_create_child {
            return self.answer(m, &[Payload::Notify(Notify::flag(kind))]);
        }
        if super::ike_rekey::proposes_ike(&inner) {
            return self.rekey_ike(m, &inner);
        }
        let refuse = |kind| [Payload::Notify(Notify::flag(kind))];
        let sa = inner
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has an SA payload");
        let ni = inner
            .iter()
            .find_map(|p| match p {
                Payload::Nonce(n) => Some(n.0.clone()),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has a nonce");
        let kei = inner.iter().find_map(|p| match p {
            Payload::KeyExchange(k) => Some(k),
            _ => None,
        });
        let ts_i = inner
            .iter()
            .find_map(|p| match p {
                Payload::TsInitiator(t) => Some(t.clone()),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has TSi");
        let ts_r = inner
            .iter()
            .find_map(|p| match p {
                Payload::TsResponder(t) => Some(t.clone()),
                _ => None,
            })
            .expect("CREATE_CHILD_SA has TSr");
        let rekeyed = inner.iter().find_map(|p| match p {
            Payload::Notify(n) if n.kind == NotifyType::RekeySa => Some(n),
            _ => None,
        });
        let offered = &sa.proposals[0];
        if offered.protocol != ProtocolId::Esp {
            return self.answer(m, &refuse(NotifyType::NoProposalChosen));
        }
        let mut chosen = first_of_each_type(offered);
        if let Some(kei) = kei {
            let wanted = offered
                .transforms_of(TransformType::KeyExchange)
                .find(|t| t.id == kei.group.raw())
                .cloned();
            if let (Some(wanted), Some(slot)) = (
                wanted,
                chosen
                    .transforms
                    .iter_mut()
                    .find(|t| t.kind == TransformType::KeyExchange),
            ) {
                *slot = wanted;
            }
        }
        let Ok((suite, group)) = suite_of(&chosen) else {
            return self.answer(m, &refuse(NotifyType::NoProposalChosen));
        };
        let client_spi = u32::from_be_bytes(
            offered
                .spi
                .as_slice()
                .try_into()
                .expect("4-byte ESP SPI in CREATE_CHILD_SA"),
        );
        let rekeyed_from = match rekeyed {
            None => None,
            Some(n) => {
                let old = u32::from_be_bytes(
                    n.spi.as_slice().try_into().expect("4-byte SPI in REKEY_SA"),
                );
                if self.child_by_client_spi(old).is_none() {
                    let mut notify = Notify::flag(NotifyType::ChildSaNotFound);
                    notify.protocol = ProtocolId::Esp;
                    notify.spi = n.spi.clone();
                    return self.answer(m, &[Payload::Notify(notify)]);
                }
                Some(old)
            }
        };
        let (ker, shared) = match group {
            None => (None, None),
            Some(group) => match kei {
                Some(kei) if kei.group.raw() == group.iana_id() => {
                    let ours = KeyExchange::generate(group).unwrap();
                    let public = ours.public_key().to_vec();
                    let shared = ours.agree(&kei.data).expect("the client's KEi agrees");
                    (
                        Some(KePayload {
                            group: kei.group,
                            data: public,
                        }),
                        Some(shared),
                    )
                }
                _ => {
                    let data = group.iana_id().to_be_bytes().to_vec();
                    let notify = Notify::new(NotifyType::InvalidKePayload, data);
                    return self.answer(m, &[Payload::Notify(notify)]);
                }
            },
        };
        let sc_spi = self.fresh_child_spi();
        chosen.spi = sc_spi.to_be_bytes().to_vec();
        let nr = self.fresh_nonce();
        let keys = child_keys(
            self.suite.unwrap().prf,
            self.sk_d.as_bytes(),
            shared.as_ref().map(|s| s.as_bytes()),
            &ni,
            &nr,
            &suite,
        );
        let mut record = FakeChild::new(Side::Client, sc_spi, client_spi, suite, keys)
            .with_ts(ranges(&ts_i), ranges(&ts_r));
        record.rekeyed_from = rekeyed_from;
        self.children.push(record);
        let mut payloads = vec![
            Payload::SecurityAssociation(SecurityAssociation {
                proposals: vec![chosen],
            }),
            Payload::Nonce(Nonce(nr)),
        ];
        payloads.extend(ker.map(Payload::KeyExchange));
        payloads.push(Payload::TsInitiator(ts_i));
        payloads.push(Payload::TsResponder(ts_r));
        self.answer(m, &payloads)
    }

    /// A CREATE_CHILD_SA request from the SC rekeying `children[child_index]`
    /// (RFC 7296 §1.3.3): `N(REKEY_SA), SA, Ni, [KEi], TSi, TSr`, where the
    /// SA offers exactly that CHILD_SA's suite (plus `pfs`) with a fresh SC
    /// SPI, REKEY_SA names the SC's inbound SPI of the old CHILD_SA, TSi is
    /// the SC's side and TSr the client's. Protected and framed like
    /// [`FakeSc::request`], with the next SC message ID. Pass the client's
    /// answer to [`FakeSc::take_rekey_response`].
    pub fn rekey_child_request(&mut self, child_index: usize, pfs: Option<DhGroup>) -> Vec<u8> {
        let old = &self.children[child_index];
        let suite = old.suite;
        let rekey_spi = old.sc_spi;
        let (sc_ts, client_ts) = (old.sc_ts.clone(), old.client_ts.clone());
        let offer = EspOffer {
            encryption: vec![suite.encryption],
            integrity: suite.integrity.into_iter().collect(),
            groups: pfs.into_iter().collect(),
            esn: vec![suite.esn],
        };
        let sc_spi = self.fresh_child_spi();
        let nonce = self.fresh_nonce();
        let ke = pfs.map(|g| KeyExchange::generate(g).unwrap());
        let mut rekey = Notify::flag(NotifyType::RekeySa);
        rekey.protocol = ProtocolId::Esp;
        rekey.spi = rekey_spi.to_be_bytes().to_vec();
        let mut payloads = vec![
            Payload::Notify(rekey),
            Payload::SecurityAssociation(EspOffer::to_sa(std::slice::from_ref(&offer), sc_spi)),
            Payload::Nonce(Nonce(nonce.clone())),
        ];
        if let (Some(ke), Some(group)) = (&ke, pfs) {
            payloads.push(Payload::KeyExchange(KePayload {
                group: KeyExchangeId::from(group.iana_id()),
                data: ke.public_key().to_vec(),
            }));
        }
        payloads.push(Payload::TsInitiator(selectors(&sc_ts)));
        payloads.push(Payload::TsResponder(selectors(&client_ts)));
        self.pending_rekeys.push(PendingRekey {
            message_id: self.next_request_id,
            old: child_index,
            offer,
            sc_spi,
            nonce,
            ke,
        });
        self.request(ExchangeType::CreateChildSa, &payloads)
    }

    /// Reads the client's answer to a [`FakeSc::rekey_child_request`]:
    /// checks the SA is our one proposal with a 4-byte SPI, takes Nr and,
    /// with PFS, KEr, derives the keys with the SC's nonce first (the SC
    /// initiated the exchange, so the first half of KEYMAT protects
    /// SC→client, RFC 7296 §2.17), records the new CHILD_SA and returns its
    /// index in `children`. `Err` describes an error notification or a
    /// malformed answer; either way the exchange is over.
    pub fn take_rekey_response(&mut self, datagram: &[u8]) -> Result<usize, String> {
        let ike = match classify_port_4500(datagram) {
            Port4500::Ike(ike) if self.natt => ike,
            _ => datagram,
        };
        let m = Message::decode(ike).map_err(|e| format!("undecodable answer: {e}"))?;
        if !m.header.flags.response() || m.header.exchange != ExchangeType::CreateChildSa {
            return Err(format!(
                "not a CREATE_CHILD_SA response: {} response={}",
                m.header.exchange,
                m.header.flags.response()
            ));
        }
        let position = self
            .pending_rekeys
            .iter()
            .position(|p| p.message_id == m.header.message_id)
            .ok_or_else(|| format!("no rekey pending with message ID {}", m.header.message_id))?;
        let inner = open_message(ike, &m, self.inbound.as_ref().unwrap())
            .map_err(|e| format!("the answer does not open: {e}"))?;
        let pending = self.pending_rekeys.remove(position);
        if let Some(n) = inner.iter().find_map(|p| match p {
            Payload::Notify(n) if n.kind.raw() < 16384 => Some(n),
            _ => None,
        }) {
            return Err(format!("the client refused: {}", n.kind));
        }
        let sa = inner
            .iter()
            .find_map(|p| match p {
                Payload::SecurityAssociation(s) => Some(s),
                _ => None,
            })
            .ok_or("no SA payload")?;
        let (suite, client_spi) = EspOffer::chosen(std::slice::from_ref(&pending.offer), sa)
            .map_err(|e| format!("not our proposal: {e}"))?;
        let groups: Vec<u16> = sa.proposals[0]
            .transforms_of(TransformType::KeyExchange)
            .map(|t| t.id)
            .filter(|id| *id != 0)
            .collect();
        let offered: Vec<u16> = pending.offer.groups.iter().map(|g| g.iana_id()).collect();
        if groups != offered {
            return Err(format!("KE transforms {groups:?}, offered {offered:?}"));
        }
        let nr = inner
            .iter()
            .find_map(|p| match p {
                Payload::Nonce(n) => Some(n.0.clone()),
                _ => None,
            })
            .ok_or("no nonce")?;
        let ker = inner.iter().find_map(|p| match p {
            Payload::KeyExchange(k) => Some(k),
            _ => None,
        });
        let shared = match (pending.ke, ker) {
            (None, None) => None,
            (Some(ours), Some(ker)) if ker.group.raw() == ours.group().iana_id() => Some(
                ours.agree(&ker.data)
                    .map_err(|e| format!("KEr does not agree: {e}"))?,
            ),
            (Some(_), Some(ker)) => return Err(format!("KEr of group {}", ker.group)),
            (Some(_), None) => return Err("no KEr with PFS".to_owned()),
            (None, Some(_)) => return Err("KEr without PFS".to_owned()),
        };
        let ts = |initiator: bool| {
            inner.iter().find_map(|p| match p {
                Payload::TsInitiator(t) if initiator => Some(ranges(t)),
                Payload::TsResponder(t) if !initiator => Some(ranges(t)),
                _ => None,
            })
        };
        // The SC initiated: TSi is its side, TSr the client's.
        let sc_ts = ts(true).ok_or("no TSi")?;
        let client_ts = ts(false).ok_or("no TSr")?;
        let keys = child_keys(
            self.suite.unwrap().prf,
            self.sk_d.as_bytes(),
            shared.as_ref().map(|s| s.as_bytes()),
            &pending.nonce,
            &nr,
            &suite,
        );
        let old_client_spi = self.children[pending.old].client_spi;
        let record = FakeChild::new(Side::Sc, pending.sc_spi, client_spi, suite, keys)
            .with_ts(client_ts, sc_ts)
            .rekeying(old_client_spi);
        self.children.push(record);
        Ok(self.children.len() - 1)
    }
}
