# Starting the project's servers from a script and stopping them however it ends. The caller
# sets `work` (a scratch directory) and `pids=()`, and traps EXIT to stop_servers.

# start_url NAME VAR COMMAND...: starts a server that prints its URL on a line of its own (card-app
# writes its audit trail's first records to standard output before it), records its pid in
# `pids`, and sets VAR to the URL; its output goes to $work/NAME.out and .log. Not to be called in
# a command substitution: a subshell would record the pid in its own copy of `pids`, and the
# server would outlive the script.
start_url() {
  local name=$1 var=$2
  shift 2
  "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do grep -qE '^https?://' "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  printf -v "$var" '%s' "$(grep -m1 -E '^https?://' "$work/$name.out" 2>/dev/null || true)"
  [ -n "${!var}" ] || { echo "error: $name did not start:" >&2; cat "$work/$name.log" >&2; exit 1; }
}

# stop_servers: stops every server start_url started and removes $work.
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
