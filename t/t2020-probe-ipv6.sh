#!/bin/sh
test_description='probing engine: neighbour discovery for on-link IPv6 clients (real kernel)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-probe.sh"

probe_require

test_expect_success 'lab: the prober in router R, A on-link' '
	probe_lab
'

# The first NS goes to the solicited-node group, so the NA carries A's
# MAC; later ones go unicast to that MAC and their NAs need not.
test_expect_success 'A answers NS: alive with its exact MAC' '
	lab_exec "$LAB_R" ipac-probe -a -d 1100 -i 200 "$LAB_A6" >out &&
	cat out &&
	grep "^[0-9]* alive $LAB_A6 $PROBE_AMAC nd-advert back newmac\$" out &&
	test "$(grep -c " alive $LAB_A6 .* nd-advert" out)" = 6 &&
	test "$(probe_field out "$LAB_A6" 4)" = ns &&
	test "$(probe_field out "$LAB_A6" 6)" = 6 &&
	test "$(probe_field out "$LAB_A6" 8)" = 6 &&
	test "$(probe_field out "$LAB_A6" 10)" = "$PROBE_AMAC" &&
	! grep "^[0-9]* gone" out
'

test_expect_success 'A got one multicast NS, then unicast ones, all valid' '
	lab_exec "$LAB_A" nft -f - <<-\EOF &&
	table netdev cnt {
		chain in {
			type filter hook ingress device a0 priority 0; policy accept;
			icmpv6 type nd-neighbor-solicit ether daddr 33:33:ff:00:00:02 ip6 daddr ff02::1:ff00:2 ip6 hoplimit 255 counter comment "mcast"
			icmpv6 type nd-neighbor-solicit ether daddr 02:1a:00:00:01:02 ip6 daddr 2001:db8:1::2 ip6 hoplimit 255 counter comment "ucast"
		}
	}
	table inet cnt {
		chain out {
			type filter hook output priority 0; policy accept;
			icmpv6 type nd-neighbor-advert counter comment "na"
		}
	}
	EOF
	test_when_finished "lab_exec $LAB_A nft delete table netdev cnt; lab_exec $LAB_A nft delete table inet cnt" &&
	lab_exec "$LAB_R" ipac-probe -d 1100 -i 200 "$LAB_A6" >out &&
	sent=$(probe_field out "$LAB_A6" 6) &&
	{
		lab_nft_counters "$LAB_A" netdev cnt &&
		lab_nft_counters "$LAB_A" inet cnt
	} >counts &&
	cat counts &&
	awk "{ print \$1, \$2 }" counts >got &&
	printf "mcast 1\nucast %s\nna %s\n" $((sent - 1)) $sent >expect &&
	test_cmp expect got
'

test_expect_success 'A silent (its NAs dropped): gone within the window' '
	lab_exec "$LAB_A" nft -f - <<-\EOF &&
	table inet nona {
		chain out {
			type filter hook output priority 0; policy accept;
			icmpv6 type nd-neighbor-advert drop
		}
	}
	EOF
	lab_exec "$LAB_R" ipac-probe -a -d 1500 -i 200 -T 1000 -w 200 "$LAB_A6" >out &&
	cat out &&
	gone=$(awk "\$2 == \"gone\" { print \$1 }" out) &&
	probe_between 1000 1300 "$gone" &&
	test "$(probe_field out "$LAB_A6" 8)" = 0
'

# A looks for the router (its neighbour entry deleted each time): the
# multicast NS from A, with its source link-layer option, is life.
test_expect_success 'an NS from the client counts as life' '
	{ lab_exec "$LAB_R" ipac-probe -a -d 2000 -i 200 -T 1000 "$LAB_A6" >out & } &&
	pid=$! &&
	for i in 1 2 3 4 5 6 7 8 9
	do
		ip -n "$LAB_A" -6 neigh del "$LAB_R6A" dev a0 2>/dev/null
		lab_exec "$LAB_A" ipac-send -6 -p icmp -d "$LAB_R6A" || break
		sleep 0.2
	done &&
	wait $pid &&
	cat out &&
	grep "^[0-9]* alive $LAB_A6 $PROBE_AMAC nd-solicit back newmac\$" out &&
	! grep "^[0-9]* gone" out &&
	test "$(probe_field out "$LAB_A6" 9)" = alive &&
	lab_exec "$LAB_A" nft delete table inet nona
'

# Link down drops A's IPv6 addresses (keep_addr_on_down=0): its admin
# (or SLAAC) puts it back.
test_expect_success 'link down: gone; up again with its address: back' '
	{ lab_exec "$LAB_R" ipac-probe -a -d 4000 -i 200 -T 1000 -w 200 \
		"$LAB_A6" >out & } &&
	probe_wait_for out " alive $LAB_A6 - nd-advert\$" &&
	ip -n "$LAB_A" link set a0 down &&
	sleep 1.3 &&
	ip -n "$LAB_A" link set a0 up &&
	ip -n "$LAB_A" addr add "$LAB_A6/64" dev a0 nodad &&
	wait $! &&
	cat out &&
	grep "^[0-9]* gone $LAB_A6\$" out &&
	probe_between 1000 1300 "$(awk "\$2 == \"gone\" { g = \$1 } \$2 == \"alive\" && !g { l = \$1 } END { print g - l }" out)" &&
	test "$(grep -c " alive $LAB_A6 .* back" out)" = 2
'

test_done
