#!/bin/sh
test_description='ipacsum --format prometheus: promtool accepts it, and no counter ever goes down (reload, nft flush ruleset, reboot, compaction, retention)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"

lab_require
test_require_prog sqlite3

# promtool comes with Debian's prometheus package, too big for
# tools/install-deps: .ci/run takes promtool out of it and names it in
# IPAC_PROMTOOL.  Without either, only the format check is skipped.
if test -n "${IPAC_PROMTOOL:-}"
then
	test -x "$IPAC_PROMTOOL" ||
		test_cannot_run "IPAC_PROMTOOL=$IPAC_PROMTOOL is not a program"
	test_set_prereq PROMTOOL
elif command -v promtool >/dev/null 2>&1
then
	IPAC_PROMTOOL=promtool
	test_set_prereq PROMTOOL
fi

echo "hostname = gw" >>"$IPAC_SETTINGS"

# The clock of every program: 2026-11-30 23:35 UTC, 5 minutes a step, so
# the runs cross an hour, a day and a month.
now=1796081700
IPAC_TEST_NOW=$now
export IPAC_TEST_NOW
tick () {
	now=$((now + ${1:-300}))
	IPAC_TEST_NOW=$now
}

# send N: N UDP packets of 100 bytes (IP total length) from A to B.
send () {
	lab_exec "$LAB_A" ipac-send -p udp -d "$LAB_B4" --dport 5000 -c "$1" -l 100
}

router () {
	lab_exec "$LAB_R" "$@"
}

# flush_all: everything out of the router's firewall, as "nft flush
# ruleset" does (with the iptables backend: every legacy filter chain
# flushed).
flush_all () {
	case $IPAC_TEST_BACKEND in
	iptables)
		router iptables-legacy -w -F &&
		router ip6tables-legacy -w -F ;;
	*)	router nft flush ruleset ;;
	esac
}

# scrape: the textfile as node exporter would read it after a run;
# promtool must accept it, and no series may be lower than in the
# scrape before, or gone.  Every scrape is kept in scrapes.prom.
scrape () {
	ipacsum --format prometheus -o metrics.prom &&
	if test_have_prereq PROMTOOL
	then
		"$IPAC_PROMTOOL" check metrics <metrics.prom || return 1
	fi &&
	if test -f last.prom
	then
		# values compared as digit strings: exact beyond 2^53
		awk '
			function lt(a, b) {
				return length(a) < length(b) ||
				    (length(a) == length(b) && (a "") < (b ""))
			}
			/^#/ { next }
			{ v = $NF; k = $0; sub(/ [^ ]*$/, "", k) }
			FNR == NR { last[k] = v; next }
			{ seen[k] = 1
			  if (k in last && lt(v, last[k])) {
				print "went down: " k " " last[k] " -> " v; bad = 1 } }
			END { for (k in last) if (!(k in seen)) {
				print "gone: " k; bad = 1 }
			      exit bad }
		' last.prom metrics.prom || return 1
	fi &&
	cp metrics.prom last.prom &&
	{ echo "# at $now"; cat metrics.prom; } >>scrapes.prom
}

# expect NAME BYTES PACKETS: the series of NAME in the last scrape.
expect () {
	printf '%s\n' \
		"ipac_bytes_total{host=\"gw\",rule=\"$1\"} $2" \
		"ipac_packets_total{host=\"gw\",rule=\"$1\"} $3" >expect.prom &&
	grep -F "rule=\"$1\"}" metrics.prom >actual.prom &&
	test_cmp expect.prom actual.prom
}

test_expect_success 'lab; names a, b and a Latin-1 one; the first run' '
	lab_router_setup &&
	printf "%s\n" "a|in|r0|all|$LAB_A4|" "b|in|r0|udp|$LAB_A4|" \
		"$(printf "B\374ro")|in|r0|all|$LAB_A4|" >v1.conf &&
	router ipacset v1.conf &&
	router fetchipac &&
	scrape &&
	expect a 0 0 &&
	expect b 0 0
'

test_expect_success 'the Latin-1 name is UTF-8 in the textfile' '
	expect "Büro" 0 0
'

test_expect_success PROMTOOL 'promtool lints the metrics clean' '
	"$IPAC_PROMTOOL" check metrics <metrics.prom >lint 2>&1 &&
	test_must_be_empty lint
'

test_expect_success 'counting: exact' '
	send 10 &&
	tick && router fetchipac &&
	scrape &&
	expect a 1000 10 &&
	expect b 1000 10
'

test_expect_success 'ipacset reload: b goes, c comes; what b counted stays' '
	send 5 &&
	tick &&
	printf "%s\n" "a|in|r0|all|$LAB_A4|" "c|in|r0|all|$LAB_A4|" >v2.conf &&
	router ipacset v2.conf &&
	scrape &&
	expect a 1500 15 &&
	expect b 1500 15 &&
	send 3 &&
	tick && router fetchipac &&
	scrape &&
	expect a 1800 18 &&
	expect b 1500 15 &&
	expect c 300 3
'

test_expect_success 'nft flush ruleset, repair: what the kernel lost is lost, nothing goes down' '
	send 4 &&
	flush_all &&
	send 2 &&
	tick &&
	test_expect_code 3 router fetchipac 2>err &&
	grep corrupted err &&
	scrape &&
	expect a 1800 18 &&
	send 6 &&
	tick && router fetchipac &&
	scrape &&
	expect a 2400 24 &&
	expect c 900 9
'

test_expect_success 'a reboot: a new kernel, the store goes on; fetchipac puts the rules back' '
	send 7 &&
	lab_cleanup &&
	lab_router_setup &&
	tick 600 &&
	test_expect_code 3 router fetchipac 2>err &&
	grep corrupted err &&
	scrape &&
	expect a 2400 24 &&
	send 8 &&
	tick && router fetchipac &&
	scrape &&
	expect a 3200 32 &&
	expect b 1500 15 &&
	expect c 1700 17
'

test_expect_success 'the runs crossed an hour, a day and a month' '
	test "$(sqlite3 "$TRASH_DIRECTORY/ipac.db" "SELECT count(*) FROM monthly")" -gt 0
'

# hours_shared: hours in which a name has more than one sample.
hours_shared () {
	sqlite3 "$TRASH_DIRECTORY/ipac.db" "SELECT count(*) FROM (SELECT 1
		FROM sample GROUP BY rule_id, t / 3600 HAVING count(*) > 1)"
}

test_expect_success 'ipacsum -r compacts the samples to hours: the same totals' '
	test "$(hours_shared)" -gt 0 &&
	ipacsum -r -s 20261130 -e 20261202 &&
	test "$(hours_shared)" = 0 &&
	scrape &&
	expect a 3200 32 &&
	expect c 1700 17
'

test_expect_success 'retention: samples, then hours pruned; the same totals' '
	send 1 &&
	tick $((15 * 86400)) && router fetchipac &&
	scrape &&
	expect a 3300 33 &&
	test "$(sqlite3 "$TRASH_DIRECTORY/ipac.db" "SELECT count(*) FROM sample WHERE t < $((now - 14 * 86400))")" = 0 &&
	tick $((400 * 86400)) && router fetchipac &&
	scrape &&
	expect a 3300 33 &&
	expect b 1500 15 &&
	expect c 1800 18 &&
	test "$(sqlite3 "$TRASH_DIRECTORY/ipac.db" "SELECT count(*) FROM hourly WHERE t < $((now - 366 * 86400))")" = 0
'

test_done
