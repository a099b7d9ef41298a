//! Lab tool: connects to the SC with the sans-IO initiator and prints
//! `key=value` lines (phases with times, suite, NAT, inner addresses, DNS,
//! CHILD_SA), then disconnects unless asked to hold the SA.
//!
//! Usage: lab-connect SC_IP METHOD IDI IDR SECRET_FILE [options]
//! METHOD: psk (SECRET_FILE: the PSK), eap (the EAP-MSCHAPv2 password;
//!         needs --ca), cert (our PKCS#8 private key, DER; needs --cert, --ca)
//! Options: --ca DER (the SC's CA) or --system-ca (the OS trust store),
//!          --cert DER (our certificate),
//!          --group G (first KE group), --hold SECS (stay up before deleting),
//!          --tries N and --initial-ms MS (retransmission),
//!          --only-group G and --encryption aes-gcm|aes-cbc (narrow the IKE
//!          and ESP proposals to them)
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use softwire_cli::drive::{bind_towards, close, drive, Outcome};
use softwire_core::crypto::{DhGroup, SecretBytes};
use softwire_core::ike::initiator::{ClientAuth, Initiator, InitiatorConfig, ScAuth};
use softwire_core::ike::payload::Identification;
use softwire_core::ike::proposals::suite_name;
use softwire_core::pki::{LocalSigner, TrustAnchors, UnixTime};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            println!("error={e}");
            ExitCode::from(2)
        }
    }
}

fn identity(text: &str) -> Identification {
    if let Ok(ip) = text.parse::<IpAddr>() {
        Identification::ip(ip)
    } else if text.contains('@') {
        Identification::rfc822(text)
    } else {
        Identification::fqdn(text)
    }
}

fn parse_group(name: &str) -> Result<DhGroup, String> {
    Ok(match name {
        "curve25519" => DhGroup::Curve25519,
        "ecp256" => DhGroup::Ecp256,
        "ecp384" => DhGroup::Ecp384,
        "modp2048" => DhGroup::Modp2048,
        other => return Err(format!("unknown group {other}")),
    })
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, sc, method, idi, idr, secret_file, options @ ..] = args.as_slice() else {
        return Err("usage: lab-connect SC_IP METHOD IDI IDR SECRET_FILE [options]".into());
    };
    let sc: IpAddr = sc.parse()?;
    let option = |name: &str| {
        options
            .iter()
            .position(|o| o == name)
            .and_then(|i| options.get(i + 1))
    };
    let anchors = || -> Result<TrustAnchors, Box<dyn std::error::Error>> {
        if options.iter().any(|o| o == "--system-ca") {
            let loaded = softwire_platform::trust_store::system_anchors()?;
            println!("system_anchors={}", loaded.anchors.len());
            return Ok(loaded.anchors);
        }
        let ca = option("--ca").ok_or("this method needs --ca or --system-ca")?;
        Ok(TrustAnchors::from_der(&[std::fs::read(ca)?])?)
    };
    let (client_auth, sc_auth) = match method.as_str() {
        "psk" => {
            let secret = SecretBytes::new(std::fs::read(secret_file)?.trim_ascii().to_vec());
            (ClientAuth::Psk(secret.clone()), ScAuth::SharedKey(secret))
        }
        "eap" => (
            ClientAuth::EapMsChapV2 {
                identity: idi.clone(),
                password: SecretBytes::new(std::fs::read(secret_file)?.trim_ascii().to_vec()),
            },
            ScAuth::Certificate(anchors()?),
        ),
        "cert" => {
            let cert = option("--cert").ok_or("cert needs --cert")?;
            (
                ClientAuth::Certificate {
                    signer: LocalSigner::from_pkcs8(&std::fs::read(secret_file)?)?,
                    certificate: std::fs::read(cert)?,
                    intermediates: Vec::new(),
                },
                ScAuth::Certificate(anchors()?),
            )
        }
        other => return Err(format!("unknown method {other}").into()),
    };
    let mut config = InitiatorConfig::new(identity(idi), identity(idr), client_auth, sc_auth);
    config.wall_clock = Some(UnixTime::now());
    let mut hold = Duration::ZERO;
    let mut it = options.iter().filter(|o| *o != "--system-ca");
    while let Some(option) = it.next() {
        let value = it.next().ok_or("option without value")?;
        match option.as_str() {
            "--ca" | "--cert" => {}
            "--group" => config.first_group = parse_group(value)?,
            "--only-group" => {
                let group = parse_group(value)?;
                config.first_group = group;
                for offer in &mut config.ike_offers {
                    offer.groups.retain(|g| *g == group);
                }
            }
            "--encryption" => {
                let cbc = match value.as_str() {
                    "aes-gcm" => false,
                    "aes-cbc" => true,
                    other => return Err(format!("unknown encryption {other}").into()),
                };
                config.ike_offers.retain(|o| o.integrity.is_empty() != cbc);
                config.esp_offers.retain(|o| o.integrity.is_empty() != cbc);
            }
            "--hold" => hold = Duration::from_secs_f64(value.parse()?),
            "--tries" => config.retransmit.tries = value.parse()?,
            "--initial-ms" => config.retransmit.initial = Duration::from_millis(value.parse()?),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let socket = bind_towards(sc)?;
    let local = socket.local_addr()?;
    let started = Instant::now();
    let mut initiator = Initiator::new(config, started, local, SocketAddr::new(sc, 500))?;
    let outcome = drive(&mut initiator, &socket, |phase, at| {
        println!("phase={phase} at_ms={:.1}", at.as_secs_f64() * 1000.0);
    })?;
    let stats = initiator.stats();
    let e = match outcome {
        Outcome::Established(e) => e,
        Outcome::Closed(result) => {
            println!("retransmits={}", stats.retransmits);
            match result {
                Ok(()) => println!("closed=ok"),
                Err(e) => println!("error={e}\nerror_debug={e:?}"),
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "established_ms={:.1}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    println!("suite={}", suite_name(&e.suite));
    println!("sc_identity={}", e.sc_identity);
    println!("sc_address={}", e.sc_address);
    println!("nat_local={}", e.nat.local_behind_nat);
    if let Some(v4) = e.config.ipv4 {
        println!("inner_ipv4={v4}");
    }
    if let Some((v6, prefix)) = e.config.ipv6 {
        println!("inner_ipv6={v6}/{prefix}");
    }
    for dns in &e.config.dns {
        println!("dns={dns}");
    }
    println!("child_spi_in={:08x}", e.child.spi_in);
    println!("child_spi_out={:08x}", e.child.spi_out);
    println!("child_esn={}", e.child.suite.esn);
    println!("child_encryption={:?}", e.child.suite.encryption);
    println!("retransmits={}", stats.retransmits);
    println!("cookie_restarts={}", stats.cookie_restarts);
    println!("invalid_ke_restarts={}", stats.invalid_ke_restarts);
    if !hold.is_zero() {
        std::thread::sleep(hold);
    }
    match close(&mut initiator, &socket)? {
        Ok(()) => println!("closed=ok"),
        Err(e) => println!("close_error={e}"),
    }
    Ok(ExitCode::SUCCESS)
}
