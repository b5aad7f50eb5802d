#!/usr/bin/env bash
# The pages the bank campaign (examples/campaigns/bank.json) writes on SQLite: `omnivox run
# --storage sqlite:FILE` on a new file with a preloaded pwrite64 hook that records each WAL
# frame's header (https://www.sqlite.org/fileformat2.html#walformat: the page number, and for
# the last frame of a transaction the database size). Prints the frames, the commits, frames per
# commit, and the frames by the table or index that holds the frame's page at the end of the run
# (a page freed and taken by another table counts for the last one). docs/storage.md, "SQLite
# writes fewer pages per commit".
#
#   bash benchmarks/sqlite_wal_frames.sh [BUILD_DIR=build]
#
# Needs a C compiler and /usr/bin/python3 with its sqlite3 module (SQLite built with dbstat).
set -euo pipefail
build="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d /tmp/omnivox-wal-frames-XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/frames.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* SQLite writes a WAL frame as a 24-byte header, then the page; nothing else it writes is 24
   bytes long. The header starts with the page number and the database size after a commit (0
   for other frames), both big-endian. */
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  static FILE* out;
  if (!real) real = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
  if (n == 24) {
    if (!out) out = fopen(getenv("OMNIVOX_WAL_FRAMES"), "w");
    const unsigned char* b = buf;
    if (out) {
      fprintf(out, "%u %u\n", (unsigned)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3],
              (unsigned)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7]);
    }
  }
  return real(fd, buf, n, offset);
}
EOF
cc -shared -fPIC -O2 -o "$work/frames.so" "$work/frames.c" -ldl

OMNIVOX_WAL_FRAMES="$work/frames.txt" LD_PRELOAD="$work/frames.so" \
  "$build/src/cli/omnivox" run --campaign "$root/examples/campaigns/bank.json" \
  --storage "sqlite:$work/bank.db" --quiet --out "$work/out" >"$work/run.log" 2>&1

/usr/bin/python3 - "$work/bank.db" "$work/frames.txt" <<'EOF'
import collections
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
owner = {page: name for name, page in db.execute("SELECT name, pageno FROM dbstat")}
by_table = collections.Counter()
commits = 0
for line in open(sys.argv[2]):
    page, size_after_commit = map(int, line.split())
    by_table[owner.get(page, "(not in the file at the end)")] += 1
    commits += size_after_commit != 0
frames = sum(by_table.values())
print(f"{frames} WAL frames, {commits} commits, {frames / max(commits, 1):.1f} frames a commit")
for name, n in by_table.most_common(10):
    print(f"  {name:<28} {n:>8}")
EOF
