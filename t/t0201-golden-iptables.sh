#!/bin/sh
test_description='ipacset -b iptables -D prints exactly the saved iptables-save text'
. "$(dirname "$0")/test-lib.sh"

# IPAC_TEST_UPDATE=1 rewrites the saved texts; read the diff before
# committing them.
for conf in "$SRC_ROOT"/t/golden/*.conf
do
	name=$(basename "$conf" .conf)
	test_expect_success "golden: $name" '
		(cd "$SRC_ROOT" && ipacset -b iptables -D "t/golden/$name.conf") >actual &&
		test_cmp_saved "$SRC_ROOT/t/golden/$name.ipt" actual
	'
	test_expect_success "normalised config of $name reads back the same" '
		(cd "$SRC_ROOT" && ipacset -n "t/golden/$name.conf") >norm.conf &&
		ipacset -b iptables -D norm.conf >again &&
		test_cmp "$SRC_ROOT/t/golden/$name.ipt" again
	'
done

test_expect_success 'per-host lines make a tree of chains, at most 16 rules each' '
	i=0 &&
	while test $i -lt 300
	do
		echo "h$i|in|eth1|all||198.18.$((i / 250 + 4)).$((i % 250 + 1))"
		i=$((i + 1))
	done >many.conf &&
	ipacset -b iptables -D many.conf >many.ipt &&
	# 300 hosts: IPv4 ipac~o and ipac~fi each get a tree
	test $(grep -c "^-A ipac~fi.* -m comment --comment \"h" many.ipt) = 300 &&
	awk "/^# IPv4/ { v4 = 1 } /^# IPv6/ { v4 = 0 }
		v4 && /^-A / { n[\$2]++ }
		END { for (c in n) if (c ~ /\\./ && n[c] > 16) { print c, n[c]; bad = 1 }
			exit bad }" many.ipt &&
	grep -q -e "^-A ipac~fi -i eth1 -j ipac~fi\.[0-9a-z]*$" many.ipt &&
	grep -q -e "^-A ipac~fi\.[0-9a-z]* -d 198.18.4.0/24 -j ipac~fi\.[0-9a-z]*$" many.ipt &&
	grep -q -e "^-A ipac~fi\.[0-9a-z]* -d 198.18.4.16/28 -j ipac~fi\.[0-9a-z]*$" many.ipt &&
	! grep -q "^-A ipac~fi -d" many.ipt
'

test_expect_success 'a host more or less changes only its own rules' '
	{ cat many.conf && echo "new|in|eth1|all||198.18.4.251"; } >more.conf &&
	grep -v "^h7|" many.conf >less.conf &&
	ipacset -b iptables -D more.conf >more.ipt &&
	ipacset -b iptables -D less.conf >less.ipt &&
	sort many.ipt >a && sort more.ipt >b && sort less.ipt >c &&
	comm -3 a b >diff.more &&
	test $(wc -l <diff.more) = 2 &&
	! grep -v "comment \"new\"" diff.more &&
	comm -3 a c >diff.less &&
	test $(wc -l <diff.less) = 2 &&
	! grep -v "comment \"h7\"" diff.less
'

test_expect_success 'a chain prefix too long for iptables is refused' '
	test_must_fail ipacset -b iptables -T abcdefghijklmnopqrstu -D \
		"$SRC_ROOT/t/golden/basic.conf" 2>err &&
	grep "chain prefix .abcdefghijklmnopqrstu.: at most 12" err
'

test_expect_success '-P means nothing to iptables: a warning' '
	ipacset -b iptables -P 10 -D "$SRC_ROOT/t/golden/basic.conf" >out 2>err &&
	grep "warning: -P is ignored: the iptables backend has no priority" err &&
	test_cmp "$SRC_ROOT/t/golden/basic.ipt" out
'

test_expect_success 'auto-detection says what it chose' '
	echo "backend = auto" >>"$IPAC_SETTINGS" &&
	ipacset -D "$SRC_ROOT/t/golden/basic.conf" >out 2>err &&
	grep -E "^ipacset: backend (nftables|iptables) \(auto-detected\)$" err
'

test_done
