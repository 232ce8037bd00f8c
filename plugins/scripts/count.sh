#!/bin/sh
# count N: counts to N, one step every half second, reporting progress to
# the queue when taskqueuectl is on PATH (demo plugin; deferral tag "counter"
# makes counts run one at a time).
set -eu
n="$1"
i=0
while [ "$i" -lt "$n" ]; do
  i=$((i + 1))
  echo "count: $i of $n"
  if command -v taskqueuectl >/dev/null 2>&1 && [ -n "${TASKQUEUE_TASK_ID:-}" ]; then
    taskqueuectl progress "$i" "$n" >/dev/null 2>&1 || true
  fi
  sleep 0.5
done
