# shellcheck shell=bash disable=SC2034
# Common settings and helpers for the Softwire test lab. Sourced by lab.sh.
# (SC2034: the settings here are used by the other lib/*.sh files.)

LAB_ID="${LAB_ID:-sw0}"
if [[ ! "$LAB_ID" =~ ^[a-z0-9]{1,8}$ ]]; then
    echo "lab: LAB_ID must be 1-8 characters of [a-z0-9], got '$LAB_ID'" >&2
    exit 2
fi
LAB_DIR="${LAB_DIR:-/tmp/softwire-lab-$LAB_ID}"

# Namespaces, one per role.
NS_HOT="${LAB_ID}-hot"
NS_NAT="${LAB_ID}-nat"
NS_SC="${LAB_ID}-sc"
NS_SITE="${LAB_ID}-site"
# The internet segment: a bridge in its own namespace, between nat and sc
# (and the rogue responders, when they run).
NS_INET="${LAB_ID}-inet"
# Rogue responders (opt-in: LAB_ROGUES=1 or "lab.sh rogues up").
NS_RID="${LAB_ID}-rid"
NS_RCA="${LAB_ID}-rca"
# Namespaces every "up" creates; all namespaces a lab may own (teardown,
# PID checks).
LAB_BASE_NS=("$NS_HOT" "$NS_NAT" "$NS_INET" "$NS_SC" "$NS_SITE")
LAB_ALL_NS=("${LAB_BASE_NS[@]}" "$NS_RID" "$NS_RCA")

# Address plan (documentation ranges only; identical in every lab).
HOT_ADDR4=192.0.2.100
NAT_IN_ADDR4=192.0.2.1
HOT_NET4=192.0.2.0/24
NAT_OUT_ADDR4=198.51.100.10
SC_OUT_ADDR4=198.51.100.1
INET_NET4=198.51.100.0/24
# Rogue responders on the internet segment, and the source of the half-open
# IKE_SA_INIT that keeps the SC demanding cookies (LAB_SC_COOKIES=1).
ROGUE_ID_ADDR4=198.51.100.66
ROGUE_CA_ADDR4=198.51.100.67
COOKIE_PRIMER_ADDR4=198.51.100.2
SC_SITE_ADDR4=203.0.113.1
SC_SITE_ADDR6=2001:db8:5173::1
SITE_ADDR4=203.0.113.10
SITE_ADDR6=2001:db8:5173::10
SITE_NET4=203.0.113.0/25
SITE_NET6=2001:db8:5173::/64
DNS4=203.0.113.53
DNS6=2001:db8:5173::53
POOL4=203.0.113.128/25
POOL6=2001:db8:cafe::1000-2001:db8:cafe::1fff

# Outer path for LAB_OUTER=ipv6 (hotspot <-> NAT <-> internet <-> SC over
# IPv6 only; the site and the pools stay as they are).
HOT_ADDR6=2001:db8:1::100
NAT_IN_ADDR6=2001:db8:1::1
HOT_NET6=2001:db8:1::/64
NAT_OUT_ADDR6=2001:db8:2::10
SC_OUT_ADDR6=2001:db8:2::1
INET_NET6=2001:db8:2::/64
ROGUE_ID_ADDR6=2001:db8:2::66
ROGUE_CA_ADDR6=2001:db8:2::67
COOKIE_PRIMER_ADDR6=2001:db8:2::2

# outer_init MODE : the outer path's addresses for MODE (ipv4 | ipv6). The
# OUT_* names are what the rest of the lab uses for "the" hotspot, NAT, SC,
# rogue and primer addresses; NFT_FAMILY / NFT_ADDR are the nftables table
# family and address keyword for rules on that path.
outer_init() {
    case "$1" in
        ipv4)
            OUTER=ipv4 OUT_PREFIX=24
            OUT_HOT_ADDR=$HOT_ADDR4 OUT_HOT_NET=$HOT_NET4
            OUT_NAT_IN_ADDR=$NAT_IN_ADDR4 OUT_NAT_OUT_ADDR=$NAT_OUT_ADDR4
            OUT_SC_ADDR=$SC_OUT_ADDR4 OUT_PRIMER_ADDR=$COOKIE_PRIMER_ADDR4
            OUT_ROGUE_ID_ADDR=$ROGUE_ID_ADDR4 OUT_ROGUE_CA_ADDR=$ROGUE_CA_ADDR4
            NFT_FAMILY=ip NFT_ADDR=ip
            ;;
        ipv6)
            OUTER=ipv6 OUT_PREFIX=64
            OUT_HOT_ADDR=$HOT_ADDR6 OUT_HOT_NET=$HOT_NET6
            OUT_NAT_IN_ADDR=$NAT_IN_ADDR6 OUT_NAT_OUT_ADDR=$NAT_OUT_ADDR6
            OUT_SC_ADDR=$SC_OUT_ADDR6 OUT_PRIMER_ADDR=$COOKIE_PRIMER_ADDR6
            OUT_ROGUE_ID_ADDR=$ROGUE_ID_ADDR6 OUT_ROGUE_CA_ADDR=$ROGUE_CA_ADDR6
            NFT_FAMILY=ip6 NFT_ADDR=ip6
            ;;
        *)
            echo "lab: LAB_OUTER must be ipv4 or ipv6, got '$1'" >&2
            exit 2
            ;;
    esac
}
# A running lab keeps its mode in $LAB_DIR/outer (written by "up"), so later
# subcommands follow it whatever LAB_OUTER says then. ("up" checks LAB_OUTER
# itself: a bad value must not keep "down" from working.)
if [[ -s "$LAB_DIR/outer" && "$(<"$LAB_DIR/outer")" == ipv6 ]]; then
    outer_init ipv6
elif [[ ! -s "$LAB_DIR/outer" && "${LAB_OUTER:-}" == ipv6 ]]; then
    outer_init ipv6
else
    outer_init ipv4
fi
# Addresses a running lab was renumbered to (hotspot-readdress,
# nat-readdress; lib/roam.sh). "up" calls outer_init again, which forgets
# them.
if [[ -s "$LAB_DIR/hotspot-addr" ]]; then
    OUT_HOT_ADDR="$(<"$LAB_DIR/hotspot-addr")"
fi
if [[ -s "$LAB_DIR/nat-public-addr" ]]; then
    OUT_NAT_OUT_ADDR="$(<"$LAB_DIR/nat-public-addr")"
fi

# Identities.
SC_ID=sc.example.net
PSK_CLIENT_ID=psk-client@example.net
EAP_USER=alice@eap.example.net
EAP_ID_PATTERN='*@eap.example.net'
CLIENT_ID=client@example.net
ROGUE_ID=rogue.example.net

SC_KEY_TYPE="${SC_KEY_TYPE:-rsa}"
CLIENT_KEY_TYPE="${CLIENT_KEY_TYPE:-$SC_KEY_TYPE}"

# strongSwan binaries.
CHARON_BIN=/usr/lib/ipsec/charon
SWANCTL_BIN=/usr/sbin/swanctl

SC_VICI_SOCK="$LAB_DIR/charon.vici"
SC_VICI_URI="unix://$SC_VICI_SOCK"
CLIENT_DIR="$LAB_DIR/client"
CLIENT_VICI_SOCK="$CLIENT_DIR/charon.vici"
CLIENT_VICI_URI="unix://$CLIENT_VICI_SOCK"

PID_DIR="$LAB_DIR/pids"

log() { echo "lab[$LAB_ID]: $*" >&2; }
die() { log "error: $*"; exit 1; }

require_root() {
    [[ $EUID -eq 0 ]] || die "must run as root"
}

# role_ns ROLE -> namespace name
role_ns() {
    case "$1" in
        hot | hotspot | client) echo "$NS_HOT" ;;
        nat) echo "$NS_NAT" ;;
        sc | server) echo "$NS_SC" ;;
        site) echo "$NS_SITE" ;;
        inet | internet) echo "$NS_INET" ;;
        rogue-identity | rid) echo "$NS_RID" ;;
        rogue-ca | rca) echo "$NS_RCA" ;;
        *) die "unknown role '$1' (roles: hotspot, nat, inet, sc, site, rogue-identity, rogue-ca)" ;;
    esac
}

ns_exists() {
    ip netns list | awk '{print $1}' | grep -qx -- "$1"
}

# nsx NS CMD... : run a command in a namespace
nsx() {
    local ns="$1"
    shift
    ip netns exec "$ns" "$@"
}

# render TEMPLATE OUT KEY=VALUE... : replace every @KEY@ in TEMPLATE.
render() {
    local tmpl="$1" out="$2" line kv key val
    shift 2
    : >"$out"
    while IFS= read -r line || [[ -n "$line" ]]; do
        for kv in "$@"; do
            key="${kv%%=*}"
            val="${kv#*=}"
            line="${line//@"$key"@/$val}"
        done
        if [[ "$line" =~ @[A-Z0-9_]+@ ]]; then
            die "template $tmpl: unreplaced placeholder in: $line"
        fi
        printf '%s\n' "$line" >>"$out"
    done <"$tmpl"
}

# random_token LEN : random [A-Za-z0-9] string
random_token() {
    local len="$1" out=""
    while ((${#out} < len)); do
        out+="$(head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')"
    done
    echo "${out:0:len}"
}

# ---- process bookkeeping ---------------------------------------------------
# spawn NAME NS LOG CMD... : start CMD detached (own session, no terminal)
# in namespace NS and record its PID in $PID_DIR/NAME.pid. The recorded PID
# is the process that finally runs CMD: sh, ip netns exec and unshare all
# exec in place, so no fork happens in between.
spawn() {
    local name="$1" ns="$2" logf="$3" pidf
    shift 3
    pidf="$PID_DIR/$name.pid"
    mkdir -p "$PID_DIR"
    rm -f "$pidf" "$pidf.exe"
    # shellcheck disable=SC2016 # expanded by the inner sh
    setsid sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
        "$pidf" ip netns exec "$ns" "$@" </dev/null >>"$logf" 2>&1 &
    local i
    for ((i = 0; i < 250; i++)); do
        [[ -s "$pidf" ]] && return 0
        sleep 0.01
    done
    die "could not start $name"
}

# pid_of NAME : prints the recorded PID if that process is still ours.
# "Ours" means: alive, running the expected binary (stored next to the PID
# the first time it is checked) and inside one of this lab's namespaces.
pid_of() {
    local name="$1" pidf pid exe ns
    pidf="$PID_DIR/$name.pid"
    [[ -s "$pidf" ]] || return 1
    pid="$(<"$pidf")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    proc_alive "$pid" || return 1
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
    if [[ -s "$pidf.exe" ]]; then
        [[ "$exe" == "$(<"$pidf.exe")" ]] || return 1
    fi
    ns="$(ip netns identify "$pid" 2>/dev/null || true)"
    local n
    for n in "${LAB_ALL_NS[@]}"; do
        if [[ "$ns" == "$n" ]]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

# expect_exe NAME BINARY [TIMEOUT_S] : wait until the recorded process runs
# BINARY, and remember that for later PID checks.
expect_exe() {
    local name="$1" bin="$2" tmo="${3:-5}" pidf pid i
    pidf="$PID_DIR/$name.pid"
    pid="$(<"$pidf")"
    for ((i = 0; i < tmo * 100; i++)); do
        proc_alive "$pid" || return 1
        if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$bin" ]]; then
            echo "$bin" >"$pidf.exe"
            return 0
        fi
        sleep 0.01
    done
    return 1
}

# proc_alive PID : the process exists and is not a zombie
proc_alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

# stop_proc NAME [SIGNAL] : stop a recorded process by PID and wait for it.
stop_proc() {
    local name="$1" sig="${2:-TERM}" pid i
    if pid="$(pid_of "$name")"; then
        kill "-$sig" "$pid" 2>/dev/null || true
        for ((i = 0; i < 500; i++)); do
            proc_alive "$pid" || break
            sleep 0.01
        done
        if proc_alive "$pid"; then
            log "$name (pid $pid) did not exit, killing"
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 40; i++)); do
                proc_alive "$pid" || break
                sleep 0.05
            done
        fi
    fi
    rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.pid.exe"
}
