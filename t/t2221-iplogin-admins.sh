#!/bin/sh
test_description='iplogin: every admin path applies the same rules (server, source address, perms, permitted chains) on the socket and the TLS port; TLS 1.3 with (EC)DHE-PSK only, tried with gnutls-cli'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog gnutls-cli setpriv

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
KEY2=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
GOOD='NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK'

# gtls PRIORITY NAME KEY LINE...: the lines to the TLS port through
# gnutls-cli, a real TLS client; its output (the replies) in gtls.out,
# its messages in gtls.err.  Fails when the handshake did.
gtls () {
	gtls_p_=$1 gtls_n_=$2 gtls_k_=$3
	shift 3
	{ printf '%s\n' "$@"; sleep 1; } |
	lab_exec "$LAB_R" gnutls-cli --priority="$gtls_p_" \
		--pskusername="$gtls_n_" --pskkey="$gtls_k_" -p 4711 127.0.0.1 \
		>gtls.out 2>gtls.err
	grep -q "^- Handshake was completed" gtls.out
}

# replies: the protocol lines of gtls.out (after gnutls-cli's own).
replies () {
	sed -n '/^- Simple Client Mode:/,$p' gtls.out | grep -v '^- \|^$'
}

test_expect_success 'a router namespace; iplogin with the socket and a TLS port; admins of two servers' '
	il_router_lan &&
	mkdir files &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    socket_group = nogroup
	    listen_address = 127.0.0.1
	    listen_port = 4711
	    chains = users/b, nat:users
	    probe = 198.18.0.0/15 1s 300s
	    file_dir = $TRASH_DIRECTORY/files

	server other
	    listen = $IL_PUBLIC/other.sock
	    chains = users/b

	client root
	    user = 0
	    perms = any

	client portal
	    user = nobody
	    psk = $KEY
	    perms = add, del, check, count
	    permitted_chains = users/b

	client boss
	    servername = other
	    group = nogroup
	    psk = $KEY2
	    perms = any
	EOF
	daemon_start
'

test_expect_success 'gnutls-cli with (EC)DHE-PSK over TLS 1.3: served' '
	gtls "$GOOD" portal $KEY count &&
	printf "ok 1\n0\n" >expect &&
	replies >actual &&
	test_cmp expect actual &&
	grep "^- PSK authentication. Connected as .portal.$" gtls.out
'

test_expect_success 'pure PSK key exchange (no forward secrecy): refused, nothing runs' '
	test_must_fail gtls "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK:-GROUP-ALL" \
		portal $KEY "add 198.18.1.50 psk-only" &&
	! grep "^ok" gtls.out &&
	test "$(il count)" = 0 &&
	daemon_log_has "admin port: TLS handshake from 127.0.0.1 .* failed"
'

test_expect_success 'TLS 1.2, with ECDHE-PSK or pure PSK: refused' '
	test_must_fail gtls "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-PSK" \
		portal $KEY count &&
	! grep "^ok" gtls.out &&
	test_must_fail gtls "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK" \
		portal $KEY count &&
	! grep "^ok" gtls.out
'

test_expect_success 'server: an admin of another server is refused on the socket' '
	test_expect_code 1 il_as 12345 nogroup reset 2>err &&
	grep "not an admin of this server" err &&
	daemon_log_has "admin socket: uid 12345 gid 65534 is no admin of server gw; refused"
'

test_expect_success 'server: an admin of another server is refused on the TLS port; reset does not run' '
	il add 198.18.1.40 stays &&
	test_must_fail gtls "$GOOD" boss $KEY2 reset &&
	! grep "^ok" gtls.out &&
	test "$(il count)" = 1 &&
	daemon_log_has "admin port: TLS handshake from 127.0.0.1 (identity .boss.) failed: no admin of server gw has that identity" &&
	il del 198.18.1.40
'

test_expect_success 'perms: the same on both channels' '
	test "$(il_as nobody nogroup count)" = 0 &&
	test_expect_code 1 il_as nobody nogroup reset 2>err &&
	grep "^reset: not permitted to portal$" err &&
	gtls "$GOOD" portal $KEY count reset &&
	printf "ok 1\n0\nerr 1\nreset: not permitted to portal\n" >expect &&
	replies >actual &&
	test_cmp expect actual
'

test_expect_success 'permitted chains: the same on both channels' '
	test_expect_code 1 il_as nobody nogroup add 198.18.1.41 mallory nat:users 2>err &&
	grep "^chain filter:nat:users: not permitted to portal$\|^chain nat:users.*: not permitted to portal$" err &&
	gtls "$GOOD" portal $KEY "add 198.18.1.42 mallory nat:users" \
		"add 198.18.1.43 alice users/b" &&
	replies >actual &&
	sed -n 2p actual | grep "^chain .*nat:users.*: not permitted to portal$" &&
	sed -n 3,4p actual >tail &&
	printf "ok 1\nOK\n" >expect &&
	test_cmp expect tail &&
	test "$(il count)" = 1 &&
	test "$(il check 198.18.1.43)" = Yes &&
	test "$(il check 198.18.1.42)" = No &&
	il del 198.18.1.43
'

test_expect_success 'source address: a TLS admin from outside its ip is refused; on the socket ip does not apply' '
	sed "/^client portal/a\\
    ip = 198.18.99.0/24" iplogin.conf >new.conf &&
	mv new.conf iplogin.conf &&
	kill -HUP $(cat iplogin.pid) &&
	i=0 &&
	until test $(grep -c "re-read (SIGHUP)" daemon.log) -ge 1
	do
		i=$((i + 1)); test $i -lt 50 || return 1; sleep 0.1
	done &&
	gtls "$GOOD" portal $KEY count &&
	printf "err 1\nnot an admin of this server from this address\n" >expect &&
	replies >actual &&
	test_cmp expect actual &&
	daemon_log_has "admin port: 127.0.0.1 (identity .portal.) is no admin of server gw from there; refused" &&
	: "the socket is local: its peers are known by user and group, ip does not apply" &&
	test "$(il_as nobody nogroup count)" = 0
'

test_expect_success 'a connection whose admin is moved to another server by a reload is closed' '
	sed "/^client portal/,/^$/s/^    ip = .*/    ip = 127.0.0.0\/8/" iplogin.conf >new.conf &&
	mv new.conf iplogin.conf &&
	kill -HUP $(cat iplogin.pid) &&
	i=0 &&
	until test $(grep -c "re-read (SIGHUP)" daemon.log) -ge 2
	do
		i=$((i + 1)); test $i -lt 50 || return 1; sleep 0.1
	done &&
	{
		printf "count\n"; sleep 1
		sed "/^client portal/a\\
    servername = other" iplogin.conf >new.conf &&
		mv new.conf iplogin.conf &&
		kill -HUP $(cat iplogin.pid); sleep 1
		printf "count\n"; sleep 1
	} | lab_exec "$LAB_R" gnutls-cli --priority="$GOOD" --pskusername=portal \
		--pskkey=$KEY -p 4711 127.0.0.1 >gtls.out 2>gtls.err
	replies >actual &&
	printf "ok 1\n0\nerr 1\nno longer an admin of this server\n" >expect &&
	test_cmp expect actual &&
	daemon_log_has "admin port: a connection no longer of an admin of server gw; closed"
'

test_done
