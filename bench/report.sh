#!/bin/sh
# bench/report.sh [STORE] - ipacsum on a year of five-minute fetches of
# 1,000 names (bench/store-year makes the store when STORE is not given):
# today, this month, this year, a per-day breakdown of the year and a
# billing export of 100 accounts, each timed RUNS times (default 5), the
# median printed.  Goal: each at most 100 ms.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store=${1:-}
if [ -z "$store" ]; then
	store=$work/year.db
	echo "making a year of five-minute fetches of 1,000 names (minutes)..."
	"$top/bench/store-year" "$store" 1000 365
fi
host=$(sqlite3 "$store" "SELECT name FROM host LIMIT 1")
# 100 accounts of 10 names each: host 10.0.X.Y down, X = 0..3
{
	echo "store = $store"
	i=0
	while [ $i -lt 100 ]; do
		echo "[account a$i]"
		echo "in = host 10.0.$((i * 10 / 256)).$((i * 10 % 256))* down"
		i=$((i + 1))
	done
} >"$work/settings"
# "now": the end of the simulated year
IPAC_TEST_NOW=$(sqlite3 "$store" "SELECT max(t1) FROM run")
export IPAC_TEST_NOW
TZ=UTC
export TZ

ms() { date +%s%N | cut -b1-13; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
timeit() {
	label=$1
	shift
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(ms)
		"$top/ipacsum/ipacsum" -C "$work/settings" -H "$host" "$@" >"$work/out"
		t1=$(ms)
		echo $((t1 - t0))
		i=$((i + 1))
	done | median >"$work/m"
	printf '%-40s %5s ms  (%s lines)\n' "$label" "$(cat "$work/m")" \
		"$(wc -l <"$work/out")"
}

timeit "today" -t today
timeit "this month" -t "this month"
timeit "this year" -t "this year"
timeit "the last 365 days, per day" -s 365D -i day --format csv
perday=$(cat "$work/m")
# The baseline: the same daily rows read and summed in C, nothing printed
# (bench/bare-sum), timed the same way (the process included).
to=$IPAC_TEST_NOW
from=$(( (to - 365 * 86400) / 86400 * 86400 ))
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(ms)
	"$top/bench/bare-sum" "$store" "$host" "$from" "$to" >/dev/null
	t1=$(ms)
	echo $((t1 - t0))
	i=$((i + 1))
done | median >"$work/m"
printf '%-40s %5s ms  (ratio per day / bare %s)\n' \
	"bare sum of the same daily rows" "$(cat "$work/m")" \
	"$(awk -v a="$perday" -v b="$(cat "$work/m")" \
	    'BEGIN { printf "%.2f", a / b }')"
timeit "billing, 100 accounts, last cycle" --billing last --format csv
timeit "ever" -s ever
