#!/usr/bin/env bash
# Tests the Linux installer without touching this machine: everything
# happens in a temporary directory, with stub programs, and with fake
# systemctl/groupadd/groupdel/usermod first in PATH that only record being
# called (none may be, since nothing is installed to /).
#
#   test-install.sh [--work DIR] [PHASE...]
#
#   --work DIR  work in DIR (made if missing, left for the caller to
#               remove); by default a new temporary directory, removed on
#               exit whatever happens.
#
# Phases (default: all of them, in this order):
#   - "shellcheck": the installer scripts pass shellcheck (skipped, with a
#     message, when it is not installed);
#   - "verify": `systemd-analyze verify` of the unit as installed (under
#     --root, next to the stub softwired) prints nothing;
#   - "security": `systemd-analyze security --offline` rates the unit's
#     exposure at most $SOFTWIRE_MAX_EXPOSURE (default 1.9); prints
#     "exposure: X.Y ...";
#   - "sysusers": systemd-sysusers makes the group from the installed
#     sysusers.d file (in the staging root, not on this machine);
#   - "install": install.sh twice into a staging root: files, modes,
#     profiles kept, no systemctl or group command run; uninstall.sh
#     removes it, keeping /etc/softwire until --purge; bad arguments are
#     refused.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
max_exposure="${SOFTWIRE_MAX_EXPOSURE:-1.9}"
work=""
phases=()

while [ $# -gt 0 ]; do
    case "$1" in
        --work) [ $# -ge 2 ] || { echo "test-install: --work needs a directory" >&2; exit 2; }
            work="$2"; shift 2 ;;
        shellcheck|verify|security|sysusers|install) phases+=("$1"); shift ;;
        *) echo "usage: test-install.sh [--work DIR] [shellcheck|verify|security|sysusers|install]..." >&2
            exit 2 ;;
    esac
done
if [ ${#phases[@]} -eq 0 ]; then
    phases=(shellcheck verify security sysusers install)
fi

if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/softwire-test-install.XXXXXX")"
    trap 'rm -rf -- "$work"' EXIT
else
    mkdir -p -- "$work"
    work="$(cd "$work" && pwd)"
fi

say() { echo "test-install: $*"; }
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }

# --- Scaffolding -------------------------------------------------------------

# Stub programs to install, and the recording fakes of the commands that
# would change this machine.
setup() {
    mkdir -p "$work/bin" "$work/fake"
    for program in softwired softwire; do
        printf '#!/bin/sh\necho "stub %s"\n' "$program" > "$work/bin/$program"
        chmod 0755 "$work/bin/$program"
    done
    : > "$work/calls"
    for command in systemctl groupadd groupdel usermod useradd systemd-sysusers; do
        printf '#!/bin/sh\necho "%s $*" >> "%s"\nexit 0\n' "$command" "$work/calls" > "$work/fake/$command"
        chmod 0755 "$work/fake/$command"
    done
}

# Runs a script with the fakes first in PATH; its output goes to $work/out.
run() {
    PATH="$work/fake:$PATH" bash "$@" > "$work/out" 2>&1
}

show_output() { sed 's/^/    | /' "$work/out" >&2; }

install_into() {
    local root="$1"
    run "$here/install.sh" --prefix "$root" --bin-dir "$work/bin" --no-start \
        || { show_output; fail "install.sh --prefix $root"; }
}

# Copies the targets the unit's dependencies name from this machine's unit
# directory into a staging root, for systemd-analyze --root.
add_targets() {
    local root="$1" dir target
    for dir in /usr/lib/systemd/system /lib/systemd/system; do
        [ -f "$dir/sysinit.target" ] && break
    done
    [ -f "$dir/sysinit.target" ] || fail "no systemd unit directory with sysinit.target on this machine"
    for target in sysinit basic shutdown network multi-user; do
        cp "$dir/$target.target" "$root/lib/systemd/system/"
    done
}

need_analyze() {
    command -v systemd-analyze >/dev/null 2>&1 \
        || fail "systemd-analyze is not installed (apt-get install systemd)"
}

# check PATH TYPE MODE: PATH is a TYPE (f or d) with octal MODE, owned by
# root when the test runs as root.
check() {
    local path="$1" type="$2" mode="$3" actual
    case "$type" in
        f) if [ ! -f "$path" ] || [ -L "$path" ]; then fail "$path is not a regular file"; fi ;;
        d) if [ ! -d "$path" ] || [ -L "$path" ]; then fail "$path is not a directory"; fi ;;
    esac
    actual="$(stat -c %a "$path")"
    [ "$actual" = "$mode" ] || fail "$path has mode $actual, not $mode"
    if [ "$(id -u)" -eq 0 ]; then
        actual="$(stat -c %U:%G "$path")"
        [ "$actual" = root:root ] || fail "$path is owned by $actual, not root:root"
    fi
}

absent() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        fail "$1 is still there"
    fi
}

no_calls() {
    if [ -s "$work/calls" ]; then
        sed 's/^/    | /' "$work/calls" >&2
        fail "commands that change this machine were run"
    fi
}

# --- Phases ------------------------------------------------------------------

phase_shellcheck() {
    if ! command -v shellcheck >/dev/null 2>&1; then
        say "shellcheck: SKIPPED, shellcheck is not installed (apt-get install shellcheck)"
        return
    fi
    shellcheck -x --shell=bash "$here/install.sh" "$here/uninstall.sh" "$here/common.sh" "$here/test-install.sh" \
        || fail "shellcheck"
    say "shellcheck: clean ($(shellcheck --version | sed -n 's/^version: //p'))"
}

phase_verify() {
    need_analyze
    local root="$work/verify-root"
    install_into "$root"
    add_targets "$root"
    # Warnings (unknown or misspelled settings, bad values, a missing
    # program) are printed, and only some change the exit status: the
    # output must be empty.
    if ! systemd-analyze verify --root="$root" softwired.service > "$work/out" 2>&1 || [ -s "$work/out" ]; then
        show_output
        fail "systemd-analyze verify softwired.service"
    fi
    say "verify: systemd-analyze verify softwired.service is clean ($(systemd-analyze --version | head -n 1))"
}

phase_security() {
    need_analyze
    local root="$work/security-root" exposure
    install_into "$root"
    add_targets "$root"
    systemd-analyze security --offline=true --no-pager --root="$root" softwired.service > "$work/out" 2>&1 \
        || { show_output; fail "systemd-analyze security softwired.service"; }
    exposure="$(sed -n 's/.*Overall exposure level for softwired\.service: \([0-9.]*\) .*/\1/p' "$work/out")"
    [ -n "$exposure" ] || { show_output; fail "no overall exposure level in the output"; }
    # What is still exposed, for the record.
    grep '✗' "$work/out" | sed 's/^/    /' || true
    if awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e > m) }'; then
        show_output
        fail "exposure $exposure is above $max_exposure"
    fi
    say "security: exposure: $exposure (at most $max_exposure): $(sed -n 's/.*Overall exposure level for softwired\.service: //p' "$work/out")"
}

phase_sysusers() {
    if ! command -v systemd-sysusers >/dev/null 2>&1; then
        say "sysusers: SKIPPED, systemd-sysusers is not installed"
        return
    fi
    local root="$work/sysusers-root" gid
    install_into "$root"
    systemd-sysusers --root="$root" > "$work/out" 2>&1 || { show_output; fail "systemd-sysusers --root"; }
    gid="$(sed -n 's/^softwire:x:\([0-9]*\):.*/\1/p' "$root/etc/group")"
    [ -n "$gid" ] || fail "systemd-sysusers made no group softwire in $root/etc/group"
    [ "$gid" -lt 1000 ] || fail "the group softwire has GID $gid, not a system GID"
    say "sysusers: the sysusers.d file makes the system group softwire (GID $gid in the staging root)"
}

phase_install() {
    local root="$work/install-root" group_before
    group_before="$(getent group softwire || true)"

    # Refused: a relative root, a bin directory without the programs.
    if run "$here/install.sh" --prefix relative/root --bin-dir "$work/bin" --no-start; then
        fail "install.sh accepted a relative --prefix"
    fi
    if run "$here/install.sh" --prefix "$root" --bin-dir "$work/fake" --no-start; then
        fail "install.sh accepted a --bin-dir without softwired"
    fi
    grep -q "no executable $work/fake/softwired" "$work/out" || { show_output; fail "no reason given for a bad --bin-dir"; }
    absent "$root/usr/bin/softwire"

    # Without --no-start too: a staging root is never started.
    run "$here/install.sh" --prefix "$root" --bin-dir "$work/bin" || { show_output; fail "install.sh (first run)"; }
    grep -q "not creating the group softwire on this machine" "$work/out" || { show_output; fail "no word about the group"; }
    grep -q "not starting the service" "$work/out" || { show_output; fail "no word about the service"; }

    # A profile written since, and a mode changed since: the second run
    # keeps the first and repairs the second.
    printf 'name = "Office"\n' > "$root/etc/softwire/profiles/office.toml"
    chmod 0700 "$root/etc/softwire/profiles"
    install_into "$root"

    check "$root/usr/bin/softwired" f 755
    check "$root/usr/bin/softwire" f 755
    cmp -s "$work/bin/softwired" "$root/usr/bin/softwired" || fail "usr/bin/softwired is not the given program"
    cmp -s "$work/bin/softwire" "$root/usr/bin/softwire" || fail "usr/bin/softwire is not the given program"
    check "$root/lib/systemd/system/softwired.service" f 644
    cmp -s "$here/softwired.service" "$root/lib/systemd/system/softwired.service" || fail "the installed unit differs"
    check "$root/usr/lib/sysusers.d/softwire.conf" f 644
    cmp -s "$here/softwire.sysusers" "$root/usr/lib/sysusers.d/softwire.conf" || fail "the installed sysusers.d file differs"
    check "$root/etc/softwire" d 755
    check "$root/etc/softwire/profiles" d 755
    check "$root/etc/softwire/ca" d 755
    [ -f "$root/etc/softwire/profiles/office.toml" ] || fail "a second install removed a profile"
    no_calls
    [ "$(getent group softwire || true)" = "$group_before" ] || fail "the group softwire on this machine changed"
    say "install: files and modes right after two runs, nothing run outside $root"

    run "$here/uninstall.sh" --prefix "$root" || { show_output; fail "uninstall.sh"; }
    absent "$root/usr/bin/softwired"
    absent "$root/usr/bin/softwire"
    absent "$root/lib/systemd/system/softwired.service"
    absent "$root/usr/lib/sysusers.d/softwire.conf"
    [ -f "$root/etc/softwire/profiles/office.toml" ] || fail "uninstall.sh without --purge removed a profile"
    run "$here/uninstall.sh" --prefix "$root" || { show_output; fail "uninstall.sh (second run)"; }
    grep -q "nothing installed" "$work/out" || { show_output; fail "a second uninstall.sh found something"; }
    run "$here/uninstall.sh" --prefix "$root" --purge || { show_output; fail "uninstall.sh --purge"; }
    absent "$root/etc/softwire"
    if [ -n "$(find "$root" ! -type d)" ]; then
        find "$root" ! -type d | sed 's/^/    | /' >&2
        fail "files left in $root after uninstall.sh --purge"
    fi
    no_calls
    [ "$(getent group softwire || true)" = "$group_before" ] || fail "the group softwire on this machine changed"
    say "install: uninstall.sh removes it all, profiles only with --purge"
}

setup
for phase in "${phases[@]}"; do
    "phase_$phase"
done
say "ok: ${phases[*]}"
