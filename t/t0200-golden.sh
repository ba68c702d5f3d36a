#!/bin/sh
test_description='ipacset -D prints exactly the saved nft script for each config'
. "$(dirname "$0")/test-lib.sh"

# IPAC_TEST_UPDATE=1 rewrites the saved scripts; read the diff before
# committing them.
for conf in "$SRC_ROOT"/t/golden/*.conf
do
	name=$(basename "$conf" .conf)
	test_expect_success "golden: $name" '
		(cd "$SRC_ROOT" && ipacset -D "t/golden/$name.conf") >actual &&
		test_cmp_saved "$SRC_ROOT/t/golden/$name.nft" actual
	'
	test_expect_success "normalised config of $name reads back the same" '
		(cd "$SRC_ROOT" && ipacset -n "t/golden/$name.conf") >norm.conf &&
		ipacset -D norm.conf >again &&
		test_cmp "$SRC_ROOT/t/golden/$name.nft" again
	'
done

test_expect_success 'output that cannot be written is an error' '
	test_must_fail ipacset -D "$SRC_ROOT/t/golden/basic.conf" >/dev/full 2>err &&
	grep "standard output: No space left on device" err
'

test_done
