#!/usr/bin/env bash
# Type-checks softwire-platform for Windows (x86_64-pc-windows-msvc) and
# macOS (aarch64-apple-darwin) on a Debian machine, where neither can be
# linked or run.
#
# Debian's rustc-web (with its standard library sources) rebuilds std for
# the foreign target (-Zbuild-std, allowed by RUSTC_BOOTSTRAP=1); it is used
# only for these checks, by absolute path, with its own target directory
# (target/other-os): rustup's cargo stays first in PATH for everything else.
#
# ring's build script compiles C and assembly for linking, which needs the
# target's SDK (MSVC or Apple's) that this machine lacks; a check never
# links, so that build script is overridden (through ring's `links` key)
# and ring's Rust code is still checked in full.
#
# Installs what it needs with apt (once, about 30 s), as root. With an
# empty target/other-os it takes 5 to 8 minutes on 2 cores (std is built
# twice), then seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(rustc-web cargo-web rust-web-src clang)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ring's `links` name, e.g. ring_core_0_17_14_ (it changes with ring's
# version).
ring_links="$(cargo metadata --format-version 1 2>/dev/null | python3 -c '
import json, sys
names = {p["links"] for p in json.load(sys.stdin)["packages"] if p["name"] == "ring" and p.get("links")}
print(" ".join(sorted(names)))')"

export CARGO_TARGET_DIR="$PWD/target/other-os"
export RUSTC=/usr/bin/rustc
export RUSTC_BOOTSTRAP=1
export CC_aarch64_apple_darwin=clang

for target in x86_64-pc-windows-msvc aarch64-apple-darwin; do
    overrides=()
    for links in $ring_links; do
        overrides+=(--config "target.$target.$links.rustc-link-lib=[]")
    done
    echo "== cargo check -p softwire-platform --target $target"
    start=$SECONDS
    /usr/bin/cargo check -Zbuild-std=std,panic_abort --target "$target" \
        -p softwire-platform "${overrides[@]}"
    echo "== $target: type-checks ($((SECONDS - start)) s)"
done
