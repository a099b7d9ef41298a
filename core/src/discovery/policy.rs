//! Which discovery sources a profile asks for, in order.

use std::net::IpAddr;

/// One place to look for the SC.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The profile's address or host name.
    Address(String),
    /// `<label>.<search domain>` A and AAAA, in each search domain.
    Dns {
        /// The service label.
        label: String,
    },
    /// `<service>.<search domain>` SRV, in each search domain.
    Srv {
        /// Such as "_isakmp._udp".
        service: String,
    },
    /// A DHCPv4 option holding IPv4 addresses, by DHCPINFORM.
    Dhcp4 {
        /// The option code.
        code: u8,
    },
    /// The DHCPv6 AFTR-Name option (RFC 6334), by Information-Request.
    Dhcp6Aftr,
    /// Configured anycast addresses.
    Anycast(Vec<IpAddr>),
}

/// The sources to ask, in order of preference, and the IKE port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    /// In order of preference.
    pub sources: Vec<Source>,
    /// The SC's IKE port.
    pub port: u16,
    /// How long each source may take.
    pub timeout: std::time::Duration,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Address(host) => write!(f, "address {host}"),
            Source::Dns { label } => write!(f, "DNS {label}.<search domains>"),
            Source::Srv { service } => write!(f, "DNS SRV {service}.<search domains>"),
            Source::Dhcp4 { code } => write!(f, "DHCP option {code}"),
            Source::Dhcp6Aftr => f.write_str("DHCPv6 AFTR-Name"),
            Source::Anycast(addresses) => {
                f.write_str("anycast")?;
                for (i, a) in addresses.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { ", " })?;
                    write!(f, "{a}")?;
                }
                Ok(())
            }
        }
    }
}
