#!/usr/bin/env bash
# The bank campaign (examples/campaigns/bank.json) run once with `omnivox run` against a new
# throwaway PostgreSQL cluster with pg_stat_statements loaded (otherwise as bank_by_backend.sh
# starts one): prints the run's wall and CPU seconds with the load before and after, the server's
# CPU seconds and statement time, WAL and buffers touched in all, the statements that took most of the time (with
# their WAL and buffers: these two do not depend on the machine's load), the updates per table and
# how many were HOT, and the size of `contacts` (whole, heap) and of `contact_attributes`
# (benchmarks/README.md). Keeps the run's output (calls.csv,
# metrics.json, ...) in OUT_DIR when given.
#
#   bash benchmarks/postgres_statement_time.sh [BUILD_DIR=build] [OUT_DIR]
#
# BUILD_DIR must hold src/cli/omnivox and tests/omnivox_pg_cluster (for a copy of the build, set
# LD_LIBRARY_PATH to the copy's libraries).
set -euo pipefail
build="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
pgtool="$build/tests/omnivox_pg_cluster"
work=$(mktemp -d /tmp/omnivox-pg-statements-XXXXXX)
out="${2:-$work/out}"
chmod 777 "$work"
cleanup() {
  "$pgtool" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$pgtool" start "$work/pg" >/dev/null
printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.max = 1000\n" \
  >>"$work/pg/data/postgresql.conf"
"$pgtool" stop "$work/pg" >/dev/null
"$pgtool" start "$work/pg" >/dev/null
url=$("$pgtool" createdb "$work/pg" bank)
psql=(psql -h 127.0.0.1 -p "$(cat "$work/pg/port")" -U postgres -d bank -qAt -F ' | ')
"${psql[@]}" -c "CREATE EXTENSION pg_stat_statements"
"${psql[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -f "%e %U %S" -o "$work/time" "$build/src/cli/omnivox" run \
  --campaign "$root/examples/campaigns/bank.json" --storage "$url" --quiet --out "$out" \
  >"$work/run.log" 2>&1
read -r wall user sys <"$work/time"
echo "wall $wall s, CPU $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') s, load" \
  "$load_before -> $(cut -d' ' -f1-3 /proc/loadavg)"
# The server's CPU seconds (user + system) since it started: its exited processes' (the run's
# backend among them), which the postmaster has reaped, and those still running. Less moved by
# the machine's load than the statement time, which counts the time a backend waits for a core.
postmaster=$(head -1 "$work/pg/data/postmaster.pid")
server_ticks=$(awk '{ print $16 + $17 }' "/proc/$postmaster/stat")
for child in $(cat "/proc/$postmaster/task/$postmaster/children"); do
  server_ticks=$((server_ticks + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
done
echo "server CPU $(awk -v t="$server_ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }') s"
"${psql[@]}" -c "SELECT 'server statement time ' || round(sum(total_exec_time)::numeric / 1000, 2)
  || ' s, ' || sum(calls) || ' statements, WAL ' || pg_size_pretty(sum(wal_bytes))
  || ', buffers touched ' || sum(shared_blks_hit + shared_blks_read) FROM pg_stat_statements
  WHERE query NOT LIKE '%pg_stat_statements%'"
echo "seconds | calls | rows | WAL | buffers touched | statement"
"${psql[@]}" -c "SELECT round(total_exec_time::numeric / 1000, 2), calls, rows,
  pg_size_pretty(wal_bytes), shared_blks_hit + shared_blks_read,
  left(regexp_replace(query, '\s+', ' ', 'g'), 80) FROM pg_stat_statements
  ORDER BY total_exec_time DESC LIMIT 12"
echo "table | updates | of them HOT"
"${psql[@]}" -c "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
  WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC LIMIT 6"
"${psql[@]}" -c "SELECT 'contacts ' || pg_size_pretty(pg_total_relation_size('contacts'))
  || ' (heap ' || pg_size_pretty(pg_relation_size('contacts')) || '), contact_attributes '
  || COALESCE(pg_size_pretty(pg_total_relation_size(to_regclass('contact_attributes'))), '-')"
