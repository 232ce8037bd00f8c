#!/bin/sh
# Installs the build into a fresh DESTDIR and checks the layout: every path
# that issue 9 lists (programs, library and its symlinks, public headers only,
# CMake package, pkg-config file, plugins, man pages, completions, config
# file, systemd units, sysusers.d and tmpfiles.d entries), that the library
# exports only taskqueue's own symbols, and that no installed header mentions
# a third-party library.
#
# Usage: check_install_tree.sh BINARY_DIR WORK_DIR SOURCE_DIR
# The tree is installed into WORK_DIR/root (emptied first), which the other
# install tests then build against.
set -u

binary_dir=$1
work=$2
source_dir=$3
destdir=$work/root
. "$binary_dir/packaging/install_layout.sh"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# Paths below are as on the target system; $destdir is prepended here.
check_file() { [ -f "$destdir$1" ] || fail "missing file $1"; }
check_exec() { [ -f "$destdir$1" ] && [ -x "$destdir$1" ] || fail "missing executable $1"; }
check_link() {
    [ -L "$destdir$1" ] || { fail "$1 is not a symlink"; return; }
    target=$(readlink "$destdir$1")
    [ "$target" = "$2" ] || fail "$1 points to $target, expected $2"
}

rm -rf "$work"
mkdir -p "$destdir"
umask 022
if ! DESTDIR="$destdir" cmake --install "$binary_dir" --prefix "$TQ_PREFIX" >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    echo "FAIL: cmake --install failed" >&2
    exit 1
fi

# --- Programs
if [ "$TQ_HAVE_CLI" = 1 ]; then check_exec "$TQ_BINDIR/taskqueuectl"; fi
if [ "$TQ_HAVE_DAEMON" = 1 ]; then check_exec "$TQ_SBINDIR/taskqueued"; fi
[ -e "$destdir$TQ_BINDIR/taskqueued" ] && fail "taskqueued belongs in sbin, not bin"

# --- Library: real file, SONAME link, development link
lib=$TQ_LIBDIR/libtaskqueue.so
check_file "$lib.$TQ_VERSION"
check_link "$lib.$TQ_SOVERSION" "libtaskqueue.so.$TQ_VERSION"
check_link "$lib" "libtaskqueue.so.$TQ_SOVERSION"
if [ -f "$destdir$lib.$TQ_VERSION" ]; then
    soname=$(objdump -p "$destdir$lib.$TQ_VERSION" | awk '$1 == "SONAME" { print $2 }')
    [ "$soname" = "libtaskqueue.so.$TQ_SOVERSION" ] ||
        fail "SONAME is '$soname', expected libtaskqueue.so.$TQ_SOVERSION"
    # Hidden visibility: every exported (defined, dynamic) symbol is
    # taskqueue's own, and nothing of SQLite(Cpp), spdlog, fmt, nlohmann or
    # Boost leaks out of the static archives linked in.
    exported=$(nm -D --defined-only -C "$destdir$lib.$TQ_VERSION" | cut -d' ' -f3-)
    [ -n "$exported" ] || fail "libtaskqueue exports no symbol at all"
    leaked=$(printf '%s\n' "$exported" |
        grep -E 'SQLite::|sqlite3|spdlog|fmt::|nlohmann|boost::' | head -5)
    [ -z "$leaked" ] || fail "libtaskqueue exports third-party symbols, e.g.:
$leaked"
    foreign=$(printf '%s\n' "$exported" | grep -v 'taskqueue' |
        grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' | head -5)
    [ -z "$foreign" ] || fail "libtaskqueue exports symbols outside namespace taskqueue, e.g.:
$foreign"
fi

# --- Public headers: exactly libtaskqueue/include/taskqueue/*.h, nothing else
expected_headers=$(cd "$source_dir/libtaskqueue/include" && find taskqueue -name '*.h' | sort)
installed_headers=$(cd "$destdir$TQ_INCLUDEDIR" 2>/dev/null && find . -type f | sed 's|^\./||' | sort)
if [ "$expected_headers" != "$installed_headers" ]; then
    printf '%s\n' "$expected_headers" >"$work/expected-headers"
    printf '%s\n' "$installed_headers" >"$work/installed-headers"
    fail "installed headers differ from the public ones:
$(diff "$work/expected-headers" "$work/installed-headers")"
fi
# Code only (comments may well say "SQLite"): includes and qualified names.
for header in $installed_headers; do
    used=$(sed -e 's|//.*||' "$destdir$TQ_INCLUDEDIR/$header" | grep -nE \
        '#[[:space:]]*include[[:space:]]*[<"](nlohmann|spdlog|SQLiteCpp|sqlite3|boost|fmt|CLI|httplib)|nlohmann::|spdlog::|SQLite::|sqlite3_?[a-z]*[[:space:]]*\*|boost::|fmt::|CLI::|httplib::')
    [ -z "$used" ] || fail "$TQ_INCLUDEDIR/$header uses a third-party library:
$used"
done

# --- CMake package and pkg-config
check_file "$TQ_LIBDIR/cmake/taskqueue/taskqueueConfig.cmake"
check_file "$TQ_LIBDIR/cmake/taskqueue/taskqueueConfigVersion.cmake"
check_file "$TQ_LIBDIR/cmake/taskqueue/taskqueueTargets.cmake"
grep -q 'taskqueue::taskqueue' "$destdir$TQ_LIBDIR/cmake/taskqueue/taskqueueTargets.cmake" 2>/dev/null ||
    fail "taskqueueTargets.cmake does not define taskqueue::taskqueue"
grep -q 'SameMajorVersion\|CVF_VERSION_MAJOR' "$destdir$TQ_LIBDIR/cmake/taskqueue/taskqueueConfigVersion.cmake" 2>/dev/null ||
    fail "taskqueueConfigVersion.cmake is not a SameMajorVersion file"
check_file "$TQ_LIBDIR/pkgconfig/taskqueue.pc"

# --- Plugins
old_ifs=$IFS
IFS=';'
for module in $TQ_PLUGIN_MODULES; do check_file "$TQ_PLUGINDIR/$module"; done
for json in $TQ_PLUGIN_JSON; do check_file "$TQ_PLUGINDIR/$json"; done
for script in $TQ_PLUGIN_SCRIPTS; do check_exec "$TQ_PLUGINDIR/$script"; done
IFS=$old_ifs
[ -n "$TQ_PLUGIN_MODULES$TQ_PLUGIN_JSON" ] || echo "note: this build defines no plugins"

# --- Man pages, in their sections
IFS=';'
for page in $TQ_MAN_PAGES; do check_file "$TQ_MANDIR/$page"; done
IFS=$old_ifs
if command -v scdoc >/dev/null 2>&1; then
    for page in man1/taskqueuectl.1 man8/taskqueued.8 man5/taskqueued.conf.5 man7/taskqueue-plugin.7; do
        if [ -f "$source_dir/man/$(basename "$page").scd" ]; then check_file "$TQ_MANDIR/$page"; fi
    done
fi

# --- Shell completion
[ -n "$TQ_BASH_COMPLETION" ] && check_file "$TQ_BASH_COMPLETION"
[ -n "$TQ_ZSH_COMPLETION" ] && check_file "$TQ_ZSH_COMPLETION"
case "$TQ_BASH_COMPLETION" in
    ""|"$TQ_DATADIR/bash-completion/completions/taskqueuectl") ;;
    *) fail "bash completion at $TQ_BASH_COMPLETION" ;;
esac

# --- Configuration: the shipped file, every directive commented out
check_file "$TQ_CONFDIR/taskqueued.conf"
if [ -f "$destdir$TQ_CONFDIR/taskqueued.conf" ] &&
    grep -qE '^[a-z_]+[[:space:]]' "$destdir$TQ_CONFDIR/taskqueued.conf"; then
    fail "the shipped taskqueued.conf sets a key; every directive should be commented out"
fi

# --- systemd: units, sysusers.d, tmpfiles.d
check_file "$TQ_SYSTEMD_SYSTEM_UNIT_DIR/taskqueued.service"
check_file "$TQ_SYSTEMD_USER_UNIT_DIR/taskqueued.service"
check_file "$TQ_SYSUSERS_DIR/taskqueue.conf"
check_file "$TQ_TMPFILES_DIR/taskqueue.conf"
for unit in "$TQ_SYSTEMD_SYSTEM_UNIT_DIR/taskqueued.service" "$TQ_SYSTEMD_USER_UNIT_DIR/taskqueued.service"; do
    grep -q "^ExecStart=$TQ_SBINDIR/taskqueued\\b" "$destdir$unit" 2>/dev/null ||
        fail "$unit does not start $TQ_SBINDIR/taskqueued"
    grep -q '^Type=notify$' "$destdir$unit" 2>/dev/null || fail "$unit is not Type=notify"
done
for directive in User=taskqueue StateDirectory=taskqueue RuntimeDirectory=taskqueue \
    NoNewPrivileges=yes ProtectSystem=full PrivateTmp=yes; do
    grep -q "^$directive\$" "$destdir$TQ_SYSTEMD_SYSTEM_UNIT_DIR/taskqueued.service" 2>/dev/null ||
        fail "the system unit lacks $directive"
done

# --- Nothing outside the expected directories
stray=$(cd "$destdir" && find . \( -type f -o -type l \) | sed 's|^\.||' | while read -r f; do
    case "$f" in
        "$TQ_BINDIR"/* | "$TQ_SBINDIR"/* | "$TQ_LIBDIR"/* | "$TQ_INCLUDEDIR"/taskqueue/* | \
            "$TQ_MANDIR"/* | "$TQ_DATADIR"/bash-completion/* | "$TQ_DATADIR"/zsh/* | \
            "$TQ_DOCDIR"/* | "$TQ_CONFDIR"/* | "$TQ_SYSTEMD_SYSTEM_UNIT_DIR"/* | \
            "$TQ_SYSTEMD_USER_UNIT_DIR"/* | "$TQ_SYSUSERS_DIR"/* | "$TQ_TMPFILES_DIR"/*) ;;
        *) echo "$f" ;;
    esac
done)
[ -z "$stray" ] || fail "files installed outside the expected directories:
$stray"

echo "installed files:"
(cd "$destdir" && find . \( -type f -o -type l \) | sed 's|^\.|  |' | sort)
if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "install tree OK"
