#!/bin/sh
test_description='every golden config goes into the legacy tables as -b iptables -D prints it'
IPAC_TEST_BACKEND=iptables
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require

# rules_per_chain: "CHAIN COUNT" of every "-A" line of iptables-save text
# (both families), sorted.
rules_per_chain () {
	awk '/^# IPv4/ { f = 4 } /^# IPv6/ { f = 6 } /^\*filter/ { f = f ? f : 0 }
		/^-A / { n[f " " $2]++ } END { for (c in n) print c, n[c] }' "$1" |
	sort
}

test_expect_success 'a namespace to apply in' '
	lab_netns_add g
'

for conf in "$SRC_ROOT"/t/golden/*.conf
do
	name=$(basename "$conf" .conf)
	test_expect_success "kernel takes $name" '
		lab_exec ${LAB_PREFIX}g ipacset --allow-empty "$conf" &&
		{
			echo "# IPv4" &&
			lab_exec ${LAB_PREFIX}g iptables-legacy-save -t filter &&
			echo "# IPv6" &&
			lab_exec ${LAB_PREFIX}g ip6tables-legacy-save -t filter
		} | grep -v -e "^-A INPUT" -e "^-A OUTPUT" -e "^-A FORWARD" >kernel &&
		rules_per_chain "$SRC_ROOT/t/golden/$name.ipt" >want &&
		rules_per_chain kernel >got &&
		test_cmp want got &&
		lab_exec ${LAB_PREFIX}g fetchipac -n
	'
done

test_done
