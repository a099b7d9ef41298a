#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

const XID: u32 = 0x1234_5678;
const MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x64];

/// A DHCPACK laid out as dnsmasq sends one to a DHCPINFORM, with
/// `options` (without End) after the cookie.
fn ack_with(options: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; HEADER];
    m[0] = BOOTREPLY;
    m[1] = 1;
    m[2] = 6;
    m[4..8].copy_from_slice(&XID.to_be_bytes());
    m[12..16].copy_from_slice(&[192, 0, 2, 100]);
    m[28..34].copy_from_slice(&MAC);
    m.extend_from_slice(&MAGIC);
    m.extend_from_slice(options);
    m
}

fn dnsmasq_ack() -> Vec<u8> {
    let mut o = vec![
        53, 1, 5, 54, 4, 192, 0, 2, 1, 1, 4, 255, 255, 255, 0, 3, 4, 192, 0, 2, 1,
    ];
    o.extend_from_slice(&[6, 4, 192, 0, 2, 1]);
    o.push(15);
    o.push(19);
    o.extend_from_slice(b"hotspot.example.net");
    // 119: hotspot.example.net, then corp + a pointer to "example.net"
    // (offset 8 in the option's data).
    let mut search = names::encode("hotspot.example.net");
    search.extend_from_slice(&[4, b'c', b'o', b'r', b'p', 0xc0, 8]);
    o.push(119);
    o.push(u8::try_from(search.len()).unwrap());
    o.extend_from_slice(&search);
    o.extend_from_slice(&[224, 4, 198, 51, 100, 1, 255]);
    ack_with(&o)
}

#[test]
fn an_inform_carries_our_address_mac_and_wishes() {
    let m = inform(
        XID,
        Ipv4Addr::new(192, 0, 2, 100),
        Some(MAC),
        &[224, 119, 15, 6],
    );
    assert_eq!(m.len(), 300);
    assert_eq!(&m[..4], &[1, 1, 6, 0]);
    assert_eq!(&m[4..8], &XID.to_be_bytes());
    assert_eq!(&m[8..12], &[0, 0, 0, 0], "secs 0, no broadcast flag");
    assert_eq!(&m[12..16], &[192, 0, 2, 100]);
    assert_eq!(&m[28..34], &MAC);
    assert_eq!(&m[236..240], &MAGIC);
    assert_eq!(
        &m[240..256],
        &[53, 1, 8, 55, 4, 224, 119, 15, 6, 57, 2, 5, 220, 255, 0, 0]
    );
    // No client identifier or host name anywhere.
    let opts = options(&m[240..]).unwrap();
    assert!(opts.iter().all(|(c, _)| ![61, 12].contains(c)));
}

#[test]
fn a_dnsmasq_ack_gives_the_sc_the_domains_and_the_server() {
    let ack = parse_ack(&dnsmasq_ack(), XID, Some(MAC), 224).unwrap();
    assert_eq!(ack.sc_addresses, [Ipv4Addr::new(198, 51, 100, 1)]);
    assert_eq!(
        ack.search_domains,
        ["hotspot.example.net", "corp.example.net"]
    );
    assert_eq!(ack.name_servers, [Ipv4Addr::new(192, 0, 2, 1)]);
    assert_eq!(ack.server_id, Some(Ipv4Addr::new(192, 0, 2, 1)));
    assert!(ack.problems.is_empty());
    // Without 119, option 15 gives the domain.
    let plain = ack_with(&[
        53, 1, 5, 15, 20, b'H', b'o', b't', b's', b'p', b'o', b't', b'.', b'e', b'x', b'a', b'm',
        b'p', b'l', b'e', b'.', b'n', b'e', b't', b'.', 255,
    ]);
    let ack = parse_ack(&plain, XID, Some(MAC), 224).unwrap();
    assert_eq!(ack.search_domains, ["hotspot.example.net"]);
    assert!(ack.sc_addresses.is_empty());
}

#[test]
fn split_options_are_joined_rfc_3396() {
    let two = ack_with(&[
        53, 1, 5, 224, 4, 198, 51, 100, 1, 224, 4, 198, 51, 100, 2, 255,
    ]);
    let ack = parse_ack(&two, XID, Some(MAC), 224).unwrap();
    assert_eq!(ack.sc_addresses.len(), 2);
    let halves = ack_with(&[53, 1, 5, 224, 2, 198, 51, 224, 2, 100, 7, 255]);
    let ack = parse_ack(&halves, XID, Some(MAC), 224).unwrap();
    assert_eq!(ack.sc_addresses, [Ipv4Addr::new(198, 51, 100, 7)]);
}

#[test]
fn each_fault_has_its_own_error() {
    let good = dnsmasq_ack();
    let err = |bytes: &[u8]| parse_ack(bytes, XID, Some(MAC), 224).unwrap_err();
    assert_eq!(err(&good[..100]), Dhcp4Error::Truncated(100));
    let mut request = good.clone();
    request[0] = 1;
    assert_eq!(err(&request), Dhcp4Error::NotReply(1));
    assert_eq!(
        parse_ack(&good, XID + 1, Some(MAC), 224).unwrap_err(),
        Dhcp4Error::WrongXid
    );
    assert_eq!(
        parse_ack(&good, XID, Some([2, 0, 0, 0, 0, 1]), 224).unwrap_err(),
        Dhcp4Error::WrongClient
    );
    let mut magic = good.clone();
    magic[236] = 0;
    assert_eq!(err(&magic), Dhcp4Error::BadMagic);
    assert_eq!(err(&ack_with(&[53, 1, 6, 255])), Dhcp4Error::Nak);
    assert_eq!(err(&ack_with(&[53, 1, 2, 255])), Dhcp4Error::NotAck(2));
    assert_eq!(
        err(&ack_with(&[224, 4, 198, 51, 100, 1, 255])),
        Dhcp4Error::NoMessageType
    );
    assert_eq!(
        err(&ack_with(&[53, 1, 5, 224, 40, 1, 2])),
        Dhcp4Error::OptionOverrun(224)
    );
    assert_eq!(
        err(&ack_with(&[53, 1, 5, 224, 4, 198, 51, 100, 1])),
        Dhcp4Error::NoEnd
    );
    let three = err(&ack_with(&[53, 1, 5, 224, 3, 198, 51, 100, 255]));
    assert_eq!(three, Dhcp4Error::BadAddressList { code: 224, len: 3 });
    assert_eq!(
        three.to_string(),
        "option 224 is 3 octets, not a multiple of 4"
    );
    assert_eq!(
        err(&ack_with(&[53, 1, 5, 224, 0, 255])),
        Dhcp4Error::BadAddressList { code: 224, len: 0 }
    );
    assert_eq!(
        err(&ack_with(&[
            53, 1, 5, 224, 8, 0, 0, 0, 0, 255, 255, 255, 255, 255
        ])),
        Dhcp4Error::NoUsableAddress(224)
    );
}

#[test]
fn a_broken_search_list_does_not_hide_the_sc() {
    let cases: [(&[u8], NameError); 4] = [
        // A pointer forward, one to itself, one past the end.
        (
            &[4, b'c', b'o', b'r', b'p', 0xc0, 9, 0, 0, 0],
            NameError::BadPointer,
        ),
        (&[0xc0, 0], NameError::BadPointer),
        (&[3, b'n', b'e'], NameError::Truncated),
        (&[64; 66], NameError::LongLabel(64)),
    ];
    for (search, problem) in cases {
        let mut o = vec![53, 1, 5, 119, u8::try_from(search.len()).unwrap()];
        o.extend_from_slice(search);
        o.extend_from_slice(&[224, 4, 198, 51, 100, 1, 255]);
        let ack = parse_ack(&ack_with(&o), XID, Some(MAC), 224).unwrap();
        assert_eq!(ack.sc_addresses, [Ipv4Addr::new(198, 51, 100, 1)]);
        assert!(ack.search_domains.is_empty());
        assert_eq!(
            ack.problems,
            [Dhcp4Error::BadName {
                code: 119,
                error: problem
            }]
        );
    }
}

#[test]
fn a_name_longer_than_255_octets_is_refused() {
    // 5 labels of 60 octets: 305 on the wire.
    let mut long = Vec::new();
    for _ in 0..5 {
        long.push(60);
        long.extend_from_slice(&[b'a'; 60]);
    }
    long.push(0);
    assert_eq!(names::list(&long, true), Err(NameError::LongName));
}

/// Every truncation and a few thousand mutations of a good answer: an
/// answer or an error, never a panic.
#[test]
fn mangled_answers_never_panic() {
    crate::discovery::for_each_mangling(&dnsmasq_ack(), HEADER, 100, |m| {
        let _ = parse_ack(m, XID, Some(MAC), 224);
    });
}
