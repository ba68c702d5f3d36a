#!/bin/sh
test_description='reloads under continuous traffic count every packet once'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require

test_expect_success 'lab and config' '
	lab_router_setup &&
	lab_warmup &&
	cat >a.conf <<-EOF &&
	stream|in|r0|udp|$LAB_A4|any 5000
	per host|in|r0|all|$LAB_A4|
	other host|in|r0|all|198.18.1.3|
	EOF
	cat >b.conf <<-EOF &&
	stream|in|r0|udp|$LAB_A4|any 5000
	per host|in|r0|all|$LAB_A4|
	newcomer|both||all||
	EOF
	lab_exec "$LAB_R" ipacset a.conf &&
	# A reference that is never reloaded: what really was forwarded.
	lab_reference "$LAB_R" ip saddr $LAB_A4 udp dport 5000
'

# reload_under_traffic X Y COUNT PAUSE_US: 20 reload pairs X, Y while A
# sends COUNT UDP packets to B, PAUSE_US apart; "stream" and "per host"
# must have counted exactly what the reference (never reloaded) saw
# forwarded, every packet once.
reload_under_traffic () {
	lab_exec "$LAB_R" ipacset "$2" &&
	lab_exec "$LAB_R" nft reset counter inet ref seen >/dev/null &&
	before_s=$(lab_counted "$LAB_R" stream) &&
	before_h=$(lab_counted "$LAB_R" "per host") || return 1
	# (a list ending in "&" runs wholly in the background: start afresh)
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c $3 -l 120 -i $4 &
	sender=$! &&
	i=0 &&
	while test $i -lt 20
	do
		lab_exec "$LAB_R" ipacset "$1" &&
		lab_exec "$LAB_R" ipacset "$2" || break
		i=$((i + 1))
	done &&
	wait $sender &&
	{ test $i -eq 20 || { echo "only $i reload pairs went through"; false; }; } &&
	lab_reference_read "$LAB_R" >ref &&
	read packets bytes <ref &&
	# (a blast may lose some on the way: the reference says what passed)
	test $packets -ge $(($3 / 2)) && test $bytes -eq $((packets * 120)) &&
	for name in stream "per host"
	do
		case $name in
		stream) before=$before_s ;;
		*) before=$before_h ;;
		esac &&
		lab_counted "$LAB_R" "$name" >got &&
		read gp gb <got &&
		gp=$((gp - ${before% *})) &&
		gb=$((gb - ${before#* })) &&
		echo "$name: counted $gp of $packets forwarded packets" &&
		test $gp -eq $packets && test $gb -eq $bytes || return 1
	done
}

test_expect_success 'reload 40 times while 20000 packets flow: each counted once' '
	reload_under_traffic b.conf a.conf 20000 100
'

test_expect_success 'the same with interval maps (per-host prefixes)' '
	printf "%s\n" "stream|in|r0|udp|$LAB_A4|any 5000" \
		"per host|in|r0|all|198.18.1.0/30|" \
		"other host|in|r0|all|198.18.1.64/26|" >c.conf &&
	printf "%s\n" "stream|in|r0|udp|$LAB_A4|any 5000" \
		"per host|in|r0|all|198.18.1.0/30|" "newcomer|both||all||" >d.conf &&
	: "interval maps are replaced whole" &&
	lab_exec "$LAB_R" ipacset c.conf &&
	lab_exec "$LAB_R" ipacset -v d.conf 2>err &&
	! grep "the rest as it was" err &&
	reload_under_traffic d.conf c.conf 20000 100
'

# (A's address sorts after the other hosts: a host more or less before it
# must not move A's rule, in a map or a tree of chains.)
test_expect_success 'the same with 40 per-host lines, hosts coming and going' '
	{
		echo "stream|in|r0|udp|$LAB_A4|any 5000" &&
		echo "per host|in|r0|all|$LAB_A4|" &&
		i=100 &&
		while test $i -le 139
		do
			echo "h$i|in|r0|all|198.18.0.$i|" &&
			i=$((i + 1))
		done
	} >e.conf &&
	{
		grep -v "^h120|" e.conf &&
		i=80 &&
		while test $i -le 99
		do
			echo "h$i|in|r0|all|198.18.0.$i|" &&
			i=$((i + 1))
		done
	} >f.conf &&
	: "plain maps (nftables): a reload sends only the elements and counters that change" &&
	lab_exec "$LAB_R" ipacset e.conf &&
	lab_exec "$LAB_R" ipacset -v f.conf 2>err &&
	if test "$IPAC_TEST_BACKEND" != iptables
	then
		grep "20 counters new, 1 gone, 20 map elements added and 1 deleted; the rest as it was" err
	fi &&
	reload_under_traffic f.conf e.conf 20000 100
'

# (An address whose element moves to another counter: the old element
# and the new are both in the map's hash table through the commit.  The
# iptables backend loses what a name that goes away counts between the
# snapshot before the change and the change: ipacset.8, BUGS.)
test "$IPAC_TEST_BACKEND" = iptables ||
test_expect_success 'A renamed back and forth in 40 reloads while 20000 packets flow: the store has every packet once, under one name or the other' '
	{
		echo "per host|in|r0|all|$LAB_A4|" &&
		i=100 &&
		while test $i -le 139
		do
			echo "h$i|in|r0|all|198.18.0.$i|" &&
			i=$((i + 1))
		done
	} >g.conf &&
	sed "s/^per host|/per host moved|/" g.conf >h.conf &&
	lab_exec "$LAB_R" ipacset g.conf &&
	lab_exec "$LAB_R" fetchipac &&
	read p0 b0 <<-EOF &&
	$(stored "per host")
	EOF
	read q0 c0 <<-EOF &&
	$(stored "per host moved")
	EOF
	lab_exec "$LAB_R" nft reset counter inet ref seen >/dev/null &&
	lab_exec "$LAB_R" ipacset -v h.conf 2>err &&
	grep "1 counters new, 1 gone, 1 map elements added and 1 deleted; the rest as it was" err || return 1
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 20000 -l 120 -i 100 &
	sender=$! &&
	i=0 &&
	while test $i -lt 20
	do
		lab_exec "$LAB_R" ipacset g.conf &&
		lab_exec "$LAB_R" ipacset h.conf || break
		i=$((i + 1))
	done &&
	wait $sender &&
	test $i -eq 20 &&
	lab_exec "$LAB_R" ipacset g.conf &&
	lab_quiet "$LAB_R" "per host" &&
	lab_exec "$LAB_R" fetchipac &&
	lab_reference_read "$LAB_R" >ref &&
	read packets bytes <ref &&
	read p1 b1 <<-EOF &&
	$(stored "per host")
	EOF
	read q1 c1 <<-EOF &&
	$(stored "per host moved")
	EOF
	echo "forwarded $packets; stored per host $((p1 - p0)), per host moved $((q1 - q0))" &&
	test $((q1 - q0)) -gt 0 && test $((p1 - p0)) -gt 0 &&
	test $((p1 - p0 + q1 - q0)) = $packets &&
	test $((b1 - b0 + c1 - c0)) = $bytes
'

# (A map of 1,024 elements or more is made with a size, twice what it
# holds: a reload that adds more than fit is refused by the kernel and
# replaced whole, with maps sized again.)
test "$IPAC_TEST_BACKEND" = iptables ||
test_expect_success 'a sized map outgrown by a reload: replaced whole, every packet once' '
	{
		echo "stream|in|r0|udp|$LAB_A4|any 5000" &&
		echo "per host|in|r0|all|$LAB_A4|" &&
		awk "BEGIN { for (i = 0; i < 1100; i++)
			printf \"s%d|in|r0|all|198.19.%d.%d|\\n\", i,
			    int(i / 250), i % 250 + 1 }"
	} >s.conf &&
	{
		cat s.conf &&
		awk "BEGIN { for (i = 1100; i < 2300; i++)
			printf \"s%d|in|r0|all|198.19.%d.%d|\\n\", i,
			    int(i / 250), i % 250 + 1 }"
	} >t.conf &&
	test $(wc -l <t.conf) = 2302 &&
	: "a whole apply makes the maps: sized" &&
	IPAC_TEST_FULL_APPLY=1 lab_exec "$LAB_R" ipacset s.conf &&
	lab_exec "$LAB_R" nft list table inet ipac >list &&
	grep -x "		size 2202" list &&
	lab_exec "$LAB_R" ipacset -v t.conf 2>err &&
	grep "the changes alone were refused" err &&
	lab_exec "$LAB_R" nft list table inet ipac >list &&
	grep -x "		size 4602" list &&
	: "back, and out again: these fit, only the changes are sent" &&
	lab_exec "$LAB_R" ipacset -v s.conf 2>err &&
	grep "0 counters new, 1200 gone, 0 map elements added and 1200 deleted; the rest as it was" err &&
	lab_exec "$LAB_R" ipacset -v t.conf 2>err &&
	grep "1200 counters new, 0 gone, 1200 map elements added and 0 deleted; the rest as it was" err &&
	reload_under_traffic t.conf s.conf 20000 100
'

test_expect_success 'both again under a blast of 200000 packets' '
	reload_under_traffic b.conf a.conf 200000 0 &&
	reload_under_traffic d.conf c.conf 200000 0
'

test_done
