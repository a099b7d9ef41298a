//! What discovery asks of the platform: the network the host is on now,
//! DNS lookups against given servers, and sockets on the DHCP client
//! ports. The platform crate implements these; tests use fakes.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The network the host is attached to now: the interface of the default
/// route outside the tunnel, and what the system knows about its DNS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalNetwork {
    /// Interface name, such as "wlan0".
    pub interface: String,
    /// Interface index.
    pub index: u32,
    /// Its IPv4 address, if any.
    pub ipv4: Option<Ipv4Addr>,
    /// Its IPv4 default gateway, if any.
    pub gateway_v4: Option<Ipv4Addr>,
    /// Its link-layer address (DHCPv4 `chaddr`), if it has one.
    pub mac: Option<[u8; 6]>,
    /// Its IPv6 link-local address (the DHCPv6 client's source), if any.
    pub ipv6_link_local: Option<Ipv6Addr>,
    /// Its IPv6 default gateway, if any.
    pub gateway_v6: Option<Ipv6Addr>,
    /// The search domains the system resolver uses on this network.
    pub search_domains: Vec<String>,
    /// The DNS servers the system resolver uses on this network.
    pub name_servers: Vec<IpAddr>,
}

/// Identifies a network for the discovery cache: a change of interface,
/// address or gateway means the host moved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NetworkKey {
    interface: String,
    ipv4: Option<Ipv4Addr>,
    gateway_v4: Option<Ipv4Addr>,
    gateway_v6: Option<Ipv6Addr>,
    search_domains: Vec<String>,
}

impl LocalNetwork {
    /// The cache key of this network.
    pub fn key(&self) -> NetworkKey {
        NetworkKey {
            interface: self.interface.clone(),
            ipv4: self.ipv4,
            gateway_v4: self.gateway_v4,
            gateway_v6: self.gateway_v6,
            search_domains: self.search_domains.clone(),
        }
    }
}

/// Why a lookup could not be made or gave nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// Nothing to ask on: no default route, no address of that family.
    #[error("{0}")]
    NotAvailable(String),
    /// Not implemented on this operating system.
    #[error("not supported on this system: {0}")]
    Unsupported(&'static str),
    /// The name does not exist (NXDOMAIN) or has no record of that type.
    #[error("no such record")]
    NoRecord,
    /// The servers did not answer usably in time.
    #[error("no usable answer: {0}")]
    NoAnswer(String),
    /// A socket could not be opened or used.
    #[error("{0}")]
    Io(String),
}

impl From<io::Error> for LookupError {
    fn from(e: io::Error) -> Self {
        LookupError::Io(e.to_string())
    }
}

/// An SRV record (RFC 2782).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Among equal priorities, the share of attempts.
    pub weight: u16,
    /// The port to use.
    pub port: u16,
    /// The target host (absolute, without the final dot).
    pub target: String,
}

/// The network the host is on now.
pub trait NetworkView {
    /// Reads the current network (interface of the default route outside
    /// the tunnel, its addresses, the resolver's domains and servers).
    fn current(&self) -> impl Future<Output = Result<LocalNetwork, LookupError>> + Send;
}

/// DNS lookups against given servers (never the search list: names are
/// absolute).
pub trait DnsLookup: Sync {
    /// A (`ipv6 == false`) or AAAA records of `name`.
    fn lookup_ip(
        &self,
        servers: &[IpAddr],
        name: &str,
        ipv6: bool,
    ) -> impl Future<Output = Result<Vec<IpAddr>, LookupError>> + Send;

    /// SRV records of `name`.
    fn lookup_srv(
        &self,
        servers: &[IpAddr],
        name: &str,
    ) -> impl Future<Output = Result<Vec<SrvRecord>, LookupError>> + Send;
}

/// A datagram socket bound to a DHCP client port on one interface, with
/// its server (the broadcast or All_DHCP_Relay_Agents_and_Servers
/// address) as the default destination.
pub trait DatagramPort: Send + Sync {
    /// Sends one datagram to the servers.
    fn send(&self, datagram: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
    /// Receives one datagram (from anyone: the caller checks it).
    fn recv(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
    /// The local port, for reports (not 68 or 546 when the client port
    /// was taken and an ephemeral one is used instead).
    fn local_port(&self) -> u16;
}

/// Opens DHCP client sockets on an interface.
pub trait DhcpPorts: Sync {
    /// The socket type.
    type Port: DatagramPort;
    /// A DHCPv4 socket on `network`'s interface (client port 68, or an
    /// ephemeral port if 68 cannot be had), sending to 255.255.255.255:67.
    fn open_v4(
        &self,
        network: &LocalNetwork,
    ) -> impl Future<Output = Result<Self::Port, LookupError>> + Send;
    /// A DHCPv6 socket on `network`'s link-local address, port 546,
    /// sending to [ff02::1:2]:547 on that interface.
    fn open_v6(
        &self,
        network: &LocalNetwork,
    ) -> impl Future<Output = Result<Self::Port, LookupError>> + Send;
}
