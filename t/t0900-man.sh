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
	grep -q "fix-chains" "$SRC_ROOT/man/ipacset.8" &&
	for opt in C d H w
	do
		grep -q "Fl $opt" "$SRC_ROOT/man/ipacset.8" ||
		{ echo "-$opt is not in ipacset.8"; return 1; }
	done &&
	grep -q "no-store" "$SRC_ROOT/man/ipacset.8"
'

test_expect_success 'fetchipac.8 has every option of usage()' '
	fetchipac -h >usage &&
	for opt in $(grep -o "\[-[A-Za-z]" usage | cut -c3 | sort -u) \
		$(grep -o "^ *fetchipac -[a-z]" usage | sed "s/.*-//")
	do
		grep -q "Fl $opt" "$SRC_ROOT/man/fetchipac.8" ||
		{ echo "-$opt is not in fetchipac.8"; return 1; }
	done
'

test_expect_success 'ipacsum.8 has every option of usage()' '
	ipacsum -h >usage &&
	for opt in $(grep -o "\[-[A-Za-z]" usage | cut -c3 | sort -u) x z
	do
		grep -q "Fl $opt" "$SRC_ROOT/man/ipacsum.8" ||
		{ echo "-$opt is not in ipacsum.8"; return 1; }
	done &&
	for long in $(grep -o "\-\-[a-z0-9-]*" usage | cut -c3- | sort -u)
	do
		grep -q "Fl \\\\-$long" "$SRC_ROOT/man/ipacsum.8" ||
		{ echo "--$long is not in ipacsum.8"; return 1; }
	done
'

test_expect_success 'ipac-settings.conf.5 has every setting' '
	sed -n "s/.*strcmp(key, \"\([a-z ]*\)\").*/\1/p" \
		"$SRC_ROOT/lib/settings.c" >keys &&
	sed -n "s/^\t\"\(keep [a-z]*\)\".*/\1/p" "$SRC_ROOT/lib/settings.c" >>keys &&
	test $(wc -l <keys) -ge 20 &&
	while read key
	do
		grep -q "Cm $key\( \|$\)" "$SRC_ROOT/man/ipac-settings.conf.5" ||
		{ echo "$key is not in ipac-settings.conf.5"; return 1; }
	done <keys
'

test_done
