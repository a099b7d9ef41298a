//! Finding the SC: the profile's address, or candidates discovered on the
//! current network (RFC 5619 §3.1 case 1; the softwire security
//! requirements' list of configuration, DNS, DHCP and anycast).
//!
//! A discovered address is only a hint. Each candidate must still prove
//! the identity the profile names before any user secret goes to it (the
//! initiator's `confirm_sc` step), so a rogue DHCP or DNS server can at
//! worst make a connection fail, never learn a password.
//!
//! Everything here is sans-IO:
//! - [`policy`]: which sources a profile asks for, in which order;
//! - [`dhcp4`] and [`dhcp6`]: the DHCPINFORM (RFC 2131 §3.4) and
//!   Information-Request (RFC 8415 §18.2.6, RFC 6334) messages and the
//!   strict parsing of their replies;
//! - [`order`]: the candidates in trial order;
//! - [`cache`]: what was found, per network;
//! - [`lookups`]: the traits through which the platform answers (the
//!   current network, DNS, DHCP sockets).

pub mod cache;
pub mod dhcp4;
pub mod dhcp6;
pub mod lookups;
mod names;
pub mod order;
pub mod policy;

use std::fmt;
use std::net::SocketAddr;

pub use lookups::{DatagramPort, DhcpPorts, DnsLookup, LocalNetwork, LookupError, NetworkView};
pub use policy::{Policy, Source};

/// One address to try, and how it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Where to send IKE_SA_INIT.
    pub address: SocketAddr,
    /// How it was found (shown to the user).
    pub origin: Origin,
}

/// How a candidate was found. Its `Display` completes "SC found ...", for
/// example "via DHCP option 224 on wlan0".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The profile's own address or host name.
    Configured {
        /// As written in the profile.
        host: String,
    },
    /// An A or AAAA record of the service label in a search domain.
    Dns {
        /// The absolute name looked up.
        name: String,
        /// "A" or "AAAA".
        record: &'static str,
    },
    /// An SRV record (RFC 2782), then the target's address.
    Srv {
        /// The SRV owner name.
        name: String,
        /// The target host it named.
        target: String,
    },
    /// A DHCPv4 option holding IPv4 addresses.
    Dhcp4 {
        /// The option code.
        code: u8,
        /// The interface the DHCPINFORM went out on.
        interface: String,
    },
    /// The DHCPv6 AFTR-Name option (RFC 6334), then the name's address.
    Dhcp6Aftr {
        /// The name the option carried.
        name: String,
        /// The interface the Information-Request went out on.
        interface: String,
    },
    /// A configured anycast address.
    Anycast,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Configured { host } => write!(f, "from the profile ({host})"),
            Origin::Dns { name, record } => write!(f, "via DNS {name} ({record})"),
            Origin::Srv { name, target } => write!(f, "via DNS SRV {name} -> {target}"),
            Origin::Dhcp4 { code, interface } => {
                write!(f, "via DHCP option {code} on {interface}")
            }
            Origin::Dhcp6Aftr { name, interface } => {
                write!(f, "via DHCPv6 AFTR-Name {name} on {interface}")
            }
            Origin::Anycast => f.write_str("at the configured anycast address"),
        }
    }
}

/// A transaction id for a DHCP exchange: random, so that an off-link
/// sender cannot guess it (RFC 2131 §4.1, RFC 8415 §15).
pub fn random_xid() -> [u8; 4] {
    use ring::rand::SecureRandom;
    let mut xid = [0u8; 4];
    // A failing system generator leaves zeros: still a valid id.
    let _ = ring::rand::SystemRandom::new().fill(&mut xid);
    xid
}

/// Feeds `check` every truncation of `good` and 5000 copies with a few
/// octets at `from..from + span` changed at random: parsers must answer
/// or refuse each, never panic.
#[cfg(test)]
pub(crate) fn for_each_mangling(good: &[u8], from: usize, span: u64, mut check: impl FnMut(&[u8])) {
    for n in 0..good.len() {
        check(good.get(..n).unwrap_or_default());
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5000 {
        let mut m = good.to_vec();
        for _ in 0..(next() % 6 + 1) {
            let at = usize::try_from(next() % span).unwrap_or(0) + from;
            if let Some(b) = m.get_mut(at) {
                *b = next().to_le_bytes()[0];
            }
        }
        check(&m);
    }
}

#[cfg(test)]
mod tests;
