#!/usr/bin/env bash
# Installs Softwire on a Linux machine with systemd, idempotently: the
# service softwired and the CLI softwire in /usr/bin, the unit
# softwired.service, the group "softwire" (its members may use the
# service), and /etc/softwire/{profiles,ca}. Then starts the service.
#
#   install.sh [--prefix ROOT] [--bin-dir DIR] [--no-start]
#
#   --prefix ROOT  install under ROOT instead of / (a staging root, like
#                  DESTDIR: ROOT/usr/bin, ROOT/lib/systemd/system, ...).
#                  Nothing outside ROOT is touched: no group is created on
#                  this machine (ROOT/usr/lib/sysusers.d/softwire.conf
#                  declares it for the machine ROOT is for) and systemctl
#                  is not run.
#   --bin-dir DIR  where the built softwired and softwire are (default:
#                  target/release of this source tree; build them with
#                  `cargo build --release`).
#   --no-start     do not enable and start the service.
#
# Run as root when ROOT is /. Running it again updates the binaries and the
# unit and restarts a running service.
set -euo pipefail
umask 022

here="$(cd "$(dirname "$0")" && pwd)"
prefix=/
bin_dir="$here/../../target/release"
start=yes

usage() {
    echo "usage: install.sh [--prefix ROOT] [--bin-dir DIR] [--no-start]" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || usage; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --bin-dir) [ $# -ge 2 ] || usage; bin_dir="$2"; shift 2 ;;
        --bin-dir=*) bin_dir="${1#--bin-dir=}"; shift ;;
        --no-start) start=no; shift ;;
        -h|--help) usage ;;
        *) echo "install: unknown argument: $1" >&2; usage ;;
    esac
done

say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }

me="$0"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
resolve_root "$prefix" "install on"

for program in softwired softwire; do
    if [ ! -f "$bin_dir/$program" ] || [ ! -x "$bin_dir/$program" ]; then
        die "no executable $bin_dir/$program: build it first (cargo build --release) or give --bin-dir"
    fi
done
for file in softwired.service softwire.sysusers; do
    [ -f "$here/$file" ] || die "missing $here/$file"
done

# Owned by root when installed by root (a staging root built by another
# user keeps that user's files; the package built from it sets owners).
own=()
if [ "$(id -u)" -eq 0 ]; then
    own=(-o root -g root)
fi

# --- The group ---------------------------------------------------------------
install -d -m 0755 "${own[@]}" "$root/usr/lib/sysusers.d"
install -m 0644 "${own[@]}" "$here/softwire.sysusers" "$root/usr/lib/sysusers.d/softwire.conf"
if [ "$on_host" = yes ]; then
    if getent group softwire >/dev/null; then
        say "group softwire exists"
    else
        groupadd --system softwire
        say "created the system group softwire"
    fi
else
    say "not creating the group softwire on this machine (installing into $root);" \
        "usr/lib/sysusers.d/softwire.conf declares it for the target"
fi

# --- Programs and unit -------------------------------------------------------
install -d -m 0755 "${own[@]}" "$root/usr/bin" "$root/lib/systemd/system"
install -m 0755 "${own[@]}" "$bin_dir/softwired" "$root/usr/bin/softwired"
install -m 0755 "${own[@]}" "$bin_dir/softwire" "$root/usr/bin/softwire"
install -m 0644 "${own[@]}" "$here/softwired.service" "$root/lib/systemd/system/softwired.service"
say "installed $root/usr/bin/softwired, $root/usr/bin/softwire and $root/lib/systemd/system/softwired.service"

# --- Configuration -----------------------------------------------------------
# Profiles and CA files hold no secrets (those are in the keychain): the
# directories are world-readable, writable by the service (root) only.
install -d -m 0755 "${own[@]}" "$root/etc/softwire" "$root/etc/softwire/profiles" "$root/etc/softwire/ca"
say "configuration in $root/etc/softwire (profiles/, ca/)"

# --- The service -------------------------------------------------------------
started=no
if [ "$on_host" = no ]; then
    say "not starting the service (installing into $root)"
elif [ "$start" = no ]; then
    say "not starting the service (--no-start)"
elif [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
    say "systemd is not running on this machine: start /usr/bin/softwired yourself"
else
    was_active=no
    if systemctl is-active --quiet softwired.service; then
        was_active=yes
    fi
    systemctl daemon-reload
    systemctl enable --now softwired.service
    if [ "$was_active" = yes ]; then
        # The new binary and unit only count after a restart (a connected
        # tunnel is closed and has to be connected again).
        systemctl restart softwired.service
        say "restarted softwired.service"
    else
        say "enabled and started softwired.service"
    fi
    started=yes
fi

# --- What next ---------------------------------------------------------------
if [ "$on_host" = yes ]; then
    # The user who ran sudo, if any; otherwise "$USER" is printed as is,
    # for the reader's shell to expand.
    user="${SUDO_USER:-}"
    if [ -n "$user" ] && [ "$user" != root ] \
        && id -nG "$user" 2>/dev/null | tr ' ' '\n' | grep -qx softwire; then
        say "$user is in the group softwire already"
    else
        if [ -z "$user" ] || [ "$user" = root ]; then
            user="\$USER"
        fi
        say "next: add your user to the group: sudo usermod -aG softwire $user, then log in again"
    fi
    if [ "$started" = yes ]; then
        say "then: softwire status"
    fi
    # The unit lets the service write /etc/resolv.conf itself, or the
    # directory it links into; a regular file that another program replaces
    # needs a drop-in (see installers/README.md).
    if [ -f /etc/resolv.conf ] && [ ! -L /etc/resolv.conf ] \
        && ! grep -Eq '^[[:space:]]*nameserver[[:space:]]+127\.0\.0\.5[34]' /etc/resolv.conf; then
        say "note: /etc/resolv.conf is a regular file; if your DHCP client or network" \
            "manager replaces it, read \"DNS without systemd-resolved\" in installers/README.md"
    fi
fi
