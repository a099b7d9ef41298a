#!/usr/bin/env bash
# Removes what install.sh installed, idempotently: stops and disables the
# service, removes the programs, the unit and the sysusers.d file. Keeps
# /etc/softwire (profiles and CA files) and the group "softwire" unless
# --purge is given.
#
#   uninstall.sh [--prefix ROOT] [--purge]
#
#   --prefix ROOT  remove from the staging root ROOT instead of / (as with
#                  install.sh: nothing outside ROOT is touched).
#   --purge        also remove ROOT/etc/softwire and, on this machine, the
#                  group softwire.
#
# Run as root when ROOT is /.
set -euo pipefail

prefix=/
purge=no

usage() {
    echo "usage: uninstall.sh [--prefix ROOT] [--purge]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --purge) purge=yes; shift ;;
        -h|--help) usage ;;
        *) echo "uninstall: unknown argument: $1" >&2; usage ;;
    esac
done

say() { echo "uninstall: $*"; }
die() { echo "uninstall: $*" >&2; exit 1; }

me="$0"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
resolve_root "$prefix" "uninstall from"

unit="$root/lib/systemd/system/softwired.service"

# --- The service -------------------------------------------------------------
systemd=no
if [ "$on_host" = yes ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemd=yes
fi
if [ "$systemd" = yes ] && [ -e "$unit" ]; then
    # A running service disconnects (routes and DNS put back) as it stops.
    systemctl disable --now softwired.service
    say "stopped and disabled softwired.service"
elif [ "$on_host" = yes ] && [ -e "$unit" ]; then
    say "systemd is not running: stop softwired yourself if it runs"
fi

# --- Files -------------------------------------------------------------------
removed=()
for file in \
    "$unit" \
    "$root/usr/bin/softwired" \
    "$root/usr/bin/softwire" \
    "$root/usr/lib/sysusers.d/softwire.conf"; do
    if [ -e "$file" ] || [ -L "$file" ]; then
        rm -f -- "$file"
        removed+=("$file")
    fi
done
if [ ${#removed[@]} -gt 0 ]; then
    say "removed ${removed[*]}"
else
    say "nothing installed in ${root:-/}"
fi
if [ "$systemd" = yes ]; then
    systemctl daemon-reload
    systemctl reset-failed softwired.service >/dev/null 2>&1 || true
fi

# The runtime directory outlives the service (the unit keeps it for crash
# recovery); with the service stopped it holds nothing of use. Without
# systemd the service may still run: its socket and journal stay.
if [ -d "$root/run/softwire" ] && { [ "$on_host" = no ] || [ "$systemd" = yes ]; }; then
    rm -rf -- "$root/run/softwire"
    say "removed $root/run/softwire"
fi

# --- Configuration and group -------------------------------------------------
if [ "$purge" = yes ]; then
    if [ -d "$root/etc/softwire" ]; then
        rm -rf -- "$root/etc/softwire"
        say "removed $root/etc/softwire"
    fi
    if [ "$on_host" = yes ] && getent group softwire >/dev/null; then
        groupdel softwire
        say "removed the group softwire"
    fi
else
    if [ -d "$root/etc/softwire" ]; then
        say "kept $root/etc/softwire (profiles, CA files); --purge removes it"
    fi
    if [ "$on_host" = yes ] && getent group softwire >/dev/null; then
        say "kept the group softwire; --purge removes it"
    fi
fi
