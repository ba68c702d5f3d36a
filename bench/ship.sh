#!/bin/sh
# bench/ship.sh [NAMES [DAYS]] - a router's backlog shipped to a central
# store: bench/store-year makes a store of DAYS (default 4) of
# five-minute runs of NAMES (default 1,000) names, every name counting in
# every run (1,152,000 samples by default); a throwaway PostgreSQL 15
# (t/lib-pg.sh, on a Unix socket) takes it, RUNS times (default 3) into
# an empty database, alternated with the floor: psql's \copy of the same
# sample rows, exported beforehand, into a table of the same key.
# Prints min/median/max of both, the rows per second and the ratio.
# Goal (issue 15): 1,000,000 samples in at most 10 s.  Run as root.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

NAMES=${1:-1000}
DAYS=${2:-4}
RUNS=${RUNS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s all bench
work=$(mktemp -d)

# what t/lib-pg.sh needs of t/test-lib.sh
test_atexit () { :; }
test_cannot_run () { echo "ship.sh: $*" >&2; exit 1; }
test_require_prog () { :; }
. "$top/t/lib-pg.sh"
trap 'pg_cleanup_; rm -rf "$work"' EXIT
pg_require
pg_start

echo "making $DAYS days of five-minute runs of $NAMES names..."
"$top/bench/store-year" "$work/r.db" "$NAMES" "$DAYS" >/dev/null
host=$(sqlite3 "$work/r.db" "SELECT name FROM host LIMIT 1")
samples=$(sqlite3 "$work/r.db" "SELECT count(*) FROM sample")
sqlite3 -csv "$work/r.db" "SELECT 1, t, rule_id, bytes, pkts FROM sample" \
	>"$work/samples.csv"
cat >"$work/settings" <<EOF
store = $work/r.db
hostname = $host
central store = $PG_URI
central timeout = 600s
EOF

ms() { date +%s%N | cut -b1-13; }
stats() { sort -n | awk '{ v[NR] = $1 } END {
	printf "min %d median %d max %d ms (N=%d)", v[1], v[int((NR + 1) / 2)], v[NR], NR }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

fresh() {
	pg_sql_db_ postgres "DROP DATABASE IF EXISTS ipac" >/dev/null
	pg_sql_db_ postgres "CREATE DATABASE ipac" >/dev/null
}

: >"$work/ship.ms"
: >"$work/copy.ms"
i=0
while [ $i -lt "$RUNS" ]; do
	fresh
	t0=$(ms)
	"$top/fetchipac/fetchipac" -C "$work/settings" -S
	t1=$(ms)
	echo $((t1 - t0)) >>"$work/ship.ms"
	got=$(pg_sql "SELECT count(*) FROM sample")
	[ "$got" = "$samples" ] || { echo "shipped $got of $samples samples" >&2; exit 1; }

	fresh
	pg_sql "CREATE TABLE bare (host_id bigint, t bigint, rule_id bigint,
		bytes bigint, pkts bigint, PRIMARY KEY (host_id, t, rule_id))" >/dev/null
	t0=$(ms)
	psql -X -q -h "$PG_DIR" -U postgres -d ipac \
		-c "\\copy bare FROM '$work/samples.csv' WITH (FORMAT csv)"
	t1=$(ms)
	echo $((t1 - t0)) >>"$work/copy.ms"
	i=$((i + 1))
done

s=$(median <"$work/ship.ms")
c=$(median <"$work/copy.ms")
echo "backlog: $samples samples, $(sqlite3 "$work/r.db" "SELECT count(*) FROM run") runs, $NAMES names"
echo "fetchipac -S into an empty central store: $(stats <"$work/ship.ms"), $((samples * 1000 / s)) samples/s"
printf 'psql \\copy of the samples alone (the floor): %s\n' "$(stats <"$work/copy.ms")"
awk -v s="$s" -v c="$c" 'BEGIN { printf "ratio (medians): %.2f\n", s / c }'
