#!/bin/sh
# bench/probe.sh [N] - CPU of iplogin's probing engine watching N
# (default 100,000) clients in a namespace lab, most of which never
# answer.  The prober (t/helper/ipac-probe: the engine, epoll, a
# timerfd) runs in the lab router R; its interface r0 gets 198.18.0.1/15,
# so 198.18.3.0 - 198.19.251.255 are on-link (ARP).  Of the N targets,
# LIVE (default 1,000) are addresses that host A really has (they
# answer ARP); the rest are silent, so each costs a broadcast ARP
# request per interval.  Besides, 1 % of the targets are IPv6 on-link
# (NS) and 1 % routed behind B (ICMP echo to 198.19.252.0/22 and
# 2001:db8:200::/64), silent too.  PERF=file adds a perf profile.
#
# Interval INTERVAL ms (default 10000), timeout 3 x interval, rate limit
# RATE probes/s (default 20000, above the demand N / interval), run for
# SECS seconds (default 60).  Prints the prober's CPU per second of
# probing (user + sys of the process, event loop only; the adds and
# their route lookups are printed apart), probes per second and the
# peak RSS.  Runs only in namespaces it makes.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
LIVE=${LIVE:-1000}
INTERVAL=${INTERVAL:-10000}
RATE=${RATE:-20000}
SECS=${SECS:-60}
top=$(cd "$(dirname "$0")/.." && pwd)

test_atexit() { :; }	# lib-lab.sh registers its cleanup; we trap here
. "$top/t/lib-lab.sh"
trap lab_cleanup EXIT
trap 'exit 1' INT TERM
PATH=$top/t/helper:$PATH
lab_router_setup
work=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$work"' EXIT

ip -n "$LAB_R" addr add 198.18.0.1/15 dev r0
ip -n "$LAB_B" addr add 2001:db8:200::1/128 dev lo
ip -n "$LAB_R" route add 198.19.252.0/22 via "$LAB_B4"
ip -n "$LAB_R" -6 route add 2001:db8:200::/64 via "$LAB_B6"
# The kernel of A answering 10,000 broadcast ARP requests a second must
# not be what we measure: only LIVE of them are for A.
lab_exec "$LAB_A" sysctl -q -w net.ipv4.neigh.a0.gc_stale_time=3600

awk -v n="$N" -v live="$LIVE" -v out="$work/targets" -v a="$work/a-addrs" '
BEGIN {
	n6 = int(n / 100); nr = int(n / 100); n4 = n - n6 - nr
	for (i = 0; i < n4; i++) {
		k = 3 * 256 + i		# from 198.18.3.0 up, through 198.19
		x = sprintf("198.%d.%d.%d", 18 + int(k / 65536), int(k / 256) % 256, k % 256)
		print x > out
		if (live > 0 && i % int(n4 / live) == 0 && nl < live) {
			print "address add " x "/15 dev a0" > a
			nl++
		}
	}
	for (i = 1; i <= n6; i++)
		printf "2001:db8:1::1:%x\n", i > out
	for (i = 1; i <= nr; i++)
		if (i % 2)
			printf "198.19.%d.%d\n", 252 + int(i / 256), i % 256 > out
		else
			printf "2001:db8:200::%x\n", i + 1 > out
}'
sort -u "$work/targets" >"$work/t" && mv "$work/t" "$work/targets"
test ! -s "$work/a-addrs" || ip -n "$LAB_A" -batch "$work/a-addrs"
lab_exec "$LAB_A" ip -4 addr show dev a0 | grep -c 'inet ' >"$work/nlive"

nt=$(wc -l <"$work/targets")
echo "targets: $nt (on A: $(cat "$work/nlive") IPv4 addresses), interval $INTERVAL ms, rate $RATE/s, $SECS s"
${PERF:+perf record -g -o "$work/perf.data"} \
ip netns exec "$LAB_R" ipac-probe -q -d $((SECS * 1000)) -i "$INTERVAL" \
	-r "$RATE" -f "$work/targets" >"$work/out"
test -z "${PERF:-}" || perf report -i "$work/perf.data" --no-children \
	--sort sym --stdio 2>/dev/null | grep -v '^$' | head -60 >"$PERF"
grep -v '^[0-9]* gone' "$work/out" | tail -3
awk -v secs="$SECS" '$1 == "total" {
	for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
	printf "adds (route lookups): %d ms CPU\n", v["cpu_ms"] - v["loop_cpu_ms"]
	printf "probing: %.1f ms CPU per second = %.2f %% of one core\n",
	    v["loop_cpu_ms"] / (v["loop_ms"] / 1000),
	    v["loop_cpu_ms"] / v["loop_ms"] * 100
	printf "probes: %.0f per second, %.2f us CPU each\n",
	    v["sent"] / (v["loop_ms"] / 1000),
	    v["loop_cpu_ms"] * 1000 / v["sent"]
	printf "signs of life: %d, gone: %d\n", v["replies"], v["gone"]
	printf "peak RSS: %d kB\n", v["maxrss_kb"]
}' "$work/out"
