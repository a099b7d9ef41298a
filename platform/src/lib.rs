//! Softwire's operating-system shims.
//!
//! Each OS concern sits behind one facade here, with `cfg(target_os)` code
//! kept inside it:
//!
//! - [`device`]: the packet device (TUN) and its addresses;
//! - [`routes`]: routes into the tunnel (half routes for a full tunnel) and
//!   the host route keeping the SC outside it;
//! - [`dns`]: systemd-resolved per-link settings, or the resolver file
//!   rewritten in place;
//! - [`tunnel`]: all of the above applied as one unit through
//!   [`TunnelConfigurator`], journalled in a state file ([`journal`]) so a
//!   crashed run is undone by [`tunnel::recover`];
//! - [`netmon`]: network-change notifications ([`NetworkMonitor`]), after
//!   which [`TunnelConfigurator::refresh_outer_route`] re-pins the SC's
//!   host route (MOBIKE roaming);
//! - [`trust_store`]: the system's CA certificates;
//! - [`keychain`]: the user's passwords and keys (Secret Service, Keychain,
//!   Credential Manager); [`peer`]: who is at the other end of a local
//!   socket; [`hardening`]: no core dumps; [`signals`]: stop requests.
//!
//! Linux is complete. On Windows (Wintun) and macOS (utun) the packet
//! device is created and network changes are watched (that code is only
//! type-checked so far), but addresses, routes and DNS return
//! `Unsupported` errors for now; the keychain there is only type-checked
//! too. Leak protection (firewall) arrives later.
//!
//! The inputs are plain `std::net` types ([`NetworkConfig`]), so this crate
//! does not depend on the protocol engine's types for them.

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
compile_error!("softwire-platform supports Linux, macOS and Windows");

pub mod config;
pub mod device;
pub mod discovery;
pub mod dns;
pub mod hardening;
pub mod journal;
pub mod keychain;
#[cfg(target_os = "linux")]
mod netlink;
pub mod netmon;
/// Packet logic for Linux TUN segmentation and checksum offloads (pure, no I/O).
pub mod offload;
pub mod path_mtu;
#[cfg(unix)]
pub mod peer;
pub mod routes;
pub mod signals;
pub mod trust_store;
pub mod tunnel;
pub mod udp;

pub use config::{IpPrefix, NetworkConfig, RouteMode, TunName};
pub use device::{DeviceCloser, DeviceReader, DeviceWriter, Interface, PacketDevice};
pub use netmon::{NetMonError, NetworkChange, NetworkMonitor};
pub use tunnel::{
    recover, ConfiguratorOptions, OuterRoute, TunnelConfigurator, TunnelError, UndoReport,
};
