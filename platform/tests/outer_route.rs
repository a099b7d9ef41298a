//! Re-pinning the SC's host route after a network change
//! (`TunnelConfigurator::refresh_outer_route`), against the real kernel
//! with a real packet device, in a network namespace of its own (see
//! `support`).

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::net::IpAddr;
use std::time::Duration;

use softwire_platform::dns::DnsChoice;
use softwire_platform::journal::read_state;
use softwire_platform::routes::Route;
use softwire_platform::{
    recover, ConfiguratorOptions, IpPrefix, NetworkChange, NetworkConfig, NetworkMonitor,
    OuterRoute, RouteMode, TunnelConfigurator,
};
use support::{
    has_route, ip, link_exists, netns_test, route_get_dev, routes, routes_to, Ctx, UPLINK_GW4,
    UPLINK_GW6,
};

const SC: &str = "203.0.113.1";
/// The uplink's address and gateway after the renumbering.
const NEW_ADDRESS: &str = "203.0.113.130/25";
const NEW_GW4: &str = "203.0.113.129";

fn addr(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn prefix(s: &str) -> IpPrefix {
    s.parse().unwrap()
}

fn options(ctx: &Ctx) -> ConfiguratorOptions {
    let mut options = ConfiguratorOptions::new(&ctx.state_file);
    options.dns = DnsChoice::ResolvConf;
    options
}

/// A full tunnel for both families, the SC outside it, no DNS.
fn full_config() -> NetworkConfig {
    let mut config = NetworkConfig::full_tunnel(1400);
    config.ipv4 = Some(prefix("192.0.2.10/24"));
    config.ipv6 = Some(prefix("2001:db8:10::10/64"));
    config.outer_peer = Some(addr(SC));
    config
}

/// The routes the state file lists, as `ip route` writes them.
fn journalled_routes(ctx: &Ctx) -> Vec<String> {
    read_state(&ctx.state_file)
        .unwrap()
        .expect("a state file")
        .changes
        .iter()
        .map(ToString::to_string)
        .filter(|c| c.starts_with("route "))
        .collect()
}

/// `Moved` to this route through the uplink.
fn moved(destination: &str, gateway: Option<&str>) -> OuterRoute {
    let route = Route {
        destination: prefix(destination),
        gateway: gateway.map(addr),
        interface: softwire_platform::Interface {
            name: "uplink0".into(),
            index: support::index_of("uplink0"),
        },
    };
    OuterRoute::Moved(route)
}

/// The DHCP renumbering of the uplink: its last IPv4 address goes (the
/// kernel flushes its IPv4 routes, the SC's host route and the default
/// route included), a new one comes in another subnet, with a new default
/// route.
fn renumber() {
    ip(&["addr", "del", "198.51.100.2/24", "dev", "uplink0"]);
    assert!(routes_to("-4", SC).is_empty(), "{:?}", routes("-4"));
    assert!(routes_to("-4", "default").is_empty(), "{:?}", routes("-4"));
    ip(&["addr", "add", NEW_ADDRESS, "dev", "uplink0"]);
    ip(&["route", "add", "default", "via", NEW_GW4, "dev", "uplink0"]);
}

/// Waits (at most 2 s) for a change that includes addresses.
async fn until_addresses_change(monitor: &mut NetworkMonitor) -> NetworkChange {
    tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            let change = monitor.changed().await.unwrap();
            if change.addresses {
                return change;
            }
        }
    })
    .await
    .expect("no address change reported within 2 s")
}

#[test]
fn renumbering_moves_the_sc_host_route_and_undo_removes_the_new_one() {
    netns_test(
        "renumbering_moves_the_sc_host_route_and_undo_removes_the_new_one",
        "move",
        |ctx| async move {
            let (mut configurator, device) =
                TunnelConfigurator::apply(&full_config(), &options(&ctx))
                    .await
                    .unwrap();
            let tun = device.interface().name.clone();
            assert!(has_route("-4", SC, Some(UPLINK_GW4), "uplink0"));
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                OuterRoute::Unchanged
            );

            // How the session hears of it.
            let mut monitor = NetworkMonitor::start().unwrap();
            monitor.ignore_interface(device.interface().index);

            renumber();
            // With the host route gone the SC would be reached through the
            // tunnel.
            assert_eq!(route_get_dev(SC), tun);
            let change = until_addresses_change(&mut monitor).await;
            println!("the monitor reported {change:?}");

            let outcome = configurator.refresh_outer_route(addr(SC)).await.unwrap();
            println!("after the renumbering: {outcome:?}");
            assert_eq!(outcome, moved("203.0.113.1/32", Some(NEW_GW4)));
            assert!(
                has_route("-4", SC, Some(NEW_GW4), "uplink0"),
                "{:?}",
                routes("-4")
            );
            assert_eq!(routes_to("-4", SC).len(), 1);
            assert_eq!(route_get_dev(SC), "uplink0");
            assert_eq!(route_get_dev("203.0.113.99"), tun);
            assert_eq!(
                journalled_routes(&ctx),
                [
                    format!("route {SC}/32 via {NEW_GW4} dev uplink0"),
                    format!("route 0.0.0.0/1 dev {tun}"),
                    format!("route 128.0.0.0/1 dev {tun}"),
                    format!("route ::/1 dev {tun}"),
                    format!("route 8000::/1 dev {tun}"),
                ]
            );
            assert_eq!(
                configurator.outer_route().map(ToString::to_string),
                Some(format!("{SC}/32 via {NEW_GW4} dev uplink0"))
            );

            // Adding the host route is a change too; refreshing again
            // finds nothing to do, so the loop ends there.
            let change = tokio::time::timeout(Duration::from_secs(2), monitor.changed())
                .await
                .expect("the new host route is reported")
                .unwrap();
            assert!(change.routes, "{change:?}");
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                OuterRoute::Unchanged
            );

            drop(device);
            let report = configurator.undo().await.unwrap();
            println!("{report:#?}");
            assert!(report
                .undone
                .contains(&format!("route {SC}/32 via {NEW_GW4} dev uplink0")));
            assert!(routes_to("-4", SC).is_empty(), "{:?}", routes("-4"));
            assert!(has_route("-4", "default", Some(NEW_GW4), "uplink0"));
            assert!(!link_exists(&tun));
            assert!(!ctx.state_file.exists());
            assert!(matches!(
                configurator.refresh_outer_route(addr(SC)).await,
                Err(softwire_platform::TunnelError::Undone)
            ));
        },
    );
}

#[test]
fn without_a_way_out_the_host_route_is_left_as_it_is() {
    netns_test(
        "without_a_way_out_the_host_route_is_left_as_it_is",
        "nopath",
        |ctx| async move {
            let (mut configurator, device) =
                TunnelConfigurator::apply(&full_config(), &options(&ctx))
                    .await
                    .unwrap();
            let tun = device.interface().name.clone();

            // The default route goes (our host route stays).
            ip(&["route", "del", "default", "via", UPLINK_GW4]);
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                OuterRoute::NoPath
            );
            assert!(has_route("-4", SC, Some(UPLINK_GW4), "uplink0"));

            // The address goes too (the host route with it): still no way
            // out, and nothing is added.
            ip(&["addr", "del", "198.51.100.2/24", "dev", "uplink0"]);
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                OuterRoute::NoPath
            );
            assert!(routes_to("-4", SC).is_empty());
            assert_eq!(route_get_dev(SC), tun);

            // The same network comes back: pinned through the same
            // gateway again.
            ip(&["addr", "add", "198.51.100.2/24", "dev", "uplink0"]);
            ip(&["route", "add", "default", "via", UPLINK_GW4]);
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                moved("203.0.113.1/32", Some(UPLINK_GW4))
            );
            assert_eq!(route_get_dev(SC), "uplink0");

            drop(device);
            configurator.undo().await.unwrap();
            assert!(routes_to("-4", SC).is_empty());
            assert!(!ctx.state_file.exists());
        },
    );
}

#[test]
fn a_new_sc_address_gets_the_host_route_and_recovery_removes_it() {
    netns_test(
        "a_new_sc_address_gets_the_host_route_and_recovery_removes_it",
        "peer",
        |ctx| async move {
            let (mut configurator, device) =
                TunnelConfigurator::apply(&full_config(), &options(&ctx))
                    .await
                    .unwrap();
            let tun = device.interface().name.clone();

            // The SC announced another address.
            let outcome = configurator
                .refresh_outer_route(addr("203.0.113.2"))
                .await
                .unwrap();
            assert_eq!(outcome, moved("203.0.113.2/32", Some(UPLINK_GW4)));
            assert!(routes_to("-4", SC).is_empty(), "{:?}", routes("-4"));
            assert!(has_route("-4", "203.0.113.2", Some(UPLINK_GW4), "uplink0"));

            // One on the uplink's own subnet: pinned on-link.
            let outcome = configurator
                .refresh_outer_route(addr("198.51.100.77"))
                .await
                .unwrap();
            assert_eq!(outcome, moved("198.51.100.77/32", None));
            assert!(has_route("-4", "198.51.100.77", None, "uplink0"));
            assert!(routes_to("-4", "203.0.113.2").is_empty());

            // An IPv6 one: the tunnel captures IPv6 too.
            let sc6 = "2001:db8:20::1";
            let outcome = configurator.refresh_outer_route(addr(sc6)).await.unwrap();
            assert_eq!(outcome, moved("2001:db8:20::1/128", Some(UPLINK_GW6)));
            assert!(has_route("-6", sc6, Some(UPLINK_GW6), "uplink0"));
            assert!(routes_to("-4", "198.51.100.77").is_empty());
            assert_eq!(route_get_dev(sc6), "uplink0");
            let journalled = journalled_routes(&ctx);
            assert_eq!(
                journalled.first().map(String::as_str),
                Some("route 2001:db8:20::1/128 via 2001:db8:1::1 dev uplink0")
            );
            assert_eq!(journalled.len(), 5, "{journalled:?}");

            // The run dies without undoing: recovery removes the new route.
            std::mem::forget(configurator);
            let report = recover(&ctx.state_file).await.unwrap();
            println!("{report:#?}");
            assert!(report
                .undone
                .contains(&"route 2001:db8:20::1/128 via 2001:db8:1::1 dev uplink0".to_owned()));
            assert!(routes_to("-6", sc6).is_empty(), "{:?}", routes("-6"));
            assert!(!link_exists(&tun));
            assert!(!ctx.state_file.exists());
            drop(device);
        },
    );
}

#[test]
fn a_split_tunnel_pins_only_an_sc_it_captures() {
    netns_test(
        "a_split_tunnel_pins_only_an_sc_it_captures",
        "split",
        |ctx| async move {
            let mut config = full_config();
            config.routes = RouteMode::Split(vec![prefix("198.51.100.128/25")]);
            let (mut configurator, device) = TunnelConfigurator::apply(&config, &options(&ctx))
                .await
                .unwrap();
            assert_eq!(configurator.outer_route(), None);
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                OuterRoute::NotNeeded
            );
            assert!(journalled_routes(&ctx).len() == 1);

            // The SC moves into the tunnel's prefix: it needs a host route
            // now, and none once it moves out again.
            let inside = "198.51.100.200";
            assert_eq!(
                configurator
                    .refresh_outer_route(addr(inside))
                    .await
                    .unwrap(),
                moved("198.51.100.200/32", None)
            );
            assert_eq!(route_get_dev(inside), "uplink0");
            assert_eq!(
                configurator.refresh_outer_route(addr(SC)).await.unwrap(),
                OuterRoute::NotNeeded
            );
            assert!(routes_to("-4", inside).is_empty());
            assert_eq!(journalled_routes(&ctx).len(), 1);

            drop(device);
            configurator.undo().await.unwrap();
            assert!(!ctx.state_file.exists());
        },
    );
}
