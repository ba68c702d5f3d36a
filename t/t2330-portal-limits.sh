#!/bin/sh
test_description='captive portal: a code of 10 s ends at 10 +- 1 s; kill -9 of everything keeps what is left of a code (logged back in, or out when it ran out meanwhile); a 10 MB quota passes at most 10 MB, dropped in the kernel'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog curl sqlite3
test_atexit portal_stop

# until_out ADDR MAX_MS: wait until ADDR is logged out; prints the ms.
until_out () {
	w0=$(now_ms)
	while test "$(il check $1)" = Yes
	do
		test $(($(now_ms) - w0)) -lt $2 || return 1
		sleep 0.05
	done
	now_ms
}

test_expect_success 'lab, iplogin, the portal' '
	portal_lab &&
	portal_conf &&
	daemon_start &&
	portal_start
'

test_expect_success 'a code of 10 s ends at 10 s +- 1 s, reason lease; then it has expired' '
	code=$(mint $SECRET_HEX 0 0 10 0 0 3001) &&
	test "$(login $LAB_A "$code")" = "200 " &&
	t0=$(now_ms) &&
	grep "<dd>10 s</dd>\|<dd>9 s</dd>" login.body &&
	t1=$(until_out $LAB_A4 15000) &&
	echo "logged out after $((t1 - t0)) ms" &&
	test $((t1 - t0)) -ge 9000 && test $((t1 - t0)) -le 11000 &&
	sleep 0.4 &&
	test "$(q "SELECT reason FROM session ORDER BY rowid DESC LIMIT 1")" = lease &&
	test "$(login $LAB_A "$code")" = "403 " &&
	grep "has expired" login.body
'

test_expect_success 'kill -9 of iplogin and the portal mid-code: back in, the same end +- 1 s' '
	code=$(mint $SECRET_HEX 0 0 20 0 0 3002) &&
	test "$(login $LAB_A "$code")" = "200 " &&
	t0=$(now_ms) &&
	id=$(q "SELECT session_id FROM voucher_session ORDER BY rowid DESC LIMIT 1") &&
	sleep 4 &&
	portal_kill KILL &&
	daemon_kill KILL &&
	sleep 3 &&
	daemon_start &&
	portal_start &&
	test "$(il check $LAB_A4)" = Yes &&
	test "$(q "SELECT id FROM session WHERE logout IS NULL")" = "$id" &&
	lab_exec $LAB_A curl -s http://$LAB_R4A:8080/ipac/api >api &&
	grep "\"captive\": false" api &&
	t1=$(until_out $LAB_A4 20000) &&
	# The store keeps the end in whole seconds, rounded up (the guest
	# never loses time): after a restart the code ends at that second.
	end=$(q "SELECT expires * 1000 FROM voucher ORDER BY rowid DESC LIMIT 1") &&
	echo "logged out $((t1 - t0)) ms after login, $((t1 - end)) ms after the code'\''s stored end (20 s code, 3 s down)" &&
	test $((end - t0)) -ge 19000 && test $((end - t0)) -le 21000 &&
	test $((t1 - end)) -ge 0 && test $((t1 - end)) -le 500 &&
	sleep 0.4 &&
	test "$(q "SELECT reason FROM session WHERE id = '\''$id'\''")" = lease
'

test_expect_success 'a code that runs out while everything is down: logged out at the restart' '
	code=$(mint $SECRET_HEX 0 0 5 0 0 3003) &&
	test "$(login $LAB_B "$code")" = "200 " &&
	id=$(q "SELECT session_id FROM voucher_session ORDER BY rowid DESC LIMIT 1") &&
	sleep 1 &&
	portal_kill KILL &&
	daemon_kill KILL &&
	test "$(q "SELECT logout IS NULL FROM session WHERE id = '\''$id'\''")" = 1 &&
	sleep 6 &&
	daemon_start &&
	portal_start &&
	test "$(il check $LAB_B4)" = No &&
	sleep 0.4 &&
	test "$(q "SELECT reason FROM session WHERE id = '\''$id'\''")" = lease &&
	test "$(login $LAB_B "$code")" = "403 " &&
	grep "has expired" login.body
'

test_expect_success 'a quota of 10 MB lets through at most 10 MB plus one packet, then logs out' '
	code=$(mint $SECRET_HEX 0 0 3600 10 0 3004) &&
	test "$(login $LAB_A "$code")" = "200 " &&
	grep "<dd>10.0 MB</dd>" login.body &&
	lab_exec $LAB_C nft reset counter inet seen u5000 >/dev/null &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_C4 --dport 5000 -c 12000 -l 1000 2>/dev/null;
	sleep 0.5 &&
	lab_exec $LAB_C nft list counter inet seen u5000 >c &&
	bytes=$(awk "/packets/ { print \$4 }" c) &&
	echo "passed $bytes bytes of 12000000 sent" &&
	test $bytes -le 10001000 &&
	test $bytes -ge 9999000 &&
	test "$(il check $LAB_A4)" = No &&
	sleep 0.4 &&
	test "$(q "SELECT reason FROM session ORDER BY rowid DESC LIMIT 1")" = quota &&
	test "$(q "SELECT tx_bytes FROM session ORDER BY rowid DESC LIMIT 1")" = "$bytes" &&
	test "$(login $LAB_A "$code")" = "403 " &&
	grep "data is used up" login.body
'

test_expect_success 'what is left of a quota survives a logout: the next session gets the rest' '
	code=$(mint $SECRET_HEX 0 0 3600 1 0 3005) &&
	test "$(login $LAB_B "$code")" = "200 " &&
	lab_exec $LAB_C nft reset counter inet seen u5000 >/dev/null &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_C4 --dport 5000 -c 600 -l 1000 &&
	il del $LAB_B4 &&
	sleep 0.6 &&
	test "$(login $LAB_B "$code")" = "200 " &&
	grep "<dd>400 kB</dd>" login.body &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_C4 --dport 5000 -c 600 -l 1000 2>/dev/null;
	sleep 0.5 &&
	bytes=$(lab_exec $LAB_C nft list counter inet seen u5000 | awk "/packets/ { print \$4 }") &&
	echo "passed $bytes bytes in two sessions" &&
	test $bytes -le 1001000 && test $bytes -ge 999000 &&
	test "$(il check $LAB_B4)" = No
'

test_done
