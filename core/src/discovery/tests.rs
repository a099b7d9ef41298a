#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::cache::{DiscoveryCache, LIFETIME};
use super::order::{trial_order, MAX_CANDIDATES};
use super::*;

fn candidate(address: &str, origin: Origin) -> Candidate {
    Candidate {
        address: SocketAddr::new(address.parse::<IpAddr>().unwrap(), 500),
        origin,
    }
}

fn dns(name: &str) -> Origin {
    Origin::Dns {
        name: name.to_owned(),
        record: "A",
    }
}

#[test]
fn origins_read_as_the_user_sees_them() {
    let dhcp = Origin::Dhcp4 {
        code: 224,
        interface: "wlan0".into(),
    };
    assert_eq!(dhcp.to_string(), "via DHCP option 224 on wlan0");
    let aftr = Origin::Dhcp6Aftr {
        name: "sc.example.net".into(),
        interface: "wlan0".into(),
    };
    assert_eq!(
        aftr.to_string(),
        "via DHCPv6 AFTR-Name sc.example.net on wlan0"
    );
    assert_eq!(
        dns("softwire.hotspot.example.net").to_string(),
        "via DNS softwire.hotspot.example.net (A)"
    );
    assert_eq!(
        Origin::Configured {
            host: "vpn.example.net".into()
        }
        .to_string(),
        "from the profile (vpn.example.net)"
    );
}

#[test]
fn sources_keep_their_order_and_families_alternate_v6_first() {
    let first = vec![
        candidate("198.51.100.1", dns("a")),
        candidate("198.51.100.2", dns("a")),
        candidate("2001:db8::1", dns("a")),
    ];
    let second = vec![candidate("203.0.113.9", Origin::Anycast)];
    let order: Vec<String> = trial_order(vec![first, second])
        .iter()
        .map(|c| c.address.ip().to_string())
        .collect();
    assert_eq!(
        order,
        ["2001:db8::1", "198.51.100.1", "198.51.100.2", "203.0.113.9"]
    );
}

#[test]
fn an_address_found_twice_is_tried_once_with_its_first_origin() {
    let dhcp = Origin::Dhcp4 {
        code: 224,
        interface: "eth0".into(),
    };
    let order = trial_order(vec![
        vec![candidate("198.51.100.1", dns("softwire.example.net"))],
        vec![
            candidate("198.51.100.1", dhcp.clone()),
            candidate("198.51.100.7", dhcp),
        ],
    ]);
    assert_eq!(order.len(), 2);
    assert_eq!(order[0].origin, dns("softwire.example.net"));
    assert_eq!(order[1].address.ip().to_string(), "198.51.100.7");
}

#[test]
fn a_flood_of_candidates_is_cut_short() {
    let many = (1..=40)
        .map(|i| candidate(&format!("198.51.100.{i}"), Origin::Anycast))
        .collect();
    assert_eq!(trial_order(vec![many]).len(), MAX_CANDIDATES);
}

fn policy() -> Policy {
    Policy {
        sources: vec![Source::Dns {
            label: "softwire".into(),
        }],
        port: 500,
        timeout: Duration::from_secs(3),
    }
}

fn network(interface: &str, gateway: &str) -> LocalNetwork {
    LocalNetwork {
        interface: interface.into(),
        index: 2,
        ipv4: Some("192.0.2.100".parse().unwrap()),
        gateway_v4: Some(gateway.parse().unwrap()),
        ..LocalNetwork::default()
    }
}

#[test]
fn the_cache_holds_per_network_and_forgets_on_a_move() {
    let mut cache = DiscoveryCache::default();
    let now = Instant::now();
    let home = network("wlan0", "192.0.2.1").key();
    let cafe = network("wlan0", "192.0.2.254").key();
    let sc = candidate("198.51.100.1", dns("softwire.example.net"));
    cache.put(&policy(), &home, sc.clone(), now);
    assert_eq!(cache.get(&policy(), &home, now), Some(&sc));
    assert_eq!(cache.get(&policy(), &cafe, now), None);
    // Expired after its lifetime.
    assert_eq!(cache.get(&policy(), &home, now + LIFETIME), None);
    // Another network: the old entry goes.
    cache.on_network(&cafe);
    assert!(cache.is_empty());
    cache.put(&policy(), &cafe, sc.clone(), now);
    cache.forget(&policy(), &cafe);
    assert_eq!(cache.get(&policy(), &cafe, now), None);
}
