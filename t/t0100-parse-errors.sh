#!/bin/sh
test_description='ipacset -n refuses each bad config with the saved messages'
. "$(dirname "$0")/test-lib.sh"

# Each t/bad/NAME.conf must fail with status 1, print nothing on stdout
# and print exactly t/bad/NAME.err on stderr.  The messages name the file
# as given, so ipacset runs from the source root with a relative path.
# IPAC_TEST_UPDATE=1 rewrites the .err files; read the diff first.
for conf in "$SRC_ROOT"/t/bad/*.conf
do
	name=$(basename "$conf" .conf)
	test_expect_success "bad: $name" '
		status=0 &&
		(cd "$SRC_ROOT" && ipacset -n "t/bad/$name.conf") \
			>out 2>err || status=$? &&
		echo 1 >expect-status &&
		echo $status >actual-status &&
		test_cmp expect-status actual-status &&
		test_must_be_empty out &&
		test_cmp_saved "$SRC_ROOT/t/bad/$name.err" err
	'
done

test_expect_success 'every bad config has its .err file' '
	for conf in "$SRC_ROOT"/t/bad/*.conf
	do
		test -f "${conf%.conf}.err" || {
			echo "missing ${conf%.conf}.err"
			return 1
		}
	done
'

test_expect_success 'a missing config file: path and reason' '
	status=0 &&
	(cd "$SRC_ROOT" && ipacset -n t/bad/no-such-file.conf) \
		>out 2>err || status=$? &&
	test $status = 1 &&
	test_must_be_empty out &&
	echo "ipacset: t/bad/no-such-file.conf: No such file or directory" \
		>expect &&
	test_cmp expect err
'

test_expect_success 'a field of 1 MB is cut short where messages quote it' '
	printf "a|in|lo|all|" >big.conf &&
	awk "BEGIN { while (n++ < 1048576) printf \"1\" }" >>big.conf &&
	echo "|" >>big.conf &&
	test_expect_code 1 ipacset -n big.conf 2>err &&
	test $(wc -l <err) = 1 &&
	test $(wc -c <err) -lt 300 &&
	grep "^ipacset: big.conf:1:13: .1\{61\}\.\.\.. is not an address; write .any 1\{57\}\.\.\.. for a port" err
'

test_done
