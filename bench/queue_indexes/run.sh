#!/usr/bin/env bash
# The cost of claiming 1,000 due escalations among 401,000 and recording them as sent, in
# SQL on PostgreSQL, for the index layout before migration 000016 ("before") or after it
# ("after"). Usage: bench/queue_indexes/run.sh before|after ROUNDS
# Needs a built binary (target/debug or target/release) and psql; uses TEST_DATABASE_URL's
# server (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
layout=$1 rounds=$2
admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=yq_queue_indexes_$layout
url="${admin%/*}/$db"
bin=$here/../../target/release/yuqing-tracker
[ -x "$bin" ] || bin=$here/../../target/debug/yuqing-tracker
psql -q "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
DATABASE_URL=$url "$bin" migrate > /dev/null
psql -q "$url" -v ON_ERROR_STOP=1 -f "$here/seed.sql"
if [ "$layout" = before ]; then
  psql -q "$url" -v ON_ERROR_STOP=1 \
    -f "$here/../../migrations/postgres/2026-12-07-000016_queue_indexes/down.sql"
fi
psql -q "$url" -c "VACUUM ANALYZE" -c "CHECKPOINT"
for _ in $(seq "$rounds"); do psql -q "$url" -f "$here/round.sql"; done | awk -v layout="$layout" '
  /^CLAIM/ {p = "c"} /^RECORD/ {p = "r"} /^END/ {p = ""}
  /^Time:/ { if (p == "c") { c += $2; n++ } else if (p == "r") { r += $2 } }
  END { printf "%s: %d rounds, claim mean %.1f ms, record mean %.1f ms\n", layout, n, c / n, r / n }'
psql -q "$admin" -c "DROP DATABASE $db"
