#!/bin/sh
# bench/forward.sh [N] - forwarding rate through the lab router with no
# accounting, and with ipacset accounting N hosts (one line per host, so
# N names and one map lookup per packet).  The hot host is the LAST line,
# as in netfilter-perf.md, so a linear chain would walk all N rules.
#
# Traffic: ipac-send from A blasts COUNT (default 2,000,000) UDP packets
# of 64 bytes at B as fast as it can; B counts what arrives (a counter in
# its own namespace).  Received packets per second = arrived / seconds
# the sender ran.  The two settings take turns, RUNS times each (default
# 3): accounting is switched off and on without touching its rules (the
# nftables table made dormant; for iptables an ACCEPT before FORWARD's
# jumps), so both see the same machine.  Printed: min/median/max of each
# and of the per-pair ratios.  BACKEND=iptables measures the legacy
# backend (a tree of chains) instead of nftables (a map); BACKEND=ipset
# the road not taken, a legacy rule matching an ipset with member
# counters (switched off by its own ACCEPT as well).  Runs only in
# namespaces it makes.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
RUNS=${RUNS:-3}
COUNT=${COUNT:-2000000}
BACKEND=${BACKEND:-nftables}
top=$(cd "$(dirname "$0")/.." && pwd)

test_atexit() { :; }	# lib-lab.sh registers its cleanup; we trap here
. "$top/t/lib-lab.sh"
trap lab_cleanup EXIT
trap 'exit 1' INT TERM
PATH=$top/ipacset:$top/t/helper:$PATH
make -C "$top" -s bench
lab_router_setup
work=$(mktemp -d)
# ipacset's store in the temporary folder, never /var/lib/ipac.
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS
printf '%s\n' "store = $work/ipac.db" "spool fallback = $work/run-spool" \
	"backend = $BACKEND" >"$IPAC_SETTINGS"

# B counts the UDP packets that arrive, before its sink drops them.
ip netns exec "$LAB_B" nft -f - <<'EOF'
table inet benchrx {
	counter rx { }
	chain input {
		type filter hook input priority -300; policy accept;
		udp dport 9 counter name rx
	}
}
EOF

rx() {
	ip netns exec "$LAB_B" nft list counter inet benchrx rx |
	awk '/packets/ { print $2 }'
}

now_ns() { date +%s%N; }

# pps: packets received by B per second in one run of COUNT packets
pps() {
	before=$(rx)
	t0=$(now_ns)
	ip netns exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 9 \
		-c "$COUNT" -l 92
	t1=$(now_ns)
	sleep 0.2
	after=$(rx)
	echo $(( (after - before) * 1000000000 / (t1 - t0) ))
}

# acct on|off: accounting switched without touching its rules
acct() {
	if [ "$BACKEND" = nftables ]; then
		ip netns exec "$LAB_R" "$top/bench/nft-dormant" ipac "$1"
	elif [ "$1" = on ]; then
		ip netns exec "$LAB_R" iptables-legacy -w -D FORWARD -j ACCEPT
	else
		ip netns exec "$LAB_R" iptables-legacy -w -I FORWARD 1 -j ACCEPT
	fi
}

awk -v n="$N" 'BEGIN {
	for (i = 1; i < n; i++) {
		a = i + 4096	# past the lab subnets 198.18.0-15.x
		printf "filler %d|in||all|198.%d.%d.%d|\n", i, 18 + int(a / 65536),
		    int(a / 256) % 256, a % 256
	}
}' >"$work/ipac.conf"
echo "hot host|in||all|$LAB_A4|" >>"$work/ipac.conf"
t0=$(now_ns)
if [ "$BACKEND" = ipset ]; then
	# The alternative to a tree: one legacy rule matching an ipset
	# hash:ip with per-member counters (not an ipac backend).
	awk -F'|' 'BEGIN { print "create acct hash:ip counters maxelem 2000000" }
		{ print "add acct " $5 }' "$work/ipac.conf" >"$work/ipset"
	ip netns exec "$LAB_R" ipset restore <"$work/ipset"
	ip netns exec "$LAB_R" iptables-legacy -w -I FORWARD -m set \
		--match-set acct src
else
	ip netns exec "$LAB_R" ipacset "$work/ipac.conf"
fi
t1=$(now_ns)
setup_ms=$(( (t1 - t0) / 1000000 ))
: >"$work/off"
: >"$work/on"
: >"$work/ratio"
i=0
while [ $i -lt "$RUNS" ]; do
	acct off
	off=$(pps)
	acct on
	on=$(pps)
	echo "$off" >>"$work/off"
	echo "$on" >>"$work/on"
	awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f\n", a / b }' >>"$work/ratio"
	i=$((i + 1))
done
if [ "$BACKEND" = ipset ]; then
	hot=$(ip netns exec "$LAB_R" ipset list acct | grep -F "$LAB_A4 ")
else
	hot=$(ip netns exec "$LAB_R" ipacset -L -m | grep -F "|hot host|")
fi

# mmm FILE: "min median max" of the numbers in FILE
mmm() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%s / %s / %s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

printf 'N=%s runs=%s (taking turns), %s UDP packets of 92 bytes (64 payload) each run; pps received min / median / max\n' \
	"$N" "$RUNS" "$COUNT"
printf 'set-up of the %s hosts (%s): %s ms\n' "$N" "$BACKEND" "$setup_ms"
printf 'no accounting:   %s\n' "$(mmm "$work/off")"
printf 'accounting (%s): %s\n' "$BACKEND" "$(mmm "$work/on")"
printf 'ratio, pair by pair: %s\n' "$(mmm "$work/ratio")"
printf 'hot host counted (bytes packets): %s (sent while on: %s packets)\n' \
	"$hot" "$((RUNS * COUNT))"
rm -rf "$work"
