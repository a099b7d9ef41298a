//! Checks the rekeying tests share: a connection brought up against the
//! fake SC, the CHILD_SAs the engine reported, and ESP crossing between the
//! engine's and the fake's view of a CHILD_SA.

use std::net::Ipv4Addr;

use super::fake_child::ipv4_packet;
use super::fake_sc::Script;
use super::{Event, Harness, InitiatorConfig, PSK};
use crate::esp::{EspInbound, EspOutbound};
use crate::ike::child::ChildSa;

/// The PSK connection up against the fake SC.
pub fn up(config: InitiatorConfig) -> Harness {
    let mut h = Harness::new(config, Script::psk(PSK));
    h.pump();
    assert!(h.established().is_some(), "{:?}", h.closed());
    h
}

/// The CHILD_SAs the engine reported as rekeyed, in order.
pub fn rekeyed(h: &Harness) -> Vec<&ChildSa> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::ChildRekeyed(c) => Some(c.as_ref()),
            _ => None,
        })
        .collect()
}

/// ESP crosses both ways between our view of a CHILD_SA and the SC's.
pub fn carries_esp(ours: &ChildSa, theirs: &ChildSa) {
    let packet = ipv4_packet(
        Ipv4Addr::new(203, 0, 113, 129),
        Ipv4Addr::new(203, 0, 113, 10),
    );
    let mut wire = Vec::new();
    let mut plain = Vec::new();
    EspOutbound::from_child(ours)
        .unwrap()
        .seal(&packet, &mut wire)
        .unwrap();
    EspInbound::from_child(theirs)
        .unwrap()
        .open(&wire, None, &mut plain)
        .unwrap();
    assert_eq!(plain, packet);
    let reply = ipv4_packet(
        Ipv4Addr::new(203, 0, 113, 10),
        Ipv4Addr::new(203, 0, 113, 129),
    );
    EspOutbound::from_child(theirs)
        .unwrap()
        .seal(&reply, &mut wire)
        .unwrap();
    EspInbound::from_child(ours)
        .unwrap()
        .open(&wire, None, &mut plain)
        .unwrap();
    assert_eq!(plain, reply);
}

/// The same SPIs and algorithms.
pub fn same_child(ours: &ChildSa, expected: &ChildSa) {
    assert_eq!(ours.spi_in, expected.spi_in);
    assert_eq!(ours.spi_out, expected.spi_out);
    assert_eq!(ours.suite, expected.suite);
}
