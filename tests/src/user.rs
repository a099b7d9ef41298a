//! A test user without a passwd entry (`setpriv` sets its ids), and a
//! D-Bus session of that user with a real Secret Service (gnome-keyring)
//! as its keychain, for the CLI and the desktop app.

use std::os::unix::fs::{chown, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::service::{failed_output, program, Service};

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
        let out = match self.keychain_session(service, script) {
            Ok(mut command) => command.output().unwrap_or_else(|e| failed_output(&e)),
            Err(e) => failed_output(&e),
        };
        stop_processes_of(self.uid);
        out
    }

    /// Starts the shell `script` in such a session and returns at once;
    /// the session (and every process of this user) is stopped when the
    /// returned value is dropped. Its output goes to `log`.
    pub fn spawn_in_keychain_session(
        &self,
        service: &Service,
        script: &str,
        log: &Path,
    ) -> std::io::Result<KeychainSession> {
        let mut command = self.keychain_session(service, script)?;
        let out = std::fs::File::create(log)?;
        let child = command.stdout(out.try_clone()?).stderr(out).spawn()?;
        Ok(KeychainSession {
            child,
            uid: self.uid,
        })
    }

    /// The command that runs `script` in a keychain session (see
    /// [`User::in_keychain_session`]).
    fn keychain_session(&self, service: &Service, script: &str) -> std::io::Result<Command> {
        for dir in ["run", "data"] {
            let path = self.home.join(dir);
            std::fs::create_dir_all(&path)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
            chown(&path, Some(self.uid), Some(self.uid))?;
        }
        let dir = self.home.parent().unwrap_or(Path::new("/tmp"));
        let passwd = dir.join(format!("passwd-{}", self.uid));
        let group = dir.join(format!("group-{}", self.uid));
        let mut users = std::fs::read_to_string("/etc/passwd")?;
        users.push_str(&format!(
            "swtest{0}:x:{0}:{0}:Softwire test user:{1}:/bin/sh\n",
            self.uid,
            self.home.display()
        ));
        let mut groups = std::fs::read_to_string("/etc/group")?;
        groups.push_str(&format!("swtest{0}:x:{0}:\n", self.uid));
        for g in &self.groups {
            groups.push_str(&format!("swgroup{g}:x:{g}:swtest{}\n", self.uid));
        }
        std::fs::write(&passwd, users)?;
        std::fs::write(&group, groups)?;
        let mut a = self.setpriv_args(service);
        a.push(format!("SOFTWIRE={}", program("softwire").display()));
        a.extend(["dbus-run-session", "--", "sh", "-c"].map(str::to_owned));
        a.push(format!(
            "echo -n keyring-unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && {script}"
        ));
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg("mount --bind \"$0\" /etc/passwd && mount --bind \"$1\" /etc/group && shift && exec \"$@\"")
            .arg(&passwd)
            .arg(&group)
            .args(&a)
            .stdin(Stdio::null());
        Ok(command)
    }

    /// Processes running as this user, zombies left out.
    pub fn processes(&self) -> Vec<u32> {
        processes_of(self.uid)
    }
}

fn processes_of(uid: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let owner = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u32>().ok());
        let zombie = status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'));
        if owner == Some(uid) && !zombie {
            pids.push(pid);
        }
    }
    pids
}

/// gnome-keyring-daemon daemonizes and may outlive the D-Bus session it
/// served: stops every process of this (test-only) uid, by PID.
fn stop_processes_of(uid: u32) {
    for signal in ["TERM", "KILL"] {
        let pids = processes_of(uid);
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

/// A keychain session running in the background
/// ([`User::spawn_in_keychain_session`]).
#[derive(Debug)]
pub struct KeychainSession {
    child: Child,
    uid: u32,
}

impl KeychainSession {
    /// Whether the session's script still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for KeychainSession {
    fn drop(&mut self) {
        stop_processes_of(self.uid);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
