#!/bin/bash
# cli_bench.sh: how many `taskqueuectl queue` calls per second a shell script
# gets, one call per task, against a queue already holding 0, 10,000 and
# 100,000 tasks, with and without taskqueued running (the queue is paused so
# that the daemon holds the files open but does not drain the queue).
#
# Usage: bench/cli_bench.sh [BUILD_DIR]      (default: ./build)
# Environment: CALLS (default 1000), SIZES (default "0 10000 100000"),
#              TMPDIR (where the temporary state dirs go).
# Goal (issue 5): >= 600 calls/s at 100,000 queued, within 10% of the rate
# at an empty queue. This is a benchmark, not a test: it prints figures.
set -euo pipefail

build=${1:-build}
ctl=$(realpath "$build/cli/taskqueuectl")
daemon=$(realpath "$build/taskqueued/taskqueued" 2>/dev/null || true)
calls=${CALLS:-1000}
sizes=${SIZES:-"0 10000 100000"}
[[ -x $ctl ]] || { echo "no taskqueuectl in $build/cli" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tq-cli-bench-XXXXXX")
daemon_pid=
cleanup() {
  if [[ -n $daemon_pid ]]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
unset TASKQUEUE_STATE_DIR TASKQUEUE_NAME TASKQUEUE_PLUGIN_PATH

now_ns() { date +%s%N; }

# calls/s of `$@ <i>` run $calls times from this shell.
rate() {
  local start end i
  start=$(now_ns)
  for ((i = 0; i < calls; i++)); do "$@" "$i" >/dev/null; done
  end=$(now_ns)
  echo $(( calls * 1000000000 / (end - start) ))
}

fill() {  # fill DIR N: N waiting tasks, queued in batches of 5,000 per call
  local dir=$1 n=$2
  "$ctl" --state-dir "$dir" pause >/dev/null
  if (( n > 0 )); then
    seq 1 "$n" | sed 's/^/noop fill/' | xargs -d '\n' -n 5000 "$ctl" --state-dir "$dir" queue >/dev/null
  fi
}

queue_one() { "$ctl" --state-dir "$dir" queue "noop bench-$mode-$1"; }

echo "machine: $(nproc) cpus, $(uname -r); state in $work"
echo "process start baseline (/bin/true from a bash loop): $(rate /bin/true) calls/s"
printf '%-10s %-12s %12s %12s\n' queued daemon calls/s vs_empty
declare -A base
for mode in no-daemon daemon; do
  if [[ $mode == daemon && ! -x $daemon ]]; then
    echo "(no taskqueued in $build/taskqueued: skipping the daemon runs)"
    break
  fi
  for n in $sizes; do
    dir=$work/$mode-$n
    fill "$dir" "$n"
    if [[ $mode == daemon ]]; then
      "$daemon" --state-dir "$dir" 2>"$dir.daemon.log" &
      daemon_pid=$!
      for _ in $(seq 100); do
        "$ctl" --state-dir "$dir" --json status | grep -q '"daemon_pid": [0-9]' && break
        sleep 0.05
      done
    fi
    r=$(rate queue_one)
    [[ $n == "${sizes%% *}" ]] && base[$mode]=$r
    printf '%-10s %-12s %12s %11s%%\n' "$n" "$mode" "$r" $(( r * 100 / ${base[$mode]} ))
    waiting=$("$ctl" --state-dir "$dir" --json status | tr -d ' \n' | sed 's/.*"waiting":\([0-9]*\).*/\1/')
    if (( waiting != n + calls )); then echo "  unexpected: $waiting tasks waiting" >&2; fi
    if [[ -n $daemon_pid ]]; then kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=; fi
    rm -rf "$dir" "$dir.daemon.log"
  done
done
