//! NAT keepalives (RFC 3948) and the MTU arithmetic.

use std::time::{Duration, Instant};

use super::*;
use crate::esp::{esp_overhead, inner_mtu, keepalive_datagram, Keepalive, NAT_KEEPALIVE_INTERVAL};
use crate::ike::natt::{classify_port_4500, Port4500};

#[test]
fn keepalive_fires_after_twenty_silent_seconds() {
    assert_eq!(NAT_KEEPALIVE_INTERVAL, Duration::from_secs(20));
    assert_eq!(keepalive_datagram(), [0xff]);
    assert_eq!(
        classify_port_4500(&keepalive_datagram()),
        Port4500::Keepalive
    );

    let start = Instant::now();
    let mut k = Keepalive::new(start);
    assert_eq!(k.poll_timeout(), start + Duration::from_secs(20));
    assert!(!k.due(start + Duration::from_secs(19)));
    assert!(k.due(start + Duration::from_secs(20)));
    // Traffic postpones it.
    k.on_sent(start + Duration::from_secs(15));
    assert!(!k.due(start + Duration::from_secs(30)));
    assert_eq!(k.poll_timeout(), start + Duration::from_secs(35));
    // Out-of-order reports do not move it back.
    k.on_sent(start + Duration::from_secs(1));
    assert_eq!(k.poll_timeout(), start + Duration::from_secs(35));
    // Sending the keepalive itself restarts the interval.
    k.on_sent(start + Duration::from_secs(35));
    assert!(!k.due(start + Duration::from_secs(54)));
    assert!(k.due(start + Duration::from_secs(55)));

    let k = Keepalive::with_interval(start, Duration::from_secs(5));
    assert_eq!(k.interval(), Duration::from_secs(5));
    assert!(k.due(start + Duration::from_secs(5)));
    // An absurd interval does not overflow.
    let k = Keepalive::with_interval(start, Duration::MAX);
    assert!(k.poll_timeout() > start);
}

#[test]
fn sealed_esp_is_classified_as_esp_on_port_4500() {
    let (mut out, _, _) = downlink(all_suites()[0], 31);
    let mut wire = Vec::new();
    out.seal(&ipv4_packet(THEIR_V4, OUR_V4, 17, 0), &mut wire)
        .unwrap();
    assert_eq!(classify_port_4500(&wire), Port4500::Esp(&wire));
}

#[test]
fn overhead_figures() {
    let gcm = all_suites()[0];
    let cbc = all_suites()[3];
    // 20 + 8 + 8 + 8 + 3 + 2 + 16
    assert_eq!(esp_overhead(&gcm, false, true), 65);
    assert_eq!(esp_overhead(&gcm, true, true), 85);
    assert_eq!(esp_overhead(&gcm, false, false), 57);
    // 20 + 8 + 8 + 16 + 15 + 2 + 16
    assert_eq!(esp_overhead(&cbc, false, true), 85);
    assert_eq!(inner_mtu(1500, &gcm, false, true), 1438);
    assert_eq!(inner_mtu(1500, &cbc, false, true), 1422);
    assert_eq!(inner_mtu(10, &gcm, false, true), 0);
}

fn align(suite: &EspSuite) -> usize {
    crate::esp::cipher::alignment(suite.encryption)
}

/// The inner MTU is the largest inner packet whose outer packet fits.
#[test]
fn inner_mtu_is_exact() {
    for suite in all_suites() {
        let (out, _, _) = downlink(suite, 32);
        for outer_v6 in [false, true] {
            for udp in [false, true] {
                let outer = if outer_v6 { 40 } else { 20 } + if udp { 8 } else { 0 };
                for path_mtu in 100..1600 {
                    let mtu = inner_mtu(path_mtu, &suite, outer_v6, udp);
                    if mtu == 0 {
                        // Not even the smallest packet fits.
                        assert!(outer + out.sealed_len(1) > path_mtu);
                        continue;
                    }
                    assert!(outer + out.sealed_len(mtu) <= path_mtu);
                    assert!(outer + out.sealed_len(mtu + 1) > path_mtu);
                    assert!(path_mtu.saturating_sub(esp_overhead(&suite, outer_v6, udp)) <= mtu);
                    assert!(
                        mtu < path_mtu.saturating_sub(esp_overhead(&suite, outer_v6, udp))
                            + align(&suite)
                    );
                }
            }
        }
    }
}
