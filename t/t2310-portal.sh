#!/bin/sh
test_description='captive portal: a real browser logs in with a code and lands on the page it asked for; the OS checks see the portal, then the internet; a session with exact traffic; the web front is unprivileged'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog python3 curl sqlite3 chromium chromedriver
$PY -c "import selenium" 2>/dev/null ||
	test_cannot_run "python3-selenium is not installed"
test_atexit portal_stop

test_expect_success 'lab: clients A and B, the gateway, the internet C with a web server' '
	portal_lab &&
	portal_conf &&
	lab_exec $LAB_R iplogin -n -c iplogin.conf -s gw >normalised &&
	grep "portal_socket = $PSOCK" normalised &&
	grep "voucher_account = 5 cafe" normalised &&
	daemon_start &&
	portal_start &&
	test -S "$PSOCK"
'

test_expect_success 'before login: any web request is sent to the login page, the connection closed' '
	lab_exec $LAB_A curl -s -D head -o body http://$NET4/some/page?x=1 &&
	grep "^HTTP/1.1 302" head &&
	grep -i "^Location: http://$LAB_R4A:8080/ipac/login?dst=http%3A%2F%2F$NET4%2Fsome%2Fpage%3Fx%3D1" head &&
	grep -i "^Connection: close" head &&
	lab_exec $LAB_A curl -s -o page.html "http://$LAB_R4A:8080/ipac/login?dst=http%3A%2F%2F$NET4%2Fsome%2Fpage" &&
	grep "<input type=\"hidden\" name=\"dst\" value=\"http://$NET4/some/page\">" page.html &&
	grep "action=\"http://$LAB_R4A:8080/ipac/login\"" page.html &&
	! grep -i "<script" page.html
'

test_expect_success 'the OS captive-portal checks see the portal before login' '
	for u in /generate_204 /hotspot-detect.html /connecttest.txt /success.txt
	do
		lab_exec $LAB_B curl -s -o /dev/null -w "%{http_code} %{redirect_url}\n" \
			http://$NET4$u >>probes.before || return 1
	done &&
	test $(grep -c "^302 http://$LAB_R4B:8080/ipac/login?dst=" probes.before) = 4 &&
	lab_exec $LAB_B curl -s http://$LAB_R4B:8080/ipac/api >api.before &&
	grep "\"captive\": true" api.before &&
	grep "\"user-portal-url\": \"http://$LAB_R4B:8080/ipac/login\"" api.before
'

test_expect_success 'a real browser: the page asked for, the login page, a code, the page, within 1 s' '
	code=$(mint $SECRET_HEX 0 0 3600 0 5 1001) &&
	lab_exec $LAB_A $PY "$SRC_ROOT/t/helper/portal-browser.py" \
		http://$NET4/some/page "$code" http://$NET4/some/page >browser.out 2>browser.err ||
		{ cat browser.out browser.err; return 1; }
	cat browser.out &&
	grep "^login-page http://$LAB_R4A:8080/ipac/login?dst=" browser.out &&
	grep "^internet page /some/page$" browser.out &&
	ms=$(sed -n "s/^landed http:\/\/$NET4\/some\/page \([0-9]*\)$/\1/p" browser.out) &&
	echo "from submit to the page: $ms ms" &&
	test "$ms" -lt 1000
'

test_expect_success 'the device is logged in with the code'\''s account; the code is bound and stored' '
	test "$(il check $LAB_A4)" = Yes &&
	il stat $LAB_A4 >stat &&
	grep "^Account: cafe$" stat &&
	grep "^MAC: 02:1a:00:00:01:02$" stat &&
	test "$(q "SELECT serial || '\'' '\'' || account || '\'' '\'' || duration || '\'' '\'' || mac || '\'' '\'' || addr FROM voucher")" = "1001 cafe 3600 02:1a:00:00:01:02 $LAB_A4" &&
	test "$(q "SELECT count(*) FROM voucher_session vs JOIN session s ON s.id = vs.session_id WHERE s.logout IS NULL AND s.account = '\''cafe'\''")" = 1 &&
	! q "SELECT * FROM voucher" | grep -i "$(mint $SECRET_HEX 0 0 3600 0 5 1001 | tr -d -)"
'

test_expect_success 'traffic passes and is counted to the byte in the session' '
	sleep 1.2 &&
	il stat $LAB_A4 >s0 &&
	tx0=$(sed -n "s/^TX bytes: //p" s0) &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_C4 --dport 5000 -c 13 -l 777 &&
	sleep 1.5 &&
	il stat $LAB_A4 >s1 &&
	tx1=$(sed -n "s/^TX bytes: //p" s1) &&
	echo "tx $tx0 -> $tx1" &&
	test $((tx1 - tx0)) = $((13 * 777)) &&
	test "$(lab_nft_counters $LAB_C inet seen; lab_exec $LAB_C nft list counter inet seen u5000 | awk "/packets/ { print \$2, \$4 }")" = "13 10101"
'

test_expect_success 'after login the OS checks reach the internet; the API says not captive' '
	code=$(mint $SECRET_HEX 0 0 600 0 0 1002) &&
	test "$(login $LAB_B "$code")" = "200 " &&
	grep "You are online" login.body &&
	for u in /generate_204 /hotspot-detect.html /connecttest.txt /success.txt
	do
		lab_exec $LAB_B curl -s -o probe.body -w "%{http_code}\n" \
			http://$NET4$u >>probes.after &&
		cat probe.body >>probes.after || return 1
	done &&
	cat probes.after &&
	printf "%s\n" 204 200 "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>200" \
		"Microsoft Connect Test200" success >expect &&
	test_cmp expect probes.after &&
	lab_exec $LAB_B curl -s http://$LAB_R4B:8080/ipac/api >api.after &&
	grep "\"captive\": false" api.after &&
	grep -E "\"seconds-remaining\": (59[0-9]|600),$" api.after &&
	! grep "bytes-remaining" api.after
'

test_expect_success 'the web front: unprivileged, no capabilities, chrooted away from the store and the secret' '
	pid=$(cat portal.pid) &&
	grep "^Uid:	65534	65534	65534	65534$" /proc/$pid/status &&
	grep "^CapEff:	0000000000000000$" /proc/$pid/status &&
	grep "^CapPrm:	0000000000000000$" /proc/$pid/status &&
	grep "^CapBnd:	0000000000000000$" /proc/$pid/status &&
	grep "^NoNewPrivs:	1$" /proc/$pid/status &&
	test "$(readlink /proc/$pid/root)" = "$PROOT" &&
	ls -A /proc/$pid/root/ >inroot &&
	echo iplogin.sock >expect && test_cmp expect inroot &&
	! test -e "/proc/$pid/root$STORE" &&
	! test -e "/proc/$pid/root$TRASH_DIRECTORY/voucher.key" &&
	test_expect_code 1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		cat voucher.key 2>/dev/null
'

test_expect_success 'killing the web front logs nobody out; it comes back' '
	portal_kill KILL &&
	test "$(il count)" = 2 &&
	portal_start &&
	test "$(login $LAB_A "$(mint $SECRET_HEX 0 0 3600 0 5 1001)")" = "200 "
'

test_done
