#!/bin/sh
test_description='fetchipac killed at every step: the store stays whole, nothing is lost or doubled'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

# A clock of our own, two hours a run, so that every run closes buckets
# (hours; days now and then) and the "rollups" step is reached.
NOW=1790000000
tick () {
	NOW=$((NOW + 7200))
	IPAC_TEST_NOW=$NOW
	export IPAC_TEST_NOW
}

SENT=0
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c "$1" -l 100 &&
	SENT=$((SENT + $1))
}

# crash STEP cmd...: cmd must die by SIGKILL at STEP
crash () {
	step=$1
	shift
	IPAC_TEST_CRASH=$step "$@" 2>crash.err
	status=$?
	grep "crash point $step" crash.err &&
	test $status = 137 || { echo "status $status at $step"; cat crash.err; return 1; }
}

test_expect_success 'lab and ruleset' '
	tick &&
	lab_router_setup &&
	lab_warmup &&
	printf "%s\n" "up|in|r0|all|$LAB_A4|" "host|in|r0|all|$LAB_A4|" \
		"other|in|r0|all|198.18.1.3|" >ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	tick && lab_exec "$LAB_R" fetchipac
'

for step in locked begin read samples rollups commit committed
do
	test_expect_success "killed at $step: consistent, then exact" '
		send 3 &&
		tick &&
		crash $step lab_exec "$LAB_R" fetchipac &&
		store_consistent &&
		send 2 &&
		tick &&
		lab_exec "$LAB_R" fetchipac &&
		store_consistent &&
		expect_stored up $SENT $((SENT * 100)) &&
		expect_stored host $SENT $((SENT * 100))
	'
done

test_expect_success 'killed after spooling (store busy): replayed once' '
	printf "%s\n" "store = $STORE" "spool fallback = $TRASH_DIRECTORY/run-spool" \
		"busy timeout = 1s" >busy.settings &&
	send 4 &&
	tick &&
	{ { echo "BEGIN IMMEDIATE;"; sleep 3; echo "COMMIT;"; } |
		sqlite3 "$STORE" & } &&
	sleep 0.5 &&
	crash spooled lab_exec "$LAB_R" fetchipac -C busy.settings &&
	ls spool/*.snap &&
	wait &&
	store_consistent &&
	tick &&
	lab_exec "$LAB_R" fetchipac &&
	! ls spool/*.snap 2>/dev/null &&
	expect_stored up $SENT $((SENT * 100)) &&
	test "$(store_q "SELECT count(*) FROM run WHERE flags & 1")" = 1
'

test_expect_success 'killed before a repair: repaired by the next run' '
	lab_break_forward "$LAB_R" &&
	tick &&
	crash repair lab_exec "$LAB_R" fetchipac &&
	store_consistent &&
	tick &&
	test_must_fail lab_exec "$LAB_R" fetchipac 2>err &&
	grep corrupted err &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 6 &&
	tick &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up $SENT $((SENT * 100))
'

test_expect_success 'ipacset killed between its snapshot and the change' '
	send 5 &&
	tick &&
	grep -v "^up|" ipac.conf >less.conf &&
	crash ipacset-snapshot lab_exec "$LAB_R" ipacset less.conf &&
	store_consistent &&
	lab_counted "$LAB_R" up >counted &&
	! grep missing counted &&
	tick &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up $SENT $((SENT * 100)) &&
	store_consistent
'

# latest_config: the config of the newest ruleset recorded
latest_config () {
	store_q "SELECT config FROM ruleset ORDER BY id DESC LIMIT 1"
}

test_expect_success 'ipacset killed before the change: its ruleset is dropped' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	send 2 &&
	tick &&
	crash ipacset-snapshot lab_exec "$LAB_R" ipacset less.conf &&
	ls spool/*.intent &&
	lab_counted "$LAB_R" up >counted &&
	! grep missing counted &&
	tick &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	grep "ruleset is dropped" err &&
	! ls spool/*.intent spool/*.rules 2>/dev/null &&
	latest_config | grep "^up|" &&
	lab_exec "$LAB_R" fetchipac -n &&
	expect_stored up $SENT $((SENT * 100)) &&
	store_consistent
'

for step in ipacset-applied ipacset-recorded
do
	test_expect_success "ipacset killed after the change ($step): its ruleset is kept" '
		lab_exec "$LAB_R" ipacset ipac.conf &&
		send 3 &&
		tick &&
		lab_exec "$LAB_R" fetchipac &&
		stored_mark up &&
		crash $step lab_exec "$LAB_R" ipacset less.conf &&
		store_consistent &&
		lab_counted "$LAB_R" up >counted &&
		grep missing counted &&
		ls spool | grep -E "[.](intent|rules)$" &&
		send 4 &&
		tick &&
		lab_exec "$LAB_R" fetchipac 2>err &&
		! grep corrupted err &&
		! ls spool/*.intent spool/*.rules 2>/dev/null &&
		latest_config >config &&
		! grep "^up|" config &&
		grep "^host|" config &&
		lab_exec "$LAB_R" fetchipac -n &&
		lab_counted "$LAB_R" up >counted &&
		grep missing counted &&
		stored_add up 0 0 &&
		expect_stored host $SENT $((SENT * 100)) &&
		store_consistent
	'
done


# rulesets: how many rulesets the store records
rulesets () {
	store_q "SELECT count(*) FROM ruleset"
}

test_expect_success 'the same ruleset after the table was lost: recorded once' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	send 3 &&
	tick &&
	lab_exec "$LAB_R" fetchipac &&
	stored_mark up &&
	n=$(rulesets) &&
	lab_drop_table "$LAB_R" &&
	tick &&
	lab_exec "$LAB_R" ipacset -v ipac.conf 2>err &&
	grep "again: not recorded twice" err &&
	test "$(rulesets)" = "$n" &&
	! ls spool | grep -E "[.](intent|rules)$" &&
	send 5 &&
	tick &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	! grep -e corrupted -e "not the newest" err &&
	stored_add up 5 500 &&
	expect_stored host $SENT $((SENT * 100)) &&
	test "$(store_q "SELECT count(*) FROM gap WHERE reason = '"'"'table missing'"'"'")" -ge 1 &&
	store_consistent
'

test_expect_success 'the same ruleset again, killed after the change: nothing to record, counted once' '
	stored_mark up &&
	n=$(rulesets) &&
	lab_drop_table "$LAB_R" &&
	tick &&
	crash ipacset-applied lab_exec "$LAB_R" ipacset -v ipac.conf &&
	grep "again: not recorded twice" crash.err &&
	store_consistent &&
	! ls spool | grep -E "[.](intent|rules)$" &&
	send 4 &&
	tick &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	! grep -e corrupted -e "not the newest" err &&
	test "$(rulesets)" = "$n" &&
	stored_add up 4 400 &&
	expect_stored host $SENT $((SENT * 100)) &&
	store_consistent
'

test_done
