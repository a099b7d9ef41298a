//! The order in which candidates are tried (RFC 8305 in spirit): sources
//! in the profile's order; within one source, IPv6 and IPv4 interleaved,
//! IPv6 first (RFC 8305 §4); each address once, with its first origin.

use std::collections::HashSet;

use super::Candidate;

/// At most this many candidates are tried in one connection attempt: a
/// network that hands out more is not to be trusted with the time.
pub const MAX_CANDIDATES: usize = 8;

/// Orders candidates for trial. `per_source` holds each source's
/// candidates, sources in the profile's order.
pub fn trial_order(per_source: Vec<Vec<Candidate>>) -> Vec<Candidate> {
    let mut seen = HashSet::new();
    let mut ordered = Vec::new();
    for found in per_source {
        let (v6, v4): (Vec<_>, Vec<_>) = found.into_iter().partition(|c| c.address.is_ipv6());
        let mut v6 = v6.into_iter();
        let mut v4 = v4.into_iter();
        loop {
            let pair = [v6.next(), v4.next()];
            if pair.iter().all(Option::is_none) {
                break;
            }
            for candidate in pair.into_iter().flatten() {
                if seen.insert(candidate.address) {
                    ordered.push(candidate);
                }
            }
        }
    }
    ordered.truncate(MAX_CANDIDATES);
    ordered
}
