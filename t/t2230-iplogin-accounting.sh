#!/bin/sh
test_description='iplogin: for the same address, the session totals equal what fetchipac accounting stores'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog sqlite3

# open_traffic: "account tx rx" of the open sessions, comma separated.
open_traffic () {
	q "SELECT group_concat(account || ' ' || tx_bytes || ' ' || rx_bytes, ',')
		FROM (SELECT * FROM session WHERE logout IS NULL ORDER BY account)"
}

# The sessions' interim traffic one row a transaction: every open
# session is still written, chunk after chunk.
IPAC_TEST_UPD_CHUNK=1
export IPAC_TEST_UPD_CHUNK

# what NAME counted in the last fetchipac run: "bytes packets"
last_run () {
	q "SELECT s.bytes || ' ' || s.pkts FROM sample s JOIN rule r ON r.id = s.rule_id
		WHERE r.name = '$1' AND s.t = (SELECT max(t) FROM run)"
}

test_expect_success 'lab, the gateway, ipac accounting of A each way, iplogin' '
	il_lab &&
	mkdir files &&
	cat >acct.conf <<-EOF &&
	A tx|in|r0|all|$LAB_A4|
	A rx|out|r0|all||$LAB_A4
	EOF
	lab_exec $LAB_R ipacset -c acct.conf &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b
	    probe = 198.18.0.0/15 500ms 5s
	    counterinterval = 1
	    file_dir = $TRASH_DIRECTORY/files

	client root
	    user = 0
	    perms = any
	EOF
	daemon_start
'

test_expect_success 'a session: fetchipac at login and at logout, the same bytes and packets' '
	lab_exec $LAB_R fetchipac -q &&
	il add $LAB_A4 alice &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 13 -l 333 &&
	lab_exec $LAB_A ipac-send -p tcp -d $LAB_B4 --dport 80 -c 4 -l 1200 &&
	lab_exec $LAB_A ipac-send -p icmp -d $LAB_B4 -c 3 -l 84 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 9 -l 1400 &&
	il del $LAB_A4 &&
	lab_exec $LAB_R fetchipac -q &&
	sleep 0.5 &&
	tx=$(last_run "A tx") && rx=$(last_run "A rx") &&
	echo "fetchipac: tx $tx, rx $rx" &&
	test "$(q "SELECT tx_bytes || '\'' '\'' || tx_pkts FROM session")" = "$tx" &&
	test "$(q "SELECT rx_bytes || '\'' '\'' || rx_pkts FROM session")" = "$rx" &&
	# and both are what was sent, ICMP echo replies from B included
	test "$tx" = "$((13 * 333 + 4 * 1200 + 3 * 84)) 20" &&
	test "$rx" = "$((9 * 1400 + 3 * 84)) 12"
'

test_expect_success 'three open sessions, their interim traffic written one a transaction (chunk after chunk): each exact' '
	il add $LAB_A4 ann &&
	il add $LAB_B4 bob &&
	il add $LAB_C4 cid &&
	: "a packet between two clients counts for its sender only" &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 500 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 2 -l 300 &&
	lab_exec $LAB_C ipac-send -p udp -d $LAB_A4 --dport 5000 -c 5 -l 700 &&
	echo "ann 1500 0,bob 600 0,cid 3500 0" >expect &&
	i=0 &&
	while open_traffic >actual && ! cmp -s expect actual
	do
		i=$((i + 1)) && test $i -lt 60 || { test_cmp expect actual; return 1; }
		sleep 0.1
	done
'

test_done
