//! `softwire`, the command-line client.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use softwire_api::ImportFormat;
use softwire_cli::failure::Failure;
use softwire_cli::{probe, secret, service};
use softwire_core::crypto::DhGroup;
use softwire_core::ike::proposals::suite_name;

#[derive(Parser, Debug)]
#[command(name = "softwire", version, about = "Softwire IKEv2/IPsec client")]
struct Cli {
    /// The service's socket.
    #[arg(long, global = true, env = "SOFTWIRE_SOCKET", default_value = softwire_api::DEFAULT_SOCKET)]
    socket: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Connect with a saved profile (the service keeps the tunnel up).
    /// The password comes from your keychain (`softwire password set`).
    Connect {
        /// The profile's name.
        profile: String,
        /// Read the password or pre-shared key from this file ("-":
        /// standard input) instead of the keychain.
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
    /// End the connection.
    Disconnect,
    /// Show the connection: state, addresses, counters.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Read the status of a foreground `softwire run` from its state
        /// directory instead of asking the service.
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// List, show, add, import or remove saved profiles.
    Profiles {
        #[command(subcommand)]
        command: Option<ProfilesCommand>,
    },
    /// Show the service's log.
    Logs {
        /// How many of the last lines.
        #[arg(short = 'n', long, default_value_t = 100)]
        lines: usize,
        /// Keep printing new lines.
        #[arg(short, long)]
        follow: bool,
    },
    /// Store or remove a profile's password or pre-shared key in your
    /// keychain.
    Password {
        #[command(subcommand)]
        command: PasswordCommand,
    },
    /// Connect with a profile file without the service, in the
    /// foreground, as root; Ctrl-C disconnects.
    Run {
        /// The profile file (TOML).
        profile: PathBuf,
        /// Read the password or pre-shared key from this file instead of
        /// asking on the terminal.
        #[arg(long)]
        secret_file: Option<PathBuf>,
        /// Where the status file and the crash-recovery record live.
        #[arg(long, default_value = "/run/softwire/foreground")]
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

#[derive(Subcommand, Debug)]
enum ProfilesCommand {
    /// The saved profiles.
    List,
    /// One profile as TOML.
    Show {
        /// Its name.
        name: String,
    },
    /// Add a profile from a TOML file.
    Add {
        /// The file.
        file: PathBuf,
        /// Replace a profile of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Import a strongSwan .sswan file or an Apple .mobileconfig.
    Import {
        /// The file.
        file: PathBuf,
        /// The format, when the file name does not tell.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Save under this name.
        #[arg(long)]
        name: Option<String>,
        /// Replace a profile of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Remove a profile (and its password from your keychain).
    Remove {
        /// Its name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum PasswordCommand {
    /// Store it (asked twice on the terminal, or read from a file).
    Set {
        /// The profile's name.
        profile: String,
        /// Read it from this file ("-": standard input).
        #[arg(long)]
        from_file: Option<PathBuf>,
    },
    /// Remove it.
    Clear {
        /// The profile's name.
        profile: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Sswan,
    Mobileconfig,
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
    let socket = cli.socket;
    match cli.command {
        Command::Run {
            profile,
            secret_file,
            state_dir,
        } => run_foreground(softwire_cli::foreground::ConnectArgs {
            profile,
            secret_file,
            state_dir,
        }),
        Command::Probe {
            address,
            port,
            group,
        } => run_probe(SocketAddr::new(address, port), group.into()),
        Command::Password { command } => finish(match command {
            PasswordCommand::Set { profile, from_file } => {
                secret::set(&profile, from_file.as_deref())
            }
            PasswordCommand::Clear { profile } => secret::clear(&profile),
        }),
        Command::Status {
            json,
            state_dir: Some(dir),
        } => finish(
            softwire_cli::status::from_file(&dir)
                .map_err(Failure::new)
                .and_then(|s| service::show_status(&s, json)),
        ),
        command => finish(block_on(async move {
            match command {
                Command::Connect {
                    profile,
                    secret_file,
                } => service::connect(&socket, &profile, secret_file.as_deref()).await,
                Command::Disconnect => service::disconnect(&socket).await,
                Command::Status { json, .. } => service::status(&socket, json).await,
                Command::Logs { lines, follow } => service::logs(&socket, lines, follow).await,
                Command::Profiles { command } => match command.unwrap_or(ProfilesCommand::List) {
                    ProfilesCommand::List => service::list(&socket).await,
                    ProfilesCommand::Show { name } => service::show(&socket, &name).await,
                    ProfilesCommand::Add { file, replace } => {
                        service::add(&socket, &file, replace).await
                    }
                    ProfilesCommand::Import {
                        file,
                        format,
                        name,
                        replace,
                    } => {
                        let format = format.map(|f| match f {
                            Format::Sswan => ImportFormat::Sswan,
                            Format::Mobileconfig => ImportFormat::Mobileconfig,
                        });
                        service::import(&socket, &file, format, name, replace).await
                    }
                    ProfilesCommand::Remove { name } => service::remove(&socket, &name).await,
                },
                Command::Run { .. } | Command::Probe { .. } | Command::Password { .. } => Ok(()),
            }
        })),
    }
}

fn block_on<F: std::future::Future<Output = Result<(), Failure>>>(f: F) -> Result<(), Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start: {e}")))?
        .block_on(f)
}

fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.print();
            ExitCode::FAILURE
        }
    }
}

fn run_foreground(args: softwire_cli::foreground::ConnectArgs) -> ExitCode {
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
    match runtime.block_on(softwire_cli::foreground::run(args)) {
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
