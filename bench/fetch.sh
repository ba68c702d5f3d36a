#!/bin/sh
# bench/fetch.sh [N] - fetchipac reading and storing N counters (default
# 100,000), all of which moved since the last run, against the bare
# minimum in the same run: bench/bare-fetch, one netlink dump of the same
# counters plus one SQLite transaction inserting a row per counter.
#
# The lab router accounts N hosts 198.18.16.0 + i (one line per host: N
# names, one map); before each timed run, ipac-send puts one packet
# through to every host, so every counter has a delta to store.  RUNS
# rounds (default 5), fetchipac and the baseline taking turns; medians
# and their ratio are printed.  Runs only in namespaces it makes; the
# store is in a temporary folder.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s bench

test_atexit() { :; }	# lib-lab.sh registers its cleanup; we trap here
. "$top/t/lib-lab.sh"
work=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
PATH=$top/ipacset:$top/fetchipac:$top/t/helper:$PATH
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS
printf '%s\n' "store = $work/ipac.db" "spool fallback = $work/run-spool" \
	>"$IPAC_SETTINGS"

lab_router_setup
# The hosts live behind B: the router forwards to them, B drops them.
for net in 198.18.16.0/20 198.18.32.0/19 198.18.64.0/18 198.18.128.0/17 \
	198.19.0.0/16
do
	ip -n "$LAB_R" route add "$net" via "$LAB_B4"
done

# N lines "h<i>|out|r1|all||198.18.16.0 + i"
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++) {
		a = 18 * 65536 + 16 * 256 + i
		printf "h%d|out|r1|all||198.%d.%d.%d\n", i, int(a / 65536),
		    int(a / 256) % 256, a % 256
	}
}' >"$work/ipac.conf"

ms() { date +%s%N | cut -b1-13; }

t0=$(ms)
ip netns exec "$LAB_R" ipacset "$work/ipac.conf"
t1=$(ms)
echo "applied $N names in $((t1 - t0)) ms"
ip netns exec "$LAB_R" fetchipac

i=0
: >"$work/fetch.ms"
: >"$work/bare.ms"
: >"$work/bare.parts"
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	ip netns exec "$LAB_A" ipac-send -p udp -d 198.18.16.0 --spread "$N" \
		-c "$N" -l 64
	sleep 0.5
	t0=$(ms)
	ip netns exec "$LAB_R" fetchipac
	t1=$(ms)
	echo $((t1 - t0)) >>"$work/fetch.ms"
	t0=$(ms)
	ip netns exec "$LAB_R" "$top/bench/bare-fetch" ipac "$work/bare.db" \
		>>"$work/bare.parts"
	t1=$(ms)
	echo $((t1 - t0)) >>"$work/bare.ms"
done

# every host got RUNS packets of 64 bytes: check one, and the total
got=$(sqlite3 "$work/ipac.db" "SELECT sum(s.pkts) || ' ' || sum(s.bytes)
	FROM sample s JOIN rule r ON r.id = s.rule_id WHERE r.name = 'h$((N - 1))'")
all=$(sqlite3 "$work/ipac.db" "SELECT sum(pkts) FROM sample")
echo "stored for h$((N - 1)): $got packets/bytes (sent $RUNS / $((RUNS * 64)));" \
	"all names: $all packets (sent $((RUNS * N)))"

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
f=$(median "$work/fetch.ms")
b=$(median "$work/bare.ms")
echo "fetchipac ms: $(tr '\n' ' ' <"$work/fetch.ms")-> median $f"
echo "bare ms:      $(tr '\n' ' ' <"$work/bare.ms")-> median $b"
echo "bare parts (dump ms, insert ms, counters):"
sed 's/^/  /' "$work/bare.parts"
awk -v f="$f" -v b="$b" 'BEGIN { printf "ratio fetchipac / bare: %.2f\n", f / b }'
