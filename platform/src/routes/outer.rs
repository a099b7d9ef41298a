//! Where the SC's host route should point after a network change: pure
//! logic over a dump of the main table.

use std::cmp::Reverse;
use std::net::IpAddr;

use super::{Route, TableRoute};
use crate::config::IpPrefix;

/// What to do about the host route keeping `peer` outside the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing but the tunnel (and our own host route) reaches the peer.
    NoPath,
    /// Our host route is in place and still where the OS would send the
    /// peer's packets.
    Keep,
    /// The OS holds a host route for the peer that is not ours: it keeps
    /// the peer outside the tunnel already.
    Foreign(TableRoute),
    /// Pin the peer through this next hop and interface.
    Pin {
        /// The next hop, if not on-link.
        gateway: Option<IpAddr>,
        /// The outgoing interface's index.
        interface_index: u32,
    },
}

fn same(route: &Route, listed: &TableRoute) -> bool {
    route.destination.network() == listed.destination.network()
        && route.gateway == listed.gateway
        && route.interface.index == listed.interface_index
}

/// Picks, among `table`'s routes containing `peer`, the one the OS would
/// use without the tunnel: routes through `tunnel_index` and our own host
/// route `ours` left out, longest prefix first, then lowest metric.
pub(crate) fn plan(
    table: &[TableRoute],
    peer: IpAddr,
    tunnel_index: u32,
    ours: Option<&Route>,
) -> Plan {
    let is_ours = |listed: &TableRoute| ours.is_some_and(|ours| same(ours, listed));
    let best = table
        .iter()
        .filter(|r| {
            r.interface_index != tunnel_index && !is_ours(r) && r.destination.contains(peer)
        })
        .min_by_key(|r| (Reverse(r.destination.prefix_len()), r.metric));
    let Some(best) = best else {
        return Plan::NoPath;
    };
    if best.destination.network() == IpPrefix::host(peer) {
        return Plan::Foreign(best.clone());
    }
    let in_place = ours.is_some_and(|ours| {
        ours.destination.network() == IpPrefix::host(peer)
            && ours.gateway == best.gateway
            && ours.interface.index == best.interface_index
            && table.iter().any(|listed| same(ours, listed))
    });
    if in_place {
        Plan::Keep
    } else {
        Plan::Pin {
            gateway: best.gateway,
            interface_index: best.interface_index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Interface;

    const TUN: u32 = 9;
    const ETH: u32 = 2;
    const WIFI: u32 = 3;

    fn listed(destination: &str, gateway: Option<&str>, interface: u32, metric: u32) -> TableRoute {
        TableRoute {
            destination: destination.parse().unwrap(),
            gateway: gateway.map(|g| g.parse().unwrap()),
            interface_index: interface,
            metric,
        }
    }

    fn ours(destination: &str, gateway: Option<&str>, interface: u32) -> Route {
        Route {
            destination: destination.parse().unwrap(),
            gateway: gateway.map(|g| g.parse().unwrap()),
            interface: Interface {
                name: format!("if{interface}"),
                index: interface,
            },
        }
    }

    fn pin(gateway: Option<&str>, interface_index: u32) -> Plan {
        Plan::Pin {
            gateway: gateway.map(|g| g.parse().unwrap()),
            interface_index,
        }
    }

    fn peer() -> IpAddr {
        "203.0.113.1".parse().unwrap()
    }

    fn full_tunnel() -> Vec<TableRoute> {
        vec![
            listed("0.0.0.0/1", None, TUN, 0),
            listed("128.0.0.0/1", None, TUN, 0),
            listed("192.0.2.0/24", None, TUN, 0),
        ]
    }

    #[test]
    fn the_longest_prefix_then_the_lowest_metric_wins_outside_the_tunnel() {
        let mut table = full_tunnel();
        assert_eq!(plan(&table, peer(), TUN, None), Plan::NoPath);

        table.push(listed("0.0.0.0/0", Some("198.51.100.1"), ETH, 600));
        table.push(listed("0.0.0.0/0", Some("198.51.100.129"), WIFI, 100));
        table.push(listed("198.51.100.0/25", None, ETH, 0));
        assert_eq!(
            plan(&table, peer(), TUN, None),
            pin(Some("198.51.100.129"), WIFI)
        );
        table.push(listed("203.0.113.0/24", Some("198.51.100.1"), ETH, 900));
        assert_eq!(
            plan(&table, peer(), TUN, None),
            pin(Some("198.51.100.1"), ETH)
        );
        // A peer on a directly attached subnet is pinned on-link.
        assert_eq!(
            plan(&table, "198.51.100.7".parse().unwrap(), TUN, None),
            pin(None, ETH)
        );
    }

    #[test]
    fn our_own_host_route_is_kept_only_while_it_is_still_the_way_out() {
        let mine = ours("203.0.113.1/32", Some("198.51.100.1"), ETH);
        let mut table = full_tunnel();
        table.push(listed("0.0.0.0/0", Some("198.51.100.1"), ETH, 0));
        table.push(listed("203.0.113.1/32", Some("198.51.100.1"), ETH, 0));
        assert_eq!(plan(&table, peer(), TUN, Some(&mine)), Plan::Keep);

        // Flushed with its interface's address: pinned again.
        table.pop();
        assert_eq!(
            plan(&table, peer(), TUN, Some(&mine)),
            pin(Some("198.51.100.1"), ETH)
        );

        // Still there, but the default route now leads elsewhere.
        table.pop();
        table.push(listed("0.0.0.0/0", Some("203.0.113.129"), WIFI, 0));
        table.push(listed("203.0.113.1/32", Some("198.51.100.1"), ETH, 0));
        assert_eq!(
            plan(&table, peer(), TUN, Some(&mine)),
            pin(Some("203.0.113.129"), WIFI)
        );

        // Only our stale host route is left: no path.
        let stale = vec![listed("203.0.113.1/32", Some("198.51.100.1"), ETH, 0)];
        assert_eq!(plan(&stale, peer(), TUN, Some(&mine)), Plan::NoPath);

        // The SC moved: our route for its old address does not count.
        let moved: IpAddr = "203.0.113.2".parse().unwrap();
        assert_eq!(
            plan(&table, moved, TUN, Some(&mine)),
            pin(Some("203.0.113.129"), WIFI)
        );
    }

    #[test]
    fn a_host_route_someone_else_keeps_is_left_to_them() {
        let mut table = full_tunnel();
        table.push(listed("0.0.0.0/0", Some("198.51.100.1"), ETH, 0));
        let theirs = listed("203.0.113.1/32", Some("198.51.100.1"), ETH, 50);
        table.push(theirs.clone());
        assert_eq!(plan(&table, peer(), TUN, None), Plan::Foreign(theirs));
    }
}
