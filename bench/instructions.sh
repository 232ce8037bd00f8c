#!/bin/bash
# Instructions per enqueue and per processed task, user and kernel, counted
# by `perf stat` around bench/phase_bench (one process per phase): the
# steady measure of the library's work on a shared VM, where time is not.
# Compare builds by running it for each, one after the other.
#
# Usage: bench/instructions.sh BUILD_DIR [TASKS] [full|normal]
# Needs perf (linux-perf) and permission to count (root, or
# kernel.perf_event_paranoid <= 1 for the kernel's share).
set -euo pipefail
build=${1:?usage: instructions.sh BUILD_DIR [TASKS] [full|normal]}
tasks=${2:-5000}
durability=${3:-normal}
bench="$build/bench/phase_bench"
[ -x "$bench" ] || { echo "no $bench: build the phase_bench target" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for phase in queue process; do
  stats="$dir/perf.$phase"
  line=$(perf stat -x, -e instructions:u,instructions:k -o "$stats" \
    "$bench" --dir "$dir/state" --phase "$phase" --tasks "$tasks" --durability "$durability")
  user=$(awk -F, '/instructions:u/ {print $1}' "$stats")
  kernel=$(awk -F, '/instructions:k/ {print $1}' "$stats")
  echo "$line; instructions per task: $((user / tasks)) user + $((kernel / tasks)) kernel"
done
