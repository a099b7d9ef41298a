//! What the tunnel asks of the operating system, in plain `std::net` types so
//! that this crate does not depend on the protocol engine's own types.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The name prefix of Softwire's packet devices: `swtun0`, `swtun1`, ...
pub const DEFAULT_TUN_PREFIX: &str = "swtun";

/// The longest interface name Linux accepts (`IFNAMSIZ` less the NUL).
pub const MAX_INTERFACE_NAME_LEN: usize = 15;

/// Why a [`NetworkConfig`] or an [`IpPrefix`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A prefix length beyond the address family's bit count.
    #[error("prefix length {len} is too long for {addr} (at most {max})")]
    PrefixTooLong {
        /// The address.
        addr: IpAddr,
        /// The length given.
        len: u8,
        /// The family's maximum.
        max: u8,
    },
    /// Text that is not `address/length`.
    #[error("'{0}' is not an address prefix (expected address/length)")]
    BadPrefix(String),
    /// An inner address of the wrong family for its field.
    #[error("the {field} address {addr} is not an {family} address")]
    WrongFamily {
        /// Which field: "IPv4" or "IPv6".
        field: &'static str,
        /// The address given.
        addr: IpAddr,
        /// The family expected.
        family: &'static str,
    },
    /// An interface address that is unusable (unspecified, multicast,
    /// loopback, or a /0).
    #[error("{0} cannot be a tunnel interface address")]
    UnusableAddress(IpPrefix),
    /// An interface name the OS would refuse.
    #[error("the interface name '{name}' is invalid: {reason}")]
    BadInterfaceName {
        /// The name (or prefix) given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An MTU outside what the configured families allow.
    #[error("MTU {mtu} is outside {min}..=65535 ({why})")]
    BadMtu {
        /// The MTU given.
        mtu: u16,
        /// The smallest allowed.
        min: u16,
        /// Which rule set the minimum.
        why: &'static str,
    },
    /// A DNS search domain that is empty or would break resolv.conf.
    #[error("the search domain '{0}' is invalid")]
    BadSearchDomain(String),
    /// A split tunnel without a single prefix.
    #[error("a split tunnel needs at least one prefix")]
    EmptySplitTunnel,
}

/// An address with a prefix length: an interface address such as
/// `192.0.2.10/24` (host bits kept) or a route destination such as
/// `198.51.100.0/24` (see [`IpPrefix::network`]).
///
/// Written and parsed as `address/length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPrefix {
    addr: IpAddr,
    len: u8,
}

impl IpPrefix {
    /// A prefix; fails when `len` exceeds the family's bit count.
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, ConfigError> {
        let max = max_len(addr);
        if len > max {
            return Err(ConfigError::PrefixTooLong { addr, len, max });
        }
        Ok(Self { addr, len })
    }

    /// A prefix from constants; the length must fit the family (checked by
    /// the callers, all in this crate).
    pub(crate) const fn const_new(addr: IpAddr, len: u8) -> Self {
        Self { addr, len }
    }

    /// A host prefix (/32 or /128) for one address.
    pub fn host(addr: IpAddr) -> Self {
        Self {
            addr,
            len: max_len(addr),
        }
    }

    /// The address as given (host bits included).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether this is an IPv4 prefix.
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// The same prefix with the host bits cleared, as route destinations
    /// must be: `192.0.2.10/24` gives `192.0.2.0/24`.
    pub fn network(&self) -> Self {
        let addr = match self.addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        };
        Self {
            addr,
            len: self.len,
        }
    }

    /// Whether `addr` lies inside this prefix.
    pub fn contains(&self, addr: IpAddr) -> bool {
        if addr.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        Self {
            addr,
            len: self.len,
        }
        .network()
            == self.network()
    }
}

fn max_len(addr: IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for IpPrefix {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ConfigError::BadPrefix(s.to_owned());
        let (addr, len) = s.split_once('/').ok_or_else(bad)?;
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let len: u8 = len.parse().map_err(|_| bad())?;
        Self::new(addr, len)
    }
}

impl Serialize for IpPrefix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpPrefix {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How the packet device is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunName {
    /// A prefix: on Linux the kernel appends the first free number
    /// (`swtun0`, `swtun1`, ...); on Windows it names the Wintun adapter; on
    /// macOS, where devices are always `utunN`, it is ignored.
    Prefix(String),
    /// This exact name (on macOS it must be a `utunN` name).
    Exact(String),
}

impl Default for TunName {
    fn default() -> Self {
        Self::Prefix(DEFAULT_TUN_PREFIX.to_owned())
    }
}

impl TunName {
    /// Checks the name against what Linux accepts: at most 15 bytes (a
    /// prefix leaves room for a number), no `/`, `%`, `:` or whitespace.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (name, room) = match self {
            Self::Prefix(p) => (p, 3),
            Self::Exact(n) => (n, 0),
        };
        let bad = |reason| ConfigError::BadInterfaceName {
            name: name.clone(),
            reason,
        };
        if name.is_empty() {
            return Err(bad("it is empty"));
        }
        if name.len() + room > MAX_INTERFACE_NAME_LEN {
            return Err(bad(
                "it is longer than 15 bytes (a prefix leaves 3 for the number)",
            ));
        }
        if name
            .chars()
            .any(|c| c == '/' || c == '%' || c == ':' || c.is_whitespace() || c.is_control())
        {
            return Err(bad("it contains '/', '%', ':' or whitespace"));
        }
        if name == "." || name == ".." {
            return Err(bad("it is '.' or '..'"));
        }
        Ok(())
    }
}

/// Which traffic enters the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMode {
    /// Everything (of each family that has an inner address): the default
    /// routes are captured without replacing the machine's own, and the
    /// SC's outer address stays routed outside.
    Full,
    /// Only these destinations.
    Split(Vec<IpPrefix>),
}

/// Everything the tunnel needs from the OS network stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    /// The packet device's name.
    pub tun_name: TunName,
    /// The packet device's MTU (at least 576 with IPv4 only, 1280 once
    /// IPv6 is configured).
    pub mtu: u16,
    /// The inner IPv4 address and prefix length, e.g. `192.0.2.10/32`.
    pub ipv4: Option<IpPrefix>,
    /// The inner IPv6 address and prefix length, e.g. `2001:db8::10/128`.
    pub ipv6: Option<IpPrefix>,
    /// DNS servers reached through the tunnel; none leaves DNS alone
    /// (search domains included).
    pub dns_servers: Vec<IpAddr>,
    /// DNS search domains, set along with the servers.
    pub search_domains: Vec<String>,
    /// Which traffic is routed into the tunnel.
    pub routes: RouteMode,
    /// The SC's outer address, kept routed outside the tunnel when the
    /// tunnel's routes would otherwise capture it.
    pub outer_peer: Option<IpAddr>,
}

impl NetworkConfig {
    /// A full tunnel with default naming and no addresses or DNS yet.
    pub fn full_tunnel(mtu: u16) -> Self {
        Self {
            tun_name: TunName::default(),
            mtu,
            ipv4: None,
            ipv6: None,
            dns_servers: Vec::new(),
            search_domains: Vec::new(),
            routes: RouteMode::Full,
            outer_peer: None,
        }
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.tun_name.validate()?;
        check_address(self.ipv4, "IPv4", true)?;
        check_address(self.ipv6, "IPv6", false)?;
        let (min, why) = if self.ipv6.is_some() {
            (1280, "IPv6 needs at least 1280")
        } else {
            (576, "IPv4 needs at least 576")
        };
        if self.mtu < min {
            return Err(ConfigError::BadMtu {
                mtu: self.mtu,
                min,
                why,
            });
        }
        for domain in &self.search_domains {
            let ok = !domain.is_empty()
                && domain.len() <= 253
                && !domain
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == ';');
            if !ok {
                return Err(ConfigError::BadSearchDomain(domain.clone()));
            }
        }
        if let RouteMode::Split(prefixes) = &self.routes {
            if prefixes.is_empty() {
                return Err(ConfigError::EmptySplitTunnel);
            }
        }
        Ok(())
    }

    /// The destinations routed into the tunnel: for a full tunnel the two
    /// halves of each family's address space (see [`crate::routes`]).
    pub fn tunnel_prefixes(&self) -> Vec<IpPrefix> {
        match &self.routes {
            RouteMode::Full => {
                let mut out = Vec::with_capacity(4);
                if self.ipv4.is_some() {
                    out.extend(crate::routes::FULL_TUNNEL_V4);
                }
                if self.ipv6.is_some() {
                    out.extend(crate::routes::FULL_TUNNEL_V6);
                }
                out
            }
            RouteMode::Split(prefixes) => prefixes.iter().map(IpPrefix::network).collect(),
        }
    }

    /// Whether the SC's outer address needs a host route outside the
    /// tunnel: it would otherwise fall inside one of the tunnel's routes.
    pub fn needs_outer_host_route(&self) -> Option<IpAddr> {
        let peer = self.outer_peer?;
        self.tunnel_prefixes()
            .iter()
            .any(|p| p.contains(peer))
            .then_some(peer)
    }
}

fn check_address(
    prefix: Option<IpPrefix>,
    field: &'static str,
    v4: bool,
) -> Result<(), ConfigError> {
    let Some(prefix) = prefix else {
        return Ok(());
    };
    let addr = prefix.addr();
    if addr.is_ipv4() != v4 {
        return Err(ConfigError::WrongFamily {
            field,
            addr,
            family: field,
        });
    }
    if addr.is_unspecified()
        || addr.is_multicast()
        || addr.is_loopback()
        || prefix.prefix_len() == 0
    {
        return Err(ConfigError::UnusableAddress(prefix));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> IpPrefix {
        s.parse().unwrap()
    }

    #[test]
    fn prefixes_parse_print_and_mask() {
        assert_eq!(p("192.0.2.10/24").to_string(), "192.0.2.10/24");
        assert_eq!(p("192.0.2.10/24").network(), p("192.0.2.0/24"));
        assert_eq!(p("2001:db8::1/32").network(), p("2001:db8::/32"));
        assert_eq!(p("203.0.113.7/0").network(), p("0.0.0.0/0"));
        assert_eq!(p("203.0.113.7/32").network(), p("203.0.113.7/32"));
        assert!(p("128.0.0.0/1").contains("203.0.113.1".parse().unwrap()));
        assert!(!p("0.0.0.0/1").contains(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1))));
        assert!(!p("::/1").contains(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))));
        assert!("192.0.2.1/33".parse::<IpPrefix>().is_err());
        assert!("192.0.2.1".parse::<IpPrefix>().is_err());
        assert!("x/3".parse::<IpPrefix>().is_err());
    }

    #[test]
    fn prefixes_round_trip_through_json() {
        let json = serde_json::to_string(&p("2001:db8::10/64")).unwrap();
        assert_eq!(json, "\"2001:db8::10/64\"");
        let back: IpPrefix = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p("2001:db8::10/64"));
    }

    #[test]
    fn validation_names_the_problem() {
        let mut c = NetworkConfig::full_tunnel(1400);
        c.ipv4 = Some(p("192.0.2.10/32"));
        c.ipv6 = Some(p("2001:db8::10/128"));
        assert_eq!(c.validate(), Ok(()));

        let mut bad = c.clone();
        bad.mtu = 1279;
        assert!(matches!(
            bad.validate(),
            Err(ConfigError::BadMtu { min: 1280, .. })
        ));

        let mut bad = c.clone();
        bad.ipv4 = Some(p("2001:db8::1/64"));
        assert!(matches!(
            bad.validate(),
            Err(ConfigError::WrongFamily { .. })
        ));

        let mut bad = c.clone();
        bad.tun_name = TunName::Prefix("a-very-long-nam".into());
        assert!(bad.validate().is_err());

        let mut bad = c.clone();
        bad.search_domains = vec!["a b".into()];
        assert!(bad.validate().is_err());

        let mut bad = c;
        bad.routes = RouteMode::Split(vec![]);
        assert_eq!(bad.validate(), Err(ConfigError::EmptySplitTunnel));
    }

    #[test]
    fn the_outer_peer_needs_a_host_route_only_when_captured() {
        let mut c = NetworkConfig::full_tunnel(1400);
        c.ipv4 = Some(p("192.0.2.10/32"));
        c.outer_peer = Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)));
        assert_eq!(c.needs_outer_host_route(), c.outer_peer);

        c.routes = RouteMode::Split(vec![p("198.51.100.0/24")]);
        assert_eq!(c.needs_outer_host_route(), None);

        c.routes = RouteMode::Split(vec![p("203.0.113.0/24")]);
        assert_eq!(c.needs_outer_host_route(), c.outer_peer);

        // No IPv6 inner address: a full tunnel does not capture IPv6.
        c.routes = RouteMode::Full;
        c.outer_peer = Some("2001:db8:5::1".parse().unwrap());
        assert_eq!(c.needs_outer_host_route(), None);
    }
}
