#!/bin/sh
test_description='a reload made while the store is busy is kept: spooled, recorded later, never undone'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

SENT=0
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c "$1" -l 100 &&
	SENT=$((SENT + $1))
}

# hold SECONDS: another process holds the store's write lock that long
hold () {
	{ echo "BEGIN EXCLUSIVE;"; sleep "$1"; echo "COMMIT;"; } |
		sqlite3 "$STORE" &
	holder=$! &&
	sleep 0.3
}

# names: the accounting names in the kernel, one a line
names () {
	lab_exec "$LAB_R" ipacset -L -m | sed 's/^[0-9]* [0-9]* |\(.*\)|$/\1/'
}

# kernel_is NAMES...: the kernel counts exactly these names
kernel_is () {
	printf "%s\n" "$@" >names.expect &&
	names >names.actual &&
	test_cmp names.expect names.actual
}

# latest_config: the config of the newest ruleset recorded in the store
latest_config () {
	store_q "SELECT config FROM ruleset ORDER BY id DESC LIMIT 1"
}

test_expect_success 'lab, ruleset a and b, one fetch' '
	lab_router_setup &&
	lab_warmup &&
	cp "$IPAC_SETTINGS" busy.settings &&
	echo "busy timeout = 2s" >>busy.settings &&
	printf "%s\n" "a|in|r0|all||" "b|out|r1|all||" >c1 &&
	printf "%s\n" "a|in|r0|all||" "c|out|r1|all||" >c2 &&
	lab_exec "$LAB_R" ipacset -C busy.settings c1 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	send 10 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	expect_stored a 10 1000 &&
	expect_stored b 10 1000
'

test_expect_success 'reload while the store is held: spooled, kept by every fetch, stored after' '
	hold 7 &&
	# 300 packets over some 6 s, through the reload and both fetches
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 300 \
		-l 100 -i 20000 &
	sender=$! &&
	sleep 0.5 &&
	test_expect_code 4 lab_exec "$LAB_R" ipacset -C busy.settings c2 \
		2>err.ipacset &&
	cat err.ipacset &&
	kernel_is a c &&
	# during the lock: checked against the spooled ruleset, not undone
	test_expect_code 4 lab_exec "$LAB_R" fetchipac -C busy.settings 2>err &&
	cat err &&
	kernel_is a c &&
	! grep corrupted err &&
	grep "spooled" err &&
	# and ipacset said what happens
	grep "ruleset spooled to" err.ipacset &&
	! grep "not be recorded" err.ipacset &&
	ls spool/*.rules &&
	wait $sender &&
	SENT=$((SENT + 300)) &&
	wait $holder &&
	# (a run that reads the counters while the last packet is between
	# the rules of a and c counts it in a now and in c next time: wait)
	lab_quiet "$LAB_R" c &&
	# after the lock: the spool is stored in order, the ruleset recorded
	lab_exec "$LAB_R" fetchipac -C busy.settings 2>err &&
	cat err &&
	! grep corrupted err &&
	kernel_is a c &&
	! ls spool/*.snap spool/*.rules 2>/dev/null &&
	latest_config >config &&
	grep "^c|" config &&
	! grep "^b|" config &&
	lab_exec "$LAB_R" fetchipac -n &&
	# a last run when nothing moves: in two sanitizer passes of CI one
	# packet reached c after the quiet readings and the run above
	lab_quiet "$LAB_R" c &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	echo "kernel c: $(lab_counted "$LAB_R" c); stored b: $(stored b), c: $(stored c), a: $(stored a)" &&
	# every byte: a counted all, b until the reload, c from it on, and
	# c stored is what its kernel counter holds
	expect_stored a $SENT $((SENT * 100)) &&
	lab_counted "$LAB_R" c >c.kernel &&
	stored c >c.stored &&
	test_cmp c.kernel c.stored &&
	read cp cb <c.stored &&
	test $cp -gt 0 &&
	# b, which goes away, stored all it counted up to the change; the
	# iptables backend loses what it counts between the snapshot before
	# the change and the change (ipacset.8, BUGS): a packet or two
	read bp bb <<-EOF &&
	$(stored b)
	EOF
	lost=$((SENT - cp - bp)) &&
	echo "b: $bp packets stored, $lost lost" &&
	test $lost -ge 0 &&
	if test "$IPAC_TEST_BACKEND" = iptables
	then
		test $lost -le 2
	else
		test $lost = 0
	fi &&
	test $bb = $((bp * 100)) &&
	stored_mark b &&
	stored_mark c &&
	send 20 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	stored_add b 0 0 &&
	stored_add c 20 2000 &&
	expect_stored a $SENT $((SENT * 100)) &&
	store_consistent
'

# (nftables: the iptables backend has the window yet, see ipacset.8 BUGS)
test "$IPAC_TEST_BACKEND" = iptables ||
test_expect_success 'a name that goes away counts until the change: ipacset slow (1 s) between its snapshot and the change, traffic on, b and c exact' '
	lab_exec "$LAB_R" ipacset -C busy.settings c1 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	stored_mark a && stored_mark b && stored_mark c &&
	# 100 packets over some 2 s, the change in the middle
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 5000 -c 100 \
		-l 100 -i 20000 &
	sender=$! &&
	sleep 0.4 &&
	IPAC_TEST_PAUSE=ipacset-snapshot:1000 lab_exec "$LAB_R" ipacset \
		-C busy.settings c2 2>err &&
	cat err &&
	grep "pause point ipacset-snapshot" err &&
	wait $sender &&
	SENT=$((SENT + 100)) &&
	lab_quiet "$LAB_R" c &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	kernel_is a c &&
	echo "b: $(stored b), c: $(stored c)" &&
	stored_add a 100 10000 &&
	: "b counted in the second before the change, c after it" &&
	read bp bb <<-EOF &&
	$(stored b)
	EOF
	read cp cb <<-EOF &&
	$(stored c)
	EOF
	read b0 rest <mark.b &&
	read c0 rest <mark.c &&
	test $((bp - b0 + cp - c0)) = 100 &&
	test $((bp - b0)) -ge 40 &&
	store_consistent
'

test_expect_success 'the spooled ruleset lost: the newer kernel ruleset is kept, not undone' '
	hold 5 &&
	test_expect_code 4 lab_exec "$LAB_R" ipacset -C busy.settings c1 2>err &&
	kernel_is a b &&
	wait $holder &&
	# a spool on a tmpfs that was lost
	rm spool/*.rules &&
	send 4 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings 2>err &&
	cat err &&
	! grep corrupted err &&
	grep "nor an earlier one" err &&
	kernel_is a b &&
	expect_stored a $SENT $((SENT * 100)) &&
	stored_mark b &&
	send 3 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings &&
	stored_add b 3 300 &&
	# ipacset records it again
	lab_exec "$LAB_R" ipacset -C busy.settings c1 &&
	lab_exec "$LAB_R" fetchipac -C busy.settings 2>err &&
	! grep "nor an earlier one" err &&
	latest_config | grep "^b|" &&
	store_consistent
'

test_expect_success 'another program changed the kernel (--no-store): counted, not undone' '
	lab_exec "$LAB_R" ipacset --no-store c2 &&
	kernel_is a c &&
	send 5 &&
	stored_mark c &&
	lab_exec "$LAB_R" fetchipac 2>err &&
	cat err &&
	! grep corrupted err &&
	grep "nor an earlier one" err &&
	kernel_is a c &&
	stored_add c 5 500 &&
	expect_stored a $SENT $((SENT * 100))
'

test_expect_success 'an older ruleset put back by hand: the newest recorded one is restored' '
	lab_exec "$LAB_R" ipacset c1 &&
	kernel_is a b &&
	case $IPAC_TEST_BACKEND in
	iptables)
		lab_exec "$LAB_R" iptables-legacy-save >old.v4 &&
		lab_exec "$LAB_R" ip6tables-legacy-save >old.v6 ;;
	*)	lab_exec "$LAB_R" nft list table inet ipac >old.nft ;;
	esac &&
	lab_exec "$LAB_R" ipacset c2 &&
	kernel_is a c &&
	send 2 &&
	lab_exec "$LAB_R" fetchipac &&
	case $IPAC_TEST_BACKEND in
	iptables)
		lab_exec "$LAB_R" iptables-legacy-restore <old.v4 &&
		lab_exec "$LAB_R" ip6tables-legacy-restore <old.v6 ;;
	*)	lab_exec "$LAB_R" nft delete table inet ipac &&
		lab_exec "$LAB_R" nft -f old.nft ;;
	esac &&
	kernel_is a b &&
	test_expect_code 3 lab_exec "$LAB_R" fetchipac 2>err &&
	cat err &&
	grep "corrupted" err &&
	grep "holds an earlier ruleset" err &&
	kernel_is a c &&
	lab_exec "$LAB_R" fetchipac -n
'

test_done
