#!/usr/bin/env bash
# The Softwire demo, as root on Debian: builds the client, brings up the
# lab (a laptop on a hotspot behind a NAT, a strongSwan SC, a site behind
# it), starts the service (softwired) in the hotspot, adds a profile,
# stores its password in a Secret Service keychain, connects with
# EAP-MSCHAPv2 (the SC proven by its certificate first), pings the site's
# IPv6 and IPv4 addresses through the tunnel, shows status, counters and
# the service's log, disconnects, compares connect times (foreground
# `softwire run`) with strongSwan's own client, and tears everything down
# again, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== building softwire"
cargo build --quiet --bins
softwire="$PWD/target/debug/softwire"
softwired="$PWD/target/debug/softwired"

export LAB_ID="${LAB_ID:-demo}"
lab=(bash tests/lab/lab.sh)
client=""
service=""
keyring=""
# gnome-keyring-daemon daemonizes and can outlive its D-Bus session: stop
# the ones this demo started (found by their runtime directory), by PID.
stop_keyring() {
    [[ -n "$keyring" ]] || return 0
    local env pid
    for env in /proc/[0-9]*/environ; do
        pid="${env#/proc/}"
        pid="${pid%/environ}"
        if { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$keyring/run"; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
}
cleanup() {
    [[ -n "$client" ]] && kill -INT "$client" 2>/dev/null && wait "$client" 2>/dev/null
    [[ -n "$service" ]] && kill -TERM "$service" 2>/dev/null && wait "$service" 2>/dev/null
    stop_keyring
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

echo "== softwired, the service, starts in the hotspot namespace"
svc="$LAB_DIR/service"
mkdir -p "$svc"
export SOFTWIRE_SOCKET="$svc/softwired.sock"
"${lab[@]}" exec hotspot "$softwired" --socket "$SOFTWIRE_SOCKET" \
    --config-dir "$svc/etc" --state-dir "$svc/state" 2>"$LAB_DIR/softwired.log" &
service=$!
for _ in $(seq 200); do [[ -S $SOFTWIRE_SOCKET ]] && break; sleep 0.05; done
sed 's/^<[0-9]>/  /' "$LAB_DIR/softwired.log"

echo "== softwire profiles add, then the password into a keychain (Secret Service), then connect"
"$softwire" profiles add "$profile"
keyring="$LAB_DIR/keyring"
mkdir -p "$keyring/run" "$keyring/data"
chmod 700 "$keyring/run"
# shellcheck disable=SC2016 # $0 and $1 belong to the inner shell
HOME="$keyring" XDG_RUNTIME_DIR="$keyring/run" XDG_DATA_HOME="$keyring/data" \
    dbus-run-session -- sh -c '
        echo -n demo | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        "$0" password set Office --from-file "$1" && "$0" connect Office' \
    "$softwire" "$LAB_EAP_PASSWORD_FILE"
stop_keyring

echo "== ping the site over inner IPv6 and IPv4"
"${lab[@]}" exec hotspot ping -6 -c 3 -i 0.3 "$LAB_SITE_ADDR6"
"${lab[@]}" exec hotspot ping -c 3 -i 0.3 "$LAB_SITE_ADDR4"

echo "== softwire status"
sleep 1.1
"$softwire" status

echo "== softwire logs"
"$softwire" logs -n 5

echo "== softwire disconnect"
"$softwire" disconnect
kill -TERM "$service"
wait "$service" || true
service=""

echo "== connect times (first IKE message to tunnel up), softwire and strongSwan's client"
state="$LAB_DIR/softwire-state"
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
