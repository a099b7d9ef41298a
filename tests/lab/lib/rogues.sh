# shellcheck shell=bash
# Rogue responders (opt-in): two more strongSwan charons on the internet
# segment, reached from the hotspot through the NAT like the real SC.
#
#   rogue-identity  198.51.100.66  lab-CA certificate for rogue.example.net
#   rogue-ca        198.51.100.67  "Rogue CA" certificate for sc.example.net
#
# Each runs in its own namespace (<id>-rid, <id>-rca), started like the SC's
# charon (private /run, own strongswan.conf, vici socket and log under
# $LAB_DIR/<name>/). Both know the EAP password (and rogue-identity the
# PSK): their logs show whether a client handed its secret over.

ROGUE_NAMES=(rogue-identity rogue-ca)

# rogue_var NAME FIELD : per-rogue constants
rogue_var() {
    case "$1:$2" in
        rogue-identity:ns) echo "$NS_RID" ;;
        rogue-identity:addr) echo "$OUT_ROGUE_ID_ADDR" ;;
        rogue-identity:port) echo rogue-id ;;
        rogue-identity:link) echo 5 ;;
        rogue-identity:id) echo "$ROGUE_ID" ;;
        rogue-identity:conns) echo "eap,eap-as-sc,psk" ;;
        rogue-identity:key) echo ROGUE_IDENTITY ;;
        rogue-ca:ns) echo "$NS_RCA" ;;
        rogue-ca:addr) echo "$OUT_ROGUE_CA_ADDR" ;;
        rogue-ca:port) echo rogue-ca ;;
        rogue-ca:link) echo 6 ;;
        rogue-ca:id) echo "$SC_ID" ;;
        rogue-ca:conns) echo "eap" ;;
        rogue-ca:key) echo ROGUE_CA ;;
        *) die "unknown rogue '$1' (rogues: ${ROGUE_NAMES[*]})" ;;
    esac
}

rogue_dir() { echo "$LAB_DIR/$1"; }
rogue_vici_uri() { echo "unix://$LAB_DIR/$1/charon.vici"; }

# rogues_running : both rogue charons run
rogues_running() {
    local r
    for r in "${ROGUE_NAMES[@]}"; do
        pid_of "$r-charon" >/dev/null || return 1
    done
}

# rogue_swanctl NAME COMMAND [ARGS...]
rogue_swanctl() {
    local name="${1:?usage: rogues swanctl NAME COMMAND [ARGS...]}" cmd
    rogue_var "$name" ns >/dev/null
    cmd="${2:---help}"
    shift 2 || shift $#
    SWANCTL_DIR="$(rogue_dir "$name")/swanctl" "$SWANCTL_BIN" "$cmd" \
        --uri "$(rogue_vici_uri "$name")" "$@"
}

# rogue_start NAME : namespace, configuration and charon of one rogue
rogue_start() {
    local name="$1" dir sw ns addr
    dir="$(rogue_dir "$name")"
    sw="$dir/swanctl"
    ns="$(rogue_var "$name" ns)"
    addr="$(rogue_var "$name" addr)"

    net_rogue_up "$ns" "$(rogue_var "$name" port)" "$(rogue_var "$name" link)" "$addr"

    mkdir -p "$sw"/{x509,x509ca,x509aa,x509ocsp,x509crl,x509ac,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
    chmod 700 "$dir" "$sw/private"
    if [[ "$name" == rogue-ca ]]; then
        cp "$PKI_DIR/rogue-ca-ca.crt.pem" "$sw/x509ca/"
    else
        cp "$PKI_DIR/ca.crt.pem" "$sw/x509ca/"
    fi
    cp "$PKI_DIR/$name.crt.pem" "$sw/x509/rogue.crt.pem"
    cp "$PKI_DIR/$name.key.pem" "$sw/private/rogue.key.pem"

    render "$LAB_CONF/$name-swanctl.conf.tmpl" "$sw/swanctl.conf" \
        ROGUE_ADDR="$addr" ROGUE_ID="$ROGUE_ID" SC_ID="$SC_ID" \
        PSK_CLIENT_ID="$PSK_CLIENT_ID" EAP_ID_PATTERN="$EAP_ID_PATTERN" EAP_USER="$EAP_USER" \
        IKE_PROPOSALS="$IKE_PROPOSALS" ESP_PROPOSALS="$ESP_PROPOSALS" \
        SITE_NET4="$SITE_NET4" SITE_NET6="$SITE_NET6" \
        POOL4="$POOL4" POOL6="$POOL6" DNS4="$DNS4" DNS6="$DNS6" \
        PSK="$(<"$LAB_DIR/psk")" EAP_PASSWORD="$(<"$LAB_DIR/eap-password")"
    chmod 600 "$sw/swanctl.conf"

    # Log levels fixed (ike/cfg 2, enc 1), whatever CHARON_ENC_LEVEL says:
    # tests read "parsed IKE_AUTH request N [ ... EAP/RES/... ]" and
    # "authentication of '...' with EAP successful" from these logs.
    charon_conf "$name" "$dir/strongswan.conf" "$dir/charon.log" "$(rogue_vici_uri "$name")" no \
        "    # rogue responder $name" 1 1
    charon_start "$name-charon" "$ns" "$dir/strongswan.conf" "$dir/charon.log" \
        "$(rogue_vici_uri "$name")"
    rogue_swanctl "$name" --load-all --noprompt >"$dir/load-all.log" 2>&1 ||
        die "$name: swanctl --load-all failed: $(cat "$dir/load-all.log")"
}

# rogues_up : start both rogues (idempotent: restarts them if running)
rogues_up() {
    ns_exists "$NS_INET" || die "lab is not up (run: lab.sh up)"
    rogues_down
    pki_rogues_up
    local r
    for r in "${ROGUE_NAMES[@]}"; do
        rogue_start "$r"
    done
}

# rogues_down : stop the rogue charons (by recorded PID), remove their
# namespaces and directories; the rest of the lab stays up.
rogues_down() {
    local r ns
    for r in "${ROGUE_NAMES[@]}"; do
        [[ -d "$PID_DIR" ]] && stop_proc "$r-charon"
        ns="$(rogue_var "$r" ns)"
        net_ns_remove "$ns"
        if ns_exists "$NS_INET"; then
            nsx "$NS_INET" ip link delete "$(rogue_var "$r" port)" >/dev/null 2>&1 || true
        fi
        rm -rf "$(rogue_dir "$r")"
        # A restarted rogue has a new MAC address: forget the old one.
        if ns_exists "$NS_NAT"; then
            nsx "$NS_NAT" ip neigh flush to "$(rogue_var "$r" addr)" >/dev/null 2>&1 || true
        fi
    done
}

# rogues_env : KEY=value lines of the running rogues
rogues_env() {
    local r k dir
    for r in "${ROGUE_NAMES[@]}"; do
        k="LAB_$(rogue_var "$r" key)"
        dir="$(rogue_dir "$r")"
        cat <<EOF
LAB_NS_$(rogue_var "$r" key)=$(rogue_var "$r" ns)
${k}_ADDR=$(rogue_var "$r" addr)
${k}_ID=$(rogue_var "$r" id)
${k}_CERT_PEM=$PKI_DIR/$r.crt.pem
${k}_CERT_DER=$PKI_DIR/$r.crt.der
${k}_CONNS=$(rogue_var "$r" conns)
${k}_LOG=$dir/charon.log
${k}_VICI_URI=$(rogue_vici_uri "$r")
${k}_VICI_SOCKET=$dir/charon.vici
${k}_SWANCTL_DIR=$dir/swanctl
${k}_PID=$(<"$PID_DIR/$r-charon.pid")
EOF
    done
    echo "LAB_ROGUE_CA_CA_CERT_PEM=$PKI_DIR/rogue-ca-ca.crt.pem"
    echo "LAB_ROGUE_CA_CA_CERT_DER=$PKI_DIR/rogue-ca-ca.crt.der"
}
