//! DNS lookups for discovery through hickory-resolver, asking only the
//! given servers, for absolute names (no search list, no hosts file, no
//! cache: the network is the one being asked about, now).

use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::Resolver;
use softwire_core::discovery::lookups::SrvRecord;
use softwire_core::discovery::{DnsLookup, LookupError};

/// Each query's wait, and tries per server.
const TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPTS: usize = 2;

/// DNS through hickory-resolver.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemDns;

impl SystemDns {
    /// The lookups.
    pub fn new() -> Self {
        Self
    }

    async fn lookup(
        servers: &[IpAddr],
        name: &str,
        kind: RecordType,
    ) -> Result<Vec<RData>, LookupError> {
        if servers.is_empty() {
            return Err(LookupError::NotAvailable(
                "no DNS servers known on this network".to_owned(),
            ));
        }
        let config = ResolverConfig::from_name_servers(
            servers
                .iter()
                .copied()
                .map(NameServerConfig::udp_and_tcp)
                .collect(),
        );
        let mut options = ResolverOpts::default();
        options.timeout = TIMEOUT;
        options.attempts = ATTEMPTS;
        options.cache_size = 0;
        options.use_hosts_file = ResolveHosts::Never;
        options.ndots = 0;
        let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options)
            .build()
            .map_err(|e| LookupError::Io(e.to_string()))?;
        let absolute = format!("{}.", name.trim_end_matches('.'));
        match resolver.lookup(absolute.as_str(), kind).await {
            Ok(found) => Ok(found.answers().iter().map(|r| r.data.clone()).collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Err(LookupError::NoRecord),
            Err(e) => Err(no_answer(servers, &e)),
        }
    }
}

fn no_answer(servers: &[IpAddr], e: &NetError) -> LookupError {
    let list: Vec<String> = servers.iter().map(ToString::to_string).collect();
    LookupError::NoAnswer(format!("{} ({e})", list.join(", ")))
}

impl DnsLookup for SystemDns {
    async fn lookup_ip(
        &self,
        servers: &[IpAddr],
        name: &str,
        ipv6: bool,
    ) -> Result<Vec<IpAddr>, LookupError> {
        let kind = if ipv6 {
            RecordType::AAAA
        } else {
            RecordType::A
        };
        let found: Vec<IpAddr> = Self::lookup(servers, name, kind)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                RData::A(a) if !ipv6 => Some(IpAddr::V4(a.0)),
                RData::AAAA(a) if ipv6 => Some(IpAddr::V6(a.0)),
                _ => None,
            })
            .collect();
        if found.is_empty() {
            return Err(LookupError::NoRecord);
        }
        Ok(found)
    }

    async fn lookup_srv(
        &self,
        servers: &[IpAddr],
        name: &str,
    ) -> Result<Vec<SrvRecord>, LookupError> {
        let found: Vec<SrvRecord> = Self::lookup(servers, name, RecordType::SRV)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                RData::SRV(s) => Some(SrvRecord {
                    priority: s.priority,
                    weight: s.weight,
                    port: s.port,
                    target: s.target.to_ascii().trim_end_matches('.').to_owned(),
                }),
                _ => None,
            })
            .collect();
        if found.is_empty() {
            return Err(LookupError::NoRecord);
        }
        Ok(found)
    }
}
