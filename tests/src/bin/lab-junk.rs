//! Lab tool: a DNS or DHCPv4 server that answers every request with
//! garbage of one kind, so that the client's discovery can be shown to
//! give up on it in bounded time and go on with the next source.
//!
//! Usage: lab-junk dns BIND_ADDR:PORT MODE | dhcp4 BIND_ADDR MODE
//!   dns modes:   random truncated wrong-id bad-rdata pointer-loop flood
//!   dhcp4 modes: random truncated wrong-id bad-option bad-magic nak flood
//! The address a wrong answer names (198.51.100.99) is not an SC: a client
//! that believed it would be caught trying it.
// A test tool: it fails loudly rather than handling errors.
#![allow(
    clippy::print_stderr,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::net::UdpSocket;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a believed wrong answer would send the client.
const DECOY: [u8; 4] = [198, 51, 100, 99];

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, max: u64) -> Vec<u8> {
        let n = self.next() % (max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A DNS answer to `query` claiming `name` has A `DECOY`.
fn dns_answer(query: &[u8], id: u16, rdata: &[u8], ancount: u16) -> Vec<u8> {
    let question = query.get(12..).unwrap_or_default();
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x81, 0x80, 0, 1]);
    m.extend_from_slice(&ancount.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(question);
    // The answer's name points at the question's (offset 12).
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60]);
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
    m
}

fn dns_junk(mode: &str, query: &[u8], random: &mut Random) -> Vec<Vec<u8>> {
    let id = u16::from_be_bytes([query[0], query[1]]);
    match mode {
        "random" => vec![random.bytes(600)],
        "truncated" => vec![dns_answer(query, id, &DECOY, 1)[..7].to_vec()],
        "wrong-id" => vec![dns_answer(query, id ^ 0xffff, &DECOY, 1)],
        "bad-rdata" => vec![dns_answer(query, id, &DECOY[..3], 50)],
        "pointer-loop" => {
            let mut m = dns_answer(query, id, &DECOY, 1);
            // The answer's name now points at itself.
            let at = 12 + query.len().saturating_sub(12);
            m[at] = 0xc0 | ((at >> 8) as u8 & 0x3f);
            m[at + 1] = at as u8;
            vec![m]
        }
        "flood" => (0..100).map(|_| random.bytes(600)).collect(),
        _ => Vec::new(),
    }
}

/// A DHCPACK-shaped reply to `request` with `options` after the cookie.
fn dhcp_reply(request: &[u8], xid_flip: u32, magic: [u8; 4], options: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 236];
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    let xid = u32::from_be_bytes([request[4], request[5], request[6], request[7]]) ^ xid_flip;
    m[4..8].copy_from_slice(&xid.to_be_bytes());
    m[12..16].copy_from_slice(&request[12..16]);
    m[28..34].copy_from_slice(&request[28..34]);
    m.extend_from_slice(&magic);
    m.extend_from_slice(options);
    m
}

fn dhcp4_junk(mode: &str, request: &[u8], random: &mut Random) -> Vec<Vec<u8>> {
    const MAGIC: [u8; 4] = [99, 130, 83, 99];
    let sc = [
        53, 1, 5, 224, 4, DECOY[0], DECOY[1], DECOY[2], DECOY[3], 255,
    ];
    if request.len() < 240 {
        return Vec::new();
    }
    match mode {
        "random" => vec![random.bytes(600)],
        "truncated" => vec![dhcp_reply(request, 0, MAGIC, &sc)[..100].to_vec()],
        "wrong-id" => vec![dhcp_reply(request, 1, MAGIC, &sc)],
        // Option 224 of 3 octets; an option whose length runs past the end.
        "bad-option" => vec![
            dhcp_reply(request, 0, MAGIC, &[53, 1, 5, 224, 3, 198, 51, 100, 255]),
            dhcp_reply(request, 0, MAGIC, &[53, 1, 5, 6, 40, 192, 0]),
        ],
        "bad-magic" => vec![dhcp_reply(request, 0, [1, 2, 3, 4], &sc)],
        "nak" => vec![dhcp_reply(request, 0, MAGIC, &[53, 1, 6, 255])],
        "flood" => (0..100).map(|_| random.bytes(600)).collect(),
        _ => Vec::new(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, bind, mode) = match &args[..] {
        [kind, addr, mode] if kind == "dns" => (kind.clone(), addr.clone(), mode.clone()),
        [kind, addr, mode] if kind == "dhcp4" => (kind.clone(), format!("{addr}:67"), mode.clone()),
        _ => {
            eprintln!("usage: lab-junk dns ADDR:PORT MODE | dhcp4 ADDR MODE");
            return ExitCode::from(2);
        }
    };
    let socket = UdpSocket::bind(&bind).expect("bind");
    socket.set_broadcast(true).expect("SO_BROADCAST");
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut random = Random(seed);
    eprintln!("lab-junk: {kind} on {bind}, mode {mode}");
    let mut buf = [0u8; 2048];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let request = &buf[..n];
        let replies = match kind.as_str() {
            "dns" if n >= 12 => dns_junk(&mode, request, &mut random),
            "dhcp4" => dhcp4_junk(&mode, request, &mut random),
            _ => Vec::new(),
        };
        eprintln!(
            "lab-junk: {n} octets from {from}: {} replies",
            replies.len()
        );
        for reply in replies {
            let _ = socket.send_to(&reply, from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use softwire_core::discovery::dhcp4::{self, Dhcp4Error};

    fn inform() -> Vec<u8> {
        dhcp4::inform(7, [192, 0, 2, 100].into(), Some([2, 0, 0, 0, 0, 1]), &[224])
    }

    #[test]
    fn each_dhcp_mode_is_refused_by_the_client_for_its_own_reason() {
        let mut random = Random(42);
        let mac = Some([2, 0, 0, 0, 0, 1]);
        let reason = |mode: &str, random: &mut Random| {
            let reply = dhcp4_junk(mode, &inform(), random).remove(0);
            dhcp4::parse_ack(&reply, 7, mac, 224).unwrap_err()
        };
        assert!(matches!(
            reason("truncated", &mut random),
            Dhcp4Error::Truncated(100)
        ));
        assert_eq!(reason("wrong-id", &mut random), Dhcp4Error::WrongXid);
        let bad: Vec<Dhcp4Error> = dhcp4_junk("bad-option", &inform(), &mut random)
            .iter()
            .map(|r| dhcp4::parse_ack(r, 7, mac, 224).unwrap_err())
            .collect();
        assert_eq!(
            bad,
            [
                Dhcp4Error::BadAddressList { code: 224, len: 3 },
                Dhcp4Error::OptionOverrun(6)
            ]
        );
        assert_eq!(reason("bad-magic", &mut random), Dhcp4Error::BadMagic);
        assert_eq!(reason("nak", &mut random), Dhcp4Error::Nak);
        assert_eq!(dhcp4_junk("flood", &inform(), &mut random).len(), 100);
    }

    #[test]
    fn dns_modes_break_what_they_say() {
        // A query for softwire.hotspot.example.net A.
        let mut query = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in ["softwire", "hotspot", "example", "net"] {
            query.push(label.len() as u8);
            query.extend_from_slice(label.as_bytes());
        }
        query.extend_from_slice(&[0, 0, 1, 0, 1]);
        let mut random = Random(7);
        let wrong = dns_junk("wrong-id", &query, &mut random).remove(0);
        assert_eq!(&wrong[..2], &[0xed, 0xcb]);
        let bad = dns_junk("bad-rdata", &query, &mut random).remove(0);
        assert_eq!(&bad[6..8], &[0, 50], "50 answers claimed");
        assert_eq!(&bad[bad.len() - 5..bad.len() - 3], &[0, 3], "rdlength 3");
        let looped = dns_junk("pointer-loop", &query, &mut random).remove(0);
        let at = query.len();
        assert_eq!(looped[at + 1] as usize, at, "the name points at itself");
        assert_eq!(dns_junk("truncated", &query, &mut random)[0].len(), 7);
    }
}
