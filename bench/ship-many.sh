#!/bin/sh
# bench/ship-many.sh [ROUTERS [NAMES [JOBS]]] - many routers shipping to
# one central store, as every five minutes: ROUTERS (default 200) router
# stores of NAMES (default 2,000) names each (t/helper/ipac-fixture), all
# shipped once (the names made in the central store), then a new run in
# each and every router shipping it, JOBS (default 8) at once, timed;
# ROUNDS (default 3) rounds.  A round must take less than the five
# minutes between runs: the headroom is 300 s over a round's time.  A
# throwaway PostgreSQL 15 (t/lib-pg.sh) on a Unix socket.  Run as root.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

ROUTERS=${1:-200}
NAMES=${2:-2000}
JOBS=${3:-8}
ROUNDS=${ROUNDS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s all t/helper/ipac-fixture
work=$(mktemp -d)

test_atexit () { :; }
test_cannot_run () { echo "ship-many.sh: $*" >&2; exit 1; }
test_require_prog () { :; }
. "$top/t/lib-pg.sh"
trap 'pg_cleanup_; rm -rf "$work"' EXIT
pg_require
pg_start
ms() { date +%s%N | cut -b1-13; }

# readings ROUTER RUN: the absolute counters of every name at run RUN
readings () {
	awk -v r="$1" -v run="$2" -v n="$NAMES" 'BEGIN {
		t = 1790000000 + run * 300
		for (i = 0; i < n; i++)
			printf "%d host 10.%d.%d.%d in %d %d\n", t, int(i / 65536),
			    int(i / 256) % 256, i % 256, (run + 1) * (i + r + 1) * 100,
			    (run + 1) * (i % 7 + 1)
	}'
}

echo "making $ROUTERS router stores of $NAMES names..."
i=0
while [ $i -lt "$ROUTERS" ]; do
	{ readings $i 0; readings $i 1; } |
		"$top/t/helper/ipac-fixture" -d "$work/r$i.db" -H "r$i" -z UTC
	printf "store = %s\nhostname = r%d\ncentral store = %s\ncentral timeout = 600s\n" \
		"$work/r$i.db" $i "$PG_URI" >"$work/r$i.conf"
	i=$((i + 1))
done

# ship_all: every router ships, JOBS at once; prints the ms it took.
ship_all () {
	t0=$(ms)
	seq 0 $((ROUTERS - 1)) | xargs -P "$JOBS" -I R \
		"$top/fetchipac/fetchipac" -C "$work/rR.conf" -S
	t1=$(ms)
	echo $((t1 - t0))
}

echo "first shipment of every router (names made): $(ship_all) ms"
: >"$work/rounds"
round=2
while [ $round -le $((ROUNDS + 1)) ]; do
	i=0
	while [ $i -lt "$ROUTERS" ]; do
		readings $i $round |
			"$top/t/helper/ipac-fixture" -d "$work/r$i.db" -H "r$i" -z UTC
		i=$((i + 1))
	done
	ship_all >>"$work/rounds"
	round=$((round + 1))
done
got=$(pg_sql "SELECT count(*) FROM sample")
want=$(i=0; n=0; while [ $i -lt "$ROUTERS" ]; do
	n=$((n + $(sqlite3 "$work/r$i.db" "SELECT count(*) FROM sample"))); i=$((i + 1)); done; echo $n)
[ "$got" = "$want" ] || { echo "central has $got samples, the routers $want" >&2; exit 1; }
med=$(sort -n "$work/rounds" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "a round ($ROUTERS routers x one run of $NAMES names, $JOBS at once): $(sort -n "$work/rounds" | awk '{ v[NR] = $1 } END {
	printf "min %d median %d max %d ms (N=%d)", v[1], v[int((NR + 1) / 2)], v[NR], NR }')"
awk -v m="$med" -v r="$ROUTERS" -v n="$NAMES" 'BEGIN {
	printf "%.0f samples/s; headroom for a run every 300 s: %.1f x\n", r * n * 1000 / m, 300000 / m }'
echo "central store: $(pg_sql "SELECT pg_size_pretty(pg_database_size('ipac'))"), $got samples"
