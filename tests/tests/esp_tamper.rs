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

use softwire_lab::client::softwire_binary;
use softwire_lab::pair_lab::Pair;

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
        let pair = Pair::up(suite, true);
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
