# shellcheck shell=bash
# Roaming: the outer addresses change under a running lab (IPv4 outer path).
#
#   hotspot-readdress ADDR  the hotspot renumbers, as a DHCP client does when
#                           it gets a new lease: the old address goes (and
#                           with it, by the kernel, every route through eth0:
#                           the default route and any host route a VPN
#                           client pinned), ADDR comes, the default route is
#                           added again. The NAT is unchanged.
#   nat-readdress ADDR      the NAT's public address changes (its uplink got
#                           a new address): every masquerade mapping made
#                           with the old one is dropped by the kernel, so the
#                           next packet from the hotspot leaves with ADDR (a
#                           NAT rebinding the hotspot cannot see).
#
# The new addresses are recorded in $LAB_DIR/hotspot-addr and
# $LAB_DIR/nat-public-addr (read by common.sh), so LAB_HOTSPOT_ADDR and
# LAB_NAT_PUBLIC_ADDR in $LAB_DIR/env (rewritten here) stay true.

# ipv4_host NET24 ADDR : prints ADDR's last octet if ADDR is a host address
# (.1-.254) inside the /24 NET24 (a.b.c.0/24); fails otherwise.
ipv4_host() {
    local net="${1%.0/24}" addr="$2" host
    # (no leading zeros: some parsers read them as octal)
    [[ "$addr" =~ ^([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.(0|[1-9][0-9]{0,2})$ ]] || return 1
    [[ "${BASH_REMATCH[1]}" == "$net" ]] || return 1
    host="${BASH_REMATCH[2]}"
    ((host >= 1 && host <= 254)) || return 1
    echo "$host"
}

# iface_addr4 NS IFACE : the one global IPv4 address on IFACE
iface_addr4() {
    local addrs
    addrs="$(nsx "$1" ip -o -4 addr show dev "$2" scope global | awk '{ sub(/\/.*/, "", $4); print $4 }')"
    [[ -n "$addrs" && "$addrs" != *$'\n'* ]] || die "$1 $2: expected one IPv4 address, found '${addrs//$'\n'/ }'"
    echo "$addrs"
}

roam_check() {
    [[ "$OUTER" == ipv4 ]] || die "$1: the IPv4 outer path only (this lab is LAB_OUTER=$OUTER)"
    ns_exists "$NS_HOT" || die "lab $LAB_ID is not up"
}

# hotspot_readdress ADDR
hotspot_readdress() {
    local new="${1:?usage: hotspot-readdress ADDR (in $HOT_NET4)}" old
    roam_check hotspot-readdress
    ipv4_host "$HOT_NET4" "$new" >/dev/null ||
        die "hotspot-readdress: '$new' is not a host address in $HOT_NET4"
    [[ "$new" != "$NAT_IN_ADDR4" ]] || die "hotspot-readdress: $new is the NAT's inside address"
    old="$(iface_addr4 "$NS_HOT" eth0)"
    [[ "$new" != "$old" ]] || die "hotspot-readdress: the hotspot has $new already"
    # One ip process, so the hotspot is without an address for well under
    # a millisecond (a DHCP client renumbers about as fast). Deleting the
    # interface's last IPv4 address makes the kernel delete every IPv4 route
    # through it (main and other tables): nothing is left to the caller.
    nsx "$NS_HOT" ip -batch - <<EOF
address del $old/24 dev eth0
address add $new/24 dev eth0
route add default via $NAT_IN_ADDR4 dev eth0
EOF
    echo "$new" >"$LAB_DIR/hotspot-addr"
    # shellcheck disable=SC2034 # read by write_env
    OUT_HOT_ADDR="$new"
    if [[ -s "$LAB_DIR/env" ]]; then write_env; fi
    echo "hotspot_old_addr=$old"
    echo "LAB_HOTSPOT_ADDR=$new"
}

# nat_mappings ADDR : how many conntrack entries of the NAT were masqueraded
# to ADDR (the reply tuple, the second "dst=", goes to it), read from
# /proc/net/nf_conntrack (the conntrack tool is not needed).
nat_mappings() {
    nsx "$NS_NAT" cat /proc/net/nf_conntrack 2>/dev/null |
        awk -v a="dst=$1" '{ k = 0; for (i = 1; i <= NF; i++) if ($i ~ /^dst=/ && ++k == 2 && $i == a) c++ } END { print c + 0 }'
}

# nat_readdress ADDR
nat_readdress() {
    local new="${1:?usage: nat-readdress ADDR (in $INET_NET4)}" old reserved r before i left
    roam_check nat-readdress
    ipv4_host "$INET_NET4" "$new" >/dev/null ||
        die "nat-readdress: '$new' is not a host address in $INET_NET4"
    reserved=("$SC_OUT_ADDR4" "$COOKIE_PRIMER_ADDR4" "$ROGUE_ID_ADDR4" "$ROGUE_CA_ADDR4")
    for r in "${reserved[@]}"; do
        [[ "$new" != "$r" ]] || die "nat-readdress: $new is taken on the internet segment (SC, cookie primer, rogues)"
    done
    old="$(iface_addr4 "$NS_NAT" eth1)"
    [[ "$new" != "$old" ]] || die "nat-readdress: the NAT has $new already"
    before="$(nat_mappings "$old")"
    # The SC and the rogues reach the whole of 198.51.100.0/24 on their
    # link (no routes to change there); the NAT's own route to it goes with
    # the old address and comes back with the new one.
    nsx "$NS_NAT" ip -batch - <<EOF
address del $old/24 dev eth1
address add $new/24 dev eth1
EOF
    # The kernel's masquerade drops the mappings of a deleted address from a
    # work queue, just after "address del" returns: wait until none is left.
    for ((i = 0; i < 100; i++)); do
        left="$(nat_mappings "$old")"
        ((left == 0)) && break
        sleep 0.02
    done
    ((left == 0)) || die "nat-readdress: $left NAT mappings to $old remain"
    echo "$new" >"$LAB_DIR/nat-public-addr"
    # shellcheck disable=SC2034 # read by write_env
    OUT_NAT_OUT_ADDR="$new"
    if [[ -s "$LAB_DIR/env" ]]; then write_env; fi
    echo "nat_old_public_addr=$old"
    echo "nat_mappings_dropped=$before"
    echo "LAB_NAT_PUBLIC_ADDR=$new"
}
