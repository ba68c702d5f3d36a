#!/bin/sh
# bench/read.sh [N...] - fetchipac reading N counters that did not move
# (no traffic), against the fastest reads of the same counters known
# (bench/bare-read: one GETOBJ dump; a GETOBJ request per counter), in
# one run, taking turns.  Also fetchipac made to dump (the way before
# counters were read by name) and made to ask by name, to place the
# threshold.  RUNS rounds (default 5) per N (default 1000 10000 30000
# 100000); prints min/median/max of each and the ratio of fetchipac's
# median to the best bare median.  DUMP=0 leaves out the two dumps
# (their time grows with the square of N: ~5 s at 200,000 names, minutes
# at 1,000,000), so the best bare read is then the one by name.  Runs
# only in a namespace it makes.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

RUNS=${RUNS:-5}
DUMP=${DUMP:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s bench
[ $# -gt 0 ] || set -- 1000 10000 30000 100000

ns=ipac-bench-read-$$
work=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null || :; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up
PATH=$top/ipacset:$top/fetchipac:$top/bench:$PATH
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS

ms() { date +%s%N | cut -b1-13; }

# stats FILE: "min median max" of the numbers in FILE
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

for n in "$@"
do
	rm -f "$work"/*.ms "$work/ipac.db"*
	printf '%s\n' "store = $work/ipac.db" >"$IPAC_SETTINGS"
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		printf "h%d|out|lo|all||198.18.%d.%d\n", i,
		    int(i / 256) % 256, i % 256 }' >"$work/ipac.conf"
	ip netns exec "$ns" ipacset "$work/ipac.conf"
	ip netns exec "$ns" fetchipac -q
	r=0
	while [ $r -lt "$RUNS" ]
	do
		t0=$(ms)
		ip netns exec "$ns" fetchipac -q
		t1=$(ms)
		echo $((t1 - t0)) >>"$work/fetch.ms"
		if [ "$DUMP" != 0 ]; then
			t0=$(ms)
			IPAC_TEST_NAMED_MIN=999999999 ip netns exec "$ns" \
			    fetchipac -q
			t1=$(ms)
			echo $((t1 - t0)) >>"$work/fetch-dump.ms"
		fi
		t0=$(ms)
		IPAC_TEST_NAMED_MIN=1 ip netns exec "$ns" fetchipac -q
		t1=$(ms)
		echo $((t1 - t0)) >>"$work/fetch-named.ms"
		# timed as fetchipac is: the process and ip netns exec too
		for how in $([ "$DUMP" != 0 ] && echo dump) named
		do
			t0=$(ms)
			ip netns exec "$ns" bare-read $how ipac "$n" >"$work/got"
			t1=$(ms)
			echo $((t1 - t0)) >>"$work/bare-$how.ms"
			# the dump also has the mark of the ruleset
			[ "$(cut -d' ' -f2 "$work/got")" -ge "$n" ] ||
				{ echo "bare-read $how: $(cat "$work/got")"; exit 1; }
		done
		r=$((r + 1))
	done
	echo "N=$n names, $RUNS runs each, ms min/median/max:"
	for v in fetch fetch-dump fetch-named bare-dump bare-named
	do
		[ -f "$work/$v.ms" ] || continue
		printf '  %-12s %s\n' "$v" "$(stats "$work/$v.ms")"
	done
	f=$(stats "$work/fetch.ms" | cut -d' ' -f2)
	d=999999999
	[ "$DUMP" = 0 ] || d=$(stats "$work/bare-dump.ms" | cut -d' ' -f2)
	b=$(stats "$work/bare-named.ms" | cut -d' ' -f2)
	awk -v f="$f" -v d="$d" -v b="$b" 'BEGIN {
		best = d < b ? d : b
		printf "  fetchipac / best bare read: %.2f (best: %s)\n",
		    f / best, d < b ? "dump" : "named" }'
	ip netns exec "$ns" ipacset -F 2>/dev/null || :
done
