//! Asking the network where the SC is: every source of the profile's
//! policy at once, each within the policy's time limit, into candidates
//! in trial order and a report of what each source said.
//!
//! Search domains and DNS servers a DHCP answer hands out are asked too,
//! so a hotspot that only tells its clients by DHCP (as most do) is
//! searched even when the system resolver has not heard of it yet.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use softwire_core::discovery::order::trial_order;
use softwire_core::discovery::{
    dhcp4, dhcp6, random_xid, Candidate, DatagramPort, DhcpPorts, DnsLookup, LocalNetwork,
    LookupError, Origin, Policy, Source,
};
use tokio::sync::mpsc;

/// The platform's answers, behind core's traits.
#[derive(Debug)]
pub struct Lookups<N, D, P> {
    /// The current network.
    pub network: N,
    /// DNS.
    pub dns: D,
    /// DHCP client sockets.
    pub dhcp: P,
}

/// What one source said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceReport {
    /// The source, such as "DHCP option 224 on eth0".
    pub source: String,
    /// What came of it, such as "198.51.100.1" or "no answer in 3 s".
    pub outcome: String,
}

/// What discovery found.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The network asked, when it could be read.
    pub network: Option<LocalNetwork>,
    /// The candidates, in trial order.
    pub candidates: Vec<Candidate>,
    /// One line per source.
    pub report: Vec<SourceReport>,
}

/// The report as one line: "dns softwire.<search domains>: no answer; ...".
#[derive(Debug)]
pub struct Report<'a>(pub &'a [SourceReport]);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", r.source, r.outcome)?;
        }
        Ok(())
    }
}

/// Search domains and servers learned from a DHCP answer.
struct Learned {
    domains: Vec<String>,
    servers: Vec<IpAddr>,
}

/// Asks every source of `policy` on `network` (as `lookups.network`
/// read it).
pub async fn discover_on<N, D, P>(
    policy: &Policy,
    network: Result<LocalNetwork, LookupError>,
    lookups: &Lookups<N, D, P>,
) -> Found
where
    N: Sync,
    D: DnsLookup,
    P: DhcpPorts,
{
    let (learned_tx, learned_rx) = mpsc::unbounded_channel();
    let mut learned_rx = Some(learned_rx);
    let mut tasks = Vec::new();
    for source in &policy.sources {
        let task: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
            match (source, &network) {
                (Source::Address(host), _) => Box::pin(configured(host, policy.port)),
                (Source::Anycast(addresses), _) => {
                    Box::pin(std::future::ready(anycast(addresses, policy.port)))
                }
                (_, Err(e)) => Box::pin(std::future::ready((
                    Vec::new(),
                    SourceReport {
                        source: source.to_string(),
                        outcome: e.to_string(),
                    },
                ))),
                (Source::Dns { label }, Ok(net)) => Box::pin(dns_source(
                    label,
                    false,
                    net,
                    learned_rx.take(),
                    policy,
                    &lookups.dns,
                )),
                (Source::Srv { service }, Ok(net)) => {
                    Box::pin(dns_source(service, true, net, None, policy, &lookups.dns))
                }
                (Source::Dhcp4 { code }, Ok(net)) => Box::pin(dhcp4_source(
                    *code,
                    net,
                    policy,
                    &lookups.dhcp,
                    learned_tx.clone(),
                )),
                (Source::Dhcp6Aftr, Ok(net)) => {
                    Box::pin(dhcp6_source(net, policy, lookups, learned_tx.clone()))
                }
            };
        tasks.push(task);
    }
    // The DNS source stops waiting for DHCP's domains once every DHCP
    // source has ended (their senders are dropped with them).
    drop(learned_tx);
    let results = futures_join_all(tasks).await;
    let (per_source, report): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    Found {
        network: network.ok(),
        candidates: trial_order(per_source),
        report,
    }
}

/// Runs futures concurrently and returns their outputs in order.
async fn futures_join_all<T: Send>(
    futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + '_>>>,
) -> Vec<T> {
    let mut slots: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    let mut pending: Vec<_> = futures.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(out) => {
                if let Some(slot) = slots.get_mut(*i) {
                    *slot = Some(out);
                }
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    slots.into_iter().flatten().collect()
}

fn listed(candidates: &[Candidate]) -> String {
    candidates
        .iter()
        .map(|c| c.address.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn outcome(candidates: &[Candidate], nothing: String) -> String {
    if candidates.is_empty() {
        nothing
    } else {
        listed(candidates)
    }
}

/// The profile's own address or name, through the system resolver.
async fn configured(host: &str, port: u16) -> (Vec<Candidate>, SourceReport) {
    let origin = Origin::Configured {
        host: host.to_owned(),
    };
    let found = match host.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map(|a| a.collect::<Vec<_>>()),
    };
    let (candidates, problem) = match found {
        Ok(addresses) => (
            addresses
                .into_iter()
                .map(|address| Candidate {
                    address,
                    origin: origin.clone(),
                })
                .collect::<Vec<_>>(),
            "no addresses".to_owned(),
        ),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let outcome = outcome(&candidates, problem);
    (
        candidates,
        SourceReport {
            source: format!("address {host}"),
            outcome,
        },
    )
}

fn anycast(addresses: &[IpAddr], port: u16) -> (Vec<Candidate>, SourceReport) {
    let candidates: Vec<Candidate> = addresses
        .iter()
        .map(|ip| Candidate {
            address: SocketAddr::new(*ip, port),
            origin: Origin::Anycast,
        })
        .collect();
    let outcome = outcome(&candidates, "none configured".to_owned());
    (
        candidates,
        SourceReport {
            source: "anycast".to_owned(),
            outcome,
        },
    )
}

/// The service label (or, with `srv`, the SRV service) in each search
/// domain: the system's at once, DHCP's as they arrive.
async fn dns_source<D: DnsLookup>(
    label: &str,
    srv: bool,
    network: &LocalNetwork,
    learned: Option<mpsc::UnboundedReceiver<Learned>>,
    policy: &Policy,
    dns: &D,
) -> (Vec<Candidate>, SourceReport) {
    let source = if srv {
        format!("DNS SRV {label}.<search domains>")
    } else {
        format!("DNS {label}.<search domains>")
    };
    let mut asked: HashSet<String> = HashSet::new();
    let mut candidates = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut servers = network.name_servers.clone();
    let search = async {
        let mut rounds = vec![Learned {
            domains: network.search_domains.clone(),
            servers: network.name_servers.clone(),
        }];
        let mut learned = learned;
        loop {
            for round in rounds.drain(..) {
                for s in round.servers {
                    if !servers.contains(&s) {
                        servers.push(s);
                    }
                }
                for domain in round.domains {
                    let name = format!("{label}.{}", domain.trim_end_matches('.'));
                    if !asked.insert(name.clone()) {
                        continue;
                    }
                    let found = if srv {
                        srv_lookup(dns, &servers, &name).await
                    } else {
                        ip_lookup(dns, &servers, &name, policy.port).await
                    };
                    match found {
                        Ok(mut c) => candidates.append(&mut c),
                        Err(e) => problems.push(format!("{name}: {e}")),
                    }
                }
            }
            match learned.as_mut() {
                Some(rx) => match rx.recv().await {
                    Some(l) => rounds.push(l),
                    None => break,
                },
                None => break,
            }
        }
    };
    // DHCP's answers take up to the time limit; their names get another.
    let limit = policy.timeout.saturating_mul(2);
    let timed_out = tokio::time::timeout(limit, search).await.is_err();
    if timed_out {
        problems.push(format!("gave up after {}", seconds(limit)));
    }
    let nothing = if asked.is_empty() && !timed_out {
        "no search domains on this network".to_owned()
    } else {
        problems.join(", ")
    };
    let outcome = outcome(&candidates, nothing);
    (candidates, SourceReport { source, outcome })
}

async fn ip_lookup<D: DnsLookup>(
    dns: &D,
    servers: &[IpAddr],
    name: &str,
    port: u16,
) -> Result<Vec<Candidate>, LookupError> {
    let (v6, v4) = tokio::join!(
        dns.lookup_ip(servers, name, true),
        dns.lookup_ip(servers, name, false)
    );
    let mut found = Vec::new();
    let mut error = None;
    for (result, record) in [(v6, "AAAA"), (v4, "A")] {
        match result {
            Ok(ips) => found.extend(ips.into_iter().map(|ip| Candidate {
                address: SocketAddr::new(ip, port),
                origin: Origin::Dns {
                    name: name.to_owned(),
                    record,
                },
            })),
            Err(LookupError::NoRecord) => {}
            Err(e) => error = Some(e),
        }
    }
    match (found.is_empty(), error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(LookupError::NoRecord),
        (false, _) => Ok(found),
    }
}

async fn srv_lookup<D: DnsLookup>(
    dns: &D,
    servers: &[IpAddr],
    name: &str,
) -> Result<Vec<Candidate>, LookupError> {
    let mut records = dns.lookup_srv(servers, name).await?;
    records.sort_by_key(|r| (r.priority, std::cmp::Reverse(r.weight)));
    let mut found = Vec::new();
    for record in records {
        let Ok(targets) = ip_lookup(dns, servers, &record.target, record.port).await else {
            continue;
        };
        found.extend(targets.into_iter().map(|c| Candidate {
            address: c.address,
            origin: Origin::Srv {
                name: name.to_owned(),
                target: record.target.clone(),
            },
        }));
    }
    if found.is_empty() {
        return Err(LookupError::NoRecord);
    }
    Ok(found)
}

/// Sends `request` now and again after each of `resends`, and waits
/// until `limit` for a datagram `accept` takes. Datagrams it refuses are
/// counted and the last reason kept.
async fn exchange<P: DatagramPort, T>(
    port: &P,
    request: &[u8],
    limit: Duration,
    mut accept: impl FnMut(&[u8]) -> Result<T, String>,
) -> Result<T, String> {
    let started = tokio::time::Instant::now();
    let deadline = started + limit;
    let mut resend_at = started;
    let mut buf = vec![0u8; 4096];
    let mut refused = 0u32;
    let mut last_refusal = String::new();
    loop {
        let now = tokio::time::Instant::now();
        if now >= resend_at {
            if let Err(e) = port.send(request).await {
                return Err(format!("could not send: {e}"));
            }
            // RFC 2131 §4.1 and RFC 8415 §18.2.6 back off from 4 s and 1 s;
            // a user is waiting, so: again after 1 s, then every 2 s.
            resend_at = now + if now == started { RESEND } else { RESEND * 2 };
        }
        let wake = resend_at.min(deadline);
        match tokio::time::timeout_at(wake, port.recv(&mut buf)).await {
            Ok(Ok(n)) => match accept(buf.get(..n).unwrap_or_default()) {
                Ok(answer) => return Ok(answer),
                Err(why) => {
                    refused += 1;
                    last_refusal = why;
                }
            },
            Ok(Err(e)) => return Err(format!("receive failed: {e}")),
            Err(_) if tokio::time::Instant::now() >= deadline => {
                return Err(if refused == 0 {
                    format!("no answer in {}", seconds(limit))
                } else {
                    format!(
                        "no usable answer in {}: {refused} refused (last: {last_refusal})",
                        seconds(limit)
                    )
                });
            }
            Err(_) => {}
        }
    }
}

const RESEND: Duration = Duration::from_secs(1);

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// DHCPINFORM for option `code` (and the search domains and servers).
async fn dhcp4_source<P: DhcpPorts>(
    code: u8,
    network: &LocalNetwork,
    policy: &Policy,
    ports: &P,
    learned: mpsc::UnboundedSender<Learned>,
) -> (Vec<Candidate>, SourceReport) {
    let mut source = format!("DHCP option {code} on {}", network.interface);
    let result = async {
        let client = network
            .ipv4
            .ok_or_else(|| format!("{} has no IPv4 address", network.interface))?;
        let port = ports.open_v4(network).await.map_err(|e| e.to_string())?;
        if port.local_port() != dhcp4::CLIENT_PORT {
            source.push_str(&format!(" (from port {})", port.local_port()));
        }
        let xid = u32::from_be_bytes(random_xid());
        let request = dhcp4::inform(xid, client, network.mac, &[code, 119, 15, 6]);
        exchange(&port, &request, policy.timeout, |d| {
            dhcp4::parse_ack(d, xid, network.mac, code).map_err(|e| e.to_string())
        })
        .await
    }
    .await;
    let (candidates, outcome) = match result {
        Ok(ack) => {
            let _ = learned.send(Learned {
                domains: ack.search_domains.clone(),
                servers: ack.name_servers.iter().copied().map(IpAddr::V4).collect(),
            });
            let candidates: Vec<Candidate> = ack
                .sc_addresses
                .iter()
                .map(|ip| Candidate {
                    address: SocketAddr::new(IpAddr::V4(*ip), policy.port),
                    origin: Origin::Dhcp4 {
                        code,
                        interface: network.interface.clone(),
                    },
                })
                .collect();
            let nothing = format!("the answer had no option {code}");
            let outcome = outcome(&candidates, nothing);
            (candidates, outcome)
        }
        Err(e) => (Vec::new(), e),
    };
    (candidates, SourceReport { source, outcome })
}

/// Information-Request for AFTR-Name (RFC 6334), then the name's
/// addresses.
async fn dhcp6_source<N, D: DnsLookup, P: DhcpPorts>(
    network: &LocalNetwork,
    policy: &Policy,
    lookups: &Lookups<N, D, P>,
    learned: mpsc::UnboundedSender<Learned>,
) -> (Vec<Candidate>, SourceReport) {
    let source = format!("DHCPv6 AFTR-Name on {}", network.interface);
    let result = async {
        if network.ipv6_link_local.is_none() {
            return Err(format!(
                "{} has no IPv6 link-local address",
                network.interface
            ));
        }
        let port = lookups
            .dhcp
            .open_v6(network)
            .await
            .map_err(|e| e.to_string())?;
        let [a, b, c, _] = random_xid();
        let xid = [a, b, c];
        let request = dhcp6::information_request(xid, &[64, 24, 23]);
        let reply = exchange(&port, &request, policy.timeout, |d| {
            dhcp6::parse_reply(d, xid).map_err(|e| e.to_string())
        })
        .await?;
        let mut servers: Vec<IpAddr> = reply.name_servers.iter().copied().map(IpAddr::V6).collect();
        let _ = learned.send(Learned {
            domains: reply.search_domains.clone(),
            servers: servers.clone(),
        });
        let name = reply
            .aftr_name
            .ok_or_else(|| "the answer had no AFTR-Name".to_owned())?;
        servers.extend(network.name_servers.iter().copied());
        let found = tokio::time::timeout(
            policy.timeout,
            ip_lookup(&lookups.dns, &servers, &name, policy.port),
        )
        .await
        .map_err(|_| format!("{name}: no answer in {}", seconds(policy.timeout)))?
        .map_err(|e| format!("{name}: {e}"))?;
        Ok(found
            .into_iter()
            .map(|c| Candidate {
                address: c.address,
                origin: Origin::Dhcp6Aftr {
                    name: name.clone(),
                    interface: network.interface.clone(),
                },
            })
            .collect::<Vec<_>>())
    }
    .await;
    let (candidates, outcome) = match result {
        Ok(c) => {
            let o = outcome(&c, String::new());
            (c, o)
        }
        Err(e) => (Vec::new(), e),
    };
    (candidates, SourceReport { source, outcome })
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
