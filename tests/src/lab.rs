//! One network-namespace lab per test: `tests/lab/lab.sh up` on creation,
//! `down` on drop (also when the test fails), so tests can run in parallel
//! and leave nothing behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A running lab.
#[derive(Debug)]
pub struct Lab {
    /// The lab's id (namespace prefix).
    pub id: String,
    /// Its state directory: PKI, configs, logs, captures.
    pub dir: PathBuf,
    /// The `key=value` facts `lab.sh up` printed (addresses, identities,
    /// secret file paths).
    pub env: HashMap<String, String>,
}

/// Why the lab could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab needs root for namespaces.
    #[error("the lab tests need root (network namespaces); run them with sudo")]
    NotRoot,
    /// A lab command failed.
    #[error("`lab.sh {args}` failed ({status}):\n{stderr}")]
    Command {
        /// Its arguments.
        args: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The lab script could not be started.
    #[error("cannot run lab.sh: {0}")]
    Io(#[from] std::io::Error),
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/lab.sh")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

impl Lab {
    /// Brings up a fresh lab with a unique id under `SOFTWIRE_LAB_PREFIX`.
    pub fn up() -> Result<Self, LabError> {
        Self::up_with(&[])
    }

    /// Like [`Lab::up`], with extra environment for `lab.sh up` (for
    /// example `LAB_OUTER=ipv6`).
    pub fn up_with(env: &[(&str, &str)]) -> Result<Self, LabError> {
        if !is_root() {
            return Err(LabError::NotRoot);
        }
        let prefix = std::env::var("SOFTWIRE_LAB_PREFIX").unwrap_or_else(|_| "t".to_owned());
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{prefix}{}{n}", base36(std::process::id() % 1_679_616));
        let dir = std::env::temp_dir().join(format!("softwire-lab-{id}"));
        let mut lab = Self {
            id,
            dir,
            env: HashMap::new(),
        };
        let mut command = lab.command(&["up"]);
        command.envs(env.iter().copied());
        let out = command.output()?;
        if !out.status.success() {
            return Err(LabError::Command {
                args: "up".to_owned(),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        lab.env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Ok(lab)
    }

    /// A fact from `lab.sh up`, or a panic naming the missing key.
    pub fn get(&self, key: &str) -> &str {
        self.env
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| missing_key(key))
    }

    /// Runs `lab.sh ARGS...` for this lab and returns its output; fails on
    /// a non-zero exit.
    pub fn run(&self, args: &[&str]) -> Result<Output, LabError> {
        let out = self.command(args).output()?;
        if !out.status.success() {
            return Err(LabError::Command {
                args: args.join(" "),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(out)
    }

    /// `lab.sh ARGS...` as a command, for callers that want its status.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("bash");
        c.arg(script())
            .args(args)
            .env("LAB_ID", &self.id)
            .env("LAB_DIR", &self.dir);
        c
    }

    /// `lab.sh snapshot ROLE`: the namespace's links, addresses, routes,
    /// rules, nftables and resolv.conf, for before/after comparisons.
    pub fn snapshot(&self, role: &str) -> Result<String, LabError> {
        self.run(&["snapshot", role])
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs a program in a role's namespace (hotspot, nat, sc, site).
    pub fn exec(&self, role: &str, program: &str, args: &[&str]) -> Result<Output, LabError> {
        let mut all = vec!["exec", role, program];
        all.extend_from_slice(args);
        let out = self.command(&all).output()?;
        Ok(out)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Err(e) = self.run(&["down"]) {
            // Nothing to return to from drop: say so loudly, the CI
            // script's final cleanup will retry by prefix.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("lab {}: teardown failed: {e}", self.id);
            }
        }
    }
}

#[allow(clippy::panic)]
fn missing_key(key: &str) -> ! {
    panic!("lab.sh up did not report `{key}`")
}

fn base36(mut n: u32) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS.get((n % 36) as usize).copied().unwrap_or(b'0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
