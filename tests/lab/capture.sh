#!/usr/bin/env bash
# Packet capture in the Softwire lab (same as "lab.sh capture ...").
# usage: capture.sh start ROLE [IFACE] [NAME] | stop [NAME] | list
#                   | summary NAME [MAX_OTHER]
#   start prints pcap=PATH; the default filter is "udp port 500 or udp port
#   4500" (env CAPTURE_FILTER overrides it; CAPTURE_FILTER='' captures
#   everything); stop without NAME stops all; summary counts IKE, ESP-in-UDP,
#   keepalive, ARP, ND, MLD and other packets of a capture.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh" capture "$@"
