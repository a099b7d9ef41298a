#!/usr/bin/env bash
# Packet capture in the Softwire lab (same as "lab.sh capture ...").
# usage: capture.sh start ROLE [IFACE] [NAME] | stop [NAME] | list
#   start prints pcap=PATH; the default filter is "udp port 500 or udp port
#   4500" (env CAPTURE_FILTER overrides it); stop without NAME stops all.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh" capture "$@"
