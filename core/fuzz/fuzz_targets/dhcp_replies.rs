//! DHCPv4 ACKs and DHCPv6 Replies from anyone on the link: every input is
//! an answer or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softwire_core::discovery::{dhcp4, dhcp6};

fuzz_target!(|data: &[u8]| {
    let xid4 = data.get(4..8).map_or(0, |b| {
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    });
    let _ = dhcp4::parse_ack(data, xid4, None, 224);
    let xid6 = data.get(1..4).map_or([0; 3], |b| [b[0], b[1], b[2]]);
    let _ = dhcp6::parse_reply(data, xid6);
});
