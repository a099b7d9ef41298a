//! `softwired` in the lab: the service in the hotspot namespace with its
//! own directories, and the `softwire` CLI run as an unprivileged user
//! (no entry in /etc/passwd needed: `setpriv` sets the ids), optionally
//! inside a D-Bus session with a real Secret Service (gnome-keyring).

use std::fs::File;
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::lab::Lab;

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

fn failed_output(e: &std::io::Error) -> Output {
    use std::os::unix::process::ExitStatusExt;
    Output {
        status: ExitStatus::from_raw(127 << 8),
        stdout: Vec::new(),
        stderr: e.to_string().into_bytes(),
    }
}

/// A user without a passwd entry: ids, supplementary groups, a home.
#[derive(Debug)]
pub struct User {
    /// Its uid (also its primary gid).
    pub uid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Its home directory (mode 0700, owned by it).
    pub home: PathBuf,
}

impl User {
    /// Creates the home under `root`.
    pub fn new(root: &Path, uid: u32, groups: Vec<u32>) -> std::io::Result<Self> {
        let home = root.join(format!("home-{uid}"));
        std::fs::create_dir_all(&home)?;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700))?;
        chown(&home, Some(uid), Some(uid))?;
        Ok(Self { uid, groups, home })
    }

    /// Writes a file in the home, owned by the user, mode 0600.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.home.join(name);
        std::fs::write(&path, contents)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        chown(&path, Some(self.uid), Some(self.uid))?;
        Ok(path)
    }

    /// `setpriv ... env -i ...`: the user's ids and groups, no
    /// capabilities, a clean environment.
    fn setpriv_args(&self, service: &Service) -> Vec<String> {
        let mut a = vec![
            "setpriv".to_owned(),
            format!("--reuid={}", self.uid),
            format!("--regid={}", self.uid),
        ];
        if self.groups.is_empty() {
            a.push("--clear-groups".to_owned());
        } else {
            let list: Vec<String> = self.groups.iter().map(ToString::to_string).collect();
            a.push(format!("--groups={}", list.join(",")));
        }
        a.extend(["--inh-caps=-all", "--", "env", "-i", "PATH=/usr/bin:/bin"].map(str::to_owned));
        a.push(format!("HOME={}", self.home.display()));
        a.push(format!("SOFTWIRE_SOCKET={}", service.socket.display()));
        a.push(format!("XDG_RUNTIME_DIR={}/run", self.home.display()));
        a.push(format!("XDG_DATA_HOME={}/data", self.home.display()));
        a
    }

    /// Runs `softwire ARGS` as this user.
    pub fn cli(&self, service: &Service, args: &[&str]) -> Output {
        let mut a = self.setpriv_args(service);
        a.push(program("softwire").display().to_string());
        a.extend(args.iter().map(|s| (*s).to_owned()));
        let Some((first, rest)) = a.split_first() else {
            return failed_output(&std::io::Error::other("no command"));
        };
        Command::new(first)
            .args(rest)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| failed_output(&e))
    }

    /// Runs the shell `script` as this user inside a new D-Bus session
    /// whose Secret Service (gnome-keyring, unlocked) is this user's
    /// keychain. `$SOFTWIRE` in the script is the CLI. dbus-daemon wants a
    /// passwd entry for the user: the session runs in a private mount
    /// namespace where /etc/passwd and /etc/group are copies with the user
    /// (and its groups) added; the machine's files are not touched.
    pub fn in_keychain_session(&self, service: &Service, script: &str) -> Output {
        for dir in ["run", "data"] {
            let path = self.home.join(dir);
            let _ = std::fs::create_dir_all(&path);
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700));
            let _ = chown(&path, Some(self.uid), Some(self.uid));
        }
        let dir = self.home.parent().unwrap_or(Path::new("/tmp"));
        let passwd = dir.join(format!("passwd-{}", self.uid));
        let group = dir.join(format!("group-{}", self.uid));
        let mut users = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        users.push_str(&format!(
            "swtest{0}:x:{0}:{0}:Softwire test user:{1}:/bin/sh\n",
            self.uid,
            self.home.display()
        ));
        let mut groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        groups.push_str(&format!("swtest{0}:x:{0}:\n", self.uid));
        for g in &self.groups {
            groups.push_str(&format!("swgroup{g}:x:{g}:swtest{}\n", self.uid));
        }
        if std::fs::write(&passwd, users).is_err() || std::fs::write(&group, groups).is_err() {
            return failed_output(&std::io::Error::other("cannot write the passwd copies"));
        }
        let mut a = self.setpriv_args(service);
        a.push(format!("SOFTWIRE={}", program("softwire").display()));
        a.extend(["dbus-run-session", "--", "sh", "-c"].map(str::to_owned));
        a.push(format!(
            "echo -n keyring-unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && {script}"
        ));
        let out = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg("mount --bind \"$0\" /etc/passwd && mount --bind \"$1\" /etc/group && shift && exec \"$@\"")
            .arg(&passwd)
            .arg(&group)
            .args(&a)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| failed_output(&e));
        self.stop_leftovers();
        out
    }

    /// gnome-keyring-daemon daemonizes and may outlive the D-Bus session
    /// it served: stops every process of this (test-only) uid, by PID.
    fn stop_leftovers(&self) {
        for signal in ["TERM", "KILL"] {
            let pids = self.processes();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                let _ = Command::new("kill")
                    .args([&format!("-{signal}"), &pid.to_string()])
                    .status();
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Processes running as this user, zombies left out.
    pub fn processes(&self) -> Vec<u32> {
        let mut pids = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return pids;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let uid = status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u32>().ok());
            let zombie = status
                .lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'));
            if uid == Some(self.uid) && !zombie {
                pids.push(pid);
            }
        }
        pids
    }
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
