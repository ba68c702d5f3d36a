#!/bin/sh
# bench/iplogin.sh [N] - iplogin with N logged-in users (default 100000)
# in a namespace lab: login and logout round trips over the admin socket
# (p50, p99, worst), RUNS series of them (default 3) against one daemon
# that reads every counter each COUNTER seconds (default 5; 0: never),
# saves its state file each AUTOSAVE seconds (default 10; 0: never) and
# writes the sessions to a store on disk; the daemon's memory per user,
# and the CPU its probing takes while N users are logged in (most of them
# do not exist: they are asked by ARP and stay logged in through a long
# timeout).  After each series, the machine's floor: as many round trips
# to a process that only answers (il-bench -b).  Only the lab's
# namespaces are touched.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-100000}
export N
HOLD=${HOLD:-30}	# seconds of probing measured
RUNS=${RUNS:-3}
COUNTER=${COUNTER:-5}
AUTOSAVE=${AUTOSAVE:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s all bench/il-bench
PATH=$top/iplogin:$top/t/helper:$PATH

test_atexit() { :; }
. "$top/t/lib-lab.sh"
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || :; lab_cleanup; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
lab_router_setup
lab_sink "$LAB_R"
# The users: up to 65,000 in 198.19.0.0/16 on the router's LAN side
# (on-link: ARP), the rest in 2001:db8:ff::/64 (on-link: neighbour
# solicitation).
lan=$(lab_exec "$LAB_R" ip -o -4 addr show | awk -v a="$LAB_R4A" '$4 ~ "^"a"/" { print $2 }')
lab_exec "$LAB_R" ip addr add 198.19.255.254/16 dev "$lan"
lab_exec "$LAB_R" ip addr add 2001:db8:ff::ffff/64 dev "$lan" nodad
n4=$((N < 65000 ? N : 65000))
n6=$((N - n4))
lab_exec "$LAB_R" nft -f - <<EOF
table inet iplogin {
	chain users { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "$lan" jump users
		oifname "$lan" jump users
	}
}
EOF
printf '%s\n' "store = $work/ipac.db" "hostname = bench" >"$work/settings"
cat >"$work/iplogin.conf" <<EOF
server b
	listen = $work/il.sock
	chains = users/b
	probe = 198.19.0.0/16 60s 1h
	probe = 2001:db8:ff::/64 60s 1h
	counterinterval = $COUNTER
	statefile = $work/state
	autosave = $AUTOSAVE
	file_dir = $work
client root
	user = 0
	perms = any
EOF
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS
lab_exec "$LAB_R" iplogin -d -c "$work/iplogin.conf" -s b -p "$work/pid" \
	2>"$work/log" &
i=0
while ! lab_exec "$LAB_R" ilcmd -S "$work/il.sock" count >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/log"; exit 1; }
	sleep 0.1
done
pid=$(cat "$work/pid")
rss() { awk '/^VmRSS/ { print $2 }' /proc/$pid/status; }
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; }
rss0=$(rss)
echo "iplogin with $N users, counters read every $COUNTER s, state saved every $AUTOSAVE s, $RUNS series, machine: $(nproc) CPUs, $(uname -r)"
ranges="198.19.0.1/$n4"
[ "$n6" -eq 0 ] || ranges="$ranges 2001:db8:ff::1/$n6"
r=1
while [ $r -le "$RUNS" ]; do
	rm -f "$work/go" "$work/out"
	IL_BENCH_HOLD=$work/go lab_exec "$LAB_R" "$top/bench/il-bench" \
		"$work/il.sock" $ranges >"$work/out" &
	bench=$!
	while ! grep -q holding "$work/out" 2>/dev/null; do
		kill -0 $bench 2>/dev/null || { cat "$work/out"; exit 1; }
		sleep 0.2
	done
	echo "series $r:"
	grep login "$work/out"
	if [ $r -eq 1 ]; then
		rss1=$(rss)
		echo "memory: $rss0 kB before, $rss1 kB with $N users: $(( (rss1 - rss0) * 1024 / N )) bytes per user"
		c0=$(cpu); sleep "$HOLD"; c1=$(cpu)
		hz=$(getconf CLK_TCK)
		echo "probing $N users for $HOLD s: $(( (c1 - c0) * 1000 / hz / HOLD )) ms of CPU per second ($(( (c1 - c0) * 100 / hz / HOLD )) % of one core), counter reads included"
		lab_exec "$LAB_R" ilcmd -S "$work/il.sock" stat 198.19.0.1 | grep -E "Probes sent"
		# savestate: the admin's command, the whole state file at once
		for i in 1 2 3; do
			perl -MTime::HiRes=time -e 'open(my $o, ">&", \*STDOUT);
				open(STDOUT, ">", "/dev/null"); $t = time;
				system(@ARGV) == 0 or die;
				printf $o "savestate of %d users: %.1f ms\n", $ENV{N},
				    (time - $t) * 1000' \
				ip netns exec "$LAB_R" ilcmd -S "$work/il.sock" savestate bench.state
		done
	fi
	touch "$work/go"
	wait $bench
	grep logout "$work/out"
	# The machine's floor, alternated with the series: as many round
	# trips to a process that only answers (bench/il-bench -b).
	"$top/bench/il-bench" -b $((2 * N))
	r=$((r + 1))
done
grep -i "warning\|error" "$work/log" | head -5 || :
