//! IKE fragmentation (RFC 7383) through a router that drops IP fragments:
//! with 4096-bit RSA certificates the SC's IKE_AUTH answer is well over
//! 1500 bytes, which only arrives split into IKE fragments; the connection
//! comes up and carries traffic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::Duration;

use softwire_lab::lab::Lab;
use softwire_lab::session::{connect_eap, eap_profile, site_answers};

#[test]
fn a_large_ike_auth_crosses_a_nat_that_drops_ip_fragments() {
    let lab = Lab::up_with(&[("LAB_RSA_BITS", "4096"), ("LAB_NAT_DROP_FRAGMENTS", "1")]).unwrap();
    let profile = eap_profile(&lab, lab.get("LAB_SC_ADDR"), "");
    let (mut client, _state) = connect_eap(&lab, &profile);
    assert!(site_answers(&lab));

    // The SC split an IKE message larger than one Ethernet frame.
    let log = std::fs::read_to_string(lab.dir.join("charon.log")).unwrap();
    let sizes: Vec<usize> = log
        .lines()
        .filter_map(|l| l.split("splitting IKE message (").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .filter_map(|n| n.parse().ok())
        .collect();
    println!("IKE messages the SC fragmented (bytes): {sizes:?}");
    assert!(
        sizes.iter().any(|&n| n > 1500),
        "no IKE message over 1500 bytes was fragmented: {sizes:?}"
    );
    // And the router really drops fragments: an oversized ping through
    // the NAT (outside the tunnel, to the SC) does not arrive.
    let big = lab
        .exec(
            "hotspot",
            "ping",
            &["-c", "1", "-W", "1", "-s", "3000", lab.get("LAB_SC_ADDR")],
        )
        .unwrap();
    assert!(!big.status.success(), "IP fragments crossed the NAT");
    let small = lab
        .exec(
            "hotspot",
            "ping",
            &["-c", "1", "-W", "1", lab.get("LAB_SC_ADDR")],
        )
        .unwrap();
    assert!(
        small.status.success(),
        "the SC does not answer pings at all"
    );

    client.signal("INT");
    client.wait_exit(Duration::from_secs(10)).unwrap();
}
