#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

const XID: [u8; 3] = [0xab, 0xcd, 0xef];

fn option(code: u16, data: &[u8]) -> Vec<u8> {
    let mut o = code.to_be_bytes().to_vec();
    o.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
    o.extend_from_slice(data);
    o
}

fn reply(options: &[Vec<u8>]) -> Vec<u8> {
    let mut m = vec![REPLY];
    m.extend_from_slice(&XID);
    for o in options {
        m.extend_from_slice(o);
    }
    m
}

fn dnsmasq_reply() -> Vec<u8> {
    let server: Ipv6Addr = "2001:db8:1::1".parse().unwrap();
    reply(&[
        option(2, &[0, 1, 0, 1, 1, 2, 3, 4]),
        option(OPT_AFTR_NAME, &names::encode("sc.example.net")),
        option(OPT_DOMAIN_LIST, &names::encode("hotspot.example.net")),
        option(OPT_DNS_SERVERS, &server.octets()),
    ])
}

#[test]
fn an_information_request_asks_for_aftr_name_without_an_identifier() {
    let m = information_request(XID, &[64, 24, 23]);
    assert_eq!(
        m,
        [11, 0xab, 0xcd, 0xef, 0, 8, 0, 2, 0, 0, 0, 6, 0, 6, 0, 64, 0, 24, 0, 23]
    );
}

#[test]
fn a_dnsmasq_reply_names_the_aftr() {
    let r = parse_reply(&dnsmasq_reply(), XID).unwrap();
    assert_eq!(r.aftr_name.as_deref(), Some("sc.example.net"));
    assert_eq!(r.search_domains, ["hotspot.example.net"]);
    assert_eq!(
        r.name_servers,
        ["2001:db8:1::1".parse::<Ipv6Addr>().unwrap()]
    );
    assert!(r.problems.is_empty());
    // Only the first AFTR-Name counts.
    let two = reply(&[
        option(OPT_AFTR_NAME, &names::encode("sc.example.net")),
        option(OPT_AFTR_NAME, &names::encode("other.example.net")),
    ]);
    assert_eq!(
        parse_reply(&two, XID).unwrap().aftr_name.as_deref(),
        Some("sc.example.net")
    );
}

#[test]
fn each_fault_has_its_own_error() {
    let good = dnsmasq_reply();
    assert_eq!(parse_reply(&[], XID), Err(Dhcp6Error::Truncated(0)));
    assert_eq!(parse_reply(&good[..3], XID), Err(Dhcp6Error::Truncated(3)));
    let mut advertise = good.clone();
    advertise[0] = 2;
    assert_eq!(parse_reply(&advertise, XID), Err(Dhcp6Error::NotReply(2)));
    assert_eq!(parse_reply(&good, [0, 0, 1]), Err(Dhcp6Error::WrongXid));
    let mut overrun = reply(&[option(OPT_AFTR_NAME, b"\x02sc\x00")]);
    overrun[7] = 40;
    assert_eq!(
        parse_reply(&overrun, XID),
        Err(Dhcp6Error::OptionOverrun(64))
    );
    let aftr = |data: &[u8]| parse_reply(&reply(&[option(OPT_AFTR_NAME, data)]), XID);
    let bad = |error| Err(Dhcp6Error::BadName { code: 64, error });
    assert_eq!(aftr(b"\x02sc\xc0\x00"), bad(NameError::Pointer));
    assert_eq!(aftr(b"\x02sc\x07example\x03net"), bad(NameError::NoRoot));
    assert_eq!(aftr(b"\x02sc\x00junk"), bad(NameError::Trailing(4)));
    assert_eq!(aftr(b"\x00"), bad(NameError::Empty));
    assert_eq!(aftr(b"\x03s.c\x00"), bad(NameError::BadCharacter));
    let mut long = vec![64];
    long.extend_from_slice(&[b'a'; 64]);
    long.push(0);
    assert_eq!(aftr(&long), bad(NameError::LongLabel(64)));
    let status = reply(&[option(13, b"\x00\x02NoAddrsAvail\x07")]);
    let e = parse_reply(&status, XID).unwrap_err();
    assert_eq!(e.to_string(), "the server answered status 2: NoAddrsAvail");
}

#[test]
fn broken_dns_options_do_not_hide_the_aftr_name() {
    let r = parse_reply(
        &reply(&[
            option(OPT_DNS_SERVERS, &[0x20, 0x01, 0x0d]),
            option(OPT_DOMAIN_LIST, b"\x07example\xc0\x00"),
            option(OPT_AFTR_NAME, &names::encode("sc.example.net")),
        ]),
        XID,
    )
    .unwrap();
    assert_eq!(r.aftr_name.as_deref(), Some("sc.example.net"));
    assert_eq!(
        r.problems,
        [
            Dhcp6Error::BadServerList(3),
            Dhcp6Error::BadName {
                code: 24,
                error: NameError::Pointer
            }
        ]
    );
}

#[test]
fn mangled_replies_never_panic() {
    crate::discovery::for_each_mangling(&dnsmasq_reply(), 0, 64, |m| {
        let _ = parse_reply(m, XID);
    });
}
