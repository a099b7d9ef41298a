//! `softwired`, the Softwire service: owns the tunnel (one connection at a
//! time), keeps the profiles, and serves the local API on a Unix socket to
//! root and the members of the `softwire` group.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use softwire_service::{serve, Access, Log, Manager, ProfileStore, Shared, MAX_CLIENTS};
use tokio::net::UnixListener;

#[derive(Parser, Debug)]
#[command(
    name = "softwired",
    version,
    about = "The Softwire service (runs as root)"
)]
struct Args {
    /// The socket clients connect to.
    #[arg(long, default_value = softwire_api::DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Profiles live in <DIR>/profiles, CA files from imports in <DIR>/ca.
    #[arg(long, default_value = "/etc/softwire")]
    config_dir: PathBuf,
    /// The crash-recovery record and status of the connection.
    #[arg(long, default_value = "/run/softwire")]
    state_dir: PathBuf,
    /// Members of this group (a name or a numeric id) may use the service.
    #[arg(long, default_value = softwire_api::DEFAULT_GROUP)]
    group: String,
    /// Clients served at once; more are told the service is busy.
    #[arg(long, default_value_t = MAX_CLIENTS)]
    max_clients: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let log = Arc::new(Log::new());
    // A crash must not write the secrets in memory to a core file.
    if let Err(e) = softwire_platform::hardening::no_core_dumps() {
        log.warn(format!("could not turn core dumps off: {e}"));
    }
    if let Err(e) = std::fs::create_dir_all(&args.state_dir) {
        return fail(&format!("{}: {e}", args.state_dir.display()));
    }
    let store = match ProfileStore::open(&args.config_dir) {
        Ok(s) => s,
        Err(e) => return fail(&format!("{}: {e}", args.config_dir.display())),
    };
    // A service that was killed left its routes, DNS and device: undo them
    // before anything else.
    match softwire_session::recover_leftovers(&args.state_dir).await {
        Ok(undone) if undone.is_empty() => {}
        Ok(undone) => {
            log.warn(format!(
                "the last run did not stop cleanly; undid: {}",
                undone.join("; ")
            ));
        }
        Err(e) => log.error(format!("could not undo what the last run left: {e}")),
    }
    let (access, warning) = Access::new(&args.group);
    if let Some(w) = warning {
        log.warn(w);
    }
    let listener = match bind(&args.socket) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let manager = Manager::new(args.state_dir.clone(), Arc::clone(&log));
    let shared = Arc::new(Shared {
        manager: Arc::clone(&manager),
        store,
        log: Arc::clone(&log),
        access,
        busy_refusals: Default::default(),
    });
    log.info(format!(
        "softwired {} listening on {} (root and group \"{}\")",
        env!("CARGO_PKG_VERSION"),
        args.socket.display(),
        args.group
    ));
    tokio::select! {
        () = serve(listener, shared, args.max_clients.max(1)) => {}
        () = softwire_platform::signals::stop_requested() => {}
    }
    log.info("stopping");
    manager.disconnect().await;
    let _ = std::fs::remove_file(&args.socket);
    log.info("stopped");
    ExitCode::SUCCESS
}

/// Binds the socket: a stale file from a killed run is replaced; a live
/// service on it is an error. Everyone may connect: the service itself
/// tells those outside the group why it will not serve them.
fn bind(path: &Path) -> Result<UnixListener, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(format!(
                "another softwired is serving {}: stop it first",
                path.display()
            ));
        }
        std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let listener = UnixListener::bind(path).map_err(|e| format!("{}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(listener)
}

#[allow(clippy::print_stderr)]
fn fail(message: &str) -> ExitCode {
    eprintln!("softwired: {message}");
    ExitCode::FAILURE
}
