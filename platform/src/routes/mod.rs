//! Routes into (and around) the tunnel.
//!
//! **Strategy: half routes.** A full tunnel adds `0.0.0.0/1` +
//! `128.0.0.0/1` and `::/1` + `8000::/1` through the packet device, as
//! OpenVPN's `def1` and many WireGuard clients do. Together they cover every
//! address and, being more specific than a `/0`, win over the machine's
//! default route without replacing or touching it: when the tunnel goes the
//! halves go, and the original default route was never changed (nothing to
//! restore, nothing lost if a DHCP client renews it meanwhile). The SC's
//! own outer address gets a host route (`/32` or `/128`) through the
//! gateway the kernel uses for it just before (`ip route get`), so the
//! tunnel's packets never loop into the tunnel.
//!
//! The alternative, a separate routing table selected by a firewall mark
//! (fwmark) on the tunnel's own sockets, needs every outer socket marked
//! (`SO_MARK`, privileged) and policy rules per family; it stays correct
//! when the SC's address changes (MOBIKE), but touches more of the system
//! for the same effect. Routes more specific than a `/1` (for example a
//! directly attached LAN) still go around the tunnel with half routes;
//! keeping traffic from leaking that way is the firewall's job.
//!
//! A split tunnel adds only the given prefixes.
//!
//! **After a network change** (MOBIKE roaming) the host route may be gone
//! (the kernel flushes an interface's routes with its last IPv4 address)
//! or point at a gateway that left. `ip route get` cannot say where the SC
//! should go now, since a full tunnel's halves capture it; the main table
//! is dumped instead ([`RouteTable::main_routes`]) and the route the OS
//! would use without the tunnel picked from it (longest prefix, then
//! lowest metric).
//!
//! - **Linux**: rtnetlink, main table, protocol `static`.
//! - **Windows, macOS**: not implemented yet; every call returns
//!   [`RouteError::Unsupported`].

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::config::IpPrefix;
use crate::device::{Interface, Removal};

pub(crate) mod outer;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod os;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod os;
#[cfg(target_os = "windows")]
#[path = "windows.rs"]
mod os;

/// The two IPv4 halves a full tunnel routes through the device.
pub const FULL_TUNNEL_V4: [IpPrefix; 2] = [
    IpPrefix::const_new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 1),
    IpPrefix::const_new(IpAddr::V4(Ipv4Addr::new(128, 0, 0, 0)), 1),
];

/// The two IPv6 halves a full tunnel routes through the device.
pub const FULL_TUNNEL_V6: [IpPrefix; 2] = [
    IpPrefix::const_new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 1),
    IpPrefix::const_new(IpAddr::V6(Ipv6Addr::new(0x8000, 0, 0, 0, 0, 0, 0, 0)), 1),
];

/// One route: destination, optional gateway, outgoing interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Route {
    /// The destination (host bits are cleared when the route is added).
    pub destination: IpPrefix,
    /// The next hop, when not directly reachable through the interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// The outgoing interface.
    pub interface: Interface,
}

impl Route {
    /// A route through the interface without a gateway (as into a TUN).
    pub fn through(destination: IpPrefix, interface: &Interface) -> Self {
        Self {
            destination: destination.network(),
            gateway: None,
            interface: interface.clone(),
        }
    }
}

impl fmt::Display for Route {
    /// As `ip route` writes it: `203.0.113.1/32 via 198.51.100.1 dev eth0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.destination.network())?;
        if let Some(gateway) = self.gateway {
            write!(f, " via {gateway}")?;
        }
        write!(f, " dev {}", self.interface.name)
    }
}

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::V4,
            IpAddr::V6(_) => Self::V6,
        }
    }
}

/// A unicast route of the main table, as the OS lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRoute {
    /// The destination.
    pub destination: IpPrefix,
    /// The next hop, if not on-link.
    pub gateway: Option<IpAddr>,
    /// The outgoing interface's index.
    pub interface_index: u32,
    /// The metric (Linux: priority); lower wins among equal prefixes.
    pub metric: u32,
}

/// How the OS reaches one address right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathToHost {
    /// It is one of this machine's own addresses: no route needed.
    Local,
    /// Out of `interface`, through `gateway` if there is one.
    Via {
        /// The next hop, if not on-link.
        gateway: Option<IpAddr>,
        /// The outgoing interface.
        interface: Interface,
    },
}

/// Why a route operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The configuration channel (netlink) could not be opened.
    #[error("could not open the network configuration channel: {0}")]
    Control(#[source] io::Error),
    /// The OS could not say how it reaches an address.
    #[error("could not look up the route to {destination}: {source}")]
    Lookup {
        /// The address looked up.
        destination: IpAddr,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// The routing table could not be listed.
    #[error("could not list the routing table: {0}")]
    Dump(#[source] io::Error),
    /// An interface could not be looked up.
    #[error("could not look up interface {index}: {source}")]
    Interface {
        /// Its index.
        index: u32,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// The same route is already there (added by someone else).
    #[error("could not add route {route}: it already exists")]
    AlreadyExists {
        /// The route, as `ip route` shows it.
        route: String,
    },
    /// Adding failed.
    #[error("could not add route {route}: {source}")]
    Add {
        /// The route, as `ip route` shows it.
        route: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// Removing failed.
    #[error("could not remove route {route}: {source}")]
    Remove {
        /// The route, as `ip route` shows it.
        route: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// Not implemented on this OS yet.
    #[error("{what} is not supported on {os} yet")]
    Unsupported {
        /// What was asked.
        what: &'static str,
        /// This OS.
        os: &'static str,
    },
}

/// The OS's routing table.
#[derive(Debug)]
pub struct RouteTable {
    os: os::Table,
}

impl RouteTable {
    /// Opens the configuration channel (netlink on Linux: needs a tokio
    /// runtime).
    pub fn open() -> Result<Self, RouteError> {
        Ok(Self {
            os: os::Table::open()?,
        })
    }

    /// How the OS would send a packet to `destination` now (`ip route
    /// get`).
    pub async fn path_to(&self, destination: IpAddr) -> Result<PathToHost, RouteError> {
        self.os.path_to(destination).await
    }

    /// The main table's unicast routes of one family (Linux leaves out
    /// dead and link-down routes; of a multipath route only its first hop
    /// is listed).
    pub async fn main_routes(&self, family: Family) -> Result<Vec<TableRoute>, RouteError> {
        self.os.main_routes(family).await
    }

    /// The interface with this index, if there is one.
    pub async fn interface(&self, index: u32) -> Result<Option<Interface>, RouteError> {
        self.os.interface(index).await
    }

    /// Adds a route; [`RouteError::AlreadyExists`] when an identical one
    /// is there.
    pub async fn add(&self, route: &Route) -> Result<(), RouteError> {
        self.os.add(route).await
    }

    /// Removes a route; one already gone (or whose interface is gone) is
    /// [`Removal::AlreadyGone`].
    pub async fn remove(&self, route: &Route) -> Result<Removal, RouteError> {
        self.os.remove(route).await
    }
}
