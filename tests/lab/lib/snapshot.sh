# shellcheck shell=bash
# lab.sh snapshot ROLE : a normalized, diffable view of one namespace's
# network state, for leak and cleanup tests (take one before a client runs
# and one after it stopped, then diff them). One item per line, each line
# "<section> <json>" (or "<section> <text>"), in this order of sections:
#
#   link    ip -j addr: one object per interface, without its addresses
#   addr    ip -j addr: one object per address, with "dev" added
#   route4  ip -j -4 route show table all
#   route6  ip -j -6 route show table all
#   rule4   ip -j -4 rule
#   rule6   ip -j -6 rule
#   nft     nft -s list ruleset (stateless: no counter values), line by line
#   resolv  /etc/netns/<ns>/resolv.conf, line by line ("resolv (missing)"
#           when there is none)
#
# Left out because they change while nobody touches the configuration:
# address lifetimes (valid_life_time, preferred_life_time), interface and
# peer indexes (ifindex, link_index, link_netnsid) and route "expires".
# JSON keys are sorted (jq -S -c). The nft and resolv lines keep their
# order (it matters there); the others are sorted.

snapshot() {
    local role="${1:?usage: snapshot ROLE}" ns
    ns="$(role_ns "$role")"
    ns_exists "$ns" || die "lab $LAB_ID is not up (namespace $ns missing)"
    command -v jq >/dev/null 2>&1 || die "missing: jq (run tests/lab/install-deps.sh)"
    local drop_link='del(.ifindex, .link_index, .link_netnsid, .addr_info)'
    local drop_addr='del(.valid_life_time, .preferred_life_time)'

    nsx "$ns" ip -j addr show |
        jq -S -c ".[] | $drop_link" | sort | sed 's/^/link /'
    nsx "$ns" ip -j addr show |
        jq -S -c ".[] | .ifname as \$d | .addr_info[] | $drop_addr | . + {dev: \$d}" |
        sort | sed 's/^/addr /'
    nsx "$ns" ip -j -4 route show table all |
        jq -S -c '.[] | del(.expires)' | sort | sed 's/^/route4 /'
    nsx "$ns" ip -j -6 route show table all |
        jq -S -c '.[] | del(.expires)' | sort | sed 's/^/route6 /'
    nsx "$ns" ip -j -4 rule show | jq -S -c '.[]' | sort | sed 's/^/rule4 /'
    nsx "$ns" ip -j -6 rule show | jq -S -c '.[]' | sort | sed 's/^/rule6 /'
    nsx "$ns" nft -s list ruleset | sed -e 's/^[[:space:]]*//' -e '/^$/d' -e 's/^/nft /'
    local resolv="/etc/netns/$ns/resolv.conf"
    if [[ -e "$resolv" ]]; then
        sed 's/^/resolv /' "$resolv"
    else
        echo "resolv (missing)"
    fi
}
