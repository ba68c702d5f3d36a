#!/bin/sh
test_description='the systemd units: fetchipac and iplogin work with exactly the capabilities their units give, and need each one'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog setpriv sqlite3 stat

# caps UNIT [CAP]: the CapabilityBoundingSet of examples/UNIT as
# setpriv's --bounding-set, without CAP if given.
caps () {
	sed -n 's/^CapabilityBoundingSet=//p' "$SRC_ROOT/examples/$1" |
	tr ' ' '\n' | tr A-Z a-z | grep -v "^${2:-none}$" |
	sed 's/^cap_/+/' | tr '\n' , | sed 's/^/-all,/; s/,$//'
}

# as_unit CAPS CMD...: CMD in the router's namespace as its unit starts
# it: root with only CAPS, no new privileges (and nothing inherited).
as_unit () {
	as_unit_c_=$1
	shift
	lab_exec "$LAB_R" setpriv --bounding-set="$as_unit_c_" --inh-caps=-all \
		--no-new-privs "$@"
}

# send N: N UDP packets of 100 bytes from A to B
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c "$1" -l 100
}

stored () {
	q "SELECT coalesce(sum(s.bytes), 0) FROM sample s JOIN rule r
		ON r.id = s.rule_id WHERE r.name = '$1'"
}

test_expect_success 'the units give fetchipac and iplogin these capabilities' '
	test "$(caps fetchipac.service)" = "-all,+net_admin,+net_raw" &&
	test "$(caps iplogin@.service)" = "-all,+net_admin,+net_raw,+chown" &&
	test "$(caps iplogin@.service cap_chown)" = "-all,+net_admin,+net_raw"
'

if command -v systemd-analyze >/dev/null 2>&1
then
	test_set_prereq SYSTEMD_ANALYZE
fi

test_expect_success SYSTEMD_ANALYZE 'systemd-analyze verify: the units are sound' '
	for u in fetchipac.service fetchipac.timer iplogin@.service
	do
		sed "s|/usr/local/sbin/\([a-z]*\)|$(dirname "$(command -v fetchipac)")/\1|" \
			"$SRC_ROOT/examples/$u" >"$u" || return 1
	done &&
	sed "s|/usr/local/sbin/iplogin|$(command -v iplogin)|" \
		"$SRC_ROOT/examples/iplogin@.service" >iplogin@gw.service &&
	systemd-analyze verify --man=no fetchipac.service fetchipac.timer \
		iplogin@gw.service >verify 2>&1 &&
	test_must_be_empty verify
'

FCAPS=$(caps fetchipac.service)

# The iptables backend, where the kernel has legacy tables.
test_ipt_=ipac-$$-legacy-probe
if command -v iptables-legacy >/dev/null 2>&1 &&
   ip netns add "$test_ipt_" 2>/dev/null
then
	ip netns exec "$test_ipt_" iptables-legacy -w -L INPUT >/dev/null 2>&1 &&
		test_set_prereq IPTABLES
	ip netns delete "$test_ipt_"
fi

test_expect_success 'fetchipac with its unit'\''s capabilities: stores, repairs (nftables)' '
	lab_router_setup &&
	echo "a|in|r0|all|$LAB_A4|" >ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	as_unit "$FCAPS" fetchipac &&
	send 3 &&
	as_unit "$FCAPS" fetchipac &&
	test "$(stored a)" = 300 &&
	lab_exec "$LAB_R" nft flush ruleset &&
	test_expect_code 3 as_unit "$FCAPS" fetchipac 2>err &&
	grep corrupted err &&
	send 2 &&
	as_unit "$FCAPS" fetchipac &&
	test "$(stored a)" = 500
'

test_expect_success '... and fails without CAP_NET_ADMIN' '
	test_expect_code 2 as_unit "$(caps fetchipac.service cap_net_admin)" \
		fetchipac 2>err &&
	grep "not permitted" err
'

test_expect_success IPTABLES 'fetchipac with its unit'\''s capabilities: stores, repairs (iptables)' '
	lab_exec "$LAB_R" ipacset -b iptables ipac.conf &&
	as_unit "$FCAPS" fetchipac &&
	send 4 &&
	as_unit "$FCAPS" fetchipac &&
	test "$(stored a)" = 900 &&
	lab_exec "$LAB_R" iptables-legacy -w -F &&
	test_expect_code 3 as_unit "$FCAPS" fetchipac 2>err &&
	grep corrupted err &&
	send 1 &&
	as_unit "$FCAPS" fetchipac &&
	test "$(stored a)" = 1000
'

test_expect_success IPTABLES '... and fails without CAP_NET_RAW (libiptc)' '
	test_expect_code 2 as_unit "$(caps fetchipac.service cap_net_raw)" \
		fetchipac 2>err &&
	grep "Permission denied" err &&
	lab_cleanup
'

ICAPS=$(caps iplogin@.service)

# unit_start CAPS: iplogin as its unit's ExecStart runs it (detaching),
# with CAPS; when the command returns, the daemon must answer.
unit_start () {
	rm -f "$TRASH_DIRECTORY/iplogin.pid"
	as_unit "$1" iplogin -c "$TRASH_DIRECTORY/iplogin.conf" -s gw \
		-p "$TRASH_DIRECTORY/iplogin.pid" 2>start.err &&
	il count >count &&
	i=0 &&
	while ! test -s "$TRASH_DIRECTORY/iplogin.pid"
	do
		i=$((i + 1))
		test $i -lt 50 || return 1
		sleep 0.1
	done
}

# unit_stop: SIGTERM, as systemctl stop sends it; wait until it is gone.
# The daemon detached, so its parent is PID 1, which may leave it a
# zombie for a while outside systemd: a zombie is gone.
unit_stop () {
	test -s "$TRASH_DIRECTORY/iplogin.pid" || return 0
	pid=$(cat "$TRASH_DIRECTORY/iplogin.pid")
	kill -TERM "$pid" 2>/dev/null
	i=0
	while st=$(ps -o stat= -p "$pid") && test -n "$st"
	do
		case $st in
		Z*)	break ;;
		esac
		i=$((i + 1))
		test $i -lt 100 || { echo "iplogin $pid did not stop ($st)"; return 1; }
		sleep 0.1
	done
	rm -f "$TRASH_DIRECTORY/iplogin.pid"
}
test_atexit unit_stop

test_expect_success 'iplogin lab' '
	il_lab &&
	cat >iplogin.conf <<-EOF
	server gw
	    listen = $SOCK
	    socket_group = nogroup
	    chains = users/b, nat:users
	    probe = 198.18.0.0/15 300ms 2s
	    probe = 2001:db8::/32 300ms 2s
	    counterinterval = 1

	client root
	    user = 0
	    perms = any
	EOF
'

test_expect_success 'iplogin with its unit'\''s capabilities: ready when it detaches, socket for socket_group' '
	unit_start "$ICAPS" &&
	echo 0 >expect && test_cmp expect count &&
	test "$(stat -c %G "$SOCK")" = nogroup
'

test_expect_success '... logs clients in, probes them (ARP, neighbour solicitation), counts them' '
	il add $LAB_A4 alice &&
	il add $LAB_A6 alice6 users/b &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 300 &&
	seen $LAB_B u5000 7 2100 &&
	sleep 1.5 &&
	il stat $LAB_A4 >stat4 &&
	grep "^Type: arpping$" stat4 &&
	grep "^MAC: 02:" stat4 &&
	il stat $LAB_A6 >stat6 &&
	grep "^MAC: 02:" stat6 &&
	il del $LAB_A4 &&
	il del $LAB_A6 &&
	sleep 0.5 &&
	q "SELECT reason || '\'' '\'' || tx_bytes FROM session WHERE account = '\''alice'\''" >actual &&
	echo "del 2100" >expect &&
	test_cmp expect actual
'

test_expect_success '... and stops on SIGTERM (systemctl stop): clients logged out' '
	test_when_finished unit_stop &&
	il add $LAB_A4 bob &&
	sleep 0.5 &&
	unit_stop &&
	! il count 2>/dev/null &&
	test "$(q "SELECT reason FROM session WHERE account = '\''bob'\''")" = shutdown
'

test_expect_success '... without CAP_CHOWN: the socket is not socket_group'\''s' '
	test_when_finished unit_stop &&
	unit_start "$(caps iplogin@.service cap_chown)" &&
	test "$(stat -c %G "$SOCK")" = root &&
	grep "group nogroup: Operation not permitted" start.err
'

test_expect_success '... without CAP_NET_RAW: no probes, it does not start' '
	test_must_fail as_unit "$(caps iplogin@.service cap_net_raw)" \
		iplogin -c "$TRASH_DIRECTORY/iplogin.conf" -s gw 2>err &&
	grep "probes: Operation not permitted" err &&
	! il count 2>/dev/null
'

test_expect_success '... without CAP_NET_ADMIN: no kernel set-up, it does not start' '
	test_must_fail as_unit "$(caps iplogin@.service cap_net_admin)" \
		iplogin -c "$TRASH_DIRECTORY/iplogin.conf" -s gw 2>err &&
	grep "setup of table inet iplogin refused" err &&
	! il count 2>/dev/null
'

test_done
