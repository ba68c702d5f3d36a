#!/bin/sh
# bench/iptables.sh [N] - the iptables (legacy) backend with N per-host
# lines (default 100,000), against the kernel's own tools and libiptc,
# in a namespace of its own:
#
#   apply:  ipacset -b iptables --no-store from empty chains, against
#           iptables-legacy-restore (and ip6tables-legacy-restore) of the
#           very rules ipacset -D prints (the same tree of chains), and,
#           for scale, of N flat rules in one chain;
#   reload: ipacset again with everything in place (keeps all counters);
#   read:   the backend's read of every counter, in process
#           (bench/read-iptc), against one bare libiptc snapshot and walk
#           of the same tables (bench/bare-iptc); ipacset -L and
#           fetchipac as a user runs them, for scale.
#
# The variants take turns RUNS times (default 5); medians in ms.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
RUNS=${RUNS:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s bench
ipacset=$top/ipacset/ipacset
fetchipac=$top/fetchipac/fetchipac
work=$(mktemp -d)
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS
printf '%s\n' "store = $work/ipac.db" "spool fallback = $work/run-spool" \
	"backend = iptables" >"$IPAC_SETTINGS"
ns=ipac-bench-$$

cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }

# N host addresses 198.18.0.1 .. inside 198.18.0.0/15, as bench/apply.sh.
awk -v n="$N" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "host %d|in||all||198.%d.%d.%d\n", i,
		    18 + int(i / 65536), int(i / 256) % 256, i % 256
}' >"$work/ipac.conf"
"$ipacset" -D "$work/ipac.conf" >"$work/tree.ipt"
awk '/^# IPv6/ { six = 1 } { print > (six ? "'"$work"'/tree6" : "'"$work"'/tree4") }' \
	"$work/tree.ipt"
awk -v n="$N" 'BEGIN {
	print "*filter"
	print ":flat - [0:0]"
	print "-I FORWARD 1 -j flat"
	for (i = 1; i <= n; i++)
		printf "-A flat -d 198.%d.%d.%d/32 -m comment --comment \"host %d\"\n",
		    18 + int(i / 65536), int(i / 256) % 256, i % 256, i
	print "COMMIT"
}' >"$work/flat4"

now_ns() { date +%s%N; }

# empty both legacy filter tables (not timed)
clear_tables() {
	for t in iptables-legacy ip6tables-legacy; do
		in_ns $t -w -F
		in_ns $t -w -X
	done
}

once() {
	clear_tables
	t0=$(now_ns)
	"$@" >/dev/null
	t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 ))
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

restore_tree() {
	in_ns iptables-legacy-restore -w --noflush <"$work/tree4" &&
	in_ns ip6tables-legacy-restore -w --noflush <"$work/tree6"
}
restore_flat() { in_ns iptables-legacy-restore -w --noflush <"$work/flat4"; }
apply() { in_ns "$ipacset" --no-store "$work/ipac.conf"; }

: >"$work/t.ipac"; : >"$work/t.tree"; : >"$work/t.flat"
i=0
while [ $i -lt "$RUNS" ]; do
	once apply >>"$work/t.ipac"
	once restore_tree >>"$work/t.tree"
	once restore_flat >>"$work/t.flat"
	i=$((i + 1))
done
ipac=$(median "$work/t.ipac")
tree=$(median "$work/t.tree")
flat=$(median "$work/t.flat")
rules=$(grep -c '^-A' "$work/tree.ipt")
chains=$(grep -c '^:' "$work/tree.ipt")

# Everything in place: a reload, then reads.
clear_tables
apply
: >"$work/t.reload"
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(now_ns); apply; t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 )) >>"$work/t.reload"
	i=$((i + 1))
done
reload=$(median "$work/t.reload")
read_out=$(in_ns "$top/bench/read-iptc" "$RUNS")
bare_out=$(in_ns "$top/bench/bare-iptc" "$RUNS")
readms=$(echo "$read_out" | awk '{ print $(NF - 1) }')
barems=$(echo "$bare_out" | awk '{ print $(NF - 1) }')
t0=$(now_ns); in_ns "$ipacset" -L -m >/dev/null; t1=$(now_ns)
list=$(( (t1 - t0) / 1000000 ))
in_ns "$ipacset" "$work/ipac.conf"
in_ns "$fetchipac"
t0=$(now_ns); in_ns "$fetchipac"; t1=$(now_ns)
fetch=$(( (t1 - t0) / 1000000 ))

printf 'N=%s runs=%s (median ms); the tree: %s rules in %s chains (IPv4 and IPv6)\n' \
	"$N" "$RUNS" "$rules" "$chains"
printf 'ipacset -b iptables --no-store apply (empty):  %6s\n' "$ipac"
printf 'iptables-legacy-restore of the same tree:      %6s   ratio %s\n' \
	"$tree" "$(ratio "$ipac" "$tree")"
printf 'iptables-legacy-restore, N flat rules:         %6s   ratio %s\n' \
	"$flat" "$(ratio "$ipac" "$flat")"
printf 'ipacset reload, all in place:                  %6s\n' "$reload"
printf 'read (backend, in process): %s\n' "$read_out"
printf 'bare libiptc walk:          %s\n' "$bare_out"
printf 'read ratio backend/bare:    %s\n' "$(ratio "$readms" "$barems")"
printf 'ipacset -L -m (process):    %6s\n' "$list"
printf 'fetchipac (process, store): %6s\n' "$fetch"
