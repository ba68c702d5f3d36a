#!/bin/sh
test_description='ipacset with the ruleset the kernel holds: checked, nothing changed, nothing lost'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

# send N: N UDP packets of 100 bytes from A to B
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c "$1" -l 100
}

# handles: the handles of the table's counters, which a change renews
handles () {
	lab_exec "$LAB_R" nft -a list counters table inet ipac |
		sed -n "s/.*counter \([^ ]*\) { # handle \([0-9]*\)/\1 \2/p"
}

test_expect_success 'lab, config applied' '
	lab_router_setup &&
	lab_warmup &&
	cat >ipac.conf <<-EOF &&
	up|in|r0|udp|$LAB_A4|any 5000
	per host|in|r0|all|$LAB_A4|
	EOF
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	handles >handles.before &&
	test -s handles.before
'

test_expect_success 'the same config again: nothing to change, the counters count on' '
	send 3 &&
	lab_exec "$LAB_R" ipacset -v ipac.conf 2>err &&
	grep "holds this ruleset, whole: nothing to change" err &&
	handles >handles.after &&
	test_cmp handles.before handles.after &&
	send 2 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 5 500 &&
	test "$(store_q "SELECT count(*) FROM ruleset")" = 1 &&
	store_consistent
'

test_expect_success 'a chain flushed by somebody: the same config is applied again' '
	send 1 &&
	lab_break_forward "$LAB_R" &&
	lab_exec "$LAB_R" ipacset -v ipac.conf 2>err &&
	! grep "nothing to change" err &&
	send 4 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	# the one sent before the flush counted, then the four
	expect_stored up 10 1000 &&
	store_consistent
'

test_expect_success 'the same rules put there without the store: applied and recorded' '
	lab_exec "$LAB_R" ipacset --no-store ipac.conf &&
	lab_exec "$LAB_R" ipacset -v ipac.conf 2>err &&
	! grep "nothing to change" err &&
	lab_exec "$LAB_R" ipacset -v ipac.conf 2>err &&
	grep "nothing to change" err
'

test_expect_success '--force applies it all the same, and loses nothing' '
	send 2 &&
	lab_exec "$LAB_R" ipacset -v --force ipac.conf 2>err &&
	! grep "nothing to change" err &&
	send 3 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 15 1500 &&
	store_consistent
'

test_expect_success 'a changed config is applied' '
	echo "other|in|r0|all||198.18.1.3" >>ipac.conf &&
	lab_exec "$LAB_R" ipacset -v ipac.conf 2>err &&
	! grep "nothing to change" err &&
	lab_exec "$LAB_R" nft list counters table inet ipac >list &&
	grep "counter c_other" list
'

test_done
