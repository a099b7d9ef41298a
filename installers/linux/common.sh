# Shared by install.sh and uninstall.sh (sourced, not run). Both define
# `me` (their name) and `die` before sourcing.

# Sets `root` ("" for this machine) and `on_host` (yes/no) from the
# --prefix value $1; a prefix on this machine needs root. $2 says what is
# being done, for the message ("install on", "uninstall from").
resolve_root() {
    case "$1" in
        /*) ;;
        *) die "--prefix must be an absolute path: $1" ;;
    esac
    # "/", "//" and "/." are the machine itself; anything else is a staging root.
    root="$(realpath -m "$1")"
    if [ "$root" = / ]; then
        on_host=yes
        root=""
    else
        on_host=no
    fi
    if [ "$on_host" = yes ] && [ "$(id -u)" -ne 0 ]; then
        # shellcheck disable=SC2154 # me: set by the sourcing script
        die "run as root (sudo $me) to $2 this machine"
    fi
}
