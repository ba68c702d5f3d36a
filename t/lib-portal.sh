# lib-portal.sh: what the captive-portal tests share.  After test-lib.sh.
#
# mint SECRET_HEX KEY KIND TIME QUOTA ACCOUNT SERIAL: a voucher code made
# by the test's own implementation of ipac-voucher(8)'s CODE FORMAT (not
# by our C code), so that a till's codes are known to work.
#
# SPDX-License-Identifier: GPL-2.0-or-later

# This tree's ipac-portal and web root, or (IPAC_TEST_INSTALLED) the
# installed ones: its default web root.
case $IPAC_BIN_PATH in
*:*)	PATH=$SRC_ROOT/portal:$PATH
	PORTAL_WWW=$SRC_ROOT/portal/www ;;
*)	PORTAL_WWW= ;;
esac
export PATH
# Debian's python3 (it has python3-selenium), not one earlier on PATH.
PY=/usr/bin/python3
test -x $PY || PY=python3

mint () {
	$PY -c '
import hashlib, hmac, sys
A = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
secret = bytes.fromhex(sys.argv[1])
key, kind, time, quota, account, serial = map(int, sys.argv[2:8])
p = (key << 64 | kind << 63 | time << 38 | quota << 26 | account << 20
     | serial)
mac = int.from_bytes(hmac.new(secret, b"ipac-voucher-1" + p.to_bytes(9,
    "big"), hashlib.sha256).digest()[:5], "big") >> 6
m = int.from_bytes(hashlib.sha256(b"ipac-voucher-mask" + (mac << 6).to_bytes(5,
    "big")).digest()[:9], "big") >> 6
n = (p ^ m) << 34 | mac
s = "".join(A[(n >> 5 * (19 - i)) & 31] for i in range(20))
print("-".join(s[i:i + 4] for i in range(0, 20, 4)))
' "$@"
}

# one_changed CODE: the code with its 7th symbol replaced by another.
one_changed () {
	$PY -c '
import sys
A = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
c = list(sys.argv[1])
c[7] = A[(A.index(c[7]) + 1) % 32]
print("".join(c))
' "$1"
}

# The lab of the portal tests (after lib-lab.sh and lib-iplogin.sh): a
# gateway R with two client links, A (198.18.1.2) and B (198.18.2.2),
# and the "internet" C (198.18.3.2, 198.19.0.2, 2001:db8:3::2) with a
# web server on port 80; the gateway ruleset of examples/
# portal-gateway.nft; a voucher secret; ipac-portal's chroot folder.
SECRET_HEX=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
PROOT=$TRASH_DIRECTORY/proot
PSOCK=$PROOT/iplogin.sock
NET4=198.19.0.2

portal_lab () {
	lab_router_setup --hosts 3 &&
	lab_exec $LAB_A nft delete table inet labsink &&
	lab_exec $LAB_B nft delete table inet labsink &&
	lab_exec $LAB_C nft delete table inet labsink &&
	# C drops UDP 5000 silently (no ICMP back) and counts what arrives.
	lab_exec $LAB_C nft -f - <<-EOF &&
	table inet seen {
		counter u5000 { }
		chain input {
			type filter hook input priority 0; policy accept;
			udp dport 5000 counter name u5000 drop
		}
	}
	EOF
	ip -n $LAB_C addr add $NET4/32 dev c0 &&
	ip -n $LAB_R route add $NET4/32 via $LAB_C4 &&
	sed -e 's/^define lan_if = .*/define lan_if = { "r0", "r1" }/' \
	    -e "s/^define gw4 = .*/define gw4 = $LAB_R4A/" \
	    -e "s/^define gw6 = .*/define gw6 = $LAB_R6A/" \
	    "$SRC_ROOT/examples/portal-gateway.nft" >gateway.nft &&
	lab_exec $LAB_R nft -f gateway.nft &&
	echo "0 $SECRET_HEX" >voucher.key &&
	chmod 600 voucher.key &&
	mkdir -p "$PROOT" && chmod 755 "$PROOT" || return 1
	lab_exec $LAB_C $PY "$SRC_ROOT/t/helper/portal-web.py" 80 \
		>web.log 2>&1 &
	echo $! >web.pid
	portal_wait_tcp $LAB_R $LAB_C4 80
}

# portal_wait_tcp NS ADDR PORT: until a TCP connection from NS works.
portal_wait_tcp () {
	i=0
	while ! lab_exec $1 $PY -c "
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5).close()
" $2 $3 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 100 || return 1
		sleep 0.1
	done
}

# portal_conf [EXTRA LINE...]: iplogin.conf of a portal gateway.
portal_conf () {
	{
		cat <<-EOF
		server gw
		    listen = $SOCK
		    chains = users/b, nat:users
		    probe = 198.18.0.0/15 300ms 1500ms
		    probe = 2001:db8::/32 300ms 1500ms
		    counterinterval = 1
		    file_dir = $TRASH_DIRECTORY/files
		    portal_socket = $PSOCK
		    portal_user = nobody
		    voucher_secret = $TRASH_DIRECTORY/voucher.key
		    voucher_account = 0 guest
		    voucher_account = 5 cafe
		EOF
		for l
		do
			echo "    $l"
		done
		cat <<-EOF

		client root
		    user = 0
		    perms = any
		EOF
	} >iplogin.conf
}

# portal_start [OPTION...]: ipac-portal in the gateway, until it answers.
portal_start () {
	rm -f portal.pid
	test -z "$PORTAL_WWW" || set -- -w "$PORTAL_WWW" "$@"
	lab_exec $LAB_R ipac-portal -d -l "[::]:8080" \
		-u nobody -r "$PROOT" \
		-p "$TRASH_DIRECTORY/portal.pid" "$@" >>portal.log 2>&1 &
	i=0
	while ! test -s portal.pid ||
	      ! lab_exec $LAB_R curl -s -o /dev/null http://127.0.0.1:8080/ipac/style.css
	do
		i=$((i + 1))
		test $i -lt 100 || { cat portal.log; return 1; }
		sleep 0.1
	done
}

portal_kill () {
	test -s portal.pid || return 0
	pid=$(cat portal.pid)
	kill -"${1:-TERM}" "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 100 || return 1
		sleep 0.1
	done
	rm -f portal.pid
}

portal_stop () {
	portal_kill TERM
	test -s web.pid && kill "$(cat web.pid)" 2>/dev/null
	:
}

# login NS CODE [DST]: POST a code to the portal from NS as a browser
# would; prints the HTTP status and the Location.
login () {
	lab_exec $1 curl -s -o login.body -w "%{http_code} %{redirect_url}\n" \
		--data-urlencode "code=$2" --data-urlencode "dst=${3:-}" \
		"http://$(portal_addr $1):8080/ipac/login"
}

# The gateway's address on NS's link (where the portal answers).
portal_addr () {
	case $1 in
	"$LAB_A") echo $LAB_R4A ;;
	"$LAB_B") echo $LAB_R4B ;;
	esac
}

# The code on stdin with its 7th symbol changed (one_changed's filter).
one_changed_stdin () {
	read c && one_changed "$c"
}

# timed NS CODE: "STATUS SECONDS" of a login POST; the page in timed.body.
timed () {
	lab_exec $1 curl -s -o timed.body -w "%{http_code} %{time_total}\n" \
		--data-urlencode "code=$2" "http://$(portal_addr $1):8080/ipac/login"
}

now_ms () {
	echo $(($(date +%s%N) / 1000000))
}
