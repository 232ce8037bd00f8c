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
mkdir -m 0755 "$dir/plugins"
echo '{"processors":[{"command":"true","exec":["/bin/true","{args}"]}]}' > "$dir/plugins/bench.json"
chmod 0644 "$dir/plugins/bench.json"
q=(--state-dir "$dir/state" --plugin-dir "$dir/plugins")

"$ctl" "${q[@]}" pause > /dev/null
seq 1 "$tasks" | sed 's/^/true /' | tr '\n' '\0' | xargs -0 -n 1000 "$ctl" "${q[@]}" queue > /dev/null
# With PATH alone, as daemon_bench runs it.
env -i PATH=/usr/bin:/bin valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$dir/callgrind.out" "$daemon" "${q[@]}" --max-running "$max_running" \
  --log-level warn --config /dev/null 2> "$dir/daemon.log" &
daemon_pid=$!
# Ready once the daemon holds its lock and says so in `status`.
for ((tries = 0; ; tries++)); do
  "$ctl" "${q[@]}" --json status 2> /dev/null | grep -q '"daemon_pid": [0-9]' && break
  if [ "$tries" -ge 600 ]; then
    echo "the daemon did not start; see its log:" >&2
    cat "$dir/daemon.log" >&2
    exit 1
  fi
  sleep 0.05
done
callgrind_control -i on "$daemon_pid" > /dev/null 2>&1
"$ctl" "${q[@]}" resume > /dev/null
until seq 1 "$tasks" | xargs "$ctl" "${q[@]}" wait > /dev/null 2>&1; do sleep 0.05; done
callgrind_control -i off "$daemon_pid" > /dev/null 2>&1
kill "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=
total=$(sed -n 's/^totals: //p' "$dir/callgrind.out" | tail -1)
echo "taskqueued $daemon: $tasks tasks, max_running $max_running"
echo "user-space instructions: $total in all, $((total / tasks)) per task"
[ -n "$out" ] && cp "$dir/callgrind.out" "$out"
exit 0
