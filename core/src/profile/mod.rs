//! Connection profiles: what a user saves for one SC (TOML, one file per
//! profile). A profile never holds a secret: passwords and pre-shared keys
//! live in the OS keychain or are given for one attempt.
//!
//! ```toml
//! name = "Office"
//!
//! [sc]
//! address = "vpn.example.net"     # name, IP address, or "discover"
//!                                 # (see [`DiscoverySettings`])
//! identity = "vpn.example.net"    # what its certificate must name
//! ca = "/etc/softwire/office-ca.pem"   # or "system"
//!
//! [auth]
//! method = "eap-mschapv2"         # or "psk", "certificate"
//! identity = "alice@example.net"
//!
//! [tunnel]
//! mode = "full"                   # or "split" with routes = [...]
//!
//! [rekey]                         # all optional
//! child_seconds = 3600            # replace the CHILD_SA after this long
//! ike_seconds = 14400             # replace the IKE SA after this long
//! jitter_percent = 10             # ... up to this much earlier, at random (0-50)
//! pfs = false                     # a fresh key exchange in each rekey
//! dpd_seconds = 30                # check the SC is alive after this much silence (0: never)
//! ```
//!
//! Parsing refuses unknown keys (a typo must not silently change what is
//! protected) and [`Profile::validate`] names the field and the problem.

mod discovery;
pub mod import;
mod validate;

use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use discovery::{DiscoverySettings, SourceSetting, DISCOVER};
pub use validate::{Prefix, ProfileError};

/// One saved connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// What the user calls it.
    pub name: String,
    /// The concentrator.
    pub sc: ScSettings,
    /// How the user authenticates.
    pub auth: AuthSettings,
    /// What goes through the tunnel.
    #[serde(default)]
    pub tunnel: TunnelSettings,
    /// Rekeying and liveness.
    #[serde(default)]
    pub rekey: RekeySettings,
}

/// When SAs are replaced and the SC's liveness checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RekeySettings {
    /// Seconds after which the CHILD_SA is replaced (up to
    /// `jitter_percent` earlier, at random).
    #[serde(default = "default_child_seconds")]
    pub child_seconds: u64,
    /// Seconds after which the IKE SA is replaced (up to `jitter_percent`
    /// earlier).
    #[serde(default = "default_ike_seconds")]
    pub ike_seconds: u64,
    /// How much earlier than `child_seconds` and `ike_seconds` a rekey may
    /// come, chosen at random per SA, in percent (0 to 50). The randomness
    /// keeps both ends from rekeying at once (RFC 7296 §2.8.1); 0 rekeys
    /// exactly on time.
    #[serde(default = "default_jitter_percent")]
    pub jitter_percent: u8,
    /// Perfect forward secrecy: a key exchange (the IKE SA's group) in each
    /// CHILD_SA rekey. The SC must allow it.
    #[serde(default)]
    pub pfs: bool,
    /// Seconds of silence from the SC before a liveness check; 0: never.
    #[serde(default = "default_dpd_seconds")]
    pub dpd_seconds: u64,
}

impl Default for RekeySettings {
    fn default() -> Self {
        Self {
            child_seconds: default_child_seconds(),
            ike_seconds: default_ike_seconds(),
            jitter_percent: default_jitter_percent(),
            pfs: false,
            dpd_seconds: default_dpd_seconds(),
        }
    }
}

fn default_child_seconds() -> u64 {
    3600
}

fn default_ike_seconds() -> u64 {
    14_400
}

fn default_jitter_percent() -> u8 {
    10
}

fn default_dpd_seconds() -> u64 {
    30
}

/// Where the SC is and how it proves itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScSettings {
    /// Host name or IP address.
    pub address: String,
    /// UDP port for IKE.
    #[serde(default = "default_port")]
    pub port: u16,
    /// The identity the SC must prove: a host name, an IP address, or an
    /// e-mail style identity. Defaults to `address`.
    #[serde(default)]
    pub identity: Option<String>,
    /// The CA certificate file (PEM or DER) the SC's certificate must chain
    /// to, or `"system"` for the operating system's trust store. Not used
    /// with `auth.method = "psk"`.
    #[serde(default)]
    pub ca: Option<String>,
    /// How to find the SC on the network (with `address = "discover"`,
    /// or as other places to look).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoverySettings>,
}

/// How the user authenticates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The method.
    pub method: AuthMethodSetting,
    /// The user's identity (IDi, and the EAP identity).
    pub identity: String,
    /// With `certificate`: the client certificate file (PEM or DER).
    #[serde(default)]
    pub certificate: Option<PathBuf>,
    /// With `certificate`: its private key, PKCS#8 (PEM or DER), readable
    /// only by its owner.
    #[serde(default)]
    pub private_key: Option<PathBuf>,
}

/// The authentication methods a profile can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethodSetting {
    /// EAP-MSCHAPv2 with a password; the SC by certificate.
    EapMschapv2,
    /// A pre-shared key on both sides.
    Psk,
    /// A client certificate; the SC by certificate.
    Certificate,
}

/// Full or split tunnel, and MTU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TunnelSettings {
    /// Full tunnel (everything) or split (only `routes`).
    #[serde(default)]
    pub mode: TunnelMode,
    /// With split mode: the prefixes to send through the tunnel, such as
    /// "203.0.113.0/25" or "2001:db8:5173::/64".
    #[serde(default)]
    pub routes: Vec<String>,
    /// The tunnel MTU; derived from the path and the ESP overhead when absent.
    #[serde(default)]
    pub mtu: Option<u16>,
    /// Use the DNS servers the SC hands out.
    #[serde(default = "yes")]
    pub use_sc_dns: bool,
}

impl Default for TunnelSettings {
    fn default() -> Self {
        Self {
            mode: TunnelMode::Full,
            routes: Vec::new(),
            mtu: None,
            use_sc_dns: true,
        }
    }
}

/// Which traffic the tunnel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TunnelMode {
    /// All IPv4 and IPv6 traffic.
    #[default]
    Full,
    /// Only the listed prefixes.
    Split,
}

fn default_port() -> u16 {
    500
}

fn yes() -> bool {
    true
}

/// Where the SC's certificate must lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaSetting {
    /// The system's trust store.
    System,
    /// A CA certificate file.
    File(PathBuf),
}

impl Profile {
    /// Parses a profile from TOML text and validates it. Errors name the
    /// field (and for syntax errors, the line).
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let profile: Profile =
            toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
        profile.validate()?;
        Ok(profile)
    }

    /// The profile as TOML.
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        toml::to_string_pretty(self).map_err(|e| ProfileError::Syntax(e.to_string()))
    }

    /// The SC identity to require: `sc.identity`, else `sc.address`.
    pub fn sc_identity(&self) -> &str {
        self.sc.identity.as_deref().unwrap_or(&self.sc.address)
    }

    /// The SC's address when it is given as an IP address.
    pub fn sc_ip(&self) -> Option<IpAddr> {
        self.sc.address.parse().ok()
    }

    /// The CA setting, if any.
    pub fn ca(&self) -> Option<CaSetting> {
        self.sc.ca.as_deref().map(|ca| {
            if ca == "system" {
                CaSetting::System
            } else {
                CaSetting::File(PathBuf::from(ca))
            }
        })
    }

    /// The split-tunnel prefixes, parsed.
    pub fn split_routes(&self) -> Result<Vec<Prefix>, ProfileError> {
        self.tunnel
            .routes
            .iter()
            .map(|r| validate::parse_prefix("tunnel.routes", r))
            .collect()
    }
}

#[cfg(test)]
mod tests;
