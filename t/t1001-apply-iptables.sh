#!/bin/sh
test_description='iptables backend: apply, reload, flush and repair touch only our chains'
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require

# legacy FAMILY: the legacy tables of the router (iptables-legacy-save
# of "4" or "6") without counters.
legacy () {
	case $1 in
	4) lab_exec "$LAB_R" iptables-legacy-save ;;
	6) lab_exec "$LAB_R" ip6tables-legacy-save ;;
	esac | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//'
}

# foreign FAMILY: every line of legacy FAMILY that is not ours.
foreign () {
	legacy "$1" | grep -v -e 'ipac~'
}

cat >ipac.conf <<EOF
total in|in|r1|all||
total out|out|r1|all||
h1|in|r0|all|198.18.1.2|
h2|in|r0|all|198.18.1.3|
web|both||tcp||any 80 443
v6 in|in|r0|all|2001:db8:1::2|
EOF

test_expect_success 'lab, foreign legacy rules (filter and nat), a foreign nft table' '
	lab_router_setup &&
	lab_exec "$LAB_R" iptables-legacy -w -A INPUT -s 198.18.9.1 -j ACCEPT &&
	lab_exec "$LAB_R" iptables-legacy -w -A FORWARD -s 198.18.9.2 -j DROP &&
	lab_exec "$LAB_R" iptables-legacy -w -N mine &&
	lab_exec "$LAB_R" iptables-legacy -w -A mine -p udp --dport 9 -m comment --comment "not ipac" &&
	lab_exec "$LAB_R" iptables-legacy -w -A OUTPUT -j mine &&
	lab_exec "$LAB_R" iptables-legacy -w -t nat -A POSTROUTING -o r1 -s 198.18.9.0/24 -j MASQUERADE &&
	lab_exec "$LAB_R" ip6tables-legacy -w -A INPUT -s 2001:db8:9::1 -j ACCEPT &&
	printf "%s\n" "table inet foreign {" "counter seen { }" \
		"chain forward_count { type filter hook forward priority 10; policy accept;" \
		"ip saddr 198.18.1.0/24 counter name \"seen\"" "}" "}" >foreign.nft &&
	lab_exec "$LAB_R" nft -f foreign.nft &&
	lab_exec "$LAB_R" nft -s list ruleset >nft.before &&
	foreign 4 >foreign4.before &&
	foreign 6 >foreign6.before
'

test_expect_success 'apply makes our chains, jumps first, and leaves the rest alone' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	legacy 4 >ipac4 &&
	grep -x -e "-A ipac~o -s 198.18.1.2/32 -i r0 -m comment --comment h1" ipac4 &&
	# the first rules of the built-in chains are our jumps
	grep -e "^-A INPUT" ipac4 | head -1 >first &&
	echo "-A INPUT -j ipac~o" >expect && test_cmp expect first &&
	grep -e "^-A FORWARD" ipac4 | head -2 >first &&
	printf "%s\n" "-A FORWARD -j ipac~fi" "-A FORWARD -j ipac~fo" >expect &&
	test_cmp expect first &&
	grep -e "^-A OUTPUT" ipac4 | head -1 >first &&
	echo "-A OUTPUT -j ipac~i" >expect && test_cmp expect first &&
	legacy 6 | grep -e "-A ipac~o -s 2001:db8:1::2/128 -i r0" &&
	foreign 4 >after && test_cmp foreign4.before after &&
	foreign 6 >after && test_cmp foreign6.before after &&
	lab_exec "$LAB_R" nft -s list ruleset >after && test_cmp nft.before after
'

test_expect_success 'the kernel holds what -D prints' '
	ipacset -D ipac.conf >dry &&
	grep -c "^-A ipac~" dry >n.dry &&
	{ legacy 4; legacy 6; } | grep -c "^-A ipac~" >n.kernel &&
	test_cmp n.dry n.kernel
'

test_expect_success 'applying twice gives the same rules' '
	{ legacy 4; legacy 6; } >first &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	{ legacy 4; legacy 6; } >second &&
	test_cmp first second
'

test_expect_success 'counters survive a reload, and a changed config' '
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 5 -l 200 &&
	lab_exec "$LAB_A" ipac-send -p tcp -d $LAB_B4 --dport 80 -c 2 -l 100 &&
	lab_exec "$LAB_R" ipacset ipac.conf &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "1200 7 |h1|" list &&
	grep -x "1200 7 |total out|" list &&
	grep -x "200 2 |web|" list &&
	# web changes its rules (other ports, forward only): its total stays
	echo "total out|out|r1|all||" >changed.conf &&
	echo "web|ipac~fi||tcp||any 80 8080" >>changed.conf &&
	echo "new|in|r0|all||" >>changed.conf &&
	lab_exec "$LAB_R" ipacset changed.conf &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "1200 7 |total out|" list &&
	grep -x "200 2 |web|" list &&
	grep -x "0 0 |new|" list &&
	! grep "|h1|" list &&
	foreign 4 >after && test_cmp foreign4.before after &&
	lab_exec "$LAB_R" ipacset ipac.conf
'

test_expect_success 'a name that loses rules and gets none keeps its total' '
	echo "x|in|r0|all||" >x1.conf &&
	echo "x|ipac~fi|r0|all||" >x2.conf &&
	lab_exec "$LAB_R" ipacset x1.conf &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_R4A --dport 9 -c 3 -l 100 &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 2 -l 100 &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "500 5 |x|" list &&
	lab_exec "$LAB_R" ipacset x2.conf &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "500 5 |x|" list &&
	{ legacy 4; legacy 6; } | grep -c "comment x" >n &&
	echo 2 >expect && test_cmp expect n &&
	lab_exec "$LAB_A" ipac-send -p udp -d $LAB_B4 --dport 9 -c 1 -l 100 &&
	lab_exec "$LAB_R" ipacset -L -m >list &&
	grep -x "600 6 |x|" list &&
	lab_exec "$LAB_R" ipacset ipac.conf
'

test_expect_success 'a bad config changes nothing in the kernel' '
	{ legacy 4; legacy 6; } >before &&
	printf "ok|in||all||\nbad|sideways||all||\n" >bad.conf &&
	test_must_fail lab_exec "$LAB_R" ipacset bad.conf 2>err &&
	grep "bad.conf:2:5: " err &&
	{ legacy 4; legacy 6; } >after &&
	test_cmp before after
'

test_expect_success '--fix-chains does nothing when all is in place' '
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	test_must_be_empty err
'

test_expect_success '--fix-chains puts jumps back on top, keeps counters and foreign rules' '
	lab_exec "$LAB_R" ipacset -L -m >before.list &&
	lab_exec "$LAB_R" iptables-legacy -w -I FORWARD 1 -s 198.18.9.3 -j DROP &&
	lab_exec "$LAB_R" iptables-legacy -w -D INPUT -j ipac~o &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	grep "IPv4 jump INPUT -> ipac~o is missing" err &&
	grep "IPv4 jump FORWARD -> ipac~fi is rule 2 of FORWARD, not 1" err &&
	grep repaired err &&
	legacy 4 | grep -e "^-A FORWARD" | head -3 >first &&
	printf "%s\n" "-A FORWARD -j ipac~fi" "-A FORWARD -j ipac~fo" \
		"-A FORWARD -s 198.18.9.3/32 -j DROP" >expect &&
	test_cmp expect first &&
	lab_exec "$LAB_R" ipacset -L -m >after.list &&
	test_cmp before.list after.list &&
	lab_exec "$LAB_R" iptables-legacy -w -D FORWARD -s 198.18.9.3 -j DROP &&
	foreign 4 >after && test_cmp foreign4.before after
'

test_expect_success '--fix-chains remakes a deleted chain, and a stray one goes' '
	lab_exec "$LAB_R" ip6tables-legacy -w -D INPUT -j ipac~o &&
	lab_exec "$LAB_R" ip6tables-legacy -w -F ipac~o &&
	lab_exec "$LAB_R" ip6tables-legacy -w -X ipac~o &&
	lab_exec "$LAB_R" iptables-legacy -w -N ipac~fi.77 &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	grep "IPv6 chain ipac~o is missing" err &&
	grep "IPv4 chain ipac~fi.77 is not in the config" err &&
	{ legacy 4; legacy 6; } >after &&
	test_cmp second after
'

test_expect_success 'applies wait for the xtables lock' '
	XTABLES_LOCKFILE=$TRASH_DIRECTORY/xt.lock &&
	export XTABLES_LOCKFILE &&
	: >"$XTABLES_LOCKFILE" &&
	# a change (the same ruleset again changes nothing, takes no lock)
	cp ipac.conf lock.conf &&
	echo "lock wait|in|r0|all||198.18.1.99" >>lock.conf &&
	{ flock "$XTABLES_LOCKFILE" sleep 1.5 & } &&
	sleep 0.3 &&
	start=$(date +%s%N) &&
	lab_exec "$LAB_R" ipacset lock.conf &&
	end=$(date +%s%N) &&
	unset XTABLES_LOCKFILE &&
	echo "waited $(( (end - start) / 1000000 )) ms" &&
	test $(( (end - start) / 1000000 )) -ge 900
'

test_expect_success 'reading survives other programs committing meanwhile' '
	awk "BEGIN { for (i = 1; i <= 3000; i++)
		printf \"name%d|in||all|198.19.%d.%d|\\n\", i, i / 256, i % 256 }" >many.conf &&
	lab_exec "$LAB_R" ipacset many.conf &&
	lab_exec "$LAB_R" iptables-legacy -w -N other || return 1
	sh -c "i=0; while test \$i -lt 200; do
		ip netns exec $LAB_R iptables-legacy -w -A other -s 198.18.8.\$((i % 250)) || exit 1
		i=\$((i + 1)); done" &
	writer=$! &&
	n=0 &&
	while test $n -lt 30
	do
		lab_exec "$LAB_R" ipacset -L -m >list &&
		test $(wc -l <list) -eq 3000 || break
		n=$((n + 1))
	done &&
	wait $writer &&
	test $n -eq 30 &&
	lab_exec "$LAB_R" iptables-legacy -w -F other &&
	lab_exec "$LAB_R" iptables-legacy -w -X other &&
	lab_exec "$LAB_R" ipacset ipac.conf
'

test_expect_success 'a writer that ignores our lock: we commit again, its rules stay' '
	lab_exec "$LAB_R" iptables-legacy -w -N other2 &&
	# ipacset locks a file of its own, so the writer does not wait for it
	XTABLES_LOCKFILE=$TRASH_DIRECTORY/own.lock &&
	export XTABLES_LOCKFILE || return 1
	# (its own commit fails with EAGAIN when ours came between its read
	# and its commit, as iptables-legacy does: it tries again; a commit
	# that took its rule but failed on the counters after it reports an
	# error too, so it looks before it adds again: 300 addresses, each
	# once)
	sh -c "i=0; while test \$i -lt 300; do
		k=0 a=198.18.\$((7 + i / 250)).\$((i % 250))
		until ip netns exec $LAB_R env -u XTABLES_LOCKFILE iptables-legacy -w \
			-C other2 -s \$a 2>/dev/null ||
		    ip netns exec $LAB_R env -u XTABLES_LOCKFILE iptables-legacy -w \
			-A other2 -s \$a 2>/dev/null
		do
			k=\$((k + 1)); test \$k -lt 100 || exit 1
		done
		i=\$((i + 1)); done" &
	writer=$! &&
	n=0 &&
	while test $n -lt 6
	do
		lab_exec "$LAB_R" ipacset -v many.conf 2>>apply.err &&
		lab_exec "$LAB_R" ipacset -v ipac.conf 2>>apply.err || break
		n=$((n + 1))
	done &&
	wait $writer &&
	unset XTABLES_LOCKFILE &&
	test $n -eq 6 &&
	lab_exec "$LAB_R" iptables-legacy -w -S other2 | grep -c "^-A" >count &&
	echo 300 >expect && test_cmp expect count &&
	lab_exec "$LAB_R" ipacset --fix-chains ipac.conf 2>err &&
	test_must_be_empty err &&
	lab_exec "$LAB_R" iptables-legacy -w -F other2 &&
	lab_exec "$LAB_R" iptables-legacy -w -X other2
'

test_expect_success 'flush removes our chains and jumps only' '
	lab_exec "$LAB_R" ipacset -F &&
	! { legacy 4; legacy 6; } | grep "ipac~" &&
	foreign 4 >after && test_cmp foreign4.before after &&
	foreign 6 >after && test_cmp foreign6.before after &&
	lab_exec "$LAB_R" nft -s list ruleset >after && test_cmp nft.before after &&
	lab_exec "$LAB_R" ipacset -F
'

test_expect_success 'list without our chains is empty, not an error' '
	lab_exec "$LAB_R" ipacset -L -m >list &&
	test_must_be_empty list
'

test_expect_success 'auto takes the backend that holds our rules, and probes change nothing' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	echo "backend = auto" >auto.settings &&
	lab_exec "$LAB_R" ipacset -C auto.settings -D ipac.conf >/dev/null 2>err &&
	grep -x "ipacset: backend iptables (auto-detected)" err &&
	lab_netns_add fresh &&
	lab_exec ${LAB_PREFIX}fresh ipacset -C auto.settings -D ipac.conf >/dev/null 2>err &&
	grep -x "ipacset: backend nftables (auto-detected)" err &&
	lab_exec ${LAB_PREFIX}fresh cat /proc/net/ip_tables_names >tables &&
	test_must_be_empty tables
'

test_expect_success 'listing and flushing where no legacy table is make none' '
	lab_exec ${LAB_PREFIX}fresh ipacset --no-store -L -m >list &&
	test_must_be_empty list &&
	lab_exec ${LAB_PREFIX}fresh ipacset --no-store -F &&
	lab_exec ${LAB_PREFIX}fresh cat /proc/net/ip_tables_names \
		/proc/net/ip6_tables_names >tables &&
	test_must_be_empty tables
'

test_expect_success 'iptables-nft does not list our chains, its save warns' '
	lab_exec "$LAB_R" ipacset ipac.conf &&
	if command -v iptables-nft >/dev/null
	then
		lab_exec "$LAB_R" iptables-nft -L -n >nftview 2>&1 &&
		! grep "ipac~" nftview &&
		lab_exec "$LAB_R" iptables-nft-save >nftsave 2>&1 &&
		! grep "ipac~" nftsave &&
		grep "Warning: iptables-legacy tables present" nftsave
	fi
'

test_done
