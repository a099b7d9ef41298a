#!/usr/bin/env bash
# Installs what building and testing Softwire needs on Debian, idempotently:
# a Rust toolchain if there is none (Debian's rustc-web/cargo-web), a C
# compiler for crates with C parts, gnome-keyring, dbus-run-session and
# secret-tool for the keychain tests, then the lab's packages (strongSwan,
# nftables, tcpdump, dnsmasq) through tests/lab/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (apt-get and the network lab need it)" >&2
    exit 1
fi

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v cargo >/dev/null 2>&1 || need+=(rustc-web cargo-web)
# The system trust store (profiles may trust it for their SC).
[ -e /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
# The keychain tests: a real Secret Service (gnome-keyring) on a private
# session bus (dbus-run-session), and secret-tool to look at what it holds.
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus-daemon)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)
# The installer test checks its scripts with shellcheck.
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
    echo "install-deps: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "install-deps: no cargo after install" >&2; exit 1; }

bash tests/lab/install-deps.sh
echo "install-deps: $(cargo --version)"
