# lib-lab.sh: network-namespace labs for the tests.  Source it after
# test-lib.sh:
#
#	. "$(dirname "$0")/test-lib.sh"
#	. "$TEST_DIRECTORY/lib-lab.sh"
#	lab_require
#	lab_router_setup
#
# Every namespace is named ipac-<pid>-<name> ($LAB_PREFIX), so scripts run
# in parallel never collide, and every one (with its /etc/netns/ folder)
# is deleted by lab_cleanup, which test_atexit runs however the script
# ends.  Nothing here touches the root namespace: veth pairs are created
# inside the lab namespaces, and the only addresses used are 198.18.0.0/15
# and 2001:db8::/32.
#
# Exact counts.  Netfilter counts IP packets only, by IP total length (see
# t/helper/ipac-send.c).  ARP is not IP, but IPv6 neighbour discovery and
# MLD are ICMPv6 and so ARE seen by input/output rules (never by forward
# rules).  So that counts stay exact, lab_router_setup by default
# pre-fills every neighbour entry as PERMANENT (no ARP, no NDP at all),
# turns off DAD, router solicitations and RA, and waits until the MLD
# reports sent at link-up are over.  After that the lab is silent: a
# counter moves only by what the test sends.  Still, measure deltas
# (counter after minus counter before) rather than absolute values, and
# call lab_warmup before measuring when using --dynamic-neigh.
#
# SPDX-License-Identifier: GPL-2.0-or-later

LAB_PREFIX=ipac-$$-
# The backend under test (test-lib.sh sets it; the demo and benchmarks
# source this file alone).
IPAC_TEST_BACKEND=${IPAC_TEST_BACKEND:-nftables}
LAB_NETNS=		# namespaces made, space separated
LAB_HOSTS=		# host namespaces of lab_router_setup, in order
LAB_LINKS=		# "routerif:hostns:hostif:n" per host link
lab_etc_netns_made_=0
export LAB_PREFIX

# lab_require: test_cannot_run (skip, or fail under CI=true /
# IPAC_TEST_STRICT=1) unless we are root, can make namespaces and have
# ip, nft, sysctl and a built ipac-send.
lab_require () {
	test_require_root_netns
	test_require_prog ip nft sysctl
	command -v ipac-send >/dev/null 2>&1 ||
		test_cannot_run "ipac-send not built (make t/helper/ipac-send)"
	test "$IPAC_TEST_BACKEND" != iptables || lab_require_legacy_
}

# The legacy tables must work in a namespace (Linux 6.17 and later can
# be built without them: CONFIG_NETFILTER_XTABLES_LEGACY).
lab_require_legacy_ () {
	test_require_prog iptables-legacy ip6tables-legacy iptables-legacy-save
	lab_lp_=ipac-$$-legacy-probe
	ip netns add "$lab_lp_" 2>/dev/null ||
		test_cannot_run "ip netns add does not work"
	if ! ip netns exec "$lab_lp_" iptables-legacy -w -L INPUT >/dev/null 2>&1 ||
	   ! ip netns exec "$lab_lp_" ip6tables-legacy -w -L INPUT >/dev/null 2>&1
	then
		ip netns delete "$lab_lp_"
		test_cannot_run "no legacy iptables in this kernel"
	fi
	ip netns delete "$lab_lp_"
}

# lab_ruleset ns: what ipac put into the kernel of ns, as text: table
# inet ipac (nftables), or the legacy filter tables, IPv4 then IPv6,
# without counters and comment lines (iptables).
lab_ruleset () {
	case $IPAC_TEST_BACKEND in
	iptables)
		lab_exec "$1" iptables-legacy-save -t filter | grep -v '^#' &&
		lab_exec "$1" ip6tables-legacy-save -t filter | grep -v '^#' ;;
	*)	lab_exec "$1" nft list table inet ipac ;;
	esac
}

# lab_exec ns cmd...: run cmd (a program, not a shell function) inside
# namespace ns.  Same as ip netns exec ns cmd...
lab_exec () {
	ip netns exec "$@"
}

# lab_netns_add name: create namespace $LAB_PREFIX<name>, record it for
# lab_cleanup, bring lo up and quiet IPv6 on interfaces made later (no RA,
# RS or DAD; MLD reports at link-up sent at once rather than spread over
# seconds).  For tests that build their own topology (then lab_settle);
# lab_router_setup uses it.
lab_netns_add () {
	lab_ns_=$LAB_PREFIX$1
	ip netns add "$lab_ns_" || return 1
	LAB_NETNS="$LAB_NETNS $lab_ns_"
	ip -n "$lab_ns_" link set lo up &&
	lab_exec "$lab_ns_" sysctl -q -w \
		net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.mldv1_unsolicited_report_interval=1 \
		net.ipv6.conf.default.mldv1_unsolicited_report_interval=1 \
		net.ipv6.conf.all.mldv2_unsolicited_report_interval=1 \
		net.ipv6.conf.default.mldv2_unsolicited_report_interval=1 \
		>/dev/null
}

# lab_router_setup [--masquerade] [--hosts N] [--dynamic-neigh]: a router
# namespace $LAB_R and N (1..9, default 2) host namespaces $LAB_A ($LAB_B
# ...), host i joined to the router by a veth pair: router r<i-1> <-> host
# a0 / b0 / c0 ...  Subnets 198.18.<i>.0/24 and 2001:db8:<i>::/64, router
# .1 / ::1, host .2 / ::2 (MACs 02:1a:00:00:0<i>:01 router side, ..:02 host
# side).  Hosts route by default via the router; the router forwards IPv4
# and IPv6.  A is the inside/LAN, B the outside/uplink.  Every host gets
# the labsink table (lab_sink).  Exports:
#	LAB_R LAB_A LAB_B ...		namespace names
#	LAB_A4=198.18.1.2 LAB_R4A=198.18.1.1 LAB_A6=2001:db8:1::2
#	LAB_R6A=2001:db8:1::1, likewise LAB_B4 LAB_R4B LAB_B6 LAB_R6B ...
#	LAB_HOSTS			host namespaces in order
# --masquerade: table "ip labnat" in the router masquerades what leaves
# by r1 (the uplink to B); it is the lab's table, not ipac's.  With
# IPAC_TEST_BACKEND=iptables a legacy nat rule does it instead.
# --router-ifs "NAME NAME ...": the router's interface names, to host A,
# B, ... in order (default r0 r1 ...), e.g. "eth1 eth0" for the demo.
# --dynamic-neigh: leave ARP/NDP to the kernel instead of permanent
# neighbour entries (then call lab_warmup, and expect NDP in input/output
# counts).  Returns non-zero, with a message, when something fails.
lab_router_setup () {
	lab_masq_=0
	LAB_RIFS=
	lab_nhosts_=2
	lab_static_=1
	while test $# -gt 0
	do
		case $1 in
		--masquerade)	lab_masq_=1 ;;
		--hosts)	lab_nhosts_=$2; shift ;;
		--router-ifs)	LAB_RIFS=$2; shift ;;
		--dynamic-neigh) lab_static_=0 ;;
		*)	echo "lab_router_setup: unknown option $1" >&2
			return 1 ;;
		esac
		shift
	done
	case $lab_nhosts_ in
	[1-9])	;;
	*)	echo "lab_router_setup: --hosts wants 1..9" >&2
		return 1 ;;
	esac
	if test -n "$LAB_HOSTS"
	then
		echo "lab_router_setup: a lab exists; lab_cleanup first" >&2
		return 1
	fi

	lab_netns_add r || return 1
	LAB_R=${LAB_PREFIX}r
	export LAB_R
	lab_exec "$LAB_R" sysctl -q -w net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null || return 1

	lab_i_=1
	for lab_l_ in a b c d e f g h i
	do
		test $lab_i_ -le $lab_nhosts_ || break
		lab_host_link_ $lab_i_ $lab_l_ || return 1
		lab_i_=$((lab_i_ + 1))
	done

	if test $lab_masq_ = 1 && test "$IPAC_TEST_BACKEND" = iptables
	then
		# A legacy router masquerades with legacy iptables.
		lab_uplink_=$(echo "$LAB_RIFS" | awk '{ print $2 }')
		test -n "$lab_uplink_" || lab_uplink_=r1
		lab_exec "$LAB_R" iptables-legacy -w -t nat -A POSTROUTING \
			-o "$lab_uplink_" -j MASQUERADE || return 1
	elif test $lab_masq_ = 1
	then
		lab_uplink_=$(echo "$LAB_RIFS" | awk '{ print $2 }')
		test -n "$lab_uplink_" || lab_uplink_=r1
		lab_exec "$LAB_R" nft -f - <<-EOF || return 1
		table ip labnat {
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "$lab_uplink_" masquerade
			}
		}
		EOF
	fi
	lab_settle
}

# Host i with letter l: namespace, veth, addresses, routes, neighbours.
lab_host_link_ () {
	lab_U_=$(echo "$2" | tr a-z A-Z)
	lab_netns_add "$2" || return 1
	lab_h_=$LAB_PREFIX$2
	# the router's interface to host i: word i of LAB_RIFS, or r<i-1>
	lab_rif_=$(echo "$LAB_RIFS" | awk -v i="$1" '{ print $i }')
	test -n "$lab_rif_" || lab_rif_=r$(($1 - 1))
	lab_hif_=${2}0
	lab_rmac_=02:1a:00:00:0$1:01
	lab_hmac_=02:1a:00:00:0$1:02
	lab_r4_=198.18.$1.1
	lab_h4_=198.18.$1.2
	lab_r6_=2001:db8:$1::1
	lab_h6_=2001:db8:$1::2

	eval "LAB_$lab_U_=\$lab_h_ LAB_${lab_U_}4=\$lab_h4_ LAB_${lab_U_}6=\$lab_h6_"
	eval "LAB_R4$lab_U_=\$lab_r4_ LAB_R6$lab_U_=\$lab_r6_"
	export LAB_$lab_U_ LAB_${lab_U_}4 LAB_${lab_U_}6 LAB_R4$lab_U_ LAB_R6$lab_U_
	LAB_HOSTS="$LAB_HOSTS $lab_h_"
	LAB_LINKS="$LAB_LINKS $lab_rif_:$lab_h_:$lab_hif_:$1"

	# Distinct ifindexes on the two ends: the kernel's link watcher
	# handles a veth whose ifindex equals its peer's as a plain link and
	# may hold its carrier-up (hence the queue) back by up to a second.
	ip -n "$LAB_R" link add "$lab_rif_" index $((100 + $1)) \
		address "$lab_rmac_" type veth peer name "$lab_hif_" \
		index $((200 + $1)) address "$lab_hmac_" netns "$lab_h_" &&
	ip -n "$LAB_R" addr add "$lab_r4_/24" dev "$lab_rif_" &&
	ip -n "$LAB_R" addr add "$lab_r6_/64" dev "$lab_rif_" nodad &&
	ip -n "$lab_h_" addr add "$lab_h4_/24" dev "$lab_hif_" &&
	ip -n "$lab_h_" addr add "$lab_h6_/64" dev "$lab_hif_" nodad || return 1
	if test $lab_static_ = 1
	then
		ip -n "$LAB_R" neigh replace "$lab_h4_" lladdr "$lab_hmac_" \
			dev "$lab_rif_" nud permanent &&
		ip -n "$LAB_R" neigh replace "$lab_h6_" lladdr "$lab_hmac_" \
			dev "$lab_rif_" nud permanent &&
		ip -n "$lab_h_" neigh replace "$lab_r4_" lladdr "$lab_rmac_" \
			dev "$lab_hif_" nud permanent &&
		ip -n "$lab_h_" neigh replace "$lab_r6_" lladdr "$lab_rmac_" \
			dev "$lab_hif_" nud permanent || return 1
	else
		# Probe a used stale entry at once, not after 5 s: each probe
		# (from the link-local address) makes the peer learn, and
		# later probe, one more entry, a chain of seconds otherwise.
		# Per device: only the first namespace has a "default".
		lab_exec "$LAB_R" sysctl -q -w \
			net.ipv4.neigh.$lab_rif_.delay_first_probe_time=0 \
			net.ipv6.neigh.$lab_rif_.delay_first_probe_time=0 &&
		lab_exec "$lab_h_" sysctl -q -w \
			net.ipv4.neigh.$lab_hif_.delay_first_probe_time=0 \
			net.ipv6.neigh.$lab_hif_.delay_first_probe_time=0 ||
			return 1
	fi
	ip -n "$LAB_R" link set "$lab_rif_" up &&
	ip -n "$lab_h_" link set "$lab_hif_" up &&
	ip -n "$lab_h_" route add default via "$lab_r4_" &&
	ip -n "$lab_h_" -6 route add default via "$lab_r6_" &&
	lab_sink "$lab_h_"
}

# lab_settle: wait until the lab is ready and silent: every veth of every
# lab namespace is operationally UP (the kernel's link watcher may take a
# second to attach the queue; until then packets are dropped) and has its
# IPv6 link-local address, and the MLD reports the kernel sends at link-up
# are over (the IPv6 output counters of /proc/net/snmp6 stand still).
# lab_router_setup calls it; call it after building your own topology.
# Gives up after ~10 s with a message and non-zero status.
lab_settle () {
	lab_n_=0
	while :
	do
		lab_busy_=
		for lab_ns_ in $LAB_NETNS
		do
			lab_busy_=$lab_busy_$(lab_veth_busy_ "$lab_ns_")
		done
		test -n "$lab_busy_" || break
		lab_n_=$((lab_n_ + 1))
		if test $lab_n_ -ge 400
		then
			echo "lab_settle: links not ready:$lab_busy_" >&2
			return 1
		fi
		sleep 0.02
	done
	lab_n_=0
	lab_old_=$(lab_ip6_out_)
	while :
	do
		sleep 0.03
		lab_new_=$(lab_ip6_out_)
		test "$lab_new_" != "$lab_old_" || return 0
		lab_old_=$lab_new_
		lab_n_=$((lab_n_ + 1))
		if test $lab_n_ -ge 100
		then
			echo "lab_settle: IPv6 output does not stop" >&2
			return 1
		fi
	done
}

# Prints " ns:ifname" for each veth of ns not yet UP with a link-local.
lab_veth_busy_ () {
	{
		ip -n "$1" -o link show type veth
		echo --
		ip -n "$1" -o -6 addr show scope link
	} | awk -v ns="$1" '
		$0 == "--" { addr = 1; next }
		!addr {
			name = $2; sub(/@.*/, "", name); sub(/:$/, "", name)
			veth[name] = / state UP / ? 1 : 0
			next
		}
		!/tentative/ { ll[$2] = 1 }
		END {
			for (v in veth)
				if (!veth[v] || !ll[v])
					printf " %s:%s", ns, v
		}'
}

# Prints the IPv6 output packet counters of every lab namespace.
lab_ip6_out_ () {
	for lab_ns_ in $LAB_NETNS
	do
		lab_exec "$lab_ns_" awk '$1 == "Ip6OutRequests" ||
			$1 == "Ip6OutMcastPkts" { printf "%s ", $2 }' \
			/proc/net/snmp6
	done
}

# lab_sink ns: add table "inet labsink" to ns: drop incoming TCP and UDP
# (input hook, at the very end so every other chain counts first), so
# the traffic we send provokes no reply (no RST, no ICMP port
# unreachable).  ICMP echo is still answered by the kernel.  Every host
# of lab_router_setup has it; call it on $LAB_R for silent "local in".
lab_sink () {
	lab_exec "$1" nft -f - <<-\EOF
	table inet labsink {
		chain input {
			type filter hook input priority 2147483000; policy accept;
			meta l4proto { tcp, udp } drop
		}
	}
	EOF
}

# lab_warmup: one ICMP echo (IPv4 and IPv6) from every host to its router
# address; fails unless both replies come back (the hosts' ICMP MIB
# counts them) within ~2 s.  Then waits (at most ~8 s) until no neighbour
# entry of the lab is INCOMPLETE, DELAY or PROBE.  With the default
# permanent neighbours this proves each link carries traffic both ways;
# with --dynamic-neigh it also gets ARP and NDP done before a test
# measures.  Either way the echoes are counted like any traffic: measure
# deltas.
lab_warmup () {
	for lab_link_ in $LAB_LINKS
	do
		lab_n_=${lab_link_##*:}
		lab_h_=${lab_link_#*:}
		lab_h_=${lab_h_%%:*}
		lab_old_=$(lab_echo_replies_ "$lab_h_")
		lab_exec "$lab_h_" ipac-send -4 -p icmp -d "198.18.$lab_n_.1" &&
		lab_exec "$lab_h_" ipac-send -6 -p icmp -d "2001:db8:$lab_n_::1" ||
			return 1
		lab_i_=0
		while test "$(lab_echo_replies_ "$lab_h_")" -lt $((lab_old_ + 2))
		do
			lab_i_=$((lab_i_ + 1))
			if test $lab_i_ -ge 100
			then
				echo "lab_warmup: no echo reply from the router in $lab_h_" >&2
				return 1
			fi
			sleep 0.02
		done
	done
	lab_n_=0
	while :
	do
		lab_busy_=0
		for lab_ns_ in $LAB_NETNS
		do
			if ip -n "$lab_ns_" neigh show |
			   grep -E -q 'INCOMPLETE|DELAY|PROBE'
			then
				lab_busy_=1
			fi
		done
		test $lab_busy_ = 1 || return 0
		lab_n_=$((lab_n_ + 1))
		if test $lab_n_ -ge 80
		then
			echo "lab_warmup: neighbours still unresolved:" >&2
			for lab_ns_ in $LAB_NETNS
			do
				ip -n "$lab_ns_" neigh show >&2
			done
			return 1
		fi
		sleep 0.1
	done
}

# lab_break_forward ns: what a firewall script does to ipac's forward
# counting: flush ipac's forward chain (nftables), or the FORWARD chain
# with ipac's jumps (iptables).
lab_break_forward () {
	case $IPAC_TEST_BACKEND in
	iptables) lab_exec "$1" iptables-legacy -w -F FORWARD ;;
	*)	lab_exec "$1" nft flush chain inet ipac forward ;;
	esac
}

# lab_drop_table ns: ipac's rules and counters gone, as after a reboot:
# its table deleted (nftables), or every filter chain flushed and deleted
# (iptables).
lab_drop_table () {
	case $IPAC_TEST_BACKEND in
	iptables)
		for lab_dt_ in iptables-legacy ip6tables-legacy
		do
			lab_exec "$1" $lab_dt_ -w -F &&
			lab_exec "$1" $lab_dt_ -w -X || return 1
		done ;;
	*)	lab_exec "$1" nft delete table inet ipac ;;
	esac
}

# lab_nft_counters ns family table: print "comment packets bytes", one
# line per rule of the nft table that has a counter and a comment, in
# rule order, e.g. for `... counter comment "udp4"`: "udp4 7 2100".
lab_nft_counters () {
	lab_exec "$1" nft list table "$2" "$3" |
	sed -n 's/.*[[:space:]]counter packets \([0-9]*\) bytes \([0-9]*\) comment "\([^"]*\)".*/\3 \1 \2/p'
}

# Prints the number of ICMP and ICMPv6 echo replies ns has received.
lab_echo_replies_ () {
	lab_exec "$1" cat /proc/net/snmp /proc/net/snmp6 | awk '
		$1 == "Icmp:" && !seen++ {
			for (i = 2; i <= NF; i++) if ($i == "InEchoReps") col = i
			next
		}
		$1 == "Icmp:" { n += $col }
		$1 == "Icmp6InEchoReplies" { n += $2 }
		END { print n + 0 }'
}

# lab_hosts ns "addr name..." ...: write /etc/netns/<ns>/hosts, one line
# per argument; ip netns exec bind-mounts it over /etc/hosts, so names
# resolve inside ns.  Also writes a resolv.conf naming only 127.0.0.1, so
# that a name missing from hosts fails at once inside ns instead of
# sending DNS queries towards the machine's resolver (they would sit in
# the lab's counters and time out after seconds).  lab_cleanup removes
# the folder.
lab_hosts () {
	lab_ns_=$1
	shift
	case $lab_ns_ in
	"$LAB_PREFIX"*) ;;
	*)	echo "lab_hosts: $lab_ns_ is not a lab namespace" >&2
		return 1 ;;
	esac
	if ! test -d /etc/netns
	then
		mkdir /etc/netns || return 1
		lab_etc_netns_made_=1
	fi
	mkdir -p "/etc/netns/$lab_ns_" &&
	printf '%s\n' "$@" >"/etc/netns/$lab_ns_/hosts" &&
	printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' \
		>"/etc/netns/$lab_ns_/resolv.conf"
}

# lab_reference ns MATCH...: a reference counter in ns, table "inet ref",
# counting the forwarded packets that MATCH (nft words), in a table no
# test reloads: what really passed, to compare ipac with.
lab_reference () {
	lab_ref_ns_=$1
	shift
	printf "%s\n" "table inet ref {" "counter seen { }" \
		"chain forward_ref { type filter hook forward priority 50;" \
		"$* counter name seen" "}" "}" |
	lab_exec "$lab_ref_ns_" nft -f -
}

# lab_reference_read ns: "PACKETS BYTES" of the reference counter.
lab_reference_read () {
	lab_exec "$1" nft list counter inet ref seen |
	awk '/packets/ { print $2, $4 }'
}

# lab_counted ns NAME: "PACKETS BYTES" of ipac accounting name NAME in ns,
# from ipacset -L -m (exact name match), or "missing".
lab_counted () {
	ip netns exec "$1" ipacset -L -m |
	awk -v n="|$2|" '{ b = $1; p = $2; $1 = ""; $2 = ""; sub(/^  /, "")
		if ($0 == n) { print p, b; f = 1 } } END { if (!f) print "missing" }'
}

# lab_quiet NS NAME: wait (up to ~5 s) until the kernel counter of NAME
# in NS stands still for three readings 0.1 s apart: a sender that
# exited may leave its last packets on their way through the router,
# counted after it returned (on a loaded machine, once, more than one
# reading later).
lab_quiet () {
	lab_q_old_=$(lab_counted "$1" "$2")
	lab_q_n_=0
	lab_q_still_=0
	while test $lab_q_n_ -lt 50
	do
		sleep 0.1
		lab_q_new_=$(lab_counted "$1" "$2")
		if test "$lab_q_new_" = "$lab_q_old_"
		then
			lab_q_still_=$((lab_q_still_ + 1))
			test $lab_q_still_ -lt 3 || return 0
		else
			lab_q_still_=0
		fi
		lab_q_old_=$lab_q_new_
		lab_q_n_=$((lab_q_n_ + 1))
	done
	echo "lab_quiet: $2 in $1 still counts" >&2
	return 1
}

# lab_cleanup: delete every namespace named $LAB_PREFIX* (also those made
# in a subshell), after killing the processes still inside them (started
# by this test), and the /etc/netns/ folders of lab_hosts.  Runs at exit
# by itself; call it to tear a lab down early (then lab_router_setup may
# run again).  Returns non-zero if a namespace survives.
lab_cleanup () {
	lab_ret_=0
	for lab_ns_ in $(ip netns list 2>/dev/null | awk '{ print $1 }')
	do
		case $lab_ns_ in
		"$LAB_PREFIX"*) ;;
		*) continue ;;
		esac
		lab_pids_=$(ip netns pids "$lab_ns_" 2>/dev/null)
		if test -n "$lab_pids_"
		then
			kill $lab_pids_ 2>/dev/null
			sleep 0.1
			lab_pids_=$(ip netns pids "$lab_ns_" 2>/dev/null)
			test -z "$lab_pids_" || kill -9 $lab_pids_ 2>/dev/null
		fi
		ip netns delete "$lab_ns_" || lab_ret_=1
	done
	for lab_d_ in /etc/netns/"$LAB_PREFIX"*
	do
		test -d "$lab_d_" && rm -rf "$lab_d_"
	done
	if test $lab_etc_netns_made_ = 1
	then
		rmdir /etc/netns 2>/dev/null && lab_etc_netns_made_=0
	fi
	if ip netns list 2>/dev/null | grep -q "^$LAB_PREFIX"
	then
		echo "lab_cleanup: namespaces left:" >&2
		ip netns list | grep "^$LAB_PREFIX" >&2
		lab_ret_=1
	fi
	LAB_NETNS=
	LAB_HOSTS=
	LAB_LINKS=
	return $lab_ret_
}

test_atexit lab_cleanup
