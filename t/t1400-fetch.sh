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

test_expect_success 'ipac-ng machine format: -t -m and -r ADD records' '
	ta=$(( $(date +%s) + 1000 )) &&
	tb=$((ta + 300)) &&
	IPAC_TEST_NOW=$ta lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c 2 -l 100 &&
	IPAC_TEST_NOW=$tb lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_R" fetchipac -r$tb >records &&
	host=$(store_q "SELECT name FROM host") &&
	printf "%s\n" ADD "$tb 1" "( $host" "200 2 |A to B|" "200 2 |pair|" ")" "" \
		>expect &&
	test_cmp expect records &&
	n=$(store_q "SELECT count(*) FROM run") &&
	lab_exec "$LAB_R" fetchipac -t -m >times &&
	test "$(head -1 times)" = "$n" &&
	test $(grep -c "^\* " times) = $n &&
	lab_exec "$LAB_R" fetchipac -t$ta,$tb -m >times &&
	before=$(store_q "SELECT t1 FROM run WHERE t1 < $ta ORDER BY t DESC LIMIT 1") &&
	printf "1\n- %s\n* %s\n+ %s\n" "$before" "$ta" "$tb" >expect &&
	test_cmp expect times &&
	lab_exec "$LAB_R" fetchipac -t$tb >human &&
	grep "^$tb  .*  300 s, 5 names$" human
'

# A clock of our own from here on: runs across hours, a day and a month.
test_expect_success 'rollups: each hour, day and month holds what was sent in it' '
	IPAC_TEST_NOW=$((tb + 1)) lab_exec "$LAB_R" ipacset -F &&
	rm -f "$STORE" "$STORE-wal" "$STORE-shm" &&
	printf "%s\n" "once|in|r0|udp||any 7001" >roll.conf &&
	# 2026-06-30 21:10 UTC, then every 40 minutes until 1 July 02:30
	t=1782853800 &&
	IPAC_TEST_NOW=$t lab_exec "$LAB_R" ipacset roll.conf &&
	i=0 &&
	while test $i -lt 9
	do
		i=$((i + 1)) &&
		t=$((t + 2400)) &&
		lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c $i -l 100 &&
		IPAC_TEST_NOW=$t lab_exec "$LAB_R" fetchipac || return 1
	done &&
	store_q "SELECT datetime(t, '\''unixepoch'\''), pkts, bytes FROM hourly ORDER BY t" >hours &&
	# each run is attributed to the middle of its 40 minutes
	cat >expect <<-EOF &&
	2026-06-30 21:00:00|1|100
	2026-06-30 22:00:00|5|500
	2026-06-30 23:00:00|4|400
	2026-07-01 00:00:00|11|1100
	2026-07-01 01:00:00|7|700
	EOF
	test_cmp expect hours &&
	store_q "SELECT datetime(t, '\''unixepoch'\''), pkts FROM daily" >days &&
	echo "2026-06-30 00:00:00|10" >expect &&
	test_cmp expect days &&
	store_q "SELECT datetime(t, '\''unixepoch'\''), pkts FROM monthly" >months &&
	echo "2026-06-01 00:00:00|10" >expect &&
	test_cmp expect months &&
	expect_stored once 45 4500 &&
	store_consistent
'

test_done
