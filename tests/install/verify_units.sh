#!/bin/sh
# Checks the installed systemd files with systemd's own tools:
# `systemd-analyze verify` on the system and user units, and
# `systemd-sysusers` / `systemd-tmpfiles` on the sysusers.d and tmpfiles.d
# entries, all against WORK_DIR/root (no change to this machine).
# Exits 77 (skipped) when systemd-analyze is not installed.
#
# Usage: verify_units.sh BINARY_DIR WORK_DIR
set -eu

binary_dir=$1
work=$2
. "$binary_dir/packaging/install_layout.sh"
root=$work/root
units=$work/units

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not installed: skipped"
    exit 77
fi
die() {
    echo "FAIL: $*" >&2
    exit 1
}
[ -f "$root$TQ_SYSTEMD_SYSTEM_UNIT_DIR/taskqueued.service" ] ||
    die "no installed units in $root (run the install_tree test first)"

# The units start $TQ_SBINDIR/taskqueued, which exists only inside the DESTDIR
# tree: verify copies whose ExecStart points there (a stand-in executable
# when this build has no daemon). Everything else is verified as shipped.
daemon="$root$TQ_SBINDIR/taskqueued"
if [ ! -x "$daemon" ]; then
    daemon=$work/taskqueued-stand-in
    printf '#!/bin/sh\nexit 0\n' >"$daemon"
    chmod +x "$daemon"
fi
rm -rf "$units"
mkdir -p "$units/system" "$units/user"
sed "s|^ExecStart=$TQ_SBINDIR/taskqueued|ExecStart=$daemon|" \
    "$root$TQ_SYSTEMD_SYSTEM_UNIT_DIR/taskqueued.service" >"$units/system/taskqueued.service"
sed "s|^ExecStart=$TQ_SBINDIR/taskqueued|ExecStart=$daemon|" \
    "$root$TQ_SYSTEMD_USER_UNIT_DIR/taskqueued.service" >"$units/user/taskqueued.service"

verify() {
    # systemd-analyze verify prints problems but exits 0 for some of them, so
    # any output about our unit counts as a failure. --man=no: the man pages
    # are not installed on this machine.
    log=$1.log
    shift
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "$* failed"
    fi
    if grep -i 'taskqueued' "$log" >&2; then
        die "$* reported problems"
    fi
}
verify "$units/system" systemd-analyze verify --man=no "$units/system/taskqueued.service"
XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work} \
    verify "$units/user" systemd-analyze --user verify --man=no "$units/user/taskqueued.service"
echo "units OK"

# sysusers.d and tmpfiles.d, applied to an empty root in the work dir.
fakeroot=$work/sysroot
rm -rf "$fakeroot"
mkdir -p "$fakeroot/etc"
systemd-sysusers --root="$fakeroot" "$root$TQ_SYSUSERS_DIR/taskqueue.conf" ||
    die "systemd-sysusers rejected $TQ_SYSUSERS_DIR/taskqueue.conf"
grep -q '^taskqueue:' "$fakeroot/etc/passwd" || die "sysusers.d entry created no taskqueue user"
if ! systemd-tmpfiles --root="$fakeroot" --create "$root$TQ_TMPFILES_DIR/taskqueue.conf" \
    2>"$work/tmpfiles.log"; then
    # Without root the directory is made but cannot be given to the user
    # "taskqueue"; that is the only failure accepted.
    if [ "$(id -u)" -eq 0 ] || grep -v 'fchownat().*Operation not permitted' "$work/tmpfiles.log" |
        grep -q .; then
        cat "$work/tmpfiles.log" >&2
        die "systemd-tmpfiles rejected $TQ_TMPFILES_DIR/taskqueue.conf"
    fi
    echo "note: not root, so the ownership of /var/lib/taskqueue was not checked"
fi
[ -d "$fakeroot/var/lib/taskqueue" ] || die "tmpfiles.d entry created no /var/lib/taskqueue"
if [ "$(id -u)" -eq 0 ]; then
    uid=$(awk -F: '$1 == "taskqueue" { print $3 }' "$fakeroot/etc/passwd")
    [ "$(stat -c '%u %a' "$fakeroot/var/lib/taskqueue")" = "$uid 750" ] ||
        die "/var/lib/taskqueue is not 0750 and owned by taskqueue: $(stat -c '%u %a' "$fakeroot/var/lib/taskqueue")"
fi
echo "sysusers.d and tmpfiles.d OK"
