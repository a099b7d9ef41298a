//! Lab tool: Softwire's ESP data path against itself, with fixed TEST keys
//! and no IKE, between two network namespaces: for the data-path benchmark
//! and for tamper tests that need to forge validly encrypted packets.
//! Creates a TUN device with `--inner`/32, routes `--peer-inner`/32 into it,
//! and carries ESP over UDP to `--peer`. On SIGINT/SIGTERM prints
//! `counters={json}` and undoes everything.
//!
//! Usage: lab-esp-pair --role a|b --bind IP:PORT --peer IP:PORT
//!        --inner IP --peer-inner IP --state FILE [--suite gcm128|gcm256|chacha|cbc]
//!        [--no-offload]
//!
//! `--no-offload` keeps the TUN device to one packet per read and write
//! (no TSO super-packets, no merging), to compare.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use softwire_core::esp::{EspInbound, EspOutbound};
use softwire_lab::pair::{child, suite};
use softwire_platform::{
    ConfiguratorOptions, IpPrefix, NetworkConfig, RouteMode, TunnelConfigurator,
};
use softwire_session::{run_static, size_buffers, Counters, TunReader, TunWriter};

fn main() -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(run()))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lab-esp-pair: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or(format!("missing {name}"))
    };
    let role_a = get("--role")? == "a";
    let bind: SocketAddr = get("--bind")?.parse().map_err(|e| format!("--bind: {e}"))?;
    let peer: SocketAddr = get("--peer")?.parse().map_err(|e| format!("--peer: {e}"))?;
    let inner: IpAddr = get("--inner")?
        .parse()
        .map_err(|e| format!("--inner: {e}"))?;
    let peer_inner: IpAddr = get("--peer-inner")?
        .parse()
        .map_err(|e| format!("--peer-inner: {e}"))?;
    let state = get("--state")?;
    let suite = suite(&get("--suite").unwrap_or_else(|_| "gcm128".to_owned()))?;
    let sa = child(role_a, suite, inner, peer_inner);
    let outbound = EspOutbound::from_child(&sa).map_err(|e| e.to_string())?;
    let inbound = EspInbound::from_child(&sa).map_err(|e| e.to_string())?;

    let mut config = NetworkConfig::full_tunnel(1400);
    match inner {
        IpAddr::V4(_) => config.ipv4 = Some(IpPrefix::host(inner)),
        IpAddr::V6(_) => config.ipv6 = Some(IpPrefix::host(inner)),
    }
    config.routes = RouteMode::Split(vec![IpPrefix::host(peer_inner)]);
    let mut options = ConfiguratorOptions::new(state);
    options.offload = !args.iter().any(|a| a == "--no-offload");
    let (mut configurator, device) = TunnelConfigurator::apply(&config, &options)
        .await
        .map_err(|e| e.to_string())?;
    let offload = device.offload();
    let (reader, writer) = device.split().map_err(|e| e.to_string())?;
    let socket = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| e.to_string())?;
    size_buffers(&socket);
    let socket = Arc::new(socket);
    let counters = Arc::new(Counters::default());
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        let _ = stop.send(true);
    });
    println!(
        "ready device={} offload={}",
        configurator.interface(),
        offload
    );
    let result = run_static(
        socket,
        peer,
        TunReader::from(reader),
        TunWriter::from(writer),
        outbound,
        inbound,
        counters.clone(),
        &mut stopped,
    )
    .await;
    let all = counters.snapshot();
    let json: Vec<String> = all
        .entries()
        .chain(counters.calls.entries())
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    println!("counters={{{}}}", json.join(","));
    configurator.undo().await.map_err(|e| e.to_string())?;
    result.map_err(|e| e.to_string())
}
