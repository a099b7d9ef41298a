//! The fake SC's side of IKE SA rekeying (RFC 7296 §1.3.2, §2.18): it
//! answers the client's CREATE_CHILD_SA with an IKE proposal, derives the
//! new IKE SA's keys from the old SK_d and switches to it, keeping the
//! replaced SA's SPIs and ciphers until the client's DELETE of it has been
//! answered under them. It can also ask the client to rekey the IKE SA.

use crate::crypto::{
    derive_rekeyed_ike_keys, DhGroup, Encryption, IkeKeys, IkeSuite, Integrity, KeyExchange, Prf,
    SkCipher,
};
use crate::ike::header::{Flags, Header, Spi};
use crate::ike::message::Message;
use crate::ike::payload::{
    KeyExchange as KePayload, Nonce, Notify, Payload, Proposal, SecurityAssociation, Transform,
};
use crate::ike::proposals::IkeOffer;
use crate::ike::protect::{open_message, seal_message};
use crate::ike::types::*;

use super::super::fake_child::first_of_each_type;
use super::FakeSc;

/// The SC's new IKE SPIs: `5d5d5d5d 5d5d5d5d`, then counting up.
const FIRST_REKEYED_SPI: u32 = 0x5d5d_5d5d;

/// An IKE SA the client replaced, until its DELETE is answered.
struct OldSa {
    spi_i: Spi,
    spi_r: Spi,
    inbound: SkCipher,
    outbound: SkCipher,
    /// Its last answer (the rekey's), for retransmissions of the request.
    last_answer: Option<(ExchangeType, u32, Vec<u8>)>,
}

/// IKE SA rekeying state of the fake SC.
#[derive(Default)]
pub(super) struct IkeRekeys {
    /// Replaced IKE SAs not yet deleted.
    old: Vec<OldSa>,
    /// The SPIs of replaced IKE SAs that were deleted.
    deleted: Vec<(Spi, Spi)>,
    /// SC SPIs made for new IKE SAs so far.
    spis_made: u32,
    /// The message ID of the SC's [`FakeSc::ike_rekey_request`] awaiting
    /// the client's answer.
    pending: Option<u32>,
}

/// Whether a CREATE_CHILD_SA request's SA payload proposes an IKE SA.
pub(super) fn proposes_ike(payloads: &[Payload]) -> bool {
    payloads.iter().any(|p| match p {
        Payload::SecurityAssociation(sa) => {
            sa.proposals.iter().any(|p| p.protocol == ProtocolId::Ike)
        }
        _ => false,
    })
}

impl FakeSc {
    /// The current IKE SA's SPIs (initiator's, responder's).
    pub fn ike_spis(&self) -> (Spi, Spi) {
        (self.spi_i, self.spi_r)
    }

    /// Replaced IKE SAs whose DELETE has not been answered yet.
    pub fn old_sas(&self) -> usize {
        self.ike.old.len()
    }

    /// A message under the SPIs of a replaced IKE SA: `Some` with the
    /// answers (unframed) if it was one, `None` for any other message.
    /// Requests are opened with the old SA's keys and recorded in
    /// [`FakeSc::old_sa_requests`]; a retransmission of the rekey request
    /// gets the cached answer; a DELETE of the IKE SA gets an empty
    /// INFORMATIONAL answer (unless [`super::Script::drop_old_delete`]),
    /// after which the old SA is forgotten: later messages for it are
    /// dropped. Anything else is recorded and not answered.
    pub(super) fn for_replaced_sa(&mut self, bytes: &[u8], m: &Message) -> Option<Vec<Vec<u8>>> {
        let spis = (m.header.spi_i, m.header.spi_r);
        if self.ike.deleted.contains(&spis) {
            return Some(Vec::new());
        }
        let at = self
            .ike
            .old
            .iter()
            .position(|o| (o.spi_i, o.spi_r) == spis)?;
        if m.header.flags.response() {
            return Some(Vec::new());
        }
        let old = &mut self.ike.old[at];
        let inner = open_message(bytes, m, &old.inbound).expect("the replaced SA's request opens");
        self.old_sa_requests.push((m.header, inner.clone()));
        if let Some((exchange, id, answer)) = &old.last_answer {
            if *exchange == m.header.exchange && *id == m.header.message_id {
                return Some(vec![answer.clone()]);
            }
        }
        let deletes_ike = m.header.exchange == ExchangeType::Informational
            && inner
                .iter()
                .any(|p| matches!(p, Payload::Delete(d) if d.protocol == ProtocolId::Ike));
        if !deletes_ike || self.script.drop_old_delete {
            return Some(Vec::new());
        }
        let header = Header::new(
            old.spi_i,
            old.spi_r,
            ExchangeType::Informational,
            Flags::new(false, true),
            m.header.message_id,
        );
        let answer = seal_message(header, &[], &mut old.outbound).unwrap();
        self.ike.old.remove(at);
        self.ike.deleted.push(spis);
        self.old_sas_deleted += 1;
        Some(vec![answer])
    }

    /// The client's CREATE_CHILD_SA rekeying the IKE SA (RFC 7296 §1.3.2):
    /// `SA, Ni, KEi` is answered with `SA, Nr, KEr`, the SA being the
    /// client's first IKE proposal reduced to one transform of each type
    /// (the KEi group for the KE type) with a fresh 8-byte SC SPI. Then
    /// the SC switches to the new SA (§2.18): keys from the old SK_d, the
    /// client's proposal SPI as SPIi and ours as SPIr, message IDs from 0;
    /// the old SA stays for its DELETE. Errors: the script's
    /// `refuse_ike_rekey`, INVALID_SYNTAX without a usable SPI, nonce or
    /// KEi, INVALID_KE_PAYLOAD for a KEi of a group not proposed,
    /// NO_PROPOSAL_CHOSEN for algorithms the fake does not know.
    pub(super) fn rekey_ike(&mut self, m: &Message, inner: &[Payload]) -> Vec<Vec<u8>> {
        let refuse = |kind| [Payload::Notify(Notify::flag(kind))];
        if let Some(kind) = self.script.refuse_ike_rekey {
            return self.answer(m, &refuse(kind));
        }
        let offered = inner.iter().find_map(|p| match p {
            Payload::SecurityAssociation(sa) => {
                sa.proposals.iter().find(|p| p.protocol == ProtocolId::Ike)
            }
            _ => None,
        });
        let ni = inner.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(n.0.clone()),
            _ => None,
        });
        let kei = inner.iter().find_map(|p| match p {
            Payload::KeyExchange(k) => Some(k),
            _ => None,
        });
        let client_spi = offered.and_then(|p| Spi::try_from(p.spi.as_slice()).ok());
        let (Some(offered), Some(client_spi), Some(ni), Some(kei)) = (offered, client_spi, ni, kei)
        else {
            return self.answer(m, &refuse(NotifyType::InvalidSyntax));
        };
        let mut chosen = first_of_each_type(offered);
        let proposed = offered
            .transforms_of(TransformType::KeyExchange)
            .any(|t| t.id == kei.group.raw());
        let slot = chosen
            .transforms
            .iter_mut()
            .find(|t| t.kind == TransformType::KeyExchange);
        match slot {
            Some(slot) if proposed => *slot = Transform::key_exchange(kei.group),
            Some(slot) => {
                let data = slot.id.to_be_bytes().to_vec();
                let notify = Notify::new(NotifyType::InvalidKePayload, data);
                return self.answer(m, &[Payload::Notify(notify)]);
            }
            None => return self.answer(m, &refuse(NotifyType::NoProposalChosen)),
        }
        let Ok(suite) = ike_suite_of(&chosen) else {
            return self.answer(m, &refuse(NotifyType::NoProposalChosen));
        };
        let sc_spi = self.fresh_ike_spi();
        chosen.spi = sc_spi.to_vec();
        let nr = self.fresh_nonce();
        let ours = KeyExchange::generate(suite.dh).unwrap();
        let ker = ours.public_key().to_vec();
        let shared = ours.agree(&kei.data).expect("the client's KEi agrees");
        // SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old
        // PRF, then the new SA's keys as in IKE_SA_INIT (§2.18).
        let keys = derive_rekeyed_ike_keys(
            self.suite.unwrap().prf,
            self.sk_d.as_bytes(),
            &suite,
            &ni,
            &nr,
            shared.as_bytes(),
            client_spi,
            sc_spi,
        )
        .unwrap();
        let payloads = [
            Payload::SecurityAssociation(SecurityAssociation {
                proposals: vec![chosen],
            }),
            Payload::Nonce(Nonce(nr)),
            Payload::KeyExchange(KePayload {
                group: kei.group,
                data: ker,
            }),
        ];
        // Answered under the old SA; everything after under the new one.
        let answer = self.answer(m, &payloads);
        self.switch_ike_sa(suite, keys, client_spi, sc_spi);
        answer
    }

    /// Makes the new IKE SA current and keeps the old one for its DELETE.
    fn switch_ike_sa(&mut self, suite: IkeSuite, keys: IkeKeys, spi_i: Spi, spi_r: Spi) {
        self.ike.old.push(OldSa {
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            inbound: self.inbound.take().unwrap(),
            outbound: self.outbound.take().unwrap(),
            last_answer: self.last_answer.take(),
        });
        self.spi_i = spi_i;
        self.spi_r = spi_r;
        // The client stays the original initiator: SK_ei/SK_ai protect
        // what it sends.
        self.inbound =
            Some(SkCipher::new(&suite, keys.sk_ei.as_bytes(), keys.sk_ai.as_bytes()).unwrap());
        self.outbound =
            Some(SkCipher::new(&suite, keys.sk_er.as_bytes(), keys.sk_ar.as_bytes()).unwrap());
        self.sk_d = keys.sk_d;
        self.sk_pi = keys.sk_pi;
        self.sk_pr = keys.sk_pr;
        self.suite = Some(suite);
        // A new IKE SA counts message IDs from 0 both ways; the old SA's
        // outstanding requests die with it.
        self.next_request_id = 0;
        self.pending_rekeys.clear();
        self.ike.pending = None;
        self.ike_rekeys += 1;
    }

    /// A fresh SC SPI for a new IKE SA.
    fn fresh_ike_spi(&mut self) -> Spi {
        let mut spi = [0x5d; 8];
        let low = FIRST_REKEYED_SPI.wrapping_add(self.ike.spis_made);
        spi[4..].copy_from_slice(&low.to_be_bytes());
        self.ike.spis_made += 1;
        spi
    }

    /// A CREATE_CHILD_SA request from the SC rekeying the IKE SA (RFC 7296
    /// §1.3.2): `SA, Ni, KEi`, the SA one IKE proposal of the current
    /// suite with a fresh SC SPI, KEi of the current group. Protected and
    /// framed like [`FakeSc::request`]. The client's answer, arriving
    /// through [`FakeSc::handle`], is opened into
    /// [`FakeSc::ike_rekey_answers`]; the fake never takes the new SA over
    /// (the client is expected to refuse, and rekey itself).
    pub fn ike_rekey_request(&mut self) -> Vec<u8> {
        let suite = self.suite.unwrap();
        let offer = IkeOffer {
            encryption: vec![suite.encryption],
            integrity: suite.integrity.into_iter().collect(),
            prf: vec![suite.prf],
            groups: vec![suite.dh],
        };
        let spi = self.fresh_ike_spi();
        let nonce = self.fresh_nonce();
        let ke = KeyExchange::generate(suite.dh).unwrap();
        let payloads = [
            Payload::SecurityAssociation(IkeOffer::to_sa(std::slice::from_ref(&offer), &spi)),
            Payload::Nonce(Nonce(nonce)),
            Payload::KeyExchange(KePayload {
                group: KeyExchangeId::from(suite.dh.iana_id()),
                data: ke.public_key().to_vec(),
            }),
        ];
        self.ike.pending = Some(self.next_request_id);
        self.request(ExchangeType::CreateChildSa, &payloads)
    }

    /// Takes the client's answer to [`FakeSc::ike_rekey_request`] (decoded
    /// as `m`) into [`FakeSc::ike_rekey_answers`]; false if it is not one.
    pub(super) fn take_ike_rekey_answer(&mut self, datagram: &[u8], m: &Message) -> bool {
        let ours = self.ike.pending == Some(m.header.message_id)
            && m.header.exchange == ExchangeType::CreateChildSa
            && (m.header.spi_i, m.header.spi_r) == (self.spi_i, self.spi_r);
        if !ours {
            return false;
        }
        self.ike.pending = None;
        let (_, inner) = self.open_response(datagram);
        self.ike_rekey_answers.push(inner);
        true
    }
}

/// The IKE suite of a proposal holding one transform of each type (as
/// [`first_of_each_type`] leaves it); `Err` names what is not supported.
fn ike_suite_of(proposal: &Proposal) -> Result<IkeSuite, String> {
    let first = |kind| proposal.transforms_of(kind).next();
    let encr = first(TransformType::Encryption).ok_or("no encryption transform")?;
    let encryption = Encryption::from_iana(encr.id, encr.key_length())
        .ok_or_else(|| format!("unsupported encryption {}", encr.id))?;
    let prf = first(TransformType::Prf).ok_or("no PRF transform")?;
    let prf = Prf::from_iana(prf.id).ok_or_else(|| format!("unsupported PRF {}", prf.id))?;
    let integrity = match first(TransformType::Integrity) {
        None => None,
        Some(t) if t.id == 0 => None,
        Some(t) => Some(
            Integrity::from_iana(t.id).ok_or_else(|| format!("unsupported integrity {}", t.id))?,
        ),
    };
    let group = first(TransformType::KeyExchange).ok_or("no KE transform")?;
    let dh =
        DhGroup::from_iana(group.id).ok_or_else(|| format!("unsupported group {}", group.id))?;
    let suite = IkeSuite {
        encryption,
        integrity,
        prf,
        dh,
    };
    suite.validate().map_err(|e| e.to_string())?;
    Ok(suite)
}
