//! `[sc.discovery]`: how to find the SC when the profile does not name it
//! (`sc.address = "discover"`), or where else to look when it does.
//!
//! ```toml
//! [sc]
//! address = "discover"            # find the SC on the network
//! identity = "sc.example.net"     # required: what it must prove
//! ca = "system"
//!
//! [sc.discovery]                  # optional; these are the defaults
//! sources = ["dns", "dhcpv4", "dhcpv6"]   # also "srv", "anycast", "address"
//! label = "softwire"              # DNS: softwire.<search domain>, A and AAAA
//! srv = "_isakmp._udp"            # DNS SRV, when "srv" is listed
//! dhcp_option = 224               # DHCPv4 site-specific option (224-254)
//! anycast = []                    # addresses; listed ones add "anycast"
//! timeout_seconds = 3             # per source
//! ```

use std::collections::HashSet;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::validate::field;
use super::{AuthMethodSetting, Profile, ProfileError};
use crate::discovery::{Policy, Source};

/// The `sc.address` value that asks for discovery.
pub const DISCOVER: &str = "discover";

/// `[sc.discovery]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverySettings {
    /// The sources, in order of preference; empty: the defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceSetting>,
    /// The DNS service label, tried in each search domain.
    #[serde(default = "default_label")]
    pub label: String,
    /// The SRV service and protocol labels.
    #[serde(default = "default_srv")]
    pub srv: String,
    /// The DHCPv4 option carrying the SC's IPv4 addresses.
    #[serde(default = "default_dhcp_option")]
    pub dhcp_option: u8,
    /// Anycast addresses of the SC.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anycast: Vec<IpAddr>,
    /// How long each source may take, in seconds (1 to 30).
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        Self {
            sources: Vec::new(),
            label: default_label(),
            srv: default_srv(),
            dhcp_option: default_dhcp_option(),
            anycast: Vec::new(),
            timeout_seconds: default_timeout_seconds(),
        }
    }
}

/// A source a profile can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceSetting {
    /// The profile's `sc.address`.
    Address,
    /// The service label in each search domain (A and AAAA).
    Dns,
    /// SRV in each search domain.
    Srv,
    /// The DHCPv4 option, by DHCPINFORM.
    Dhcpv4,
    /// The DHCPv6 AFTR-Name, by Information-Request.
    Dhcpv6,
    /// The configured anycast addresses.
    Anycast,
}

fn default_label() -> String {
    "softwire".to_owned()
}

fn default_srv() -> String {
    "_isakmp._udp".to_owned()
}

fn default_dhcp_option() -> u8 {
    224
}

fn default_timeout_seconds() -> u64 {
    3
}

impl Profile {
    /// Whether the SC is to be found on the network.
    pub fn discovers_sc(&self) -> bool {
        self.sc.address.trim() == DISCOVER || self.sc.discovery.is_some()
    }

    /// The discovery policy: `None` when the profile names its SC and has
    /// no `[sc.discovery]` table.
    pub fn discovery_policy(&self) -> Option<Policy> {
        if !self.discovers_sc() {
            return None;
        }
        let settings = self.sc.discovery.clone().unwrap_or_default();
        let sources = self
            .source_settings(&settings)
            .into_iter()
            .map(|s| match s {
                SourceSetting::Address => Source::Address(self.sc.address.trim().to_owned()),
                SourceSetting::Dns => Source::Dns {
                    label: settings.label.clone(),
                },
                SourceSetting::Srv => Source::Srv {
                    service: settings.srv.clone(),
                },
                SourceSetting::Dhcpv4 => Source::Dhcp4 {
                    code: settings.dhcp_option,
                },
                SourceSetting::Dhcpv6 => Source::Dhcp6Aftr,
                SourceSetting::Anycast => Source::Anycast(settings.anycast.clone()),
            })
            .collect();
        Some(Policy {
            sources,
            port: self.sc.port,
            timeout: std::time::Duration::from_secs(settings.timeout_seconds),
        })
    }

    /// The sources in order: as listed, or the defaults (the configured
    /// address first when there is one, anycast last when configured).
    fn source_settings(&self, settings: &DiscoverySettings) -> Vec<SourceSetting> {
        if !settings.sources.is_empty() {
            return settings.sources.clone();
        }
        let mut sources = Vec::new();
        if self.sc.address.trim() != DISCOVER {
            sources.push(SourceSetting::Address);
        }
        sources.extend([
            SourceSetting::Dns,
            SourceSetting::Dhcpv4,
            SourceSetting::Dhcpv6,
        ]);
        if !settings.anycast.is_empty() {
            sources.push(SourceSetting::Anycast);
        }
        sources
    }

    /// The discovery rules: a discovered address is only a hint, so the
    /// SC must be named and must prove itself before any secret goes out.
    pub(super) fn validate_discovery(&self) -> Result<(), ProfileError> {
        if !self.discovers_sc() {
            return Ok(());
        }
        if self
            .sc
            .identity
            .as_deref()
            .is_none_or(|i| i.trim().is_empty())
        {
            return Err(field(
                "sc.identity",
                "is required when the SC is discovered: a discovered address is only a hint, \
                 so name the identity the SC must prove",
            ));
        }
        if self.auth.method == AuthMethodSetting::Psk {
            return Err(field(
                "auth.method",
                "\"psk\" cannot be used with discovery: the key's proof would go to an SC \
                 before it has proven who it is; use \"eap-mschapv2\" or \"certificate\"",
            ));
        }
        let settings = self.sc.discovery.clone().unwrap_or_default();
        if !(224..=254).contains(&settings.dhcp_option) {
            return Err(field(
                "sc.discovery.dhcp_option",
                format!(
                    "{} is not a site-specific option (224 to 254, RFC 3942)",
                    settings.dhcp_option
                ),
            ));
        }
        if !is_label(&settings.label) {
            return Err(field(
                "sc.discovery.label",
                format!(
                    "\"{}\" is not one DNS label (letters, digits and hyphens, up to 63)",
                    settings.label
                ),
            ));
        }
        if !is_srv_service(&settings.srv) {
            return Err(field(
                "sc.discovery.srv",
                format!(
                    "\"{}\" is not a service like \"_isakmp._udp\"",
                    settings.srv
                ),
            ));
        }
        if !(1..=30).contains(&settings.timeout_seconds) {
            return Err(field(
                "sc.discovery.timeout_seconds",
                format!("{} is outside 1 to 30 seconds", settings.timeout_seconds),
            ));
        }
        let sources = self.source_settings(&settings);
        let mut seen = HashSet::new();
        for source in &sources {
            if !seen.insert(*source) {
                return Err(field(
                    "sc.discovery.sources",
                    format!("{source:?} is listed twice"),
                ));
            }
        }
        if sources.contains(&SourceSetting::Address) && self.sc.address.trim() == DISCOVER {
            return Err(field(
                "sc.discovery.sources",
                "lists \"address\", but sc.address is \"discover\"",
            ));
        }
        if sources.contains(&SourceSetting::Anycast) && settings.anycast.is_empty() {
            return Err(field(
                "sc.discovery.anycast",
                "must list the anycast addresses when sources has \"anycast\"",
            ));
        }
        if let Some(bad) = settings.anycast.iter().find(|a| !is_usable(a)) {
            return Err(field(
                "sc.discovery.anycast",
                format!("{bad} cannot be an SC's address"),
            ));
        }
        Ok(())
    }
}

fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_srv_service(srv: &str) -> bool {
    let mut parts = srv.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(service), Some(proto), None) => {
            service.strip_prefix('_').is_some_and(is_label) && matches!(proto, "_udp" | "_tcp")
        }
        _ => false,
    }
}

fn is_usable(address: &IpAddr) -> bool {
    !(address.is_unspecified() || address.is_loopback() || address.is_multicast())
        && *address != IpAddr::V4(std::net::Ipv4Addr::BROADCAST)
}
