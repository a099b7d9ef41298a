# shellcheck shell=bash
# Fault injection on the NAT router's forward path (nftables table
# "ip lab_faults" in the nat namespace, made on first use; "ip6 lab_faults"
# with LAB_OUTER=ipv6), and the cookie primer for LAB_SC_COOKIES=1.
#
#   drop-ike-auth N       drop the first N IKE_AUTH requests from the hotspot
#   drop-ike-auth-count   how many were dropped
#   drop-ike-auth off     stop dropping (the count stays readable)
#   block-sc on|off       drop everything to and from the SC (198.51.100.1,
#                         or 2001:db8:2::1 with LAB_OUTER=ipv6)
#   drop-keepalives on|off  drop NAT keepalives from the hotspot (UDP to 4500
#                         with the one-octet payload 0xff, RFC 3948 §2.3)
#   drop-create-child hotspot|sc N|off   drop the first N CREATE_CHILD_SA
#                         requests the hotspot (or the SC) sends
#   drop-create-child status

# Base chain (priority filter - 10, before lab_nat's forward chain) jumping
# to one regular chain per fault; each fault only rewrites its own chain.
faults_table() {
    nsx "$NS_NAT" nft list table "$NFT_FAMILY" lab_faults >/dev/null 2>&1 && return 0
    nsx "$NS_NAT" nft -f - <<EOF
table $NFT_FAMILY lab_faults {
    counter ike_auth_seen { }
    counter ike_auth_dropped { }
    counter create_child_hotspot_seen { }
    counter create_child_hotspot_dropped { }
    counter create_child_sc_seen { }
    counter create_child_sc_dropped { }
    chain forward {
        type filter hook forward priority filter - 10; policy accept;
        jump block_sc
        jump ike_auth
        jump create_child
    }
    # Before conntrack (priority raw): a dropped keepalive must not
    # refresh the NAT mapping either.
    chain prerouting {
        type filter hook prerouting priority raw; policy accept;
        jump keepalives
    }
    chain block_sc { }
    chain keepalives { }
    chain ike_auth { }
    chain ike_auth_drop { }
    # CREATE_CHILD_SA requests on port 4500 (marker, exchange type 36, no
    # Response flag; offsets as in drop_ike_auth), by direction.
    chain create_child {
        iifname "eth0" udp dport 4500 @th,64,32 0 @th,240,8 36 @th,248,8 & 0x20 == 0 goto create_child_hotspot
        iifname "eth1" udp sport 4500 @th,64,32 0 @th,240,8 36 @th,248,8 & 0x20 == 0 goto create_child_sc
    }
    chain create_child_hotspot { }
    chain create_child_sc { }
}
EOF
}

# drop_ike_auth N|off
#
# An IKE_AUTH request from the hotspot, before masquerading (eth0 -> eth1):
#   UDP to 4500: Non-ESP marker (4 zero octets at UDP payload offset 0),
#     IKE header at payload offset 4: exchange type (octet 18 of the IKE
#     header) = 35, flags (octet 19) without the Response bit 0x20. In bits
#     from the start of the UDP header: marker @th,64,32, exchange type
#     @th,240,8, flags @th,248,8.
#   UDP to 500: IKE header right after the UDP header: exchange type
#     @th,208,8, flags @th,216,8.
# Both rules go to one chain holding a single "numgen inc" expression, so
# the first N matching packets in total (either port) are dropped. Each
# packet counts: a retransmission, every EAP round trip (each one its own
# IKE_AUTH exchange) and every RFC 7383 fragment.
drop_ike_auth() {
    local n="${1:?usage: drop-ike-auth N|off}"
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    faults_table
    if [[ "$n" == off ]]; then
        nsx "$NS_NAT" nft -f - <<EOF
flush chain $NFT_FAMILY lab_faults ike_auth
flush chain $NFT_FAMILY lab_faults ike_auth_drop
EOF
        echo "drop_ike_auth=off"
        return 0
    fi
    [[ "$n" =~ ^[0-9]{1,9}$ ]] || die "drop-ike-auth: N must be a number (or off), got '$n'"
    n=$((10#$n))
    # (nft prints the counters it resets: not part of this command's output)
    nsx "$NS_NAT" nft -f - >/dev/null <<EOF
flush chain $NFT_FAMILY lab_faults ike_auth
flush chain $NFT_FAMILY lab_faults ike_auth_drop
reset counter $NFT_FAMILY lab_faults ike_auth_seen
reset counter $NFT_FAMILY lab_faults ike_auth_dropped
add rule $NFT_FAMILY lab_faults ike_auth iifname "eth0" udp dport 4500 @th,64,32 0 @th,240,8 35 @th,248,8 & 0x20 == 0 goto ike_auth_drop
add rule $NFT_FAMILY lab_faults ike_auth iifname "eth0" udp dport 500 @th,208,8 35 @th,216,8 & 0x20 == 0 goto ike_auth_drop
add rule $NFT_FAMILY lab_faults ike_auth_drop counter name ike_auth_seen
add rule $NFT_FAMILY lab_faults ike_auth_drop numgen inc mod 2147483648 < $n counter name ike_auth_dropped drop
EOF
    echo "drop_ike_auth=$n"
}

# nft_counter_packets NAME : packets of a named counter in lab_faults
nft_counter_packets() {
    nsx "$NS_NAT" nft list counter "$NFT_FAMILY" lab_faults "$1" 2>/dev/null |
        awk '$1 == "packets" { print $2; found = 1 } END { if (!found) print 0 }'
}

# drop_ike_auth_count : number of IKE_AUTH requests dropped so far
drop_ike_auth_count() {
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    nft_counter_packets ike_auth_dropped
}

# drop_ike_auth_status : limit, seen and dropped
drop_ike_auth_status() {
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    local limit
    limit="$(nsx "$NS_NAT" nft list chain "$NFT_FAMILY" lab_faults ike_auth_drop 2>/dev/null |
        sed -n 's/.*numgen inc mod 2147483648 < \([0-9]*\).*/\1/p')"
    echo "drop_ike_auth=${limit:-off}"
    echo "seen=$(nft_counter_packets ike_auth_seen)"
    echo "dropped=$(nft_counter_packets ike_auth_dropped)"
}

# block_sc on|off|status : drop every packet to or from the SC's address on
# the NAT's forward path (both directions, so nothing the SC sends arrives
# either). Conntrack entries survive, so "off" restores the old flows.
block_sc() {
    local mode="${1:?usage: block-sc on|off|status}"
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    faults_table
    case "$mode" in
        on)
            nsx "$NS_NAT" nft -f - <<EOF
flush chain $NFT_FAMILY lab_faults block_sc
add rule $NFT_FAMILY lab_faults block_sc $NFT_ADDR daddr $OUT_SC_ADDR counter drop
add rule $NFT_FAMILY lab_faults block_sc $NFT_ADDR saddr $OUT_SC_ADDR counter drop
EOF
            echo "block_sc=on"
            ;;
        off)
            nsx "$NS_NAT" nft flush chain "$NFT_FAMILY" lab_faults block_sc
            echo "block_sc=off"
            ;;
        status)
            if nsx "$NS_NAT" nft list chain "$NFT_FAMILY" lab_faults block_sc | grep -q drop; then
                echo "block_sc=on"
            else
                echo "block_sc=off"
            fi
            ;;
        *) die "usage: block-sc on|off|status" ;;
    esac
}

# drop_keepalives on|off : a UDP length of 9 is the 8-octet header and the
# keepalive's single 0xff octet (@th,64,8).
drop_keepalives() {
    local mode="${1:?usage: drop-keepalives on|off}"
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    faults_table
    case "$mode" in
        on)
            nsx "$NS_NAT" nft -f - <<EOF
flush chain $NFT_FAMILY lab_faults keepalives
add rule $NFT_FAMILY lab_faults keepalives iifname "eth0" udp dport 4500 udp length 9 @th,64,8 0xff counter drop
EOF
            echo "drop_keepalives=on"
            ;;
        off)
            nsx "$NS_NAT" nft flush chain "$NFT_FAMILY" lab_faults keepalives
            echo "drop_keepalives=off"
            ;;
        *) die "usage: drop-keepalives on|off" ;;
    esac
}

# ---- cookies -----------------------------------------------------------------

# cookie_prime : leave one half-open IKE_SA on the SC, so that with
# cookie_threshold = 1 it demands a COOKIE for every IKE_SA_INIT that
# follows. The IKE_SA_INIT comes from $OUT_PRIMER_ADDR (an address on
# the inet namespace's bridge), from a socket closed right after sending,
# so the SA never completes; half_open_timeout keeps it. Proposal:
# AES-GCM-16-128 / PRF-HMAC-SHA2-256 / Curve25519, KE = the X25519 base
# point (u = 9), random SPIi and nonce. 144 octets:
#   IKE header  SPIi, SPIr 0, next SA(33), 2.0, IKE_SA_INIT(34), Initiator
#   SA          proposal 1 IKE: ENCR 20 (key 128), PRF 5, DH 31
#   KE          group 31, 32 octets
#   Ni          32 octets
cookie_prime() {
    local spi nonce hex esc i
    if [[ "$OUTER" == ipv6 ]]; then
        # br0 has IPv6 off (net.ipv6.conf.all/default in inet): on for it only
        nsx "$NS_INET" sysctl -qw net.ipv6.conf.br0.disable_ipv6=0
        nsx "$NS_INET" ip -6 addr replace "$OUT_PRIMER_ADDR/64" dev br0 nodad
    else
        nsx "$NS_INET" ip addr replace "$OUT_PRIMER_ADDR/24" dev br0
    fi
    spi="$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
    nonce="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
    hex="${spi}0000000000000000""21202208""00000000""00000090"
    hex+="22000028""00000024""01010003"
    hex+="0300000c""01000014""800e0080"
    hex+="03000008""02000005"
    hex+="00000008""0400001f"
    hex+="28000028""001f0000""09""$(printf '%062d' 0)"
    hex+="00000024""$nonce"
    ((${#hex} == 288)) || die "cookie primer: bad packet length ${#hex}"
    esc=""
    for ((i = 0; i < ${#hex}; i += 2)); do
        esc+="\\x${hex:i:2}"
    done
    # Into a file first, then one write(2) by cat: bash's printf flushes at
    # every newline octet, so "printf %b ... >&3" on the UDP socket would
    # split a packet holding 0x0a (in the random SPI or nonce) into two
    # datagrams, which the SC rejects.
    printf '%b' "$esc" >"$LAB_DIR/cookie-primer.bin"
    # shellcheck disable=SC2016 # expanded by the inner bash
    nsx "$NS_INET" bash -c 'exec 3>"/dev/udp/$1/500" && cat "$2" >&3' \
        _ "$OUT_SC_ADDR" "$LAB_DIR/cookie-primer.bin" ||
        die "cookie primer: could not send IKE_SA_INIT"
    for ((i = 0; i < 100; i++)); do
        if sc_swanctl --list-sas 2>/dev/null | grep -qF "${OUT_PRIMER_ADDR}["; then
            return 0
        fi
        sleep 0.05
    done
    die "cookie primer: the SC shows no half-open IKE_SA from $OUT_PRIMER_ADDR"
}

# drop_create_child hotspot|sc N|off : the NAT drops the first N
# CREATE_CHILD_SA requests coming from the hotspot (eth0 -> eth1) or from
# the SC (eth1 -> eth0); retransmissions count. CHILD_SA and IKE SA rekeys
# both use CREATE_CHILD_SA. Port 4500 only (libipsec makes every
# connection float there, see the strongSwan notes). Each direction has its
# own chain and counters; re-arming one resets its counters.
# drop_create_child status : limit, seen and dropped per direction
drop_create_child() {
    local from="${1:?usage: drop-create-child hotspot|sc N|off | status}" n="${2:-}" limit dir
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    faults_table
    if [[ "$from" == status ]]; then
        for dir in hotspot sc; do
            limit="$(nsx "$NS_NAT" nft list chain "$NFT_FAMILY" lab_faults "create_child_$dir" 2>/dev/null |
                sed -n 's/.*numgen inc mod 2147483648 < \([0-9]*\).*/\1/p')"
            echo "drop_create_child_$dir=${limit:-off}"
            echo "${dir}_seen=$(nft_counter_packets "create_child_${dir}_seen")"
            echo "${dir}_dropped=$(nft_counter_packets "create_child_${dir}_dropped")"
        done
        return 0
    fi
    [[ "$from" == hotspot || "$from" == sc ]] ||
        die "drop-create-child: from hotspot or sc, got '$from'"
    if [[ "$n" == off ]]; then
        nsx "$NS_NAT" nft flush chain "$NFT_FAMILY" lab_faults "create_child_$from"
        echo "drop_create_child_$from=off"
        return 0
    fi
    [[ "$n" =~ ^[0-9]{1,9}$ ]] || die "drop-create-child: N must be a number (or off), got '$n'"
    n=$((10#$n))
    nsx "$NS_NAT" nft -f - >/dev/null <<EOF
flush chain $NFT_FAMILY lab_faults create_child_$from
reset counter $NFT_FAMILY lab_faults create_child_${from}_seen
reset counter $NFT_FAMILY lab_faults create_child_${from}_dropped
add rule $NFT_FAMILY lab_faults create_child_$from counter name create_child_${from}_seen
add rule $NFT_FAMILY lab_faults create_child_$from numgen inc mod 2147483648 < $n counter name create_child_${from}_dropped drop
EOF
    echo "drop_create_child_$from=$n"
}
