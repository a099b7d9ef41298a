#!/usr/bin/env bash
# The Softwire demo, as root on Debian: builds the client, brings up the
# lab (a hotspot behind a NAT, a strongSwan SC, a site behind it), shows
# strongSwan ready, probes the SC with our IKE_SA_INIT from the hotspot, and
# tears everything down again, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== building softwire"
cargo build --quiet --bin softwire
softwire="$PWD/target/debug/softwire"

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

echo "== tearing the lab down"
"${lab[@]}" down
trap - EXIT
echo "demo finished"
