#!/bin/sh
test_description='probing engine: ARP for on-link IPv4 clients (real kernel)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-probe.sh"

probe_require

test_expect_success 'lab: the prober in router R, A and B on-link' '
	probe_lab
'

test_expect_success 'an answering host is alive with its exact MAC' '
	lab_exec "$LAB_R" ipac-probe -d 1100 -i 200 "$LAB_A4" "$LAB_B4" >out &&
	grep "^[0-9]* alive $LAB_A4 $PROBE_AMAC arp-reply back newmac\$" out &&
	grep "^[0-9]* alive $LAB_B4 $(probe_mac "$LAB_B" b0) arp-reply back newmac\$" out &&
	test "$(probe_field out "$LAB_A4" 4)" = arp &&
	test "$(probe_field out "$LAB_A4" 6)" = 6 &&
	test "$(probe_field out "$LAB_A4" 8)" = 6 &&
	test "$(probe_field out "$LAB_A4" 9)" = alive &&
	test "$(probe_field out "$LAB_A4" 10)" = "$PROBE_AMAC" &&
	! grep "^[0-9]* gone" out
'

test_expect_success 'A received exactly the probes sent, unicast after the first' '
	lab_exec "$LAB_A" nft -f - <<-\EOF &&
	table arp cnt {
		chain in {
			type filter hook input priority 0; policy accept;
			arp operation request ether daddr ff:ff:ff:ff:ff:ff counter comment "bcast"
			arp operation request ether daddr != ff:ff:ff:ff:ff:ff counter comment "ucast"
		}
	}
	EOF
	test_when_finished "lab_exec $LAB_A nft delete table arp cnt" &&
	lab_exec "$LAB_R" ipac-probe -d 1100 -i 200 "$LAB_A4" >out &&
	sent=$(probe_field out "$LAB_A4" 6) &&
	lab_nft_counters "$LAB_A" arp cnt >counts &&
	cat counts &&
	echo "bcast 1 28" >expect &&
	echo "ucast $((sent - 1)) $(( (sent - 1) * 28 ))" >>expect &&
	test_cmp expect counts
'

test_expect_success 'link down: gone within the timeout window' '
	{ lab_exec "$LAB_R" ipac-probe -a -d 3000 -i 200 -T 1000 -m 2 -w 200 \
		"$LAB_A4" >out & } &&
	probe_wait_for out " alive $LAB_A4 .* arp-reply\$" &&
	sleep 0.3 &&
	ip -n "$LAB_A" link set a0 down &&
	wait $! &&
	ip -n "$LAB_A" link set a0 up &&
	cat out &&
	test "$(grep -c " gone $LAB_A4\$" out)" = 1 &&
	gone=$(awk "\$2 == \"gone\" { print \$1 }" out) &&
	probe_between 1200 3000 "$gone" &&
	probe_between 1000 1300 "$(probe_window out "$LAB_A4")" &&
	test "$(probe_field out "$LAB_A4" 9)" = gone
'

test_expect_success 'wait for the link to A to come back' '
	lab_settle &&
	lab_exec "$LAB_R" ipac-probe -d 300 -i 100 "$LAB_A4" >out &&
	test "$(probe_field out "$LAB_A4" 9)" = alive
'

test_expect_success 'no ARP replies from A: gone' '
	lab_exec "$LAB_A" nft -f - <<-\EOF &&
	table arp noreply {
		chain out {
			type filter hook output priority 0; policy accept;
			arp operation reply drop
		}
	}
	EOF
	lab_exec "$LAB_R" ipac-probe -d 1500 -i 200 -T 1000 "$LAB_A4" >out &&
	cat out &&
	grep "^[0-9]* gone $LAB_A4\$" out &&
	test "$(probe_field out "$LAB_A4" 8)" = 0
'

# A looks for the router by ARP every 200 ms (its neighbour entry
# deleted each time): requests from the client are life though it
# never answers a probe.
test_expect_success 'an ARP request from the client counts as life' '
	{ lab_exec "$LAB_R" ipac-probe -a -d 2000 -i 200 -T 1000 "$LAB_A4" >out & } &&
	pid=$! &&
	for i in 1 2 3 4 5 6 7 8 9
	do
		ip -n "$LAB_A" neigh del "$LAB_R4A" dev a0 2>/dev/null
		lab_exec "$LAB_A" ipac-send -p icmp -d "$LAB_R4A" || break
		sleep 0.2
	done &&
	wait $pid &&
	cat out &&
	grep "^[0-9]* alive $LAB_A4 $PROBE_AMAC arp-request back newmac\$" out &&
	! grep "^[0-9]* gone" out &&
	test "$(probe_field out "$LAB_A4" 9)" = alive &&
	lab_exec "$LAB_A" nft delete table arp noreply
'

test_expect_success 'lazy: no probes while lazy, probes after (counted by A)' '
	lab_exec "$LAB_A" nft -f - <<-\EOF &&
	table arp cnt {
		chain in {
			type filter hook input priority 0; policy accept;
			arp operation request counter comment "req"
		}
	}
	EOF
	test_when_finished "lab_exec $LAB_A nft delete table arp cnt" &&
	{ lab_exec "$LAB_R" ipac-probe -d 2200 -i 200 -T 600 -L "$LAB_A4:1200" \
		"$LAB_A4" >out & } &&
	sleep 1 &&
	lab_nft_counters "$LAB_A" arp cnt >during &&
	wait $! &&
	lab_nft_counters "$LAB_A" arp cnt >after &&
	cat out during after &&
	echo "req 0 0" >expect &&
	test_cmp expect during &&
	grep "^1[0-9][0-9][0-9] lazy-off $LAB_A4 sent 0\$" out &&
	sent=$(probe_field out "$LAB_A4" 6) &&
	test "$sent" -ge 4 &&
	echo "req $sent $((sent * 28))" >expect &&
	test_cmp expect after &&
	! grep "^[0-9]* gone" out
'

# The probe after a reply goes unicast to the learned MAC; a new NIC
# (MAC) misses it, and the broadcast after the miss finds the new MAC.
test_expect_success 'a changed MAC is found by the broadcast and reported' '
	{ lab_exec "$LAB_R" ipac-probe -a -d 2000 -i 200 -T 1500 "$LAB_A4" >out & } &&
	pid=$! &&
	probe_wait_for out " alive $LAB_A4 .* arp-reply\$" &&
	ip -n "$LAB_A" link set a0 address 02:1a:00:00:01:99 &&
	wait $pid &&
	test_when_finished "ip -n $LAB_A link set a0 address $PROBE_AMAC" &&
	cat out &&
	grep "^[0-9]* alive $LAB_A4 $PROBE_AMAC arp-reply back newmac\$" out &&
	grep "^[0-9]* alive $LAB_A4 02:1a:00:00:01:99 arp-reply newmac\$" out &&
	! grep "^[0-9]* gone" out &&
	test "$(probe_field out "$LAB_A4" 10)" = 02:1a:00:00:01:99
'

test_done
