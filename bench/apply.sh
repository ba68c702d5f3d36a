#!/bin/sh
# bench/apply.sh [N] - time ipacset applying N per-host rules against
# nft -f of equivalent hand-written scripts, in a namespace of its own.
#
#   same:  the exact table ipacset -D prints (named counters + one map),
#          so the ratio is what ipacset itself adds (parse, compile,
#          read the kernel state, libnftables);
#   set:   the cheapest hand-written alternative, one set with
#          per-element counters (no per-name counter objects).
#
# Each variant runs RUNS times (default 5), taking turns, on an empty
# table (the delete before each run is not timed); medians in ms.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
ipacset=$top/ipacset/ipacset
work=$(mktemp -d)
# ipacset's store in the temporary folder, never /var/lib/ipac.
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS
printf '%s\n' "store = $work/ipac.db" "spool fallback = $work/run-spool" \
	>"$IPAC_SETTINGS"
ns=ipac-bench-$$

cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"

# N host addresses 198.18.0.1 .. inside 198.18.0.0/15.
awk -v n="$N" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "host %d|in||all||198.%d.%d.%d\n", i,
		    18 + int(i / 65536), int(i / 256) % 256, i % 256
}' >"$work/ipac.conf"
"$ipacset" -D "$work/ipac.conf" >"$work/same.nft"
awk -v n="$N" 'BEGIN {
	print "table inet ipac {"
	print "\tset hosts { type ipv4_addr; counter; elements = {"
	for (i = 1; i <= n; i++)
		printf "\t\t198.%d.%d.%d%s\n", 18 + int(i / 65536),
		    int(i / 256) % 256, i % 256, i < n ? "," : ""
	print "\t} }"
	print "\tchain input { type filter hook input priority -5; policy accept;"
	print "\t\tip daddr @hosts"
	print "\t}"
	print "}"
}' >"$work/set.nft"

now_ns() { date +%s%N; }

# one timing (ms) of "$@" on an empty namespace; the kernel frees the
# deleted table in the background, so wait a second before timing
once() {
	ip netns exec "$ns" nft delete table inet ipac 2>/dev/null || true
	sleep 1
	t0=$(now_ns)
	ip netns exec "$ns" "$@" >/dev/null
	t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 ))
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The variants take turns, so that slow phases of the machine hit all.
: >"$work/t.ipac"; : >"$work/t.same"; : >"$work/t.set"; : >"$work/t.store"
i=0
while [ $i -lt "$RUNS" ]; do
	# the kernel work alone, as nft -f does it: no store
	once "$ipacset" --no-store "$work/ipac.conf" >>"$work/t.ipac"
	# as ipacset runs by default: counters stored before and after
	once "$ipacset" "$work/ipac.conf" >>"$work/t.store"
	once nft -f "$work/same.nft" >>"$work/t.same"
	once nft -f "$work/set.nft" >>"$work/t.set"
	i=$((i + 1))
done
ipac=$(median "$work/t.ipac")
same=$(median "$work/t.same")
set=$(median "$work/t.set")
store=$(median "$work/t.store")
# A reload: the table exists with all counters; ipacset reads it first.
ip netns exec "$ns" "$ipacset" "$work/ipac.conf"
t0=$(now_ns)
ip netns exec "$ns" "$ipacset" --no-store "$work/ipac.conf"
t1=$(now_ns)
reload=$(( (t1 - t0) / 1000000 ))
t0=$(now_ns)
ip netns exec "$ns" "$ipacset" "$work/ipac.conf"
t1=$(now_ns)
reload_store=$(( (t1 - t0) / 1000000 ))

printf 'N=%s runs=%s (median ms)\n' "$N" "$RUNS"
printf 'ipacset --no-store apply (empty table): %6s\n' "$ipac"
printf 'nft -f same table script:      %6s   ratio ipacset/nft %s\n' "$same" \
	"$(awk -v a="$ipac" -v b="$same" 'BEGIN { printf "%.2f", a / b }')"
printf 'nft -f set with elem counters: %6s   ratio ipacset/set %s\n' "$set" \
	"$(awk -v a="$ipac" -v b="$set" 'BEGIN { printf "%.2f", a / b }')"
printf 'ipacset --no-store reload (table full): %6s\n' "$reload"
printf 'ipacset apply with the store:   %6s\n' "$store"
printf 'ipacset reload with the store:  %6s\n' "$reload_store"
