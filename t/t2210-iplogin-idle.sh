#!/bin/sh
test_description='iplogin: idle logout, lazy monitoring sends no probes to active clients, the config re-read while running'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog sqlite3 setpriv

# conf IDLE|LAZY [EXTRA]: iplogin.conf with idle or lazy monitoring of
# the LAN 198.18.1.0/24, counters every second.
conf () {
	{
		printf '%s\n' "server gw" "    listen = $SOCK" \
			"    socket_group = nogroup" "    chains = users/b" \
			"    probe = 198.18.0.0/15 300ms 3s" \
			"    counterinterval = 1" \
			"    file_dir = $TRASH_DIRECTORY/files"
		case $1 in
		idle)	printf '%s\n' "    idlehosts = 198.18.1.0/24" \
				"    txidle = 2" ;;
		lazy)	printf '%s\n' "    lazyhosts = 198.18.1.0/24" ;;
		esac
		printf '%s\n' "" "client root" "    user = 0" "    perms = any"
		test -z "${2:-}" || printf '%s\n' "" "$2"
	} >iplogin.conf.new &&
	mv iplogin.conf.new iplogin.conf
}

# sent ADDR: how many probes the client at ADDR has been sent.
sent () {
	il stat "$1" | sed -n "s/^Probes sent: //p"
}

test_expect_success 'examples/iplogin.conf is a valid config' '
	iplogin -n -c "$SRC_ROOT/examples/iplogin.conf" -s gw >normalised &&
	grep "probe = 198.18.128.0/17 5000ms 60000ms" normalised
'

test_expect_success 'lab and daemon, idle monitoring of the LAN' '
	il_lab &&
	mkdir files &&
	conf idle &&
	daemon_start
'

test_expect_success 'a client that answers the probes but sends nothing is logged out idle' '
	il add $LAB_A4 ida &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 400 &&
	t0=$(date +%s%N) &&
	while test "$(il check $LAB_A4)" = Yes
	do
		test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 8000 || return 1
		sleep 0.1
	done &&
	t=$(( ($(date +%s%N) - t0) / 1000000 )) &&
	echo "idle logout after $t ms (txidle 2 s, counters each 1 s)" &&
	test $t -ge 1500 &&
	sleep 0.5 &&
	test "$(q "SELECT reason || '\'' '\'' || tx_bytes FROM session WHERE account = '\''ida'\''")" = "idle 1200"
'

test_expect_success 'traffic keeps a client from going idle' '
	il add $LAB_A4 ivy &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 25 -l 100 -i 200000 &&
	test "$(il check $LAB_A4)" = Yes &&
	il del $LAB_A4
'

test_expect_success 'the config re-read while running: a new admin, then lazy monitoring' '
	test_expect_code 1 il_as nobody nogroup count 2>err &&
	grep "not an admin of this server" err &&
	conf lazy "client watcher
    user = nobody
    perms = count" &&
	i=0 &&
	while ! il_as nobody nogroup count >out 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 120 || return 1
		sleep 0.1
	done &&
	echo "the new admin works after $((i / 10)).$((i % 10)) s" &&
	test $i -lt 110 &&
	daemon_log_has "re-read (changed)"
'

test_expect_success 'a broken config is not taken; the old one stays' '
	cp iplogin.conf good.conf &&
	printf "server gw\n    frobnicate = yes\n" >iplogin.conf &&
	i=0 &&
	while ! grep -q "not re-read (changed): the old config stays" daemon.log
	do
		i=$((i + 1))
		test $i -lt 120 || return 1
		sleep 0.1
	done &&
	daemon_log_has "iplogin.conf:2: unknown server attribute .frobnicate." &&
	il_as nobody nogroup count &&
	mv good.conf iplogin.conf
'

test_expect_success 'lazy: no probes while the counters move, probes again when they stop' '
	il add $LAB_A4 lara &&
	sleep 1.5 &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 70 -l 100 -i 100000 &
	sender=$! &&
	i=0 &&
	until il stat $LAB_A4 | grep -q "^Lazy: yes$"
	do
		i=$((i + 1))
		test $i -lt 40 || return 1
		sleep 0.1
	done &&
	a=$(sent $LAB_A4) &&
	sleep 3 &&
	b=$(sent $LAB_A4) &&
	il stat $LAB_A4 | grep "^Lazy: yes$" &&
	wait $sender &&
	echo "probes while active: $a, 3 s later $b" &&
	test "$a" = "$b" &&
	sleep 2.5 &&
	c=$(sent $LAB_A4) &&
	echo "after the traffic stopped: $c" &&
	test "$c" -gt "$b" &&
	test "$(il check $LAB_A4)" = Yes &&
	il del $LAB_A4
'

test_expect_success 'nft flush ruleset: iplogin sets its table up again with every client' '
	il add $LAB_A4 fay &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 200 &&
	sleep 1.5 &&
	il stat $LAB_A4 | grep "^TX bytes: 600$" &&
	lab_exec $LAB_R nft flush ruleset &&
	i=0 &&
	until lab_exec $LAB_R nft list table inet iplogin 2>/dev/null | grep -q "$LAB_A4"
	do
		i=$((i + 1))
		test $i -lt 50 || return 1
		sleep 0.1
	done &&
	daemon_log_has "table iplogin set up again: 1 of 1 clients put back" &&
	lab_exec $LAB_R nft -f gateway.nft &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 300 &&
	sleep 1.5 &&
	il stat $LAB_A4 | grep "^TX bytes: 1200$" &&
	il del $LAB_A4
'

test_expect_success 'reload puts every client back; reload -r begins new sessions' '
	il add $LAB_A4 gus &&
	lab_exec $LAB_R nft list table inet iplogin | sed -n "s/^[[:space:]]*set \(users_s4_[0-9]*\) {.*/\1/p" >sets &&
	test -s sets &&
	for set in $(cat sets); do lab_exec $LAB_R nft flush set inet iplogin $set || return 1; done &&
	test "$(il reload)" = "OK 1" &&
	lab_exec $LAB_R nft list table inet iplogin | grep -q "$LAB_A4" &&
	test "$(il reload -r)" = "OK 1" &&
	sleep 0.5 &&
	test "$(q "SELECT group_concat(coalesce(reason, '\''open'\''), '\'','\'') FROM
		(SELECT reason FROM session WHERE account = '\''gus'\'' ORDER BY login, logout IS NULL)")" = "reload,open" &&
	il del $LAB_A4
'

test_expect_success 'bad commands: clear errors, the daemon lives on' '
	for cmd in "frobnicate" "add" "add not-an-address bob" \
		"add $LAB_A4 bob nochain" "del 198.18.1.99" "stat ::1" \
		"help nosuch" "reload -x" "add -z $LAB_A4 bob" \
		"add $LAB_A4 bob users/b extra words"
	do
		test_expect_code 1 il $cmd 2>err || { echo "$cmd"; return 1; }
		test -s err || return 1
	done &&
	test "$(il count)" = 0 &&
	il help | grep "^add \[-t\] \[-v\] address account"
'

test_done
