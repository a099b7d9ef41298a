#!/usr/bin/env bash
# Softwire's benchmarks, as root on Debian. Prints figures; asserts none.
#  (a) ESP seal/open per suite and size, next to the bare AEAD (cargo bench)
#  (b) iperf3 through the tunnel to the lab's site host: our client, then
#      strongSwan's client, through the same strongSwan SC (user-space ESP);
#      and connect times (first IKE message to tunnel up) for PSK and EAP
#  (c) Softwire's data path against itself (fixed test keys, two
#      namespaces), next to iperf3 over the bare veth
# Usage: sudo bash scripts/bench.sh [a|b|c ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("${@:-a b c}")
parts=(${parts[*]})
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }
bash scripts/install-deps.sh >/dev/null
cargo build --quiet --release --bins
bin="$PWD/target/release"
seconds="${BENCH_SECONDS:-5}"

mbps() { # iperf3 -J output on stdin -> receiver Mbit/s
    python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'
}

if want a; then
    echo "== (a) ESP in process (cargo bench)"
    cargo bench --quiet -p softwire-core --bench esp 2>/dev/null | grep -v '^$' || true
fi

if want b; then
    echo "== (b) through the lab's strongSwan SC (user-space ESP on the SC)"
    export LAB_ID=bench
    lab=(bash tests/lab/lab.sh)
    client=""
    cleanup_b() {
        if [[ -n "$client" ]]; then kill -INT "$client" 2>/dev/null || true; fi
        "${lab[@]}" down >/dev/null 2>&1 || true
    }
    trap cleanup_b EXIT
    "${lab[@]}" up >/dev/null
    # shellcheck disable=SC1091
    . "$("${lab[@]}" dir)/env"
    profile="$LAB_DIR/bench-eap.toml"
    cat >"$profile" <<PROFILE
name = "bench"
[sc]
address = "$LAB_SC_ADDR"
identity = "$LAB_SC_ID"
ca = "$LAB_CA_CERT_PEM"
[auth]
method = "eap-mschapv2"
identity = "$LAB_EAP_ID"
PROFILE
    psk_profile="$LAB_DIR/bench-psk.toml"
    cat >"$psk_profile" <<PROFILE
name = "bench-psk"
[sc]
address = "$LAB_SC_ADDR"
identity = "$LAB_SC_ID"
[auth]
method = "psk"
identity = "$LAB_PSK_ID"
PROFILE
    ours_connect() { # profile secret: starts the client, sets $client and $ms
        : >"$LAB_DIR/bench-client.log"
        "${lab[@]}" exec hotspot "$bin/softwire" run "$1" --secret-file "$2" \
            --state-dir "$LAB_DIR/bench-state" >"$LAB_DIR/bench-client.log" 2>&1 &
        client=$!
        for _ in $(seq 200); do grep -q "Press Ctrl-C" "$LAB_DIR/bench-client.log" && break; sleep 0.05; done
        ms=$(sed -n 's/^Connected in \([0-9.]*\) ms.*/\1/p' "$LAB_DIR/bench-client.log")
    }
    ours_disconnect() { kill -INT "$client"; wait "$client" || true; client=""; }
    theirs_connect() { # conn -> prints ms
        local t0 t1
        t0=$(date +%s%N)
        "${lab[@]}" sw-client initiate "$1" >/dev/null
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 ))
    }
    for method in psk eap; do
        if [[ $method == psk ]]; then ours_connect "$psk_profile" "$LAB_PSK_FILE"
        else ours_connect "$profile" "$LAB_EAP_PASSWORD_FILE"; fi
        ours_disconnect
        echo "connect time, $method: softwire ${ms} ms"
    done
    ours_connect "$profile" "$LAB_EAP_PASSWORD_FILE"
    ours4=$("${lab[@]}" exec hotspot iperf3 -c "$LAB_SITE_ADDR4" -t "$seconds" -J | mbps)
    ours6=$("${lab[@]}" exec hotspot iperf3 -6 -c "$LAB_SITE_ADDR6" -t "$seconds" -J | mbps)
    ours_disconnect
    "${lab[@]}" sw-client up >/dev/null
    for method in psk eap; do
        ms=$(theirs_connect "$method")
        echo "connect time, $method: strongSwan client ${ms} ms (swanctl --initiate, wall clock)"
        "${lab[@]}" sw-client terminate "$method" >/dev/null
    done
    theirs_connect eap >/dev/null
    theirs4=$("${lab[@]}" exec hotspot iperf3 -c "$LAB_SITE_ADDR4" -t "$seconds" -J | mbps)
    theirs6=$("${lab[@]}" exec hotspot iperf3 -6 -c "$LAB_SITE_ADDR6" -t "$seconds" -J | mbps)
    echo "iperf3 to the site, inner IPv4: softwire ${ours4} Mbit/s, strongSwan client ${theirs4} Mbit/s"
    echo "iperf3 to the site, inner IPv6: softwire ${ours6} Mbit/s, strongSwan client ${theirs6} Mbit/s"
    cleanup_b
    trap - EXIT
fi

if want c; then
    echo "== (c) Softwire's data path against itself (one flow, ${seconds} s)"
    id="bench$((RANDOM % 100))"
    trap 'bash tests/pair/pair.sh down "$id" >/dev/null 2>&1 || true' EXIT
    for run in gcm128 gcm256 chacha cbc gcm128:no-offload; do
        suite="${run%%:*}"
        label="$suite"
        unset PAIR_NO_OFFLOAD
        if [[ "$run" == *:no-offload ]]; then
            export PAIR_NO_OFFLOAD=1
            label="$suite, TUN offloads off"
        fi
        bash tests/pair/pair.sh up "$id" "$bin" "$suite" >/dev/null
        tunnel=$(bash tests/pair/pair.sh exec "$id" a iperf3 -c 203.0.113.2 -p 5201 -t "$seconds" -J | mbps)
        bare=$(bash tests/pair/pair.sh exec "$id" a iperf3 -c 192.0.2.2 -p 5202 -t "$seconds" -J | mbps)
        bash tests/pair/pair.sh down "$id" >/dev/null
        echo "data path $label: ${tunnel} Mbit/s through both TUNs; bare veth ${bare} Mbit/s"
    done
    unset PAIR_NO_OFFLOAD
    trap - EXIT
fi
