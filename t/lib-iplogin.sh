# lib-iplogin.sh: the lab of the iplogin tests.  A router between a LAN
# client A, an internet host B and a portal C, with the example gateway
# ruleset (examples/iplogin-gateway.nft); iplogin in the router's
# namespace with the config the test writes to iplogin.conf; its store
# and socket in the trash folder.  After lib-lab.sh.
#
# SPDX-License-Identifier: GPL-2.0-or-later

STORE=$TRASH_DIRECTORY/ipac.db
# What the unprivileged side of a test (ilcmd as nobody) needs must be
# reachable from any checkout, also one in a folder of mode 0700 (a clone
# under /root): the socket and a copy of ilcmd live in a folder of their
# own in /tmp, open to all, removed at exit.  A short path also keeps the
# socket within sun_path's 108 bytes however deep the checkout is.
IL_PUBLIC=$(mktemp -d /tmp/ipac-il.XXXXXX) || exit 1
test_atexit 'rm -rf "$IL_PUBLIC"'
chmod 0755 "$IL_PUBLIC" &&
cp "$(command -v ilcmd)" "$IL_PUBLIC/ilcmd" || exit 1
SOCK=$IL_PUBLIC/il.sock
IPAC_SETTINGS=$TRASH_DIRECTORY/settings
export IPAC_SETTINGS
printf '%s\n' "store = $STORE" "hostname = gw" >"$IPAC_SETTINGS"

il () {
	lab_exec "$LAB_R" ilcmd -S "$SOCK" "$@"
}

# il_as USER GROUP COMMAND...: ilcmd on the socket as USER and GROUP only
# (names or ids), in the router's namespace.
il_as () {
	il_as_u_=$1 il_as_g_=$2
	shift 2
	lab_exec "$LAB_R" setpriv --reuid="$il_as_u_" --regid="$il_as_g_" \
		--clear-groups "$IL_PUBLIC/ilcmd" -S "$SOCK" "$@"
}

q () {
	sqlite3 -batch -noheader "$STORE" "$@"
}

# seen NS NAME PACKETS BYTES: what NS's counter NAME (table inet seen) read.
seen () {
	echo "$2 $3 $4" >expect.seen &&
	lab_nft_counters "$1" inet seen | grep "^$2 " >actual.seen &&
	test_cmp expect.seen actual.seen
}

# daemon_start: iplogin in the router's namespace, until its socket answers.
daemon_start () {
	rm -f "$TRASH_DIRECTORY/iplogin.pid"
	lab_exec "$LAB_R" iplogin -d -c "$TRASH_DIRECTORY/iplogin.conf" -s gw \
		-p "$TRASH_DIRECTORY/iplogin.pid" >>daemon.log 2>&1 &
	i=0
	while ! test -s "$TRASH_DIRECTORY/iplogin.pid" || ! il count >/dev/null 2>&1
	do
		i=$((i + 1))
		test $i -lt 100 || { cat daemon.log; return 1; }
		sleep 0.1
	done
}

# daemon_log_has GREP-ARGS...: grep daemon.log until the line is there
# (5 s at most).  A foreground iplogin's log lines are written by a thread
# of their own (log_async()): a line of a command can reach the file just
# after the command's answer.
daemon_log_has () {
	i=0
	until grep "$@" daemon.log
	do
		i=$((i + 1))
		test $i -lt 100 || return 1
		sleep 0.05
	done
}

# daemon_kill [SIGNAL]: signal iplogin (TERM), wait until it is gone.
daemon_kill () {
	test -s "$TRASH_DIRECTORY/iplogin.pid" || return 0
	pid=$(cat "$TRASH_DIRECTORY/iplogin.pid")
	kill -"${1:-TERM}" "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null
	do
		i=$((i + 1))
		test $i -lt 100 || return 1
		sleep 0.1
	done
	rm -f "$TRASH_DIRECTORY/iplogin.pid"
}
daemon_stop () {
	daemon_kill TERM
}
test_atexit daemon_stop

# il_router_lan: the router namespace alone ($LAB_R) with a LAN,
# 198.18.1.1/24 on d0, whose other end is up and answers nobody: clients
# can be logged in and probed there without a host behind them.
il_router_lan () {
	lab_netns_add r &&
	LAB_R=${LAB_PREFIX}r &&
	lab_exec $LAB_R ip link add d0 type veth peer name d1 &&
	lab_exec $LAB_R ip link set d1 up &&
	lab_exec $LAB_R ip addr add 198.18.1.1/24 dev d0 &&
	lab_exec $LAB_R ip link set d0 up
}

# il_lab: the lab, counters "u5000" (UDP port 5000) in A and B, the
# gateway loaded in the router.
il_lab () {
	lab_router_setup --hosts 3 &&
	lab_sink "$LAB_R" &&
	for ns in $LAB_A $LAB_B
	do
		lab_exec $ns nft -f - <<-EOF || return 1
		table inet seen {
			chain input {
				type filter hook input priority -100; policy accept;
				udp dport 5000 counter comment "u5000"
			}
		}
		EOF
	done &&
	sed -e "s/^define lan_if = .*/define lan_if = \"r0\"/" \
	    -e "s/^define portal4 = .*/define portal4 = $LAB_C4/" \
	    -e "s/^define portal6 = .*/define portal6 = $LAB_C6/" \
	    -e "s/^define dns4 = .*/define dns4 = { $LAB_C4 }/" \
	    -e "s/^define dns6 = .*/define dns6 = { $LAB_C6 }/" \
	    "$SRC_ROOT/examples/iplogin-gateway.nft" >gateway.nft &&
	lab_exec $LAB_R nft -f gateway.nft
}
