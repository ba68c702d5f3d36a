#!/bin/sh
test_description='the central store: a router fetches through an outage and a hung server, and ships every byte and session later, once'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

lab_require
pg_require
test_require_prog sqlite3

TIMEOUT=2

# ms: milliseconds since the epoch.
ms () {
	echo $(($(date +%s%N) / 1000000))
}

# totals sqlite|pg: "name bytes packets" of every name, summed over the
# samples, on the router's store or the central store.
totals () {
	case $1 in
	sqlite) q "SELECT r.name, sum(s.bytes), sum(s.pkts) FROM sample s
		JOIN rule r ON r.id = s.rule_id GROUP BY r.name ORDER BY r.name" ;;
	pg) pg_sql "SELECT r.name, sum(s.bytes), sum(s.pkts) FROM sample s
		JOIN rule r ON r.host_id = s.host_id AND r.id = s.rule_id
		GROUP BY r.name ORDER BY r.name" ;;
	esac
}

# sessions sqlite|pg: every session, every column but the host.
SESSION_COLS="id, server, account, addr, coalesce(mac, '-'), chains, login,
	coalesce(logout, 0), coalesce(reason, '-'), updated, rx_bytes, rx_pkts,
	tx_bytes, tx_pkts, k_rx_bytes, k_rx_pkts, k_tx_bytes, k_tx_pkts"
sessions () {
	case $1 in
	sqlite) q "SELECT $SESSION_COLS FROM session ORDER BY id" ;;
	pg) pg_sql "SELECT $SESSION_COLS FROM session ORDER BY id" ;;
	esac
}

same () {
	totals sqlite >totals.local &&
	totals pg >totals.central &&
	test_cmp totals.local totals.central &&
	sessions sqlite >sessions.local &&
	sessions pg >sessions.central &&
	test_cmp sessions.local sessions.central
}

# expect_total NAME BYTES PACKETS: what the central store holds for NAME
expect_total () {
	echo "$1|$2|$3" >expect.total &&
	totals pg | grep "^$1|" >actual.total &&
	test_cmp expect.total actual.total
}

test_expect_success 'lab, accounting of A each way, iplogin, a central store for the router' '
	il_lab &&
	pg_start &&
	mkdir files &&
	cat >acct.conf <<-EOF &&
	A tx|in|r0|all|$LAB_A4|
	A rx|out|r0|all||$LAB_A4
	EOF
	cat >>"$IPAC_SETTINGS" <<-EOF &&
	hostname = gw
	central store = $PG_URI
	central timeout = ${TIMEOUT}s
	EOF
	lab_exec $LAB_R ipacset -c acct.conf &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b
	    probe = 198.18.0.0/15 500ms 5s
	    file_dir = $TRASH_DIRECTORY/files

	client root
	    user = 0
	    perms = any
	EOF
	daemon_start &&
	lab_exec $LAB_R fetchipac -v 2>err &&
	cat err &&
	grep "shipped to postgresql:///ipac: [12] runs" err &&
	test "$(pg_sql "SELECT count(*) FROM ruleset")" = 1
'

test_expect_success 'a session and its traffic: shipped with the run' '
	il add $LAB_A4 alice &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 13 -l 333 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 9 -l 1400 &&
	sleep 0.5 &&
	lab_exec $LAB_R fetchipac &&
	expect_total "A tx" $((13 * 333)) 13 &&
	expect_total "A rx" $((9 * 1400)) 9 &&
	same
'

test_expect_success 'the central server down for three runs: each run exits 0 and says so; the next ships them all, and the logout' '
	pg_stop &&
	for i in 1 2 3
	do
		lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c $i -l 1000 &&
		sleep 0.3 &&
		lab_exec $LAB_R fetchipac 2>err.$i &&
		cat err.$i &&
		grep "not shipped this time" err.$i || return 1
	done &&
	il del $LAB_A4 &&
	: "the logout is written with the next group commit" &&
	i=0 &&
	until test "$(q "SELECT reason FROM session")" = del
	do
		i=$((i + 1)) && test $i -lt 50 || return 1
		sleep 0.1
	done &&
	pg_restart &&
	lab_exec $LAB_R fetchipac -v 2>err &&
	cat err &&
	grep "shipped to postgresql:///ipac: .* 1 sessions" err &&
	expect_total "A tx" $((13 * 333 + 6 * 1000)) 19 &&
	same &&
	test "$(pg_sql "SELECT reason FROM session")" = del
'

test_expect_success "a server that answers nothing (SIGSTOP): the run ends after the central timeout (${TIMEOUT}s), and ships next time" '
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 5 -l 500 &&
	sleep 0.3 &&
	pg_pause &&
	t0=$(ms) &&
	lab_exec $LAB_R fetchipac 2>err &&
	t1=$(ms) &&
	pg_resume &&
	cat err &&
	echo "fetchipac took $((t1 - t0)) ms with the server stopped" &&
	grep "no answer in $TIMEOUT s" err &&
	test $((t1 - t0)) -lt $((TIMEOUT * 1000 + 3000)) &&
	: "what the router counted is in its own store" &&
	test "$(q "SELECT sum(s.bytes) FROM sample s JOIN rule r ON r.id = s.rule_id WHERE r.name = '\''A tx'\''")" = $((13 * 333 + 6 * 1000 + 2500)) &&
	lab_exec $LAB_R fetchipac &&
	expect_total "A tx" $((13 * 333 + 6 * 1000 + 2500)) 24 &&
	same
'

# router2: a second router, gw2, in namespaces of its own: $S forwards
# between its client $D (198.19.1.2, on s0) and a server $E (198.19.2.2).
router2 () {
	lab_netns_add s && lab_netns_add d && lab_netns_add e &&
	S=${LAB_PREFIX}s D=${LAB_PREFIX}d E=${LAB_PREFIX}e &&
	ip link add s0 netns $S type veth peer name d0 netns $D &&
	ip link add s1 netns $S type veth peer name e0 netns $E &&
	ip -n $S addr add 198.19.1.1/24 dev s0 &&
	ip -n $S addr add 198.19.2.1/24 dev s1 &&
	ip -n $D addr add 198.19.1.2/24 dev d0 &&
	ip -n $E addr add 198.19.2.2/24 dev e0 &&
	ip -n $S link set s0 up && ip -n $S link set s1 up &&
	ip -n $D link set d0 up && ip -n $E link set e0 up &&
	ip -n $D route add default via 198.19.1.1 &&
	ip -n $E route add default via 198.19.2.1 &&
	lab_exec $S sysctl -q -w net.ipv4.ip_forward=1 &&
	lab_sink $D && lab_sink $E &&
	sed -e "s/^define lan_if = .*/define lan_if = \"s0\"/" \
	    -e "s/^define portal4 = .*/define portal4 = 198.19.1.1/" \
	    -e "s/^define dns4 = .*/define dns4 = { 198.19.1.1 }/" \
	    "$SRC_ROOT/examples/iplogin-gateway.nft" >gateway2.nft &&
	lab_exec $S nft -f gateway2.nft &&
	cat >settings2 <<-EOF &&
	store = $TRASH_DIRECTORY/gw2.db
	hostname = gw2
	central store = $PG_URI
	central timeout = ${TIMEOUT}s
	EOF
	sed -e "s/^server gw/server gw2/" -e "s|$SOCK|$SOCK.2|" \
		-e "s|probe = .*|probe = 198.19.1.0/24 500ms 5s|" \
		iplogin.conf >iplogin2.conf || return 1
	lab_exec $S env IPAC_SETTINGS="$TRASH_DIRECTORY/settings2" iplogin -d \
		-c "$TRASH_DIRECTORY/iplogin2.conf" -s gw2 \
		-p "$TRASH_DIRECTORY/iplogin2.pid" >>daemon2.log 2>&1 &
	i=0
	until lab_exec $S ilcmd -S "$SOCK.2" count >/dev/null 2>&1
	do
		i=$((i + 1))
		test $i -lt 100 || { cat daemon2.log; return 1; }
		sleep 0.1
	done
}

il2 () {
	lab_exec $S ilcmd -S "$SOCK.2" "$@"
}

# host_sessions HOST sqlite|pg: HOST's sessions, every column but the host,
# from its own store (gw: $STORE) or the central store.
host_sessions () {
	case $2 in
	sqlite) sqlite3 -batch -noheader "$(test $1 = gw && echo "$STORE" ||
		echo "$TRASH_DIRECTORY/$1.db")" \
		"SELECT $SESSION_COLS FROM session ORDER BY id" ;;
	pg) pg_sql "SELECT $SESSION_COLS FROM session WHERE host_id =
		(SELECT id FROM host WHERE name = '$1') ORDER BY id" ;;
	esac
}

# logged_out DB ACCOUNT: wait until ACCOUNT's session in DB has its logout.
logged_out () {
	i=0
	until test "$(sqlite3 -batch -noheader "$1" "SELECT reason FROM session
		WHERE account = '$2'")" = del
	do
		i=$((i + 1)) && test $i -lt 50 || return 1
		sleep 0.1
	done
}

test_expect_success 'sessions on two routers: each arrives once, with its final counters after logout' '
	router2 &&
	il add $LAB_A4 carol &&
	il2 add 198.19.1.2 bob &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 4 -l 700 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 3 -l 900 &&
	lab_exec $D ipac-send -p udp -d 198.19.2.2 --dport 5000 -c 6 -l 400 &&
	lab_exec $E ipac-send -p udp -d 198.19.1.2 --dport 5000 -c 2 -l 1200 &&
	: "shipped while open, then again after the logout" &&
	lab_exec $LAB_R fetchipac &&
	lab_exec $S env IPAC_SETTINGS="$TRASH_DIRECTORY/settings2" fetchipac -S &&
	il del $LAB_A4 && il2 del 198.19.1.2 &&
	logged_out "$STORE" carol &&
	logged_out gw2.db bob &&
	lab_exec $LAB_R fetchipac &&
	lab_exec $S env IPAC_SETTINGS="$TRASH_DIRECTORY/settings2" fetchipac -S -v 2>err &&
	cat err &&
	for h in gw gw2
	do
		host_sessions $h sqlite >$h.sessions.local &&
		host_sessions $h pg >$h.sessions.central &&
		test_cmp $h.sessions.local $h.sessions.central || return 1
	done &&
	cat gw2.sessions.central &&
	test "$(pg_sql "SELECT count(*) FROM session")" = 3 &&
	echo "carol|2700|3|2800|4" >expect &&
	pg_sql "SELECT account, rx_bytes, rx_pkts, tx_bytes, tx_pkts FROM session
		WHERE account = '\''carol'\''" >actual &&
	test_cmp expect actual &&
	echo "bob|2400|2|2400|6|del" >expect &&
	pg_sql "SELECT account, rx_bytes, rx_pkts, tx_bytes, tx_pkts, reason
		FROM session WHERE account = '\''bob'\''" >actual &&
	test_cmp expect actual &&
	: "one line per account across both routers" &&
	ipacsum -d "$PG_URI" --all-hosts --sessions --format csv >all.csv &&
	cat all.csv &&
	grep "^bob,1,0,[0-9]*,2400,2,2400,6\$" all.csv &&
	grep "^carol,1,0,[0-9]*,2700,3,2800,4\$" all.csv
'

test_done
