//! Lab tool: with the pair's fixed TEST keys (side b), sends side a one
//! tampered ESP packet of each kind plus one genuine one, and prints what
//! it sent: a flipped bit (integrity), a replay, a validly encrypted packet
//! with a spoofed inner source (outside the traffic selectors), a
//! truncated packet and an unknown SPI.
//!
//! Usage: lab-esp-forge --to IP:PORT [--suite gcm128|...]
// A test tool: it fails loudly rather than handling errors.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;

use softwire_core::esp::EspOutbound;
use softwire_lab::pair::{child, suite};

/// An ICMP echo request from `src` to `dst` (IPv4 header checksum filled).
fn echo(src: Ipv4Addr, dst: Ipv4Addr, id: u16) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 1, 0, 0];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let sum = checksum(&p);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut icmp = vec![8, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&[0, 1]);
    let sum = checksum(&icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&icmp);
    p
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(Ok(to)) = get("--to").map(|t| t.parse::<SocketAddr>()) else {
        eprintln!("usage: lab-esp-forge --to IP:PORT [--suite NAME]");
        return ExitCode::FAILURE;
    };
    let suite = suite(&get("--suite").unwrap_or_else(|| "gcm128".to_owned())).expect("suite");
    let a = Ipv4Addr::new(203, 0, 113, 1);
    let b = Ipv4Addr::new(203, 0, 113, 2);
    let sa = child(false, suite, b.into(), a.into());
    let mut esp = EspOutbound::from_child(&sa).expect("SA");
    let socket = UdpSocket::bind("0.0.0.0:0").expect("socket");
    let mut out = Vec::new();
    // Jump ahead of the real side b's sequence numbers (it has sent far
    // fewer), staying inside side a's replay window.
    for _ in 0..3000 {
        esp.seal(&echo(b, a, 0), &mut out).expect("seal");
    }
    let send = |what: &str, bytes: &[u8]| {
        socket.send_to(bytes, to).expect("send");
        println!("sent={what} bytes={}", bytes.len());
    };
    // 1. A flipped bit in the ciphertext.
    esp.seal(&echo(b, a, 1), &mut out).expect("seal");
    let mut flipped = out.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x10;
    send("flipped-bit", &flipped);
    // 2. A genuine packet, then the same again.
    esp.seal(&echo(b, a, 2), &mut out).expect("seal");
    send("genuine", &out);
    send("replay", &out);
    // 3. Validly encrypted, with an inner source outside the selectors.
    esp.seal(&echo(Ipv4Addr::new(198, 51, 100, 99), a, 3), &mut out)
        .expect("seal");
    send("spoofed-source", &out);
    // 4. Truncated.
    esp.seal(&echo(b, a, 4), &mut out).expect("seal");
    send("truncated", &out[..12]);
    // 5. An SPI nobody uses.
    esp.seal(&echo(b, a, 5), &mut out).expect("seal");
    let mut unknown = out.clone();
    unknown[..4].copy_from_slice(&0xdead_beefu32.to_be_bytes());
    send("unknown-spi", &unknown);
    ExitCode::SUCCESS
}
