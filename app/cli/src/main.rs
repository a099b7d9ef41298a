//! `softwire`, the command-line client.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use softwire_cli::probe;
use softwire_core::crypto::DhGroup;
use softwire_core::ike::proposals::suite_name;

#[derive(Parser, Debug)]
#[command(name = "softwire", version, about = "Softwire IKEv2/IPsec client")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Connect with a profile, in the foreground; Ctrl-C disconnects.
    Connect {
        /// The profile file (TOML).
        profile: PathBuf,
        /// Read the password or pre-shared key from this file instead of
        /// asking on the terminal.
        #[arg(long)]
        secret_file: Option<PathBuf>,
        /// Where the status file and the crash-recovery record live.
        #[arg(long, default_value = "/run/softwire")]
        state_dir: PathBuf,
    },
    /// Show the state of the connection made by `softwire connect`.
    Status {
        /// Print the raw JSON.
        #[arg(long)]
        json: bool,
        /// Where `connect` keeps its status.
        #[arg(long, default_value = "/run/softwire")]
        state_dir: PathBuf,
    },
    /// Ask an SC for IKE_SA_INIT without authenticating: shows whether it
    /// answers, the suite it picks, and whether a NAT sits in between.
    Probe {
        /// The SC's IP address.
        address: IpAddr,
        /// The SC's IKE port.
        #[arg(long, default_value_t = 500)]
        port: u16,
        /// The key exchange group to offer first.
        #[arg(long, value_enum, default_value_t = Group::Curve25519)]
        group: Group,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Group {
    Curve25519,
    Ecp256,
    Ecp384,
    Modp2048,
}

impl From<Group> for DhGroup {
    fn from(g: Group) -> Self {
        match g {
            Group::Curve25519 => DhGroup::Curve25519,
            Group::Ecp256 => DhGroup::Ecp256,
            Group::Ecp384 => DhGroup::Ecp384,
            Group::Modp2048 => DhGroup::Modp2048,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Connect {
            profile,
            secret_file,
            state_dir,
        } => run_connect(softwire_cli::connect::ConnectArgs {
            profile,
            secret_file,
            state_dir,
        }),
        Command::Status { json, state_dir } => softwire_cli::status::run(&state_dir, json),
        Command::Probe {
            address,
            port,
            group,
        } => run_probe(SocketAddr::new(address, port), group.into()),
    }
}

fn run_connect(args: softwire_cli::connect::ConnectArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("softwire: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(softwire_cli::connect::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("softwire: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_probe(remote: SocketAddr, group: DhGroup) -> ExitCode {
    println!("Probing {remote} with IKE_SA_INIT ...");
    let result = UdpSocket::bind(match remote {
        SocketAddr::V4(_) => "0.0.0.0:0",
        SocketAddr::V6(_) => "[::]:0",
    })
    .and_then(|s| s.connect(remote).map(|()| s))
    .map_err(probe::ProbeError::from)
    .and_then(|socket| probe::sa_init(&socket, group));
    match result {
        Ok(r) => {
            let a = &r.accepted;
            println!(
                "  answered in {:.1} ms ({} request{} sent, from {})",
                r.elapsed.as_secs_f64() * 1000.0,
                r.requests_sent,
                if r.requests_sent == 1 { "" } else { "s" },
                r.local
            );
            for note in &r.notes {
                println!("  note: {note}");
            }
            println!("  suite chosen by the SC: {}", suite_name(&a.suite));
            let nat = if !a.nat.supported {
                "the SC sent no NAT detection".to_owned()
            } else if a.nat.local_behind_nat {
                "this host is behind a NAT: IKE and ESP will use UDP 4500".to_owned()
            } else if a.nat.remote_behind_nat {
                "the SC is behind a NAT: IKE and ESP will use UDP 4500".to_owned()
            } else {
                "no NAT between this host and the SC".to_owned()
            };
            println!("  NAT: {nat}");
            println!(
                "  IKE fragmentation (RFC 7383): {}",
                if a.fragmentation {
                    "supported"
                } else {
                    "not supported"
                }
            );
            let hashes: Vec<String> = a.signature_hashes.iter().map(ToString::to_string).collect();
            println!(
                "  signature hashes (RFC 7427): {}",
                if hashes.is_empty() {
                    "none announced".to_owned()
                } else {
                    hashes.join(", ")
                }
            );
            println!("  certificate requests: {}", a.cert_requests.len());
            println!("IKE_SA_INIT answered: the SC is reachable.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("softwire: probe failed: {e}");
            ExitCode::FAILURE
        }
    }
}
