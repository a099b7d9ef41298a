//! Batching in Softwire's data path against itself (two instances with
//! fixed TEST keys in two namespaces): with TUN offloads one TCP flow
//! moves many packets per system call on every hop (device read, UDP
//! send, UDP receive, device write); without them, one. Throughput itself
//! is a benchmark (scripts/bench.sh c), not asserted here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

use softwire_lab::pair_lab::{Pair, SideCounters};

/// One TCP flow a → b through both TUN devices for 2 s; returns the
/// counters of both sides and the bytes iperf3 says arrived.
fn transfer(offload: bool) -> (SideCounters, SideCounters, u64) {
    let pair = Pair::up("gcm128", offload);
    let out = pair.exec(
        "a",
        &["iperf3", "-c", "203.0.113.2", "-p", "5201", "-t", "2", "-J"],
    );
    assert!(
        out.status.success(),
        "iperf3: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let received = report["end"]["sum_received"]["bytes"].as_u64().unwrap();
    let (a, b) = pair.down();
    (a, b, received)
}

fn per_call(side: &SideCounters, packets: &str, calls: &str) -> f64 {
    let p = side[packets];
    let c = side[calls];
    assert!(c > 0, "no {calls} in {side:?}");
    p as f64 / c as f64
}

#[test]
fn with_offloads_a_tcp_flow_moves_many_packets_per_system_call() {
    let (a, b, received) = transfer(true);
    assert!(received > 10_000_000, "only {received} bytes arrived");
    let sent_per_read = per_call(&a, "packets-out", "device-reads");
    let sent_per_send = per_call(&a, "packets-out", "udp-sends");
    let delivered_per_write = per_call(&b, "packets-in", "device-writes");
    let delivered_per_receive = per_call(&b, "packets-in", "udp-receives");
    println!(
        "{received} bytes; packets per call: device read {sent_per_read:.1}, UDP send \
         {sent_per_send:.1}, UDP receive {delivered_per_receive:.1}, device write \
         {delivered_per_write:.1}"
    );
    // A full super-packet is ~45 segments; anything clearly above 1 shows
    // the offloads at work on each hop.
    for (what, factor) in [
        ("device read", sent_per_read),
        ("UDP send", sent_per_send),
        ("UDP receive", delivered_per_receive),
        ("device write", delivered_per_write),
    ] {
        assert!(factor >= 4.0, "{what}: {factor:.1} packets per call");
    }
    // Nothing was dropped on the way.
    assert_eq!(b["integrity-failed"], 0, "{b:?}");
    assert_eq!(b["replayed"], 0, "{b:?}");
}

#[test]
fn without_offloads_every_call_moves_one_packet() {
    let (a, b, received) = transfer(false);
    assert!(received > 1_000_000, "only {received} bytes arrived");
    println!("{received} bytes; a: {a:?}; b: {b:?}");
    // Each device read is one packet, and so each send (nothing to glue).
    assert_eq!(a["packets-out"], a["udp-sends"], "{a:?}");
    assert!(a["device-reads"] >= a["packets-out"], "{a:?}");
    // Each delivered packet is its own device write.
    assert_eq!(b["packets-in"], b["device-writes"], "{b:?}");
}
