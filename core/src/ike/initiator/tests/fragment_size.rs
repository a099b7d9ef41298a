//! IKE fragments sized to the path (RFC 7383 §2.5): the path MTU sets the
//! fragment size, within the minimum every path carries, and a fragmented
//! request that gets no answer is fragmented again at that minimum.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::ike::initiator::Phase;
use crate::ike::payload::AddressRange;

/// A config whose IKE_AUTH request is about 2.3 kB: many traffic selectors.
fn big_auth_config() -> InitiatorConfig {
    let mut config = psk_config();
    config.remote_ts = (1..=120u8)
        .map(|i| {
            let a = IpAddr::V4(Ipv4Addr::new(203, 0, 113, i));
            AddressRange::any(a, a)
        })
        .collect();
    config
}

#[test]
fn the_path_mtu_sets_the_fragment_size_within_bounds() {
    let mut h = Harness::new(psk_config(), fake_sc::Script::psk(PSK));
    assert_eq!(h.initiator.fragment_size(), 1280);
    h.initiator.set_path_mtu(1500);
    assert_eq!(h.initiator.fragment_size(), 1472);
    // Never below what every IPv4 path carries (576), nor above UDP's limit.
    h.initiator.set_path_mtu(300);
    assert_eq!(h.initiator.fragment_size(), 548);
    h.initiator.set_path_mtu(100_000);
    assert_eq!(h.initiator.fragment_size(), 65_507);
}

#[test]
fn unanswered_fragments_are_sent_again_smaller() {
    let mut h = Harness::new(big_auth_config(), fake_sc::Script::psk(PSK));
    h.initiator.set_path_mtu(1500);
    // IKE_SA_INIT passes; every IKE_AUTH datagram is lost.
    h.drop = (1..100).collect();
    h.pump();
    let mut sends = vec![h.sent.len() - 1];
    for _ in 0..3 {
        h.advance();
        h.pump();
        sends.push(h.sent.len() - 1 - sends.iter().sum::<usize>());
    }
    let sizes = |from: usize, count: usize| -> Vec<usize> {
        h.sent[from..from + count]
            .iter()
            .map(|t| t.payload.len())
            .collect()
    };
    // First and second send: the path's size, two fragments.
    let first = sizes(1, sends[0]);
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first.iter().all(|&s| s <= 1472), "{first:?}");
    assert!(first.iter().any(|&s| s > 1000), "{first:?}");
    assert_eq!(sends[1], sends[0]);
    // From the third on: the minimum, in more fragments.
    let third = sizes(1 + sends[0] + sends[1], sends[2]);
    assert!(third.len() > 2, "{third:?}");
    assert!(third.iter().all(|&s| s <= 548), "{third:?}");
    assert_eq!(sends[3], sends[2]);
    assert_eq!(h.initiator.fragment_size(), 548);
    assert_eq!(h.initiator.phase(), Some(Phase::Authenticating));
}
