#!/bin/sh
test_description='iplogin: the admin port over TLS 1.3 with a key per admin; a wrong key fails the handshake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog perl

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
BAD=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100

# tls CONF NAME COMMAND...: ilcmd over the TLS port as client NAME of CONF.
tls () {
	conf=$1 name=$2
	shift 2
	lab_exec "$LAB_R" ilcmd -c "$TRASH_DIRECTORY/$conf" -T 127.0.0.1 \
		-P 4711 -n "$name" "$@"
}

test_expect_success 'a router namespace; iplogin with a TLS port on its loopback' '
	lab_netns_add r &&
	LAB_R=${LAB_PREFIX}r &&
	mkdir files &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    listen_address = 127.0.0.1
	    listen_port = 4711
	    chains = users/b
	    file_dir = $TRASH_DIRECTORY/files

	client root
	    user = 0
	    perms = any

	client portal
	    psk = $KEY
	    ip = 127.0.0.0/8
	    perms = count, check

	client faraway
	    psk = $KEY
	    ip = 198.18.99.0/24
	    perms = any
	EOF
	sed "s/psk = $KEY/psk = $BAD/" iplogin.conf >wrong.conf &&
	daemon_start
'

test_expect_success 'the right key: commands over TLS, within the perms' '
	test "$(tls iplogin.conf portal count)" = 0 &&
	test "$(tls iplogin.conf portal check 198.18.1.2)" = No &&
	test_expect_code 1 tls iplogin.conf portal reset 2>err &&
	grep "reset: not permitted to portal" err
'

test_expect_success 'a wrong key fails the TLS handshake; nothing runs' '
	test_expect_code 2 tls wrong.conf portal count 2>err &&
	grep "TLS handshake" err &&
	daemon_log_has "admin port: TLS handshake from 127.0.0.1 (identity .portal.) failed (a wrong key?): "
'

test_expect_success 'an identity that is no client fails the handshake too' '
	sed "s/^client portal/client stranger/" iplogin.conf >stranger.conf &&
	test_expect_code 2 tls stranger.conf stranger count 2>err &&
	grep "TLS handshake" err &&
	daemon_log_has "admin port: TLS handshake from 127.0.0.1 (identity .stranger.) failed: no admin of server gw has that identity and a psk"
'

test_expect_success 'the right key from an address the client may not use: refused' '
	test_expect_code 1 tls iplogin.conf faraway count 2>err &&
	grep "not an admin of this server from this address" err
'

test_expect_success 'plain text on the TLS port: refused; the daemon serves on' '
	lab_exec $LAB_R perl -MIO::Socket::INET -e "
		my \$s = IO::Socket::INET->new(PeerAddr => q(127.0.0.1:4711)) or die;
		print \$s qq(count\n); alarm 5; my \$r = join q(), <\$s>;
		print \$r =~ /^ok/ ? q(answered) : q(refused);
	" >plain &&
	test "$(cat plain)" = refused &&
	test "$(il count)" = 0 &&
	test "$(tls iplogin.conf portal count)" = 0
'

test_expect_success 'a TLS client that never finishes its handshake is dropped' '
	lab_exec $LAB_R perl -MIO::Socket::INET -e "
		my \$s = IO::Socket::INET->new(PeerAddr => q(127.0.0.1:4711)) or die;
		sleep 7; alarm 3; 1 while sysread(\$s, my \$b, 100); print q(dropped);
	" >slow &
	slow=$! &&
	sleep 0.5 &&
	test "$(tls iplogin.conf portal count)" = 0 &&
	wait $slow &&
	test "$(cat slow)" = dropped &&
	daemon_log_has "admin port: TLS handshake from 127.0.0.1 (no identity offered) not finished in 2000 ms; closed"
'

test_done
