#!/bin/sh
test_description='captive portal: one code, one device: two devices within 10 ms, exactly one wins; rebind only after the absence; revoke logs out'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog curl sqlite3
test_atexit portal_stop

test_expect_success 'lab, iplogin with rebind after 3 s, the portal' '
	portal_lab &&
	portal_conf "voucher_rebind = 3s" &&
	daemon_start &&
	portal_start
'

CODE=$(mint $SECRET_HEX 0 0 3600 0 0 2001)

test_expect_success 'A and B submit one fresh code within 10 ms: exactly one wins' '
	$PY "$SRC_ROOT/t/helper/portal-race.py" $LAB_A $LAB_R4A $LAB_B $LAB_R4B \
		"$CODE" >race &&
	cat race &&
	read us sa sb <race &&
	echo "sent $us us apart" &&
	test $us -lt 10000 &&
	printf "%s\n" $sa $sb | sort >both &&
	printf "%s\n" 200 403 >expect &&
	test_cmp expect both &&
	test $(grep -l "<h1>You are online" race.a race.b | wc -l) = 1 &&
	test $(grep -l "in use on another device" race.a race.b | wc -l) = 1 &&
	test "$(il count)" = 1 &&
	test "$(q "SELECT count(*) FROM voucher_session")" = 1
'

# Whoever won, the rest of the script follows the code.
test_expect_success 'the loser has no access; the winner logs out' '
	if test "$(il check $LAB_A4)" = No
	then
		WINNER=$LAB_B4 && LOSER=$LAB_A && LOSER4=$LAB_A4
	else
		WINNER=$LAB_A4 && LOSER=$LAB_B && LOSER4=$LAB_B4
	fi &&
	echo "$WINNER won" &&
	test "$(il check $LOSER4)" = No &&
	lab_exec $LOSER ipac-send -p udp -d $LAB_C4 --dport 5000 -c 3 -l 100 &&
	test "$(lab_exec $LAB_C nft list counter inet seen u5000 | awk "/packets/ { print \$2 }")" = 0 &&
	il del $WINNER &&
	echo "$WINNER" >winner
'

test_expect_success 'the same device again: logged in again, the same binding' '
	W=$(cat winner) &&
	if test $W = $LAB_A4; then NS=$LAB_A; else NS=$LAB_B; fi &&
	test "$(login $NS "$CODE")" = "200 " &&
	test "$(il check $W)" = Yes &&
	test "$(login $NS "$CODE")" = "200 " &&
	test "$(q "SELECT count(*) FROM voucher_session")" = 2
'

test_expect_success 'its device goes away; another may take the code over 3 s later, not before' '
	W=$(cat winner) &&
	if test $W = $LAB_A4
	then
		NS=$LAB_A OTHER=$LAB_B IF=a0
	else
		NS=$LAB_B OTHER=$LAB_A IF=b0
	fi &&
	lab_exec $NS ip link set $IF down &&
	while test "$(il check $W)" = Yes
	do
		sleep 0.05
	done &&
	gone=$(now_ms) &&
	sleep 0.6 &&
	test "$(q "SELECT reason FROM session ORDER BY rowid DESC LIMIT 1")" = timeout &&
	test "$(login $OTHER "$CODE")" = "403 " &&
	grep "in use on another device" login.body &&
	t=$(now_ms) && echo "refused $((t - gone)) ms after the device left" &&
	test $((t - gone)) -lt 2800 &&
	sleep $(awk -v ms=$((3300 - (t - gone))) "BEGIN { print ms / 1000 }") &&
	test "$(login $OTHER "$CODE")" = "200 " &&
	t=$(now_ms) && echo "taken over $((t - gone)) ms after" &&
	test "$(q "SELECT addr FROM voucher")" != "$W" &&
	lab_exec $NS ip link set $IF up &&
	lab_settle &&
	lab_exec $NS ip route replace default via $(if test $NS = $LAB_A; then echo $LAB_R4A; else echo $LAB_R4B; fi) &&
	test "$(login $NS "$CODE")" = "403 " &&
	grep "in use on another device" login.body
'

test_expect_success 'voucher show and list tell it; revoke logs the device out, the code is over' '
	il voucher show "$CODE" >show &&
	grep " 2001 guest .* on$" show &&
	il voucher list >list &&
	grep " 2001 guest " list &&
	test "$(il count)" = 1 &&
	il voucher revoke "$(echo $CODE | tr A-Z a-z)" >rev &&
	grep " revoked$" rev &&
	test "$(il count)" = 0 &&
	sleep 0.3 &&
	test "$(q "SELECT reason FROM session ORDER BY rowid DESC LIMIT 1")" = revoked &&
	test "$(q "SELECT revoked IS NOT NULL FROM voucher")" = 1 &&
	test "$(login $LAB_A "$CODE")" = "403 " &&
	grep "has expired" login.body &&
	test_expect_code 1 il voucher show NOT-A-CODE 2>err &&
	grep "not a code of this site" err
'

test_expect_success 'a code that ended before its first use: expired; a wrong one: bad' '
	past=$(mint $SECRET_HEX 0 1 100 0 0 2002) &&
	test "$(login $LAB_A "$past")" = "403 " &&
	grep "has expired" login.body &&
	sleep 0.6 &&
	test "$(login $LAB_A "$(one_changed "$past")")" = "403 " &&
	grep "did not work" login.body
'

test_done
