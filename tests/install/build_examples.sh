#!/bin/sh
# Builds examples/plugin (an out-of-tree C++ plugin) and examples/consumer (a
# program embedding the library) against the tree check_install_tree.sh
# installed into WORK_DIR/root, with find_package(taskqueue CONFIG); runs the
# consumer with the plugin loaded; then compiles and runs the consumer again
# using only `pkg-config --cflags --libs taskqueue`.
#
# Usage: build_examples.sh BINARY_DIR WORK_DIR SOURCE_DIR
# Environment: CMAKE (cmake to use), CXX (compiler).
set -eu

binary_dir=$1
work=$2
source_dir=$3
cmake=${CMAKE:-cmake}
cxx=${CXX:-c++}
. "$binary_dir/packaging/install_layout.sh"

root=$work/root
ex=$work/examples
die() {
    echo "FAIL: $*" >&2
    exit 1
}
[ -f "$root$TQ_LIBDIR/cmake/taskqueue/taskqueueConfig.cmake" ] ||
    die "no installed tree in $root (run the install_tree test first)"
rm -rf "$ex"
mkdir -p "$ex/plugins"
# Plugin files must not be group- or world-writable to be loaded.
umask 022

# Configures and builds one example against the DESTDIR tree, and checks
# that find_package found that tree and not some other installed copy.
build_example() {
    name=$1
    "$cmake" -S "$source_dir/examples/$name" -B "$ex/$name" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$root$TQ_PREFIX" >"$ex/$name.configure.log" 2>&1 ||
        { cat "$ex/$name.configure.log" >&2; die "configuring examples/$name failed"; }
    found=$(sed -n 's/^taskqueue_DIR:PATH=//p' "$ex/$name/CMakeCache.txt")
    case "$found" in
        "$root"/*) ;;
        *) die "examples/$name found taskqueue in '$found', not in $root" ;;
    esac
    "$cmake" --build "$ex/$name" -j 2 >"$ex/$name.build.log" 2>&1 ||
        { cat "$ex/$name.build.log" >&2; die "building examples/$name failed"; }
    echo "built examples/$name against $found"
}

build_example plugin
build_example consumer
cp "$ex/plugin/example_plugin.so" "$ex/plugins/"

# The consumer: its own processor, and both of the plugin's (in-process and
# child), each run to completion.
out=$("$ex/consumer/taskqueue_consumer" "$ex/state1" "$ex/plugins" "shout hello plugin" "count 3" 2>&1) ||
    die "taskqueue_consumer failed:
$out"
echo "$out"
echo "$out" | grep -q 'complete: hello, world' || die "greet did not complete"
echo "$out" | grep -q 'complete: HELLO PLUGIN' || die "the plugin's shout did not complete"
echo "$out" | grep -q 'complete: 1 2 3$' || die "the plugin's child processor (count) did not print 1 2 3"
[ "$(echo "$out" | grep -c ' complete: ')" -eq 3 ] || die "not every task completed"

# The plugin's enqueue-time hook refuses bad args.
if out=$("$ex/consumer/taskqueue_consumer" "$ex/state2" "$ex/plugins" "count many" 2>&1); then
    die "count with a non-numeric argument was queued:
$out"
fi
echo "$out" | grep -qi 'invalid arg' || die "unexpected refusal message: $out"

# pkg-config, with the prefix taken relative to the .pc file.
export PKG_CONFIG_PATH="$root$TQ_LIBDIR/pkgconfig"
flags=$(pkg-config --cflags --libs taskqueue) || die "pkg-config cannot find taskqueue.pc"
echo "pkg-config --cflags --libs taskqueue: $flags"
case "$flags" in
    *"-I$root"*) ;;
    *) die "pkg-config's -I does not point into $root: $flags" ;;
esac
# shellcheck disable=SC2086 # the flags are words
"$cxx" -std=c++20 -o "$ex/consumer-pc" "$source_dir/examples/consumer/consumer.cc" $flags \
    -Wl,-rpath,"$root$TQ_LIBDIR" || die "compiling with pkg-config's flags failed"
out=$("$ex/consumer-pc" "$ex/state3" 2>&1) || die "the pkg-config build failed:
$out"
echo "$out" | grep -q 'complete: hello, world' || die "the pkg-config build did not complete greet"
echo "examples OK"
