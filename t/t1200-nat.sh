#!/bin/sh
test_description='on a masquerading router, internal addresses are counted both ways'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

test_require_root_netns

counted () {
	lab_exec "$LAB_R" ipacset -L -m | grep -F "|$1|" | cut -d" " -f1,2
}

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
	echo "2400 6" >expect &&
	counted "A upload" >actual &&
	test_cmp expect actual &&
	counted "uplink out" >actual &&
	test_cmp expect actual
'

test_expect_success 'replies are counted under the internal destination address' '
	lab_exec "$LAB_A" ipac-send -p icmp -d $LAB_B4 -c 4 -l 100 &&
	echo "400 4" >expect &&
	counted "A download" >actual &&
	test_cmp expect actual &&
	echo "0 0" >expect &&
	counted "router addr down" >actual &&
	test_cmp expect actual &&
	echo "2800 10" >expect &&
	counted "A upload" >actual &&
	test_cmp expect actual
'

test_done
