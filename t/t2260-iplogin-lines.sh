#!/bin/sh
test_description='iplogin: a command line with a NUL or a byte the protocol does not allow is refused whole; account names at most 253 bytes everywhere; replies whole; the state file read by whole lines'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog perl

# raw TEXT: TEXT (perl string syntax) as bytes on the socket; the reply.
raw () {
	lab_exec $LAB_R perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die;
		print $s eval(qq("$ARGV[1]")); shutdown($s, 1);
		print while <$s>;' "$SOCK" "$1"
}

test_expect_success 'a router namespace with a LAN; the daemon' '
	il_router_lan &&
	mkdir files &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b
	    blockchain = block/b>DROP
	    probe = 198.18.0.0/15 1s 300s
	    file_dir = $TRASH_DIRECTORY/files

	client root
	    user = 0
	    perms = any
	EOF
	daemon_start
'

test_expect_success 'a NUL byte refuses the whole line: nobody is logged in as a piece of it' '
	raw "add 198.18.1.50 ev\\0il\\ncount\\n" >reply &&
	printf "err 1\na NUL byte in the command (byte 19): refused\nok 1\n0\n" >expect &&
	test_cmp expect reply &&
	! grep "login 198.18.1.50" daemon.log
'

test_expect_success 'control bytes, DEL and bytes that are not UTF-8: refused whole' '
	raw "add 198.18.1.51 a\\x01b\\nadd 198.18.1.52 a\\x7fb\\nadd 198.18.1.53 j\\xfcrgen\\n" >reply &&
	cat >expect <<-\EOF &&
	err 1
	a control character (byte 18: 0x01) in the command: refused
	err 1
	a control character (byte 18: 0x7f) in the command: refused
	err 1
	not UTF-8 (byte 18: 0xfc) in the command: refused
	EOF
	test_cmp expect reply &&
	test "$(il count)" = 0
'

test_expect_success 'a UTF-8 account is taken as it is' '
	test "$(il add 198.18.1.54 "j$(printf "\303\274")rgen")" = OK &&
	il list | grep "^198.18.1.54 j$(printf "\303\274")rgen users/b " &&
	il del 198.18.1.54
'

test_expect_success 'an account over 253 bytes is refused at add, with the limit' '
	long=$(perl -e "print q(a) x 4000") &&
	test_expect_code 1 il add 198.18.1.55 $long 2>err &&
	echo "add: failed: an account name of 4000 bytes: at most 253" >expect &&
	test_cmp expect err &&
	test "$(il count)" = 0
'

test_expect_success 'an account of 253 bytes: stat, list and the state file show it whole, with what follows' '
	max=$(perl -e "print q(b) x 253") &&
	test "$(il add 198.18.1.56 $max)" = OK &&
	il stat 198.18.1.56 >stat &&
	grep "^Account: $max$" stat &&
	test "$(wc -l <stat)" = 19 &&
	grep "^Source address: 198.18.1.1$" stat &&
	tail -1 stat | grep "^TX kbit/s: 0.0$" &&
	il list >list &&
	grep "^198.18.1.56 $max users/b [0-9T:Z-]* - 0 0$" list &&
	il savestate max >out &&
	grep "^198.18.1.56	$max	users/b	" files/max &&
	il reset >/dev/null &&
	test "$(il loadstate max)" = "OK 1" &&
	test "$(il checkuser $max)" = Yes &&
	il reset >/dev/null
'

test_expect_success 'replies are never cut: a list line of over 1 KB with 36 long chain names, whole' '
	chains=$(perl -e "print join q(,), map { sprintf q(c%027d/b), \$_ } 1 .. 36") &&
	sed "s|^    chains = users/b$|    chains = users/b, $chains|" iplogin.conf >wide.conf &&
	daemon_stop &&
	cp iplogin.conf narrow.conf &&
	cp wide.conf iplogin.conf &&
	daemon_start &&
	test "$(il add 198.18.1.57 $max $chains)" = OK &&
	il list >list &&
	line=$(grep "^198.18.1.57 " list) &&
	echo "a list line of ${#line} bytes" &&
	test ${#line} -gt 1400 &&
	echo "$line" | grep "^198.18.1.57 $max $chains [0-9T:Z-]* - 0 0$" &&
	il stat 198.18.1.57 | grep "^Chains: $chains$" &&
	il stat 198.18.1.57 | tail -1 | grep "^TX kbit/s: 0.0$" &&
	il reset >/dev/null &&
	daemon_stop &&
	cp narrow.conf iplogin.conf &&
	daemon_start
'

test_expect_success 'blocks only in the blockchain, logins never in it: a delblock cannot take a session away' '
	test "$(il add 198.18.1.58 sam)" = OK &&
	test_expect_code 1 il delblock 198.18.1.58 users/b 2>err &&
	echo "delblock: chain filter:users/b>ACCEPT is not this server'\''s blockchain" >expect &&
	test_cmp expect err &&
	test_expect_code 1 il addblock 198.18.1.59 users/b 2>err &&
	lab_exec $LAB_R nft list table inet iplogin >table &&
	grep -c "198.18.1.58" table >n && test "$(cat n)" = 2 &&
	! grep "198.18.1.59" table &&
	test_expect_code 1 il add 198.18.1.59 sid block 2>err &&
	grep "chain .*block.* is the blockchain, for addblock only" err &&
	test "$(il addblock 198.18.1.59 block)" = OK &&
	lab_exec $LAB_R nft list table inet iplogin | grep -c "198.18.1.59" >n &&
	test "$(cat n)" = 2 &&
	test "$(il delblock 198.18.1.59 "block/b>DROP")" = OK &&
	test "$(il check 198.18.1.58)" = Yes &&
	il del 198.18.1.58
'

test_expect_success 'the state file: a line over 4 KB is one line, never two' '
	perl -e "
		my \$head = qq(198.18.1.61\tbob\tusers/b\t0\t);
		print qq(# iplogin state\n), \$head, q(x) x (4095 - length \$head),
			qq(198.18.1.62\tmallory\tusers/b\t0\t-\t-\n);
	" >files/split &&
	test "$(il loadstate split)" = "OK 1" &&
	test "$(il checkuser bob)" = Yes &&
	test "$(il checkuser mallory)" = No &&
	il reset >/dev/null
'

test_expect_success 'the state file: a line too long for any client is an error by its line; the others load' '
	perl -e "
		print qq(198.18.1.63\tcarol\tusers/b\t0\t-\t-\n);
		print qq(198.18.1.64\tdave\tusers/b\t0\t), q(y) x 70000, qq(\n);
		print qq(198.18.1.65\t), q(e) x 300, qq(\tusers/b\t0\t-\t-\n);
		print qq(198.18.1.66\terin\tusers/b\t0\t-\t-\n);
	" >files/long &&
	test_expect_code 1 il loadstate long 2>err &&
	grep "loadstate: failed" err &&
	daemon_log_has "files/long:2: a line of 70[0-9]* bytes (at most [0-9]*): not read" &&
	daemon_log_has "files/long:3: 198.18.1.65: an account name of 300 bytes: at most 253" &&
	test "$(il count)" = 2 &&
	test "$(il checkuser carol)" = Yes &&
	test "$(il checkuser erin)" = Yes &&
	il reset >/dev/null
'

test_done
