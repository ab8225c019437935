# Where the local PostgreSQL clusters live. The one place that names their ports and data
# folders: scripts/postgres, the tests (through the URLs it prints), scripts/run, scripts/bench
# and scripts/chaos all read them from here, so one setting moves them all.
#
#   TOME_POOL_PG_PORT   the cluster's port (default 54329)
#   TOME_POOL_PG_DATA   its data folder (default: tome-pool-pg-PORT under TMPDIR, or /tmp)
#
# The chaos suite stops and starts a cluster of its own mid-run, ten ports above and
# in a folder beside this one (use_chaos_cluster), so it never touches the tests' cluster.

pg_port=${TOME_POOL_PG_PORT:-54329}
pg_data=${TOME_POOL_PG_DATA:-${TMPDIR:-/tmp}/tome-pool-pg-$pg_port}

use_chaos_cluster() {
  pg_port=$((pg_port + 10))
  pg_data=$pg_data-chaos
  export TOME_POOL_PG_PORT=$pg_port TOME_POOL_PG_DATA=$pg_data
}

# pg_bin: the newest installed PostgreSQL's bin folder, or nothing.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# as_owner COMMAND...: runs COMMAND as the cluster's owner, the postgres user (never as root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# port_answers PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port on 127.0.0.1 that nothing listens on, below Linux's ephemeral range (so an
# outgoing connection cannot take it between this check and the server's start).
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 12000))
    port_answers "$port" || { echo "$port"; return 0; }
  done
  echo "error: no free port found on 127.0.0.1" >&2
  return 1
}
