#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Softwire test lab: a hotspot behind a NAT, a strongSwan SC and a site
# network, each in its own network namespace. See tests/lab/README.md.
#
# usage: lab.sh up | down | status | env
#        lab.sh exec ROLE CMD...          (roles: hotspot, nat, inet, sc, site,
#                                          rogue-identity, rogue-ca)
#        lab.sh swanctl COMMAND [ARGS...] (against the SC)
#        lab.sh capture start ROLE [IFACE] [NAME] | stop [NAME] | list
#                       | summary NAME [MAX_OTHER]
#        lab.sh sw-client up | initiate CONN | terminate CONN | status
#                         | swanctl COMMAND [ARGS...] | down
#        lab.sh rogues up | down | env | swanctl NAME COMMAND [ARGS...]
#        lab.sh site-services up | down | env | status
#        lab.sh snapshot ROLE             (normalized addresses, routes, rules,
#                                          nft ruleset and resolv.conf)
#        lab.sh sc-cookies on | off       (restarts the SC's charon)
#        lab.sh drop-ike-auth N | off | status ; lab.sh drop-ike-auth-count
#        lab.sh block-sc on | off | status
#        lab.sh drop-keepalives on | off
#        lab.sh drop-create-child hotspot|sc N | off ; lab.sh drop-create-child status
#                                         (the NAT drops the first N CREATE_CHILD_SA
#                                          requests of one side)
#        lab.sh hotspot-readdress ADDR    (the hotspot renumbers in 192.0.2.0/24: old
#                                          address and its routes gone, default route back)
#        lab.sh nat-readdress ADDR        (the NAT's public address becomes ADDR in
#                                          198.51.100.0/24; its old mappings are dropped)
#        lab.sh sc-restart                (kill -9 the SC's charon, start it again)
#        lab.sh discovery dns | dhcp [CODE] | aftr | rogue | junk dns|dhcp4 MODE
#                         | silent | off | env
#                                         (the hotspot's DNS/DHCP hand out the SC:
#                                          see README "Discovery scenarios")
#        lab.sh dir                       (prints LAB_DIR)
#        lab.sh down-prefix PREFIX        (removes every lab whose id starts with PREFIX)
# env:   LAB_ID (default sw0), LAB_DIR (default /tmp/softwire-lab-$LAB_ID),
#        SC_KEY_TYPE / CLIENT_KEY_TYPE (rsa|ecdsa), LAB_KEEP_DIR=1,
#        LAB_ROGUES=1 (up starts the rogues), LAB_SC_COOKIES=1 (SC demands cookies),
#        LAB_SITE_SERVICES=0 (up skips iperf3/echo/HTTP on the site host),
#        LAB_OUTER=ipv4|ipv6 (the hotspot-NAT-internet-SC path; default ipv4),
#        LAB_NAT66=1 (with LAB_OUTER=ipv6: the NAT masquerades instead of routing),
#        LAB_SC_CHILD_REKEY=20s (the SC rekeys CHILD_SAs after this; default 1h),
#        LAB_SC_IKE_REKEY=45s (the SC rekeys its IKE SAs after this; default 4h),
#        LAB_SC_DPD=0s (the SC's liveness checks; default 30s),
#        LAB_SC_CHILD_RAND=0s (the SC's CHILD_SA rekey jitter; default a tenth of
#                              LAB_SC_CHILD_REKEY),
#        LAB_SC_CHILD_LIFE=30s (the SC's CHILD_SA hard lifetime; default
#                              LAB_SC_CHILD_REKEY plus a tenth),
#        LAB_SC_MOBIKE=0 (the SC's connections without MOBIKE; default 1),
#        LAB_SC_RETRANSMIT=fast (the SC gives up on a silent peer after 7.1 s of
#                                retransmissions instead of 165 s),
#        SW_CLIENT_DPD=30s (sw-client up: the strongSwan client's dpd_delay;
#                           default 0s, none),
#        LAB_NAT_UDP_TIMEOUT=30 (seconds the NAT keeps an idle UDP mapping),
#        LAB_NAT_RANDOM_PORTS=1 (each new NAT mapping gets a random port),
#        LAB_NAT_DROP_FRAGMENTS=1 (the NAT drops IPv4 fragments),
#        LAB_RSA_BITS=4096 (RSA key size of the lab's certificates; default 2048),
#        CAPTURE_FILTER (capture start; '' = everything)
set -euo pipefail

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_CONF="$LAB_ROOT/conf"
# shellcheck source=lib/common.sh
. "$LAB_ROOT/lib/common.sh"
# shellcheck source=lib/net.sh
. "$LAB_ROOT/lib/net.sh"
# shellcheck source=lib/pki.sh
. "$LAB_ROOT/lib/pki.sh"
# shellcheck source=lib/charon.sh
. "$LAB_ROOT/lib/charon.sh"
# shellcheck source=lib/capture.sh
. "$LAB_ROOT/lib/capture.sh"
# shellcheck source=lib/rogues.sh
. "$LAB_ROOT/lib/rogues.sh"
# shellcheck source=lib/faults.sh
. "$LAB_ROOT/lib/faults.sh"
# shellcheck source=lib/services.sh
. "$LAB_ROOT/lib/services.sh"
# shellcheck source=lib/snapshot.sh
. "$LAB_ROOT/lib/snapshot.sh"
# shellcheck source=lib/roam.sh
. "$LAB_ROOT/lib/roam.sh"
# shellcheck source=lib/discovery.sh
. "$LAB_ROOT/lib/discovery.sh"

LAB_MARKER="$LAB_DIR/.softwire-lab"

usage() {
    # the comment block at the top, from "usage:" on
    awk '/^# usage:/ { on = 1 } on && !/^#/ { exit } on { sub(/^# ?/, ""); print }' \
        "${BASH_SOURCE[0]}" >&2
    exit 2
}

check_tools() {
    local t missing=()
    for t in ip nft tcpdump dnsmasq pki openssl unshare setsid "$CHARON_BIN" "$SWANCTL_BIN"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (run tests/lab/install-deps.sh)"
}

lab_exists() {
    local ns
    for ns in "${LAB_ALL_NS[@]}"; do
        ns_exists "$ns" && return 0
        [[ -d "/etc/netns/$ns" ]] && return 0
    done
    [[ -e "$LAB_MARKER" ]]
}

write_env() {
    local f="$LAB_DIR/env"
    cat >"$f" <<EOF
LAB_ID=$LAB_ID
LAB_DIR=$LAB_DIR
LAB_NS_HOTSPOT=$NS_HOT
LAB_NS_NAT=$NS_NAT
LAB_NS_SC=$NS_SC
LAB_NS_SITE=$NS_SITE
LAB_HOTSPOT_ADDR=$OUT_HOT_ADDR
LAB_HOTSPOT_GW=$OUT_NAT_IN_ADDR
LAB_HOTSPOT_DNS=$OUT_NAT_IN_ADDR
LAB_NAT_INSIDE_ADDR=$OUT_NAT_IN_ADDR
LAB_NAT_PUBLIC_ADDR=$OUT_NAT_OUT_ADDR
LAB_SC_ADDR=$OUT_SC_ADDR
LAB_SC_SITE_ADDR4=$SC_SITE_ADDR4
LAB_SC_SITE_ADDR6=$SC_SITE_ADDR6
LAB_SITE_ADDR4=$SITE_ADDR4
LAB_SITE_ADDR6=$SITE_ADDR6
LAB_SITE_NET4=$SITE_NET4
LAB_SITE_NET6=$SITE_NET6
LAB_DNS4=$DNS4
LAB_DNS6=$DNS6
LAB_POOL4=$POOL4
LAB_POOL6=$POOL6
LAB_SC_ID=$SC_ID
LAB_SC_KEY_TYPE=$SC_KEY_TYPE
LAB_SC_CERT_PEM=$PKI_DIR/sc.crt.pem
LAB_SC_CERT_DER=$PKI_DIR/sc.crt.der
LAB_CA_CERT_PEM=$PKI_DIR/ca.crt.pem
LAB_CA_CERT_DER=$PKI_DIR/ca.crt.der
LAB_CLIENT_ID=$CLIENT_ID
LAB_CLIENT_KEY_TYPE=$CLIENT_KEY_TYPE
LAB_CLIENT_CERT_PEM=$PKI_DIR/client.crt.pem
LAB_CLIENT_CERT_DER=$PKI_DIR/client.crt.der
LAB_CLIENT_KEY_PEM=$PKI_DIR/client.key.pem
LAB_CLIENT_KEY_DER=$PKI_DIR/client.key.der
LAB_PSK_ID=$PSK_CLIENT_ID
LAB_PSK_FILE=$LAB_DIR/psk
LAB_EAP_ID=$EAP_USER
LAB_EAP_PASSWORD_FILE=$LAB_DIR/eap-password
LAB_CONNS=psk,eap,cert
LAB_VICI_URI=$SC_VICI_URI
LAB_VICI_SOCKET=$SC_VICI_SOCK
LAB_SWANCTL_DIR=$LAB_DIR/swanctl
LAB_CHARON_LOG=$LAB_DIR/charon.log
LAB_CHARON_PID=$(<"$PID_DIR/charon.pid")
LAB_CAPTURE_DIR=$CAPTURE_DIR
LAB_NS_INET=$NS_INET
LAB_SC_COOKIES=$(sc_cookies_enabled && echo 1 || echo 0)
LAB_COOKIE_PRIMER_ADDR=$OUT_PRIMER_ADDR
LAB_ROGUES=$(rogues_running && echo 1 || echo 0)
LAB_OUTER=$OUTER
LAB_SITE_SERVICES=$(site_services_running && echo 1 || echo 0)
EOF
    if [[ "$OUTER" == ipv6 ]]; then
        cat >>"$f" <<EOF
LAB_HOTSPOT_ADDR6=$HOT_ADDR6
LAB_NAT_INSIDE_ADDR6=$NAT_IN_ADDR6
LAB_NAT_PUBLIC_ADDR6=$NAT_OUT_ADDR6
LAB_SC_ADDR6=$SC_OUT_ADDR6
LAB_NAT66=$(nat66_enabled && echo 1 || echo 0)
EOF
    fi
    if rogues_running; then
        rogues_env >>"$f"
    fi
    if site_services_running; then
        site_services_env >>"$f"
    fi
}

lab_down() {
    if [[ -d "$PID_DIR" ]]; then
        stop_proc client-charon
        capture_stop >/dev/null
        site_services_down
        stop_proc rogue-identity-charon
        stop_proc rogue-ca-charon
        stop_proc charon
        stop_proc dnsmasq-nat
        stop_proc dnsmasq-site
    fi
    net_down
    if [[ -e "$LAB_MARKER" && "${LAB_KEEP_DIR:-0}" != 1 ]]; then
        rm -rf "$LAB_DIR"
    fi
}

on_up_failure() {
    local rc=$?
    trap - EXIT INT TERM
    log "up failed (exit $rc), tearing down"
    if [[ -s "$LAB_DIR/charon.log" ]]; then
        log "last lines of $LAB_DIR/charon.log:"
        tail -n 15 "$LAB_DIR/charon.log" >&2 || true
    fi
    lab_down || true
    exit "$rc"
}

lab_up() {
    check_tools
    if lab_exists; then
        log "lab $LAB_ID exists, tearing it down first"
        lab_down
    fi
    if [[ -e "$LAB_DIR" && -n "$(ls -A "$LAB_DIR" 2>/dev/null)" ]]; then
        die "$LAB_DIR exists and is not a lab directory; refusing to use it"
    fi
    trap on_up_failure EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    mkdir -p "$LAB_DIR" "$PID_DIR"
    chmod 700 "$LAB_DIR"
    touch "$LAB_MARKER"

    # The outer path's family, kept for the later subcommands.
    outer_init "${LAB_OUTER:-ipv4}"
    echo "$OUTER" >"$LAB_DIR/outer"
    case "${LAB_NAT66:-0}" in
        1 | yes)
            [[ "$OUTER" == ipv6 ]] || die "LAB_NAT66=1 needs LAB_OUTER=ipv6"
            echo 1 >"$LAB_DIR/nat66"
            ;;
        0 | no | "") echo 0 >"$LAB_DIR/nat66" ;;
        *) die "LAB_NAT66 must be 0 or 1, got '$LAB_NAT66'" ;;
    esac

    case "${LAB_SC_COOKIES:-0}" in
        1 | yes) echo 1 >"$LAB_DIR/sc-cookies" ;;
        0 | no | "") echo 0 >"$LAB_DIR/sc-cookies" ;;
        *) die "LAB_SC_COOKIES must be 0 or 1, got '$LAB_SC_COOKIES'" ;;
    esac
    random_token 32 >"$LAB_DIR/psk"
    random_token 20 >"$LAB_DIR/eap-password"
    chmod 600 "$LAB_DIR/psk" "$LAB_DIR/eap-password"

    pki_up
    net_up
    net_dns_up
    sc_up
    case "${LAB_ROGUES:-0}" in
        1 | yes) rogues_up ;;
        0 | no | "") ;;
        *) die "LAB_ROGUES must be 0 or 1, got '$LAB_ROGUES'" ;;
    esac
    case "${LAB_SITE_SERVICES:-1}" in
        1 | yes) site_services_up ;;
        0 | no | "") ;;
        *) die "LAB_SITE_SERVICES must be 0 or 1, got '$LAB_SITE_SERVICES'" ;;
    esac
    write_env

    trap - EXIT INT TERM
    cat "$LAB_DIR/env"
}

lab_status() {
    ns_exists "$NS_SC" || die "lab $LAB_ID is not up"
    local pid
    pid="$(pid_of charon)" || die "charon is not running"
    echo "== lab $LAB_ID: charon pid $pid, vici $SC_VICI_URI, outer $OUTER (SC $OUT_SC_ADDR)"
    echo "== connections"
    sc_swanctl --list-conns
    echo "== security associations"
    sc_swanctl --list-sas
    echo "== cookies: $(sc_cookies_enabled && echo on || echo off)"
    if nsx "$NS_NAT" nft list table "$NFT_FAMILY" lab_faults >/dev/null 2>&1; then
        echo "== faults"
        block_sc status
        drop_ike_auth_status
    fi
    local r
    for r in "${ROGUE_NAMES[@]}"; do
        if pid="$(pid_of "$r-charon")"; then
            echo "== $r: charon pid $pid, vici $(rogue_vici_uri "$r")"
        fi
    done
    if site_services_running; then
        echo "== site services"
        site_services_status
    fi
}

cmd_sw_client() {
    local sub="${1:-}"
    shift || true
    case "$sub" in
        up) client_up ;;
        down) client_down ;;
        initiate)
            local conn="${1:?usage: sw-client initiate CONN}"
            client_swanctl --initiate --ike "$conn" --child "$conn" \
                --timeout "${SW_CLIENT_TIMEOUT:-30}"
            ;;
        terminate)
            local conn="${1:?usage: sw-client terminate CONN}"
            client_swanctl --terminate --ike "$conn" --timeout "${SW_CLIENT_TIMEOUT:-30}"
            ;;
        status)
            client_swanctl --list-sas
            ;;
        swanctl) client_swanctl "$@" ;;
        *) usage ;;
    esac
}

cmd_capture() {
    local sub="${1:-}"
    shift || true
    case "$sub" in
        start) capture_start "$@" ;;
        stop) capture_stop "$@" ;;
        list) capture_list ;;
        summary) capture_summary "$@" ;;
        *) usage ;;
    esac
}

on_rogues_failure() {
    local rc=$?
    trap - EXIT INT TERM
    log "rogues up failed (exit $rc), removing the rogues"
    rogues_down || true
    write_env || true
    exit "$rc"
}

# rogues up|down|env|swanctl NAME COMMAND [ARGS...]
cmd_rogues() {
    local sub="${1:-}"
    shift || true
    case "$sub" in
        up)
            ns_exists "$NS_INET" || die "lab $LAB_ID is not up"
            trap on_rogues_failure EXIT
            trap 'exit 130' INT
            trap 'exit 143' TERM
            rogues_up
            write_env
            trap - EXIT INT TERM
            echo "LAB_ROGUES=1"
            rogues_env
            ;;
        down)
            rogues_down
            if [[ -s "$LAB_DIR/env" ]]; then write_env; fi
            echo "LAB_ROGUES=0"
            ;;
        env)
            rogues_running || die "the rogues are not running (lab.sh rogues up)"
            rogues_env
            ;;
        swanctl) rogue_swanctl "$@" ;;
        *) usage ;;
    esac
}

on_site_services_failure() {
    local rc=$?
    trap - EXIT INT TERM
    log "site-services up failed (exit $rc), stopping them"
    site_services_down || true
    write_env || true
    exit "$rc"
}

# site-services up|down|env|status
cmd_site_services() {
    local sub="${1:-}"
    shift || true
    case "$sub" in
        up)
            ns_exists "$NS_SITE" || die "lab $LAB_ID is not up"
            trap on_site_services_failure EXIT
            trap 'exit 130' INT
            trap 'exit 143' TERM
            site_services_up
            write_env
            trap - EXIT INT TERM
            echo "LAB_SITE_SERVICES=1"
            site_services_env
            ;;
        down)
            site_services_down
            if [[ -s "$LAB_DIR/env" ]]; then write_env; fi
            echo "LAB_SITE_SERVICES=0"
            ;;
        env)
            site_services_running || die "the site services are not running (lab.sh site-services up)"
            site_services_env
            ;;
        status) site_services_status ;;
        *) usage ;;
    esac
}

# sc-cookies on|off : restart the SC's charon with or without cookies
cmd_sc_cookies() {
    local mode="${1:-}"
    case "$mode" in
        on) mode=1 ;;
        off) mode=0 ;;
        *) usage ;;
    esac
    ns_exists "$NS_SC" || die "lab $LAB_ID is not up"
    echo "$mode" >"$LAB_DIR/sc-cookies"
    stop_proc charon
    sc_charon_start
    write_env
    echo "LAB_SC_COOKIES=$mode"
    echo "LAB_CHARON_PID=$(<"$PID_DIR/charon.pid")"
}

cmd_drop_ike_auth() {
    case "${1:-}" in
        status) drop_ike_auth_status ;;
        "") usage ;;
        *) drop_ike_auth "$1" ;;
    esac
}

# Tears down every lab whose id starts with PREFIX (what a killed test run
# left behind); each lab is removed by its own `down`, so only processes
# recorded by that lab are stopped.
down_prefix() {
    local prefix="${1:?usage: down-prefix PREFIX}" ns id
    [[ "$prefix" =~ ^[a-z0-9]{1,8}$ ]] || die "bad prefix '$prefix'"
    for ns in $(ip netns list | awk '{print $1}'); do
        [[ "$ns" =~ ^(${prefix}[a-z0-9]*)-hot$ ]] || continue
        id="${BASH_REMATCH[1]}"
        log "removing leftover lab $id"
        LAB_ID="$id" LAB_DIR="/tmp/softwire-lab-$id" bash "${BASH_SOURCE[0]}" down || true
    done
}

main() {
    local cmd="${1:-}"
    shift || true
    case "$cmd" in
        up) require_root && lab_up ;;
        down) require_root && lab_down ;;
        status) require_root && lab_status ;;
        dir) echo "$LAB_DIR" ;;
        down-prefix) require_root && down_prefix "$@" ;;
        env)
            [[ -s "$LAB_DIR/env" ]] || die "lab $LAB_ID is not up"
            cat "$LAB_DIR/env"
            ;;
        exec)
            local role="${1:?usage: exec ROLE CMD...}" ns
            shift
            (($# > 0)) || usage
            ns="$(role_ns "$role")"
            ns_exists "$ns" || die "lab $LAB_ID is not up"
            exec ip netns exec "$ns" "$@"
            ;;
        swanctl) sc_swanctl "$@" ;;
        capture) require_root && cmd_capture "$@" ;;
        capture-start) require_root && capture_start "$@" ;;
        capture-stop) require_root && capture_stop "$@" ;;
        sw-client) require_root && cmd_sw_client "$@" ;;
        rogues) require_root && cmd_rogues "$@" ;;
        discovery) require_root && cmd_discovery "$@" ;;
        site-services) require_root && cmd_site_services "$@" ;;
        snapshot) require_root && snapshot "$@" ;;
        sc-cookies) require_root && cmd_sc_cookies "$@" ;;
        drop-ike-auth) require_root && cmd_drop_ike_auth "$@" ;;
        drop-ike-auth-count) require_root && drop_ike_auth_count ;;
        block-sc) require_root && block_sc "$@" ;;
        sc-restart)
            # The SC crashes (SIGKILL: no DELETE sent, all SAs forgotten)
            # and comes back with its configuration.
            require_root
            ns_exists "$NS_SC" || die "lab $LAB_ID is not up"
            stop_proc charon KILL
            sc_charon_start
            echo "LAB_CHARON_PID=$(<"$PID_DIR/charon.pid")"
            ;;
        drop-keepalives) require_root && drop_keepalives "$@" ;;
        drop-create-child) require_root && drop_create_child "$@" ;;
        hotspot-readdress) require_root && hotspot_readdress "$@" ;;
        nat-readdress) require_root && nat_readdress "$@" ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
