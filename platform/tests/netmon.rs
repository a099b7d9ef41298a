//! The network monitor against the real kernel, in a network namespace of
//! its own (see `support`): the monitor is started inside it, so it hears
//! only that namespace's changes.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::time::{Duration, Instant};

use softwire_platform::{NetworkChange, NetworkMonitor};
use support::{index_of, ip, netns_test};

/// How long a change may take to be reported.
const REPORTED_WITHIN: Duration = Duration::from_secs(2);
/// How long the monitor must stay quiet to count as not having fired.
const QUIET_FOR: Duration = Duration::from_millis(700);

/// Waits until the monitor has been quiet for `QUIET_FOR` (link carrier
/// changes of freshly created veth pairs arrive up to a second late).
async fn settle(monitor: &mut NetworkMonitor) {
    for _ in 0..10 {
        match tokio::time::timeout(QUIET_FOR, monitor.changed()).await {
            Ok(change) => println!("settling: {:?}", change.unwrap()),
            Err(_) => return,
        }
    }
    panic!("the monitor never became quiet");
}

/// The next change, which must come within `REPORTED_WITHIN`.
async fn next_change(monitor: &mut NetworkMonitor, what: &str) -> NetworkChange {
    let started = Instant::now();
    let change = tokio::time::timeout(REPORTED_WITHIN, monitor.changed())
        .await
        .unwrap_or_else(|_| panic!("{what}: no change reported within {REPORTED_WITHIN:?}"))
        .unwrap();
    println!("{what}: {change:?} after {:?}", started.elapsed());
    change
}

/// Checks that nothing is reported for `QUIET_FOR`.
async fn assert_quiet(monitor: &mut NetworkMonitor, what: &str) {
    if let Ok(change) = tokio::time::timeout(QUIET_FOR, monitor.changed()).await {
        panic!("{what}: unexpected {change:?}");
    }
}

#[test]
fn address_route_and_link_changes_are_reported_at_once() {
    netns_test(
        "address_route_and_link_changes_are_reported_at_once",
        "mon",
        |_ctx| async move {
            let mut monitor = NetworkMonitor::start().unwrap();
            settle(&mut monitor).await;

            ip(&["addr", "add", "198.51.100.3/24", "dev", "uplink0"]);
            let change = next_change(&mut monitor, "IPv4 address added").await;
            assert!(change.addresses, "{change:?}");
            // The address's local route came in the same burst.
            assert_quiet(&mut monitor, "after the added address").await;

            ip(&["addr", "del", "198.51.100.3/24", "dev", "uplink0"]);
            let change = next_change(&mut monitor, "IPv4 address removed").await;
            assert!(change.addresses, "{change:?}");
            assert_quiet(&mut monitor, "after the removed address").await;

            ip(&[
                "-6",
                "addr",
                "add",
                "2001:db8:1::3/64",
                "dev",
                "uplink0",
                "nodad",
            ]);
            let change = next_change(&mut monitor, "IPv6 address added").await;
            assert!(change.addresses, "{change:?}");
            assert_quiet(&mut monitor, "after the IPv6 address").await;

            ip(&["route", "add", "203.0.113.0/24", "via", support::UPLINK_GW4]);
            let change = next_change(&mut monitor, "route added").await;
            assert_eq!(
                change,
                NetworkChange {
                    routes: true,
                    ..NetworkChange::default()
                }
            );

            ip(&["link", "set", "uplink0p", "down"]);
            let change = next_change(&mut monitor, "the uplink's other end down").await;
            assert!(change.links, "{change:?}");
            settle(&mut monitor).await;

            // A DHCP renumbering: the last IPv4 address goes, and the
            // kernel flushes the interface's IPv4 routes with it; one
            // burst.
            ip(&["link", "set", "uplink0p", "up"]);
            settle(&mut monitor).await;
            ip(&["addr", "del", "198.51.100.2/24", "dev", "uplink0"]);
            let change = next_change(&mut monitor, "the last IPv4 address removed").await;
            assert!(change.addresses && change.routes, "{change:?}");
            assert_quiet(&mut monitor, "after the renumbering burst").await;
        },
    );
}

#[test]
fn changes_only_on_an_ignored_interface_are_not_reported() {
    netns_test(
        "changes_only_on_an_ignored_interface_are_not_reported",
        "ign",
        |_ctx| async move {
            // Stands in for the tunnel's packet device.
            ip(&[
                "link", "add", "ign0", "type", "veth", "peer", "name", "ign0p",
            ]);
            for dev in ["ign0", "ign0p"] {
                ip(&["link", "set", dev, "addrgenmode", "none"]);
                ip(&["link", "set", dev, "up"]);
            }
            let mut monitor = NetworkMonitor::start().unwrap();
            monitor.ignore_interface(index_of("ign0"));
            settle(&mut monitor).await;

            ip(&["addr", "add", "192.0.2.10/24", "dev", "ign0"]);
            ip(&[
                "-6",
                "addr",
                "add",
                "2001:db8:10::10/64",
                "dev",
                "ign0",
                "nodad",
            ]);
            ip(&["route", "add", "0.0.0.0/1", "dev", "ign0"]);
            ip(&["-6", "route", "add", "::/1", "dev", "ign0"]);
            ip(&["link", "set", "ign0", "mtu", "1400"]);
            ip(&["addr", "del", "192.0.2.10/24", "dev", "ign0"]);
            assert_quiet(&mut monitor, "changes on the ignored interface").await;

            // The monitor still works: the same on another interface.
            ip(&["addr", "add", "192.0.2.10/24", "dev", "ign0p"]);
            let change = next_change(&mut monitor, "address on the other end").await;
            assert!(change.addresses, "{change:?}");
        },
    );
}
