#!/bin/sh
test_description='ipacsum under valgrind: a report, RRD files, graphs by librrd and the HTML page; no memory error of ours, only librrd'"'"'s own memory kept (t/valgrind.supp)'
. "$(dirname "$0")/test-lib.sh"

test_require_prog valgrind perl
# A sanitizer build and valgrind do not go together.
if grep -q fsanitize "$SRC_ROOT/config.mk" 2>/dev/null
then
	test_skip_all "built with sanitizers (the sanitizer pass checks it)"
fi

IPAC_TEST_NOW=1774828800
export IPAC_TEST_NOW
T0=1774742400

# vg ARGS: ipacsum under memcheck; any error, or a leak that no entry of
# t/valgrind.supp explains, makes it exit 99.
vg () {
	TZ=Europe/Berlin valgrind -q --num-callers=40 --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
		--suppressions="$SRC_ROOT/t/valgrind.supp" \
		"$(command -v ipacsum)" -d "$TRASH_DIRECTORY/fx.db" -H gw \
		--rrd-dir "$TRASH_DIRECTORY/rrd" "$@"
}

test_expect_success 'a day of two names, every 5 minutes' '
	perl -e "for my \$i (0 .. 288) { my \$t = $T0 + 300 * \$i;
		print \"\$t down \", 1000 * \$i, \" \$i\n\";
		print \"\$t up \", 500 * \$i, \" \$i\n\" }" |
	ipac-fixture -d fx.db -H gw -z Europe/Berlin
'

test_expect_success 'a report: no error, nothing lost' '
	vg -t yesterday >report 2>err &&
	test_must_be_empty err &&
	grep "^  down  *: *258K$" report
'

# The 23 hours of 29 March; the readings start at its second.
test_expect_success 'a breakdown read in two halves at once, by two threads: the same rows' '
	vg -t yesterday -i hour --format csv >one 2>err &&
	test_must_be_empty err &&
	IPAC_TEST_SPLIT_CELLS=0 vg -t yesterday -i hour --format csv >two \
		2>err &&
	test_must_be_empty err &&
	test_cmp one two &&
	grep -c "^[0-9]*,[0-9]*,down,[1-9]" two >n &&
	echo 22 >want &&
	test_cmp want n
'

test_expect_success 'RRD files and PNG graphs by librrd: nothing of ours lost' '
	vg --rrd-update 2>err &&
	test_must_be_empty err &&
	vg -t yesterday --graphs g 2>err &&
	test_must_be_empty err &&
	for n in down up
	do
		head -c 8 g/$n.png | od -An -tx1 | tr -d " \n" >magic &&
		echo 89504e470d0a1a0a >want &&
		printf "\n" >>magic &&
		test_cmp want magic || return 1
	done
'

test_expect_success 'the HTML page with its graphs' '
	vg -t yesterday --html h 2>err &&
	test_must_be_empty err &&
	test -s h/index.html
'

test_expect_success 'without the suppressions librrd'"'"'s memory is reported: the check is real' '
	test_expect_code 99 env TZ=Europe/Berlin valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite \
		"$(command -v ipacsum)" -d fx.db -H gw --rrd-dir rrd \
		-t yesterday --graphs g2 2>err &&
	grep "definitely lost" err
'

test_done
