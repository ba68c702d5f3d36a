#!/bin/sh
test_description='every golden config is accepted by the kernel as -D prints it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

test_require_root_netns

test_expect_success 'a namespace to apply in' '
	lab_netns_add g
'

for conf in "$SRC_ROOT"/t/golden/*.conf
do
	name=$(basename "$conf" .conf)
	test_expect_success "kernel takes $name" '
		lab_exec ${LAB_PREFIX}g ipacset --allow-empty "$conf" &&
		lab_exec ${LAB_PREFIX}g nft -s list table inet ipac >kernel &&
		{ grep -c "counter name" "$SRC_ROOT/t/golden/$name.nft" >want || :; } &&
		{ grep -c "counter name" kernel >got || :; } &&
		test_cmp want got
	'
done

test_done
