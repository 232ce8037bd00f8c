#!/bin/bash
# User-space instructions per task of taskqueued running /bin/true children,
# counted by valgrind's callgrind: an exact count where the VM has no
# hardware counters for `perf stat` (daemon_instructions.sh), and a profile
# by function to read with callgrind_annotate. Only the daemon's own
# threads are counted (children exec outside valgrind), and only while the
# tasks drain: the tasks are queued while the queue is paused, counting is
# switched on, then the queue is resumed. Kernel time is not counted.
# Compare builds by running it for each (twice: turns batch differently
# from run to run, by about 2%), on files of the same schema.
#
# Usage: bench/daemon_callgrind.sh BUILD_DIR [TASKS] [MAX_RUNNING] [OUT_FILE]
# OUT_FILE keeps the profile (callgrind_annotate --inclusive=yes OUT_FILE).
# Needs valgrind.
set -euo pipefail
build=${1:?usage: daemon_callgrind.sh BUILD_DIR [TASKS] [MAX_RUNNING] [OUT_FILE]}
tasks=${2:-1000}
max_running=${3:-2}
out=${4:-}
ctl="$build/cli/taskqueuectl"
daemon=${TASKQUEUED:-$build/taskqueued/taskqueued}
for exe in "$ctl" "$daemon"; do
  [ -x "$exe" ] || { echo "no $exe: build it first" >&2; exit 2; }
done
for tool in valgrind callgrind_control; do
  command -v "$tool" > /dev/null || { echo "needs $tool (valgrind)" >&2; exit 2; }
done
dir=$(mktemp -d)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
source "$(dirname "$0")/paused_true_queue.sh"
paused_true_queue "$tasks"
start_daemon "$max_running" valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$dir/callgrind.out"
callgrind_control -i on "$daemon_pid" > /dev/null 2>&1
drain "$tasks"
callgrind_control -i off "$daemon_pid" > /dev/null 2>&1
kill "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=
total=$(sed -n 's/^totals: //p' "$dir/callgrind.out" | tail -1)
echo "taskqueued $daemon: $tasks tasks, max_running $max_running"
echo "user-space instructions: $total in all, $((total / tasks)) per task"
[ -n "$out" ] && cp "$dir/callgrind.out" "$out"
exit 0
