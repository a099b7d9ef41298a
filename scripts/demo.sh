#!/usr/bin/env bash
# The Softwire demo, as root on Debian: builds the client, brings up the
# lab (a hotspot behind a NAT, a strongSwan SC, a site behind it), shows
# strongSwan ready, probes the SC with our IKE_SA_INIT from the hotspot,
# authenticates with EAP-MSCHAPv2 (the SC proven by its certificate first)
# and shows the SAs on both sides, then tears everything down again, also
# when interrupted. (The tunnel itself, ESP over TUN, is the next step.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== building softwire"
cargo build --quiet --bin softwire --bin lab-connect
softwire="$PWD/target/debug/softwire"
connect="$PWD/target/debug/lab-connect"

export LAB_ID="${LAB_ID:-demo}"
lab=(bash tests/lab/lab.sh)
trap '"${lab[@]}" down >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT TERM

echo "== bringing the lab up (LAB_ID=$LAB_ID)"
"${lab[@]}" up >/dev/null
echo "== strongSwan on the SC"
"${lab[@]}" status

echo "== softwire probe, from the hotspot, through the NAT"
"${lab[@]}" exec hotspot "$softwire" probe 198.51.100.1

echo "== the SC saw us:"
grep -E "received packet|IKE_SA_INIT|NAT" "$("${lab[@]}" dir)/charon.log" | tail -n 4 || true

# shellcheck disable=SC1091
. "$("${lab[@]}" dir)/env"
echo "== connecting with EAP-MSCHAPv2 as $LAB_EAP_ID (SC certificate checked first)"
"${lab[@]}" exec hotspot "$connect" "$LAB_SC_ADDR" eap "$LAB_EAP_ID" "$LAB_SC_ID" \
    "$LAB_EAP_PASSWORD_FILE" --ca "$LAB_CA_CERT_DER" --hold 1 &
client=$!
sleep 0.5
echo "== the SAs as strongSwan sees them while we are connected"
"${lab[@]}" swanctl --list-sas
wait "$client"

echo "== tearing the lab down"
"${lab[@]}" down
trap - EXIT
echo "demo finished"
