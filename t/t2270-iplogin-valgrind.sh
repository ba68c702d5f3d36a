#!/bin/sh
test_description='iplogin under valgrind in a lab: logins, traffic, counters, reload, blocks, state, logouts; no memory error of ours, nothing lost'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-iplogin.sh"

lab_require
test_require_prog valgrind
# A sanitizer build and valgrind do not go together.
if grep -q fsanitize "$SRC_ROOT/config.mk" 2>/dev/null
then
	test_skip_all "built with sanitizers (the sanitizer pass checks it)"
fi

test_expect_success 'lab; iplogin under valgrind' '
	il_lab &&
	mkdir files &&
	cat >iplogin.conf <<-EOF &&
	server gw
	    listen = $SOCK
	    chains = users/b, nat:users
	    blockchain = block/b>DROP
	    probe = 198.18.0.0/15 300ms 10s
	    counterinterval = 1
	    file_dir = $TRASH_DIRECTORY/files

	client root
	    user = 0
	    perms = any
	EOF
	: "libnftables pads its own set-up batch with bytes it never wrote" &&
	cat >nft.supp <<-\EOF &&
	{
	   libnftables-batch-padding
	   Memcheck:Param
	   sendmsg(msg.msg_iov[0])
	   ...
	   obj:*/libnftables.so*
	   ...
	   fun:nft_run_cmd_from_buffer
	}
	EOF
	rm -f iplogin.pid
	lab_exec $LAB_R valgrind --error-exitcode=9 --leak-check=full \
		--errors-for-leak-kinds=definite --suppressions=nft.supp \
		--log-file=vg.log iplogin -d -c "$TRASH_DIRECTORY/iplogin.conf" \
		-s gw -p "$TRASH_DIRECTORY/iplogin.pid" >>daemon.log 2>&1 &
	i=0 &&
	while ! test -s iplogin.pid || ! il count >/dev/null 2>&1
	do
		i=$((i + 1)); test $i -lt 300 || return 1; sleep 0.1
	done
'

test_expect_success 'logins, traffic, counters, reload, blocks, the state file, logouts' '
	il add $LAB_A4 alice &&
	il add $LAB_A6 alice6 users/b &&
	lab_exec $LAB_A ipac-send -p udp -d $LAB_B4 --dport 5000 -c 3 -l 300 &&
	sleep 2.5 &&
	il stat $LAB_A4 | grep "^TX bytes: 900$" &&
	test "$(il reload)" = "OK 2" &&
	test "$(il reload -r)" = "OK 2" &&
	il addblock 198.18.1.77 block &&
	il delblock 198.18.1.77 block &&
	il del $LAB_A4 &&
	il savestate s && test "$(il reset)" = "OK 1" &&
	test "$(il loadstate s)" = "OK 1" &&
	il quit
'

test_expect_success 'valgrind: no error, nothing definitely lost' '
	i=0 &&
	while ! grep -q "ERROR SUMMARY" vg.log
	do
		i=$((i + 1)); test $i -lt 300 || return 1; sleep 0.1
	done &&
	grep "ERROR SUMMARY" vg.log &&
	grep "ERROR SUMMARY: 0 errors" vg.log &&
	! grep "definitely lost: [1-9]" vg.log
'

test_done
