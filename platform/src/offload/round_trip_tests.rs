//! Round trips: segments pushed into a [`Coalescer`] come back from
//! [`split`] byte for byte, through one super-packet.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::testutil::*;
use super::*;

fn check_round_trip(ipv6: bool, sizes: &[usize], push_last: bool) {
    let mut specs = segment_specs(&flow(ipv6), sizes);
    if push_last {
        specs.last_mut().unwrap().flags = PSH | ACK;
    }
    let originals: Vec<Vec<u8>> = specs.iter().map(Tcp::build).collect();
    let coalescer = push_all(&originals);
    let case = format!("ipv6 {ipv6}, sizes {sizes:?}, push {push_last}");
    assert_eq!(coalescer.write_count(), 1, "{case}");
    let write = coalescer.writes().next().unwrap();
    let ip = if ipv6 { 40 } else { 20 };
    assert_eq!(
        vnet_header_of(write),
        VnetHeader {
            flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
            gso_type: if ipv6 {
                VIRTIO_NET_HDR_GSO_TCPV6
            } else {
                VIRTIO_NET_HDR_GSO_TCPV4
            },
            hdr_len: u16::try_from(ip + 32).unwrap(),
            gso_size: u16::try_from(sizes[0]).unwrap(),
            csum_start: u16::try_from(ip).unwrap(),
            csum_offset: 16,
        },
        "{case}"
    );
    let packet = &write[VNET_HDR_LEN..];
    assert_eq!(
        packet.len(),
        ip + 32 + sizes.iter().sum::<usize>(),
        "{case}"
    );
    if ipv6 {
        assert_eq!(usize::from(read_u16_at(packet, 4)), packet.len() - 40);
    } else {
        assert_eq!(usize::from(read_u16_at(packet, 2)), packet.len());
        assert!(ipv4_checksum_ok(packet), "{case}");
    }
    // CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented.
    assert_eq!(
        read_u16_at(packet, ip + 16),
        partial_checksum(packet),
        "{case}"
    );
    let flags = if push_last { PSH | ACK } else { ACK };
    assert_eq!(packet[ip + 13], flags, "{case}");

    let count = u64::try_from(sizes.len()).unwrap();
    let expected_stats = CoalesceStats {
        pushed: count,
        merged: count - 1,
        super_packets: 1,
    };
    assert_eq!(coalescer.stats(), expected_stats, "{case}");
    assert_eq!(split_writes(&coalescer), [originals], "{case}");

    // The kernel completing the partial checksum gets a valid packet.
    let completed = VnetHeader {
        gso_type: VIRTIO_NET_HDR_GSO_NONE,
        ..vnet_header_of(write)
    };
    let mut out = Packets::new();
    split(&framed(completed, packet), &mut out).unwrap();
    assert!(transport_checksum_ok(out.get(0).unwrap()), "{case}");
}

#[test]
fn consecutive_segments_merge_and_split_back_to_the_same_bytes() {
    let cases: [&[usize]; 5] = [
        &[1000, 1000],
        &[1000, 1000, 1000, 400],
        &[1448; 10],
        &[536, 536, 1],
        &[1, 1, 1, 1],
    ];
    for ipv6 in [false, true] {
        for sizes in cases {
            for push_last in [false, true] {
                check_round_trip(ipv6, sizes, push_last);
            }
        }
    }
}

#[test]
fn ipv4_ids_step_by_one_or_stay_put_under_df() {
    let originals = segments(&flow(false), &[800; 3]);
    let with_ids = |ids: [u16; 3], dont_fragment: bool| {
        let mut specs = segment_specs(
            &Tcp {
                dont_fragment,
                ..flow(false)
            },
            &[800; 3],
        );
        for (spec, id) in specs.iter_mut().zip(ids) {
            spec.ipv4_id = id;
        }
        specs.iter().map(Tcp::build).collect::<Vec<_>>()
    };
    // Wrapping IDs merge.
    assert_eq!(push_all(&with_ids([0xffff, 0, 1], true)).write_count(), 1);
    // Fixed IDs with DF merge; splitting renumbers them from the first.
    let fixed = push_all(&with_ids([100, 100, 100], true));
    assert_eq!(fixed.write_count(), 1);
    assert_eq!(split_writes(&fixed), [originals]);
    // Fixed IDs without DF, gaps, and a change of step do not.
    assert_eq!(push_all(&with_ids([100, 100, 100], false)).write_count(), 3);
    assert_eq!(push_all(&with_ids([100, 102, 104], true)).write_count(), 3);
    assert_eq!(push_all(&with_ids([100, 101, 101], true)).write_count(), 2);
}
