//! Lab tool: IKE_SA_INIT with our codec and crypto, then the first IKE_AUTH
//! with a pre-shared key, proving SKEYSEED and the SK_* keys right by
//! decrypting and authenticating the SC's reply and verifying its AUTH.
//! Finishes by deleting the IKE SA. Prints `key=value` lines for tests.
//!
//! Usage: lab-ike-handshake SC_IP PSK_FILE IDI IDR [GROUP [ENCRYPTION [PRF [INTEGRITY]]]]
//! Each optional argument narrows the offer to that one algorithm:
//! GROUP: curve25519 | ecp256 | ecp384 | modp2048 (default: all, curve25519 first)
//! ENCRYPTION: aes-gcm-256 | aes-gcm-128 | chacha20 | aes-cbc-256 | aes-cbc-128
//! PRF: sha256 | sha384 | sha512
//! INTEGRITY (with AES-CBC): sha256 | sha384 | sha512
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use softwire_cli::probe;
use softwire_core::crypto::{derive_ike_keys, DhGroup, Encryption, Integrity, Prf, SkCipher};
use softwire_core::ike::auth::{shared_key_auth, signed_octets, verify_shared_key_auth};
use softwire_core::ike::natt::{classify_port_4500, with_non_esp_marker, Port4500};
use softwire_core::ike::payload::{
    AddressRange, Authentication, CfgAttribute, CfgValue, Configuration, Delete, Identification,
    Proposal, SecurityAssociation, TrafficSelector, TrafficSelectors, Transform,
};
use softwire_core::ike::proposals::suite_name;
use softwire_core::ike::protect::{open_message, seal_message};
use softwire_core::ike::types::*;
use softwire_core::ike::{Flags, Header, Message, Payload};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("error={e}");
            eprintln!("lab-ike-handshake: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, sc, psk_file, idi, idr, rest @ ..] = args.as_slice() else {
        return Err("usage: lab-ike-handshake SC_IP PSK_FILE IDI IDR [GROUP] [ENCRYPTION]".into());
    };
    let sc: IpAddr = sc.parse()?;
    let psk = std::fs::read(psk_file)?;
    let psk = psk.trim_ascii();
    let only_group = match rest.first().map(String::as_str) {
        None => None,
        Some("curve25519") => Some(DhGroup::Curve25519),
        Some("ecp256") => Some(DhGroup::Ecp256),
        Some("ecp384") => Some(DhGroup::Ecp384),
        Some("modp2048") => Some(DhGroup::Modp2048),
        Some(other) => return Err(format!("unknown group {other}").into()),
    };
    let group = only_group.unwrap_or(DhGroup::Curve25519);
    let only_prf = match rest.get(2).map(String::as_str) {
        None => None,
        Some("sha256") => Some(Prf::HmacSha256),
        Some("sha384") => Some(Prf::HmacSha384),
        Some("sha512") => Some(Prf::HmacSha512),
        Some(other) => return Err(format!("unknown PRF {other}").into()),
    };
    let only_integrity = match rest.get(3).map(String::as_str) {
        None => None,
        Some("sha256") => Some(Integrity::HmacSha256_128),
        Some("sha384") => Some(Integrity::HmacSha384_192),
        Some("sha512") => Some(Integrity::HmacSha512_256),
        Some(other) => return Err(format!("unknown integrity {other}").into()),
    };
    let encryption = match rest.get(1).map(String::as_str) {
        None => None,
        Some("aes-gcm-256") => Some(Encryption::AesGcm16 { key_bits: 256 }),
        Some("aes-gcm-128") => Some(Encryption::AesGcm16 { key_bits: 128 }),
        Some("chacha20") => Some(Encryption::ChaCha20Poly1305),
        Some("aes-cbc-256") => Some(Encryption::AesCbc { key_bits: 256 }),
        Some("aes-cbc-128") => Some(Encryption::AesCbc { key_bits: 128 }),
        Some(other) => return Err(format!("unknown encryption {other}").into()),
    };

    let socket = UdpSocket::bind("0.0.0.0:0")?;
    socket.connect(SocketAddr::new(sc, 500))?;
    let init = probe::sa_init_with(&socket, group, |offers| {
        offers.retain_mut(|o| {
            if let Some(e) = encryption {
                o.encryption.retain(|x| *x == e);
            }
            if let Some(g) = only_group {
                o.groups.retain(|x| *x == g);
            }
            if let Some(p) = only_prf {
                o.prf.retain(|x| *x == p);
            }
            if let (Some(i), false) = (only_integrity, o.integrity.is_empty()) {
                o.integrity.retain(|x| *x == i);
                if o.integrity.is_empty() {
                    return false;
                }
            }
            !o.encryption.is_empty()
        });
    })?;
    let a = &init.accepted;
    println!("sa_init=answered");
    println!("suite={}", suite_name(&a.suite));
    println!("nat_local={}", a.nat.local_behind_nat);
    println!("nat_remote={}", a.nat.remote_behind_nat);
    println!("fragmentation={}", a.fragmentation);
    println!("sa_init_requests={}", init.requests_sent);

    let shared = init.key_exchange.agree(&a.public_key)?;
    let keys = derive_ike_keys(
        &a.suite,
        &init.nonce,
        &a.nonce,
        shared.as_bytes(),
        init.spi_i,
        a.spi_r,
    )?;
    println!("keys=derived");

    // RFC 7296 §2.23: with a NAT in between, move to port 4500 with the
    // non-ESP marker.
    let natt = a.nat.any();
    let socket = if natt {
        let s = UdpSocket::bind("0.0.0.0:0")?;
        s.connect(SocketAddr::new(sc, 4500))?;
        s
    } else {
        socket
    };
    socket.set_read_timeout(Some(Duration::from_secs(3)))?;

    let id_i = Identification::rfc822(idi);
    let id_r = Identification::fqdn(idr);
    let prf = a.suite.prf;
    let our_octets = signed_octets(prf, &init.request, &a.nonce, keys.sk_pi.as_bytes(), &id_i);
    let auth = shared_key_auth(prf, psk, &our_octets);
    let esp_spi: [u8; 4] = [0xc1, 0x7e, 0x50, 0x01];
    let inner = vec![
        Payload::IdInitiator(id_i),
        Payload::IdResponder(id_r),
        Payload::Authentication(Authentication {
            method: AuthMethod::SharedKeyMic,
            data: auth.as_bytes().to_vec(),
        }),
        Payload::Configuration(Configuration {
            cfg_type: CfgType::Request,
            attributes: [
                CfgAttributeType::InternalIp4Address,
                CfgAttributeType::InternalIp6Address,
                CfgAttributeType::InternalIp4Dns,
                CfgAttributeType::InternalIp6Dns,
            ]
            .into_iter()
            .map(CfgAttribute::request)
            .collect(),
        }),
        Payload::SecurityAssociation(SecurityAssociation {
            proposals: vec![Proposal {
                number: 1,
                protocol: ProtocolId::Esp,
                spi: esp_spi.to_vec(),
                transforms: vec![
                    Transform::encryption(EncryptionId::AesGcm16, Some(256)),
                    Transform::encryption(EncryptionId::AesGcm16, Some(128)),
                    Transform::esn(EsnId::NoEsn),
                ],
            }],
        }),
        Payload::TsInitiator(any_ts()),
        Payload::TsResponder(any_ts()),
    ];
    let mut out_cipher = SkCipher::new(&a.suite, keys.sk_ei.as_bytes(), keys.sk_ai.as_bytes())?;
    let in_cipher = SkCipher::new(&a.suite, keys.sk_er.as_bytes(), keys.sk_ar.as_bytes())?;
    let header = Header::new(
        init.spi_i,
        a.spi_r,
        ExchangeType::IkeAuth,
        Flags::new(true, false),
        1,
    );
    let request = seal_message(header, &inner, &mut out_cipher)?;
    let reply = round_trip(&socket, &request, natt)?;
    let reply_msg = Message::decode(&reply)?;
    if reply_msg.header.message_id != 1 || !reply_msg.header.flags.response() {
        return Err("IKE_AUTH reply has the wrong message ID or flags".into());
    }
    let payloads = open_message(&reply, &reply_msg, &in_cipher)?;
    println!("ike_auth_reply=decrypted");
    let names: Vec<String> = payloads.iter().map(|p| p.kind().to_string()).collect();
    println!("ike_auth_payloads={}", names.join(","));

    for p in &payloads {
        match p {
            Payload::Notify(n) if n.kind.is_error() => println!("sc_error={}", n.kind),
            Payload::IdResponder(id) => println!("idr={}", id.to_text().unwrap_or_default()),
            Payload::Authentication(auth) => {
                let id_r = payloads.iter().find_map(|p| match p {
                    Payload::IdResponder(id) => Some(id),
                    _ => None,
                });
                let id_r = id_r.ok_or("IKE_AUTH reply has AUTH but no IDr")?;
                let sc_octets =
                    signed_octets(prf, &init.reply, &init.nonce, keys.sk_pr.as_bytes(), id_r);
                let ok = auth.method == AuthMethod::SharedKeyMic
                    && verify_shared_key_auth(prf, psk, &sc_octets, &auth.data);
                println!("sc_auth={}", if ok { "verified" } else { "INVALID" });
            }
            Payload::Configuration(cp) => {
                for attr in &cp.attributes {
                    let text = match attr.value()? {
                        CfgValue::Ip4(a) => a.to_string(),
                        CfgValue::Ip6(a) => a.to_string(),
                        CfgValue::Ip6Prefix(a, p) => format!("{a}/{p}"),
                        other => format!("{other:?}"),
                    };
                    println!("cp_{}={text}", attr.kind.to_string().to_lowercase());
                }
            }
            Payload::SecurityAssociation(sa) => {
                if let Some(p) = sa.proposals.first() {
                    println!("child_spi_r={}", hex(&p.spi));
                }
            }
            _ => {}
        }
    }

    // Tidy up: delete the IKE SA (RFC 7296 §1.4.1) and read the answer.
    let header = Header::new(
        init.spi_i,
        a.spi_r,
        ExchangeType::Informational,
        Flags::new(true, false),
        2,
    );
    let delete = seal_message(header, &[Payload::Delete(Delete::ike())], &mut out_cipher)?;
    let reply = round_trip(&socket, &delete, natt)?;
    let reply_msg = Message::decode(&reply)?;
    let _ = open_message(&reply, &reply_msg, &in_cipher)?;
    println!("delete=acknowledged");
    Ok(())
}

fn any_ts() -> TrafficSelectors {
    TrafficSelectors {
        selectors: vec![
            TrafficSelector::Range(AddressRange::any_v4()),
            TrafficSelector::Range(AddressRange::any_v6()),
        ],
    }
}

/// Sends a request (with the non-ESP marker on port 4500) and returns the
/// IKE bytes of the first IKE reply, retransmitting up to three times.
fn round_trip(socket: &UdpSocket, request: &[u8], natt: bool) -> Result<Vec<u8>> {
    let wire = if natt {
        with_non_esp_marker(request)
    } else {
        request.to_vec()
    };
    let mut buf = vec![0u8; 65_536];
    for _ in 0..3 {
        socket.send(&wire)?;
        loop {
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                Err(e) => return Err(e.into()),
            };
            let datagram = buf.get(..n).unwrap_or_default();
            let ike = if natt {
                match classify_port_4500(datagram) {
                    Port4500::Ike(ike) => ike,
                    _ => continue,
                }
            } else {
                datagram
            };
            return Ok(ike.to_vec());
        }
    }
    Err("no reply from the SC after 3 tries".into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
