# shellcheck shell=bash
# Packet captures with tcpdump inside a lab namespace, written to
# $LAB_DIR/captures/NAME.pcap. Default filter: IKE and NAT-T (UDP 500, 4500).

CAPTURE_DIR="$LAB_DIR/captures"
CAPTURE_FILTER_DEFAULT="udp port 500 or udp port 4500"

# capture_start ROLE [IFACE] [NAME] ; env CAPTURE_FILTER overrides the filter
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
    spawn "tcpdump-$name" "$ns" "$CAPTURE_DIR/$name.log" \
        tcpdump -i "$iface" -n -s 0 -U --immediate-mode -Z root -w "$pcap" "${CAPTURE_FILTER:-$CAPTURE_FILTER_DEFAULT}"
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
