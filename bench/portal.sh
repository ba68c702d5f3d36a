#!/bin/sh
# bench/portal.sh [N] [ROUNDS] - the captive portal under load, in a
# namespace lab: N devices (default 10000), each an address of its own
# on the client namespace that answers ARP, log in with N fresh voucher
# codes, through ipac-portal (HTTP, 256 at once) or straight over
# iplogin's portal socket (64 in flight); the two variants take turns,
# ROUNDS each (default 3), every round from an empty gateway.  With the
# N devices logged in and N codes active, the latency of one code check
# at a time over the portal socket: a device's own code again, a wrong
# code, a status.  Prints min / median / max over the rounds and N.
# Only the lab's namespaces are touched.
# SPDX-License-Identifier: GPL-2.0-or-later
set -eu

N=${1:-10000}
ROUNDS=${2:-3}
M=${M:-$N}		# code checks per round (at most N: each device once)
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" -s all
PATH=$top/iplogin:$top/portal:$top/t/helper:$PATH
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

test_atexit() { :; }
. "$top/t/lib-lab.sh"
work=$(mktemp -d)
chmod 755 "$work"
trap 'kill $(cat "$work/pid" "$work/ppid" 2>/dev/null) 2>/dev/null || :; lab_cleanup; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
lab_router_setup --hosts 1
lab_exec "$LAB_A" nft delete table inet labsink
# The devices: 198.18.128.1 ... on A's link, which the router reaches on-link.
first=198.18.128.1
lab_exec "$LAB_R" ip route add 198.18.128.0/17 dev r0
# Permanent neighbour entries on the router: they do not count against
# the neighbour table's limit (gc_thresh3, 1024 by default), which a
# namespace cannot raise.
mac=$(lab_exec "$LAB_A" cat /sys/class/net/a0/address)
$PY -c "
import ipaddress
a = ipaddress.ip_address('$first')
for i in range($N):
    print('addr add %s/32 dev a0' % (a + i))
" >"$work/addrs"
$PY -c "
import ipaddress
a = ipaddress.ip_address('$first')
for i in range($N):
    print('neigh replace %s lladdr $mac dev r0 nud permanent' % (a + i))
" >"$work/neigh"
lab_exec "$LAB_A" ip -batch "$work/addrs"
lab_exec "$LAB_R" ip -batch "$work/neigh"
sed -e 's/^define lan_if = .*/define lan_if = "r0"/' \
    -e "s/^define gw4 = .*/define gw4 = $LAB_R4A/" \
    -e "s/^define gw6 = .*/define gw6 = $LAB_R6A/" \
    "$top/examples/portal-gateway.nft" >"$work/gateway.nft"
lab_exec "$LAB_R" nft -f "$work/gateway.nft"
mkdir -m 755 "$work/proot"
(umask 077; ipac-voucher -g >"$work/voucher.key")
printf '%s\n' "store = $work/ipac.db" "hostname = bench" >"$work/settings"
IPAC_SETTINGS=$work/settings
export IPAC_SETTINGS
printf '%s\n' "server b" "	listen = $work/il.sock" \
	"	chains = users/b, nat:users" "	probe = 198.18.0.0/15 60s 1h" \
	"	counterinterval = 60" "	file_dir = $work" \
	"	portal_socket = $work/proot/iplogin.sock" "	portal_user = nobody" \
	"	voucher_secret = $work/voucher.key" "	voucher_fail_rate = 100000" \
	"client root" "	user = 0" "	perms = any" >"$work/iplogin.conf"
lab_exec "$LAB_R" iplogin -d -c "$work/iplogin.conf" -s b -p "$work/pid" \
	2>"$work/log" &
lab_exec "$LAB_R" ipac-portal -d -l "$LAB_R4A:8080" -w "$top/portal/www" \
	-u nobody -r "$work/proot" -p "$work/ppid" -C 4000 2>"$work/plog" &
i=0
while ! lab_exec "$LAB_R" ilcmd -S "$work/il.sock" count >/dev/null 2>&1 ||
    ! lab_exec "$LAB_R" curl -s -o /dev/null "http://$LAB_R4A:8080/ipac/style.css"; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/log" "$work/plog"; exit 1; }
	sleep 0.1
done
echo "portal with N=$N devices, $ROUNDS rounds per variant, machine: $(nproc) CPUs, $(uname -r)"
serial=0
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then order="http sock"; else order="sock http"; fi
	for v in $order; do
		lab_exec "$LAB_R" ilcmd -S "$work/il.sock" reset >/dev/null
		ipac-voucher -k "$work/voucher.key" -n "$N" -s $serial 1d >"$work/codes"
		serial=$(( (serial + N) % 1048576 ))
		sleep 1
		if [ $v = http ]; then
			lab_exec "$LAB_A" $PY "$top/bench/portal-load.py" http "$LAB_R4A" \
				$first "$N" "$work/codes" 256 | tee -a "$work/rates"
		else
			lab_exec "$LAB_R" $PY "$top/bench/portal-load.py" sock \
				"$work/proot/iplogin.sock" $first "$N" "$work/codes" 64 |
				tee -a "$work/rates"
		fi
		n=$(lab_exec "$LAB_R" ilcmd -S "$work/il.sock" count)
		[ "$n" = "$N" ] || { echo "only $n devices logged in" >&2; exit 1; }
		sleep 0.5	# a device may try once in 250 ms
		lab_exec "$LAB_R" $PY "$top/bench/portal-load.py" check \
			"$work/proot/iplogin.sock" $first "$N" "$work/codes" "$M" |
			tee -a "$work/checks"
	done
done
echo
echo "logins per second (min / median / max of $ROUNDS rounds, N=$N):"
for v in http sock; do
	awk -v v=$v '$1 == v { print $5 }' "$work/rates" | sort -n |
	awk -v v=$v '{ a[NR] = $1 } END { printf "  %-5s %8.1f %8.1f %8.1f\n", v, a[1], a[int((NR + 1) / 2)], a[NR] }'
done
echo "one code check at a time with $N active codes and devices, ms"
echo "(min / median / max over the rounds of each round's p50, p99, max):"
for k in again wrong status; do
	for col in 4 5 6; do
		awk -v k=$k -v c=$col '$2 == k { print $c }' "$work/checks" | sort -n |
		awk -v k=$k -v c=$col '{ a[NR] = $1 } END { printf "  %-6s %s %7.3f %7.3f %7.3f\n", k, (c == 4 ? "p50" : c == 5 ? "p99" : "max"), a[1], a[int((NR + 1) / 2)], a[NR] }'
	done
done
echo "iplogin: $(awk '/^VmRSS/ { print $2 }' /proc/$(cat "$work/pid")/status) kB resident"
