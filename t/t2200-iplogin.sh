#!/bin/sh
test_description='iplogin: logins open access, probes log silent clients out, sessions with exact traffic in the store'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog sqlite3 setpriv


test_expect_success 'lab: LAN client A, internet host B, portal C; the gateway ruleset' '
	il_lab &&
	mkdir files &&
	cat >iplogin.conf <<-EOF
	server gw
	    listen = $SOCK
	    socket_group = nogroup
	    chains = users/b, nat:users
	    probe = 198.18.0.0/15 300ms 2s
	    probe = 2001:db8::/32 300ms 2s
	    counterinterval = 1
	    file_dir = $TRASH_DIRECTORY/files
	    statefile = $TRASH_DIRECTORY/files/state

	client root
	    user = 0
	    perms = any

	client portal
	    user = nobody
	    perms = add, check
	    permitted_chains = users/b
	EOF
	lab_exec $LAB_R iplogin -n -c iplogin.conf -s gw >normalised &&
	grep "probe = 198.18.0.0/15 300ms 2000ms" normalised
'

test_expect_success 'the daemon starts; nobody is logged in; A cannot reach B' '
	daemon_start &&
	test "$(il count)" = 0 &&
	test "$(il check $LAB_A4)" = No &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 300 &&
	seen $LAB_B u5000 0 0
'

test_expect_success 'add: A passes both ways, a session row is written' '
	il add $LAB_A4 alice >out &&
	echo OK >expect && test_cmp expect out &&
	test "$(il check $LAB_A4)" = Yes &&
	test "$(il checkuser alice)" = Yes &&
	test "$(il add $LAB_A4 alice)" = "Already there" &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 300 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 4 -l 500 &&
	seen $LAB_B u5000 7 2100 &&
	seen $LAB_A u5000 4 2000 &&
	sleep 0.5 &&
	test "$(q "SELECT account || '\''|'\'' || addr || '\''|'\'' || chains FROM session WHERE logout IS NULL")" = "alice|$LAB_A4|users/b,nat:users"
'

test_expect_success 'the probes learn the MAC; list and stat tell it' '
	mac=$(lab_exec $LAB_A cat /sys/class/net/$(lab_exec $LAB_A ip -o -4 addr show | awk "/$LAB_A4/ { print \$2 }")/address) &&
	sleep 1 &&
	il stat $LAB_A4 >stat &&
	grep "^MAC: $mac$" stat &&
	grep "^Type: arpping$" stat &&
	il list >list &&
	grep "^$LAB_A4 alice users/b,nat:users .* $mac " list
'

test_expect_success 'interim traffic in the store every counter interval, exact' '
	sleep 1.5 &&
	test "$(q "SELECT rx_bytes || '\'' '\'' || rx_pkts || '\'' '\'' || tx_bytes || '\'' '\'' || tx_pkts FROM session WHERE logout IS NULL")" = "2000 4 2100 7"
'

test_expect_success 'del: the final traffic and the reason; access closed' '
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 100 &&
	test "$(il del $LAB_A4)" = OK &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 100 &&
	seen $LAB_B u5000 9 2300 &&
	sleep 0.5 &&
	test "$(q "SELECT reason || '\'' '\'' || rx_bytes || '\'' '\'' || tx_bytes || '\'' '\'' || tx_pkts FROM session")" = "del 2000 2300 9" &&
	test "$(il count)" = 0
'

test_expect_success 'a client whose link goes down is logged out within its timeout: timeout' '
	il add $LAB_A4 alice &&
	sleep 1 &&
	ifa=$(lab_exec $LAB_A ip -o -4 addr show | awk "/$LAB_A4/ { print \$2 }") &&
	lab_exec $LAB_A ip route show default >route4 &&
	lab_exec $LAB_A ip -6 route show default >route6 &&
	lab_exec $LAB_A sysctl -q -w net.ipv6.conf.$ifa.keep_addr_on_down=1 &&
	lab_exec $LAB_A ip link set "$ifa" down &&
	t0=$(date +%s%N) &&
	while test "$(il check $LAB_A4)" = Yes
	do
		test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 6000 || return 1
		sleep 0.1
	done &&
	t=$(( ($(date +%s%N) - t0) / 1000000 )) &&
	echo "logged out after $t ms (timeout 2000 ms)" &&
	test $t -ge 1500 &&
	lab_exec $LAB_A ip link set "$ifa" up &&
	lab_settle &&
	lab_exec $LAB_A ip route replace $(cat route4) &&
	lab_exec $LAB_A ip -6 route replace $(cat route6) &&
	sleep 0.5 &&
	test "$(q "SELECT reason FROM session ORDER BY login DESC LIMIT 1")" = timeout
'

test_expect_success 'an IPv6 client is kept alive by neighbour discovery' '
	il add $LAB_A6 alice6 users/b &&
	sleep 3 &&
	test "$(il check $LAB_A6)" = Yes &&
	il stat $LAB_A6 >stat6 &&
	grep "^Type: neighbour solicitation$" stat6 &&
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 5 -l 400 &&
	seen $LAB_B u5000 14 4300 &&
	il del $LAB_A6
'

test_expect_success 'a restart in the middle of a session counts nothing twice' '
	il add $LAB_A4 carol &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 1000 &&
	sleep 1.5 &&
	id=$(q "SELECT id FROM session WHERE logout IS NULL") &&
	test -n "$id" &&
	daemon_kill KILL &&
	! il count 2>/dev/null &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 500 &&
	daemon_start &&
	test "$(il check $LAB_A4)" = Yes &&
	test "$(q "SELECT id FROM session WHERE logout IS NULL")" = "$id" &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 1 -l 200 &&
	il del $LAB_A4 &&
	sleep 0.5 &&
	test "$(q "SELECT reason || '\'' '\'' || tx_bytes || '\'' '\'' || tx_pkts FROM session WHERE id = '\''$id'\''")" = "del 4200 6"
'

test_expect_success 'state file round trip: savestate, reset, loadstate' '
	il add $LAB_A4 dave &&
	il add $LAB_A6 dave6 users/b &&
	il savestate saved >out &&
	grep "^$LAB_A4	dave	users/b,nat:users	" files/saved &&
	test "$(il reset)" = "OK 2" &&
	test "$(il count)" = 0 &&
	test "$(il loadstate saved)" = "OK 2" &&
	test "$(il count)" = 2 &&
	test "$(il checkuser dave6)" = Yes &&
	il reset
'

test_expect_success 'dumpstats: a traffic file in the file folder, written whole' '
	il add $LAB_A4 erin &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 250 &&
	sleep 1.5 &&
	il dumpstats -a traffic &&
	grep "^erin $LAB_A4 .* 500$" files/traffic &&
	il del $LAB_A4
'

test_expect_success 'file arguments outside the file folder are refused' '
	test_expect_code 1 il savestate ../escape 2>err &&
	grep "give a file name in" err &&
	test_expect_code 1 il dumpstats /etc/passwd 2>err &&
	test_expect_code 1 il loadstate .hidden 2>err &&
	! test -e escape
'

test_expect_success 'an admin without permission is refused; deny by default' '
	test_expect_code 1 il_as nobody nogroup reset 2>err &&
	grep "reset: not permitted to portal" err &&
	test "$(il_as nobody nogroup check $LAB_A4)" = No &&
	test_expect_code 1 il_as nobody nogroup add $LAB_A4 mallory nat:users 2>err &&
	grep "chain filter:nat:users\|chain nat:users.*not permitted\|not permitted to portal" err &&
	test "$(il count)" = 0 &&
	test_expect_code 2 il_as 65533 65533 count 2>err
'

test_expect_success 'an oversize line is rejected; a slow client delays nobody' '
	perl -e "print q(a) x 5000, qq(\n)" >long &&
	lab_exec $LAB_R perl -MIO::Socket::UNIX -e "
		my \$s = IO::Socket::UNIX->new(Peer => q($SOCK)) or die;
		open my \$f, q(<), q(long); print \$s scalar readline \$f;
		print while <\$s>;" >reply &&
	grep "^err 1$" reply && grep "line too long" reply &&
	lab_exec $LAB_R perl -MIO::Socket::UNIX -e "
		my \$s = IO::Socket::UNIX->new(Peer => q($SOCK)) or die;
		print \$s q(cou); sleep 3;" &
	slow=$! &&
	sleep 0.3 &&
	t0=$(date +%s%N) &&
	il add $LAB_A4 frank &&
	test "$(il count)" = 1 &&
	t=$(( ($(date +%s%N) - t0) / 1000000 )) &&
	echo "a login and a count took $t ms beside a slow client" &&
	test $t -lt 1000 &&
	sleep 1 &&
	il stat $LAB_A4 | grep "^Received replies: [1-9]" &&
	wait $slow &&
	il del $LAB_A4
'

test_expect_success 'SIGTERM: the state saved, every session closed as shutdown' '
	il add $LAB_A4 gina &&
	daemon_stop &&
	grep "^$LAB_A4	gina	" files/state &&
	test "$(q "SELECT count(*) FROM session WHERE logout IS NULL")" = 0 &&
	test "$(q "SELECT reason FROM session WHERE account = '\''gina'\''")" = shutdown &&
	daemon_start &&
	test "$(il checkuser gina)" = Yes &&
	daemon_stop
'

test_expect_success 'ipacsum --sessions: per account, from the store' '
	ipacsum --sessions --format csv >sess &&
	head -1 sess >head &&
	echo "account,sessions,open,seconds,rx_bytes,rx_packets,tx_bytes,tx_packets" >expect &&
	test_cmp expect head &&
	grep "^carol,1,0,[0-9]*,0,0,4200,6$" sess &&
	grep "^alice,2,0,[0-9]*,2000,4,2300,9$" sess &&
	grep "^gina,2,0," sess &&
	ipacsum --sessions >text &&
	grep "^  carol  *1 .* 0  *4K$" text
'

test_expect_success 'billing: an account of login accounts bills their sessions' '
	cp "$IPAC_SETTINGS" bill.settings &&
	printf "%s\n" "[account a-bill]" "logins = alice, carol" >>bill.settings &&
	ipacsum -C bill.settings --billing current --format json >bill.json &&
	perl -MJSON::PP -e "
		local \$/; my \$j = decode_json(<STDIN>); my \$a = \$j->{accounts}[0];
		print join(q( ), \$a->{account}, \$a->{in_bytes}, \$a->{out_bytes},
			map { \"\$_->{login}:\$_->{sessions}:\$_->{tx_bytes}\" } @{\$a->{logins}}), qq(\n)
	" <bill.json >actual &&
	echo "a-bill 2000 6500 alice:2:2300 carol:1:4200" >expect &&
	test_cmp expect actual
'

test_done
