//! Tests of [`Coalescer`]: what merges, what does not, and that [`split`]
//! gives back exactly the packets pushed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::testutil::*;
use super::*;
#[test]
fn a_sequence_gap_closes_the_super_packet() {
    let mut specs = segment_specs(&flow(false), &[1000; 4]);
    specs[2].sequence += 1;
    specs[3].sequence += 1;
    let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
    let coalescer = push_all(&packets);
    assert_eq!(
        split_writes(&coalescer),
        [packets[..2].to_vec(), packets[2..].to_vec()]
    );
    assert_eq!(coalescer.stats().super_packets, 2);
}

#[test]
fn interleaved_flows_merge_separately_in_order() {
    let a = segments(&flow(false), &[1000; 3]);
    let b = segments(
        &Tcp {
            destination_port: 50_001,
            ..flow(false)
        },
        &[1200; 3],
    );
    let c = segments(&flow(true), &[900; 3]);
    let mut mixed = Vec::new();
    for i in 0..3 {
        mixed.extend([a[i].clone(), b[i].clone(), c[i].clone()]);
    }
    let coalescer = push_all(&mixed);
    assert_eq!(split_writes(&coalescer), [a, b, c]);
    assert_eq!(coalescer.stats().merged, 6);
}

#[test]
fn psh_and_a_short_segment_close_the_super_packet() {
    let mut specs = segment_specs(&flow(false), &[1000; 5]);
    specs[1].flags = PSH | ACK;
    let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
    let coalescer = push_all(&packets);
    let write = coalescer.writes().next().unwrap();
    assert_eq!(write[VNET_HDR_LEN + 20 + 13], PSH | ACK);
    assert_eq!(
        split_writes(&coalescer),
        [packets[..2].to_vec(), packets[2..].to_vec()]
    );

    let packets = segments(&flow(true), &[1000, 1000, 500, 1000, 1000]);
    let coalescer = push_all(&packets);
    assert_eq!(
        split_writes(&coalescer),
        [packets[..3].to_vec(), packets[3..].to_vec()]
    );
    // A segment larger than the first is not part of it.
    let packets = segments(&flow(false), &[1000, 1200]);
    let coalescer = push_all(&packets);
    assert_eq!(coalescer.write_count(), 2);
    for (write, packet) in coalescer.writes().zip(&packets) {
        assert_plain(write, packet);
    }
}

#[test]
fn control_flags_are_never_merged() {
    for flag in [SYN, FIN, RST, URG, CWR, ECE] {
        // In the middle: alone, and the flow restarts after it.
        let mut specs = segment_specs(&flow(false), &[1000; 4]);
        specs[1].flags |= flag;
        let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
        let coalescer = push_all(&packets);
        let writes: Vec<&[u8]> = coalescer.writes().collect();
        assert_eq!(writes.len(), 3, "flag {flag:#x}");
        assert_plain(writes[0], &packets[0]);
        assert_plain(writes[1], &packets[1]);
        assert_eq!(split_writes(&coalescer)[2], packets[2..]);
        // First: it starts nothing.
        let mut specs = segment_specs(&flow(true), &[1000; 3]);
        specs[0].flags |= flag;
        let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
        let coalescer = push_all(&packets);
        assert_plain(coalescer.writes().next().unwrap(), &packets[0]);
        assert_eq!(coalescer.write_count(), 2, "flag {flag:#x}");
    }
    // A pure ACK of the flow closes it and keeps its place.
    let specs = segment_specs(&flow(false), &[1000, 1000, 0, 1000]);
    let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
    let coalescer = push_all(&packets);
    let writes: Vec<&[u8]> = coalescer.writes().collect();
    assert_eq!(writes.len(), 3);
    assert_plain(writes[1], &packets[2]);
    assert_plain(writes[2], &packets[3]);
}

#[test]
fn segments_with_bad_checksums_are_written_as_they_came() {
    let mut packets = segments(&flow(false), &[1000; 5]);
    packets[2][100] ^= 0x01;
    let coalescer = push_all(&packets);
    let writes: Vec<&[u8]> = coalescer.writes().collect();
    assert_eq!(writes.len(), 3);
    assert_plain(writes[1], &packets[2]);
    let splits = split_writes(&coalescer);
    assert_eq!(splits[0], packets[..2]);
    assert_eq!(splits[2], packets[3..]);

    // A bad first segment stays alone; the next ones merge.
    let mut packets = segments(&flow(true), &[1000; 3]);
    packets[0][100] ^= 0x80;
    let coalescer = push_all(&packets);
    assert_plain(coalescer.writes().next().unwrap(), &packets[0]);
    assert_eq!(split_writes(&coalescer)[1], packets[1..]);
    assert_eq!(coalescer.stats().merged, 1);
}

#[test]
fn header_differences_prevent_merging() {
    let base = flow(false);
    type Edit = fn(&mut Tcp);
    let edits: [Edit; 7] = [
        |t| t.ttl -= 1,
        |t| t.tos = 0x10,
        |t| t.acknowledgment += 1,
        |t| t.options = timestamps(9, 9),
        |t| t.options = Vec::new(),
        |t| t.ipv6 = !t.ipv6,
        |t| t.flow_label = 7,
    ];
    for (index, edit) in edits.iter().enumerate() {
        for ipv6 in [false, true] {
            let mut specs = segment_specs(
                &Tcp {
                    ipv6,
                    ..base.clone()
                },
                &[1000; 2],
            );
            edit(&mut specs[1]);
            let flow_label_only = index == 6 && !ipv6;
            let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
            let expected = if flow_label_only { 1 } else { 2 };
            assert_eq!(push_all(&packets).write_count(), expected, "edit {index}");
        }
    }
    // A new window is taken from the last segment.
    let mut specs = segment_specs(&base, &[1000; 3]);
    specs[2].window = 4000;
    let packets: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
    let coalescer = push_all(&packets);
    assert_eq!(coalescer.write_count(), 1);
    assert_eq!(
        read_u16_at(coalescer.writes().next().unwrap(), VNET_HDR_LEN + 34),
        4000
    );
}

#[test]
fn ineligible_packets_are_written_as_is() {
    let with_options = segments(
        &Tcp {
            ipv4_options: vec![1, 1, 1, 0],
            ..flow(false)
        },
        &[1000; 3],
    );
    let others = vec![
        udp(false, b"dns"),
        udp(true, &[7; 1000]),
        vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 0, 0, 0, 0, 0, 0, 0,
        ],
        b"not IP".to_vec(),
        Vec::new(),
    ];
    for packets in [with_options, others] {
        let coalescer = push_all(&packets);
        assert_eq!(coalescer.write_count(), packets.len());
        for (write, packet) in coalescer.writes().zip(&packets) {
            assert_plain(write, packet);
        }
        assert_eq!(coalescer.stats().merged, 0);
    }
    // Another protocol between two segments leaves the flow open.
    let tcp = segments(&flow(false), &[1000; 2]);
    let datagram = udp(false, b"between");
    let coalescer = push_all(&[tcp[0].clone(), datagram.clone(), tcp[1].clone()]);
    assert_eq!(split_writes(&coalescer), [tcp, vec![datagram]]);
}

#[test]
fn super_packets_stay_within_64_kib() {
    for ipv6 in [false, true] {
        let packets = segments(&flow(ipv6), &[1448; 50]);
        let coalescer = push_all(&packets);
        let writes: Vec<&[u8]> = coalescer.writes().collect();
        assert!(writes.iter().all(|w| w.len() - VNET_HDR_LEN <= 65_535));
        let splits = split_writes(&coalescer);
        assert_eq!(splits.iter().map(Vec::len).collect::<Vec<_>>(), [45, 5]);
        assert_eq!(splits.concat(), packets);
    }
}

#[test]
fn at_most_eight_flows_stay_open() {
    let flows: Vec<Vec<Vec<u8>>> = (0..9)
        .map(|port| {
            let spec = Tcp {
                source_port: 1000 + port,
                ..flow(false)
            };
            segments(&spec, &[1000; 2])
        })
        .collect();
    // First segments of flows 0 to 8, then the second ones of 1 to 8, 0.
    let mut packets: Vec<Vec<u8>> = flows.iter().map(|f| f[0].clone()).collect();
    packets.extend(flows[1..].iter().map(|f| f[1].clone()));
    packets.push(flows[0][1].clone());
    let coalescer = push_all(&packets);
    // Flow 0 was closed when flow 8 opened: its second segment is alone.
    assert_eq!(coalescer.write_count(), 10);
    assert_eq!(coalescer.stats().merged, 8);
    let splits = split_writes(&coalescer);
    assert_eq!(splits[0], [flows[0][0].clone()]);
    assert_eq!(splits[9], [flows[0][1].clone()]);
    for port in 1..9 {
        assert_eq!(splits[port], flows[port]);
    }
}

#[test]
fn clear_forgets_everything_and_reuse_gives_the_same_writes() {
    let mut packets = segments(&flow(false), &[1000; 4]);
    packets.insert(2, udp(true, b"interleaved"));
    let mut coalescer = push_all(&packets);
    let first: Vec<Vec<u8>> = coalescer.writes().map(<[u8]>::to_vec).collect();
    let stats = coalescer.stats();
    assert!(!coalescer.is_empty());
    coalescer.clear();
    assert!(coalescer.is_empty());
    assert_eq!(coalescer.writes().count(), 0);
    assert_eq!(coalescer.stats(), CoalesceStats::default());
    for packet in &packets {
        coalescer.push(packet);
    }
    let second: Vec<Vec<u8>> = coalescer.writes().map(<[u8]>::to_vec).collect();
    assert_eq!(first, second);
    assert_eq!(coalescer.stats(), stats);
    let mut total = stats;
    total += stats;
    assert_eq!(total.pushed, 10);
}

#[test]
fn corrupted_segments_never_panic() {
    let packets = segments(&flow(false), &[300; 3]);
    for at in 0..60 {
        for value in [0x00, 0xff, packets[1][at] ^ 0x01] {
            let mut corrupted = packets.clone();
            corrupted[1][at] = value;
            for len in [corrupted[1].len(), 40, 10] {
                let mut coalescer = Coalescer::new();
                coalescer.push(&corrupted[0]);
                coalescer.push(&corrupted[1][..len]);
                coalescer.push(&corrupted[2]);
                let pushed: usize = coalescer.writes().map(|w| w.len() - VNET_HDR_LEN).sum();
                assert!(pushed <= packets.iter().map(Vec::len).sum());
            }
        }
    }
}
