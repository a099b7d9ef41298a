#!/usr/bin/env bash
# A tiny HTTP/1.0 responder for the lab's site host. socat runs it once per
# connection with the connection on stdin/stdout and the client's address in
# SOCAT_PEERADDR. Every request (any method, any path) gets "200 OK" and a
# text/plain body:
#
#   softwire-lab site
#   peer=ADDRESS          the client's address as the site sees it
#   path=PATH             the request path
#
# so a test can check that a request went through the tunnel (peer = the
# client's virtual IP, never the NAT's or the hotspot's outer address).
set -u
line=""
IFS= read -r -t 5 line || [[ -n "$line" ]] || exit 0
line="${line%$'\r'}"
read -r method path _ <<<"$line"
while IFS= read -r -t 5 header; do
    header="${header%$'\r'}"
    [[ -z "$header" ]] && break
done
# canonical ADDR : socat gives IPv6 addresses in full (0000:...:ffff:cb00:7181
# for an IPv4 client on the dual-stack socket): print them as RFC 5952 text,
# IPv4-mapped ones as dotted IPv4.
canonical() {
    local a="${1#[}" g=() i x best=-1 bestlen=0 run=-1 len=0 out=""
    a="${a%]}"
    [[ "$a" == *:* ]] || { echo "$a"; return; }
    IFS=: read -ra g <<<"$a"
    ((${#g[@]} == 8)) || { echo "$a"; return; }
    for i in "${!g[@]}"; do g[i]="$(printf '%x' "$((16#${g[i]:-0}))")"; done
    if [[ "${g[*]:0:6}" == "0 0 0 0 0 ffff" ]]; then
        x="$((16#${g[6]})) $((16#${g[7]}))"
        read -r i x <<<"$x"
        echo "$((i >> 8)).$((i & 255)).$((x >> 8)).$((x & 255))"
        return
    fi
    for i in 0 1 2 3 4 5 6 7; do
        if [[ "${g[i]}" == 0 ]]; then
            ((run < 0)) && run=$i len=0
            len=$((len + 1))
            if ((len > bestlen)); then best=$run bestlen=$len; fi
        else
            run=-1
        fi
    done
    if ((bestlen < 2)); then
        (IFS=:; echo "${g[*]}")
        return
    fi
    out="$(IFS=:; echo "${g[*]:0:best}")::$(IFS=:; echo "${g[*]:best+bestlen}")"
    echo "$out"
}
peer="$(canonical "${SOCAT_PEERADDR:-unknown}")"
body="softwire-lab site"$'\n'"peer=$peer"$'\n'"path=${path:-/}"$'\n'
if [[ "${method:-}" == HEAD ]]; then
    printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "${#body}"
else
    printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${#body}" "$body"
fi
