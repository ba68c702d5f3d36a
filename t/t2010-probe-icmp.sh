#!/bin/sh
test_description='probing engine: ICMP and ICMPv6 echo for routed clients (real kernel)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-probe.sh"

probe_require

test_expect_success 'lab: hosts behind B, routed by the router R' '
	probe_lab
'

test_expect_success 'routed IPv4 and IPv6 hosts answer echo: alive, no MAC' '
	lab_exec "$LAB_R" ipac-probe -a -d 1100 -i 200 "$PROBE_H4" "$PROBE_H6" >out &&
	cat out &&
	grep "^[0-9]* alive $PROBE_H4 - echo-reply back\$" out &&
	grep "^[0-9]* alive $PROBE_H6 - echo-reply back\$" out &&
	test "$(probe_field out "$PROBE_H4" 4)" = echo4 &&
	test "$(probe_field out "$PROBE_H6" 4)" = echo6 &&
	for h in "$PROBE_H4" "$PROBE_H6"
	do
		test "$(probe_field out "$h" 6)" = 6 &&
		test "$(probe_field out "$h" 8)" = 6 &&
		test "$(probe_field out "$h" 9)" = alive &&
		test "$(probe_field out "$h" 10)" = - || return 1
	done &&
	! grep "^[0-9]* gone" out
'

test_expect_success 'echo requests are what B forwarded, one each per probe' '
	lab_exec "$LAB_B" nft -f - <<-\EOF &&
	table inet cnt {
		chain in {
			type filter hook input priority 0; policy accept;
			icmp type echo-request counter comment "echo4"
			icmpv6 type echo-request counter comment "echo6"
		}
	}
	EOF
	test_when_finished "lab_exec $LAB_B nft delete table inet cnt" &&
	lab_exec "$LAB_R" ipac-probe -d 1100 -i 200 "$PROBE_H4" "$PROBE_H6" >out &&
	lab_nft_counters "$LAB_B" inet cnt >counts &&
	n4=$(probe_field out "$PROBE_H4" 6) &&
	n6=$(probe_field out "$PROBE_H6" 6) &&
	printf "echo4 %s %s\necho6 %s %s\n" $n4 $((n4 * 44)) $n6 $((n6 * 64)) >expect &&
	test_cmp expect counts
'

test_expect_success 'echo blocked at the host: gone within the timeout window' '
	lab_exec "$LAB_B" nft -f - <<-\EOF &&
	table inet block {
		chain in {
			type filter hook input priority 0; policy accept;
			icmp type echo-request drop
			icmpv6 type echo-request drop
		}
	}
	EOF
	test_when_finished "lab_exec $LAB_B nft delete table inet block" &&
	lab_exec "$LAB_R" ipac-probe -a -d 1800 -i 200 -T 1000 -w 200 \
		"$PROBE_H4" "$PROBE_H6" >out &&
	cat out &&
	for h in "$PROBE_H4" "$PROBE_H6"
	do
		test "$(grep -c "^[0-9]* gone $h\$" out)" = 1 &&
		gone=$(awk -v h="$h" "\$2 == \"gone\" && \$3 == h { print \$1 }" out) &&
		probe_between 1000 1300 "$gone" &&
		test "$(probe_field out "$h" 8)" = 0 || return 1
	done
'

test_expect_success 'host gone (address removed) while probed: gone' '
	{ lab_exec "$LAB_R" ipac-probe -a -d 2500 -i 200 -T 1000 -w 200 \
		"$PROBE_H4" "$PROBE_H6" >out & } &&
	probe_wait_for out " alive $PROBE_H4 - echo-reply\$" &&
	probe_wait_for out " alive $PROBE_H6 - echo-reply\$" &&
	ip -n "$LAB_B" addr del "$PROBE_H4/32" dev lo &&
	ip -n "$LAB_B" addr del "$PROBE_H6/128" dev lo &&
	wait $! &&
	cat out &&
	for h in "$PROBE_H4" "$PROBE_H6"
	do
		grep "^[0-9]* alive $h - echo-reply back\$" out &&
		probe_between 1000 1300 "$(probe_window out "$h")" &&
		test "$(probe_field out "$h" 9)" = gone || return 1
	done
'

test_expect_success 'and back: alive again' '
	ip -n "$LAB_B" addr add "$PROBE_H4/32" dev lo &&
	ip -n "$LAB_B" addr add "$PROBE_H6/128" dev lo &&
	lab_exec "$LAB_R" ipac-probe -d 500 -i 200 "$PROBE_H4" "$PROBE_H6" >out &&
	test "$(probe_field out "$PROBE_H4" 9)" = alive &&
	test "$(probe_field out "$PROBE_H6" 9)" = alive
'

# Echo replies that are not ours do not count: R pings B with ipac-send
# (100-byte packets) while our probes (44 bytes) are dropped.
test_expect_success 'echo replies to another pinger do not keep a host alive' '
	lab_exec "$LAB_B" nft -f - <<-\EOF &&
	table inet block {
		chain in {
			type filter hook input priority 0; policy accept;
			icmp type echo-request ip length 44 drop
		}
	}
	EOF
	test_when_finished "lab_exec $LAB_B nft delete table inet block" &&
	{ lab_exec "$LAB_R" ipac-probe -d 2000 -i 200 -T 1000 "$PROBE_H4" >out & } &&
	pid=$! &&
	for i in 1 2 3 4 5 6
	do
		lab_exec "$LAB_R" ipac-send -p icmp -d "$PROBE_H4" || break
		sleep 0.2
	done &&
	wait $pid &&
	cat out &&
	grep "^[0-9]* gone $PROBE_H4\$" out &&
	test "$(probe_field out "$PROBE_H4" 8)" = 0 &&
	ignored=$(awk "\$1 == \"total\" { print \$9 }" out) &&
	probe_between 3 6 "$ignored"
'

test_done
