# shellcheck shell=bash
# SC discovery scenarios: the hotspot's DNS and DHCP server (dnsmasq on
# the NAT) restarted with what each scenario hands out. See README.md,
# "Discovery scenarios".

DISC_LABEL=softwire
DISC_DOMAIN=hotspot.example.net
DISC_CORP_DOMAIN=corp.example.net
DISC_OPTION=224
DISC_IFACE=eth0
DISC_NFT_TABLE=softwire_discovery

# The NAT's dnsmasq as "up" starts it, plus ARGS.
disc_dnsmasq() {
    stop_proc dnsmasq-nat
    spawn dnsmasq-nat "$NS_NAT" "$LAB_DIR/dnsmasq-nat.log" /usr/sbin/dnsmasq \
        --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --pid-file= --log-queries --log-facility=- \
        --local=/example.net/ --address="/$SC_ID/$OUT_SC_ADDR" "$@"
    expect_exe dnsmasq-nat /usr/sbin/dnsmasq ||
        die "dnsmasq (nat) did not start: $(tail -3 "$LAB_DIR/dnsmasq-nat.log")"
}

# DHCPv4 that answers DHCPINFORM on the hotspot LAN (no leases handed out).
disc_dhcp4_args() {
    echo "--interface=$DISC_IFACE --log-dhcp --dhcp-leasefile=$LAB_DIR/dnsmasq-nat.leases"
    echo "--dhcp-range=${NAT_IN_ADDR4%.*}.0,static,255.255.255.0"
}

# NAME in DNS wire form, as dnsmasq's hex option syntax (02:73:63:...:00).
disc_wire_hex() {
    local label octets=() i
    local IFS=.
    for label in $1; do
        octets+=("$(printf '%02x' "${#label}")")
        for ((i = 0; i < ${#label}; i++)); do
            octets+=("$(printf '%02x' "'${label:i:1}")")
        done
    done
    octets+=(00)
    IFS=:
    echo "${octets[*]}"
}

disc_require_ipv4() {
    [[ "$OUTER" == ipv4 ]] || die "discovery $1 needs the IPv4 outer path"
}

disc_no_drops() {
    stop_proc junk
    nsx "$NS_NAT" nft delete table inet "$DISC_NFT_TABLE" 2>/dev/null || true
}

# The junk server (tests/src/bin/lab-junk.rs) in the NAT: KIND ADDR MODE.
disc_junk() {
    local bin="${LAB_JUNK_BIN:-$LAB_ROOT/../../target/debug/lab-junk}"
    [[ -x "$bin" ]] || die "no lab-junk at $bin (cargo build -p softwire-lab, or set LAB_JUNK_BIN)"
    bin="$(readlink -f "$bin")"
    spawn junk "$NS_NAT" "$LAB_DIR/junk.log" "$bin" "$@"
    expect_exe junk "$bin" || die "lab-junk did not start: $(tail -3 "$LAB_DIR/junk.log")"
}

cmd_discovery() {
    local sub="${1:-}"
    shift || true
    ns_exists "$NS_NAT" || die "lab $LAB_ID is not up"
    # shellcheck disable=SC2207 # word splitting intended
    local dhcp4=($(disc_dhcp4_args))
    case "$sub" in
        dns)
            # The search domain by DHCP, the service label in DNS.
            disc_require_ipv4 dns
            disc_no_drops
            disc_dnsmasq "${dhcp4[@]}" \
                --domain="$DISC_DOMAIN" \
                --dhcp-option="option:domain-search,$DISC_DOMAIN" \
                --host-record="$DISC_LABEL.$DISC_DOMAIN,$OUT_SC_ADDR"
            ;;
        dhcp)
            # DNS off; the SC's address in a site-specific option only.
            disc_require_ipv4 dhcp
            local code="${1:-$DISC_OPTION}"
            [[ "$code" =~ ^[0-9]+$ ]] || die "discovery dhcp: CODE must be a number"
            echo "$code" >"$LAB_DIR/discovery-option"
            disc_no_drops
            disc_dnsmasq "${dhcp4[@]}" --port=0 --dhcp-option="$code,$OUT_SC_ADDR"
            ;;
        aftr)
            # DHCPv6 AFTR-Name (RFC 6334) naming the SC; DNS answers it.
            [[ "$OUTER" == ipv6 ]] || die "discovery aftr needs LAB_OUTER=ipv6"
            disc_no_drops
            disc_dnsmasq --interface="$DISC_IFACE" --log-dhcp \
                --dhcp-leasefile="$LAB_DIR/dnsmasq-nat.leases" \
                --dhcp-range="${HOT_NET6%/*},static,64" \
                --dhcp-option="option6:64,$(disc_wire_hex "$SC_ID")" \
                --dhcp-option="option6:domain-search,$DISC_DOMAIN" \
                --dhcp-option="option6:dns-server,[$NAT_IN_ADDR6]"
            ;;
        rogue)
            # The first search domain's label points at the rogue SC (a
            # valid certificate for another identity), the second at the SC.
            disc_require_ipv4 rogue
            pid_of rogue-identity-charon >/dev/null ||
                die "discovery rogue needs the rogues: lab.sh rogues up"
            disc_no_drops
            disc_dnsmasq "${dhcp4[@]}" \
                --dhcp-option="option:domain-search,$DISC_DOMAIN,$DISC_CORP_DOMAIN" \
                --host-record="$DISC_LABEL.$DISC_DOMAIN,$OUT_ROGUE_ID_ADDR" \
                --host-record="$DISC_LABEL.$DISC_CORP_DOMAIN,$OUT_SC_ADDR"
            ;;
        silent)
            # Nothing answers DNS or DHCP, and nothing refuses either; the
            # hotspot's resolver file names a search domain, so DNS is
            # asked (and waited for) too.
            stop_proc dnsmasq-nat
            disc_no_drops
            net_write_resolv "$NS_HOT" "$OUT_NAT_IN_ADDR"
            echo "search $DISC_DOMAIN" >>"/etc/netns/$NS_HOT/resolv.conf"
            nsx "$NS_NAT" nft -f - <<NFT
table inet $DISC_NFT_TABLE {
    chain input {
        type filter hook input priority -10; policy accept;
        iifname "$DISC_IFACE" udp dport { 53, 67, 547 } drop
    }
}
NFT
            ;;
        junk)
            # One source answers garbage (MODE, see lab-junk); the other
            # still hands out the SC, so the client can go on to it.
            disc_require_ipv4 junk
            local kind="${1:-}" mode="${2:-}"
            [[ -n "$mode" ]] || die "usage: discovery junk dns|dhcp4 MODE"
            disc_no_drops
            case "$kind" in
                dns)
                    disc_dnsmasq "${dhcp4[@]}" --port=0 \
                        --dhcp-option="option:domain-search,$DISC_DOMAIN" \
                        --dhcp-option="option:dns-server,$NAT_IN_ADDR4" \
                        --dhcp-option="$DISC_OPTION,$OUT_SC_ADDR"
                    disc_junk dns "$NAT_IN_ADDR4:53" "$mode"
                    ;;
                dhcp4)
                    disc_dnsmasq --listen-address="$OUT_NAT_IN_ADDR" \
                        --host-record="$DISC_LABEL.$DISC_DOMAIN,$OUT_SC_ADDR"
                    net_write_resolv "$NS_HOT" "$OUT_NAT_IN_ADDR"
                    echo "search $DISC_DOMAIN" >>"/etc/netns/$NS_HOT/resolv.conf"
                    disc_junk dhcp4 0.0.0.0 "$mode"
                    ;;
                *) die "discovery junk: KIND is dns or dhcp4" ;;
            esac
            ;;
        off)
            disc_no_drops
            net_write_resolv "$NS_HOT" "$OUT_NAT_IN_ADDR"
            rm -f "$LAB_DIR/discovery-option" "$LAB_DIR/dnsmasq-nat.leases"
            disc_dnsmasq --listen-address="$OUT_NAT_IN_ADDR"
            ;;
        env)
            cat <<ENV
LAB_DISC_LABEL=$DISC_LABEL
LAB_DISC_DOMAIN=$DISC_DOMAIN
LAB_DISC_CORP_DOMAIN=$DISC_CORP_DOMAIN
LAB_DISC_OPTION=$(cat "$LAB_DIR/discovery-option" 2>/dev/null || echo "$DISC_OPTION")
LAB_DISC_IFACE=$DISC_IFACE
LAB_DISC_SC_ADDR=$OUT_SC_ADDR
LAB_DISC_ROGUE_ADDR=$OUT_ROGUE_ID_ADDR
LAB_DISC_DNS=$OUT_NAT_IN_ADDR
ENV
            ;;
        *) die "usage: discovery dns | dhcp [CODE] | aftr | rogue | junk dns|dhcp4 MODE | silent | off | env" ;;
    esac
}
