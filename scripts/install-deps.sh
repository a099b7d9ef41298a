#!/usr/bin/env bash
# Installs what building and testing Softwire needs on Debian, idempotently:
# the Rust toolchain if there is none, strongSwan and the lab's network
# tools. Safe to run again; installs nothing that is already there.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (apt-get and the network lab need it)" >&2
    exit 1
fi

packages=(
    # The SC under test: Debian's strongSwan with userspace ESP (libipsec).
    strongswan-charon strongswan-swanctl strongswan-pki
    libcharon-extra-plugins libcharon-extauth-plugins
    libstrongswan-extra-plugins libstrongswan-standard-plugins
    # The lab: namespaces, NAT, captures.
    iproute2 nftables tcpdump iputils-ping procps util-linux
    # Building crates with C parts.
    gcc pkg-config
)
if ! command -v cargo >/dev/null 2>&1; then
    # No rustup toolchain: Debian's newer Rust packages.
    packages+=(rustc-web cargo-web)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    # Keep package scripts from starting strongSwan or any other service.
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all Debian packages present"
fi

# The packages enable charon's systemd units; the lab starts its own
# charon per namespace and needs none running on the host.
command -v cargo >/dev/null 2>&1 || { echo "install-deps: cargo still missing" >&2; exit 1; }
echo "install-deps: $(cargo --version)"
