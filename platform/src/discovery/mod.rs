//! The platform's side of SC discovery (core's `discovery::lookups`
//! traits): the network the host is on, DNS lookups against that
//! network's servers, and sockets on the DHCP client ports.
//!
//! DNS goes through hickory-resolver on every OS. The network view and
//! the DHCP sockets are Linux-only so far; on macOS and Windows they
//! answer `Unsupported` (type-checked, not run).

mod dns;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(target_os = "linux"))]
mod other;
mod resolvers;

pub use dns::SystemDns;
#[cfg(target_os = "linux")]
pub use linux::{DhcpSocket, SystemDhcpPorts, SystemNetwork};
#[cfg(not(target_os = "linux"))]
pub use other::{DhcpSocket, SystemDhcpPorts, SystemNetwork};
pub use resolvers::{parse_resolv_conf, parse_resolvectl, ResolverSettings};
