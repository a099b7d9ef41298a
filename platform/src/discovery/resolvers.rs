//! The system resolver's settings for one network: search domains and
//! servers, from `/etc/resolv.conf` or systemd-resolved's per-link view.

use std::net::IpAddr;

/// Search domains and DNS servers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolverSettings {
    /// Search domains, in order, without a final dot.
    pub search: Vec<String>,
    /// DNS servers, in order.
    pub servers: Vec<IpAddr>,
}

fn domain(text: &str) -> Option<String> {
    let d = text.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty() && d.len() <= 253 && !d.starts_with('~')).then_some(d)
}

/// `resolv.conf(5)`: `nameserver` lines, and `search` or `domain`
/// (whichever comes last wins). Lines it does not know are skipped.
pub fn parse_resolv_conf(text: &str) -> ResolverSettings {
    let mut settings = ResolverSettings::default();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or_default();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                // A scoped address ("fe80::1%eth0") is taken without its scope.
                if let Some(ip) = words
                    .next()
                    .and_then(|w| w.split('%').next())
                    .and_then(|w| w.parse::<IpAddr>().ok())
                {
                    if !settings.servers.contains(&ip) {
                        settings.servers.push(ip);
                    }
                }
            }
            Some("search") => settings.search = words.filter_map(domain).collect(),
            Some("domain") => settings.search = words.next().and_then(domain).into_iter().collect(),
            _ => {}
        }
    }
    settings
}

/// `resolvectl domain IFNAME` and `resolvectl dns IFNAME` output, one
/// after the other ("Link 2 (eth0): a.example b.example"); routing-only
/// domains (`~example`) are left out.
pub fn parse_resolvectl(domains: &str, servers: &str) -> ResolverSettings {
    let values = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_once("):").or_else(|| l.split_once(':')))
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect()
    };
    let mut settings = ResolverSettings::default();
    for d in values(domains).iter().filter_map(|d| domain(d)) {
        if !settings.search.contains(&d) {
            settings.search.push(d);
        }
    }
    for s in values(servers) {
        // "192.0.2.1#dns.example" names a DNS-over-TLS server: the address counts.
        let address = s.split(['#', '%']).next().unwrap_or_default();
        if let Ok(ip) = address.parse::<IpAddr>() {
            if !settings.servers.contains(&ip) {
                settings.servers.push(ip);
            }
        }
    }
    settings
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn resolv_conf_gives_servers_and_the_last_search_line() {
        let s = parse_resolv_conf(
            "# generated\nnameserver 192.0.2.1\nnameserver fe80::1%eth0\n\
             domain old.example\nsearch Hotspot.Example.NET. corp.example.net ; trailing\n\
             options ndots:2\nnameserver not-an-address\nnameserver\n",
        );
        assert_eq!(s.search, ["hotspot.example.net", "corp.example.net"]);
        assert_eq!(s.servers.len(), 2);
        assert_eq!(s.servers[1], "fe80::1".parse::<IpAddr>().unwrap());
        let d = parse_resolv_conf("search a.example\ndomain b.example\n");
        assert_eq!(d.search, ["b.example"]);
        assert_eq!(
            parse_resolv_conf("\u{0}\u{ffff}garbage"),
            ResolverSettings::default()
        );
    }

    #[test]
    fn resolvectl_output_drops_routing_domains() {
        let s = parse_resolvectl(
            "Link 3 (wlan0): hotspot.example.net ~. ~corp.example.net\n",
            "Link 3 (wlan0): 192.0.2.1 2001:db8::53 192.0.2.9#dns.example.net\n",
        );
        assert_eq!(s.search, ["hotspot.example.net"]);
        assert_eq!(s.servers.len(), 3);
        assert_eq!(
            parse_resolvectl("nonsense", ""),
            ResolverSettings::default()
        );
    }
}
