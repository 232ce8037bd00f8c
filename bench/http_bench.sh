#!/bin/sh
# HTTP benchmark: requests/s of taskqueued's Kue API on loopback, measured
# with wrk (apt-get install wrk): GET /stats, POST /job (one job), and
# POST /job (a bulk array of 100 jobs).
#
# Usage: bench/http_bench.sh BUILD_DIR [SECONDS] [CONNECTIONS]
#   BUILD_DIR holds taskqueued/taskqueued and plugins/ (the example plugins).
# Prints one line per case. Everything runs in a temporary state dir that is
# removed at the end; the daemon is stopped by its pid.
set -eu

build=${1:?usage: http_bench.sh BUILD_DIR [SECONDS] [CONNECTIONS]}
secs=${2:-10}
conns=${3:-4}
daemon=$build/taskqueued/taskqueued
command -v wrk >/dev/null || { echo "http_bench: wrk is not installed (apt-get install wrk)" >&2; exit 69; }
[ -x "$daemon" ] || { echo "http_bench: no $daemon; build taskqueued first" >&2; exit 66; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tq-http-bench-XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A processor that does nothing, so the queue measures only the API and the
# store. The daemon is paused so the bench measures enqueueing alone.
mkdir -m 700 "$tmp/plugins"
cat > "$tmp/plugins/bench.json" <<'JSON'
{ "processors": [ { "command": "bench", "exec": ["/bin/true"] } ] }
JSON

"$daemon" --state-dir "$tmp/state" --plugin-dir "$tmp/plugins" --http 127.0.0.1:0 \
  2> "$tmp/daemon.log" &
pid=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/daemon.log" | head -n1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "http_bench: taskqueued did not start:" >&2; cat "$tmp/daemon.log" >&2; exit 1; }
url=http://127.0.0.1:$port
curl -sf -d "" "$url/api/v1/pause" >/dev/null ||
  { echo "http_bench: cannot pause the queue" >&2; exit 1; }

# wrk Lua scripts: each request carries distinct args, so no job is a dupe.
cat > "$tmp/single.lua" <<'LUA'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, "/job", nil,
    '{"type":"bench","data":{"args":["' .. n .. '-' .. math.random(1e9) .. '"],"k":"v"}}')
end
LUA
cat > "$tmp/bulk.lua" <<'LUA'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local items = {}
  local r = math.random(1e9)
  for i = 1, 100 do
    n = n + 1
    items[i] = '{"type":"bench","data":{"args":["' .. n .. '-' .. r .. '"],"k":"v"}}'
  end
  return wrk.format(nil, "/job", nil, "[" .. table.concat(items, ",") .. "]")
end
LUA

run() {  # name, wrk args...
  name=$1; shift
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@")
  rps=$(printf '%s\n' "$out" | sed -n 's/^Requests\/sec: *//p')
  p50=$(printf '%s\n' "$out" | sed -n 's/^ *50% *//p')
  p99=$(printf '%s\n' "$out" | sed -n 's/^ *99% *//p')
  non2xx=$(printf '%s\n' "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *//p')
  printf '%-22s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "taskqueued HTTP on loopback: wrk -t2 -c$conns -d${secs}s; $(nproc) CPUs; $(uname -r)"
run "GET /stats" "$url/stats"
run "POST /job (1)" -s "$tmp/single.lua" "$url"
run "POST /job (bulk 100)" -s "$tmp/bulk.lua" "$url"
total=$(curl -s "$url/api/v1/stats" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
echo "tasks stored: ${total:-?}"
