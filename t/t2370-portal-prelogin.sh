#!/bin/sh
test_description='the pre-login hook: it refuses with its word, or sets a session timeout; one that hangs is decided by hook_prelogin_fail at its limit'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"
. "$TEST_DIRECTORY/lib-portal.sh"

lab_require
test_require_prog curl sqlite3
test_atexit portal_stop


test_expect_success 'lab, a pre-login hook whose answer the test chooses' '
	portal_lab &&
	printf "%s\n" "#!/bin/sh" \
		"echo \"\$1 \$2 \$IPAC_ADDR \$IPAC_VOUCHER \$IPAC_ACCOUNT\" >>$TRASH_DIRECTORY/pre.log" \
		"case \$(cat $TRASH_DIRECTORY/mode) in" \
		"deny) echo \"over quota for today\"; echo more; exit 1 ;;" \
		"limit) echo \"session_timeout=3\"; exit 0 ;;" \
		"hang) exec sleep 30 ;;" \
		"esac" >pre.sh &&
	chmod +x pre.sh &&
	portal_conf "hook_prelogin = $TRASH_DIRECTORY/pre.sh" \
		"hook_prelogin_timeout = 2s" &&
	daemon_start &&
	portal_start
'

test_expect_success 'it says no: the code is refused with its first line' '
	echo deny >mode &&
	test "$(timed $LAB_A "$(mint $SECRET_HEX 0 0 600 0 5 7001)" | cut -d" " -f1)" = 403 &&
	grep "<p class=\"problem\">over quota for today</p>" timed.body &&
	grep "^prelogin - $LAB_A4 7001 cafe$" pre.log &&
	test "$(il count)" = 0 &&
	test "$(q "SELECT count(*) FROM voucher")" = 0
'

test_expect_success 'session_timeout=3: the session ends 3 s later (limit); the code goes on' '
	echo limit >mode &&
	code=$(mint $SECRET_HEX 0 0 600 0 0 7002) &&
	timed $LAB_A "$code" >t &&
	test "$(cut -d" " -f1 t)" = 200 &&
	grep "<dd>3 s</dd>" timed.body &&
	t0=$(date +%s%N) &&
	while test "$(il check $LAB_A4)" = Yes
	do
		sleep 0.05
	done &&
	ms=$(( ($(date +%s%N) - t0) / 1000000 )) &&
	echo "logged out $ms ms after the answer" &&
	test $ms -ge 2000 && test $ms -le 4000 &&
	sleep 0.4 &&
	test "$(q "SELECT reason FROM session ORDER BY rowid DESC LIMIT 1")" = limit &&
	echo allow >mode &&
	test "$(timed $LAB_A "$code" | cut -d" " -f1)" = 200 &&
	grep "<dd>9 min" timed.body
'

test_expect_success 'a hook that hangs: killed at 2 s, refused (hook_prelogin_fail closed)' '
	echo hang >mode &&
	timed $LAB_B "$(mint $SECRET_HEX 0 0 600 0 0 7003)" >t &&
	cat t &&
	test "$(cut -d" " -f1 t)" = 403 &&
	awk "{ exit !(\$2 >= 1.9 && \$2 <= 2.6) }" t &&
	grep "did not answer in time" timed.body &&
	test "$(il check $LAB_B4)" = No &&
	daemon_log_has "the pre-login hook did not answer in 2000 ms: refused"
'

test_expect_success 'hook_prelogin_fail = open: a hook that hangs lets the device in at 2 s' '
	portal_conf "hook_prelogin = $TRASH_DIRECTORY/pre.sh" \
		"hook_prelogin_timeout = 2s" "hook_prelogin_fail = open" &&
	kill -HUP $(cat iplogin.pid) &&
	sleep 0.5 &&
	timed $LAB_B "$(mint $SECRET_HEX 0 0 600 0 0 7004)" >t &&
	cat t &&
	test "$(cut -d" " -f1 t)" = 200 &&
	awk "{ exit !(\$2 >= 1.9 && \$2 <= 2.6) }" t &&
	test "$(il check $LAB_B4)" = Yes
'

test_done
