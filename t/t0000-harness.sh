#!/bin/sh
test_description='the test harness: test-lib.sh, lib-lab.sh and ipac-send'
. "$(dirname "$0")/test-lib.sh"

# Sub-scripts (tests of the harness itself) live in sub/ and source the
# real libraries through $IPAC_T.  Their trash folders are sub/trash.*.
IPAC_T=$TEST_DIRECTORY
export IPAC_T
mkdir sub

# run_sub NAME [ARG...]: run sub/NAME.sh with sh; its TAP (paths of its
# trash folder replaced by TRASH) in NAME.out, its status in NAME.rc.
run_sub () {
	run_sub_name=$1
	shift
	sh "sub/$run_sub_name.sh" "$@" >"$run_sub_name.raw" 2>"$run_sub_name.err"
	echo $? >"$run_sub_name.rc"
	sed "s|$TRASH_DIRECTORY/sub/trash\.$run_sub_name|TRASH|" \
		"$run_sub_name.raw" >"$run_sub_name.out"
}

# --- test-lib.sh ------------------------------------------------------

test_expect_success 'a body that succeeds passes' '
	true
'

test_expect_success 'bodies run in this shell: variables persist' '
	harness_var=42
'

test_expect_success '... and are seen by the next test' '
	test "$harness_var" = 42
'

test_expect_success 'exported variables and PATH' '
	test "$TEST_DIRECTORY" = "$SRC_ROOT/t" &&
	test -f "$SRC_ROOT/t/test-lib.sh" &&
	test "$(pwd -P)" = "$TEST_DIRECTORY/trash.t0000-harness" &&
	case ${IPAC_TEST_INSTALLED:-0} in
	0) test "$IPAC_BIN_PATH" = "$SRC_ROOT/ipacset:$SRC_ROOT/fetchipac:$SRC_ROOT/ipacsum:$SRC_ROOT/iplogin" ;;
	/*) test "$IPAC_BIN_PATH" = "$IPAC_TEST_INSTALLED" ;;
	*) test "$IPAC_BIN_PATH" = /usr/sbin ;;
	esac &&
	case $PATH in
	"$IPAC_BIN_PATH:$SRC_ROOT/t/helper:"*) ;;
	*) echo "PATH=$PATH"; false ;;
	esac &&
	# the store of the programs stays in the trash folder
	grep -qx "store = $TRASH_DIRECTORY/ipac.db" "$IPAC_SETTINGS"
'

test_expect_success 'the programs under test are of this version (VERSION)' '
	version=$(cat "$SRC_ROOT/VERSION") &&
	for p in ipacset fetchipac ipacsum iplogin ilcmd
	do
		case $IPAC_BIN_PATH in
		*:*) test "$(command -v $p)" = "$SRC_ROOT/$(basename $(dirname $(command -v $p)))/$p" ;;
		*) test "$(command -v $p)" = "$IPAC_BIN_PATH/$p" ;;
		esac &&
		test "$($p -V)" = "$p $version" &&
		test "$($p --version)" = "$p $version" ||
		{ echo "$p: $(command -v $p): $($p -V 2>&1)"; return 1; }
	done
'

cat >sub/t9001-mixed.sh <<\EOF
test_description='pass, fail, known breakage, cleanups'
. "$IPAC_T/test-lib.sh"
test_expect_success 'passes' 'echo quiet-out'
test_expect_success 'fails' 'echo hello-out && false'
test_expect_failure 'still broken' 'false'
test_expect_failure 'fixed' 'true'
test_expect_success 'cleanup after failure' 'test_when_finished "echo wf1 >>$MARK" && false'
test_expect_success 'cleanup after success' 'test_when_finished "echo wf2 >>$MARK" && true'
test_expect_success 'failing cleanup fails the test' 'test_when_finished false && true'
test_expect_success 'cleanups run newest first' 'test_when_finished "echo wf3 >>$MARK" && test_when_finished "echo wf4 >>$MARK"'
test_atexit 'echo atexit >>"$MARK"'
test_done
EOF

test_expect_success 'TAP of passing, failing and known-broken tests' '
	MARK=$TRASH_DIRECTORY/mark1 &&
	export MARK &&
	run_sub t9001-mixed &&
	{
		echo "ok 1 - passes" &&
		echo "not ok 2 - fails" &&
		echo "# hello-out" &&
		echo "# failed body:" &&
		printf "#\\techo hello-out && false\\n" &&
		echo "not ok 3 - still broken # TODO known breakage" &&
		echo "ok 4 - fixed # TODO known breakage vanished" &&
		echo "not ok 5 - cleanup after failure" &&
		echo "# failed body:" &&
		printf "#\\ttest_when_finished \"echo wf1 >>\$MARK\" && false\\n" &&
		echo "ok 6 - cleanup after success" &&
		echo "not ok 7 - failing cleanup fails the test" &&
		echo "# test_when_finished command failed: false" &&
		echo "# failed body:" &&
		printf "#\\ttest_when_finished false && true\\n" &&
		echo "ok 8 - cleanups run newest first" &&
		echo "# 1 known breakage(s) vanished; change test_expect_failure to test_expect_success" &&
		echo "# still have 1 known breakage(s)" &&
		echo "# failed 3 among 8 test(s)" &&
		echo "# trash kept in TRASH" &&
		echo "1..8"
	} >expect &&
	test_cmp expect t9001-mixed.out &&
	echo 1 >expect &&
	test_cmp expect t9001-mixed.rc &&
	test_must_be_empty t9001-mixed.err
'

test_expect_success 'test_when_finished and test_atexit ran, in order' '
	printf "%s\\n" wf1 wf2 wf4 wf3 atexit >expect &&
	test_cmp expect mark1
'

test_expect_success 'a failing script keeps its trash folder' '
	test -d sub/trash.t9001-mixed
'

cat >sub/t9002-pass.sh <<\EOF
test_description='all pass'
. "$IPAC_T/test-lib.sh"
test_expect_success 'a' 'echo out-a'
test_expect_success 'b' 'echo out-b >&2'
test_done
EOF

test_expect_success 'a passing script: plan, status 0, trash removed' '
	run_sub t9002-pass &&
	printf "%s\\n" "ok 1 - a" "ok 2 - b" "# passed all 2 test(s)" "1..2" >expect &&
	test_cmp expect t9002-pass.out &&
	echo 0 >expect &&
	test_cmp expect t9002-pass.rc &&
	! test -e sub/trash.t9002-pass
'

test_expect_success '-v and IPAC_TEST_VERBOSE=1 show the output of passing tests' '
	printf "%s\\n" "ok 1 - a" "# out-a" "ok 2 - b" "# out-b" \
		"# passed all 2 test(s)" "1..2" >expect &&
	run_sub t9002-pass -v &&
	test_cmp expect t9002-pass.out &&
	IPAC_TEST_VERBOSE=1 run_sub t9002-pass &&
	test_cmp expect t9002-pass.out
'

test_expect_success 'test_must_fail accepts exit statuses 1 and 125' '
	test_must_fail sh -c "exit 1" &&
	test_must_fail sh -c "exit 125"
'

test_expect_success 'test_must_fail rejects success' '
	! test_must_fail true 2>err &&
	grep "command succeeded" err
'

test_expect_success 'test_must_fail rejects a missing command' '
	! test_must_fail ipac-no-such-command 2>err &&
	grep "command not found: ipac-no-such-command" err
'

test_expect_success 'test_must_fail rejects a command that is not executable' '
	echo "exit 1" >noexec.sh &&
	chmod -x noexec.sh &&
	! test_must_fail ./noexec.sh 2>err &&
	grep "not executable" err
'

test_expect_success 'test_must_fail rejects a crash (signal)' '
	! test_must_fail sh -c "kill -SEGV \$\$" 2>err &&
	grep "died by signal 11" err &&
	! test_must_fail sh -c "kill -ABRT \$\$" 2>err &&
	grep "died by signal 6" err
'

test_expect_success 'test_cmp passes on equal files, fails with a diff' '
	printf "a\\nb\\n" >one &&
	printf "a\\nb\\n" >two &&
	printf "a\\nc\\n" >three &&
	test_cmp one two &&
	! test_cmp one three >out &&
	grep "^-b" out &&
	grep "^+c" out
'

test_expect_success 'test_must_be_empty' '
	: >empty &&
	test_must_be_empty empty &&
	echo x >full &&
	! test_must_be_empty full &&
	! test_must_be_empty missing
'

# Fakes for the "cannot run" path: an ip that cannot make namespaces and
# an id that says we are not root.
mkdir fakebin-ip fakebin-id
printf '#!/bin/sh\nexit 1\n' >fakebin-ip/ip
printf '#!/bin/sh\necho 1000\n' >fakebin-id/id
chmod +x fakebin-ip/ip fakebin-id/id

cat >sub/t9003-cannot.sh <<\EOF
test_description='environment cannot run this'
. "$IPAC_T/test-lib.sh"
PATH=$FAKEBIN:$PATH
test_require_root_netns
test_expect_success 'never runs' 'false'
test_done
EOF

test_expect_success 'no namespaces: the script is skipped' '
	(
		unset CI IPAC_TEST_STRICT &&
		FAKEBIN=$TRASH_DIRECTORY/fakebin-ip &&
		export FAKEBIN &&
		run_sub t9003-cannot
	) &&
	echo "1..0 # SKIP ip netns add does not work" >expect &&
	test_cmp expect t9003-cannot.out &&
	echo 0 >expect &&
	test_cmp expect t9003-cannot.rc
'

test_expect_success 'not root: the script is skipped' '
	(
		unset CI IPAC_TEST_STRICT &&
		FAKEBIN=$TRASH_DIRECTORY/fakebin-id &&
		export FAKEBIN &&
		run_sub t9003-cannot
	) &&
	echo "1..0 # SKIP not root" >expect &&
	test_cmp expect t9003-cannot.out
'

test_expect_success 'CI=true or IPAC_TEST_STRICT=1: cannot run is a failure' '
	{
		echo "not ok 1 - cannot run: ip netns add does not work" &&
		echo "# strict mode (CI=true or IPAC_TEST_STRICT=1): not skipping" &&
		echo "1..1"
	} >expect &&
	echo 1 >expect.rc &&
	(
		unset IPAC_TEST_STRICT &&
		CI=true FAKEBIN=$TRASH_DIRECTORY/fakebin-ip &&
		export CI FAKEBIN &&
		run_sub t9003-cannot
	) &&
	test_cmp expect t9003-cannot.out &&
	test_cmp expect.rc t9003-cannot.rc &&
	(
		unset CI &&
		IPAC_TEST_STRICT=1 FAKEBIN=$TRASH_DIRECTORY/fakebin-ip &&
		export IPAC_TEST_STRICT FAKEBIN &&
		run_sub t9003-cannot
	) &&
	test_cmp expect t9003-cannot.out &&
	test_cmp expect.rc t9003-cannot.rc
'

# --- lib-lab.sh and ipac-send -----------------------------------------

. "$TEST_DIRECTORY/lib-lab.sh"
lab_require

test_expect_success 'ipac-send rejects bad arguments' '
	test_must_fail ipac-send -p tcp -d 198.18.2.2 -l 39 2>err &&
	grep "too small, IPv4 TCP headers need 40 bytes" err &&
	test_must_fail ipac-send -6 -p udp -d 2001:db8:2::2 -l 47 2>err &&
	grep "too small, IPv6 UDP headers need 48 bytes" err &&
	test_must_fail ipac-send -p sctp -d 198.18.2.2 2>err &&
	grep "unknown protocol" err &&
	test_must_fail ipac-send -p udp -d 198.18.2.x 2>err &&
	grep "not an IPv4 address" err &&
	test_must_fail ipac-send -p udp 2>err &&
	grep "^usage: ipac-send" err
'

test_expect_success 'lab_router_setup: namespaces, names and addresses' '
	lab_router_setup &&
	test "$LAB_R" = "ipac-$$-r" &&
	test "$LAB_A" = "ipac-$$-a" &&
	test "$LAB_B" = "ipac-$$-b" &&
	test "$LAB_A4 $LAB_R4A $LAB_B4 $LAB_R4B" = \
		"198.18.1.2 198.18.1.1 198.18.2.2 198.18.2.1" &&
	test "$LAB_A6 $LAB_R6A $LAB_B6 $LAB_R6B" = \
		"2001:db8:1::2 2001:db8:1::1 2001:db8:2::2 2001:db8:2::1" &&
	ip netns list | awk "{ print \$1 }" | grep "^ipac-$$-" | sort >actual &&
	printf "%s\\n" "ipac-$$-a" "ipac-$$-b" "ipac-$$-r" >expect &&
	test_cmp expect actual &&
	lab_exec "$LAB_A" ip -o -4 addr show dev a0 | awk "{ print \$4 }" >actual &&
	echo 198.18.1.2/24 >expect &&
	test_cmp expect actual &&
	lab_exec "$LAB_B" sh -c "echo \$LAB_B4" >actual &&
	echo 198.18.2.2 >expect &&
	test_cmp expect actual
'

test_expect_success 'lab_warmup reaches the router over every link' '
	lab_warmup
'

test_expect_success 'lab_hosts: names resolve inside the namespace only' '
	lab_hosts "$LAB_R" "$LAB_B4 bhost" "$LAB_B6 bhost6" &&
	lab_exec "$LAB_R" getent hosts bhost >actual &&
	awk "{ print \$1, \$2 }" actual >actual2 &&
	echo "198.18.2.2 bhost" >expect &&
	test_cmp expect actual2 &&
	test_must_fail lab_exec "$LAB_A" getent -s files hosts bhost &&
	test_must_fail lab_exec "$LAB_R" getent hosts no-such-lab-host
'

test_expect_success 'router counters see exactly what ipac-send sent' '
	lab_exec "$LAB_R" nft -f - <<-\EOF &&
	table inet t0000 {
		chain forward {
			type filter hook forward priority 0; policy accept;
			ip saddr 198.18.1.2 udp dport 5000 counter comment "udp4"
			ip saddr 198.18.1.2 tcp dport 80 tcp flags == ack|psh counter comment "tcp4"
			ip saddr 198.18.1.2 icmp type echo-request counter comment "echo4"
			ip saddr 198.18.2.2 icmp type echo-reply counter comment "reply4"
			ip saddr 198.18.2.2 icmp type != echo-reply counter comment "b-other4"
			ip6 saddr 2001:db8:1::2 udp dport 5000 counter comment "udp6"
			ip6 saddr 2001:db8:1::2 udp dport 5001 counter comment "udp6-kernel-hdr"
			ip6 saddr 2001:db8:1::2 tcp dport 80 counter comment "tcp6"
			ip6 saddr 2001:db8:1::2 icmpv6 type echo-request counter comment "echo6"
			ip6 saddr 2001:db8:2::2 icmpv6 type echo-reply counter comment "reply6"
			ip6 saddr 2001:db8:2::2 icmpv6 type != echo-reply counter comment "b-other6"
			ip6 saddr 2001:db8:2::2 meta l4proto != icmpv6 counter comment "b-other6b"
			ip6 saddr 2001:db8:1::2 counter comment "all6"
		}
		chain input {
			type filter hook input priority 0; policy accept;
			counter comment "router-in"
		}
		chain output {
			type filter hook output priority 0; policy accept;
			counter comment "router-out"
		}
	}
	EOF
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 7 -l 300 &&
	lab_exec "$LAB_A" ipac-send -p tcp -s "$LAB_A4" -d "$LAB_B4" --dport 80 -c 5 -l 200 &&
	lab_exec "$LAB_A" ipac-send -p icmp -d "$LAB_B4" -c 3 &&
	lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 5000 -c 4 -l 150 &&
	lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 5001 -c 2 -l 150 --no-hdrincl &&
	lab_exec "$LAB_A" ipac-send -6 -p tcp -d "$LAB_B6" --dport 80 -c 3 -l 60 -i 1000 &&
	lab_exec "$LAB_A" ipac-send -6 -p icmp -d "$LAB_B6" -c 2 -l 120 &&
	sleep 0.2 &&
	cat >expect <<-\EOF &&
	udp4 7 2100
	tcp4 5 1000
	echo4 3 300
	reply4 3 300
	b-other4 0 0
	udp6 4 600
	udp6-kernel-hdr 2 300
	tcp6 3 180
	echo6 2 240
	reply6 2 240
	b-other6 0 0
	b-other6b 0 0
	all6 11 1320
	router-in 0 0
	router-out 0 0
	EOF
	lab_nft_counters "$LAB_R" inet t0000 >actual &&
	test_cmp expect actual
'

test_expect_success 'lab_sink on the router: local UDP in, no reply out' '
	lab_sink "$LAB_R" &&
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_R4A" --dport 9 -c 2 -l 64 &&
	lab_exec "$LAB_A" ipac-send -6 -p tcp -d "$LAB_R6A" --dport 9 -c 1 -l 60 &&
	sleep 0.1 &&
	printf "%s\\n" "router-in 3 188" "router-out 0 0" >expect &&
	lab_nft_counters "$LAB_R" inet t0000 | grep "^router-" >actual &&
	test_cmp expect actual
'

# mib ns NAME...: the values of the kernel's SNMP counters NAME (nstat
# names: UdpNoPorts, Udp6InCsumErrors, TcpOutRsts ...) in ns, one a line.
mib () {
	mib_ns=$1
	shift
	lab_exec "$mib_ns" cat /proc/net/snmp /proc/net/snmp6 |
	awk -v names="$*" '
		NF == 2 && $1 !~ /:$/ { v[$1] = $2; next }
		{
			p = substr($1, 1, length($1) - 1)
			if (seen[p]++)
				for (i = 2; i <= NF; i++) v[p h[p, i]] = $i
			else
				for (i = 2; i <= NF; i++) h[p, i] = $i
		}
		END {
			n = split(names, a, " ")
			for (i = 1; i <= n; i++) print a[i], v[a[i]]
		}'
}

test_expect_success 'checksums are right: B without its sink takes every packet' '
	lab_exec "$LAB_B" nft delete table inet labsink &&
	test_when_finished "lab_sink \"\$LAB_B\"" &&
	mib "$LAB_B" UdpNoPorts Udp6NoPorts TcpOutRsts UdpInCsumErrors \
		Udp6InCsumErrors TcpInCsumErrors TcpInErrs >before &&
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 9 -c 2 -l 101 &&
	lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 9 -c 2 -l 101 &&
	lab_exec "$LAB_A" ipac-send -6 -p udp -d "$LAB_B6" --dport 9 -c 3 -l 77 --no-hdrincl &&
	lab_exec "$LAB_A" ipac-send -p tcp -d "$LAB_B4" --dport 9 -c 1 -l 45 &&
	lab_exec "$LAB_A" ipac-send -6 -p tcp -d "$LAB_B6" --dport 9 -c 1 -l 61 &&
	lab_exec "$LAB_A" ipac-send -6 -p tcp -d "$LAB_B6" --dport 9 -c 1 -l 60 --no-hdrincl &&
	sleep 0.1 &&
	mib "$LAB_B" UdpNoPorts Udp6NoPorts TcpOutRsts UdpInCsumErrors \
		Udp6InCsumErrors TcpInCsumErrors TcpInErrs >after &&
	paste before after | awk "{ print \$1, \$4 - \$2 }" >actual &&
	printf "%s\\n" "UdpNoPorts 2" "Udp6NoPorts 5" "TcpOutRsts 3" \
		"UdpInCsumErrors 0" "Udp6InCsumErrors 0" "TcpInCsumErrors 0" \
		"TcpInErrs 0" >expect &&
	test_cmp expect actual
'

test_expect_success 'three hosts, neighbours found by the kernel' '
	lab_cleanup &&
	lab_router_setup --hosts 3 --dynamic-neigh &&
	test "$LAB_C $LAB_C4 $LAB_R4C $LAB_C6 $LAB_R6C" = \
		"ipac-$$-c 198.18.3.2 198.18.3.1 2001:db8:3::2 2001:db8:3::1" &&
	lab_warmup &&
	lab_exec "$LAB_R" ip neigh show nud permanent >actual &&
	test_must_be_empty actual &&
	lab_exec "$LAB_R" ip neigh show "$LAB_C6" >actual &&
	grep REACHABLE actual &&
	lab_exec "$LAB_R" nft -f - <<-\EOF &&
	table inet t0000c {
		chain forward {
			type filter hook forward priority 0; policy accept;
			iifname "r0" oifname "r2" counter comment "a-to-c"
			iifname "r2" oifname "r0" counter comment "c-to-a"
		}
	}
	EOF
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_C4" -c 2 -l 100 &&
	lab_exec "$LAB_C" ipac-send -6 -p udp -d "$LAB_A6" -c 3 -l 100 &&
	sleep 0.1 &&
	printf "%s\\n" "a-to-c 2 200" "c-to-a 3 300" >expect &&
	lab_nft_counters "$LAB_R" inet t0000c >actual &&
	test_cmp expect actual
'

test_expect_success 'masquerade: B sees the router, the echo reply reaches A' '
	lab_cleanup &&
	lab_router_setup --masquerade &&
	lab_exec "$LAB_B" nft -f - <<-\EOF &&
	table ip t0000b {
		chain input {
			type filter hook input priority -10; policy accept;
			ip saddr 198.18.2.1 icmp type echo-request counter comment "masq-echo"
			ip saddr 198.18.2.1 udp dport 5000 counter comment "masq-udp"
			ip saddr 198.18.1.2 counter comment "unmasqueraded"
		}
	}
	EOF
	lab_exec "$LAB_A" nft -f - <<-\EOF &&
	table ip t0000a {
		chain input {
			type filter hook input priority -10; policy accept;
			ip saddr 198.18.2.2 icmp type echo-reply counter comment "reply"
		}
	}
	EOF
	lab_exec "$LAB_A" ipac-send -p icmp -d "$LAB_B4" -c 2 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c 3 -l 200 &&
	sleep 0.2 &&
	printf "%s\\n" "masq-echo 2 200" "masq-udp 3 600" "unmasqueraded 0 0" >expect &&
	lab_nft_counters "$LAB_B" ip t0000b >actual &&
	test_cmp expect actual &&
	echo "reply 2 200" >expect &&
	lab_nft_counters "$LAB_A" ip t0000a >actual &&
	test_cmp expect actual
'

cat >sub/t9004-lab.sh <<\EOF
test_description='a lab script that ends badly'
. "$IPAC_T/test-lib.sh"
. "$IPAC_T/lib-lab.sh"
test_expect_success 'lab' '
	lab_router_setup &&
	lab_hosts "$LAB_R" "198.18.2.2 bhost" &&
	test -f "/etc/netns/$LAB_R/hosts" &&
	echo "$LAB_PREFIX" >"$OUT"
'
case $MODE in
fail)	test_expect_success 'fails' 'false' ;;
exit)	test_expect_success 'exits' 'exit 3' ;;
term)	test_expect_success 'killed' 'kill -TERM $$' ;;
int)	test_expect_success 'interrupted' 'kill -INT $$' ;;
esac
test_done
EOF

# lab_gone PREFIX: no namespace and no /etc/netns folder named PREFIX*.
lab_gone () {
	test -n "$1" &&
	! ip netns list | grep "^$1" &&
	! ls -d /etc/netns/"$1"* 2>/dev/null
}

for mode in fail:1 exit:3 term:143 int:130
do
	test_expect_success "lab namespaces deleted when a script ends by ${mode%:*}" '
		OUT=$TRASH_DIRECTORY/prefix.${mode%:*} MODE=${mode%:*} &&
		export OUT MODE &&
		run_sub t9004-lab &&
		cp t9004-lab.out t9004-lab.out.${mode%:*} &&
		echo ${mode#*:} >expect &&
		test_cmp expect t9004-lab.rc &&
		grep "^ok 1 - lab" t9004-lab.out &&
		lab_gone "$(cat "$OUT")"
	'
done

test_expect_success 'a body that exits or is killed is reported' '
	grep "^not ok 2 - exits # body exited" t9004-lab.out.exit &&
	grep "^# terminated" t9004-lab.out.term &&
	grep "^not ok 2 - killed # body exited" t9004-lab.out.term &&
	grep "^# interrupted" t9004-lab.out.int &&
	grep "^not ok 2 - interrupted # body exited" t9004-lab.out.int
'

test_expect_success 'lab_cleanup leaves no ipac-<pid>- namespace' '
	lab_cleanup &&
	lab_gone "$LAB_PREFIX"
'

test_done
