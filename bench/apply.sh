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
# table (the delete before each run is not timed); ipacset with the store
# both ways: the store's newest ruleset again (as at a boot) and one new
# to its store; then reloads of the
# full table: the same config, and 1 % of the hosts changed.  Prints
# min/median/max in ms and the ratios of the medians.
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
# A second store, for applies of a ruleset it does not record yet.
printf '%s\n' "store = $work/new.db" "spool fallback = $work/run-spool2" \
	>"$work/new.settings"
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

# The same hosts, 1 % of them under other names.
awk -v n="$N" '{
	if (NR % 100 == 0) sub(/^host /, "moved host ")
	print }' "$work/ipac.conf" >"$work/changed.conf"

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
: >"$work/t.new"
new=$work/ipac.conf
i=0
while [ $i -lt "$RUNS" ]; do
	# the kernel work alone, as nft -f does it: no store
	once "$ipacset" --no-store "$work/ipac.conf" >>"$work/t.ipac"
	# as ipacset runs by default: counters stored before and after; the
	# store's newest ruleset again (from the second run on), as at a boot
	once "$ipacset" "$work/ipac.conf" >>"$work/t.store"
	# the same, of a ruleset the (second) store does not record yet
	if [ "$new" = "$work/ipac.conf" ]; then new=$work/changed.conf
	else new=$work/ipac.conf; fi
	once "$ipacset" -C "$work/new.settings" "$new" >>"$work/t.new"
	once nft -f "$work/same.nft" >>"$work/t.same"
	once nft -f "$work/set.nft" >>"$work/t.set"
	i=$((i + 1))
done
# Reloads, the table full, with the store as ipacset runs by default:
# the same config again (nothing changed), and configs that differ in 1 %
# of the hosts (each run applies the other one), RUNS times each, taking
# turns.
ip netns exec "$ns" nft delete table inet ipac 2>/dev/null || true
ip netns exec "$ns" "$ipacset" "$work/ipac.conf"
: >"$work/t.reload_same"; : >"$work/t.reload_1pc"
cur=$work/ipac.conf
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(now_ns)
	ip netns exec "$ns" "$ipacset" "$cur"
	t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 )) >>"$work/t.reload_same"
	if [ "$cur" = "$work/ipac.conf" ]; then cur=$work/changed.conf
	else cur=$work/ipac.conf; fi
	t0=$(now_ns)
	ip netns exec "$ns" "$ipacset" "$cur"
	t1=$(now_ns)
	echo $(( (t1 - t0) / 1000000 )) >>"$work/t.reload_1pc"
	i=$((i + 1))
done

stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%6s %6s %6s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
ratio() {
	awk -v a="$(median "$1")" -v b="$(median "$2")" \
		'BEGIN { printf "%.2f", a / b }'
}
printf 'N=%s runs=%s, ms:                  min median    max\n' "$N" "$RUNS"
printf 'ipacset --no-store apply (empty):    %s\n' "$(stats "$work/t.ipac")"
printf 'ipacset apply with the store:        %s\n' "$(stats "$work/t.store")"
printf '  the same, a ruleset new to it:     %s\n' "$(stats "$work/t.new")"
printf 'nft -f of the same table script:     %s\n' "$(stats "$work/t.same")"
printf 'nft -f set with element counters:    %s\n' "$(stats "$work/t.set")"
printf 'reload, nothing changed (store):     %s\n' \
	"$(stats "$work/t.reload_same")"
printf 'reload, 1 %% of hosts changed:        %s\n' \
	"$(stats "$work/t.reload_1pc")"
printf 'ratios of medians: apply/nft -f %s, apply --no-store/nft -f %s,\n' \
	"$(ratio "$work/t.store" "$work/t.same")" \
	"$(ratio "$work/t.ipac" "$work/t.same")"
printf '  apply/set %s, reload same/nft -f %s, reload 1%%/nft -f %s\n' \
	"$(ratio "$work/t.store" "$work/t.set")" \
	"$(ratio "$work/t.reload_same" "$work/t.same")" \
	"$(ratio "$work/t.reload_1pc" "$work/t.same")"
printf '  apply of a ruleset new to the store/set %s, /nft -f %s\n' \
	"$(ratio "$work/t.new" "$work/t.set")" \
	"$(ratio "$work/t.new" "$work/t.same")"
