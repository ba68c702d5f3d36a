#!/bin/sh
test_description='captive portal: a till'\''s codes (the documented algorithm, in the test'\''s own code) work, one symbol changed fails; 100 wrong codes take 50 s while another client logs in at once; parallel tries pay more; 1000 slow connections do not delay a login'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog curl sqlite3
test_atexit portal_stop


test_expect_success 'lab, iplogin, the portal' '
	portal_lab &&
	portal_conf &&
	daemon_start &&
	portal_start
'

test_expect_success 'codes minted offline by the test'\''s own code work; one symbol changed fails' '
	end=$(( ($(date +%s) / 60 + 90) * 60 )) &&
	code=$(mint $SECRET_HEX 0 1 $(( (end - 1704067200) / 60 )) 1023 5 77) &&
	echo "till code $code" &&
	test "$(login $LAB_A "$(one_changed "$code")")" = "403 " &&
	grep "did not work" login.body &&
	sleep 0.6 &&
	test "$(login $LAB_A "$code")" = "200 " &&
	grep "<dd>1.02 GB</dd>" login.body &&
	test "$(il stat $LAB_A4 | sed -n "s/^Account: //p")" = cafe &&
	test "$(q "SELECT ends || '\'' '\'' || quota || '\'' '\'' || serial FROM voucher")" = "$end 1023000000 77" &&
	il del $LAB_A4
'

test_expect_success '100 wrong codes from A take at least 50 s; B logs in meanwhile in well under 1 s' '
	good=$(mint $SECRET_HEX 0 0 3600 0 0 4001) &&
	for i in $(seq 100)
	do
		mint $SECRET_HEX 0 0 3600 0 0 $i | one_changed_stdin || return 1
	done >wrong.list &&
	{ {
		t0=$(date +%s%N)
		while read c
		do
			lab_exec $LAB_A curl -s -o /dev/null -w "%{http_code}\n" \
				--data-urlencode "code=$c" \
				http://$LAB_R4A:8080/ipac/login
		done <wrong.list >wrong.codes
		echo $(( ($(date +%s%N) - t0) / 1000000 )) >wrong.ms
	} & } &&
	bg=$! &&
	sleep 5 &&
	timed $LAB_B "$good" >b.timed &&
	cat b.timed &&
	test "$(cut -d" " -f1 b.timed)" = 200 &&
	awk "{ exit !(\$2 < 1.0) }" b.timed &&
	wait $bg &&
	echo "100 wrong codes took $(cat wrong.ms) ms" &&
	test $(cat wrong.ms) -ge 50000 &&
	test $(grep -c "^403$" wrong.codes) = 100 &&
	test "$(il check $LAB_A4)" = No
'

test_expect_success 'three parallel tries from one address: answered 0.5, 1.5 and 3 s later' '
	{ timed $LAB_A XXXX-XXXX-XXXX-XXXX-XXX1 >par.1 & } && p1=$! &&
	{ timed $LAB_A XXXX-XXXX-XXXX-XXXX-XXX2 >par.2 & } && p2=$! &&
	{ timed $LAB_A XXXX-XXXX-XXXX-XXXX-XXX3 >par.3 & } && p3=$! &&
	wait $p1 $p2 $p3 &&
	cat par.1 par.2 par.3 | sort -k2 -n >par &&
	cat par &&
	awk "NR == 1 && \$2 >= 0.45 { a++ } NR == 2 && \$2 >= 1.45 { a++ }
		NR == 3 && \$2 >= 2.95 { a++ } \$1 == 403 { b++ }
		END { exit !(a == 3 && b == 3) }" par
'

test_expect_success '1000 slow connections (slowloris) do not delay a new client'\''s login past 1 s' '
	portal_kill &&
	portal_start -P 2000 &&
	{ lab_exec $LAB_A $PY "$SRC_ROOT/t/helper/portal-slow.py" $LAB_R4A 8080 1000 >slow.out 2>&1 & } &&
	slow=$! &&
	i=0 &&
	while ! grep -q "^open 1000$" slow.out
	do
		i=$((i + 1)) && test $i -lt 300 || { cat slow.out; kill $slow; return 1; }
		sleep 0.1
	done &&
	sleep 2.5 &&
	test "$(ls /proc/$(cat portal.pid)/fd | wc -l)" -gt 1000 &&
	il del $LAB_B4 &&
	timed $LAB_B "$(mint $SECRET_HEX 0 0 3600 0 0 4001)" >slowtimed &&
	cat slowtimed &&
	kill $slow &&
	test "$(cut -d" " -f1 slowtimed)" = 200 &&
	awk "{ exit !(\$2 < 1.0) }" slowtimed &&
	test "$(il check $LAB_B4)" = Yes
'

test_done
