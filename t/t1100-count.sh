#!/bin/sh
test_description="ipacset counts exactly what was sent (${IPAC_TEST_BACKEND:-nftables}, real kernel)"
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require

# expect NAME PACKETS BYTES
expect () {
	echo "$2 $3" >expect.$$ &&
	lab_counted "$LAB_R" "$1" >actual.$$ &&
	test_cmp expect.$$ actual.$$
}

test_expect_success 'lab with a router between LAN A and uplink B' '
	lab_router_setup &&
	lab_hosts "$LAB_R" "$LAB_B4 bhost" "$LAB_B6 bhost" &&
	lab_sink "$LAB_R" &&
	lab_warmup
'

cat >ipac.conf <<EOF
# forwarded, each way, by interface and direction
A to B|in|r0|all|$LAB_A4|$LAB_B4
B to A|out|r0|all|$LAB_B4|$LAB_A4
# to and from the router itself
local in|in|r0|all||$LAB_R4A
local out|out|r0|all|$LAB_R4A|
# both = either way, counted once per packet
udp 5000|both||udp||any 5000
tcp list|both||tcp||any 22 80 443
tcp range|both||tcp||any 6000:6010
not 5000|in|r0|udp||any !5000
wild in|in|r+|all||
icmp echo|in|r0|icmp|any echo-request|
v6 from A|in|r0|all|$LAB_A6|
hostname|in|r0|all||bhost
# same name on two lines: one total
pair|in|r0|udp||any 7001
pair|in|r0|udp||any 7002
# per-host lines: compiled into one map
to h2|in|r1|all||$LAB_A4
to h3|in|r1|all||198.18.1.3
to net|in|r1|all||198.18.1.128/25
EOF

test_expect_success 'apply the config in the router' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_ruleset "$LAB_R" >table &&
	case $IPAC_TEST_BACKEND in
	iptables) grep -q -e "-A ipac~fo -s $LAB_B4/32 -d $LAB_A4/32 -o r0 -m comment --comment \"B to A\"" table ;;
	*) grep -q "map m0" table ;;
	esac
'

test_expect_success 'UDP A to B, port 5000: 7 packets of 300 bytes' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 7 -l 300 &&
	expect "A to B" 7 2100 &&
	expect "udp 5000" 7 2100 &&
	expect "wild in" 7 2100 &&
	expect "not 5000" 0 0 &&
	expect "B to A" 0 0 &&
	expect "hostname" 7 2100
'

test_expect_success 'TCP to listed ports and a range' '
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 80 -c 3 -l 200 &&
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 443 -c 2 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 6005 -c 4 -l 60 &&
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 6011 -c 1 -l 60 &&
	expect "tcp list" 5 800 &&
	expect "tcp range" 4 240 &&
	expect "A to B" 17 3200 &&
	expect "wild in" 17 3200
'

test_expect_success 'UDP to another port counts under the negated port list' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5001 -c 2 -l 64 &&
	expect "not 5000" 2 128 &&
	expect "udp 5000" 7 2100
'

test_expect_success 'two lines of one name add up' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7001 -c 3 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 7002 -c 5 -l 100 &&
	expect pair 8 800
'

test_expect_success 'B to A: forwarded out on r0, and both counts once' '
	lab_exec "$LAB_B" ipac-send -p udp -d $LAB_A4 --dport 5000 -c 4 -l 500 &&
	expect "B to A" 4 2000 &&
	expect "udp 5000" 11 4100 &&
	expect "to h2" 4 2000 &&
	expect "wild in" 31 6128
'

test_expect_success 'ICMP echo: requests counted by type, replies not' '
	lab_exec "$LAB_A" ipac-send -p icmp -d $LAB_B4 -c 3 -l 84 &&
	expect "icmp echo" 3 252 &&
	expect "B to A" 7 2252
'

test_expect_success 'local in and local out of the router' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_R4A --dport 9 -c 6 -l 128 &&
	lab_exec "$LAB_R" ipac-send -p udp -s $LAB_R4A -d $LAB_A4 --dport 9 -c 5 -l 90 &&
	expect "local in" 6 768 &&
	expect "local out" 5 450
'

test_expect_success 'IPv6 from A, and a hostname with an IPv6 address' '
	lab_exec "$LAB_A" ipac-send -6 -p udp -d $LAB_B6 --dport 5000 -c 4 -l 150 &&
	expect "v6 from A" 4 600 &&
	# everything A sent to bhost: UDP 7/2100, TCP 10/1100, UDP 2/128,
	# pair 8/800, echo requests 3/252 and now IPv6 4/600
	expect "hostname" 34 4980 &&
	expect "udp 5000" 15 4700
'

test_expect_success 'per-host map: each host its own total' '
	lab_exec "$LAB_B" ipac-send -p udp -d 198.18.1.3 --dport 9 -c 2 -l 70 &&
	lab_exec "$LAB_B" ipac-send -p udp -d 198.18.1.200 --dport 9 -c 3 -l 80 &&
	expect "to h2" 7 2252 &&
	expect "to h3" 2 140 &&
	expect "to net" 3 240
'

test_done
