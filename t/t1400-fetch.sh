#!/bin/sh
test_description='fetchipac stores exactly what was sent, per interval'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

test_expect_success 'lab, config applied and recorded' '
	lab_router_setup &&
	lab_warmup &&
	cat >ipac.conf <<-EOF &&
	A to B|in|r0|all|$LAB_A4|$LAB_B4
	udp 5000|both||udp||any 5000
	pair|in|r0|udp||any 7001
	pair|in|r0|udp||any 7002
	to h2|in|r1|all||$LAB_A4
	to h3|in|r1|all||198.18.1.3
	EOF
	lab_exec "$LAB_R" ipacset ipac.conf &&
	test "$(store_q "SELECT count(*) FROM ruleset WHERE created = 1")" = 1 &&
	lab_exec "$LAB_R" fetchipac
'

test_expect_success 'interval 1: each name its own traffic' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 300 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c 3 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7002 -c 5 -l 100 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_last "A to B" 15 2900 &&
	expect_last "udp 5000" 7 2100 &&
	expect_last pair 8 800 &&
	expect_last "to h2" 0 0
'

test_expect_success 'interval 2: only what came since' '
	lab_exec "$LAB_B" ipac-send -p udp -d $LAB_A4 --dport 5000 -c 4 -l 500 &&
	lab_exec "$LAB_B" ipac-send -p udp -d 198.18.1.3 --dport 9 -c 2 -l 70 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_last "A to B" 0 0 &&
	expect_last "udp 5000" 4 2000 &&
	expect_last "to h2" 4 2000 &&
	expect_last "to h3" 2 140 &&
	expect_stored "udp 5000" 11 4100 &&
	expect_stored "A to B" 15 2900 &&
	store_consistent
'

test_expect_success 'a run in the same second adds to the last run' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c 1 -l 100 &&
	lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c 1 -l 100 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored pair 10 1000 &&
	test "$(store_q "SELECT count(*) FROM run r1 JOIN run r2
		ON r1.t < r2.t AND r1.t1 > r2.t0")" = 0
'

test_done
