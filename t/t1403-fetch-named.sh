#!/bin/sh
test_description='fetchipac asks for every counter by name when they are many: exact, and a dump when the table holds anything else'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

# From one counter on (20000 in use): the path of large tables, here.
IPAC_TEST_NAMED_MIN=1
export IPAC_TEST_NAMED_MIN

# send N HOST: N UDP packets of 70 bytes from B to 198.18.1.HOST
send () {
	lab_exec "$LAB_B" ipac-send -p udp -d 198.18.1.$2 --dport 9 -c "$1" -l 70
}

test_expect_success 'lab, 200 names, one per host' '
	lab_router_setup &&
	lab_warmup &&
	i=1 && while [ $i -le 200 ]
	do
		echo "h$i|in|r1|all||198.18.1.$i" || return 1
		i=$((i + 1))
	done >ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	# the 200 counters and the mark of the ruleset
	grep "table ipac: 201 counters read by name" err
'

test_expect_success 'each name its own traffic, to the byte' '
	send 3 3 && send 5 7 && send 1 200 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "read by name" err &&
	expect_last h3 3 210 &&
	expect_last h7 5 350 &&
	expect_last h200 1 70 &&
	expect_last h4 0 0 &&
	store_consistent
'

test_expect_success 'ipacset -L asks for the newest ruleset'"'"'s names by name: what a dump lists' '
	lab_exec "$LAB_R" ipacset -L -m -vv >by-name 2>err &&
	grep "table ipac: 201 counters read by name" err &&
	test "$(grep -c . by-name)" = 200 &&
	grep "^350 5 |h7|\$" by-name &&
	grep "^70 1 |h200|\$" by-name &&
	grep "^0 0 |h4|\$" by-name &&
	lab_exec "$LAB_R" env IPAC_TEST_NAMED_MIN=999999999 ipacset -L -m \
		-vv >dumped 2>err &&
	! grep "read by name" err &&
	test_cmp dumped by-name
'

test_expect_success 'ipacset -L of a table that holds another counter: a dump, the same list' '
	lab_exec "$LAB_R" nft add counter inet ipac foreign &&
	lab_exec "$LAB_R" ipacset -L -m -vv >listed 2>err &&
	grep "201 of 201 counters there by name, .* objects in all: read by a dump" err &&
	lab_exec "$LAB_R" nft delete counter inet ipac foreign &&
	test_cmp dumped listed
'

test_expect_success 'a counter of somebody else in our table: read by a dump, still exact' '
	lab_exec "$LAB_R" nft add counter inet ipac foreign &&
	send 2 3 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "201 of 201 counters there by name, .* objects in all: read by a dump" err &&
	expect_last h3 2 140 &&
	lab_exec "$LAB_R" nft delete counter inet ipac foreign &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "read by name" err
'

test_expect_success 'a counter deleted behind our back: the same repair as with a dump' '
	send 4 7 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored h7 9 630 &&
	map=$(lab_exec "$LAB_R" nft list table inet ipac |
		sed -n "s/^	map \([a-z0-9]*\) {$/\1/p") &&
	lab_exec "$LAB_R" nft delete element inet ipac $map "{ 198.18.1.7 }" &&
	lab_exec "$LAB_R" nft delete counter inet ipac c_h7 &&
	test_expect_code 3 lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "200 of 201 counters there by name" err &&
	grep "corrupted: .*1 of 200 counters are missing" err &&
	send 6 7 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "read by name" err &&
	expect_stored h7 15 1050 &&
	store_consistent
'

test_expect_success 'a reload by ipacset: the counters before and after it read by name, exact' '
	sed "s/^h200|/h200 renamed|/" ipac.conf >ipac2.conf &&
	send 2 200 &&
	lab_exec "$LAB_R" ipacset -vv ipac2.conf 2>err &&
	# the new ruleset after the change, once: the change itself reads
	# and sends only what changed, and the name that goes away with it
	test $(grep -c "201 counters read by name" err) = 1 &&
	grep "1 counters new, 1 gone, 1 map elements added and 1 deleted" err &&
	expect_stored h200 3 210 &&
	send 3 200 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "201 counters read by name" err &&
	expect_last "h200 renamed" 3 210 &&
	expect_stored h200 3 210
'

test_expect_success 'an apply onto a table deleted behind our back: the counters it makes taken at 0, not read; what they count from its rules on, stored once' '
	stored_mark h3 &&
	lab_exec "$LAB_R" nft delete table inet ipac &&
	# a slow moment after the apply: its rules count, nothing read yet
	IPAC_TEST_PAUSE=ipacset-applied:2000 lab_exec "$LAB_R" \
		ipacset -vv ipac2.conf 2>err &
	setter=$! &&
	n=0 &&
	until grep -q "pause point ipacset-applied" err
	do
		n=$((n + 1)) && test $n -lt 100 && sleep 0.1 || return 1
	done &&
	send 4 3 &&
	wait $setter &&
	# the mark read by name, the 200 new counters not asked for
	grep "table ipac: 1 counters read by name, 200 taken as made" err &&
	send 2 3 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac -vv 2>err &&
	grep "201 counters read by name" err &&
	# the snapshot after the apply held 0: all six in the fetch after
	expect_last h3 6 420 &&
	stored_add h3 6 420 &&
	store_consistent
'

test_expect_success 'a reload that changes rules (a whole apply on the table): the new name taken as made, the others read by name, exact' '
	sed "s/^h5|in|r1|all|/h5|in|r1|udp|/" ipac2.conf >ipac3.conf &&
	echo "h201|in|r1|all||198.18.1.201" >>ipac3.conf &&
	stored_mark h3 &&
	send 2 3 &&
	lab_exec "$LAB_R" ipacset -vv ipac3.conf 2>err &&
	grep "transaction 1 of 6: 1 new counters" err &&
	grep "table ipac: 201 counters read by name, 1 taken as made" err &&
	stored_add h3 2 140 &&
	send 3 201 &&
	send 1 3 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_add h3 3 210 &&
	expect_stored h201 3 210 &&
	store_consistent
'

test_done
