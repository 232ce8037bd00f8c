#!/bin/bash
# Instructions per task of taskqueued running /bin/true children, user and
# kernel, counted by `perf stat`: the daemon alone, the daemon with its
# children, and a plain fork+exec+wait loop of /bin/true (daemon_bench
# --fork-loop-only) for comparison. The steady measure of the daemon's work on
# a shared VM, where time is not. Compare builds by running it for each.
#
# Usage: bench/daemon_instructions.sh BUILD_DIR [TASKS] [full|normal] [MAX_RUNNING]
# Needs perf (linux-perf) and permission to count (root, or
# kernel.perf_event_paranoid <= 1 for the kernel's share).
set -euo pipefail
build=${1:?usage: daemon_instructions.sh BUILD_DIR [TASKS] [full|normal] [MAX_RUNNING]}
tasks=${2:-2000}
durability=${3:-full}
max_running=${4:-2}
ctl="$build/cli/taskqueuectl"
daemon=${TASKQUEUED:-$build/taskqueued/taskqueued}
bench="$build/bench/daemon_bench"
for exe in "$ctl" "$daemon" "$bench"; do
  [ -x "$exe" ] || { echo "no $exe: build it first" >&2; exit 2; }
done
dir=$(mktemp -d)
perf_pid=
cleanup() {
  [ -n "$perf_pid" ] && kill "$perf_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -m 0755 "$dir/plugins"
echo '{"processors":[{"command":"true","exec":["/bin/true","{args}"]}]}' > "$dir/plugins/bench.json"
chmod 0644 "$dir/plugins/bench.json"

per_task() {  # perf's CSV output file -> "U user + K kernel"
  awk -F, -v n="$tasks" '/instructions:u/ {u = $1} /instructions:k/ {k = $1}
    END {printf "%dk user + %dk kernel", u / n / 1000, k / n / 1000}' "$1"
}

# $1: "daemon" (the daemon's own threads) or "tree" (and its children).
run_daemon() {
  rm -rf "$dir/state"
  seq 1 "$tasks" | sed 's/^/true /' | tr '\n' '\0' |
    xargs -0 -n 1000 "$ctl" --state-dir "$dir/state" --plugin-dir "$dir/plugins" queue > /dev/null
  local inherit=()
  [ "$1" = daemon ] && inherit=(--no-inherit)
  # With PATH alone, as daemon_bench runs it: a LANG would make every
  # `/bin/true N` load its locale.
  perf stat "${inherit[@]}" -x, -e instructions:u,instructions:k -o "$dir/perf.$1" -- \
    env -i PATH=/usr/bin:/bin "$daemon" --state-dir "$dir/state" --plugin-dir "$dir/plugins" --max-running "$max_running" \
    --durability "$durability" --log-level warn --config /dev/null 2> "$dir/daemon.log" &
  perf_pid=$!
  # Every task id, 1..N in a fresh queue; `wait` exits 69 until the daemon
  # is up.
  local status tries=0
  while :; do
    status=0
    seq 1 "$tasks" | xargs "$ctl" --state-dir "$dir/state" wait > /dev/null 2>&1 || status=$?
    [ "$status" = 0 ] && break
    tries=$((tries + 1))
    if [ "$tries" -ge 200 ]; then
      echo "the daemon did not finish the tasks (taskqueuectl wait: $status); see its log:" >&2
      cat "$dir/daemon.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  pkill -INT -P "$perf_pid"  # the daemon; perf writes its counts when it exits
  wait "$perf_pid" || true
  perf_pid=
  echo "$1: $(per_task "$dir/perf.$1") per task"
}

echo "taskqueued $daemon: $tasks tasks, max_running $max_running, durability $durability"
run_daemon daemon
run_daemon tree
perf stat -x, -e instructions:u,instructions:k -o "$dir/perf.loop" -- \
  "$bench" --fork-loop-only --tasks "$tasks" > /dev/null
echo "fork+exec+wait loop: $(per_task "$dir/perf.loop") per task"
