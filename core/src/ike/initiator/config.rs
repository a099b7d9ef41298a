//! What the initiator is told before it starts: identities, credentials,
//! proposals and timing.

use std::time::Duration;

use crate::crypto::{DhGroup, SecretBytes};
use crate::ike::child::EspOffer;
use crate::ike::payload::{AddressRange, Identification};
use crate::ike::proposals::IkeOffer;
use crate::pki::{LocalSigner, TrustAnchors, UnixTime};

/// How we prove who we are.
#[derive(Debug)]
pub enum ClientAuth {
    /// A pre-shared key (RFC 7296 §2.15).
    Psk(SecretBytes),
    /// Our certificate and its private key (RFC 7296 §2.15, RFC 7427).
    Certificate {
        /// Signs our AUTH payload.
        signer: LocalSigner,
        /// Our certificate, DER.
        certificate: Vec<u8>,
        /// Intermediate CA certificates to send along, DER.
        intermediates: Vec<Vec<u8>>,
    },
    /// EAP-MSCHAPv2 with a user name and password (RFC 7296 §2.16). Nothing
    /// derived from the password is sent before the SC has proved its
    /// identity with its certificate.
    EapMsChapV2 {
        /// The EAP identity and MS-CHAPv2 user name.
        identity: String,
        /// The password.
        password: SecretBytes,
    },
}

/// How the SC must prove who it is.
#[derive(Debug)]
pub enum ScAuth {
    /// With the same pre-shared key.
    SharedKey(SecretBytes),
    /// With a certificate that chains to one of these CAs and names the
    /// profile's SC identity (RFC 4945 §3.1), and a signature by its key.
    Certificate(TrustAnchors),
}

/// Retransmission of requests (RFC 7296 §2.1): the first wait, doubled
/// after each try, and how many tries before giving up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetransmitPolicy {
    /// Wait after the first send.
    pub initial: Duration,
    /// Sends in all (the first one included).
    pub tries: u32,
}

impl RetransmitPolicy {
    /// Waits of 0.5, 1, 2, 4, 8 and 16 s: a peer that has not answered in
    /// about 31 s is treated as gone, quick enough for a laptop user and
    /// patient enough for a lossy hotspot.
    pub const DEFAULT: Self = Self {
        initial: Duration::from_millis(500),
        tries: 6,
    };

    /// The wait after try number `try_index` (0-based).
    pub fn wait(&self, try_index: u32) -> Duration {
        self.initial
            .checked_mul(1u32.checked_shl(try_index.min(16)).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX)
    }

    /// The time from the first send until giving up.
    pub fn total(&self) -> Duration {
        (0..self.tries).map(|i| self.wait(i)).sum()
    }
}

impl Default for RetransmitPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Everything one connection attempt needs.
#[derive(Debug)]
pub struct InitiatorConfig {
    /// Our identity (IDi).
    pub local_id: Identification,
    /// The identity the SC must prove (sent as IDr, and required back).
    pub remote_id: Identification,
    /// Our credentials.
    pub client_auth: ClientAuth,
    /// How the SC authenticates.
    pub sc_auth: ScAuth,
    /// The group of our first KE payload.
    pub first_group: DhGroup,
    /// IKE proposals.
    pub ike_offers: Vec<IkeOffer>,
    /// ESP proposals for the first CHILD_SA.
    pub esp_offers: Vec<EspOffer>,
    /// Our traffic selectors (TSi); with CP the SC narrows them to our
    /// inner addresses.
    pub local_ts: Vec<AddressRange>,
    /// The destinations to protect (TSr): everything for a full tunnel.
    pub remote_ts: Vec<AddressRange>,
    /// Ask for inner addresses and DNS by CP(CFG_REQUEST).
    pub request_config: bool,
    /// Retransmission timing.
    pub retransmit: RetransmitPolicy,
    /// The largest IKE datagram (UDP payload) we send before fragmenting
    /// (RFC 7383 §2.5.1) until [`super::Initiator::set_path_mtu`] says
    /// better; 1280 suits every IPv6 path and almost every IPv4 one.
    pub fragment_size: usize,
    /// Wall-clock time at the start of the attempt, for certificate
    /// validity; required with [`ScAuth::Certificate`]. (The engine reads
    /// no clock of its own.)
    pub wall_clock: Option<UnixTime>,
    /// Use UDP encapsulation on port 4500 even without a NAT (RFC 7296
    /// §2.23, RFC 3948): needed by a user-space ESP data path.
    pub force_udp_encapsulation: bool,
    /// When CHILD_SAs are rekeyed (RFC 7296 §2.8).
    pub child_lifetime: Lifetime,
    /// When the IKE SA is rekeyed (RFC 7296 §2.18).
    pub ike_lifetime: Lifetime,
    /// A fresh key exchange in each CHILD_SA rekey (perfect forward
    /// secrecy, RFC 7296 §1.3.3) with this group; `None`: keys come from
    /// SK_d alone. The SC must allow the group in its ESP proposals.
    pub child_pfs: Option<DhGroup>,
    /// Send a liveness check (an empty INFORMATIONAL, RFC 7296 §1.4) after
    /// this long without hearing from the SC (IKE or ESP); `None`: never.
    pub dpd_interval: Option<Duration>,
    /// Stop after the SC has proven its identity in IKE_AUTH, before the
    /// first EAP response, with [`super::Event::ScProven`]; go on with
    /// [`super::Initiator::proceed`] or drop it with
    /// [`super::Initiator::abandon`]. For a discovered SC raced against
    /// others: only the one chosen gets anything derived from the user's
    /// password. No effect with PSK or certificate client authentication,
    /// whose AUTH goes in the first IKE_AUTH request (RFC 7296 §2.15).
    pub confirm_sc: bool,
}

/// When an SA is replaced: after `rekey_after`, minus a random part of
/// `jitter` so both ends rarely rekey at once (RFC 7296 §2.8.1 asks for
/// randomness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetime {
    /// The soft lifetime: rekeying starts then.
    pub rekey_after: Duration,
    /// Up to this much earlier, chosen at random per SA.
    pub jitter: Duration,
}

impl Lifetime {
    /// strongSwan's and most gateways' CHILD_SA default: rekey after one
    /// hour, up to six minutes earlier.
    pub const CHILD_DEFAULT: Self = Self {
        rekey_after: Duration::from_secs(3600),
        jitter: Duration::from_secs(360),
    };

    /// strongSwan's IKE SA default: rekey after four hours, up to 24
    /// minutes earlier.
    pub const IKE_DEFAULT: Self = Self {
        rekey_after: Duration::from_secs(4 * 3600),
        jitter: Duration::from_secs(24 * 60),
    };

    /// The rekey delay for one SA, `random` in `0..=u32::MAX` choosing the
    /// jitter.
    pub fn rekey_delay(&self, random: u32) -> Duration {
        let jitter = self.jitter.min(self.rekey_after / 2);
        let cut = jitter.mul_f64(f64::from(random) / f64::from(u32::MAX));
        self.rekey_after.saturating_sub(cut)
    }
}

/// The default liveness interval: half of the shortest UDP NAT timeouts
/// seen on hotspots is well below this, but keepalives cover the NAT;
/// this only notices a dead SC.
pub const DEFAULT_DPD_INTERVAL: Duration = Duration::from_secs(30);

impl InitiatorConfig {
    /// A configuration with the defaults: RFC 8247/8221 proposals, full
    /// tunnel for IPv4 and IPv6, inner addresses by CP, Curve25519 first.
    pub fn new(
        local_id: Identification,
        remote_id: Identification,
        client_auth: ClientAuth,
        sc_auth: ScAuth,
    ) -> Self {
        Self {
            local_id,
            remote_id,
            client_auth,
            sc_auth,
            first_group: DhGroup::Curve25519,
            ike_offers: IkeOffer::defaults(DhGroup::Curve25519),
            esp_offers: EspOffer::defaults(),
            local_ts: vec![AddressRange::any_v4(), AddressRange::any_v6()],
            remote_ts: vec![AddressRange::any_v4(), AddressRange::any_v6()],
            request_config: true,
            retransmit: RetransmitPolicy::DEFAULT,
            fragment_size: 1280,
            wall_clock: None,
            force_udp_encapsulation: false,
            child_lifetime: Lifetime::CHILD_DEFAULT,
            ike_lifetime: Lifetime::IKE_DEFAULT,
            child_pfs: None,
            dpd_interval: Some(DEFAULT_DPD_INTERVAL),
            confirm_sc: false,
        }
    }
}
