#!/bin/sh
# bench/central-report.sh [STORE [HOSTS]] - ipacsum on a central store
# against the same reports on the router's own SQLite store: the store of
# bench/store-year (a year of five-minute fetches of 1,000 names; made
# when STORE is not given, which takes minutes) shipped to a throwaway
# PostgreSQL 15 (t/lib-pg.sh) under HOSTS host names (default 1; the
# others are copies, for a central store of several routers), then each
# report of bench/report.sh timed RUNS times (default 5) on both,
# alternated; medians and their ratio (central / SQLite).  Run as root.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

RUNS=${RUNS:-5}
HOSTS=${2:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s all bench
work=$(mktemp -d)

test_atexit () { :; }
test_cannot_run () { echo "central-report.sh: $*" >&2; exit 1; }
test_require_prog () { :; }
. "$top/t/lib-pg.sh"
trap 'pg_cleanup_; rm -rf "$work"' EXIT
pg_require
pg_start

store=${1:-}
if [ -z "$store" ]; then
	store=$work/year.db
	echo "making a year of five-minute fetches of 1,000 names (minutes)..."
	"$top/bench/store-year" "$store" 1000 365
fi
host=$(sqlite3 "$store" "SELECT name FROM host LIMIT 1")
ms() { date +%s%N | cut -b1-13; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The routers: the store under HOSTS names (copies of it, renamed).
i=0
while [ $i -lt "$HOSTS" ]; do
	r=$work/r$i.db
	if [ $i = 0 ]; then name=$host; else name=$host-$i; fi
	cp "$store" "$r"
	[ $i = 0 ] || sqlite3 "$r" "UPDATE host SET name = '$name'"
	printf "store = %s\nhostname = %s\ncentral store = %s\ncentral timeout = 3600s\n" \
		"$r" "$name" "$PG_URI" >"$work/r$i.conf"
	t0=$(ms)
	"$top/fetchipac/fetchipac" -C "$work/r$i.conf" -S
	t1=$(ms)
	echo "shipped $name: $((t1 - t0)) ms"
	i=$((i + 1))
done
pg_sql "VACUUM ANALYZE" >/dev/null
echo "central store: $(pg_sql "SELECT pg_size_pretty(pg_database_size('ipac'))"), $HOSTS hosts"

IPAC_TEST_NOW=$(sqlite3 "$store" "SELECT max(t1) FROM run")
export IPAC_TEST_NOW
TZ=UTC
export TZ

both() {
	label=$1
	shift
	: >"$work/l" ; : >"$work/c"
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(ms)
		"$top/ipacsum/ipacsum" -d "$work/r0.db" -H "$host" "$@" >"$work/out.l"
		t1=$(ms)
		"$top/ipacsum/ipacsum" -d "$PG_URI" -H "$host" "$@" >"$work/out.c"
		t2=$(ms)
		echo $((t1 - t0)) >>"$work/l"
		echo $((t2 - t1)) >>"$work/c"
		cmp -s "$work/out.l" "$work/out.c" ||
			{ echo "$label: the reports differ" >&2; exit 1; }
		i=$((i + 1))
	done
	l=$(median <"$work/l")
	c=$(median <"$work/c")
	printf '%-36s SQLite %5s ms  central %5s ms  ratio %s  (%s lines, N=%s)\n' \
		"$label" "$l" "$c" \
		"$(awk -v a="$c" -v b="$l" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')" \
		"$(wc -l <"$work/out.l")" "$RUNS"
}

both "today" -t today
both "this month" -t "this month"
both "this year" -t "this year"
both "the last 365 days, per day" -s 365D -i day --format csv
both "ever" -s ever
if [ "$HOSTS" -gt 1 ]; then
	: >"$work/a"
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(ms)
		"$top/ipacsum/ipacsum" -d "$PG_URI" --all-hosts -t "this year" >/dev/null
		t1=$(ms)
		echo $((t1 - t0)) >>"$work/a"
		i=$((i + 1))
	done
	echo "--all-hosts, this year ($HOSTS hosts): $(median <"$work/a") ms (N=$RUNS)"
fi
