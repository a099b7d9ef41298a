//! The `softwire` client running in the lab's hotspot namespace, with its
//! output followed line by line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::lab::Lab;

/// The `softwire` binary next to the test executables (built by the
/// workspace's test run: `softwire-cli` has integration tests).
pub fn softwire_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/debug/deps/<test> -> target/debug/softwire
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    dir.join("softwire")
}

/// A running `softwire connect`.
#[derive(Debug)]
pub struct Client {
    child: Child,
    lines: Receiver<String>,
    /// Everything it printed so far.
    pub output: Vec<String>,
}

impl Client {
    /// Starts `softwire run PROFILE --secret-file SECRET --state-dir DIR`
    /// in the hotspot namespace.
    pub fn connect(
        lab: &Lab,
        profile: &Path,
        secret: Option<&str>,
        state_dir: &Path,
    ) -> std::io::Result<Self> {
        let binary = softwire_binary();
        let binary = binary.to_str().unwrap_or("softwire");
        let profile = profile.to_str().unwrap_or_default();
        let state = state_dir.to_str().unwrap_or_default();
        let mut args = vec![
            "exec",
            "hotspot",
            binary,
            "run",
            profile,
            "--state-dir",
            state,
        ];
        if let Some(secret) = secret {
            args.extend(["--secret-file", secret]);
        }
        let mut child = lab
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (tx, rx) = channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Self {
            child,
            lines: rx,
            output: Vec::new(),
        })
    }

    /// Waits for a line containing `needle`; returns it, or everything
    /// printed so far as the error.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.output.push(line.clone());
                    if line.contains(needle) {
                        return Ok(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!(
                        "no line with {needle:?} in:\n{}",
                        self.output.join("\n")
                    ));
                }
            }
        }
    }

    /// Sends a signal (INT, TERM, KILL, STOP, CONT) to the client.
    pub fn signal(&self, name: &str) {
        let _ = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status();
    }

    /// Waits for the client to exit, collecting the rest of its output.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Ok(line) = self.lines.try_recv() {
                self.output.push(line);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(50));
                while let Ok(line) = self.lines.try_recv() {
                    self.output.push(line);
                }
                return Ok(status);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "still running after {timeout:?}:\n{}",
                    self.output.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal("KILL");
            let _ = self.child.wait();
        }
    }
}
