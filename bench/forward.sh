#!/bin/sh
# bench/forward.sh [N] - forwarding rate through the lab router with no
# accounting, and with ipacset accounting N hosts (one line per host, so
# N names and one map lookup per packet).  The hot host is the LAST line,
# as in netfilter-perf.md, so a linear chain would walk all N rules.
#
# Traffic: ipac-send from A blasts COUNT (default 2,000,000) UDP packets
# of 64 bytes at B as fast as it can; B counts what arrives (a counter in
# its own namespace).  Received packets per second = arrived / seconds
# the sender ran.  RUNS runs per setting (default 3), median printed with
# the ratio to N = 0.  BACKEND=iptables measures the legacy backend (a
# tree of chains) instead of nftables (a map); BACKEND=ipset the road
# not taken, a legacy rule matching an ipset with member counters.  Runs
# only in namespaces it makes.
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

# pps: the median over RUNS of packets received by B per second
pps() {
	i=0
	: >"$work/pps"
	while [ $i -lt "$RUNS" ]; do
		before=$(rx)
		t0=$(now_ns)
		ip netns exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 9 \
			-c "$COUNT" -l 92
		t1=$(now_ns)
		sleep 0.2
		after=$(rx)
		echo $(( (after - before) * 1000000000 / (t1 - t0) )) >>"$work/pps"
		i=$((i + 1))
	done
	sort -n "$work/pps" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

base=$(pps)

awk -v n="$N" 'BEGIN {
	for (i = 1; i < n; i++) {
		a = i + 4096	# past the lab subnets 198.18.0-15.x
		printf "filler %d|in||all|198.%d.%d.%d|\n", i, 18 + int(a / 65536),
		    int(a / 256) % 256, a % 256
	}
}' >"$work/ipac.conf"
echo "hot host|in||all|$LAB_A4|" >>"$work/ipac.conf"
if [ "$BACKEND" = ipset ]; then
	# The alternative to a tree: one legacy rule matching an ipset
	# hash:ip with per-member counters (not an ipac backend).
	awk -F'|' 'BEGIN { print "create acct hash:ip counters maxelem 2000000" }
		{ print "add acct " $5 }' "$work/ipac.conf" >"$work/ipset"
	ip netns exec "$LAB_R" ipset restore <"$work/ipset"
	ip netns exec "$LAB_R" iptables-legacy -w -I FORWARD -m set \
		--match-set acct src
	acct=$(pps)
	hot=$(ip netns exec "$LAB_R" ipset list acct | grep -F "$LAB_A4 ")
else
	ip netns exec "$LAB_R" ipacset "$work/ipac.conf"
	acct=$(pps)
	hot=$(ip netns exec "$LAB_R" ipacset -L -m | grep -F "|hot host|")
fi
rm -rf "$work"

printf 'N=%s runs=%s, %s UDP packets of 92 bytes (64 payload) each run, median pps received\n' \
	"$N" "$RUNS" "$COUNT"
printf 'no accounting:         %8s\n' "$base"
printf 'ipacset (%s), %6s hosts: %8s   ratio %s\n' "$BACKEND" "$N" "$acct" \
	"$(awk -v a="$acct" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
printf 'hot host counted (bytes packets): %s\n' "$hot"
