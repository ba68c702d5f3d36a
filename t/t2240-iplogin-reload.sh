#!/bin/sh
test_description='iplogin: what the daemon keeps across a reload (SIGHUP, a changed file) is its own: every way of saving the state after one; IP-login2 keys warned once; reload -r/-R; add -v'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog sqlite3

STATE=$TRASH_DIRECTORY/state/gw.state

# conf [STATEFILE]: iplogin.conf, with IP-login2's unused keys.
conf () {
	cat >iplogin.conf.new <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b
	    probe = 198.18.0.0/15 300ms 5s
	    counterinterval = 1
	    file_dir = $TRASH_DIRECTORY/files
	    statefile = ${1:-$STATE}
	    autosave = 1
	    missdiff = 2
	    tracefile = /tmp/nowhere
	    accept_interval = 30

	client root
	    user = 0
	    perms = any
	EOF
	mv iplogin.conf.new iplogin.conf
}

# reread N: wait until the log says the config was re-read N times.
reread () {
	i=0
	until test "$(grep -c "re-read (" daemon.log)" -ge "$1"
	do
		i=$((i + 1))
		test $i -lt 150 || return 1
		sleep 0.1
	done
}

# saved PATH: wait until PATH holds the client at A.
saved () {
	i=0
	until grep -q "^$LAB_A4	alice	users/b	" "$1" 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 50 || return 1
		sleep 0.1
	done
}

test_expect_success 'lab, and the daemon with a state file and autosave' '
	il_lab &&
	mkdir files state &&
	conf &&
	daemon_start &&
	il add $LAB_A4 alice >out &&
	echo OK >expect && test_cmp expect out
'

test_expect_success 'IP-login2 keys: each warned at the start with what replaces it' '
	daemon_log_has "iplogin.conf:9: missdiff: IP-login2.s, not used here; instead: probe = PREFIX INTERVAL TIMEOUT" &&
	daemon_log_has "iplogin.conf:10: tracefile: IP-login2.s, not used here; instead: traceuser writes to the log" &&
	daemon_log_has "iplogin.conf:11: accept_interval: IP-login2.s, not used here; instead: nothing"
'

test_expect_success 'SIGHUP, then SIGUSR1: the state goes to the state file' '
	kill -HUP $(cat iplogin.pid) &&
	reread 1 &&
	rm -f "$STATE" &&
	kill -USR1 $(cat iplogin.pid) &&
	saved "$STATE" &&
	daemon_log_has "state of 1 clients saved to $STATE$"
'

test_expect_success 'after a reload: the autosave' '
	kill -HUP $(cat iplogin.pid) &&
	reread 2 &&
	rm -f "$STATE" &&
	saved "$STATE"
'

test_expect_success 'after a reload: savestate, into the file folder' '
	kill -HUP $(cat iplogin.pid) &&
	reread 3 &&
	test "$(il savestate kept)" = OK &&
	grep "^$LAB_A4	alice	users/b	" files/kept
'

test_expect_success 'a changed statefile in the config: the daemon keeps the one it started with' '
	conf "$TRASH_DIRECTORY/state/other.state" &&
	kill -HUP $(cat iplogin.pid) &&
	reread 4 &&
	rm -f "$STATE" &&
	kill -USR1 $(cat iplogin.pid) &&
	saved "$STATE" &&
	! test -e state/other.state &&
	conf
'

test_expect_success 'IP-login2 keys are warned once, not at every reload' '
	test $(grep -c "missdiff: IP-login2.s" daemon.log) = 1 &&
	test $(grep -c "tracefile: IP-login2.s" daemon.log) = 1
'

test_expect_success 'after a reload: SIGTERM saves the state and closes the sessions' '
	kill -HUP $(cat iplogin.pid) &&
	reread 5 &&
	sleep 0.3 &&
	rm -f "$STATE" &&
	daemon_stop &&
	grep "^$LAB_A4	alice	users/b	" "$STATE" &&
	test "$(q "SELECT reason FROM session WHERE account = '\''alice'\''")" = shutdown &&
	! ls | grep -v "^\(daemon.log\|files\|state\|iplogin.conf\|ipac.db.*\|settings\|gateway.nft\|out\|expect\)$"
'

test_expect_success 'after a reload: quit saves the state' '
	daemon_start &&
	test "$(il checkuser alice)" = Yes &&
	kill -HUP $(cat iplogin.pid) &&
	reread 6 &&
	rm -f "$STATE" &&
	il quit &&
	saved "$STATE" &&
	daemon_stop
'

test_expect_success 'add -v: the documented key-value lines' '
	daemon_start &&
	il reset >/dev/null &&
	il add -v $LAB_A4 alice >out &&
	id=$(sed -n "s/^session //p" out) &&
	printf "%s\n" OK "session $id" "chains users/b" "probe arpping" \
		"source $LAB_R4A" "interface r0" "lazy no" "trace no" >expect &&
	test_cmp expect out &&
	test ${#id} = 32
'

test_expect_success 'reload -r -R -l: the list first; each session ends counted (reload) and a new one begins from zero' '
	sleep 0.5 &&
	old=$(q "SELECT id FROM session WHERE logout IS NULL") &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 200 &&
	sleep 1.5 &&
	il reload -r -R -l >out &&
	grep "^$LAB_A4 alice users/b .* 600$" out &&
	test "$(tail -1 out)" = "OK 1" &&
	sleep 0.5 &&
	test "$(q "SELECT reason || '\'' '\'' || tx_bytes || '\'' '\'' || tx_pkts FROM session WHERE id = '\''$old'\''")" = "reload 600 3" &&
	new=$(q "SELECT id FROM session WHERE logout IS NULL") &&
	test -n "$new" && test "$new" != "$old" &&
	il stat $LAB_A4 | grep "^TX bytes: 0$"
'

test_expect_success 'reload -R alone: the same (a session is its login time and its traffic)' '
	old=$(q "SELECT id FROM session WHERE logout IS NULL") &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 100 &&
	sleep 1.5 &&
	test "$(il reload -R)" = "OK 1" &&
	sleep 0.5 &&
	test "$(q "SELECT reason || '\'' '\'' || tx_bytes FROM session WHERE id = '\''$old'\''")" = "reload 200" &&
	il stat $LAB_A4 | grep "^TX bytes: 0$" &&
	test "$(il reload)" = "OK 1" &&
	test "$(q "SELECT count(*) FROM session WHERE logout IS NULL")" = 1
'

test_done
