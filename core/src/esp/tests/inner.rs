//! After decryption: trailer, Next Header, the inner header, the traffic
//! selectors (RFC 4301 §5.2) and ECN (RFC 6040).

use ring::hmac;

use super::*;
use crate::esp::ecn::ipv4_header_checksum;
use crate::esp::{ecn_decapsulate, inner_ecn, Drop, Ecn, IpFamily};

fn suites() -> Vec<EspSuite> {
    all_suites()
}

/// Our SA with the SC restricted to `remote` and us to `local`, and the
/// SC's outbound SA to feed it.
fn narrowed(
    suite: EspSuite,
    remote: Vec<AddressRange>,
    local: Vec<AddressRange>,
) -> (EspOutbound, EspInbound, ChildSa) {
    let mut ours = child(suite, 21);
    ours.remote_ts = remote;
    ours.local_ts = local;
    let theirs = peer_view(&ours);
    (
        EspOutbound::from_child(&theirs).unwrap(),
        EspInbound::from_child(&ours).unwrap(),
        ours,
    )
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn range(start: IpAddr, end: IpAddr) -> AddressRange {
    AddressRange::any(start, end)
}

fn deliver(out: &mut EspOutbound, inbound: &mut EspInbound, inner: &[u8]) -> Result<(), Drop> {
    let mut wire = Vec::new();
    out.seal(inner, &mut wire).unwrap();
    let mut plain = Vec::new();
    inbound.open(&wire, None, &mut plain).map(|d| {
        assert_eq!(plain, inner);
        assert_eq!(d.range, 0..inner.len());
    })
}

#[test]
fn inner_source_must_be_in_the_scs_selectors() {
    let v6_net = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last));
    for suite in suites() {
        let (mut out, mut inbound, _) = narrowed(
            suite,
            vec![
                range(v4(192, 0, 2, 0), v4(192, 0, 2, 255)),
                range(v6_net(0), v6_net(0xffff)),
            ],
            vec![single(IpAddr::V4(OUR_V4)), single(IpAddr::V6(OUR_V6))],
        );
        let ok4 = ipv4_packet(Ipv4Addr::new(192, 0, 2, 77), OUR_V4, 17, 30);
        let spoofed4 = ipv4_packet(Ipv4Addr::new(198, 51, 100, 1), OUR_V4, 17, 30);
        let edge4 = ipv4_packet(Ipv4Addr::new(192, 0, 3, 0), OUR_V4, 17, 30);
        let wrong_dst4 = ipv4_packet(
            Ipv4Addr::new(192, 0, 2, 77),
            Ipv4Addr::new(10, 0, 0, 3),
            17,
            30,
        );
        let ok6 = ipv6_packet(
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xffff),
            OUR_V6,
            17,
            30,
        );
        let spoofed6 = ipv6_packet(
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 1, 0),
            OUR_V6,
            17,
            30,
        );
        let wrong_dst6 = ipv6_packet(THEIR_V6, Ipv6Addr::LOCALHOST, 17, 30);
        assert_eq!(deliver(&mut out, &mut inbound, &ok4), Ok(()));
        assert_eq!(
            deliver(&mut out, &mut inbound, &spoofed4),
            Err(Drop::SpoofedSource)
        );
        assert_eq!(
            deliver(&mut out, &mut inbound, &edge4),
            Err(Drop::SpoofedSource)
        );
        assert_eq!(
            deliver(&mut out, &mut inbound, &wrong_dst4),
            Err(Drop::WrongDestination)
        );
        assert_eq!(deliver(&mut out, &mut inbound, &ok6), Ok(()));
        assert_eq!(
            deliver(&mut out, &mut inbound, &spoofed6),
            Err(Drop::SpoofedSource)
        );
        assert_eq!(
            deliver(&mut out, &mut inbound, &wrong_dst6),
            Err(Drop::WrongDestination)
        );
        let c = inbound.counters();
        assert_eq!(
            (c.packets_in, c.spoofed_source, c.wrong_destination),
            (2, 3, 2)
        );
    }
}

#[test]
fn no_selector_of_the_family_means_no_traffic_of_it() {
    let (mut out, mut inbound, _) = narrowed(
        suites()[0],
        vec![AddressRange::any_v4()],
        vec![AddressRange::any_v4(), AddressRange::any_v6()],
    );
    let inner = ipv6_packet(THEIR_V6, OUR_V6, 17, 8);
    assert_eq!(
        deliver(&mut out, &mut inbound, &inner),
        Err(Drop::SpoofedSource)
    );
    // A selector with mixed families matches nothing.
    let (mut out, mut inbound, _) = narrowed(
        suites()[0],
        vec![range(
            v4(0, 0, 0, 0),
            IpAddr::V6(Ipv6Addr::from([0xff; 16])),
        )],
        vec![AddressRange::any_v4()],
    );
    let inner = ipv4_packet(THEIR_V4, OUR_V4, 17, 8);
    assert_eq!(
        deliver(&mut out, &mut inbound, &inner),
        Err(Drop::SpoofedSource)
    );
}

fn set_ports(p: &mut [u8], l4: usize, src: u16, dst: u16) {
    p[l4..l4 + 2].copy_from_slice(&src.to_be_bytes());
    p[l4 + 2..l4 + 4].copy_from_slice(&dst.to_be_bytes());
}

#[test]
fn protocol_and_port_selectors() {
    let dns_server = AddressRange {
        ip_protocol: 17,
        start_port: 53,
        end_port: 53,
        start: v4(192, 0, 2, 0),
        end: v4(192, 0, 2, 255),
    };
    let ping = AddressRange {
        ip_protocol: 1,
        start_port: 0x0000,
        end_port: 0x00ff,
        start: v4(192, 0, 2, 0),
        end: v4(192, 0, 2, 255),
    };
    let local = AddressRange {
        ip_protocol: 0,
        start_port: 1024,
        end_port: 65535,
        start: IpAddr::V4(OUR_V4),
        end: IpAddr::V4(OUR_V4),
    };
    let (mut out, mut inbound, _) = narrowed(suites()[0], vec![dns_server, ping], vec![local]);

    let mut udp = ipv4_packet(THEIR_V4, OUR_V4, 17, 40);
    set_ports(&mut udp, 20, 53, 40000);
    assert_eq!(deliver(&mut out, &mut inbound, &udp), Ok(()));
    set_ports(&mut udp, 20, 54, 40000);
    assert_eq!(
        deliver(&mut out, &mut inbound, &udp),
        Err(Drop::SpoofedSource)
    );
    set_ports(&mut udp, 20, 53, 1023);
    assert_eq!(
        deliver(&mut out, &mut inbound, &udp),
        Err(Drop::WrongDestination)
    );

    let mut tcp = ipv4_packet(THEIR_V4, OUR_V4, 6, 40);
    set_ports(&mut tcp, 20, 53, 40000);
    assert_eq!(
        deliver(&mut out, &mut inbound, &tcp),
        Err(Drop::SpoofedSource)
    );

    // A first fragment carries the ports; a later one does not (OPAQUE).
    let mut first = ipv4_packet(THEIR_V4, OUR_V4, 17, 40);
    set_ports(&mut first, 20, 53, 40000);
    first[6] = 0x20; // More Fragments, offset 0
    assert_eq!(deliver(&mut out, &mut inbound, &first), Ok(()));
    let mut later = first.clone();
    later[6] = 0x00;
    later[7] = 0x05; // offset 40
    assert_eq!(
        deliver(&mut out, &mut inbound, &later),
        Err(Drop::SpoofedSource)
    );

    // ICMP: the "port" is Type << 8 | Code; the SC may send echo replies
    // (type 0) only. Our side's port range then excludes 0..1023 as well.
    let mut reply = ipv4_packet(THEIR_V4, OUR_V4, 1, 40);
    reply[20] = 0;
    reply[21] = 0;
    assert_eq!(
        deliver(&mut out, &mut inbound, &reply),
        Err(Drop::WrongDestination)
    );
    let (mut out, mut inbound, _) =
        narrowed(suites()[0], vec![ping], vec![single(IpAddr::V4(OUR_V4))]);
    assert_eq!(deliver(&mut out, &mut inbound, &reply), Ok(()));
    let mut request = reply.clone();
    request[20] = 8;
    assert_eq!(
        deliver(&mut out, &mut inbound, &request),
        Err(Drop::SpoofedSource)
    );
}

/// An IPv6 packet whose UDP header follows `extensions` (each given as
/// its Next Header value and length in octets).
fn ipv6_with_extensions(extensions: &[(u8, usize)], src_port: u16) -> Vec<u8> {
    let ext_len: usize = extensions.iter().map(|(_, len)| len).sum();
    let mut p = ipv6_packet(THEIR_V6, OUR_V6, 17, ext_len + 16);
    let mut next_field = 6;
    let mut offset = 40;
    for (kind, len) in extensions {
        p[next_field] = *kind;
        for b in &mut p[offset..offset + len] {
            *b = 0;
        }
        match kind {
            44 => {}
            51 => p[offset + 1] = (len / 4 - 2) as u8,
            _ => p[offset + 1] = (len / 8 - 1) as u8,
        }
        next_field = offset;
        offset += len;
    }
    p[next_field] = 17;
    set_ports(&mut p, offset, src_port, 40000);
    p
}

#[test]
fn ipv6_extension_headers_are_walked_for_ports() {
    let dns_server = AddressRange {
        ip_protocol: 17,
        start_port: 53,
        end_port: 53,
        start: IpAddr::V6(THEIR_V6),
        end: IpAddr::V6(THEIR_V6),
    };
    let (mut out, mut inbound, _) = narrowed(
        suites()[2],
        vec![dns_server],
        vec![single(IpAddr::V6(OUR_V6))],
    );
    let plain = ipv6_with_extensions(&[], 53);
    assert_eq!(deliver(&mut out, &mut inbound, &plain), Ok(()));
    let chain = ipv6_with_extensions(&[(0, 8), (60, 16), (43, 24), (51, 16), (44, 8)], 53);
    assert_eq!(deliver(&mut out, &mut inbound, &chain), Ok(()));
    let wrong_port = ipv6_with_extensions(&[(0, 8), (60, 16)], 54);
    assert_eq!(
        deliver(&mut out, &mut inbound, &wrong_port),
        Err(Drop::SpoofedSource)
    );
    // A non-initial fragment has no readable ports.
    let mut later = ipv6_with_extensions(&[(44, 8)], 53);
    later[43] = 0x08; // fragment offset 1
    assert_eq!(
        deliver(&mut out, &mut inbound, &later),
        Err(Drop::SpoofedSource)
    );
    // More extension headers than the walk follows.
    let long = ipv6_with_extensions(&[(60, 8); 9], 53);
    assert_eq!(
        deliver(&mut out, &mut inbound, &long),
        Err(Drop::SpoofedSource)
    );
    // An extension header running past the packet.
    let mut truncated = ipv6_with_extensions(&[(60, 8)], 53);
    truncated[41] = 200;
    assert_eq!(
        deliver(&mut out, &mut inbound, &truncated),
        Err(Drop::SpoofedSource)
    );
}

/// Sends `plaintext` (payload and trailer) from the SC with a valid ICV.
fn open_raw(
    ours: &ChildSa,
    inbound: &mut EspInbound,
    seq: u64,
    plaintext: &[u8],
) -> Result<Vec<u8>, Drop> {
    let wire = peer_raw_packet(ours, seq, plaintext);
    let mut plain = Vec::new();
    inbound.open(&wire, None, &mut plain).map(|_| plain)
}

#[test]
fn malformed_inner_packets() {
    for suite in suites() {
        let (_, mut inbound, ours) = downlink(suite, 22);
        let mut seq = 0;
        let mut send = |payload: &[u8], next_header: u8| {
            seq += 1;
            open_raw(
                &ours,
                &mut inbound,
                seq,
                &with_trailer(&suite, payload, next_header),
            )
        };
        let good4 = ipv4_packet(THEIR_V4, OUR_V4, 17, 12);
        let good6 = ipv6_packet(THEIR_V6, OUR_V6, 17, 12);
        assert_eq!(send(&good4, 4), Ok(good4.clone()));
        assert_eq!(send(&good6, 41), Ok(good6.clone()));
        // Family and Next Header disagree.
        assert_eq!(send(&good6, 4), Err(Drop::MalformedInner));
        assert_eq!(send(&good4, 41), Err(Drop::MalformedInner));
        // Shorter than its header says, or than a header.
        let mut long_claim = good4.clone();
        long_claim[3] += 1;
        assert_eq!(send(&long_claim, 4), Err(Drop::MalformedInner));
        assert_eq!(send(&good4[..19], 4), Err(Drop::MalformedInner));
        assert_eq!(send(&good6[..39], 41), Err(Drop::MalformedInner));
        assert_eq!(send(&[], 4), Err(Drop::MalformedInner));
        let mut long6 = good6.clone();
        long6[5] += 1;
        assert_eq!(send(&long6, 41), Err(Drop::MalformedInner));
        // Header length below 20, or beyond the total length.
        let mut short_ihl = good4.clone();
        short_ihl[0] = 0x44;
        assert_eq!(send(&short_ihl, 4), Err(Drop::MalformedInner));
        let mut total_below_ihl = good4.clone();
        total_below_ihl[0] = 0x46;
        total_below_ihl[2..4].copy_from_slice(&22u16.to_be_bytes());
        assert_eq!(send(&total_below_ihl, 4), Err(Drop::MalformedInner));
        // TFC padding after the packet (RFC 4303 §2.7) is removed.
        let mut padded = good4.clone();
        padded.extend_from_slice(&[0; 37]);
        assert_eq!(send(&padded, 4), Ok(good4.clone()));
        let mut padded6 = good6.clone();
        padded6.extend_from_slice(&[0; 5]);
        assert_eq!(send(&padded6, 41), Ok(good6.clone()));
        // Transport-mode payloads are refused.
        assert_eq!(send(&good4, 17), Err(Drop::BadNextHeader));
        assert_eq!(send(&good4, 6), Err(Drop::BadNextHeader));
        // A dummy packet is discarded, but its sequence number is used.
        assert_eq!(send(&[0xaa; 30], 59), Err(Drop::Dummy));
        let dummy_seq = seq;
        assert_eq!(
            open_raw(
                &ours,
                &mut inbound,
                dummy_seq,
                &with_trailer(&suite, &good4, 4)
            ),
            Err(Drop::Replayed)
        );
        let c = *inbound.counters();
        assert_eq!(c.packets_in, 4);
        assert_eq!(c.malformed_inner, 9);
        assert_eq!((c.bad_next_header, c.dummy, c.replayed), (2, 1, 1));
    }
}

#[test]
fn bad_padding() {
    for suite in suites() {
        let (_, mut inbound, ours) = downlink(suite, 23);
        let good4 = ipv4_packet(THEIR_V4, OUR_V4, 17, 0);
        let plain = with_trailer(&suite, &good4, 4);
        let pad_len = plain[plain.len() - 2] as usize;
        assert!(pad_len >= 2);
        // Every padding octet is checked.
        for i in 0..pad_len {
            let mut bad = plain.clone();
            bad[20 + i] ^= 0x40;
            assert_eq!(
                open_raw(&ours, &mut inbound, i as u64 + 1, &bad),
                Err(Drop::BadPadding)
            );
        }
        // A Pad Length beyond the data.
        let mut bad = plain.clone();
        let at = bad.len() - 2;
        bad[at] = (bad.len() - 1) as u8;
        assert_eq!(
            open_raw(&ours, &mut inbound, 100, &bad),
            Err(Drop::BadPadding)
        );
        assert_eq!(
            open_raw(&ours, &mut inbound, 101, &plain),
            Ok(good4.clone())
        );
        // Long padding is fine (250 octets keep AES-CBC's blocks whole).
        let mut long = good4.clone();
        long.extend(1..=250u8);
        long.extend_from_slice(&[250, 4]);
        assert_eq!(long.len() % 16, 0);
        assert_eq!(open_raw(&ours, &mut inbound, 102, &long), Ok(good4.clone()));
    }
}

#[test]
fn cbc_ciphertext_must_be_whole_blocks() {
    for suite in suites().into_iter().filter(|s| !s.encryption.is_aead()) {
        let (_, mut inbound, ours) = downlink(suite, 24);
        let integrity = suite.integrity.unwrap();
        let algorithm = match integrity.key_len() {
            32 => hmac::HMAC_SHA256,
            48 => hmac::HMAC_SHA384,
            _ => hmac::HMAC_SHA512,
        };
        let mut wire = Vec::new();
        wire.extend_from_slice(&ours.spi_in.to_be_bytes());
        wire.extend_from_slice(&1u32.to_be_bytes());
        wire.extend_from_slice(&[7; 16]);
        wire.extend_from_slice(&[9; 33]);
        let key = hmac::Key::new(algorithm, ours.keys.integ_r.as_bytes());
        let mut context = hmac::Context::with_key(&key);
        context.update(&wire);
        if suite.esn {
            context.update(&[0; 4]);
        }
        let tag = context.sign();
        wire.extend_from_slice(&tag.as_ref()[..integrity.icv_len()]);
        let mut plain = Vec::new();
        assert_eq!(inbound.open(&wire, None, &mut plain), Err(Drop::BadLength));
        assert_eq!(inbound.counters().bad_length, 1);
    }
}

/// RFC 6040 §4.2, Figure 4: rows are the arriving inner header, columns
/// the arriving outer header (Not-ECT, ECT(0), ECT(1), CE).
#[test]
fn ecn_decapsulation_table() {
    use Ecn::*;
    let outer = [NotEct, Ect0, Ect1, Ce];
    let table = [
        (NotEct, [Some(NotEct), Some(NotEct), Some(NotEct), None]),
        (Ect0, [Some(Ect0), Some(Ect0), Some(Ect1), Some(Ce)]),
        (Ect1, [Some(Ect1), Some(Ect1), Some(Ect1), Some(Ce)]),
        (Ce, [Some(Ce), Some(Ce), Some(Ce), Some(Ce)]),
    ];
    for (inner, row) in table {
        for (outer, expected) in outer.iter().zip(row) {
            assert_eq!(
                ecn_decapsulate(inner, *outer),
                expected,
                "{inner:?} {outer:?}"
            );
        }
    }
    for bits in 0..=255u8 {
        assert_eq!(Ecn::from_bits(bits).bits(), bits & 3);
    }
}

#[test]
fn ecn_is_combined_into_the_inner_header() {
    use Ecn::*;
    let all = [NotEct, Ect1, Ect0, Ce];
    for suite in [suites()[0], suites()[3]] {
        for family in [IpFamily::V4, IpFamily::V6] {
            let (mut out, mut inbound, _) = downlink(suite, 25);
            for inner_ecn_value in all {
                for outer in all {
                    let mut inner = match family {
                        IpFamily::V4 => {
                            let mut p = ipv4_packet(THEIR_V4, OUR_V4, 17, 20);
                            p[1] = 0xb8 | inner_ecn_value.bits(); // DSCP EF
                            let checksum = ipv4_header_checksum(&p[..20]);
                            p[10..12].copy_from_slice(&checksum.to_be_bytes());
                            p
                        }
                        IpFamily::V6 => {
                            let mut p = ipv6_packet(THEIR_V6, OUR_V6, 17, 20);
                            // Traffic class 0xb8 | ECN, flow label 0x12345.
                            let tc = 0xb8 | inner_ecn_value.bits();
                            p[0] = 0x60 | (tc >> 4);
                            p[1] = ((tc & 0x0f) << 4) | 0x1;
                            p[2] = 0x23;
                            p[3] = 0x45;
                            p
                        }
                    };
                    assert_eq!(inner_ecn(&inner), Some(inner_ecn_value));
                    let mut wire = Vec::new();
                    out.seal(&inner, &mut wire).unwrap();
                    let mut plain = Vec::new();
                    // Outer DSCP bits are ignored.
                    let result = inbound.open(&wire, Some(0xfc | outer.bits()), &mut plain);
                    match ecn_decapsulate(inner_ecn_value, outer) {
                        None => assert_eq!(result, Err(Drop::EcnDrop)),
                        Some(forwarded) => {
                            result.unwrap();
                            assert_eq!(inner_ecn(&plain), Some(forwarded));
                            // Only the ECN bits changed, and the IPv4
                            // checksum still holds.
                            match family {
                                IpFamily::V4 => {
                                    inner[1] = 0xb8 | forwarded.bits();
                                    let checksum = ipv4_header_checksum(&inner[..20]);
                                    inner[10..12].copy_from_slice(&checksum.to_be_bytes());
                                    assert_eq!(ipv4_header_checksum(&plain[..20]), checksum);
                                }
                                IpFamily::V6 => {
                                    inner[1] = (inner[1] & 0xcf) | (forwarded.bits() << 4);
                                }
                            }
                            assert_eq!(plain, inner);
                        }
                    }
                    // Without the outer ECN the inner header is untouched.
                    let mut wire = Vec::new();
                    let original = match family {
                        IpFamily::V4 => ipv4_packet(THEIR_V4, OUR_V4, 17, 3),
                        IpFamily::V6 => ipv6_packet(THEIR_V6, OUR_V6, 17, 3),
                    };
                    out.seal(&original, &mut wire).unwrap();
                    inbound.open(&wire, None, &mut plain).unwrap();
                    assert_eq!(plain, original);
                }
            }
            assert_eq!(inbound.counters().ecn_drop, 1);
        }
    }
}
