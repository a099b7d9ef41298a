#!/usr/bin/env bash
# Builds the desktop app for the real-window test: the front end (ui/),
# then `tauri build --debug --no-bundle`, which embeds it in the binary
# (a plain `cargo build` binary would look for the Vite dev server
# instead). The result is copied to target/desktop/softwire-desktop, out
# of reach of later cargo builds of the workspace. Also installs
# tauri-driver (the WebDriver bridge) into target/tools.
#   --deb   also makes the Debian package (release build)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "build-desktop: the front end"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)

echo "build-desktop: the app (tauri build --debug --no-bundle)"
(cd app/desktop && npm ci --no-audit --no-fund --loglevel=error \
    && npm exec --offline -- tauri build --debug --no-bundle)
mkdir -p target/desktop
cp target/debug/softwire-desktop target/desktop/softwire-desktop
echo "build-desktop: target/desktop/softwire-desktop"

if [ ! -x target/tools/bin/tauri-driver ]; then
    echo "build-desktop: installing tauri-driver into target/tools"
    cargo install --quiet --locked tauri-driver@2.0.6 --root target/tools
fi

if [ "${1:-}" = "--deb" ]; then
    (cd app/desktop && npm exec --offline -- tauri build --bundles deb)
    find target/release/bundle/deb -name '*.deb' -printf 'build-desktop: %p (%s bytes)\n'
fi
