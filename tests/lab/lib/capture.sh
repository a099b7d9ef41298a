# shellcheck shell=bash
# Packet captures with tcpdump inside a lab namespace, written to
# $LAB_DIR/captures/NAME.pcap. Default filter: IKE and NAT-T (UDP 500, 4500).
# CAPTURE_FILTER overrides it; set and empty (CAPTURE_FILTER='') captures
# everything. "capture summary NAME" sorts a capture's packets into IKE,
# NAT-T, ARP/ND and "other", for "nothing but IKE on the wire" checks.

CAPTURE_DIR="$LAB_DIR/captures"
CAPTURE_FILTER_DEFAULT="udp port 500 or udp port 4500"

# capture_start ROLE [IFACE] [NAME] ; env CAPTURE_FILTER overrides the
# filter: unset = the default, empty = no filter (every packet)
capture_start() {
    local role="${1:?usage: capture start ROLE [IFACE] [NAME]}" iface="${2:-eth0}" name ns pcap i
    ns="$(role_ns "$role")"
    ns_exists "$ns" || die "lab is not up (namespace $ns missing)"
    name="${3:-$role-$iface}"
    [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || die "bad capture name '$name'"
    mkdir -p "$CAPTURE_DIR"
    pcap="$CAPTURE_DIR/$name.pcap"
    stop_proc "tcpdump-$name"
    rm -f "$pcap" "$CAPTURE_DIR/$name.log"
    # -U --immediate-mode: hand over and write each packet at once, so the
    # file can be read while running and nothing is lost on SIGINT.
    # -Z root: keep writing into the root-owned LAB_DIR.
    local filter=("${CAPTURE_FILTER-$CAPTURE_FILTER_DEFAULT}")
    [[ -n "${filter[0]}" ]] || filter=()
    spawn "tcpdump-$name" "$ns" "$CAPTURE_DIR/$name.log" \
        tcpdump -i "$iface" -n -s 0 -U --immediate-mode -Z root -w "$pcap" "${filter[@]}"
    expect_exe "tcpdump-$name" /usr/bin/tcpdump 5 ||
        die "tcpdump did not start: $(cat "$CAPTURE_DIR/$name.log")"
    for ((i = 0; i < 100; i++)); do
        grep -q "listening on" "$CAPTURE_DIR/$name.log" 2>/dev/null && break
        pid_of "tcpdump-$name" >/dev/null || die "tcpdump exited: $(cat "$CAPTURE_DIR/$name.log")"
        sleep 0.05
    done
    echo "pcap=$pcap"
}

# capture_stop [NAME] : stop one capture, or all of them without NAME
capture_stop() {
    local name="${1:-}" f
    if [[ -n "$name" ]]; then
        stop_proc "tcpdump-$name" INT
        echo "pcap=$CAPTURE_DIR/$name.pcap"
        return 0
    fi
    for f in "$PID_DIR"/tcpdump-*.pid; do
        [[ -e "$f" ]] || continue
        name="$(basename "$f" .pid)"
        stop_proc "$name" INT
        echo "pcap=$CAPTURE_DIR/${name#tcpdump-}.pcap"
    done
}

capture_list() {
    local f name
    for f in "$PID_DIR"/tcpdump-*.pid; do
        [[ -e "$f" ]] || continue
        name="$(basename "$f" .pid)"
        if pid_of "$name" >/dev/null; then
            echo "${name#tcpdump-} running $CAPTURE_DIR/${name#tcpdump-}.pcap"
        else
            echo "${name#tcpdump-} stopped $CAPTURE_DIR/${name#tcpdump-}.pcap"
        fi
    done
}

# Packet classes of "capture summary", as pcap filters (in this order; a
# packet counts in the first class it matches). On port 4500 the first four
# payload octets are the Non-ESP marker (zero: IKE) or an ESP SPI (non-zero);
# a NAT-keepalive is the single octet 0xff (UDP length 9). libpcap's udp[]
# indexes IPv4 only, so IPv6 packets are read through ip6[] (UDP right after
# the fixed header: length at ip6[44:2], payload from ip6[48]). ND is ICMPv6
# types 133-137 (RS, RA, NS, NA, Redirect) right after the IPv6 header; MLD
# reports (behind a hop-by-hop header, sent when an address or multicast
# group is added) count as "mld". IP fragments after the first have no UDP
# header: they count as "other".
CAPTURE_CLASSES=(
    "ike500|udp port 500"
    "ike4500|udp port 4500 and ((ip and udp[4:2] > 11 and udp[8:4] = 0) or (ip6 and ip6[6] = 17 and ip6[44:2] > 11 and ip6[48:4] = 0))"
    "esp4500|udp port 4500 and ((ip and udp[4:2] > 16 and udp[8:4] != 0) or (ip6 and ip6[6] = 17 and ip6[44:2] > 16 and ip6[48:4] != 0))"
    "keepalive4500|udp port 4500 and ((ip and udp[4:2] = 9 and udp[8] = 0xff) or (ip6 and ip6[6] = 17 and ip6[44:2] = 9 and ip6[48] = 0xff))"
    "arp|arp"
    "nd|icmp6 and ip6[6] = 58 and ip6[40] >= 133 and ip6[40] <= 137"
    "mld|ip6 and ip6[6] = 0 and ip6 dst net ff02::/16"
)

# capture_summary NAME [MAX_OTHER] : counts per class of a (stopped or
# running) capture, then up to MAX_OTHER (default 20) "other_packet=" lines,
# the tcpdump text of packets in no class. Prints KEY=value lines:
#   total= ike500= ike4500= esp4500= keepalive4500= arp= nd= mld= other=
capture_summary() {
    local name="${1:?usage: capture summary NAME [MAX_OTHER]}" max="${2:-20}"
    local pcap="$CAPTURE_DIR/$name.pcap" entry key filt seen="" n total rest
    [[ -s "$pcap" ]] || die "no capture $pcap"
    [[ "$max" =~ ^[0-9]+$ ]] || die "MAX_OTHER must be a number"
    total="$(tcpdump -n -r "$pcap" 2>/dev/null | wc -l)"
    echo "total=$total"
    for entry in "${CAPTURE_CLASSES[@]}"; do
        key="${entry%%|*}"
        filt="${entry#*|}"
        if [[ -z "$seen" ]]; then
            n="$(tcpdump -n -r "$pcap" "$filt" 2>/dev/null | wc -l)"
            seen="($filt)"
        else
            n="$(tcpdump -n -r "$pcap" "($filt) and not ($seen)" 2>/dev/null | wc -l)"
            seen+=" or ($filt)"
        fi
        echo "$key=$n"
    done
    rest="$(tcpdump -n -r "$pcap" "not ($seen)" 2>/dev/null)"
    if [[ -z "$rest" ]]; then
        echo "other=0"
    else
        echo "other=$(wc -l <<<"$rest")"
        head -n "$max" <<<"$rest" | sed 's/^/other_packet=/'
    fi
}
