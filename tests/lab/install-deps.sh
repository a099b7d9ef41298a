#!/usr/bin/env bash
# Installs the Debian packages the Softwire test lab needs. Idempotent: does
# nothing when everything is there; runs apt-get update only when needed.
# No service is started by the install (policy-rc.d answers 101 meanwhile),
# and iperf3's debconf question (start a system-wide daemon?) is answered
# "no" beforehand: the lab starts its own iperf3 servers in the site
# namespace (lab.sh site-services).
set -euo pipefail

PACKAGES=(
    strongswan-charon strongswan-swanctl strongswan-pki
    libcharon-extra-plugins libcharon-extauth-plugins
    libstrongswan-extra-plugins libstrongswan-standard-plugins
    iproute2 nftables tcpdump iputils-ping dnsmasq-base openssl util-linux procps
    iperf3 socat jq
)

[[ $EUID -eq 0 ]] || { echo "install-deps.sh: must run as root" >&2; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
    [[ "$status" == ii* ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps.sh: all lab packages are installed"
    exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if ((created_policy)); then rm -f "$POLICY"; fi
}
trap cleanup EXIT
if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    created_policy=1
fi

# iperf3 asks whether to run "iperf3 -s" as a system service; answer no
# before it is unpacked (debconf-set-selections comes with debconf, which
# every Debian system has).
if command -v debconf-set-selections >/dev/null 2>&1; then
    echo 'iperf3 iperf3/start_daemon boolean false' | debconf-set-selections
fi

apt_install() {
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
}

# Update the package lists only when there are none, or when the install
# fails on them (an old list naming versions that are gone).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -q </dev/null
fi
if ! apt_install; then
    apt-get update -q </dev/null
    apt_install
fi
