#!/bin/sh
test_description='hooks: one login and one logout event per session, bytes as in the session row; refused codes; a hook that hangs is killed at its limit while probes and admin commands go on; kill -9 replays an undelivered event with the same id; no shell ever'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog curl sqlite3
test_atexit portal_stop

# hooks_conf LOGIN LOGOUT REFUSED: the config with these hook programs.
hooks_conf () {
	portal_conf "hook_login = $TRASH_DIRECTORY/$1" \
		"hook_logout = $TRASH_DIRECTORY/$2" \
		"hook_refused = $TRASH_DIRECTORY/$3" \
		"hook_timeout = 2s" "hook_max = 2"
}

# The events of the log, "EVENT SESSION ID" a line.
events () {
	awk "/^event / { print \$2, \$3, \$4 }" hooks.log
}

# var EVENT SESSION NAME: the value of variable NAME in that event.
var () {
	awk -v e="$1" -v s="$2" -v n="$3" '
		/^event / { on = ($2 == e && $3 == s); next }
		on && index($0, n "=") == 1 { print substr($0, length(n) + 2) }
	' hooks.log
}

test_expect_success 'lab, hooks that log their argv and IPAC_ environment' '
	portal_lab &&
	cat >log.sh <<-EOF &&
	#!/bin/sh
	{ echo "event \$1 \$2 \$IPAC_EVENT_ID \$\$"; env | grep "^IPAC_" | sort; echo .; } >>$TRASH_DIRECTORY/hooks.log
	EOF
	cat >sleep.sh <<-EOF &&
	#!/bin/sh
	echo "sleeper \$IPAC_EVENT_ID \$\$" >>$TRASH_DIRECTORY/sleep.log
	exec sleep 30
	EOF
	cat >slowlog.sh <<-EOF &&
	#!/bin/sh
	echo "start \$IPAC_EVENT_ID \$\$" >>$TRASH_DIRECTORY/slow.log
	sleep 1.5
	echo "done \$IPAC_EVENT_ID" >>$TRASH_DIRECTORY/slow.log
	EOF
	chmod +x log.sh sleep.sh slowlog.sh &&
	hooks_conf log.sh log.sh log.sh &&
	daemon_start &&
	portal_start
'

test_expect_success 'a session: one login, one logout event, bytes equal to the session row' '
	il add $LAB_A4 alice &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_C4 --dport 5000 -c 5 -l 321 &&
	sleep 0.3 &&
	il del $LAB_A4 &&
	sleep 1 &&
	id=$(q "SELECT id FROM session WHERE account = '\''alice'\''") &&
	events >ev &&
	cat ev &&
	test $(grep -c "^login $id " ev) = 1 &&
	test $(grep -c "^logout $id " ev) = 1 &&
	test "$(var logout $id IPAC_ACCOUNT)" = alice &&
	test "$(var logout $id IPAC_REASON)" = del &&
	test "$(var logout $id IPAC_ADDR)" = $LAB_A4 &&
	q "SELECT rx_bytes, rx_pkts, tx_bytes, tx_pkts, login, logout FROM session WHERE id = '\''$id'\''" >row &&
	echo "$(var logout $id IPAC_RX_BYTES)|$(var logout $id IPAC_RX_PACKETS)|$(var logout $id IPAC_TX_BYTES)|$(var logout $id IPAC_TX_PACKETS)|$(var logout $id IPAC_LOGIN)|$(var logout $id IPAC_LOGOUT)" >hook.row &&
	cat row hook.row &&
	test_cmp row hook.row &&
	test "$(var logout $id IPAC_TX_BYTES)" = 1605 &&
	test "$(q "SELECT count(*) FROM hook_outbox")" = 0
'

test_expect_success 'a code refused: a refused event with the address and the reason' '
	login $LAB_B WRONG-CODE >/dev/null &&
	sleep 0.5 &&
	grep "^event refused - " hooks.log &&
	awk "/^event refused/ { on = 1 } on && /^IPAC_/ { print } /^\.$/ { on = 0 }" hooks.log >refused &&
	grep "^IPAC_ADDR=$LAB_B4$" refused &&
	grep "^IPAC_REASON=bad$" refused &&
	grep "^IPAC_MAC=02:1a:00:00:02:02$" refused
'

test_expect_success 'a voucher session: its code'\''s serial in the events' '
	test "$(login $LAB_B "$(mint $SECRET_HEX 0 0 600 0 0 6001)")" = "200 " &&
	il del $LAB_B4 &&
	sleep 1 &&
	id=$(q "SELECT session_id FROM voucher_session") &&
	test "$(var login $id IPAC_VOUCHER)" = 6001 &&
	test "$(var logout $id IPAC_VOUCHER)" = 6001
'

test_expect_success 'an account named $(touch x) runs nothing' '
	il add $LAB_A4 "\$(touch\${IFS}x);touch\${IFS}y" &&
	il del $LAB_A4 &&
	sleep 1 &&
	grep "^IPAC_ACCOUNT=\$(touch\${IFS}x);touch\${IFS}y$" hooks.log &&
	! test -e x && ! test -e y && ! test -e /x && ! test -e /y
'

test_expect_success 'a hook that hangs is killed at its limit; probes and admin commands go on' '
	hooks_conf sleep.sh log.sh log.sh &&
	kill -HUP $(cat iplogin.pid) &&
	sleep 0.5 &&
	il add $LAB_B4 bob &&
	il add $LAB_A4 carol &&
	t0=$(date +%s%N) &&
	sleep 0.3 &&
	test -s sleep.log &&
	max=$(lab_exec $LAB_R $PY -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile(\"rb\")
worst = 0
for i in range(20):
	t = time.perf_counter()
	s.sendall(b\"count\\n\")
	f.readline(); f.readline()
	worst = max(worst, time.perf_counter() - t)
	time.sleep(0.05)
print(int(worst * 1000))
" "$SOCK") &&
	echo "20 admin commands while the hooks hang: the slowest took $max ms" &&
	test $max -lt 100 &&
	lab_exec $LAB_A ip link set a0 down &&
	l0=$(date +%s%N) &&
	while test "$(il check $LAB_A4)" = Yes
	do
		sleep 0.05
	done &&
	echo "A logged out by the probes $(( ($(date +%s%N) - l0) / 1000000 )) ms after its link went down" &&
	test $(( ($(date +%s%N) - l0) / 1000000 )) -lt 2500 &&
	lab_exec $LAB_A ip link set a0 up &&
	# both hooks killed (each is then run again: hooks are at least once)
	while test "$(grep -c "hook login .* killed at its time limit of 2000 ms" \
		daemon.log)" -lt 2
	do
		test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000 || return 1
		sleep 0.05
	done &&
	# the two that hung are gone (their runs again may be sleeping now)
	for p in $(head -n 2 sleep.log | awk "{ print \$3 }")
	do
		! kill -0 $p 2>/dev/null || return 1
	done
'

test_expect_success 'the hook mended: the killed events are delivered, once each' '
	lab_settle &&
	lab_exec $LAB_A ip route replace default via $LAB_R4A &&
	hooks_conf log.sh log.sh log.sh &&
	kill -HUP $(cat iplogin.pid) &&
	i=0 &&
	while test "$(q "SELECT count(*) FROM hook_outbox")" != 0
	do
		i=$((i + 1)) && test $i -lt 100 || return 1
		sleep 0.1
	done &&
	bob=$(q "SELECT id FROM session WHERE account = '\''bob'\''") &&
	test $(events | grep -c "^login $bob ") = 1 &&
	il del $LAB_B4 &&
	# the logout of bob runs its hook with this configuration
	i=0 &&
	until test "$(q "SELECT count(*) FROM hook_outbox")" = 0 &&
	    events | grep -q "^logout $bob "
	do
		i=$((i + 1)) && test $i -lt 100 || return 1
		sleep 0.1
	done
'

test_expect_success 'kill -9 before a hook finished: the event runs again, with the same id' '
	hooks_conf log.sh slowlog.sh log.sh &&
	kill -HUP $(cat iplogin.pid) &&
	sleep 0.5 &&
	il add $LAB_B4 dave &&
	il del $LAB_B4 &&
	i=0 &&
	while ! test -s slow.log
	do
		i=$((i + 1)) && test $i -lt 50 || return 1
		sleep 0.1
	done &&
	read word ev hookpid <slow.log &&
	# the login hook is done: its outcome is written a moment later
	i=0 &&
	until test "$(q "SELECT id FROM hook_outbox")" = "$ev"
	do
		i=$((i + 1)) && test $i -lt 10 || return 1
		sleep 0.1
	done &&
	daemon_kill KILL &&
	kill -9 $hookpid &&
	test "$(q "SELECT id FROM hook_outbox")" = "$ev" &&
	daemon_start &&
	i=0 &&
	while ! grep -q "^done $ev$" slow.log
	do
		i=$((i + 1)) && test $i -lt 100 || return 1
		sleep 0.1
	done &&
	cat slow.log &&
	test $(grep -c "^start $ev " slow.log) = 2 &&
	test $(grep -c "^done $ev$" slow.log) = 1 &&
	test $(grep -c "^start " slow.log) = 2 &&
	sleep 0.3 &&
	test "$(q "SELECT count(*) FROM hook_outbox")" = 0
'

test_done
