#!/bin/sh
test_description='iplogin users: a captive-portal gateway, access and exact per-user counters'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require

SPECS=users/b,nat:users
users () {
	lab_exec "$LAB_R" ipac-users -c "$SPECS" "$@"
}

# seen NS NAME PACKETS BYTES: the counter commented NAME in NS's table
# "inet seen" (input, before the lab's sink) reads PACKETS BYTES.
seen () {
	echo "$2 $3 $4" >expect.seen &&
	lab_nft_counters "$1" inet seen | grep "^$2 " >actual.seen &&
	test_cmp expect.seen actual.seen
}

# counted CHAIN ADDR RXP RXB TXP TXB: the element of ADDR in CHAIN.
counted () {
	echo "$*" >expect.counted &&
	users counters "$1" | grep "^$1 $2 " >actual.counted &&
	test_cmp expect.counted actual.counted
}

# A (LAN, r0) - router - B (the internet, r1), C (portal and DNS, r2)
test_expect_success 'lab: LAN client A, internet host B, portal C' '
	lab_router_setup --hosts 3 &&
	lab_sink "$LAB_R" &&
	for ns in $LAB_A $LAB_B $LAB_C
	do
		lab_exec $ns nft -f - <<-EOF || return 1
		table inet seen {
			chain input {
				type filter hook input priority -100; policy accept;
				udp dport 5000 counter comment "u5000"
				udp dport 53 counter comment "dns"
				tcp dport 80 counter comment "http"
			}
		}
		EOF
	done &&
	lab_exec $LAB_R nft -f - <<-EOF
	table inet seen {
		chain input {
			type filter hook input priority 100; policy accept;
			udp dport 67 counter comment "dhcp"
			udp dport 9999 counter comment "other"
		}
	}
	table inet other {
		set users_s4 { type ipv4_addr; counter; elements = { $LAB_A4 } }
		chain users { ip saddr @users_s4 counter; }
	}
	EOF
'

test_expect_success 'the example gateway loads before iplogin, iplogin sets up' '
	sed -e "s/^define lan_if = .*/define lan_if = \"r0\"/" \
	    -e "s/^define portal4 = .*/define portal4 = $LAB_C4/" \
	    -e "s/^define portal6 = .*/define portal6 = $LAB_C6/" \
	    -e "s/^define dns4 = .*/define dns4 = { $LAB_C4 }/" \
	    -e "s/^define dns6 = .*/define dns6 = { $LAB_C6 }/" \
	    "$SRC_ROOT/examples/iplogin-gateway.nft" >gateway.nft &&
	! grep -q lan0 gateway.nft &&
	lab_exec $LAB_R nft list table inet other >other.before &&
	lab_exec $LAB_R nft -f gateway.nft &&
	users setup &&
	lab_exec $LAB_R nft list chain inet iplogin users >chain &&
	grep -c "vmap {.*jump users_[sd][46]_15 }$" chain >n &&
	echo 4 >four && test_cmp four n &&
	lab_exec $LAB_R nft list chain inet iplogin users_d6_15 >shard &&
	grep -q "ip6 daddr @users_d6_15 accept" shard &&
	lab_exec $LAB_R nft list table inet other >other.after &&
	test_cmp other.before other.after
'

test_expect_success 'before login: A reaches neither B nor B from B' '
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 300 &&
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 3 -l 300 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 2 -l 200 &&
	lab_exec $LAB_B ipac-send -6 -p udp -d $LAB_A6 --dport 5000 -c 2 -l 200 &&
	seen $LAB_B u5000 0 0 &&
	seen $LAB_A u5000 0 0
'

test_expect_success 'before login: DNS to the resolver only, HTTP to the portal' '
	lab_exec $LAB_A ipac-send -p udp -d $LAB_C4 --dport 53 -c 2 -l 80 &&
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_C6 --dport 53 -c 1 -l 100 &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 53 -c 2 -l 80 &&
	seen $LAB_C dns 3 260 &&
	seen $LAB_B dns 0 0 &&
	lab_exec $LAB_A ipac-send -p tcp -d $LAB_B4 --dport 80 -c 2 -l 120 &&
	lab_exec $LAB_A ipac-send -6 -p tcp -d $LAB_B6 --dport 80 -c 1 -l 140 &&
	seen $LAB_C http 3 380 &&
	seen $LAB_B http 0 0
'

test_expect_success 'the gateway itself: DHCP from the LAN, nothing else' '
	lab_exec $LAB_A ipac-send -p udp -d $LAB_R4A --dport 67 -c 1 -l 328 &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_R4A --dport 9999 -c 1 -l 50 &&
	seen $LAB_R dhcp 1 328 &&
	seen $LAB_R other 0 0
'

test_expect_success 'login A (IPv4): B both ways, exact element counters' '
	users add $LAB_A4 &&
	counted users $LAB_A4 0 0 0 0 &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 300 &&
	lab_exec $LAB_B ipac-send -p udp -d $LAB_A4 --dport 5000 -c 4 -l 500 &&
	seen $LAB_B u5000 7 2100 &&
	seen $LAB_A u5000 4 2000 &&
	counted users $LAB_A4 4 2000 7 2100 &&
	counted nat:users $LAB_A4 0 0 1 300
'

test_expect_success 'a second address of A, in another shard, counts on its own' '
	ip -n $LAB_A addr add 198.18.1.31/24 dev a0 &&
	ip -n $LAB_R neigh replace 198.18.1.31 lladdr 02:1a:00:00:01:02 \
		dev r0 nud permanent &&
	users add 198.18.1.31 users/b &&
	lab_exec $LAB_A ipac-send -p udp -s 198.18.1.31 -d $LAB_B4 --dport 5001 -c 2 -l 111 &&
	lab_exec $LAB_B ipac-send -p udp -d 198.18.1.31 --dport 5001 -c 3 -l 222 &&
	lab_exec $LAB_R nft list set inet iplogin users_s4_15 >shard &&
	grep -q "198.18.1.31 counter packets 2 bytes 222" shard &&
	counted users 198.18.1.31 3 666 2 222 &&
	counted users $LAB_A4 4 2000 7 2100 &&
	users del 198.18.1.31 users/b
'

test_expect_success 'logged in: HTTP goes where it was sent (a new connection)' '
	lab_exec $LAB_A ipac-send -p tcp -d $LAB_B4 --sport 40001 --dport 80 -c 2 -l 100 &&
	seen $LAB_B http 2 200 &&
	seen $LAB_C http 3 380 &&
	counted users $LAB_A4 4 2000 9 2300
'

test_expect_success 'IPv6 still closed for A, then login A (IPv6)' '
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 1 -l 100 &&
	seen $LAB_B u5000 7 2100 &&
	users add $LAB_A6 users/b &&
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 5 -l 400 &&
	lab_exec $LAB_B ipac-send -6 -p udp -d $LAB_A6 --dport 5000 -c 3 -l 1000 &&
	seen $LAB_B u5000 12 4100 &&
	seen $LAB_A u5000 7 5000 &&
	counted users $LAB_A6 3 3000 5 2000 &&
	counted users $LAB_A4 4 2000 9 2300 &&
	users counters nat:users >nat &&
	! grep -q 2001 nat &&
	lab_exec $LAB_A ipac-send -6 -p tcp -d $LAB_B6 --sport 40002 --dport 80 -c 1 -l 150 &&
	seen $LAB_C http 4 530 &&
	users add $LAB_A6 nat:users &&
	lab_exec $LAB_A ipac-send -6 -p tcp -d $LAB_B6 --sport 40003 --dport 80 -c 1 -l 150 &&
	seen $LAB_B http 3 350 &&
	seen $LAB_C http 4 530 &&
	counted users $LAB_A6 3 3000 7 2300 &&
	counted nat:users $LAB_A6 0 0 1 150
'

test_expect_success 'setup again (a daemon restart) keeps elements and counters' '
	users counters >before &&
	users setup &&
	lab_exec $LAB_R nft -f gateway.nft &&
	users counters >after &&
	test_cmp before after &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 1 -l 100 &&
	counted users $LAB_A4 4 2000 10 2400 &&
	lab_exec $LAB_R nft list chain inet iplogin users >chain2 &&
	test_cmp chain chain2
'

test_expect_success 'a bad chain spec: a clear error, nothing changed' '
	lab_exec $LAB_R nft list ruleset >rs.before &&
	test_must_fail lab_exec $LAB_R ipac-users -c users/b,nat:users/x setup 2>err &&
	echo "ipac-users: chain spec '"'"'nat:users/x'"'"': direction '"'"'x'"'"': expected s, d or b" >expect &&
	test_cmp expect err &&
	test_must_fail lab_exec $LAB_R ipac-users -c "users/b,extra/b>nochain" setup 2>err &&
	grep "setup of table inet iplogin refused: Could not process rule: No such file or directory (does every chain a spec jumps to exist in the table?)" err &&
	test_must_fail users add $LAB_B4 "users>DROP" 2>err &&
	grep "chain users: set up as filter:users/b>ACCEPT, asked for filter:users/s>DROP" err &&
	test_must_fail users add $LAB_B4 staff 2>err &&
	grep "chain staff is not set up" err &&
	lab_exec $LAB_R nft list ruleset >rs.after &&
	test_cmp rs.before rs.after
'

test_expect_success 'logout A (IPv4): final counters from the delete itself' '
	users logout $LAB_A4 >final &&
	printf "%s\n" "users $LAB_A4 4 2000 10 2400" \
		"nat:users $LAB_A4 0 0 2 400" >expect &&
	test_cmp expect final
'

test_expect_success 'after del A (IPv4): closed again, IPv6 still open' '
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 2 -l 100 &&
	seen $LAB_B u5000 13 4200 &&
	users counters >list &&
	! grep -q "$LAB_A4 " list &&
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 1 -l 100 &&
	seen $LAB_B u5000 14 4300 &&
	test_must_fail users del $LAB_A4 2>err &&
	grep "del $LAB_A4 from chain users (set users_s4_2 of table inet iplogin): No such file or directory" err
'

test_expect_success 'one batch: a del that fails deletes nothing' '
	users add $LAB_A4 users/s &&
	test_must_fail users del $LAB_A4 users/b &&
	counted users $LAB_A4 0 0 0 0 &&
	users del $LAB_A4 users/s &&
	users counters >list &&
	! grep -q "$LAB_A4 " list
'

# More than one netlink message per set (2048 keys each) and per batch.
test_expect_success 'bulk load and unload of 5000 IPv4 and 3000 IPv6 users' '
	awk "BEGIN {
		for (i = 0; i < 5000; i++)
			printf \"198.19.%d.%d\\n\", i / 250, i % 250 + 1
		for (i = 0; i < 3000; i++)
			printf \"2001:db8:9::%x users/d\\n\", i + 1
	}" >load &&
	test $(wc -l <load) = 8000 &&
	users load load &&
	users counters users >list &&
	test $(wc -l <list) = 8001 &&
	grep -c "^users 2001:db8:9::" list >n && echo 3000 >want && test_cmp want n &&
	grep -q "^users 198.19.19.250 0 0 0 0$" list &&
	grep -q "^users 2001:db8:9::bb8 0 0 0 0$" list &&
	users counters filter:users >list2 &&
	test_cmp list list2 &&
	users counters nat:users >list &&
	test $(wc -l <list) = 5001 &&
	users unload load 2>err &&
	users counters >list &&
	echo "users $LAB_A6 3 3000 8 2400" >expect &&
	echo "nat:users $LAB_A6 0 0 1 150" >>expect &&
	test_cmp expect list
'

test_expect_success 'flush: every user out, the rest of the table and foreign tables stay' '
	users flush &&
	users counters >list &&
	test_must_be_empty list &&
	lab_exec $LAB_A ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 1 -l 100 &&
	seen $LAB_B u5000 14 4300 &&
	lab_exec $LAB_R nft list chain inet iplogin forward >fwd &&
	grep -q "jump users" fwd &&
	lab_exec $LAB_R nft list table inet other >other.after &&
	test_cmp other.before other.after
'

test_done
