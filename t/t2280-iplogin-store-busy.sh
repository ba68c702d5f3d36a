#!/bin/sh
test_description='iplogin: a store held by another program does not stop the daemon; what it writes then waits, in order, and arrives exact'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog sqlite3
test_require_prog python3

# hold SECONDS: another program holds the store's write lock (as a long
# fetchipac run could) for SECONDS; "held" appears when it has it.
hold () {
	rm -f held &&
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open("held", "w").close()
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
' "$STORE" "$1" &
	hold_pid=$!
	i=0
	while ! test -e held
	do
		i=$((i + 1)) && test $i -lt 100 || return 1
		sleep 0.05
	done
}

# answers SECONDS: the admin socket for SECONDS, one "count" after
# another; the slowest answer in ms into slowest.
answers () {
	perl -MTime::HiRes=time -e '
		my ($end, $max) = (time + $ARGV[0], 0);
		open(my $out, ">&", \*STDOUT) or die;
		open(STDOUT, ">", "/dev/null") or die;
		while (time < $end) {
			my $t = time;
			system(@ARGV[1 .. $#ARGV]) == 0 or die "count failed\n";
			my $d = (time - $t) * 1000;
			$max = $d if $d > $max;
		}
		printf $out "%d\n", $max;
	' "$1" ip netns exec "$LAB_R" ilcmd -S "$SOCK" count >slowest 2>answers.err
}

test_expect_success 'lab, iplogin; the store waits one second when it is busy' '
	il_lab &&
	echo "busy timeout = 1s" >>"$IPAC_SETTINGS" &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b
	    probe = 198.18.0.0/15 500ms 30s
	    counterinterval = 1
	    file_dir = $TRASH_DIRECTORY

	client root
	    user = 0
	    perms = any
	EOF
	daemon_start
'

test_expect_success 'while the store is held 5 s: logins, traffic, logouts, and the socket answers in well under a second' '
	hold 5 &&
	il add $LAB_A4 ann &&
	il add $LAB_B4 bob &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 500 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 3 -l 300 &&
	il del $LAB_A4 &&
	il add $LAB_A4 ann2 &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 100 &&
	answers 2 &&
	echo "slowest answer while held: $(cat slowest) ms" &&
	test "$(cat slowest)" -lt 500 &&
	: "nothing written yet: the store is held" &&
	test "$(q "SELECT count(*) FROM session")" = 0 &&
	wait $hold_pid
'

test_expect_success 'once it is free: every session, in order, with its exact traffic' '
	i=0 &&
	while test "$(q "SELECT count(*) FROM session")" != 3 ||
		test "$(q "SELECT count(*) FROM session WHERE logout IS NOT NULL")" != 1
	do
		i=$((i + 1)) && test $i -lt 100 || return 1
		sleep 0.1
	done &&
	: "a packet between two clients counts for its sender only" &&
	test "$(q "SELECT tx_bytes || \" \" || tx_pkts || \" \" || rx_bytes || \" \" || rx_pkts FROM session WHERE account = \"ann\"")" = "3500 7 0 0" &&
	il del $LAB_B4 && il del $LAB_A4 &&
	i=0 &&
	while test "$(q "SELECT count(*) FROM session WHERE logout IS NULL")" != 0
	do
		i=$((i + 1)) && test $i -lt 50 || return 1
		sleep 0.1
	done &&
	test "$(q "SELECT tx_bytes || \" \" || rx_bytes FROM session WHERE account = \"bob\"")" = "900 0" &&
	test "$(q "SELECT tx_bytes || \" \" || rx_bytes FROM session WHERE account = \"ann2\"")" = "200 0" &&
	daemon_log_has "session rows and the sessions. traffic wait for it"
'

test_expect_success 'a stop while the store is held: the rows wait for it, then the daemon ends with them written' '
	il add $LAB_A4 cid &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 4 -l 250 &&
	hold 2 &&
	daemon_stop &&
	wait $hold_pid &&
	test "$(q "SELECT tx_bytes || \" \" || tx_pkts || \" \" || reason FROM session WHERE account = \"cid\"")" = "1000 4 shutdown"
'

test_done
