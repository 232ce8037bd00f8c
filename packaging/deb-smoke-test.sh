#!/bin/sh
# Builds the .deb from a build directory, installs it with dpkg, exercises the
# installed programs from their installed paths only, then removes and purges
# the package and checks that none of its files is left behind.
#
# Usage: packaging/deb-smoke-test.sh BUILD_DIR
#
# BUILD_DIR must be built, and configured with -DCMAKE_INSTALL_PREFIX=/usr.
# Needs root (dpkg -i); without root it says so and exits 0. Refuses to run
# when a taskqueue package is already installed, so it never replaces or
# removes one it did not install. Exits non-zero on the first failure, with
# a message saying what failed.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deb smoke test SKIPPED: dpkg -i needs root"
    exit 0
fi

die() {
    echo "deb smoke test FAILED: $*" >&2
    exit 1
}
step() { echo "==> $*"; }

build_dir=$(cd "$1" && pwd) || die "no build directory $1"
layout=$build_dir/packaging/install_layout.sh
[ -f "$layout" ] || die "$build_dir is not a configured taskqueue build directory"
. "$layout"
[ "$TQ_PREFIX" = /usr ] ||
    die "$build_dir is configured with CMAKE_INSTALL_PREFIX=$TQ_PREFIX; a Debian package needs -DCMAKE_INSTALL_PREFIX=/usr"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
if dpkg-query -W -f '${Status}' taskqueue 2>/dev/null | grep -q 'installed'; then
    die "a taskqueue package is already installed; remove it first (dpkg --purge taskqueue)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/taskqueue-deb-smoke.XXXXXX")
installed=no
daemon_pid=
cleanup() {
    status=$?
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -KILL "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [ "$installed" = yes ]; then
        echo "cleaning up: purging the taskqueue package" >&2
        dpkg --purge taskqueue >/dev/null 2>&1 || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$work/daemon.log" ]; then
        echo "--- taskqueued's log:" >&2
        cat "$work/daemon.log" >&2
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Build the package ---------------------------------------------------------
step "cpack -G DEB"
(cd "$build_dir" && cpack -G DEB -B "$work/pkg") >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; die "cpack -G DEB failed"; }
deb=$(find "$work/pkg" -maxdepth 1 -name 'taskqueue_*.deb' | head -n 1)
[ -n "$deb" ] || die "cpack produced no taskqueue_*.deb"
dpkg-deb --field "$deb" Package Version Architecture Depends
depends=$(dpkg-deb --field "$deb" Depends)
case "$depends" in
    *libc6*) ;;
    *) die "the package's Depends ($depends) lacks the shared-library dependencies" ;;
esac

# --- Install it -------------------------------------------------------------------
step "dpkg -i $(basename "$deb")"
installed=yes
dpkg -i "$deb" || die "dpkg -i failed"
dpkg -L taskqueue | sort >"$work/files"
dpkg-query -W -f '${Conffiles}\n' taskqueue | awk 'NF { print $1 }' >"$work/conffiles"

# From here on only installed paths: no build tree, no plugin path from the
# caller's environment.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
unset TASKQUEUE_PLUGIN_PATH TASKQUEUE_STATE_DIR LD_LIBRARY_PATH XDG_STATE_HOME XDG_CONFIG_HOME
ctl=/usr/bin/taskqueuectl
daemon=/usr/sbin/taskqueued

step "installed files"
for f in "$ctl" "$daemon"; do
    [ -x "$f" ] || die "$f is missing or not executable"
done
# (With merged /usr, ldd may say /lib/... for /usr/lib/...: compare real paths.)
used_lib=$(ldd "$ctl" | awk -v lib="libtaskqueue.so.$TQ_SOVERSION" '$1 == lib { print $3 }')
[ -n "$used_lib" ] && [ "$(readlink -f "$used_lib")" = "$(readlink -f "$TQ_LIBDIR/libtaskqueue.so.$TQ_SOVERSION")" ] ||
    die "taskqueuectl does not use the installed libtaskqueue: $(ldd "$ctl" | grep taskqueue)"
grep -qx "$TQ_CONFDIR/taskqueued.conf" "$work/conffiles" ||
    die "$TQ_CONFDIR/taskqueued.conf is not a conffile"
getent passwd taskqueue >/dev/null || die "the postinst created no taskqueue user"
[ -d /var/lib/taskqueue ] || die "the postinst created no /var/lib/taskqueue"
if command -v man >/dev/null 2>&1; then
    man -w taskqueuectl >/dev/null 2>&1 || die "man -w taskqueuectl finds no page"
    man -w 5 taskqueued.conf >/dev/null 2>&1 || die "man -w 5 taskqueued.conf finds no page"
else
    ls "$TQ_MANDIR"/man1/taskqueuectl.1* >/dev/null 2>&1 || die "no taskqueuectl(1) page installed"
fi
[ -f "$TQ_DATADIR/bash-completion/completions/taskqueuectl" ] || die "no bash completion installed"
[ -f "$TQ_DATADIR/zsh/vendor-completions/_taskqueuectl" ] || die "no zsh completion installed"
"$daemon" --config "$TQ_CONFDIR/taskqueued.conf" --check >"$work/check.log" 2>&1 ||
    { cat "$work/check.log" >&2; die "taskqueued --check rejects the shipped configuration"; }

# --- Queue, process with the daemon, list ----------------------------------------
state=$work/state
step "taskqueuectl queue"
# noop is built in; the packaged plugins' commands prove the plugin directory:
# hello (C++ plugin, in-process) and sleep_echo (declarative, runs a script).
"$ctl" --state-dir "$state" commands >"$work/commands" 2>&1 ||
    { cat "$work/commands" >&2; die "taskqueuectl commands failed"; }
set -- "noop"
grep -qw hello "$work/commands" && set -- "$@" "hello smoke test"
grep -qw sleep_echo "$work/commands" && set -- "$@" "sleep_echo 0 smoke-test"
if [ $# -eq 1 ] && grep -q "^$TQ_PLUGINDIR/" "$work/files"; then
    cat "$work/commands" >&2
    die "the package ships plugins, but taskqueuectl lists none of hello, sleep_echo"
fi
ids=
commands=
for command_string in "$@"; do
    "$ctl" --state-dir "$state" queue "$command_string" >"$work/queue.out" 2>&1 ||
        { cat "$work/queue.out" >&2; die "taskqueuectl queue '$command_string' failed"; }
    cat "$work/queue.out"
    id=$(sed -n 's/^Id: //p' "$work/queue.out" | head -n 1)
    [ -n "$id" ] || die "taskqueuectl queue '$command_string' printed no id"
    ids="$ids $id"
    commands="$commands ${command_string%% *}"
done

step "start $daemon"
"$daemon" --state-dir "$state" >"$work/daemon.log" 2>&1 &
daemon_pid=$!

step "wait for $ids"
for task in $ids; do
    deadline=$(($(date +%s) + 30))
    while :; do
        status=0
        "$ctl" --state-dir "$state" wait "$task" >"$work/wait.out" 2>&1 || status=$?
        [ "$status" -eq 0 ] && break
        kill -0 "$daemon_pid" 2>/dev/null || die "taskqueued exited early"
        # 69: the daemon is not up yet; anything else is a real failure.
        [ "$status" -eq 69 ] || { cat "$work/wait.out" >&2; die "taskqueuectl wait $task exited $status"; }
        [ "$(date +%s)" -lt "$deadline" ] || die "task $task did not finish within 30 s"
        sleep 0.2
    done
done

step "taskqueuectl list"
"$ctl" --state-dir "$state" list complete >"$work/list.out" 2>&1 ||
    { cat "$work/list.out" >&2; die "taskqueuectl list failed"; }
cat "$work/list.out"
for command in $commands; do
    grep -qw "$command" "$work/list.out" || die "the complete list does not show $command"
done

step "stop taskqueued (pid $daemon_pid)"
kill -TERM "$daemon_pid"
deadline=$(($(date +%s) + 30))
while kill -0 "$daemon_pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || die "taskqueued did not stop within 30 s of SIGTERM"
    sleep 0.1
done
status=0
wait "$daemon_pid" || status=$?
daemon_pid=
[ "$status" -eq 0 ] || die "taskqueued exited $status after SIGTERM"

# --- Remove and purge -------------------------------------------------------------
# Every file and symlink the package listed must go; after dpkg -r only the
# conffiles may remain, after --purge nothing.
left_behind() {
    while read -r path; do
        # Directories (and symlinks to them, e.g. /lib with merged /usr) are
        # shared; files and symlinks to files are the package's.
        if [ ! -d "$path" ] && { [ -L "$path" ] || [ -e "$path" ]; }; then
            echo "$path"
        fi
    done <"$work/files"
    # The package's own directories (the shared ones such as /usr/bin stay).
    grep '/taskqueue$' "$work/files" | while read -r dir; do
        [ -d "$dir" ] && echo "$dir/"
    done
}

step "dpkg -r taskqueue"
dpkg -r taskqueue || die "dpkg -r failed"
remaining=$(left_behind | grep -vxF -f "$work/conffiles" | grep -vx "$TQ_CONFDIR/" || true)
[ -z "$remaining" ] || die "dpkg -r left files behind:
$remaining"

step "dpkg --purge taskqueue"
dpkg --purge taskqueue || die "dpkg --purge failed"
installed=no
remaining=$(left_behind || true)
[ -z "$remaining" ] || die "dpkg --purge left files behind:
$remaining"
[ ! -e /var/lib/taskqueue ] || die "dpkg --purge left /var/lib/taskqueue behind"

echo "deb smoke test OK"
