#!/bin/sh
# bench/forward.sh [N] - forwarding rate through the lab router with no
# accounting, and with ipacset accounting N hosts (one line per host, so
# N names and one map lookup per packet).  The hot host is the LAST one,
# like netfilter-perf.md, so a linear chain would walk all N rules.
#
# Traffic: iperf3 UDP with 64-byte payload, rate-capped at 1 Gbit/s,
# 5 s per run, RUNS runs per setting (default 3); the median of the
# received packets per second is printed with the ratio to N = 0.
# Needs iperf3 (apt-get install iperf3); runs only in namespaces it makes.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
RUNS=${RUNS:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
command -v iperf3 >/dev/null || { echo "forward.sh: needs iperf3" >&2; exit 1; }

. "$top/t/lib-lab.sh"
trap lab_cleanup EXIT INT TERM
lab_router_setup
lab_warmup
PATH=$top/ipacset:$PATH
work=$(mktemp -d)

# pps: the median of RUNS iperf3 runs A -> B, received packets per second
pps() {
	i=0
	: >"$work/pps"
	while [ $i -lt "$RUNS" ]; do
		lab_exec "$LAB_B" timeout 15 iperf3 -s -1 -B "$LAB_B4" >/dev/null &
		srv=$!
		sleep 0.5
		lab_exec "$LAB_A" timeout 13 iperf3 -c "$LAB_B4" -u -b 1G -l 64 \
			-t 5 -J >"$work/out.json"
		wait $srv || true
		# packets received = sent - lost, over the seconds of the run
		awk '/"sum":/ { s = 1 } s && /"packets":/ { gsub(/[^0-9]/, ""); p = $0 }
			s && /"lost_packets":/ { gsub(/[^0-9]/, ""); l = $0 }
			s && /"seconds":/ { gsub(/[^0-9.]/, ""); t = $0 }
			END { printf "%d\n", (p - l) / t }' "$work/out.json" >>"$work/pps"
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
lab_exec "$LAB_R" ipacset "$work/ipac.conf"
acct=$(pps)
hot=$(lab_exec "$LAB_R" ipacset -L -m | grep -F "|hot host|")
lab_exec "$LAB_R" ipacset -F
rm -rf "$work"

printf 'N=%s runs=%s, 64-byte UDP, median received pps\n' "$N" "$RUNS"
printf 'no accounting:         %8s\n' "$base"
printf 'ipacset, %6s hosts: %8s   ratio %s\n' "$N" "$acct" \
	"$(awk -v a="$acct" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
printf 'hot host counted: %s\n' "$hot"
