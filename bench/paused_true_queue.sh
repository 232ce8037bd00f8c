# Sourced by the daemon's measuring scripts (daemon_wal_frames.sh,
# daemon_callgrind.sh): a queue of `true N` tasks (/bin/true with the task's
# args) that waits, paused, while the measuring tool attaches to a daemon.
#
# Needs: $dir (a temporary directory), $ctl (taskqueuectl), $daemon.
# Sets: q (taskqueuectl with the queue's options), daemon_pid.

# Queues `true 1` .. `true TASKS` in a paused queue under $dir.
paused_true_queue() {
  local tasks=$1
  mkdir -m 0755 "$dir/plugins"
  echo '{"processors":[{"command":"true","exec":["/bin/true","{args}"]}]}' > "$dir/plugins/bench.json"
  chmod 0644 "$dir/plugins/bench.json"
  q=("$ctl" --state-dir "$dir/state" --plugin-dir "$dir/plugins")
  "${q[@]}" pause > /dev/null
  seq 1 "$tasks" | sed 's/^/true /' | tr '\n' '\0' | xargs -0 -n 1000 "${q[@]}" queue > /dev/null
}

# Starts the daemon on that queue with MAX_RUNNING, as daemon_bench runs it
# (PATH alone, warnings only), behind the command words given before it
# (a wrapper such as valgrind; none is fine). Returns once `status` names
# it as the queue's daemon; exits 1 with its log if it dies first.
start_daemon() {
  local max_running=$1
  shift
  env -i PATH=/usr/bin:/bin "$@" "$daemon" --state-dir "$dir/state" --plugin-dir "$dir/plugins" \
    --max-running "$max_running" --log-level warn --config /dev/null 2> "$dir/daemon.log" &
  daemon_pid=$!
  until "${q[@]}" status 2> /dev/null | grep -q "pid $daemon_pid"; do
    kill -0 "$daemon_pid" || { cat "$dir/daemon.log" >&2; exit 1; }
    sleep 0.05
  done
}

# Resumes the queue and returns once every task has finished.
drain() {
  local tasks=$1
  "${q[@]}" resume > /dev/null
  until seq 1 "$tasks" | xargs "${q[@]}" wait > /dev/null 2>&1; do sleep 0.05; done
}
