#!/bin/bash
# WAL frames per task written by taskqueued running /bin/true children: the
# pages its commits write (each page a frame of page_size + 24 bytes), counted
# with strace on the daemon's main thread (its commits; the syncer thread only
# syncs, and children write their notes themselves). A steady measure of a schema or query change on a shared VM, where
# time is not. Compare builds by running it for each, on files of the same
# schema (a build refuses a newer file). strace slows the daemon, so turns
# record two runs more often than without it: frames per commit are higher,
# frames per task lower, than at full speed.
#
# Usage: bench/daemon_wal_frames.sh BUILD_DIR [TASKS] [MAX_RUNNING]
# Needs strace, and ptrace permission over the daemon (root, or
# kernel.yama.ptrace_scope 0).
set -euo pipefail
build=${1:?usage: daemon_wal_frames.sh BUILD_DIR [TASKS] [MAX_RUNNING]}
tasks=${2:-1000}
max_running=${3:-2}
ctl="$build/cli/taskqueuectl"
daemon=${TASKQUEUED:-$build/taskqueued/taskqueued}
for exe in "$ctl" "$daemon"; do
  [ -x "$exe" ] || { echo "no $exe: build it first" >&2; exit 2; }
done
command -v strace > /dev/null || { echo "needs strace" >&2; exit 2; }
dir=$(mktemp -d)
daemon_pid=
strace_pid=
cleanup() {
  [ -n "$strace_pid" ] && kill "$strace_pid" 2>/dev/null
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
source "$(dirname "$0")/paused_true_queue.sh"
# Queued while paused, so that strace is attached before the first claim.
paused_true_queue "$tasks"
start_daemon "$max_running"
strace -q -e trace=pwrite64 -e signal=none -p "$daemon_pid" -o "$dir/strace" &
strace_pid=$!
sleep 0.5  # strace attached
drain "$tasks"
kill "$strace_pid"
wait "$strace_pid" 2> /dev/null || true
strace_pid=

page=1024  # taskqueue creates its files with 1 KiB pages (state/sqlite_database.cc)
# Only commits write whole frames: a checkpoint writes pages, the WAL header
# is 32 bytes.
sed -nE "s/^pwrite64\([0-9]+, .*, ([0-9]+), [0-9]+\) += [0-9]+$/\1/p" "$dir/strace" |
  awk -v frame=$((page + 24)) -v n="$tasks" -v mr="$max_running" '
    $1 % frame == 0 { commits++; frames += $1 / frame }
    END {
      printf "%d tasks, max_running %s: %d commits, %.2f WAL frames per commit, %.2f per task\n",
        n, mr, commits, frames / commits, frames / n
    }'
