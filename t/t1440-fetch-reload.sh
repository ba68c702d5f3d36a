#!/bin/sh
test_description='reloads and fetches under continuous traffic: stored total = bytes sent'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

test_expect_success 'lab, two configs, a reference that is never reloaded' '
	lab_router_setup &&
	lab_warmup &&
	printf "%s\n" "stream|in|r0|udp|$LAB_A4|any 5000" \
		"per host|in|r0|all|$LAB_A4|" "other host|in|r0|all|198.18.1.3|" \
		>a.conf &&
	printf "%s\n" "stream|in|r0|udp|$LAB_A4|any 5000" \
		"per host|in|r0|all|$LAB_A4|" "newcomer|both||all||" >b.conf &&
	lab_exec "$LAB_R" ipacset a.conf &&
	lab_exec "$LAB_R" fetchipac &&
	lab_reference "$LAB_R" ip saddr $LAB_A4 udp dport 5000
'

test_expect_success '20000 packets, 20 reloads and 20 fetches while they flow' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 20000 \
		-l 120 -i 100 &
	sender=$! &&
	i=0 &&
	while test $i -lt 10
	do
		lab_exec "$LAB_R" ipacset b.conf &&
		lab_exec "$LAB_R" fetchipac &&
		lab_exec "$LAB_R" ipacset a.conf &&
		lab_exec "$LAB_R" fetchipac || break
		i=$((i + 1))
	done &&
	wait $sender &&
	test $i -eq 10 &&
	sleep 0.2 &&
	lab_exec "$LAB_R" fetchipac &&
	lab_reference_read "$LAB_R" >ref &&
	read rp rb <ref &&
	echo "forwarded: $rp packets, $rb bytes" &&
	stored stream >got &&
	read gp gb <got &&
	echo "stored: $gp packets, $gb bytes" &&
	test "$rp $rb" = "20000 2400000" &&
	expect_stored stream 20000 2400000 &&
	expect_stored "per host" 20000 2400000 &&
	store_consistent
'

test_done
