#!/usr/bin/env bash
# The omnivox_pg_cluster tool: start prints a conninfo that psql can use, createdb makes a
# database, stop stops the server; a second start on the same directory reuses the cluster.
set -euo pipefail
tool="$1"
psql=/usr/lib/postgresql/15/bin/psql
dir=$(mktemp -d /tmp/omnivox-pgtool-XXXXXX)
cleanup() { "$tool" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

conninfo=$("$tool" start "$dir")
echo "conninfo: $conninfo"
[[ "$conninfo" == *"host=127.0.0.1"* && "$conninfo" == *"dbname=postgres"* ]]
[ "$("$psql" "$conninfo" -Atc 'SELECT 1')" = 1 ]
again=$("$tool" start "$dir")   # already running: same cluster, same port
[ "$again" = "$conninfo" ]
db=$("$tool" createdb "$dir" tool_test)
[ "$("$psql" "$db" -Atc 'SELECT current_database()')" = tool_test ]
"$tool" stop "$dir"
if "$psql" "$conninfo" -Atc 'SELECT 1' >/dev/null 2>&1; then
  echo "server still answers after stop" >&2
  exit 1
fi
conninfo2=$("$tool" start "$dir")   # restarts with the same data and port
[ "$conninfo2" = "$conninfo" ]
[ "$("$psql" "$db" -Atc 'SELECT current_database()')" = tool_test ]
"$tool" stop "$dir"
if "$tool" bogus "$dir" 2>/dev/null; then exit 1; fi
echo "1 passed, 0 failed"
