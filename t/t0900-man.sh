#!/bin/sh
test_description='man pages are lint clean and document every option'
. "$(dirname "$0")/test-lib.sh"

test_require_prog mandoc

test_expect_success 'mandoc -Tlint finds nothing' '
	mandoc -Tlint -Wwarning "$SRC_ROOT"/man/*.[58] >lint 2>&1 || :
	test_must_be_empty lint
'

test_expect_success 'ipacset.8 SYNOPSIS matches usage()' '
	ipacset -h >usage &&
	for opt in $(sed -n "s/.*\[-\([A-Za-z]*\)\].*/\1/p" usage | head -1 | sed "s/./& /g") \
		b P T c F
	do
		grep -q "^\.Op Fl .*$opt\|^\.Fl $opt\|Fl $opt" "$SRC_ROOT/man/ipacset.8" ||
		{ echo "-$opt is not in ipacset.8"; return 1; }
	done &&
	grep -q "fix-chains" "$SRC_ROOT/man/ipacset.8"
'

test_done
