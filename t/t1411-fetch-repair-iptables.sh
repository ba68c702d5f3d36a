#!/bin/sh
test_description='fetchipac repairs legacy chains others broke, records the gap, counts on'
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

# send N: N UDP packets of 100 bytes from A to B
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c "$1" -l 100
}

# send6 N: the same over IPv6
send6 () {
	lab_exec "$LAB_A" ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c "$1" -l 100
}

# fetch_corrupt: fetchipac must exit 3 and say "corrupted"
fetch_corrupt () {
	test_expect_code 3 lab_exec "$LAB_R" fetchipac 2>err &&
	grep corrupted err &&
	grep repairing err
}

gaps () {
	store_q "SELECT count(*) FROM gap"
}

# ipt ARGS: iptables-legacy in the router
ipt () {
	lab_exec "$LAB_R" iptables-legacy -w "$@"
}

test_expect_success 'lab and ruleset' '
	lab_router_setup &&
	lab_warmup &&
	cat >ipac.conf <<-EOF &&
	up|in|r0|all|$LAB_A4|
	per host|in|r0|all|$LAB_A4|
	other|in|r0|all|198.18.1.3|
	up6|in|r0|all|$LAB_A6|
	EOF
	ipt -A FORWARD -s 198.18.9.9 -j DROP &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 10 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 10 1000 &&
	test "$(gaps)" = 0
'

test_expect_success 'iptables -F FORWARD: jumps missing, repaired, gap, counting goes on' '
	ipt -F FORWARD &&
	test_expect_code 3 lab_exec "$LAB_R" fetchipac -n 2>err &&
	grep "IPv4 jump FORWARD -> ipac~fi is missing" err &&
	send 3 &&
	sleep 1 &&
	fetch_corrupt &&
	grep "IPv4 jump FORWARD -> ipac~fo is missing" err &&
	test "$(gaps)" = 1 &&
	store_q "SELECT reason FROM gap" | grep "jump FORWARD -> ipac~fi is missing" &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 7 &&
	lab_exec "$LAB_R" fetchipac &&
	# the counters stayed in the chains: only the 3 sent meanwhile are lost
	expect_stored up 17 1700 &&
	expect_stored "per host" 17 1700 &&
	test "$(store_q "SELECT count(*) FROM run WHERE flags & 2")" -ge 1
'

test_expect_success 'a rule put before our jumps: back on top, the rule stays' '
	ipt -I FORWARD 1 -s 198.18.9.8 -j DROP &&
	sleep 1 &&
	fetch_corrupt &&
	grep "IPv4 jump FORWARD -> ipac~fi is rule 2 of FORWARD, not 1" err &&
	grep "no longer at the top" err &&
	lab_exec "$LAB_R" iptables-legacy-save -t filter | grep "^-A FORWARD" >fwd &&
	printf "%s\n" "-A FORWARD -j ipac~fi" "-A FORWARD -j ipac~fo" \
		"-A FORWARD -s 198.18.9.8/32 -j DROP" >expect &&
	test_cmp expect fwd &&
	send 2 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 19 1900
'

test_expect_success 'our chain deleted: remade, gap' '
	ipt -D FORWARD -j ipac~fi &&
	ipt -F ipac~fi &&
	ipt -X ipac~fi &&
	sleep 1 &&
	fetch_corrupt &&
	grep "IPv4 chain ipac~fi is missing" err &&
	send 5 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 24 2400
'

test_expect_success 'our chain flushed: its rules back' '
	ipt -F ipac~fi &&
	sleep 1 &&
	fetch_corrupt &&
	grep "IPv4 chain ipac~fi has 0 rules, the config makes 3" err &&
	send 4 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 28 2800
'

test_expect_success 'IPv6 damage is found as well' '
	send6 3 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up6 3 300 &&
	lab_exec "$LAB_R" ip6tables-legacy -w -F FORWARD &&
	sleep 1 &&
	fetch_corrupt &&
	grep "IPv6 jump FORWARD -> ipac~fi is missing" err &&
	send6 2 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up6 5 500
'

test_expect_success 'all our chains removed behind our back: repaired, counted once' '
	send 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 29 2900 &&
	for f in iptables-legacy ip6tables-legacy
	do
		for j in "INPUT -j ipac~o" "OUTPUT -j ipac~i" "FORWARD -j ipac~fi" \
			"FORWARD -j ipac~fo"
		do
			lab_exec "$LAB_R" $f -w -D $j || return 1
		done &&
		for c in "ipac~o" "ipac~i" "ipac~fi" "ipac~fo"
		do
			lab_exec "$LAB_R" $f -w -F "$c" &&
			lab_exec "$LAB_R" $f -w -X "$c" || return 1
		done
	done &&
	sleep 1 &&
	fetch_corrupt &&
	grep "chains ipac~o, ipac~i, ipac~fi and ipac~fo are missing" err &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 6 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 35 3500 &&
	store_consistent
'

test_expect_success 'ipacset -F removes the chains on purpose: no repair, no gap' '
	send 2 &&
	lab_exec "$LAB_R" ipacset -F &&
	expect_stored up 37 3700 &&
	n=$(gaps) &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	test "$(gaps)" = "$n" &&
	! lab_exec "$LAB_R" iptables-legacy-save | grep "ipac~" &&
	lab_exec "$LAB_R" iptables-legacy-save | grep -e "-A FORWARD -s 198.18.9.8/32 -j DROP"
'

test_expect_success 'counters of a reload: names removed are stored first' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	send 5 &&
	grep -v "^up|" ipac.conf >less.conf &&
	lab_exec "$LAB_R" ipacset less.conf &&
	expect_stored up 42 4200 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 42 4200 &&
	expect_stored "per host" 42 4200 &&
	store_consistent
'

test_expect_success 'iptables-legacy -F: a name in both tables is not counted twice' '
	echo "any|in|r0|all||" >>ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	send 4 &&
	send6 3 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored any 7 700 &&
	ipt -F &&
	sleep 1 &&
	fetch_corrupt &&
	! grep "went down" err &&
	expect_stored any 7 700 &&
	send 2 &&
	send6 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored any 10 1000 &&
	store_consistent
'

test_expect_success 'switching backends: counts stored first, the old rules go' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored "per host" 48 4800 &&
	send 3 &&
	lab_exec "$LAB_R" ipacset -b nftables ipac.conf &&
	expect_stored "per host" 51 5100 &&
	! lab_exec "$LAB_R" iptables-legacy-save | grep "ipac~" &&
	lab_exec "$LAB_R" nft list table inet ipac >/dev/null &&
	send 2 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored "per host" 53 5300 &&
	send 1 &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	! lab_exec "$LAB_R" nft list table inet ipac 2>/dev/null &&
	lab_exec "$LAB_R" iptables-legacy-save | grep -q "ipac~fi" &&
	send 4 &&
	lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_R" fetchipac -n &&
	expect_stored "per host" 58 5800 &&
	store_consistent
'

# ping N: N ICMP echo requests of 100 bytes from A to the router (ipac~o)
ping_router () {
	lab_exec "$LAB_A" ipac-send -p icmp -d $LAB_R4A -c "$1" -l 100
}

test_expect_success 'one chain of a name flushed: what its rules in other chains counted is kept' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	send 40 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_mark up &&
	# 30 pings to the router count in ipac~o; ipac~fi, with the 40
	# forwarded packets and more, is flushed: the total goes down
	ping_router 30 &&
	ipt -F ipac~fi &&
	fetch_corrupt &&
	grep "IPv4 chain ipac~fi has 0 rules" err &&
	stored_add up 30 3000 &&
	send 3 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_add up 33 3300 &&
	# again, the total going up: ipac~fi counted 5 since it was made
	send 5 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_mark up &&
	stored_mark "per host" &&
	ping_router 30 &&
	ipt -F ipac~fi &&
	fetch_corrupt &&
	stored_add up 30 3000 &&
	stored_add "per host" 30 3000 &&
	send 2 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_add up 32 3200 &&
	store_consistent
'

test_done
