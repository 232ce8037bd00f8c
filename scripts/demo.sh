#!/usr/bin/env bash
# The main job, end to end: builds taskqueue, starts the daemon on a fresh
# state dir with the demo plugins, queues and schedules a few tasks with the
# CLI, waits for them, and shows what happened. Installs its own packages.
# Usage: scripts/demo.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
build="${TASKQUEUE_BUILD_DIR:-$root/build}"

bash scripts/install-deps.sh
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target taskqueuectl taskqueued demo_plugins

state="$(mktemp -d)"
plugins="$build/plugins"
ctl() { "$build/cli/taskqueuectl" --state-dir "$state" --plugin-dir "$plugins" "$@"; }

"$build/taskqueued/taskqueued" --state-dir "$state" --plugin-dir "$plugins" --max-running 2 \
  --http 127.0.0.1:8377 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; rm -rf "$state"' EXIT

echo "== queueing"
ctl queue 'sleep_echo 1 "hello from taskqueue"' 'sleep_echo 2 "second task"' 'notify fred "wake up"'
ctl queue 'notify fred "wake up"'          # a duplicate: not queued twice
ctl schedule after 2 'sleep_echo 1 "scheduled for later"'
ctl --json status
echo "== waiting (dashboard at http://127.0.0.1:8377/)"
ids=$(ctl --json list | python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)))')
sleep 3
ctl wait $ids || true
echo "== history"
ctl list verbose complete
