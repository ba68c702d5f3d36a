#!/bin/sh
test_description='on a masquerading router, internal addresses are counted both ways'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require

test_expect_success 'router masquerading LAN A behind its uplink r1' '
	lab_router_setup --masquerade &&
	lab_warmup &&
	cat >ipac.conf <<-EOF &&
	A upload|out|r1|all|$LAB_A4|
	A download|in|r1|all||$LAB_A4
	uplink out|out|r1|all||
	router addr down|in|r1|all||$LAB_R4B
	EOF
	lab_exec "$LAB_R" ipacset ipac.conf
'

test_expect_success 'upload is counted under the internal source address' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 6 -l 400 &&
	echo "6 2400" >expect &&
	lab_counted "$LAB_R" "A upload" >actual &&
	test_cmp expect actual &&
	lab_counted "$LAB_R" "uplink out" >actual &&
	test_cmp expect actual
'

test_expect_success 'replies are counted under the internal destination address' '
	lab_exec "$LAB_A" ipac-send -p icmp -d $LAB_B4 -c 4 -l 100 &&
	echo "4 400" >expect &&
	lab_counted "$LAB_R" "A download" >actual &&
	test_cmp expect actual &&
	echo "0 0" >expect &&
	lab_counted "$LAB_R" "router addr down" >actual &&
	test_cmp expect actual &&
	echo "10 2800" >expect &&
	lab_counted "$LAB_R" "A upload" >actual &&
	test_cmp expect actual
'

test_done
