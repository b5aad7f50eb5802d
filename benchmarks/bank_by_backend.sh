#!/usr/bin/env bash
# The bank campaign (examples/campaigns/bank.json: 45,211 contacts, 124,956 attempts) run with
# `omnivox run` on each storage backend in one go, so the figures share the machine's load:
# memory, SQLite (a new file, WAL, synchronous=NORMAL) and PostgreSQL (a new database on a
# throwaway cluster, fsync off, over TCP on 127.0.0.1). Prints wall and CPU seconds per backend
# and each persistent backend's ratio to memory (benchmarks/README.md), and whether its
# calls.csv, calls.jsonl and metrics.json are byte for byte memory's (when memory ran first);
# exits 1 if any differs.
#
#   bash benchmarks/bank_by_backend.sh [BUILD_DIR=build] [BACKENDS="memory sqlite postgres"]
#
# BUILD_DIR must hold src/cli/omnivox and tests/omnivox_pg_cluster. PostgreSQL's initdb refuses
# root: the cluster tool runs it as the `postgres` user.
set -euo pipefail
build="${1:-build}"
backends="${2:-memory sqlite postgres}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="$build/src/cli/omnivox"
pgtool="$build/tests/omnivox_pg_cluster"
campaign="$root/examples/campaigns/bank.json"
work=$(mktemp -d /tmp/omnivox-bank-bench-XXXXXX)
chmod 777 "$work"
cleanup() {
  if [ -d "$work/pg" ]; then "$pgtool" stop "$work/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

memory_wall=""
differs=0
for backend in $backends; do
  case "$backend" in
    memory) url=memory ;;
    sqlite) url="sqlite:$work/bank.db" ;;
    postgres)
      "$pgtool" start "$work/pg" >/dev/null
      url=$("$pgtool" createdb "$work/pg" bank)
      ;;
    *)
      echo "unknown backend $backend" >&2
      exit 2
      ;;
  esac
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$cli" run --campaign "$campaign" --storage "$url" \
    --quiet --out "$work/out-$backend" >"$work/$backend.log" 2>&1
  read -r wall user sys <"$work/time"
  attempts=$(grep -o '"attempts":[0-9]*' "$work/out-$backend/summary.json" | head -1 | cut -d: -f2)
  [ "$backend" = memory ] && memory_wall="$wall"
  ratio=""
  if [ -n "$memory_wall" ] && [ "$backend" != memory ]; then
    ratio=$(awk -v a="$wall" -v b="$memory_wall" 'BEGIN { printf "  (%.0fx memory)", a / b }')
  fi
  same=""
  if [ -n "$memory_wall" ] && [ "$backend" != memory ]; then
    same="  same outputs as memory"
    for file in calls.csv calls.jsonl metrics.json; do
      if ! cmp -s "$work/out-memory/$file" "$work/out-$backend/$file"; then
        same="  OUTPUTS DIFFER from memory's ($file)"
        differs=1
        break
      fi
    done
  fi
  printf '%-9s %8.1f s wall  %7.1f s CPU  %s attempts%s%s\n' "$backend" "$wall" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$attempts" "$ratio" "$same"
done
exit "$differs"
