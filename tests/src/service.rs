//! `softwired` in the lab: the service in the hotspot namespace with its
//! own directories, and the `softwire` CLI run as an unprivileged user
//! (no entry in /etc/passwd needed: `setpriv` sets the ids), optionally
//! inside a D-Bus session with a real Secret Service (gnome-keyring).

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::lab::Lab;
pub use crate::user::{KeychainSession, User};

/// A program next to the test executables (target/debug/NAME).
pub fn program(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    dir.join(name)
}

/// A world-traversable directory tree for one test (the lab's own
/// directory is private to root), removed on drop.
#[derive(Debug)]
pub struct TempRoot {
    /// Its path.
    pub path: PathBuf,
}

impl TempRoot {
    /// Creates /tmp/softwire-svc-ID (mode 0755).
    pub fn new(id: &str) -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("softwire-svc-{id}"));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(Self { path })
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A running `softwired` in the hotspot namespace.
#[derive(Debug)]
pub struct Service {
    child: Child,
    /// Its socket.
    pub socket: PathBuf,
    /// Its config directory (profiles).
    pub config_dir: PathBuf,
    /// Its state directory (crash-recovery record, status).
    pub state_dir: PathBuf,
    /// Where its standard error goes.
    pub log_file: PathBuf,
}

impl Service {
    /// Starts the service with its directories under `root`, serving
    /// root and the group `gid`; waits (up to 10 s) until it answers.
    pub fn start(lab: &Lab, root: &Path, gid: u32) -> Result<Self, String> {
        let socket_dir = root.join("run");
        std::fs::create_dir_all(&socket_dir).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let socket = socket_dir.join("softwired.sock");
        let config_dir = root.join("etc");
        let state_dir = root.join("state");
        let log_file = root.join("softwired.log");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_file)
            .map_err(|e| e.to_string())?;
        let binary = program("softwired");
        let child = lab
            .command(&[
                "exec",
                "hotspot",
                binary.to_str().unwrap_or("softwired"),
                "--socket",
                socket.to_str().unwrap_or_default(),
                "--config-dir",
                config_dir.to_str().unwrap_or_default(),
                "--state-dir",
                state_dir.to_str().unwrap_or_default(),
                "--group",
                &gid.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut service = Self {
            child,
            socket,
            config_dir,
            state_dir,
            log_file,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::os::unix::net::UnixStream::connect(&service.socket).is_err() {
            if let Ok(Some(status)) = service.child.try_wait() {
                return Err(format!("softwired exited ({status}): {}", service.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("softwired does not answer: {}", service.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(service)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    /// Resident memory in kB (VmRSS).
    pub fn rss_kb(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// Its environment, as the kernel keeps it.
    pub fn environment(&self) -> Vec<u8> {
        std::fs::read(format!("/proc/{}/environ", self.pid())).unwrap_or_default()
    }

    /// Runs `softwire ARGS` as root against this service.
    pub fn cli_as_root(&self, args: &[&str]) -> Output {
        let mut c = Command::new(program("softwire"));
        c.args(args)
            .env("SOFTWIRE_SOCKET", &self.socket)
            .stdin(Stdio::null());
        c.output().unwrap_or_else(|e| failed_output(&e))
    }

    /// Sends a signal and waits (up to `timeout`) for the exit.
    pub fn signal_and_wait(&mut self, name: &str, timeout: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None))
            && self
                .signal_and_wait("TERM", Duration::from_secs(15))
                .is_none()
        {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub(crate) fn failed_output(e: &std::io::Error) -> Output {
    use std::os::unix::process::ExitStatusExt;
    Output {
        status: ExitStatus::from_raw(127 << 8),
        stdout: Vec::new(),
        stderr: e.to_string().into_bytes(),
    }
}

/// The lab's EAP-MSCHAPv2 profile, named "Lab", as TOML.
pub fn eap_profile_toml(lab: &Lab) -> String {
    format!(
        "name = \"Lab\"\n[sc]\naddress = \"{}\"\nidentity = \"{}\"\nca = \"{}\"\n\
         [auth]\nmethod = \"eap-mschapv2\"\nidentity = \"{}\"\n",
        lab.get("LAB_SC_ADDR"),
        lab.get("LAB_SC_ID"),
        lab.get("LAB_CA_CERT_PEM"),
        lab.get("LAB_EAP_ID"),
    )
}

/// Output as text (stdout then stderr).
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file's contents under `dir`, recursively (for searching).
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
