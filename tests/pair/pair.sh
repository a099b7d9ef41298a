#!/usr/bin/env bash
# Two namespaces joined by a veth, each running Softwire's ESP data path
# with fixed TEST keys (lab-esp-pair): for the data-path benchmark and the
# tamper test. Documentation addresses only; removes everything it makes.
#
# usage: pair.sh up ID BIN_DIR [SUITE] | down ID | exec a|b CMD...
#   PAIR_NO_OFFLOAD=1: TUN devices without offloads (one packet per call)
#   outer: a 192.0.2.1, b 192.0.2.2 (veth); inner: a 203.0.113.1, b 203.0.113.2
set -euo pipefail

cmd="${1:?usage: pair.sh up ID BIN_DIR [SUITE] | down ID | exec ID a|b CMD...}"
id="${2:?missing ID}"
[[ "$id" =~ ^[a-z0-9]{1,8}$ ]] || { echo "pair: bad id '$id'" >&2; exit 2; }
dir="/tmp/softwire-pair-$id"
ns_a="${id}-pa"
ns_b="${id}-pb"

down() {
    local side pid
    for side in a b; do
        if [[ -f "$dir/$side.pid" ]]; then
            pid="$(cat "$dir/$side.pid")"
            if kill -0 "$pid" 2>/dev/null; then
                kill -INT "$pid" 2>/dev/null || true
                for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    done
    for f in "$dir"/iperf-*.pid; do
        [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true
    done
    ip netns del "$ns_a" 2>/dev/null || true
    ip netns del "$ns_b" 2>/dev/null || true
    rm -rf "/etc/netns/$ns_a" "/etc/netns/$ns_b"
}

case "$cmd" in
up)
    bin="${3:?missing BIN_DIR}"
    suite="${4:-gcm128}"
    down
    rm -rf "$dir"
    mkdir -p "$dir"
    trap 'down; exit 1' ERR
    for ns in "$ns_a" "$ns_b"; do
        mkdir -p "/etc/netns/$ns"
        : > "/etc/netns/$ns/resolv.conf"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    ip link add "${id}pa0" type veth peer name "${id}pb0"
    ip link set "${id}pa0" netns "$ns_a"
    ip link set "${id}pb0" netns "$ns_b"
    ip -n "$ns_a" addr add 192.0.2.1/24 dev "${id}pa0"
    ip -n "$ns_b" addr add 192.0.2.2/24 dev "${id}pb0"
    ip -n "$ns_a" link set "${id}pa0" up
    ip -n "$ns_b" link set "${id}pb0" up
    start() { # side ns bind peer inner peer_inner
        ip netns exec "$2" "$bin/lab-esp-pair" --role "$1" --bind "$3" --peer "$4" \
            --inner "$5" --peer-inner "$6" --state "$dir/$1-state.json" --suite "$suite" \
            ${PAIR_NO_OFFLOAD:+--no-offload} \
            >"$dir/$1.log" 2>&1 &
        echo $! >"$dir/$1.pid"
    }
    start a "$ns_a" 192.0.2.1:4500 192.0.2.2:4500 203.0.113.1 203.0.113.2
    start b "$ns_b" 192.0.2.2:4500 192.0.2.1:4500 203.0.113.2 203.0.113.1
    for side in a b; do
        for _ in $(seq 100); do grep -q '^ready' "$dir/$side.log" 2>/dev/null && break; sleep 0.05; done
        grep -q '^ready' "$dir/$side.log" || { cat "$dir/$side.log" >&2; false; }
    done
    # iperf3 servers in b: through the tunnel and on the bare veth.
    ip netns exec "$ns_b" iperf3 -s -D -B 203.0.113.2 -p 5201 -I "$dir/iperf-tunnel.pid" >/dev/null
    for _ in $(seq 50); do [[ -s "$dir/iperf-tunnel.pid" ]] && break; sleep 0.05; done
    ip netns exec "$ns_b" iperf3 -s -D -B 192.0.2.2 -p 5202 -I "$dir/iperf-veth.pid" >/dev/null
    for _ in $(seq 50); do [[ -s "$dir/iperf-veth.pid" ]] && break; sleep 0.05; done
    trap - ERR
    echo "dir=$dir"
    ;;
down)
    # Stop the data paths first so they print their counters.
    down
    for side in a b; do
        [[ -f "$dir/$side.log" ]] && sed -n "s/^counters=/counters_$side=/p" "$dir/$side.log"
    done
    rm -rf "$dir"
    ;;
exec)
    side="${3:?missing side}"
    shift 3
    case "$side" in a) ns="$ns_a" ;; b) ns="$ns_b" ;; *) echo "pair: side a or b" >&2; exit 2 ;; esac
    exec ip netns exec "$ns" "$@"
    ;;
*)
    echo "usage: pair.sh up ID BIN_DIR [SUITE] | down ID | exec ID a|b CMD..." >&2
    exit 2
    ;;
esac
