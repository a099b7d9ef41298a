#!/usr/bin/env bash
# Runs every Softwire test on a Debian machine, as root: installs what is
# missing, checks formatting and lints (Rust and the desktop front end),
# fuzzes the IKE parser briefly when cargo-fuzz is installed, runs the
# front end's browser tests, builds the desktop app, then runs the whole
# Rust test suite, whose lab tests bring a strongSwan SC up in network
# namespaces (and the desktop app in a real window) and tear them down.
# The last line printed is the test runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

# One full build from scratch: incremental caches would only take disk.
export CARGO_INCREMENTAL=0

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== desktop front end: install, type check, lint, build"
(cd ui && npm ci --no-audit --no-fund --loglevel=error \
    && npm run --silent typecheck && npm run --silent lint && npm run --silent build)

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== type-checking the platform shims for Windows and macOS"
bash platform/check-other-os.sh

if cargo fuzz --version >/dev/null 2>&1; then
    seconds="${SOFTWIRE_FUZZ_SECONDS:-60}"
    echo "== fuzzing the IKE message parser for ${seconds}s"
    # cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable
    # toolchain accept them.
    (cd core && RUSTC_BOOTSTRAP=1 cargo fuzz run ike_message -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 4)
    echo "== fuzzing the DHCP reply parsers for $((seconds / 3))s"
    (cd core && RUSTC_BOOTSTRAP=1 cargo fuzz run dhcp_replies -- \
        -max_total_time="$((seconds / 3))" -rss_limit_mb=2048 2>&1 | tail -n 2)
else
    echo "== cargo-fuzz not installed: skipping the fuzz run (see README)"
fi

# Lab tests create namespaces named after this prefix; whatever a killed
# test left behind is removed on the way out.
export SOFTWIRE_LAB_PREFIX="${SOFTWIRE_LAB_PREFIX:-ci}"
cleanup() { bash tests/lab/lab.sh down-prefix "$SOFTWIRE_LAB_PREFIX" >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== building the programs the lab tests run"
cargo build --quiet --bins

echo "== desktop front end tests (headless Chromium, the shell's IPC mocked)"
(cd ui && npm test)

echo "== building the desktop app for its real-window test"
bash scripts/build-desktop.sh

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
else
    cargo test --workspace --no-fail-fast
fi
