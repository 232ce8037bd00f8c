#!/usr/bin/env bash
# Builds taskqueue and runs every test: unit, integration (the real daemon and
# CLI), install layout, the browser test of the dashboard, and (as root) the
# .deb smoke test. Installs its own packages first.
# Usage: scripts/test.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
build="${TASKQUEUE_BUILD_DIR:-$root/build}"

bash scripts/install-deps.sh --with-browser

# TASKQUEUE_CXX_FLAGS, when set, replaces the C++ flags: .ci/run sets the
# ci preset's warnings-as-errors.
flags=()
if [ -n "${TASKQUEUE_CXX_FLAGS:-}" ]; then flags=(-DCMAKE_CXX_FLAGS="$TASKQUEUE_CXX_FLAGS"); fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr "${flags[@]}"
cmake --build "$build" -j"$(nproc)"
# Tests run in parallel; each uses its own temporary state dir and ports.
(cd "$build" && ctest --output-on-failure -j"$(nproc)" --timeout 600)

if [ "$(id -u)" -eq 0 ] && [ -x packaging/deb-smoke-test.sh ]; then
  bash packaging/deb-smoke-test.sh "$build"
fi
