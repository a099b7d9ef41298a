#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use softwire_core::discovery::lookups::SrvRecord;
use softwire_core::discovery::{DatagramPort, DhcpPorts, DnsLookup, LocalNetwork, LookupError};
use tokio::time::Instant;

use super::*;

/// DNS from a table; names not in it do not exist; `slow` never answers.
#[derive(Default)]
struct FakeDns {
    a: HashMap<String, Vec<IpAddr>>,
    srv: HashMap<String, Vec<SrvRecord>>,
    slow: bool,
    asked: std::sync::Mutex<Vec<(String, Vec<IpAddr>)>>,
}

impl DnsLookup for FakeDns {
    async fn lookup_ip(
        &self,
        servers: &[IpAddr],
        name: &str,
        ipv6: bool,
    ) -> Result<Vec<IpAddr>, LookupError> {
        self.asked
            .lock()
            .unwrap()
            .push((name.to_owned(), servers.to_vec()));
        if self.slow {
            std::future::pending::<()>().await;
        }
        let found: Vec<IpAddr> = self
            .a
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|ip| ip.is_ipv6() == ipv6)
            .collect();
        if found.is_empty() {
            Err(LookupError::NoRecord)
        } else {
            Ok(found)
        }
    }

    async fn lookup_srv(&self, _: &[IpAddr], name: &str) -> Result<Vec<SrvRecord>, LookupError> {
        self.srv.get(name).cloned().ok_or(LookupError::NoRecord)
    }
}

/// DHCP servers that never answer (`replies` empty) or answer every
/// request with each of `replies`.
#[derive(Clone, Default)]
struct FakeDhcp {
    replies: Vec<Vec<u8>>,
    sent: Arc<AtomicUsize>,
}

struct FakePort {
    dhcp: FakeDhcp,
    queue: tokio::sync::Mutex<Vec<Vec<u8>>>,
}

impl DatagramPort for FakePort {
    async fn send(&self, _: &[u8]) -> io::Result<()> {
        self.dhcp.sent.fetch_add(1, Ordering::SeqCst);
        self.queue.lock().await.extend(self.dhcp.replies.clone());
        Ok(())
    }

    async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(reply) = self.queue.lock().await.pop() {
                let n = reply.len().min(buf.len());
                buf[..n].copy_from_slice(&reply[..n]);
                return Ok(n);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn local_port(&self) -> u16 {
        68
    }
}

impl DhcpPorts for FakeDhcp {
    type Port = FakePort;

    async fn open_v4(&self, _: &LocalNetwork) -> Result<FakePort, LookupError> {
        Ok(FakePort {
            dhcp: self.clone(),
            queue: tokio::sync::Mutex::default(),
        })
    }

    async fn open_v6(&self, _: &LocalNetwork) -> Result<FakePort, LookupError> {
        self.open_v4(&LocalNetwork::default()).await
    }
}

fn hotspot() -> LocalNetwork {
    LocalNetwork {
        interface: "wlan0".into(),
        index: 3,
        ipv4: Some(Ipv4Addr::new(192, 0, 2, 100)),
        gateway_v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
        mac: Some([2, 0, 0, 0, 0, 1]),
        ipv6_link_local: Some("fe80::1".parse().unwrap()),
        search_domains: vec!["hotspot.example.net".into()],
        name_servers: vec!["192.0.2.1".parse().unwrap()],
        ..LocalNetwork::default()
    }
}

fn policy(sources: Vec<Source>) -> Policy {
    Policy {
        sources,
        port: 500,
        timeout: Duration::from_secs(3),
    }
}

fn default_sources() -> Vec<Source> {
    vec![
        Source::Dns {
            label: "softwire".into(),
        },
        Source::Dhcp4 { code: 224 },
        Source::Dhcp6Aftr,
    ]
}

#[tokio::test(start_paused = true)]
async fn the_label_in_the_search_domain_is_found_while_dhcp_is_silent() {
    let mut dns = FakeDns::default();
    dns.a.insert(
        "softwire.hotspot.example.net".into(),
        vec!["198.51.100.1".parse().unwrap()],
    );
    let lookups = Lookups {
        network: (),
        dns,
        dhcp: FakeDhcp::default(),
    };
    let started = Instant::now();
    let found = discover_on(&policy(default_sources()), Ok(hotspot()), &lookups).await;
    assert_eq!(found.candidates.len(), 1);
    assert_eq!(
        found.candidates[0].origin.to_string(),
        "via DNS softwire.hotspot.example.net (A)"
    );
    assert_eq!(found.candidates[0].address.to_string(), "198.51.100.1:500");
    // The silent DHCP sources gave up at their time limit.
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(
        found.report[1],
        SourceReport {
            source: "DHCP option 224 on wlan0".into(),
            outcome: "no answer in 3 s".into(),
        }
    );
    // Two sends per DHCP source: at once and after 1 s (then every 2 s).
    assert_eq!(lookups.dhcp.sent.load(Ordering::SeqCst), 2 * 2);
}

#[tokio::test(start_paused = true)]
async fn sources_that_answer_garbage_or_nothing_end_in_bounded_time_and_say_so() {
    let dns = FakeDns {
        slow: true,
        ..FakeDns::default()
    };
    let dhcp = FakeDhcp {
        replies: vec![vec![0xff; 7], b"not a DHCP message at all".repeat(20)],
        ..FakeDhcp::default()
    };
    let lookups = Lookups {
        network: (),
        dns,
        dhcp,
    };
    let started = Instant::now();
    let found = discover_on(&policy(default_sources()), Ok(hotspot()), &lookups).await;
    assert!(found.candidates.is_empty());
    // DNS waits for DHCP's names for one more time limit at most.
    assert!(
        started.elapsed() <= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let report = Report(&found.report).to_string();
    assert!(
        report.contains("DNS softwire.<search domains>: "),
        "{report}"
    );
    assert!(report.contains("gave up after 6 s"), "{report}");
    assert!(
        report.contains("DHCP option 224 on wlan0: no usable answer in 3 s"),
        "{report}"
    );
    assert!(report.contains("refused (last: "), "{report}");
    assert!(
        report.contains("DHCPv6 AFTR-Name on wlan0: no usable answer"),
        "{report}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_network_every_source_says_why() {
    let lookups = Lookups {
        network: (),
        dns: FakeDns::default(),
        dhcp: FakeDhcp::default(),
    };
    let offline = Err(LookupError::NotAvailable(
        "no default route: not connected to a network".into(),
    ));
    let found = discover_on(&policy(default_sources()), offline, &lookups).await;
    assert!(found.candidates.is_empty());
    assert_eq!(found.report.len(), 3);
    for r in &found.report {
        assert_eq!(r.outcome, "no default route: not connected to a network");
    }
    assert_eq!(found.report[1].source, "DHCP option 224");
}

#[tokio::test(start_paused = true)]
async fn configured_and_anycast_sources_need_no_network() {
    let lookups = Lookups {
        network: (),
        dns: FakeDns::default(),
        dhcp: FakeDhcp::default(),
    };
    let sources = vec![
        Source::Address("198.51.100.1".into()),
        Source::Anycast(vec!["203.0.113.77".parse().unwrap()]),
    ];
    let offline = Err(LookupError::NotAvailable("offline".into()));
    let found = discover_on(&policy(sources), offline, &lookups).await;
    let order: Vec<String> = found
        .candidates
        .iter()
        .map(|c| format!("{} {}", c.address, c.origin))
        .collect();
    assert_eq!(
        order,
        [
            "198.51.100.1:500 from the profile (198.51.100.1)",
            "203.0.113.77:500 at the configured anycast address"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_host_without_ipv6_skips_dhcpv6_at_once() {
    let lookups = Lookups {
        network: (),
        dns: FakeDns::default(),
        dhcp: FakeDhcp::default(),
    };
    let mut network = hotspot();
    network.ipv6_link_local = None;
    network.ipv4 = None;
    let started = Instant::now();
    let found = discover_on(
        &policy(vec![Source::Dhcp6Aftr, Source::Dhcp4 { code: 224 }]),
        Ok(network),
        &lookups,
    )
    .await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(
        found.report[0].outcome,
        "wlan0 has no IPv6 link-local address"
    );
    assert_eq!(found.report[1].outcome, "wlan0 has no IPv4 address");
}

#[tokio::test(start_paused = true)]
async fn srv_targets_are_tried_by_priority_with_their_port() {
    let mut dns = FakeDns::default();
    let record = |priority, port, target: &str| SrvRecord {
        priority,
        weight: 10,
        port,
        target: target.to_owned(),
    };
    dns.srv.insert(
        "_isakmp._udp.hotspot.example.net".into(),
        vec![
            record(20, 500, "backup.example.net"),
            record(10, 4500, "sc.example.net"),
            record(5, 500, "gone.example.net"),
        ],
    );
    dns.a.insert(
        "sc.example.net".into(),
        vec!["198.51.100.1".parse().unwrap()],
    );
    dns.a.insert(
        "backup.example.net".into(),
        vec!["2001:db8::2".parse().unwrap()],
    );
    let lookups = Lookups {
        network: (),
        dns,
        dhcp: FakeDhcp::default(),
    };
    let sources = vec![Source::Srv {
        service: "_isakmp._udp".into(),
    }];
    let found = discover_on(&policy(sources), Ok(hotspot()), &lookups).await;
    let tried: Vec<String> = found
        .candidates
        .iter()
        .map(|c| format!("{} {}", c.address, c.origin))
        .collect();
    // Within one source IPv6 comes first (RFC 8305); each keeps its SRV port.
    assert_eq!(
        tried,
        [
            "[2001:db8::2]:500 via DNS SRV _isakmp._udp.hotspot.example.net -> backup.example.net",
            "198.51.100.1:4500 via DNS SRV _isakmp._udp.hotspot.example.net -> sc.example.net",
        ]
    );
    // The report keeps the SRV priority order.
    assert_eq!(
        found.report[0].outcome,
        "198.51.100.1:4500, [2001:db8::2]:500"
    );
}
