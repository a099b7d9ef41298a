# shellcheck shell=bash
# Services on the site host, for traffic through a tunnel. "up" starts them
# (about 0.05 s; LAB_SITE_SERVICES=0 skips them); "lab.sh site-services
# up|down" starts (restarts) or stops them on a running lab:
#
#   iperf3 -s on 203.0.113.10 and on 2001:db8:5173::10, port 5201 (one
#     server per address, so an IPv4 and an IPv6 test can run at once; each
#     serves one test at a time)
#   TCP echo on port 7 (socat, both families, every site address)
#   HTTP on port 80 (socat + lib/site-http.sh): 200 with "peer=<address>"
#
# Every process is started through spawn (PID recorded in $PID_DIR) and
# stopped by that PID at "site-services down" / "down".

SITE_IPERF_PORT=5201
SITE_ECHO_PORT=7
SITE_HTTP_PORT=80
SITE_SERVICE_NAMES=(site-iperf4 site-iperf6 site-echo site-http)

# site_services_running : every site service runs
site_services_running() {
    local s
    for s in "${SITE_SERVICE_NAMES[@]}"; do
        pid_of "$s" >/dev/null || return 1
    done
}

# site_listening : prints the site namespace's listening TCP sockets
site_listening() {
    nsx "$NS_SITE" ss -Hltn 2>/dev/null | awk '{ print $4 }'
}

site_services_up() {
    ns_exists "$NS_SITE" || die "lab is not up (run: lab.sh up)"
    local t
    for t in iperf3 socat ss; do
        command -v "$t" >/dev/null 2>&1 || die "missing: $t (run tests/lab/install-deps.sh)"
    done
    site_services_down
    mkdir -p "$LAB_DIR/site"
    # --rcv-timeout: a test whose client vanished (tunnel gone) frees the
    # server after 30 s instead of the default 120 s.
    spawn site-iperf4 "$NS_SITE" "$LAB_DIR/site/iperf4.log" \
        iperf3 -s -B "$SITE_ADDR4" -p "$SITE_IPERF_PORT" --rcv-timeout 30000 --forceflush
    spawn site-iperf6 "$NS_SITE" "$LAB_DIR/site/iperf6.log" \
        iperf3 -s -B "$SITE_ADDR6" -p "$SITE_IPERF_PORT" --rcv-timeout 30000 --forceflush
    # PIPE: each connection's child writes what it reads back to it.
    spawn site-echo "$NS_SITE" "$LAB_DIR/site/echo.log" \
        socat -lh "TCP6-LISTEN:$SITE_ECHO_PORT,ipv6only=0,reuseaddr,fork,backlog=64" PIPE
    spawn site-http "$NS_SITE" "$LAB_DIR/site/http.log" \
        socat -lh "TCP6-LISTEN:$SITE_HTTP_PORT,ipv6only=0,reuseaddr,fork,backlog=64" \
        "EXEC:bash $LAB_ROOT/lib/site-http.sh"
    local iperf socat_bin
    iperf="$(command -v iperf3)"
    socat_bin="$(command -v socat)"
    expect_exe site-iperf4 "$iperf" || die "iperf3 ($SITE_ADDR4) did not start: $(tail -3 "$LAB_DIR/site/iperf4.log")"
    expect_exe site-iperf6 "$iperf" || die "iperf3 ($SITE_ADDR6) did not start: $(tail -3 "$LAB_DIR/site/iperf6.log")"
    expect_exe site-echo "$socat_bin" || die "socat (echo) did not start: $(tail -3 "$LAB_DIR/site/echo.log")"
    expect_exe site-http "$socat_bin" || die "socat (http) did not start: $(tail -3 "$LAB_DIR/site/http.log")"

    local want=("$SITE_ADDR4:$SITE_IPERF_PORT" "[$SITE_ADDR6]:$SITE_IPERF_PORT"
        "*:$SITE_ECHO_PORT" "*:$SITE_HTTP_PORT") i w have missing
    for ((i = 0; i < 200; i++)); do
        have=" $(site_listening | tr '\n' ' ') "
        missing=""
        for w in "${want[@]}"; do
            [[ "$have" == *" $w "* ]] || missing+=" $w"
        done
        [[ -z "$missing" ]] && return 0
        local s
        for s in "${SITE_SERVICE_NAMES[@]}"; do
            pid_of "$s" >/dev/null || die "$s exited: $(tail -3 "$LAB_DIR/site/${s#site-}.log" 2>/dev/null)"
        done
        sleep 0.02
    done
    die "site services not listening on:$missing"
}

# site_services_down : stop the services by their recorded PIDs. A socat
# connection child (fork) still serving a connection is stopped too: it is
# found as a child of the recorded PID.
site_services_down() {
    [[ -d "$PID_DIR" ]] || return 0
    local s pid child
    for s in "${SITE_SERVICE_NAMES[@]}"; do
        if pid="$(pid_of "$s")"; then
            for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
                kill -TERM "$child" 2>/dev/null || true
            done
        fi
        stop_proc "$s"
    done
}

# site_services_env : KEY=value lines of the running services
site_services_env() {
    cat <<EOS
LAB_SITE_IPERF_PORT=$SITE_IPERF_PORT
LAB_SITE_IPERF_ADDR4=$SITE_ADDR4
LAB_SITE_IPERF_ADDR6=$SITE_ADDR6
LAB_SITE_IPERF4_PID=$(<"$PID_DIR/site-iperf4.pid")
LAB_SITE_IPERF6_PID=$(<"$PID_DIR/site-iperf6.pid")
LAB_SITE_IPERF4_LOG=$LAB_DIR/site/iperf4.log
LAB_SITE_IPERF6_LOG=$LAB_DIR/site/iperf6.log
LAB_SITE_ECHO_PORT=$SITE_ECHO_PORT
LAB_SITE_ECHO_PID=$(<"$PID_DIR/site-echo.pid")
LAB_SITE_HTTP_PORT=$SITE_HTTP_PORT
LAB_SITE_HTTP_PID=$(<"$PID_DIR/site-http.pid")
LAB_SITE_HTTP_URL4=http://$SITE_ADDR4:$SITE_HTTP_PORT/
LAB_SITE_HTTP_URL6=http://[$SITE_ADDR6]:$SITE_HTTP_PORT/
EOS
}

# site_services_status : one line per service: NAME running PID | stopped,
# then the site's listening TCP sockets
site_services_status() {
    local s pid
    for s in "${SITE_SERVICE_NAMES[@]}"; do
        if pid="$(pid_of "$s")"; then
            echo "$s running $pid"
        else
            echo "$s stopped"
        fi
    done
    if ns_exists "$NS_SITE"; then
        echo "listening: $(site_listening | sort | tr '\n' ' ')"
    fi
}
