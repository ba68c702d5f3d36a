#!/bin/sh
test_description='fetchipac repairs what others broke, records the gap, counts on'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

# send N: N UDP packets of 100 bytes from A to B
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c "$1" -l 100
}

# fetch_corrupt: fetchipac must exit 3 and say "corrupted"
fetch_corrupt () {
	test_expect_code 3 lab_exec "$LAB_R" fetchipac 2>err &&
	grep corrupted err
}

gaps () {
	store_q "SELECT count(*) FROM gap"
}

test_expect_success 'lab and ruleset' '
	lab_router_setup &&
	lab_warmup &&
	cat >ipac.conf <<-EOF &&
	up|in|r0|all|$LAB_A4|
	per host|in|r0|all|$LAB_A4|
	other|in|r0|all|198.18.1.3|
	EOF
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 10 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 10 1000 &&
	test "$(gaps)" = 0
'

test_expect_success 'a run with nothing to repair does not load libnftables' '
	LD_DEBUG=files lab_exec "$LAB_R" fetchipac 2>ld &&
	grep "file=libnftnl.so" ld &&
	! grep "file=libnftables.so" ld
'

test_expect_success 'the ruleset copy beside the spool: used while it is the store'\''s, never when it is not' '
	cache=$(echo spool/ruleset-*.cache) &&
	test -f "$cache" &&
	: "a hit reads the copy and leaves it as it is (a miss writes it anew)" &&
	ls -i "$cache" >inode.before &&
	lab_exec "$LAB_R" fetchipac &&
	ls -i "$cache" >inode.after &&
	test_cmp inode.before inode.after &&
	: "a copy whose script was changed (a name renamed): its checksum no longer" &&
	: "fits, the store is read and nothing is found wrong" &&
	cp "$cache" cache.good &&
	sed "s/up/uq/g" cache.good >"$cache" &&
	! cmp -s cache.good "$cache" &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	! grep corrupted err &&
	cmp cache.good "$cache" &&
	: "the copy of an earlier ruleset after a reload: not the newest, not used" &&
	echo "new|in|r0|all|198.18.1.4|" >>ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	cp cache.good "$cache" &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	! grep corrupted err &&
	! cmp -s cache.good "$cache" &&
	grep "^new|in|" ipac.conf &&
	sed -i "/^new|/d" ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" fetchipac &&
	test "$(gaps)" = 0
'

test_expect_success 'ipacset keeps a copy of the ruleset it records: the fetch after it reads that copy' '
	cache=$(echo spool/ruleset-*.cache) &&
	echo "newer|in|r0|all|198.18.1.5|" >>ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	grep -a newer "$cache" &&
	: "a hit: the copy left as it is" &&
	ls -i "$cache" >inode.before &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	! grep corrupted err &&
	ls -i "$cache" >inode.after &&
	test_cmp inode.before inode.after &&
	sed -i "/^newer|/d" ipac.conf &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	! grep -a newer "$cache" &&
	lab_exec "$LAB_R" fetchipac &&
	test "$(gaps)" = 0
'

test_expect_success 'hooks flushed by another tool: repaired, gap, counting goes on' '
	lab_exec "$LAB_R" nft flush chain inet ipac forward &&
	test_expect_code 3 lab_exec "$LAB_R" fetchipac -n &&
	send 3 &&
	sleep 1 &&
	LD_DEBUG=files fetch_corrupt &&
	grep "chain forward has 0 rules, the config makes 2" err &&
	grep repairing err &&
	: "the repair sends the ruleset: libnftables is opened then" &&
	grep "file=libnftables.so" err &&
	test "$(gaps)" = 1 &&
	store_q "SELECT reason FROM gap" | grep "chain forward has 0 rules" &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 7 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 17 1700 &&
	expect_stored "per host" 17 1700 &&
	test "$(store_q "SELECT count(*) FROM run WHERE flags & 2")" -ge 1
'

test_expect_success 'base chain deleted: repaired' '
	lab_exec "$LAB_R" nft delete chain inet ipac forward &&
	sleep 1 &&
	fetch_corrupt &&
	grep "chain forward is missing" err &&
	send 5 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 22 2200
'

test_expect_success 'table deleted: repaired from the stored ruleset, counted once' '
	send 4 &&
	lab_exec "$LAB_R" nft delete table inet ipac &&
	sleep 1 &&
	fetch_corrupt &&
	grep "table inet ipac is missing" err &&
	lab_exec "$LAB_R" fetchipac -n &&
	send 6 &&
	lab_exec "$LAB_R" fetchipac &&
	# the 4 sent before the delete were lost with the table: the gap
	expect_stored up 28 2800 &&
	store_consistent
'

test_expect_success 'table deleted and re-applied by ipacset: no double count, gap' '
	send 2 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 30 3000 &&
	lab_exec "$LAB_R" nft delete table inet ipac &&
	sleep 1 &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	store_q "SELECT reason FROM gap ORDER BY t0 DESC LIMIT 1" >reason &&
	grep "table missing" reason &&
	send 9 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 39 3900 &&
	store_q "SELECT count(*) FROM sample WHERE bytes < 0" >neg &&
	echo 0 >zero && test_cmp zero neg
'

test_expect_success 'table replaced behind our back: counters new, gap' '
	send 1 &&
	lab_exec "$LAB_R" fetchipac &&
	n=$(gaps) &&
	lab_exec "$LAB_R" ipacset -D ipac.conf >table.nft &&
	lab_exec "$LAB_R" nft delete table inet ipac &&
	lab_exec "$LAB_R" nft -f table.nft &&
	send 3 &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 43 4300 &&
	store_q "SELECT reason FROM gap ORDER BY t0 DESC LIMIT 1" >reason &&
	grep "counters re-created" reason
'

test_expect_success 'ipacset -F removes the table on purpose: no repair, no gap' '
	send 2 &&
	lab_exec "$LAB_R" ipacset -F &&
	expect_stored up 45 4500 &&
	n=$(gaps) &&
	sleep 1 &&
	lab_exec "$LAB_R" fetchipac &&
	test "$(gaps)" = "$n" &&
	! lab_exec "$LAB_R" nft list table inet ipac 2>/dev/null
'

test_expect_success 'counters of a reload: names removed are stored first' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	send 5 &&
	grep -v "^up|" ipac.conf >less.conf &&
	lab_exec "$LAB_R" ipacset less.conf &&
	expect_stored up 50 5000 &&
	lab_exec "$LAB_R" fetchipac &&
	expect_stored up 50 5000 &&
	expect_stored "per host" 50 5000 &&
	store_consistent
'

# ping N: N ICMP echo requests of 100 bytes from A to the router (input)
ping_router () {
	lab_exec "$LAB_A" ipac-send -p icmp -d $LAB_R4A -c "$1" -l 100
}

test_expect_success 'one chain of a name flushed: the name is one counter, nothing it counted is lost' '
	send 40 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_mark "per host" &&
	# 30 pings to the router count in chain input; chain forward, with
	# the 40 forwarded packets, is flushed: the counter object stays
	ping_router 30 &&
	lab_exec "$LAB_R" nft flush chain inet ipac forward &&
	fetch_corrupt &&
	grep "chain forward has 0 rules" err &&
	stored_add "per host" 30 3000 &&
	send 2 &&
	lab_exec "$LAB_R" fetchipac &&
	stored_add "per host" 32 3200 &&
	store_consistent
'

test_done
