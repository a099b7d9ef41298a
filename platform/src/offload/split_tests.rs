//! Tests of [`split`]: TSO super-packets, checksum completion, and refusal
//! of every malformed read without a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::testutil::*;
use super::*;

/// A TSO read as the kernel makes it: the TCP checksum field holds the
/// pseudo-header sum, `hdr_len` is not the header length.
fn tso_read(spec: &Tcp, gso_size: u16) -> (Vec<u8>, Vec<u8>) {
    let mut packet = spec.build();
    let ip = ip_header_len(&packet);
    let partial = partial_checksum(&packet);
    packet[ip + 16..ip + 18].copy_from_slice(&partial.to_be_bytes());
    let header = VnetHeader {
        flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
        gso_type: if spec.ipv6 {
            VIRTIO_NET_HDR_GSO_TCPV6
        } else {
            VIRTIO_NET_HDR_GSO_TCPV4
        },
        hdr_len: 1234,
        gso_size,
        csum_start: u16::try_from(ip).unwrap(),
        csum_offset: 16,
    };
    (framed(header, &packet), packet)
}

fn split_all(read: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Packets::new();
    split(read, &mut out).unwrap();
    out.iter().map(<[u8]>::to_vec).collect()
}

fn check_tso(ipv6: bool) {
    let spec = Tcp {
        ipv6,
        sequence: u32::MAX - 1500,
        ipv4_id: 0xfffe,
        flags: CWR | FIN | PSH | ACK,
        payload: pseudo_random(3500, 9),
        ..Tcp::default()
    };
    let (read, original) = tso_read(&spec, 1000);
    let segments = split_all(&read);
    assert_eq!(segments.len(), 4);
    let ip = if ipv6 { 40 } else { 20 };
    let headers = ip + 32;
    for (index, segment) in segments.iter().enumerate() {
        let payload_len = if index == 3 { 500 } else { 1000 };
        assert_eq!(segment.len(), headers + payload_len, "segment {index}");
        if ipv6 {
            assert_eq!(usize::from(read_u16_at(segment, 4)), 32 + payload_len);
            assert_eq!(segment[..4], original[..4]);
            assert_eq!(segment[6..40], original[6..40]);
        } else {
            assert_eq!(usize::from(read_u16_at(segment, 2)), segment.len());
            let id = 0xfffe_u16.wrapping_add(u16::try_from(index).unwrap());
            assert_eq!(read_u16_at(segment, 4), id);
            assert_eq!(segment[6..10], original[6..10]);
            assert_eq!(segment[12..20], original[12..20]);
        }
        let offset = u32::try_from(index * 1000).unwrap();
        assert_eq!(
            read_u32_at(segment, ip + 4),
            spec.sequence.wrapping_add(offset)
        );
        let expected_flags = match index {
            0 => CWR | ACK,
            3 => FIN | PSH | ACK,
            _ => ACK,
        };
        assert_eq!(segment[ip + 13], expected_flags, "segment {index}");
        // Ports, acknowledgment, data offset, window, urgent, options.
        assert_eq!(segment[ip..ip + 4], original[ip..ip + 4]);
        assert_eq!(segment[ip + 8..ip + 13], original[ip + 8..ip + 13]);
        assert_eq!(segment[ip + 14..ip + 16], original[ip + 14..ip + 16]);
        assert_eq!(segment[ip + 18..headers], original[ip + 18..headers]);
        let start = index * 1000;
        assert_eq!(segment[headers..], spec.payload[start..start + payload_len]);
        assert!(ipv4_checksum_ok(segment), "segment {index}");
        assert!(transport_checksum_ok(segment), "segment {index}");
    }
}

#[test]
fn ipv4_tso_super_packet_is_cut_like_the_kernel_does() {
    check_tso(false);
}

#[test]
fn ipv6_tso_super_packet_is_cut_like_the_kernel_does() {
    check_tso(true);
}

#[test]
fn super_packets_of_whole_segments_and_of_one_segment() {
    for ipv6 in [false, true] {
        let spec = Tcp {
            ipv6,
            flags: PSH | ACK,
            payload: pseudo_random(3000, 3),
            ..Tcp::default()
        };
        let segments = split_all(&tso_read(&spec, 1000).0);
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[1][ip_header_len(&segments[1]) + 13], ACK);
        assert_eq!(segments[2][ip_header_len(&segments[2]) + 13], PSH | ACK);
        assert!(segments.iter().all(|s| transport_checksum_ok(s)));

        // Payload within one segment, or none: the packet itself, complete.
        for len in [1000, 999, 0] {
            let spec = Tcp {
                payload: pseudo_random(len, 4),
                ..spec.clone()
            };
            assert_eq!(split_all(&tso_read(&spec, 1000).0), [spec.build()]);
        }
    }
}

#[test]
fn needs_csum_without_gso_completes_tcp_and_udp_checksums() {
    let tcp4 = Tcp {
        payload: pseudo_random(333, 5),
        ..Tcp::default()
    }
    .build();
    let tcp6 = Tcp {
        ipv6: true,
        payload: pseudo_random(1001, 6),
        ..Tcp::default()
    }
    .build();
    let cases = [
        (tcp4, 16),
        (tcp6, 16),
        (udp(false, b"odd length"), 6),
        (udp(true, &pseudo_random(77, 7)), 6),
    ];
    for (valid, csum_offset) in cases {
        let ip = ip_header_len(&valid);
        let mut partial = valid.clone();
        partial[ip + csum_offset..ip + csum_offset + 2]
            .copy_from_slice(&partial_checksum(&valid).to_be_bytes());
        assert_ne!(partial, valid);
        let header = VnetHeader {
            flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
            csum_start: u16::try_from(ip).unwrap(),
            csum_offset: u16::try_from(csum_offset).unwrap(),
            ..VnetHeader::default()
        };
        assert_eq!(split_all(&framed(header, &partial)), [valid]);
    }
}

#[test]
fn plain_reads_pass_through_byte_for_byte() {
    let mut wrong = Tcp::default().build();
    wrong[36] ^= 0x55; // TCP checksum: not ours to fix without NEEDS_CSUM.
    let not_ip = b"\x00\x01\x02 not an IP packet".to_vec();
    for packet in [wrong, not_ip, udp(false, b"x")] {
        for flags in [0, VIRTIO_NET_HDR_F_DATA_VALID] {
            let header = VnetHeader {
                flags,
                gso_size: 1448,
                hdr_len: 54,
                ..VnetHeader::default()
            };
            assert_eq!(
                split_all(&framed(header, &packet)),
                std::slice::from_ref(&packet)
            );
        }
    }
}

#[test]
fn malformed_reads_get_their_error_and_append_nothing() {
    let spec = Tcp {
        payload: pseudo_random(3000, 8),
        ..Tcp::default()
    };
    let (good, _) = tso_read(&spec, 1000);
    let (good6, _) = tso_read(
        &Tcp {
            ipv6: true,
            ..spec.clone()
        },
        1000,
    );
    let edit = |read: &[u8], at: usize, value: u8| {
        let mut read = read.to_vec();
        read[at] = value;
        read
    };
    let tcp4 = 10 + 20;
    let cases: Vec<(Vec<u8>, OffloadError)> = vec![
        (good[..7].to_vec(), OffloadError::ShortHeader { len: 7 }),
        (good[..10].to_vec(), OffloadError::EmptyPacket),
        (
            good[..good.len() - 1].to_vec(),
            OffloadError::LengthMismatch {
                stated: good.len() - 10,
                actual: good.len() - 11,
            },
        ),
        (
            [&good[..], &[0]].concat(),
            OffloadError::LengthMismatch {
                stated: good.len() - 10,
                actual: good.len() - 9,
            },
        ),
        (edit(&edit(&good, 4, 0), 5, 0), OffloadError::ZeroGsoSize),
        (
            edit(&good, 9, 0xff),
            OffloadError::ChecksumBeyondPacket {
                csum_start: 20,
                csum_offset: 0xff10,
                len: good.len() - 10,
            },
        ),
        (
            edit(&good, 1, 2),
            OffloadError::UnsupportedGsoType { gso_type: 2 },
        ),
        (
            edit(&good, 1, VIRTIO_NET_HDR_GSO_UDP_L4),
            OffloadError::UnsupportedGsoType { gso_type: 5 },
        ),
        (
            edit(&good, 1, 0x81),
            OffloadError::EcnNotSupported { gso_type: 0x81 },
        ),
        (
            edit(&good, 0, 0x05),
            OffloadError::UnsupportedFlags { flags: 0x05 },
        ),
        (
            edit(&good, 1, VIRTIO_NET_HDR_GSO_TCPV6),
            OffloadError::VersionMismatch {
                gso_type: 4,
                version: 4,
            },
        ),
        (
            edit(&good6, 1, VIRTIO_NET_HDR_GSO_TCPV4),
            OffloadError::VersionMismatch {
                gso_type: 1,
                version: 6,
            },
        ),
        (
            edit(&good, 10, 0x44),
            OffloadError::BadIpv4HeaderLength { ihl: 4 },
        ),
        (
            edit(&good6, 10 + 6, 0),
            OffloadError::Ipv6ExtensionHeader { next_header: 0 },
        ),
        (
            edit(&good6, 10 + 6, 44),
            OffloadError::Ipv6ExtensionHeader { next_header: 44 },
        ),
        (
            edit(&good6, 10 + 6, 17),
            OffloadError::NotTcp { protocol: 17 },
        ),
        (
            edit(&good, 10 + 9, 17),
            OffloadError::NotTcp { protocol: 17 },
        ),
        (edit(&good, 10 + 6, 0x60), OffloadError::Fragment),
        (
            edit(&good, tcp4 + 12, 0x40),
            OffloadError::BadTcpHeaderLength { data_offset: 4 },
        ),
    ];
    for (read, expected) in cases {
        let mut out = Packets::new();
        out.push(b"earlier");
        assert_eq!(split(&read, &mut out), Err(expected.clone()), "{expected}");
        assert_eq!(out.iter().collect::<Vec<_>>(), [&b"earlier"[..]]);
    }
}

#[test]
fn headers_beyond_the_packet_are_refused() {
    // IHL 15 (60 bytes) in a 40-byte packet whose total length says 40.
    let mut packet = Tcp {
        options: Vec::new(),
        ..Tcp::default()
    }
    .build();
    packet[0] = 0x4f;
    let tso = VnetHeader {
        gso_type: VIRTIO_NET_HDR_GSO_TCPV4,
        gso_size: 1000,
        ..VnetHeader::default()
    };
    let mut out = Packets::new();
    assert_eq!(
        split(&framed(tso, &packet), &mut out),
        Err(OffloadError::IpHeaderBeyondPacket {
            header_len: 60,
            len: 40
        })
    );
    // Data offset 15 (60 bytes) where 20 are left.
    packet[0] = 0x45;
    packet[32] = 0xf0;
    assert_eq!(
        split(&framed(tso, &packet), &mut out),
        Err(OffloadError::TcpHeaderBeyondPacket { end: 80, len: 40 })
    );
    // Fewer than 20 bytes of TCP header.
    let mut short = packet[..30].to_vec();
    short[3] = 30;
    assert_eq!(
        split(&framed(tso, &short), &mut out),
        Err(OffloadError::TcpHeaderBeyondPacket { end: 40, len: 30 })
    );
    // An IPv6 packet shorter than its header.
    let tso6 = VnetHeader {
        gso_type: VIRTIO_NET_HDR_GSO_TCPV6,
        ..tso
    };
    assert_eq!(
        split(&framed(tso6, &[0x60; 39]), &mut out),
        Err(OffloadError::IpHeaderBeyondPacket {
            header_len: 40,
            len: 39
        })
    );
    assert!(out.is_empty());
}

#[test]
fn truncated_and_corrupted_reads_never_panic() {
    for ipv6 in [false, true] {
        let spec = Tcp {
            ipv6,
            flags: PSH | ACK,
            payload: pseudo_random(2500, 10),
            ..Tcp::default()
        };
        let (read, _) = tso_read(&spec, 700);
        let mut out = Packets::new();
        for len in 0..=read.len() {
            let result = split(&read[..len], &mut out);
            assert_eq!(result.is_ok(), len == read.len(), "length {len}");
        }
        let header_area = 10 + ip_header_len(&read[10..]) + 32;
        for at in 0..header_area {
            for value in [
                0x00,
                0xff,
                read[at] ^ 0x01,
                read[at] ^ 0x80,
                read[at] ^ 0x10,
            ] {
                let mut corrupted = read.clone();
                corrupted[at] = value;
                out.clear();
                if split(&corrupted, &mut out).is_ok() {
                    assert!(!out.is_empty());
                    assert!(out.iter().all(|p| p.len() <= corrupted.len()));
                }
            }
        }
        // gso_size 1: a segment per payload byte.
        let mut tiny = read.clone();
        tiny[4..6].copy_from_slice(&1u16.to_le_bytes());
        out.clear();
        split(&tiny, &mut out).unwrap();
        assert_eq!(out.len(), 2500);
        assert!(out.iter().all(transport_checksum_ok));
    }
}
