#!/usr/bin/env bash
# Installs what building and testing Softwire needs on Debian, idempotently:
# a Rust toolchain if there is none (Debian's rustc-web/cargo-web), a C
# compiler for crates with C parts, gnome-keyring, dbus-run-session and
# secret-tool for the keychain tests, WebKitGTK, Xvfb, Node.js and Chromium
# for the desktop app and its tests, then the lab's packages (strongSwan,
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
# The desktop app (Tauri 2 on WebKitGTK), its real-window test (Xvfb,
# WebKitWebDriver) and the front end's tests (Node.js, Chromium).
for pkg in libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev \
    webkit2gtk-driver xvfb xauth chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    echo "install-deps: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "install-deps: no cargo after install" >&2; exit 1; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "install-deps: Node.js $(node --version) is too old for the front end's build (Vite needs 20 or later): install Node.js 20 or 22" >&2
    exit 1
fi

bash tests/lab/install-deps.sh
echo "install-deps: $(cargo --version)"
