#!/usr/bin/env bash
# The Softwire demo, as root on Debian: builds the client, brings up the
# lab (a laptop on a hotspot behind a NAT, a strongSwan SC, a site behind
# it), connects with EAP-MSCHAPv2 (the SC proven by its certificate first),
# pings the site's IPv6 and IPv4 addresses through the tunnel, shows status
# and counters, disconnects, compares connect times with strongSwan's own
# client, and tears everything down again, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== building softwire"
cargo build --quiet --bins
softwire="$PWD/target/debug/softwire"

export LAB_ID="${LAB_ID:-demo}"
lab=(bash tests/lab/lab.sh)
client=""
cleanup() {
    [[ -n "$client" ]] && kill -INT "$client" 2>/dev/null && wait "$client" 2>/dev/null
    "${lab[@]}" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== bringing the lab up (LAB_ID=$LAB_ID)"
"${lab[@]}" up >/dev/null
# shellcheck disable=SC1091
. "$("${lab[@]}" dir)/env"
echo "== strongSwan on the SC: connections loaded"
"${lab[@]}" swanctl --list-conns | grep -E "^[a-z]+:" || true

profile="$LAB_DIR/office.toml"
cat >"$profile" <<PROFILE
name = "Office"
[sc]
address = "$LAB_SC_ADDR"
identity = "$LAB_SC_ID"
ca = "$LAB_CA_CERT_PEM"
[auth]
method = "eap-mschapv2"
identity = "$LAB_EAP_ID"
PROFILE
echo "== the profile ($profile)"
cat "$profile"

echo "== softwire run (foreground, no service), from the hotspot behind the NAT"
state="$LAB_DIR/softwire-state"
: >"$LAB_DIR/client.log"
"${lab[@]}" exec hotspot "$softwire" run "$profile" \
    --secret-file "$LAB_EAP_PASSWORD_FILE" --state-dir "$state" >"$LAB_DIR/client.log" 2>&1 &
client=$!
for _ in $(seq 200); do grep -q "Press Ctrl-C" "$LAB_DIR/client.log" && break; sleep 0.05; done
cat "$LAB_DIR/client.log"

echo "== ping the site over inner IPv6 and IPv4"
"${lab[@]}" exec hotspot ping -6 -c 3 -i 0.3 "$LAB_SITE_ADDR6"
"${lab[@]}" exec hotspot ping -c 3 -i 0.3 "$LAB_SITE_ADDR4"

echo "== softwire status"
sleep 1.1
"${lab[@]}" exec hotspot "$softwire" status --state-dir "$state"

echo "== Ctrl-C: disconnect"
kill -INT "$client"
wait "$client" || true
client=""
tail -n 2 "$LAB_DIR/client.log"

echo "== connect times (first IKE message to tunnel up), softwire and strongSwan's client"
for method in psk eap; do
    if [[ $method == psk ]]; then
        p="$LAB_DIR/psk.toml"
        printf 'name = "psk"\n[sc]\naddress = "%s"\nidentity = "%s"\n[auth]\nmethod = "psk"\nidentity = "%s"\n' \
            "$LAB_SC_ADDR" "$LAB_SC_ID" "$LAB_PSK_ID" >"$p"
        secret="$LAB_PSK_FILE"
    else
        p="$profile"
        secret="$LAB_EAP_PASSWORD_FILE"
    fi
    : >"$LAB_DIR/client-$method.log"
    "${lab[@]}" exec hotspot "$softwire" run "$p" --secret-file "$secret" \
        --state-dir "$state" >"$LAB_DIR/client-$method.log" 2>&1 &
    client=$!
    for _ in $(seq 200); do grep -q "Press Ctrl-C" "$LAB_DIR/client-$method.log" && break; sleep 0.05; done
    kill -INT "$client"; wait "$client" || true; client=""
    echo "  $method: softwire $(sed -n 's/^Connected in \(.*\)\.$/\1/p' "$LAB_DIR/client-$method.log")"
done
"${lab[@]}" sw-client up >/dev/null
for method in psk eap; do
    t0=$(date +%s%N)
    "${lab[@]}" sw-client initiate "$method" >/dev/null
    t1=$(date +%s%N)
    "${lab[@]}" sw-client terminate "$method" >/dev/null
    echo "  $method: strongSwan client $(( (t1 - t0) / 1000000 )) ms (swanctl --initiate, wall clock)"
done

echo "== tearing the lab down"
"${lab[@]}" down
trap - EXIT
echo "demo finished"
