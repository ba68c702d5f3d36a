#!/bin/sh
test_description='ipacset apply, reload, flush and repair touch only our table'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

test_require_root_netns

# The whole ruleset of the router, without counter values.
# Maps are "mN" or "nN" by turns from one apply to the next (see
# map_letter() in lib/nft.c): print them all as "mN".
ruleset () {
	lab_exec "$LAB_R" nft -s list ruleset |
	sed 's/\(map \|@\)n\([0-9][0-9]*\)/\1m\2/g'
}

test_expect_success 'lab, and a foreign table with rules of its own' '
	lab_router_setup &&
	printf "%s\n" "table inet foreign {" "counter seen { }" \
		"chain forward_count { type filter hook forward priority 10; policy accept;" \
		"ip saddr 198.18.1.0/24 counter name \"seen\"" "}" "}" >foreign.nft &&
	lab_exec "$LAB_R" nft -f foreign.nft &&
	lab_exec "$LAB_R" nft -s list table inet foreign >foreign.before
'

cat >ipac.conf <<EOF
total in|in|r1|all||
total out|out|r1|all||
h1|in|r0|all|198.18.1.2|
h2|in|r0|all|198.18.1.3|
web|both||tcp||any 80 443
EOF

test_expect_success 'apply creates table inet ipac and leaves the rest alone' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" nft -s list table inet ipac >ipac.table &&
	grep -q "counter c_total_20in" ipac.table &&
	lab_exec "$LAB_R" nft -s list table inet foreign >foreign.after &&
	test_cmp foreign.before foreign.after
'

test_expect_success 'the kernel holds what -D prints' '
	ipacset -D ipac.conf >dry &&
	grep -c "counter name" dry >n.dry &&
	grep -c "counter name" ipac.table >n.kernel &&
	test_cmp n.dry n.kernel
'

test_expect_success 'applying twice gives the same kernel ruleset' '
	ruleset >first &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	ruleset >second &&
	test_cmp first second
'

test_expect_success 'counters survive a reload, and a changed config' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 5 -l 200 &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	echo "total out|out|r1|all||" >changed.conf &&
	echo "new|in|r0|all||" >>changed.conf &&
	lab_exec "$LAB_R" ipacset changed.conf &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "1000 5 |total out|" list &&
	grep -x "0 0 |new|" list &&
	! grep "|h1|" list
'

test_expect_success 'a bad config changes nothing in the kernel' '
	ruleset >before &&
	printf "ok|in||all||\nbad|sideways||all||\n" >bad.conf &&
	test_must_fail lab_exec "$LAB_R" ipacset bad.conf 2>err &&
	grep "bad.conf:2:5: " err &&
	ruleset >after &&
	test_cmp before after
'

test_expect_success 'a ruleset nftables refuses changes nothing either' '
	ruleset >before &&
	# "counter" is a keyword of the nft language: nftables says no
	test_must_fail lab_exec "$LAB_R" ipacset -T counter ipac.conf 2>err &&
	grep "nftables refused" err &&
	ruleset >after &&
	test_cmp before after
'

test_expect_success '--fix-chains does nothing when all is in place' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	ruleset >before &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	test_must_be_empty err &&
	ruleset >after &&
	test_cmp before after
'

test_expect_success '--fix-chains repairs a flushed chain and keeps counters' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 3 -l 100 &&
	lab_exec "$LAB_R" nft flush chain inet ipac input &&
	lab_exec "$LAB_R" nft flush chain inet ipac forward &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	grep "chain forward has 0 rules" err &&
	grep repaired err &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 2 -l 100 &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "500 5 |h1|" list &&
	ruleset >after &&
	test_cmp before after
'

test_expect_success '--fix-chains replaces a chain someone set to drop' '
	lab_exec "$LAB_R" nft add chain inet ipac input "{ policy drop; }" &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	grep "chain input is not a filter chain with policy accept" err &&
	sort before >before.sorted &&
	ruleset | sort >after.sorted &&
	test_cmp before.sorted after.sorted
'

test_expect_success '--fix-chains recreates a deleted table' '
	lab_exec "$LAB_R" nft delete table inet ipac &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	grep "table inet ipac is missing" err &&
	# counters come back in config order, not in their old order
	sort before >before.sorted &&
	ruleset | sort >after.sorted &&
	test_cmp before.sorted after.sorted
'

test_expect_success 'reading survives other programs committing meanwhile' '
	awk "BEGIN { for (i = 1; i <= 3000; i++)
		printf \"name%d|in||all|198.19.%d.%d|\\n\", i, i / 256, i % 256 }" >many.conf &&
	lab_exec "$LAB_R" ipacset many.conf &&
	lab_exec "$LAB_R" nft add table ip other || return 1
	# a writer committing to another table while we read ours
	sh -c "i=0; while test \$i -lt 400; do
		ip netns exec $LAB_R nft add set ip other s\$i \"{ type ipv4_addr; }\" || exit 1
		i=\$((i + 1)); done" &
	writer=$! &&
	n=0 &&
	while test $n -lt 30
	do
		lab_exec "$LAB_R" ipacset -L -m >list &&
		test $(wc -l <list) -eq 3000 || break
		n=$((n + 1))
	done &&
	wait $writer &&
	test $n -eq 30 &&
	lab_exec "$LAB_R" nft delete table ip other &&
	lab_exec "$LAB_R" ipacset ipac.conf
'

test_expect_success 'a config without rules is refused, the kernel unchanged' '
	ruleset >before &&
	printf "# nothing but a comment\n" >empty.conf &&
	test_expect_code 1 lab_exec "$LAB_R" ipacset empty.conf 2>err &&
	grep "empty.conf: no rules: applying it would remove all accounting" err &&
	test_expect_code 1 lab_exec "$LAB_R" ipacset --fix-chains empty.conf &&
	: >empty.conf &&
	test_expect_code 1 lab_exec "$LAB_R" ipacset empty.conf &&
	ruleset >after &&
	test_cmp before after &&
	lab_exec "$LAB_R" ipacset -n empty.conf 2>err &&
	grep "no rules: ipacset applies it only with --allow-empty" err &&
	lab_exec "$LAB_R" ipacset --allow-empty empty.conf &&
	test $(lab_exec "$LAB_R" ipacset -L -m | wc -l) = 0 &&
	lab_exec "$LAB_R" ipacset ipac.conf
'

# Rules that change (a prefix map, names that come and go): the whole
# apply, which adds the new counters, the maps and their elements in
# transactions of their own before the rules change.
cat >whole.conf <<EOF
total in|in|r1|all||
h1|in|r0|all|198.18.1.2|
h2|in|r0|all|198.18.1.3|
h3|in|r0|all|198.18.1.4|
net|in|r0|all|198.18.2.0/24|
new name|in|r0|all|198.18.1.9|
EOF

# The chains of our table (the rules packets go through).
chains () {
	ruleset | awk '/^table inet ipac/ { t = 1 } t && /^\tchain / { c = 1 }
		c { print } c && /^\t}/ { c = 0 }'
}

test_expect_success 'rules refused after the counters and maps went in: those are deleted again' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	ruleset >before &&
	test_must_fail env IPAC_TEST_REFUSE_RULES=1 \
		ip netns exec "$LAB_R" ipacset whole.conf 2>err &&
	grep "nftables refused" err &&
	ruleset >after &&
	test_cmp before after
'

test_expect_success 'killed before the rules change: the old rules stay, the next apply completes' '
	lab_exec "$LAB_R" nft delete table inet ipac &&
	lab_exec "$LAB_R" ipacset whole.conf &&
	ruleset | sort >clean &&
	for step in apply-counters apply-maps apply-elements
	do
		lab_exec "$LAB_R" ipacset ipac.conf &&
		chains >before &&
		test_expect_code 137 env IPAC_TEST_CRASH=$step \
			ip netns exec "$LAB_R" ipacset whole.conf 2>err &&
		grep "crash point $step" err &&
		chains >after &&
		test_cmp before after &&
		lab_exec "$LAB_R" ipacset whole.conf &&
		ruleset | sort >again &&
		test_cmp clean again || return 1
	done &&
	: "the same on an empty kernel: the table made first goes on" &&
	lab_exec "$LAB_R" nft delete table inet ipac &&
	test_expect_code 137 env IPAC_TEST_CRASH=apply-elements \
		ip netns exec "$LAB_R" ipacset whole.conf 2>err &&
	test -z "$(chains)" &&
	lab_exec "$LAB_R" ipacset whole.conf &&
	ruleset | sort >again &&
	test_cmp clean again &&
	lab_exec "$LAB_R" ipacset ipac.conf
'

test_expect_success 'flush removes our table only' '
	lab_exec "$LAB_R" ipacset -F &&
	test_must_fail lab_exec "$LAB_R" nft list table inet ipac 2>/dev/null &&
	lab_exec "$LAB_R" nft -s list table inet foreign >foreign.after &&
	test_cmp foreign.before foreign.after &&
	lab_exec "$LAB_R" ipacset -F
'

test_expect_success 'list of an absent table is empty, not an error' '
	lab_exec "$LAB_R" ipacset -L -m >list &&
	test_must_be_empty list
'

test_done
