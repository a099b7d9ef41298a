# shellcheck shell=bash
# Topology: namespaces, veth links, addresses, routes, NAT and filters.
#
#   hotspot eth0 --- eth0 nat eth1 --- [br0 in inet] --- eth0 sc eth1 --- eth0 site
#   192.0.2.100     192.0.2.1  198.51.100.10           198.51.100.1  203.0.113.1/25
#                                           |                       2001:db8:5173::1/64
#                    (rogues, opt-in) eth0 rogue-identity 198.51.100.66
#                                     eth0 rogue-ca       198.51.100.67
#
# The internet segment 198.51.100.0/24 is a bridge (br0) in its own namespace
# "inet"; its ports are named after the peer: nat, sc, rogue-id, rogue-ca.
#
# The hotspot cannot reach the site except through a tunnel: nat has no route
# to 203.0.113.0/25 (nor a default route), and the SC's nftables forward
# chain drops every packet between eth0 and eth1 in both directions. Tunnel
# traffic reaches the site from the libipsec TUN device (ipsec0), not eth0.

# Root-namespace temporary veth name for link N side S (a|b): unique per
# LAB_ID and at most 14 characters.
tmp_ifname() { echo "sl-${LAB_ID}-$1$2"; }

net_ns_create() {
    local ns="$1"
    ip netns add "$ns"
    mkdir -p "/etc/netns/$ns"
    nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    nsx "$ns" sysctl -qw net.ipv6.conf.default.dad_transmits=0 net.ipv6.conf.all.dad_transmits=0
    nsx "$ns" ip link set lo up
}

# net_link N NS_A NS_B : veth pair eth? in NS_A <-> eth? in NS_B
net_link() {
    local n="$1" ns_a="$2" if_a="$3" ns_b="$4" if_b="$5" ta tb
    ta="$(tmp_ifname "$n" a)"
    tb="$(tmp_ifname "$n" b)"
    ip link add "$ta" type veth peer name "$tb"
    ip link set "$ta" netns "$ns_a"
    ip link set "$tb" netns "$ns_b"
    nsx "$ns_a" ip link set "$ta" name "$if_a"
    nsx "$ns_b" ip link set "$tb" name "$if_b"
}

# The internet segment: br0 in the inet namespace, a plain switch (no IPv6,
# no STP, so ports forward at once; no address, except 198.51.100.2 that
# cookie_prime adds in cookie mode).
net_inet_bridge_up() {
    nsx "$NS_INET" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$NS_INET" ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    nsx "$NS_INET" ip link set br0 up
}

# net_inet_port IFNAME : attach a veth end in the inet namespace to br0
net_inet_port() {
    nsx "$NS_INET" ip link set "$1" master br0
    nsx "$NS_INET" ip link set "$1" up
}

# net_rogue_up NS PORT LINK_N ADDR : a rogue responder's namespace on the
# internet segment (eth0, the outer family only), bridge port PORT in inet.
net_rogue_up() {
    local ns="$1" port="$2" n="$3" addr="$4"
    net_ns_create "$ns"
    net_link "$n" "$ns" eth0 "$NS_INET" "$port"
    net_inet_port "$port"
    if [[ "$OUTER" == ipv6 ]]; then
        nsx "$ns" ip -6 addr add "$addr/64" dev eth0 nodad
        nsx "$ns" ip link set eth0 up
        # (no NAT66: the answers to the hotspot go back through the NAT)
        nsx "$ns" ip -6 route add "$HOT_NET6" via "$NAT_OUT_ADDR6" dev eth0
        net_write_resolv "$ns" 127.0.0.1
        return 0
    fi
    nsx "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    nsx "$ns" ip addr add "$addr/24" dev eth0
    nsx "$ns" ip link set eth0 up
    net_write_resolv "$ns" 127.0.0.1
}

# net_ns_remove NS : delete one namespace and its /etc/netns directory
net_ns_remove() {
    local ns="$1"
    if ns_exists "$ns"; then
        ip netns delete "$ns" || log "could not delete namespace $ns"
    fi
    if [[ -d "/etc/netns/$ns" ]]; then
        rm -f "/etc/netns/$ns/resolv.conf"
        rmdir "/etc/netns/$ns" 2>/dev/null || rm -rf "/etc/netns/$ns"
    fi
}

net_write_resolv() {
    local ns="$1" server="$2"
    printf '# Softwire lab %s (%s)\nnameserver %s\n' "$LAB_ID" "$ns" "$server" \
        >"/etc/netns/$ns/resolv.conf"
}

net_up() {
    local ns
    for ns in "${LAB_BASE_NS[@]}"; do
        net_ns_create "$ns"
    done
    net_inet_bridge_up
    net_link 1 "$NS_HOT" eth0 "$NS_NAT" eth0
    net_link 2 "$NS_NAT" eth1 "$NS_INET" nat
    net_link 3 "$NS_SC" eth1 "$NS_SITE" eth0
    net_link 4 "$NS_SC" eth0 "$NS_INET" sc
    net_inet_port nat
    net_inet_port sc

    if [[ "$OUTER" == ipv6 ]]; then
        net_outer6_up
    else
        net_outer4_up
    fi

    # sc: site side eth1 (IPv4 and IPv6, whatever the outer path is).
    nsx "$NS_SC" ip addr add "$SC_SITE_ADDR4/25" dev eth1
    nsx "$NS_SC" ip -6 addr add "$SC_SITE_ADDR6/64" dev eth1 nodad
    nsx "$NS_SC" ip link set eth0 up
    nsx "$NS_SC" ip link set eth1 up
    nsx "$NS_SC" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    render "$LAB_CONF/sc.nft.tmpl" "$LAB_DIR/sc.nft"
    nsx "$NS_SC" nft -f "$LAB_DIR/sc.nft"

    # site: only reachable through the SC.
    nsx "$NS_SITE" ip addr add "$SITE_ADDR4/25" dev eth0
    nsx "$NS_SITE" ip addr add "$DNS4/25" dev eth0
    nsx "$NS_SITE" ip -6 addr add "$SITE_ADDR6/64" dev eth0 nodad
    nsx "$NS_SITE" ip -6 addr add "$DNS6/64" dev eth0 nodad
    nsx "$NS_SITE" ip link set eth0 up
    nsx "$NS_SITE" ip route add default via "$SC_SITE_ADDR4"
    nsx "$NS_SITE" ip -6 route add default via "$SC_SITE_ADDR6"

    # resolv.conf per namespace (bind-mounted by ip netns exec), so nothing
    # run in the lab ever reads or writes the machine's own resolv.conf.
    net_write_resolv "$NS_HOT" "$OUT_NAT_IN_ADDR"
    net_write_resolv "$NS_NAT" "$OUT_NAT_IN_ADDR"
    net_write_resolv "$NS_SC" "$DNS4"
    net_write_resolv "$NS_SITE" "$DNS4"
    net_write_resolv "$NS_INET" 127.0.0.1
}

# The outer path over IPv4 (the default): hotspot, NAT and the SC's eth0.
net_outer4_up() {
    # hotspot: IPv4 only on its link. IPv6 stays enabled elsewhere in the
    # namespace (not net.ipv6.conf.all) so that a VPN client's TUN device
    # can still carry IPv6 inside the tunnel.
    nsx "$NS_HOT" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    nsx "$NS_HOT" ip addr add "$HOT_ADDR4/24" dev eth0
    nsx "$NS_HOT" ip link set eth0 up
    nsx "$NS_HOT" ip route add default via "$NAT_IN_ADDR4"

    # nat: a coffee-shop router, conntrack masquerade out of eth1.
    nsx "$NS_NAT" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 net.ipv6.conf.eth1.disable_ipv6=1
    nsx "$NS_NAT" ip addr add "$NAT_IN_ADDR4/24" dev eth0
    nsx "$NS_NAT" ip addr add "$NAT_OUT_ADDR4/24" dev eth1
    nsx "$NS_NAT" ip link set eth0 up
    nsx "$NS_NAT" ip link set eth1 up
    nsx "$NS_NAT" sysctl -qw net.ipv4.ip_forward=1
    local masq_flags=""
    # Like many hotspot NATs: a forgotten mapping comes back on a new port.
    [[ "${LAB_NAT_RANDOM_PORTS:-0}" == 1 ]] && masq_flags=" fully-random"
    render "$LAB_CONF/nat.nft.tmpl" "$LAB_DIR/nat.nft" \
        HOT_NET4="$HOT_NET4" MASQ_FLAGS="$masq_flags"
    nsx "$NS_NAT" nft -f "$LAB_DIR/nat.nft"
    if [[ "${LAB_NAT_DROP_FRAGMENTS:-0}" == 1 ]]; then
        # A router that drops IP fragments, before conntrack reassembles
        # them (defragmentation runs at priority -400).
        nsx "$NS_NAT" nft -f - <<EOF
table ip lab_fragments {
    counter dropped { }
    chain prerouting {
        type filter hook prerouting priority -450; policy accept;
        ip frag-off & 0x3fff != 0 counter name dropped drop
    }
}
EOF
    fi
    if [[ -n "${LAB_NAT_UDP_TIMEOUT:-}" ]]; then
        # A hotspot that forgets idle UDP mappings quickly.
        nsx "$NS_NAT" sysctl -qw \
            net.netfilter.nf_conntrack_udp_timeout="$LAB_NAT_UDP_TIMEOUT" \
            net.netfilter.nf_conntrack_udp_timeout_stream="$LAB_NAT_UDP_TIMEOUT"
    fi

    # sc: internet side eth0, IPv4 only.
    nsx "$NS_SC" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    nsx "$NS_SC" ip addr add "$SC_OUT_ADDR4/24" dev eth0
}

# nat66_enabled : LAB_NAT66=1 was given to "up" (IPv6 outer path only)
nat66_enabled() {
    [[ "$(cat "$LAB_DIR/nat66" 2>/dev/null)" == 1 ]]
}

# The outer path over IPv6 only (LAB_OUTER=ipv6). Linux has no switch to
# turn IPv4 off on an interface: these links simply get no IPv4 address and
# no IPv4 route, and the NAT forwards no IPv4 (ip_forward stays 0). The
# NAT is a plain IPv6 router by default (the hotspot's address is seen by
# the SC); LAB_NAT66=1 adds an ip6 masquerade out of eth1 instead.
net_outer6_up() {
    nsx "$NS_HOT" ip -6 addr add "$HOT_ADDR6/64" dev eth0 nodad
    nsx "$NS_HOT" ip link set eth0 up
    nsx "$NS_HOT" ip -6 route add default via "$NAT_IN_ADDR6" dev eth0

    nsx "$NS_NAT" ip -6 addr add "$NAT_IN_ADDR6/64" dev eth0 nodad
    nsx "$NS_NAT" ip -6 addr add "$NAT_OUT_ADDR6/64" dev eth1 nodad
    nsx "$NS_NAT" ip link set eth0 up
    nsx "$NS_NAT" ip link set eth1 up
    nsx "$NS_NAT" sysctl -qw net.ipv6.conf.all.forwarding=1
    local masq="# plain router (LAB_NAT66=0): no address translation"
    if nat66_enabled; then
        masq="ip6 saddr $HOT_NET6 oifname \"eth1\" counter masquerade"
    fi
    render "$LAB_CONF/nat6.nft.tmpl" "$LAB_DIR/nat.nft" MASQUERADE="$masq"
    nsx "$NS_NAT" nft -f "$LAB_DIR/nat.nft"

    # sc: internet side eth0, IPv6 only; the route back to the hotspot's
    # network goes through the NAT (unused with LAB_NAT66=1).
    nsx "$NS_SC" ip -6 addr add "$SC_OUT_ADDR6/64" dev eth0 nodad
    nsx "$NS_SC" ip link set eth0 up
    nsx "$NS_SC" ip -6 route add "$HOT_NET6" via "$NAT_OUT_ADDR6" dev eth0
}

# DNS: the coffee shop's resolver on nat (knows sc.example.net only) and the
# site's resolver at the addresses handed out by the SC's pools.
net_dns_up() {
    local common=(--keep-in-foreground --conf-file=/dev/null --no-resolv
        --no-hosts --bind-interfaces --pid-file= --log-queries --log-facility=-
        --local=/example.net/)
    spawn dnsmasq-nat "$NS_NAT" "$LAB_DIR/dnsmasq-nat.log" /usr/sbin/dnsmasq \
        "${common[@]}" --listen-address="$OUT_NAT_IN_ADDR" \
        --address="/$SC_ID/$OUT_SC_ADDR"
    spawn dnsmasq-site "$NS_SITE" "$LAB_DIR/dnsmasq-site.log" /usr/sbin/dnsmasq \
        "${common[@]}" --listen-address="$DNS4" --listen-address="$DNS6" \
        --host-record="site.example.net,$SITE_ADDR4,$SITE_ADDR6" \
        --host-record="intranet.example.net,$SITE_ADDR4,$SITE_ADDR6" \
        --host-record="$SC_ID,$OUT_SC_ADDR"
    expect_exe dnsmasq-nat /usr/sbin/dnsmasq || die "dnsmasq (nat) did not start: $(tail -3 "$LAB_DIR/dnsmasq-nat.log")"
    expect_exe dnsmasq-site /usr/sbin/dnsmasq || die "dnsmasq (site) did not start: $(tail -3 "$LAB_DIR/dnsmasq-site.log")"
}

# Kill whatever still runs inside this lab's namespaces (only processes the
# lab started can be there), except this script and its ancestors.
net_kill_leftovers() {
    local ns pid keep=" $$ " p=$$ i
    while [[ "$p" -gt 1 ]]; do
        p="$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || echo 1)"
        keep+="$p "
    done
    for ns in "${LAB_ALL_NS[@]}"; do
        ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            [[ "$keep" == *" $pid "* ]] && continue
            log "killing leftover pid $pid in $ns"
            kill -TERM "$pid" 2>/dev/null || true
        done
        for ((i = 0; i < 40; i++)); do
            [[ -z "$(ip netns pids "$ns" 2>/dev/null)" ]] && break
            sleep 0.05
        done
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            [[ "$keep" == *" $pid "* ]] && continue
            kill -KILL "$pid" 2>/dev/null || true
        done
    done
}

net_down() {
    local ns n s
    net_kill_leftovers
    for ns in "${LAB_ALL_NS[@]}"; do
        net_ns_remove "$ns"
    done
    # /etc/netns itself, only if it is empty now (another lab may use it).
    rmdir /etc/netns 2>/dev/null || true
    # Temporary veth names left in the root namespace by a failed "up".
    for n in 1 2 3 4 5 6; do
        for s in a b; do
            if ip link show "$(tmp_ifname "$n" "$s")" >/dev/null 2>&1; then
                ip link delete "$(tmp_ifname "$n" "$s")" 2>/dev/null || true
            fi
        done
    done
}
