//! Tampered ESP against Softwire's data path (two instances with fixed
//! TEST keys in two namespaces, tests/pair/pair.sh): a flipped bit, a
//! replay, a spoofed inner source, a truncated packet and an unknown SPI
//! are each dropped and counted, none reaches the TUN device, and the
//! tunnel keeps working.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use softwire_lab::client::softwire_binary;

struct Pair {
    id: String,
    script: PathBuf,
}

impl Pair {
    fn up(suite: &str) -> Self {
        let prefix = std::env::var("SOFTWIRE_LAB_PREFIX").unwrap_or_else(|_| "t".to_owned());
        let id = format!("{prefix}p{}", std::process::id() % 100_000);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("pair/pair.sh");
        let bin_dir = softwire_binary().parent().unwrap().to_path_buf();
        let pair = Self { id, script };
        let out = pair.run(&["up", &pair.id.clone(), bin_dir.to_str().unwrap(), suite]);
        assert!(
            out.status.success(),
            "pair up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pair
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("bash")
            .arg(&self.script)
            .args(args)
            .output()
            .unwrap()
    }

    fn exec(&self, side: &str, args: &[&str]) -> std::process::Output {
        let mut all = vec!["exec", self.id.as_str(), side];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Stops both sides; returns their counters.
    fn down(&self) -> (HashMap<String, u64>, HashMap<String, u64>) {
        let out = self.run(&["down", &self.id]);
        let text = String::from_utf8_lossy(&out.stdout);
        let parse = |key: &str| -> HashMap<String, u64> {
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

fn ping(pair: &Pair, count: &str) {
    let out = pair.exec(
        "a",
        &["ping", "-c", count, "-i", "0.2", "-W", "2", "203.0.113.2"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn tampered_packets_are_dropped_counted_and_never_delivered() {
    for suite in ["gcm128", "cbc"] {
        let pair = Pair::up(suite);
        ping(&pair, "3");
        let forged = pair.exec(
            "b",
            &[
                softwire_binary()
                    .with_file_name("lab-esp-forge")
                    .to_str()
                    .unwrap(),
                "--to",
                "192.0.2.1:4500",
                "--suite",
                suite,
            ],
        );
        assert!(
            forged.status.success(),
            "{}",
            String::from_utf8_lossy(&forged.stderr)
        );
        // The tunnel still works afterwards.
        ping(&pair, "3");
        let (a, _) = pair.down();
        for reason in [
            "integrity-failed",
            "replayed",
            "spoofed-source",
            "truncated",
            "unknown-spi",
        ] {
            assert_eq!(a.get(reason), Some(&1), "{suite}: {reason} in {a:?}");
        }
        // Delivered to the TUN: 3 + 3 echo replies and the one genuine
        // forged echo request, nothing else.
        assert_eq!(a.get("packets-in"), Some(&7), "{suite}: {a:?}");
    }
}
