# shellcheck shell=bash
# charon instances: the SC (responder, sc namespace) and an optional
# strongSwan client (initiator, hotspot namespace).
#
# charon hard-codes /var/run/charon.pid, so each instance gets a private
# tmpfs /run through unshare. Its vici socket and log live in $LAB_DIR,
# which both the instance and swanctl (run from the root namespace) see.

IKE_PROPOSALS="aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048, aes128-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp2048"
ESP_NOPFS="aes128gcm16-aes256gcm16-chacha20poly1305, aes128-aes256-sha256-sha384-sha512"
ESP_PFS="aes128gcm16-aes256gcm16-chacha20poly1305-x25519-ecp256-ecp384-modp2048, aes128-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp2048"
# The SC accepts ESP with and without PFS.
ESP_PROPOSALS="$ESP_NOPFS, $ESP_PFS"

CHARON_ENC_LEVEL="${CHARON_ENC_LEVEL:-2}"

# charon_conf ROLE OUT LOG VICI_URI INSTALL_VIP [EXTRA_SETTINGS] [NET_LEVEL] [ENC_LEVEL]
# EXTRA_SETTINGS: lines inserted into the charon { } section.
charon_conf() {
    render "$LAB_CONF/strongswan.conf.tmpl" "$2" \
        ROLE="$1" LOG_FILE="$3" VICI_URI="$4" INSTALL_VIRTUAL_IP="$5" \
        EXTRA_SETTINGS="${6:-    # (no extra settings)}" NET_LEVEL="${7:-1}" \
        ENC_LEVEL="${8:-$CHARON_ENC_LEVEL}"
}

# charon_start NAME NS CONF LOG VICI_URI
charon_start() {
    local name="$1" ns="$2" conf="$3" logf="$4" uri="$5" i pid
    : >"$logf"
    # shellcheck disable=SC2016 # expanded by the inner sh
    STRONGSWAN_CONF="$conf" spawn "$name" "$ns" "$LAB_DIR/$name.out" \
        unshare --mount --propagation private \
        sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0"' "$CHARON_BIN"
    expect_exe "$name" "$CHARON_BIN" 10 ||
        die "$name did not start: $(tail -5 "$LAB_DIR/$name.out" 2>/dev/null)"
    for ((i = 0; i < 200; i++)); do
        pid="$(pid_of "$name")" ||
            die "$name exited: $(tail -5 "$logf" 2>/dev/null) $(tail -5 "$LAB_DIR/$name.out" 2>/dev/null)"
        if "$SWANCTL_BIN" --stats --uri "$uri" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    die "$name (pid $pid): vici $uri did not answer within 10 s"
}

# ---- SC --------------------------------------------------------------------

# strongswan.conf settings that make the SC demand a COOKIE (RFC 7296 2.6).
# charon 5.9.8 (src/libcharon/network/receiver.c) sends one when the number
# of half-open responder IKE_SAs is >= cookie_threshold before the request
# is counted; 0 switches cookies off. So no setting alone covers the very
# first IKE_SA_INIT: with threshold 1 the lab keeps one half-open IKE_SA
# open (see cookie_prime), and a long half_open_timeout keeps it open. A
# high block_threshold keeps half-open SAs a client abandons from locking
# its address out meanwhile.
sc_cookie_settings() {
    cat <<EOF
    # LAB_SC_COOKIES=1: demand a COOKIE for every IKE_SA_INIT (with the
    # lab's half-open IKE_SA from $OUT_PRIMER_ADDR always present).
    dos_protection = yes
    cookie_threshold = 1
    half_open_timeout = 86400
    block_threshold = 100
EOF
}

# sc_cookies_enabled : the SC runs (or is to run) in cookie mode
sc_cookies_enabled() {
    [[ "$(cat "$LAB_DIR/sc-cookies" 2>/dev/null)" == 1 ]]
}

# LAB_SC_RETRANSMIT=fast: the SC gives up on an unanswered request after
# 1 + 1.4 + 1.96 + 2.74 = 7.1 s (charon waits retransmit_timeout *
# retransmit_base^n after send n, and gives up after retransmit_tries
# retransmissions) instead of 4 + 7.2 + 13 + 23.3 + 42 + 75.6 = 165 s. With
# LAB_SC_DPD=5s the SC so deletes the IKE SA of a client that went silent
# about 12 s (5 s + 7.1 s) after the client's last packet.
sc_retransmit_settings() {
    cat <<EOF
    # LAB_SC_RETRANSMIT=fast: a quick verdict on a silent peer.
    retransmit_tries = 3
    retransmit_timeout = 1.0
    retransmit_base = 1.4
EOF
}

# sc_retransmit_fast : the SC runs (or is to run) with LAB_SC_RETRANSMIT=fast
sc_retransmit_fast() {
    [[ "$(cat "$LAB_DIR/sc-retransmit" 2>/dev/null)" == fast ]]
}

# sc_charon_start : (re)writes the SC's strongswan.conf for the current
# cookie and retransmission modes, starts its charon and loads its
# connections.
sc_charon_start() {
    local extra="" net_level=1
    if sc_cookies_enabled; then
        extra="$(sc_cookie_settings)"
        net_level=2
    fi
    if sc_retransmit_fast; then
        extra="${extra:+$extra$'\n'}$(sc_retransmit_settings)"
    fi
    charon_conf sc "$LAB_DIR/strongswan.conf" "$LAB_DIR/charon.log" "$SC_VICI_URI" no \
        "${extra:-    # (no extra settings)}" "$net_level"
    charon_start charon "$NS_SC" "$LAB_DIR/strongswan.conf" "$LAB_DIR/charon.log" "$SC_VICI_URI"
    sc_swanctl --load-all --noprompt >"$LAB_DIR/load-all.log" 2>&1 ||
        die "swanctl --load-all failed: $(cat "$LAB_DIR/load-all.log")"
    if sc_cookies_enabled; then
        cookie_prime
    fi
}

# yes_no NAME VALUE DEFAULT : 1/yes -> yes, 0/no -> no, empty -> DEFAULT
yes_no() {
    case "${2:-$3}" in
        1 | yes) echo yes ;;
        0 | no) echo no ;;
        *) die "$1 must be 0 or 1, got '$2'" ;;
    esac
}

sc_up() {
    local sw="$LAB_DIR/swanctl" mobike child_rand child_life
    mobike="$(yes_no LAB_SC_MOBIKE "${LAB_SC_MOBIKE:-}" yes)"
    # The SC's CHILD_SA rekey comes up to rand_time before rekey_time, at
    # random; strongSwan's default is over_time, a tenth of rekey_time.
    if [[ -n "${LAB_SC_CHILD_RAND:-}" ]]; then
        [[ "$LAB_SC_CHILD_RAND" =~ ^[0-9]{1,6}[smh]?$ ]] ||
            die "LAB_SC_CHILD_RAND must be a time like 0s or 3s, got '$LAB_SC_CHILD_RAND'"
        child_rand="rand_time = $LAB_SC_CHILD_RAND"
    else
        child_rand="# rand_time: strongSwan's default (a tenth of rekey_time)"
    fi
    # The hard lifetime: the SA is gone then, rekeyed or not (strongSwan's
    # default is rekey_time plus a tenth).
    if [[ -n "${LAB_SC_CHILD_LIFE:-}" ]]; then
        [[ "$LAB_SC_CHILD_LIFE" =~ ^[0-9]{1,6}[smh]?$ ]] ||
            die "LAB_SC_CHILD_LIFE must be a time like 30s, got '$LAB_SC_CHILD_LIFE'"
        child_life="life_time = $LAB_SC_CHILD_LIFE"
    else
        child_life="# life_time: strongSwan's default (rekey_time plus a tenth)"
    fi
    case "${LAB_SC_RETRANSMIT:-default}" in
        fast | default) echo "${LAB_SC_RETRANSMIT:-default}" >"$LAB_DIR/sc-retransmit" ;;
        *) die "LAB_SC_RETRANSMIT must be fast or default, got '$LAB_SC_RETRANSMIT'" ;;
    esac
    mkdir -p "$sw"/{x509,x509ca,x509aa,x509ocsp,x509crl,x509ac,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
    chmod 700 "$sw/private"
    cp "$PKI_DIR/ca.crt.pem" "$sw/x509ca/"
    cp "$PKI_DIR/sc.crt.pem" "$sw/x509/"
    cp "$PKI_DIR/sc.key.pem" "$sw/private/"

    render "$LAB_CONF/sc-swanctl.conf.tmpl" "$sw/swanctl.conf" \
        SC_ADDR="$OUT_SC_ADDR" SC_ID="$SC_ID" PSK_CLIENT_ID="$PSK_CLIENT_ID" \
        EAP_ID_PATTERN="$EAP_ID_PATTERN" EAP_USER="$EAP_USER" CLIENT_ID="$CLIENT_ID" \
        IKE_PROPOSALS="$IKE_PROPOSALS" ESP_PROPOSALS="$ESP_PROPOSALS" \
        CHILD_REKEY="${LAB_SC_CHILD_REKEY:-1h}" IKE_REKEY="${LAB_SC_IKE_REKEY:-4h}" \
        SC_DPD="${LAB_SC_DPD:-30s}" SC_MOBIKE="$mobike" CHILD_RAND="$child_rand" \
        CHILD_LIFE="$child_life" \
        SITE_NET4="$SITE_NET4" SITE_NET6="$SITE_NET6" \
        POOL4="$POOL4" POOL6="$POOL6" DNS4="$DNS4" DNS6="$DNS6" \
        PSK="$(<"$LAB_DIR/psk")" EAP_PASSWORD="$(<"$LAB_DIR/eap-password")"
    chmod 600 "$sw/swanctl.conf"

    sc_charon_start
}

# sc_swanctl COMMAND [ARGS...] : swanctl against the SC's vici socket
sc_swanctl() {
    local cmd="${1:---help}"
    shift || true
    SWANCTL_DIR="$LAB_DIR/swanctl" "$SWANCTL_BIN" "$cmd" --uri "$SC_VICI_URI" "$@"
}

# ---- strongSwan client ------------------------------------------------------

# client_swanctl COMMAND [ARGS...] : swanctl against the client's vici socket
client_swanctl() {
    local cmd="${1:---help}"
    shift || true
    SWANCTL_DIR="$CLIENT_DIR/swanctl" "$SWANCTL_BIN" "$cmd" --uri "$CLIENT_VICI_URI" "$@"
}

client_up() {
    ns_exists "$NS_HOT" || die "lab is not up (run: lab.sh up)"
    if pid_of client-charon >/dev/null; then
        log "strongSwan client already running"
        echo "client_vici_uri=$CLIENT_VICI_URI"
        echo "client_log=$CLIENT_DIR/charon.log"
        return 0
    fi
    local sw="$CLIENT_DIR/swanctl" esp
    mkdir -p "$sw"/{x509,x509ca,x509aa,x509ocsp,x509crl,x509ac,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
    chmod 700 "$CLIENT_DIR" "$sw/private"
    cp "$PKI_DIR/ca.crt.pem" "$sw/x509ca/"
    cp "$PKI_DIR/client.crt.pem" "$sw/x509/"
    cp "$PKI_DIR/client.key.pem" "$sw/private/"
    case "${SW_CLIENT_PFS:-no}" in
        yes | 1) esp="$ESP_PFS" ;;
        *) esp="$ESP_NOPFS" ;;
    esac

    render "$LAB_CONF/client-swanctl.conf.tmpl" "$sw/swanctl.conf" \
        SC_ADDR="${SW_CLIENT_REMOTE_ADDR:-$OUT_SC_ADDR}" SC_ID="${SW_CLIENT_REMOTE_ID:-$SC_ID}" \
        PSK_CLIENT_ID="$PSK_CLIENT_ID" \
        EAP_USER="$EAP_USER" CLIENT_ID="$CLIENT_ID" \
        IKE_PROPOSALS="${SW_CLIENT_PROPOSALS:-$IKE_PROPOSALS}" \
        CLIENT_ESP_PROPOSALS="${SW_CLIENT_ESP_PROPOSALS:-$esp}" \
        CLIENT_VIPS="${SW_CLIENT_VIPS:-0.0.0.0, ::}" \
        CLIENT_REMOTE_TS="${SW_CLIENT_REMOTE_TS:-0.0.0.0/0, ::/0}" \
        CLIENT_DPD="${SW_CLIENT_DPD:-0s}" \
        PSK="$(<"$LAB_DIR/psk")" EAP_PASSWORD="$(<"$LAB_DIR/eap-password")"
    chmod 600 "$sw/swanctl.conf"

    charon_conf client "$CLIENT_DIR/strongswan.conf" "$CLIENT_DIR/charon.log" "$CLIENT_VICI_URI" yes
    charon_start client-charon "$NS_HOT" "$CLIENT_DIR/strongswan.conf" \
        "$CLIENT_DIR/charon.log" "$CLIENT_VICI_URI"
    client_swanctl --load-all --noprompt >"$CLIENT_DIR/load-all.log" 2>&1 ||
        die "client swanctl --load-all failed: $(cat "$CLIENT_DIR/load-all.log")"
    echo "client_vici_uri=$CLIENT_VICI_URI"
    echo "client_log=$CLIENT_DIR/charon.log"
}

client_down() {
    stop_proc client-charon
}
