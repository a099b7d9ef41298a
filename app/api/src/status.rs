//! What the service reports about the connection: the reply to `status`,
//! the `status` event, and (for the foreground `softwire run`) the status
//! file. Fields that do not apply in a state are absent or zero.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

/// Where the connection stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// No connection and none wanted.
    #[default]
    Idle,
    /// Negotiating the first time.
    Connecting,
    /// The tunnel carries traffic.
    Up,
    /// Lost and negotiating again, the tunnel kept in place.
    Reconnecting,
    /// Closing and undoing the OS changes.
    Disconnecting,
    /// Ended (see `error`).
    Down,
}

impl State {
    /// A word for displays.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Up => "up",
            State::Reconnecting => "reconnecting",
            State::Disconnecting => "disconnecting",
            State::Down => "down",
        }
    }
}

/// A snapshot of the connection.
///
/// ```json
/// {"state":"up","profile":"Office","sc":"203.0.113.10:4500",
///  "sc_identity":"sc.example.net","inner_ipv4":"198.51.100.7",
///  "dns":["198.51.100.53"],"ike":"AES-GCM-16-256, ...","behind_nat":true,
///  "counters":{"packets-in":12,"bytes-in":1480}, "reconnects":0, ...}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// The state.
    pub state: State,
    /// The profile in use (or last used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// While connecting: the step under way, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Why the last connection or attempt ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// While reconnecting: the attempt (1 for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// While reconnecting: seconds until that attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_in_s: Option<f64>,
    /// The SC's address in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sc: Option<SocketAddr>,
    /// The identity the SC proved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sc_identity: Option<String>,
    /// How discovery found the SC, such as "via DHCP option 224 on
    /// wlan0"; absent when the profile names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sc_found_via: Option<String>,
    /// Inner IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_ipv4: Option<IpAddr>,
    /// Inner IPv6 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_ipv6: Option<IpAddr>,
    /// DNS servers from the SC.
    pub dns: Vec<IpAddr>,
    /// The IKE suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ike: Option<String>,
    /// The ESP suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esp: Option<String>,
    /// A NAT stands between us and the SC.
    pub behind_nat: bool,
    /// First IKE message to tunnel up, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<f64>,
    /// Seconds since the Unix epoch when the tunnel came up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_since_unix: Option<u64>,
    /// ESP traffic and drop counters by name ("packets-in", "bytes-out", ...).
    pub counters: BTreeMap<String, u64>,
    /// NAT keepalives sent.
    pub keepalives: u64,
    /// Packets from the device that could not be sent (not IP, too big, ...).
    pub device_skipped: u64,
    /// CHILD_SA rekeys.
    pub rekeys: u64,
    /// Seconds since the Unix epoch of the last CHILD_SA or IKE SA rekey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rekey_unix: Option<u64>,
    /// IKE SA rekeys.
    pub ike_rekeys: u64,
    /// Liveness checks sent.
    pub liveness_checks: u64,
    /// Rekeys that crossed one of the SC's.
    pub rekey_collisions: u64,
    /// Reconnects in this session.
    pub reconnects: u32,
    /// The SC supports MOBIKE: the tunnel follows address changes.
    pub mobike: bool,
    /// Moves to another path (MOBIKE).
    pub moves: u64,
    /// Moves after a NAT changed our public address.
    pub nat_rebindings: u64,
    /// Roaming problems seen.
    pub roam_errors: u64,
    /// The last roaming problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_roam_error: Option<String>,
}

impl Status {
    /// The status with nothing connected.
    pub fn idle() -> Self {
        Self::default()
    }
}
