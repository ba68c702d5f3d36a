# lib-probe.sh: the lab of the probing engine's tests (t20NN-probe-*).
# Source after test-lib.sh and lib-lab.sh.
#
# probe_lab: lab_router_setup (router R, on-link hosts A and B), plus a
# routed host behind B: 198.18.200.1 and 2001:db8:200::1 on B's lo,
# routed by R via B.  The prober runs in R: A and B are on-link (ARP,
# NS), the .200 addresses routed (ICMP echo).  Exports PROBE_H4,
# PROBE_H6 (the routed addresses) and PROBE_AMAC (A's MAC, read from
# the kernel).
#
# SPDX-License-Identifier: GPL-2.0-or-later

PROBE_H4=198.18.200.1
PROBE_H6=2001:db8:200::1

# probe_require: lab_require and a built ipac-probe.
probe_require () {
	lab_require
	command -v ipac-probe >/dev/null 2>&1 ||
		test_cannot_run "ipac-probe not built (make t/helper/ipac-probe)"
}

probe_lab () {
	lab_router_setup "$@" &&
	ip -n "$LAB_B" addr add "$PROBE_H4/32" dev lo &&
	ip -n "$LAB_B" addr add "$PROBE_H6/128" dev lo &&
	ip -n "$LAB_R" route add 198.18.200.0/24 via "$LAB_B4" &&
	ip -n "$LAB_R" -6 route add 2001:db8:200::/64 via "$LAB_B6" &&
	PROBE_AMAC=$(probe_mac "$LAB_A" a0) &&
	test -n "$PROBE_AMAC" &&
	export PROBE_AMAC
}

# probe_mac ns ifname: the MAC of ifname in ns, as ip link shows it.
probe_mac () {
	ip -n "$1" link show "$2" | awk '$1 == "link/ether" { print $2 }'
}

# probe_field file addr n: field n of the "target addr ..." line.
probe_field () {
	awk -v a="$2" -v n="$3" '$1 == "target" && $2 == a { print $n }' "$1"
}

# probe_window file addr: "MS" between addr's last sign of life and its
# gone line (ipac-probe -a output); empty if either is missing.
probe_window () {
	awk -v a="$2" '
		$2 == "alive" && $3 == a { last = $1 }
		$2 == "gone" && $3 == a { gone = $1 }
		END { if (last != "" && gone != "") print gone - last }' "$1"
}

# probe_between lo hi value: lo <= value <= hi (integers), or say why.
probe_between () {
	if test -n "$3" && test "$3" -ge "$1" && test "$3" -le "$2"
	then
		return 0
	fi
	echo "probe_between: '$3' not in [$1, $2]"
	return 1
}

# probe_wait_for file regex: wait (up to ~5 s) until a line of file
# (ipac-probe output still being written) matches, so a test changes
# the network only once the prober has seen the client; non-zero and a
# message if it never does.
probe_wait_for () {
	probe_n_=0
	until grep -q "$2" "$1" 2>/dev/null
	do
		probe_n_=$((probe_n_ + 1))
		if test $probe_n_ -ge 250
		then
			echo "probe_wait_for: no '$2' in $1"
			return 1
		fi
		sleep 0.02
	done
}
