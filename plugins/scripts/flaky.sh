#!/bin/sh
# flaky [N]: fails on the first N attempts (default 1), then succeeds; shows
# retries with backoff (demo plugin). The daemon sets TASKQUEUE_ATTEMPT.
set -eu
fail_first="${1:-1}"
attempt="${TASKQUEUE_ATTEMPT:-1}"
if [ "$attempt" -le "$fail_first" ]; then
  echo "flaky: attempt $attempt fails on purpose" >&2
  exit 1
fi
echo "flaky: attempt $attempt succeeded"
