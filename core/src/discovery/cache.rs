//! What discovery found, remembered per network: a reconnect on the same
//! network tries the SC that answered last time before asking again, and
//! a move to another network forgets it (the next hotspot's DHCP or DNS
//! may point elsewhere).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::lookups::NetworkKey;
use super::{Candidate, Policy};

/// How long a found SC is trusted to still be the one to use.
pub const LIFETIME: Duration = Duration::from_secs(3600);

/// Found SCs, by policy and network.
#[derive(Debug, Default)]
pub struct DiscoveryCache {
    entries: HashMap<(Policy, NetworkKey), (Candidate, Instant)>,
}

impl DiscoveryCache {
    /// The SC found with `policy` on `network`, if still fresh.
    pub fn get(&self, policy: &Policy, network: &NetworkKey, now: Instant) -> Option<&Candidate> {
        self.entries
            .get(&(policy.clone(), network.clone()))
            .filter(|(_, at)| now.saturating_duration_since(*at) < LIFETIME)
            .map(|(candidate, _)| candidate)
    }

    /// Remembers the SC that proved itself. Entries for other networks
    /// are dropped: the host has moved.
    pub fn put(&mut self, policy: &Policy, network: &NetworkKey, sc: Candidate, now: Instant) {
        self.on_network(network);
        self.entries
            .insert((policy.clone(), network.clone()), (sc, now));
    }

    /// Forgets the SC found with `policy` on `network` (it stopped
    /// answering or failed to prove itself).
    pub fn forget(&mut self, policy: &Policy, network: &NetworkKey) {
        self.entries.remove(&(policy.clone(), network.clone()));
    }

    /// The host is now on `network`: everything found elsewhere goes.
    pub fn on_network(&mut self, network: &NetworkKey) {
        self.entries.retain(|(_, key), _| key == network);
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
