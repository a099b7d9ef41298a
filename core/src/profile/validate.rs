//! Profile validation: every problem names its field.

use std::net::IpAddr;

use super::{AuthMethodSetting, Profile, TunnelMode};

/// What is wrong with a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The TOML does not parse, or names a field that does not exist.
    #[error("profile syntax: {0}")]
    Syntax(String),
    /// A field's value is not acceptable.
    #[error("profile field `{field}`: {problem}")]
    Field {
        /// The field, as a TOML path.
        field: &'static str,
        /// What is wrong, and what would be right.
        problem: String,
    },
}

/// An IP prefix such as 2001:db8::/32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// The network address.
    pub address: IpAddr,
    /// The prefix length.
    pub length: u8,
}

pub(super) fn field(field: &'static str, problem: impl Into<String>) -> ProfileError {
    ProfileError::Field {
        field,
        problem: problem.into(),
    }
}

/// Parses "ADDRESS/LENGTH".
pub(super) fn parse_prefix(name: &'static str, text: &str) -> Result<Prefix, ProfileError> {
    let (address, length) = text.split_once('/').ok_or_else(|| {
        field(
            name,
            format!("\"{text}\" is not a prefix like 203.0.113.0/24"),
        )
    })?;
    let address: IpAddr = address
        .parse()
        .map_err(|_| field(name, format!("\"{address}\" is not an IP address")))?;
    let length: u8 = length
        .parse()
        .map_err(|_| field(name, format!("\"{length}\" is not a prefix length")))?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    if length > max {
        return Err(field(
            name,
            format!("prefix length {length} is longer than {max}"),
        ));
    }
    Ok(Prefix { address, length })
}

impl Profile {
    /// Checks what serde cannot: non-empty names, consistent settings.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() {
            return Err(field("name", "must not be empty"));
        }
        if self.name.chars().any(char::is_control) {
            return Err(field("name", "must not contain control characters"));
        }
        let address = self.sc.address.trim();
        if address.is_empty() {
            return Err(field(
                "sc.address",
                "must name the SC (a host name or IP address)",
            ));
        }
        if address.parse::<IpAddr>().is_err() && !is_host_name(address) {
            return Err(field(
                "sc.address",
                format!("\"{address}\" is neither an IP address nor a host name"),
            ));
        }
        if self.sc.port == 0 {
            return Err(field("sc.port", "must not be 0"));
        }
        if !(10..=86_400).contains(&self.rekey.child_seconds) {
            return Err(field(
                "rekey.child_seconds",
                format!(
                    "{} is outside 10 to 86400 seconds",
                    self.rekey.child_seconds
                ),
            ));
        }
        if !(30..=172_800).contains(&self.rekey.ike_seconds) {
            return Err(field(
                "rekey.ike_seconds",
                format!("{} is outside 30 to 172800 seconds", self.rekey.ike_seconds),
            ));
        }
        if self.rekey.jitter_percent > 50 {
            return Err(field(
                "rekey.jitter_percent",
                format!("{} is outside 0 to 50 percent", self.rekey.jitter_percent),
            ));
        }
        if self.rekey.dpd_seconds != 0 && !(5..=3600).contains(&self.rekey.dpd_seconds) {
            return Err(field(
                "rekey.dpd_seconds",
                format!(
                    "{} is outside 5 to 3600 seconds (0 turns liveness checks off)",
                    self.rekey.dpd_seconds
                ),
            ));
        }
        if self.sc_identity().trim().is_empty() {
            return Err(field("sc.identity", "must not be empty"));
        }
        if self.auth.identity.trim().is_empty() {
            return Err(field("auth.identity", "must not be empty"));
        }
        self.validate_discovery()?;
        match self.auth.method {
            AuthMethodSetting::Psk => {
                if self.sc.ca.is_some() {
                    return Err(field("sc.ca", "is not used with auth.method = \"psk\" (the SC proves itself with the same key); remove it"));
                }
            }
            AuthMethodSetting::EapMschapv2 | AuthMethodSetting::Certificate => {
                if self.sc.ca.is_none() {
                    return Err(field("sc.ca", "is required: the SC's certificate must chain to a CA (a file, or \"system\")"));
                }
            }
        }
        if self.auth.method == AuthMethodSetting::Certificate {
            if self.auth.certificate.is_none() {
                return Err(field(
                    "auth.certificate",
                    "is required with auth.method = \"certificate\"",
                ));
            }
            if self.auth.private_key.is_none() {
                return Err(field(
                    "auth.private_key",
                    "is required with auth.method = \"certificate\"",
                ));
            }
        } else if self.auth.certificate.is_some() || self.auth.private_key.is_some() {
            return Err(field(
                "auth.certificate",
                "is only used with auth.method = \"certificate\"",
            ));
        }
        match self.tunnel.mode {
            TunnelMode::Full => {
                if !self.tunnel.routes.is_empty() {
                    return Err(field(
                        "tunnel.routes",
                        "is only used with tunnel.mode = \"split\"",
                    ));
                }
            }
            TunnelMode::Split => {
                if self.tunnel.routes.is_empty() {
                    return Err(field(
                        "tunnel.routes",
                        "must list at least one prefix with tunnel.mode = \"split\"",
                    ));
                }
                self.split_routes()?;
            }
        }
        if let Some(mtu) = self.tunnel.mtu {
            // IPv6 needs 1280 (RFC 8200 §5); 576 is IPv4's floor but
            // an IPv6-carrying tunnel cannot go below 1280.
            if !(1280..=9000).contains(&mtu) {
                return Err(field("tunnel.mtu", format!("{mtu} is outside 1280..=9000")));
            }
        }
        Ok(())
    }
}

fn is_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;

    const EAP: &str = "name = \"Office\"\n[sc]\naddress = \"198.51.100.1\"\n\
        ca = \"/etc/softwire/ca.pem\"\n[auth]\nmethod = \"eap-mschapv2\"\n\
        identity = \"alice@eap.example.net\"\n";

    #[test]
    fn the_rekey_jitter_is_a_percentage_up_to_half() {
        assert_eq!(Profile::from_toml(EAP).unwrap().rekey.jitter_percent, 10);
        let exact = Profile::from_toml(&format!("{EAP}[rekey]\njitter_percent = 0\n")).unwrap();
        assert_eq!(exact.rekey.jitter_percent, 0);
        Profile::from_toml(&format!("{EAP}[rekey]\njitter_percent = 50\n")).unwrap();
        let e = Profile::from_toml(&format!("{EAP}[rekey]\njitter_percent = 51\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`rekey.jitter_percent`") && e.contains("51"),
            "{e}"
        );
    }
}
