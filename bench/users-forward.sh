#!/bin/sh
# bench/users-forward.sh [N] - forwarding rate through the lab router
# with N logged-in users (default 100000; A is the last), as lib/users.c
# lays them out (verdict map + 16 shard sets per kind), against no rules
# and against one plain set per kind (one lookup per packet).
#
# Traffic as bench/forward.sh: ipac-send from A blasts COUNT (default
# 1,000,000) UDP packets of 92 bytes at B; B counts what arrives.
# RUNS runs per setting (default 3), median pps received and the ratio to
# no rules.  Runs only in namespaces it makes.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
RUNS=${RUNS:-3}
COUNT=${COUNT:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)

test_atexit() { :; }	# lib-lab.sh registers its cleanup; we trap here
. "$top/t/lib-lab.sh"
trap lab_cleanup EXIT
trap 'exit 1' INT TERM
PATH=$top/t/helper:$PATH
lab_router_setup
work=$(mktemp -d)

ip netns exec "$LAB_B" nft -f - <<'EOT'
table inet benchrx {
	counter rx { }
	chain input {
		type filter hook input priority -300; policy accept;
		udp dport 9 counter name rx
	}
}
EOT
rx() {
	ip netns exec "$LAB_B" nft list counter inet benchrx rx |
	awk '/packets/ { print $2 }'
}
now_ns() { date +%s%N; }
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

# N-1 fillers past the lab subnets, then A
awk -v n="$N" 'BEGIN {
	for (i = 1; i < n; i++) {
		a = i + 4096
		printf "198.%d.%d.%d\n", 18 + int(a / 65536), int(a / 256) % 256, a % 256
	}
}' >"$work/users"
echo "$LAB_A4" >>"$work/users"

base=$(pps)

# one plain set per kind, one lookup per packet
{
	echo "table inet plain {"
	echo "set s4 { type ipv4_addr; counter; elements = {"
	sed 's/$/,/' "$work/users"
	echo "} }"
	echo "set d4 { type ipv4_addr; counter; elements = {"
	sed 's/$/,/' "$work/users"
	echo "} }"
	echo "chain forward { type filter hook forward priority 0; policy drop;"
	echo "ip saddr @s4 accept"
	echo "ip daddr @d4 accept"
	echo "}"
	echo "}"
} >"$work/plain.nft"
ip netns exec "$LAB_R" nft -f "$work/plain.nft"
plain=$(pps)
ip netns exec "$LAB_R" nft delete table inet plain
sleep 1

# lib/users.c's layout, wired as examples/iplogin-gateway.nft does
ip netns exec "$LAB_R" ipac-users setup
ip netns exec "$LAB_R" nft -f - <<'EOT'
table inet iplogin {
	chain forward {
		type filter hook forward priority 0; policy drop;
		jump users
	}
}
EOT
ip netns exec "$LAB_R" ipac-users load "$work/users"
users=$(pps)
hot=$(ip netns exec "$LAB_R" ipac-users counters users | grep "^users $LAB_A4 ")
rm -rf "$work"

ratio() { awk -v a="$1" -v b="$base" 'BEGIN { printf "%.3f", a / b }'; }
printf 'N=%s runs=%s, %s UDP packets of 92 bytes each run, median pps received\n' \
	"$N" "$RUNS" "$COUNT"
printf 'no rules:                       %8s\n' "$base"
printf 'one plain set per kind:         %8s   ratio %s\n' "$plain" "$(ratio "$plain")"
printf 'lib/users.c (vmap + 16 shards): %8s   ratio %s\n' "$users" "$(ratio "$users")"
printf 'A counted (chain addr rx_p rx_b tx_p tx_b): %s\n' "$hot"
