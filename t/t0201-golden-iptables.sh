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
	grep -q -e "-m iprange --dst-range 198.18.4.1-198.18.4.16 -j ipac~fi" many.ipt &&
	! grep -q "^-A ipac~fi -d" many.ipt
'

test_expect_success 'a chain prefix too long for iptables is refused' '
	test_must_fail ipacset -b iptables -T abcdefghijklmnopqrstu -D \
		"$SRC_ROOT/t/golden/basic.conf" 2>err &&
	grep "chain prefix .abcdefghijklmnopqrstu.: at most 17" err
'

test_expect_success 'auto-detection says what it chose' '
	echo "backend = auto" >>"$IPAC_SETTINGS" &&
	ipacset -D "$SRC_ROOT/t/golden/basic.conf" >out 2>err &&
	grep -E "^ipacset: backend (nftables|iptables) \(auto-detected\)$" err
'

test_done
