//! The fake SC's side of MOBIKE (RFC 4555): MOBIKE_SUPPORTED and its other
//! addresses in IKE_AUTH (§3.2, §3.4), NAT detection answered from where
//! the client's request came from (§3.8), UPDATE_SA_ADDRESSES recorded and
//! COOKIE2 echoed (§3.5, §3.7), and address-list requests of its own
//! (§3.6).

use std::net::IpAddr;

use crate::ike::message::notifies;
use crate::ike::natt::nat_detection_hash;
use crate::ike::payload::{Notify, Payload};
use crate::ike::types::{ExchangeType, NotifyType};

use super::FakeSc;

/// How the fake SC does MOBIKE.
#[derive(Clone, Debug, Default)]
pub struct MobikeScript {
    /// Addresses announced in IKE_AUTH besides its own.
    pub additional: Vec<IpAddr>,
    /// Answer UPDATE_SA_ADDRESSES without the client's COOKIE2.
    pub drop_cookie2: bool,
    /// Answer UPDATE_SA_ADDRESSES with just this error notification.
    pub refuse_update: Option<NotifyType>,
}

impl FakeSc {
    /// MOBIKE_SUPPORTED and ADDITIONAL_*_ADDRESS for the IKE_AUTH reply.
    pub(super) fn mobike_auth_notifies(&self) -> Vec<Payload> {
        let Some(script) = &self.script.mobike else {
            return Vec::new();
        };
        let mut out = vec![Payload::Notify(Notify::flag(NotifyType::MobikeSupported))];
        out.extend(script.additional.iter().map(|a| address_notify(*a)));
        out
    }

    /// The MOBIKE part of the answer to the client's INFORMATIONAL request
    /// `inner`: NAT detection over the SC's address and the one the
    /// request came from; for UPDATE_SA_ADDRESSES the move is recorded and
    /// COOKIE2 echoed.
    pub(super) fn mobike_answer(&mut self, inner: &[Payload]) -> Vec<Payload> {
        let Some(script) = self.script.mobike.clone() else {
            return Vec::new();
        };
        let from = self.last_from.expect("a request came from somewhere");
        let update = notifies(inner).any(|n| n.kind == NotifyType::UpdateSaAddresses);
        if update {
            if let Some(kind) = script.refuse_update {
                return vec![Payload::Notify(Notify::flag(kind))];
            }
            self.moves.push(from);
        }
        let mut out = Vec::new();
        let asks_nat = notifies(inner).any(|n| n.kind == NotifyType::NatDetectionSourceIp);
        if asks_nat {
            out.push(Payload::Notify(Notify::new(
                NotifyType::NatDetectionSourceIp,
                nat_detection_hash(&self.spi_i, &self.spi_r, self.address()).to_vec(),
            )));
            out.push(Payload::Notify(Notify::new(
                NotifyType::NatDetectionDestinationIp,
                nat_detection_hash(&self.spi_i, &self.spi_r, from).to_vec(),
            )));
        }
        let cookie = notifies(inner).find(|n| n.kind == NotifyType::Cookie2);
        if let Some(cookie) = cookie.filter(|_| !script.drop_cookie2) {
            out.push(Payload::Notify(Notify::new(
                NotifyType::Cookie2,
                cookie.data.clone(),
            )));
        }
        out
    }

    /// An INFORMATIONAL request announcing the SC's address list: the
    /// `additional` addresses besides the one it sends from, or
    /// NO_ADDITIONAL_ADDRESSES when empty (RFC 4555 §3.6).
    pub fn address_list_request(&mut self, additional: &[IpAddr]) -> Vec<u8> {
        let payloads: Vec<Payload> = if additional.is_empty() {
            vec![Payload::Notify(Notify::flag(
                NotifyType::NoAdditionalAddresses,
            ))]
        } else {
            additional.iter().map(|a| address_notify(*a)).collect()
        };
        self.request(ExchangeType::Informational, &payloads)
    }
}

fn address_notify(address: IpAddr) -> Payload {
    Payload::Notify(match address {
        IpAddr::V4(v4) => Notify::new(NotifyType::AdditionalIp4Address, v4.octets().to_vec()),
        IpAddr::V6(v6) => Notify::new(NotifyType::AdditionalIp6Address, v6.octets().to_vec()),
    })
}
