#!/bin/sh
test_description='reloads under continuous traffic count every packet once'
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
	lab_exec "$LAB_R" ipacset a.conf &&
	# A reference that is never reloaded: what really was forwarded.
	lab_reference "$LAB_R" ip saddr $LAB_A4 udp dport 5000
'

test_expect_success 'reload 40 times while 20000 packets flow: none counted twice, none lost but a known rare 1-2' '
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
	# Every packet that was forwarded (the reference, never reloaded) must
	# be counted once, and nearly all must have got through the host.
	# KNOWN BUG: about one run in 20 of the whole suite, ipac counts one
	# or two packets fewer than the reference over the 40 reloads (cause
	# not found yet; see the issue notes).  Until it is fixed, a loss of
	# at most 2 is reported here but passes; anything counted twice, or
	# more lost, fails.
	lab_reference_read "$LAB_R" >ref &&
	read packets bytes <ref &&
	test $packets -ge 19900 && test $bytes -eq $((packets * 120)) &&
	for name in stream "per host"
	do
		lab_counted "$LAB_R" "$name" >got &&
		read gp gb <got &&
		test $gb -eq $((gp * 120)) &&
		test $gp -le $packets &&
		test $((packets - gp)) -le 2 || return 1
		test $gp -eq $packets ||
		echo "# KNOWN BUG: $name counted $gp of $packets forwarded packets" >&8
	done
'

test_done
