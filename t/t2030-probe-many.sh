#!/bin/sh
test_description='probing engine: 1,000 targets, few of them there (real kernel)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-probe.sh"

probe_require

# 7 hosts that answer (ARP, NS, echo, echo6; A twice, on a second
# on-link /22) and 993 that do not: on-link IPv4 and IPv6, routed IPv4
# and IPv6.
test_expect_success 'lab and 1,000 targets' '
	probe_lab &&
	ip -n "$LAB_R" addr add 198.18.64.1/22 dev r0 &&
	ip -n "$LAB_A" addr add 198.18.64.2/22 dev a0 &&
	printf "%s\n" "$LAB_A4" "$LAB_B4" 198.18.64.2 "$PROBE_H4" \
		"$LAB_A6" "$LAB_B6" "$PROBE_H6" >live &&
	{
		i=3
		while test $i -lt 903
		do
			echo 198.18.$((64 + i / 256)).$((i % 256))
			i=$((i + 1))
		done
		i=1
		while test $i -le 73
		do
			printf "2001:db8:1::1:%x\n" $i
			i=$((i + 1))
		done
		i=2
		while test $i -le 11
		do
			echo 198.18.200.$i
			printf "2001:db8:200::%x\n" $i
			i=$((i + 1))
		done
	} >dead &&
	cat live dead >targets &&
	test "$(sort -u targets | wc -l)" = 1000
'

test_expect_success 'the live ones stay, the rest go within their timeout' '
	lab_exec "$LAB_R" ipac-probe -d 4000 -i 500 -T 1500 -w 300 -f targets >out &&
	tail -1 out &&
	awk "\$1 == \"target\" && \$9 == \"alive\" { print \$2 }" out | sort >got-live &&
	sort live >want-live &&
	test_cmp want-live got-live &&
	awk "\$2 == \"gone\" { print \$3 }" out | sort >got-gone &&
	sort dead >want-gone &&
	test_cmp want-gone got-gone &&
	awk "\$2 == \"gone\" { print \$1 }" out | sort -n >times &&
	probe_between 1500 1800 "$(head -1 times)" &&
	probe_between 1500 1800 "$(tail -1 times)" &&
	grep "^total sent [0-9]* errors 0 .* gone 993 alive 7 " out
'

test_expect_success 'every target was probed about every 500 ms' '
	awk "\$1 == \"target\" && (\$6 < 7 || \$6 > 9) { print; bad++ } END { exit bad }" out
'

test_done
