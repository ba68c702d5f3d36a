#!/bin/sh
test_description='ipacset -n prints the normalised config, stable on re-reading'
. "$(dirname "$0")/test-lib.sh"

# Each t/good/NAME.conf must pass and print exactly t/good/NAME.norm; the
# .norm printed again must not change (the printer round-trips).
# IPAC_TEST_UPDATE=1 rewrites the .norm files; read the diff first.
for conf in "$SRC_ROOT"/t/good/*.conf
do
	name=$(basename "$conf" .conf)
	test_expect_success "good: $name" '
		(cd "$SRC_ROOT" && ipacset -n "t/good/$name.conf") >actual &&
		test_cmp_saved "$SRC_ROOT/t/good/$name.norm" actual
	'
	test_expect_success "good: $name: the normalised form is stable" '
		cp "$SRC_ROOT/t/good/$name.norm" norm.conf &&
		ipacset -n norm.conf >again &&
		test_cmp norm.conf again
	'
done

test_done
