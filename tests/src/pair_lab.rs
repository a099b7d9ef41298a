//! Two `lab-esp-pair` instances in two namespaces (tests/pair/pair.sh),
//! driven from a test: brought up, used, and torn down also when the test
//! fails (on drop).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::client::softwire_binary;

/// A running pair: side `a` (192.0.2.1, inner 203.0.113.1) and side `b`
/// (192.0.2.2, inner 203.0.113.2, with iperf3 servers on 203.0.113.2:5201
/// through the tunnel and 192.0.2.2:5202 on the bare veth).
#[derive(Debug)]
pub struct Pair {
    id: String,
    script: PathBuf,
}

/// The counters one side printed when it stopped (ESP counters and the
/// data path's system-call counters, by name).
pub type SideCounters = HashMap<String, u64>;

impl Pair {
    /// Brings a pair up with `suite` (`gcm128`, `gcm256`, `chacha`, `cbc`),
    /// with or without TUN offloads. Panics (failing the test) if it
    /// cannot.
    #[allow(clippy::unwrap_used, clippy::panic)]
    pub fn up(suite: &str, offload: bool) -> Self {
        let prefix = std::env::var("SOFTWIRE_LAB_PREFIX").unwrap_or_else(|_| "t".to_owned());
        // Distinct per process and per pair within it.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{prefix}p{}{n}", std::process::id() % 10_000);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("pair/pair.sh");
        let bin_dir = softwire_binary().parent().unwrap().to_path_buf();
        let pair = Self { id, script };
        let mut up = pair.command(&["up", &pair.id, bin_dir.to_str().unwrap(), suite]);
        if !offload {
            up.env("PAIR_NO_OFFLOAD", "1");
        }
        let out = up.output().unwrap();
        assert!(
            out.status.success(),
            "pair up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pair
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("bash");
        command
            .arg(&self.script)
            .args(args)
            .env_remove("PAIR_NO_OFFLOAD");
        command
    }

    #[allow(clippy::unwrap_used)]
    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command in side `a` or `b`'s namespace.
    pub fn exec(&self, side: &str, args: &[&str]) -> Output {
        let mut all = vec!["exec", self.id.as_str(), side];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Stops both sides; returns their counters (a, b).
    pub fn down(&self) -> (SideCounters, SideCounters) {
        let out = self.run(&["down", &self.id]);
        let text = String::from_utf8_lossy(&out.stdout);
        let parse = |key: &str| -> SideCounters {
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or("{}");
            line.trim_matches(['{', '}'])
                .split(',')
                .filter_map(|kv| kv.split_once(':'))
                .map(|(k, v)| (k.trim_matches('"').to_owned(), v.parse().unwrap_or(0)))
                .collect()
        };
        (parse("counters_a="), parse("counters_b="))
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.run(&["down", &self.id]);
    }
}
