#!/bin/sh
# demo.sh - "make demo": a router between a LAN host and an uplink host,
# all in network namespaces made here and deleted at the end, accounted
# by ipacset with examples/ipac.conf, with real traffic.  Touches nothing
# outside its namespaces.
#
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/ipacset:$top/t/helper:$PATH
conf=$top/examples/ipac.conf

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it makes network namespaces)" >&2
	exit 1
fi

test_atexit() { :; }	# lib-lab.sh registers its cleanup; we trap here
. "$top/t/lib-lab.sh"
trap 'lab_cleanup' EXIT
trap 'exit 1' INT TERM

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "A lab: LAN host A <-> router <-> uplink host B, in namespaces"
# The router's interfaces named as on a real box: eth1 = LAN, eth0 =
# uplink; the LAN is masqueraded behind the uplink by the lab's table.
lab_router_setup --router-ifs "eth1 eth0" --masquerade
lab_sink "$LAB_R"
lab_warmup
echo "A = $LAB_A4 / $LAB_A6 on the router's eth1; B = $LAB_B4 / $LAB_B6 on eth0"

step "The config, checked and normalised (ipacset -n)"
run lab_exec "$LAB_R" ipacset -n "$conf"

step "What would be applied (ipacset -D, first lines)"
lab_exec "$LAB_R" ipacset -D "$conf" | sed -n '1,12p'
echo "..."

step "Apply it: one transaction"
run lab_exec "$LAB_R" ipacset -v "$conf"

step "Traffic"
echo "A -> B: 10 UDP packets of 1000 bytes (upload, masqueraded)"
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 10 -l 1000
echo "A -> B: 5 TCP packets of 500 bytes to port 443"
lab_exec "$LAB_A" ipac-send -p tcp -d "$LAB_B4" --dport 443 -c 5 -l 500
echo "A -> B: 4 pings of 84 bytes (4 replies come back: download)"
lab_exec "$LAB_A" ipac-send -p icmp -d "$LAB_B4" -c 4 -l 84
echo "A -> B over IPv6: 3 UDP packets of 200 bytes"
lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 5000 -c 3 -l 200
echo "A -> router: 2 UDP packets of 100 bytes"
lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_R4A" --dport 9 -c 2 -l 100

step "Counters per accounting name (ipacset -L)"
run lab_exec "$LAB_R" ipacset -L

step "Reload the same config: counters stay"
run lab_exec "$LAB_R" ipacset "$conf"
run lab_exec "$LAB_R" ipacset -L -m

step "Someone flushes the ruleset; --fix-chains repairs it"
run lab_exec "$LAB_R" nft flush chain inet ipac forward
run lab_exec "$LAB_R" ipacset --fix-chains "$conf"

step "Done; the lab is deleted"
