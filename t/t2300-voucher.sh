#!/bin/sh
test_description='ipac-voucher: codes in batches as text, CSV and a printable page; a till'\''s codes from the documented algorithm check; the secret file is guarded'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

test_require_prog python3

SECRET_HEX=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

test_expect_success 'a secret: -g makes one; the file must be private' '
	ipac-voucher -g >gen &&
	grep -E "^0 [0-9a-f]{64}$" gen &&
	ipac-voucher -K 2 -g | grep -E "^2 [0-9a-f]{64}$" &&
	echo "0 $SECRET_HEX" >secret &&
	chmod 644 secret &&
	test_expect_code 1 ipac-voucher -k secret 1h 2>err &&
	grep "secret: others may read or write it (mode 644): chmod 600" err &&
	chmod 600 secret &&
	ipac-voucher -k secret 1h >one &&
	grep -E "^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$" one
'

test_expect_success 'a batch of text codes: all different, all check, serials count up' '
	ipac-voucher -k secret -n 500 -s 1000 2h >codes &&
	test $(wc -l <codes) = 500 &&
	test $(sort -u codes | wc -l) = 500 &&
	ipac-voucher -k secret -c $(cat codes) >checked &&
	test $(grep -c ": ok key 0 serial [0-9]* account 0 duration 7200s quota 0$" checked) = 500 &&
	head -1 checked | grep " serial 1000 " &&
	tail -1 checked | grep " serial 1499 "
'

test_expect_success 'CSV: a header and the terms of each code' '
	ipac-voucher -k secret -f csv -n 3 -s 7 -a 5 -q 2GB "2026-12-31 20:00" >csv &&
	head -1 csv >head &&
	echo "code,serial,key,duration,end,quota,account" >expect &&
	test_cmp expect head &&
	sed -n 2p csv | grep -E "^[^,]{24},7,0,,2026-12-31T20:00:00Z,2000000000,5$" &&
	sed -n 4p csv | grep -E ",9,0,,2026-12-31T20:00:00Z,2000000000,5$"
'

test_expect_success 'HTML: a printable page of cards with code and terms, title escaped' '
	ipac-voucher -k secret -f html -n 4 -s 40 -q 500MB -T "Café <Nord>" 1d >page.html &&
	grep -c "<div class=\"card\">" page.html >n && test "$(cat n)" = 4 &&
	grep "Café &lt;Nord&gt;" page.html &&
	! grep "<Nord>" page.html &&
	grep "1 day from first use &middot; 500 MB &middot; No. 43</div>" page.html &&
	grep "@media print" page.html
'

test_expect_success 'codes minted by the test'\''s own code (the man page algorithm) check' '
	c1=$(mint $SECRET_HEX 0 0 10 10 5 12345) &&
	c2=$(mint $SECRET_HEX 0 1 1578000 1049 63 1048575) &&
	ipac-voucher -k secret -c "$c1" "$(echo $c2 | tr A-Z a-z | tr -d -)" >out &&
	grep "^$c1: ok key 0 serial 12345 account 5 duration 10s quota 10000000$" out &&
	grep ": ok key 0 serial 1048575 account 63 until 2026-12-31T20:00:00Z quota 250000000$" out &&
	ipac-voucher -k secret -s 12345 -a 5 -q 10MB 10s >ours &&
	test "$(cat ours)" = "$c1"
'

test_expect_success 'one symbol changed, a foreign secret, garbage: bad, exit 1' '
	c1=$(mint $SECRET_HEX 0 0 10 10 5 12345) &&
	test_expect_code 1 ipac-voucher -k secret -c "$(one_changed $c1)" >out &&
	grep ": bad: wrong MAC$" out &&
	c3=$(mint ffffffffffffffffffffffffffffffff 0 0 3600 0 0 1) &&
	test_expect_code 1 ipac-voucher -k secret -c "$c3" >out &&
	grep ": bad: wrong MAC$" out &&
	c4=$(mint $SECRET_HEX 3 0 3600 0 0 1) &&
	test_expect_code 1 ipac-voucher -k secret -c "$c4" >out &&
	grep ": bad: signed with a secret this site does not have$" out &&
	test_expect_code 1 ipac-voucher -k secret -c "not-a-code" >out &&
	grep "not a code" out
'

test_expect_success 'key rotation: new codes signed with the last secret, old ones still check' '
	old=$(ipac-voucher -k secret 1h) &&
	{ cat secret; echo "1 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"; } >secret2 &&
	chmod 600 secret2 &&
	new=$(ipac-voucher -k secret2 1h) &&
	ipac-voucher -k secret2 -c "$old" "$new" >out &&
	grep "^$new: ok key 1 " out &&
	grep "^$old: ok key 0 " out
'

test_expect_success 'bad arguments: a clear message, exit 1, no code' '
	test_expect_code 1 ipac-voucher -k secret -q 1.5MB 1h >out 2>err &&
	test_must_be_empty out &&
	grep "^ipac-voucher: -q 1.5MB: give a data quota" err &&
	test_expect_code 1 ipac-voucher -k secret 400d 2>err &&
	grep "at most 33554431 seconds" err &&
	test_expect_code 1 ipac-voucher -k secret soon 2>err &&
	grep "soon: not a validity" err &&
	test_expect_code 1 ipac-voucher -k secret -a 64 1h 2>err &&
	grep "account number, 0 to 63" err &&
	test_expect_code 1 ipac-voucher -k secret -n 0 1h 2>err &&
	test_expect_code 1 ipac-voucher -k secret 25:00 2>err &&
	grep "not a time of day" err &&
	test_expect_code 1 ipac-voucher -k missing 1h 2>err &&
	grep "missing: No such file" err
'

test_expect_success 'jkaptive'\''s forms: "6 hours", "19:00"' '
	ipac-voucher -k secret -c $(ipac-voucher -k secret "6 hours") | grep "duration 21600s" &&
	ipac-voucher -k secret -c $(ipac-voucher -k secret 19:00) | grep "until ....-..-..T19:00:00Z"
'

test_expect_success 'the man page has every option of usage() and is lint clean' '
	ipac-voucher -h >usage &&
	for opt in $(grep -o "\[-[A-Za-z]" usage | cut -c3 | sort -u) c g
	do
		grep -q "Fl $opt" "$SRC_ROOT/man/ipac-voucher.8" ||
		{ echo "-$opt is not in ipac-voucher.8"; return 1; }
	done &&
	mandoc -Tlint -Wwarning "$SRC_ROOT/man/ipac-voucher.8" >lint 2>&1 &&
	test_must_be_empty lint
'

test_done
