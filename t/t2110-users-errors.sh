#!/bin/sh
test_description='iplogin users: errors say what failed, and the table comes back after a flush ruleset'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require

test_expect_success 'a namespace of our own' '
	lab_netns_add x &&
	X=${LAB_PREFIX}x
'

users () {
	lab_exec "$X" ipac-users "$@"
}

test_expect_success 'before set-up: reads and logins fail clearly' '
	test_must_fail users counters 2>err &&
	echo "ipac-users: counters of chain users (table inet iplogin): No such file or directory" >expect &&
	test_cmp expect err &&
	test_must_fail users add 198.18.9.9 2>err &&
	echo "ipac-users: add 198.18.9.9 to chain users (set users_s4_9 of table inet iplogin): No such file or directory" >expect &&
	test_cmp expect err &&
	test_must_fail users counters nat:users 2>err &&
	echo "ipac-users: chain nat:users is not set up" >expect &&
	test_cmp expect err
'

test_expect_success 'tables: only inet, a name of our own choice' '
	test_must_fail users -t "ip foo" setup 2>err &&
	echo "ipac-users: table ip foo: only an inet table holds the IPv4 and IPv6 sets of a chain" >expect &&
	test_cmp expect err &&
	test_must_fail users -t "inet a;b" setup 2>err &&
	grep "not a table name" err &&
	users -t gate setup &&
	lab_exec "$X" nft list tables >tables &&
	echo "table inet gate" >expect &&
	test_cmp expect tables &&
	users -t "inet gate" add 2001:db8:9::5 &&
	users -t gate counters >list &&
	echo "users 2001:db8:9::5 0 0 0 0" >expect &&
	test_cmp expect list &&
	lab_exec "$X" nft delete table inet gate
'

test_expect_success 'targets: drop, reject, return and a jump to a declared chain' '
	lab_exec "$X" nft add table inet iplogin &&
	lab_exec "$X" nft add chain inet iplogin staffchain &&
	users -c "block/b>DROP,rej>REJECT,ret>RETURN,staff>staffchain" setup &&
	lab_exec "$X" nft list chain inet iplogin block_d6_7 >c &&
	grep -q "ip6 daddr @block_d6_7 drop" c &&
	lab_exec "$X" nft list chain inet iplogin rej_s4_0 >c &&
	grep -q "ip saddr @rej_s4_0 reject" c &&
	lab_exec "$X" nft list chain inet iplogin ret_s6_15 >c &&
	grep -q "ip6 saddr @ret_s6_15 return" c &&
	lab_exec "$X" nft list chain inet iplogin staff_d4_3 >c &&
	grep -q "ip daddr @staff_d4_3 jump staffchain" c &&
	users -c "block/b>DROP,staff>staffchain" add 198.18.9.1 &&
	users -c "block/b>DROP,staff>staffchain" counters >list &&
	printf "%s\n" "block 198.18.9.1 0 0 0 0" "staff 198.18.9.1 0 0 0 0" >expect &&
	test_cmp expect list &&
	lab_exec "$X" nft delete table inet iplogin
'

test_expect_success 'a set of ours the admin made differently: refused, nothing changed' '
	lab_exec "$X" nft add table inet iplogin &&
	lab_exec "$X" nft add set inet iplogin users_s4_0 "{ type ipv4_addr; }" &&
	lab_exec "$X" nft list ruleset >before &&
	test_must_fail users setup 2>err &&
	echo "ipac-users: setup of table inet iplogin refused: Could not process rule: File exists" >expect &&
	test_cmp expect err &&
	lab_exec "$X" nft list ruleset >after &&
	test_cmp before after &&
	lab_exec "$X" nft delete table inet iplogin
'

test_expect_success 'after "flush ruleset" set-up brings the table back' '
	users setup &&
	users add 198.18.9.2 &&
	lab_exec "$X" nft flush ruleset &&
	test_must_fail users counters 2>err &&
	grep "No such file or directory" err &&
	users setup &&
	users counters >list &&
	test_must_be_empty list &&
	users add 198.18.9.2 &&
	users counters >list &&
	echo "users 198.18.9.2 0 0 0 0" >expect &&
	test_cmp expect list
'

test_expect_success 'a failed set-up leaves the handle with the specs it had' '
	test_must_fail users -c users/b resetup "users/b,x>nochain" \
		198.18.9.4 x 2>err &&
	printf "%s\n" "ipac-users: setup of table inet iplogin refused: Could not process rule: No such file or directory (does every chain a spec jumps to exist in the table?)" \
		"ipac-users: chain x is not set up" >expect &&
	test_cmp expect err &&
	users -c users/b resetup "users/b,x>nochain" 198.18.9.4 2>err &&
	users counters >list &&
	printf "%s\n" "users 198.18.9.2 0 0 0 0" "users 198.18.9.4 0 0 0 0" >expect &&
	test_cmp expect list
'

test_expect_success 'without CAP_NET_ADMIN: the kernel says no' '
	test_must_fail lab_exec "$X" setpriv --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=-all \
		"$SRC_ROOT/t/helper/ipac-users" add 198.18.9.3 2>err &&
	echo "ipac-users: add 198.18.9.3 to chain users (set users_s4_3 of table inet iplogin): Operation not permitted" >expect &&
	test_cmp expect err
'

test_done
