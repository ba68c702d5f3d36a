#!/bin/sh
test_description='nftables and iptables count the same traffic to the byte'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

IPAC_TEST_BACKEND=iptables lab_require
test_require_prog sqlite3

# The config: directions, interfaces, protocols, ports, ICMP types, both
# families, one name on several lines, and 40 per-host lines (a map in
# nftables, a tree of chains in iptables), on a masquerading router.
write_conf () {
	cat <<-EOF
	A to B|in|r0|all|$LAB_A4|$LAB_B4
	B to A|out|r0|all|$LAB_B4|$LAB_A4
	local in|in|r0|all||$LAB_R4A
	local out|out|r0|all|$LAB_R4A|
	udp 5000|both||udp||any 5000
	tcp list|both||tcp||any 22 80 443
	tcp range|both||tcp||any 6000:6010
	not 5000|in|r0|udp||any !5000
	wild in|in|r+|all||
	icmp echo|in|r0|icmp|any echo-request|
	v6 from A|in|r0|all|$LAB_A6|
	v6 both|both|r1|all||
	pair|in|r0|udp||any 7001
	pair|in|r0|udp||any 7002
	uplink out|out|r1|all||
	uplink in|in|r1|all||
	A download|in|r1|all||$LAB_A4
	A upload|out|r1|all|$LAB_A4|
	EOF
	i=1
	while test $i -le 40
	do
		echo "host $i|in|r0|all|198.18.1.$((i + 1))|"
		echo "host $i|out|r0|all||198.18.1.$((i + 1))"
		i=$((i + 1))
	done
}

# traffic: the same packets, every time
traffic () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 300 &&
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 80 -c 3 -l 200 &&
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 6005 -c 4 -l 60 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5001 -c 2 -l 64 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c 3 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7002 -c 5 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p icmp -d $LAB_B4 -c 3 -l 84 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_R4A --dport 9 -c 6 -l 128 &&
	lab_exec "$LAB_R" ipac-send -p udp -s $LAB_R4A -d $LAB_A4 --dport 9 -c 5 -l 90 &&
	lab_exec "$LAB_A" ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 4 -l 150 &&
	lab_exec "$LAB_B" ipac-send -6 -p udp -d $LAB_A6 --dport 5000 -c 2 -l 110 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 11 -l 333
}

# run BACKEND: a masquerading lab, the config applied with BACKEND,
# the traffic, fetches; the stored totals per name go to totals.BACKEND.
run () {
	cat >"$IPAC_SETTINGS" <<-EOF &&
	store = $TRASH_DIRECTORY/$1.db
	spool fallback = $TRASH_DIRECTORY/run-spool
	backend = $1
	EOF
	IPAC_TEST_BACKEND=$1 &&
	lab_router_setup --masquerade &&
	lab_sink "$LAB_R" &&
	lab_warmup &&
	write_conf >ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	traffic &&
	lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	traffic &&
	lab_exec "$LAB_R" fetchipac &&
	STORE=$TRASH_DIRECTORY/$1.db &&
	store_q "SELECT r.name, coalesce(sum(s.pkts), 0), coalesce(sum(s.bytes), 0)
		FROM rule r LEFT JOIN sample s ON s.rule_id = r.id
		GROUP BY r.name ORDER BY r.name" >totals.$1 &&
	store_q "SELECT backend FROM ruleset ORDER BY id DESC LIMIT 1" >used &&
	echo "$1" >expect && test_cmp expect used &&
	lab_cleanup
}

test_expect_success 'nftables lab: apply, traffic, reload, traffic, fetch' '
	run nftables
'

test_expect_success 'iptables lab: the same' '
	run iptables
'

test_expect_success 'stored totals are equal to the byte' '
	test_cmp totals.nftables totals.iptables &&
	# and what was sent (twice) is what was counted: 38 packets A to B
	# (7783 bytes), the 3 echo replies back (84 bytes each) de-NATed,
	# A as a host: those, 6 to and 5 from the router (128, 90 bytes)
	grep -x "A to B|76|15566" totals.iptables &&
	grep -x "A download|6|504" totals.iptables &&
	grep -x "host 1|104|18506" totals.iptables &&
	grep -x "local out|10|900" totals.iptables &&
	test $(wc -l <totals.iptables) -eq 57
'

test_done
