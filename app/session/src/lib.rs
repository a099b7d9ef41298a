//! One Softwire connection, driven on tokio: the SC lookup, the sans-IO IKE
//! initiator over one UDP socket, then (once up) the tunnel device, routes
//! and DNS from the platform crate and the ESP data path between them.
//!
//! The caller gets [`Progress`] events and ends the session through the
//! shutdown signal; every OS change is undone on the way out, also on error.

pub mod config;
mod datapath;
pub mod discovery;
mod ike_io;
pub mod reconnect;
mod resolve;
pub mod roaming;
mod run;
mod status;
mod trial;
mod tunnel;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use softwire_core::discovery::Candidate;
use softwire_core::ike::initiator::InitiatorError;
use softwire_core::profile::AuthMethodSetting;

pub use datapath::{run_static, CallCounters, Counters, PacketRead, PacketWrite};
pub use ike_io::{size_buffers, IkeIo, SOCKET_BUFFER};
pub use resolve::resolve_sc;
pub use run::{run, SessionOptions, Summary};
pub use status::{status_path, StatusSink};
pub use tunnel::{range_prefixes, recover_leftovers, TunReader, TunWriter};

/// The progress callback: called from the session's task.
pub type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// Where a connection attempt stands, for progress displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Looking up the SC's address.
    ResolvingSc(String),
    /// IKE_SA_INIT sent to this address.
    SaInit(SocketAddr),
    /// Asking the network where the SC is, from these sources.
    Discovering(Vec<String>),
    /// IKE_SA_INIT sent to this discovered candidate.
    Trying(Candidate),
    /// This candidate failed or did not prove itself; the next is tried.
    CandidateFailed {
        /// The candidate.
        candidate: Candidate,
        /// Why, for the user.
        reason: String,
    },
    /// IKE_AUTH under way.
    Authenticating,
    /// Authenticated; setting up the tunnel device, routes and DNS.
    Configuring,
    /// Up (again, after a reconnect, when [`UpInfo::reconnects`] > 0).
    Up(Box<UpInfo>),
    /// The connection was lost; negotiating again with the tunnel kept in
    /// place.
    Reconnecting {
        /// 1 for the first attempt.
        attempt: u32,
        /// The wait before this attempt.
        next_in: Duration,
        /// Why the last connection or attempt ended.
        reason: String,
    },
    /// The tunnel moved to another path without a new negotiation
    /// (MOBIKE): a new local address, or a NAT that changed our public one.
    Moved {
        /// Our address and port now.
        local: SocketAddr,
        /// The SC's.
        sc: SocketAddr,
        /// A NAT stands between.
        behind_nat: bool,
        /// From noticing a local change to the SC's confirmation; `None`
        /// when a liveness check found a NAT that changed our public
        /// address or port.
        took: Option<Duration>,
    },
    /// Closing: DELETE sent, undoing OS changes.
    Disconnecting,
}

/// What the user wants to see once the tunnel is up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpInfo {
    /// The SC's address now in use.
    pub sc: SocketAddr,
    /// The identity it proved.
    pub sc_identity: String,
    /// The IKE suite.
    pub ike_suite: String,
    /// The ESP suite.
    pub esp_suite: String,
    /// Inner IPv4 address.
    pub inner_ipv4: Option<IpAddr>,
    /// Inner IPv6 address.
    pub inner_ipv6: Option<IpAddr>,
    /// DNS servers from the SC.
    pub dns: Vec<IpAddr>,
    /// We are behind a NAT (UDP encapsulation in use).
    pub behind_nat: bool,
    /// First IKE message to tunnel up.
    pub connect_time: Duration,
    /// Reconnects so far in this session.
    pub reconnects: u32,
    /// The SC agreed to MOBIKE: the tunnel follows address changes
    /// without a new negotiation.
    pub mobike: bool,
    /// How discovery found the SC, such as "via DHCP option 224 on
    /// wlan0"; `None` when the profile names it.
    pub sc_found_via: Option<String>,
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The method needs a password or key and none was given.
    #[error("the profile's method ({0:?}) needs a password or pre-shared key, and none was given")]
    MissingSecret(AuthMethodSetting),
    /// The profile is incomplete.
    #[error("the profile cannot be used: {0}")]
    Profile(&'static str),
    /// A certificate, key or CA file could not be used.
    #[error("{0}")]
    Credential(String),
    /// The SC's name did not resolve.
    #[error("could not find the SC: {0}")]
    Resolve(String),
    /// Discovery found no SC that proved itself; says what was tried.
    #[error("{0}")]
    Discovery(String),
    /// Socket trouble.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// IKE failed.
    #[error(transparent)]
    Ike(#[from] InitiatorError),
    /// The tunnel device, routes or DNS could not be set up.
    #[error("could not configure the tunnel: {0}")]
    Platform(String),
    /// The network changed under a connection that cannot move (no
    /// MOBIKE at the SC): connect again.
    #[error("the network changed ({0}) and the SC does not support MOBIKE: connecting again")]
    NetworkChanged(String),
    /// The user cancelled before the tunnel was up.
    #[error("cancelled")]
    Cancelled,
}
