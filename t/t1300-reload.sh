#!/bin/sh
test_description='reloads under continuous traffic lose nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

test_require_root_netns

test_expect_success 'lab and config' '
	lab_router_setup &&
	lab_warmup &&
	cat >a.conf <<-EOF &&
	stream|in|r0|udp|$LAB_A4|any 5000
	per host|in|r0|all|$LAB_A4|
	other host|in|r0|all|198.18.1.3|
	EOF
	cat >b.conf <<-EOF &&
	stream|in|r0|udp|$LAB_A4|any 5000
	per host|in|r0|all|$LAB_A4|
	newcomer|both||all||
	EOF
	lab_exec "$LAB_R" ipacset a.conf
'

test_expect_success 'reload 40 times while 20000 packets flow: each counted once' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 20000 -l 120 -i 100 &
	sender=$! &&
	i=0 &&
	while test $i -lt 20
	do
		lab_exec "$LAB_R" ipacset b.conf &&
		lab_exec "$LAB_R" ipacset a.conf || break
		i=$((i + 1))
	done &&
	wait $sender &&
	{ test $i -eq 20 || { echo "only $i reload pairs went through"; false; }; } &&
	echo "20000 2400000" >expect &&
	lab_counted "$LAB_R" stream >actual &&
	test_cmp expect actual &&
	lab_counted "$LAB_R" "per host" >actual &&
	test_cmp expect actual
'

test_done
