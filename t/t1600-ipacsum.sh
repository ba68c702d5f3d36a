#!/bin/sh
test_description='ipacsum: the classic summary, CSV, JSON, time ranges in local time'
. "$(dirname "$0")/test-lib.sh"

test_require_prog perl

# now: 2026-03-30 00:00 UTC = 02:00 CEST
IPAC_TEST_NOW=1774828800
export IPAC_TEST_NOW

sum () {
	ipacsum -d "$TRASH_DIRECTORY/fx.db" -H gw "$@"
}

test_expect_success 'a store from known readings (days and months of Berlin)' '
	ipac-fixture -d fx.db -H gw -z Europe/Berlin <"$TEST_DIRECTORY/ipacsum/readings"
'

test_expect_success 'the classic summary, exactly' '
	TZ=Europe/Berlin sum >actual &&
	test_cmp_saved "$TEST_DIRECTORY/ipacsum/summary.txt" actual
'

test_expect_success 'CSV: header, quoting, exact numbers' '
	TZ=Europe/Berlin sum --format csv >actual &&
	cat >expect <<-\EOF &&
	rule,bytes,packets
	late,64,1
	total download,1073743824,32
	total upload,1500100,1001
	"web, ""quoted""",300,3
	EOF
	test_cmp expect actual
'

test_expect_success 'JSON parses, with rule, bytes and packets' '
	TZ=Europe/Berlin sum --format json >actual.json &&
	perl -MJSON::PP -e "
		local \$/; my \$j = decode_json(<STDIN>);
		print \"\$j->{host} \$j->{to}\n\";
		print \"\$_->{rule}|\$_->{bytes}|\$_->{packets}\n\" for @{\$j->{rules}};
	" <actual.json >actual &&
	cat >expect <<-\EOF &&
	gw 1774828800
	late|64|1
	total download|1073743824|32
	total upload|1500100|1001
	web, "quoted"|300|3
	EOF
	test_cmp expect actual
'

test_expect_success 'yesterday in Berlin: 29 March, 23 hours, by the middle of each run' '
	TZ=Europe/Berlin sum -t yesterday -x --format csv >actual &&
	cat >expect <<-\EOF &&
	rule,bytes,packets
	late,0,0
	total download,1073741824,30
	total upload,1500000,1000
	"web, ""quoted""",300,3
	EOF
	test_cmp expect actual &&
	TZ=Europe/Berlin sum -t today -x -z --format csv >actual &&
	cat >expect <<-\EOF &&
	rule,bytes,packets
	late,64,1
	total download,2000,2
	total upload,100,1
	EOF
	test_cmp expect actual
'

test_expect_success 'the same store in New York: other days' '
	# 29 March in New York: 04:00 UTC .. 04:00 UTC on the 30th; the run
	# ending 21:50 UTC has its middle at 10:40 UTC on the 29th
	TZ=America/New_York sum -s 2026-03-29 -e 2026-03-30 -x --format csv >actual &&
	cat >expect <<-\EOF &&
	rule,bytes,packets
	late,64,1
	total download,1073740824,12
	total upload,100,1
	"web, ""quoted""",200,2
	EOF
	test_cmp expect actual
'

test_expect_success 'filters, sorting, top, omitting zeros' '
	TZ=UTC sum -f "^total" --sort packets --format csv >actual &&
	printf "%s\n" rule,bytes,packets "total upload,1500100,1001" \
		"total download,1073743824,32" >expect &&
	test_cmp expect actual &&
	TZ=UTC sum --glob "*quoted*" --format csv >actual &&
	printf "%s\n" rule,bytes,packets "\"web, \"\"quoted\"\"\",300,3" >expect &&
	test_cmp expect actual &&
	TZ=UTC sum --sort bytes --top 1 -x >actual &&
	tail -1 actual >last &&
	echo "  total download                                  :      1073743824" >expect &&
	test_cmp expect last &&
	TZ=UTC sum -s ever -e @1774738801 -z --format csv >actual &&
	printf "%s\n" rule,bytes,packets "total download,1000,10" \
		"total upload,500,5" >expect &&
	test_cmp expect actual &&
	TZ=UTC sum --si -f download >actual &&
	grep "total download .*:              1G$" actual
'

test_expect_success 'per day in Berlin: 29 March (23 hours) and the 30th' '
	TZ=Europe/Berlin sum --interval day --format csv >actual &&
	cat >expect <<-\EOF &&
	start,end,rule,bytes,packets
	1774738800,1774821600,late,0,0
	1774738800,1774821600,total download,1073741824,30
	1774738800,1774821600,total upload,1500000,1000
	1774738800,1774821600,"web, ""quoted""",300,3
	1774821600,1774828800,late,64,1
	1774821600,1774828800,total download,2000,2
	1774821600,1774828800,total upload,100,1
	1774821600,1774828800,"web, ""quoted""",0,0
	EOF
	test_cmp expect actual &&
	test $(( (1774821600 - 1774738800) / 3600 )) = 23
'

test_expect_success 'per interval in JSON and text; the intervals add up to the total' '
	TZ=UTC sum -i hour --format json >actual.json &&
	perl -MJSON::PP -e "
		local \$/; my \$j = decode_json(<STDIN>);
		my %t; my \$n = 0;
		for my \$i (@{\$j->{intervals}}) {
			\$n++;
			\$t{\$_->{rule}} += \$_->{bytes} for @{\$i->{rules}};
		}
		print \"\$j->{interval} \$n\n\";
		print \"\$_ \$t{\$_}\n\" for sort keys %t;
	" <actual.json >actual &&
	cat >expect <<-\EOF &&
	hour 25
	late 64
	total download 1073743824
	total upload 1500100
	web, "quoted" 300
	EOF
	test_cmp expect actual &&
	TZ=UTC sum -i day -x >actual &&
	grep -c "^2026/03/" actual >days &&
	echo 2 >expect && test_cmp expect days
'

test_expect_success 'the ASCII graph: a bar per interval, the largest 55 wide' '
	TZ=UTC sum -i hour -g -f download >actual &&
	grep "^Graph for rule \"total download\"$" actual &&
	grep -c "^2026/03/" actual >bars &&
	echo 25 >expect && test_cmp expect bars &&
	grep -c "|\*\{55\}$" actual >full &&
	echo 1 >expect && test_cmp expect full &&
	test_expect_code 1 sum -g 2>err &&
	grep "give --interval" err &&
	test_expect_code 1 sum -i fortnight 2>err &&
	grep "interval .fortnight.: 5m" err
'

test_expect_success 'Prometheus textfile, written whole to -o' '
	TZ=UTC sum --format prometheus -o metrics.prom &&
	cat >expect <<-\EOF &&
	# HELP ipac_bytes_total Bytes (IP total length) counted by an ipac accounting name.
	# TYPE ipac_bytes_total counter
	ipac_bytes_total{host="gw",rule="late"} 64
	ipac_bytes_total{host="gw",rule="total download"} 1073743824
	ipac_bytes_total{host="gw",rule="total upload"} 1500100
	ipac_bytes_total{host="gw",rule="web, \"quoted\""} 300
	# HELP ipac_packets_total Packets counted by an ipac accounting name.
	# TYPE ipac_packets_total counter
	ipac_packets_total{host="gw",rule="late"} 1
	ipac_packets_total{host="gw",rule="total download"} 32
	ipac_packets_total{host="gw",rule="total upload"} 1001
	ipac_packets_total{host="gw",rule="web, \"quoted\""} 3
	EOF
	test_cmp expect metrics.prom &&
	ls metrics.prom* >files &&
	echo metrics.prom >expect && test_cmp expect files &&
	# a failing run leaves the old file, and no temporary one
	test_expect_code 4 ipacsum -d "$TRASH_DIRECTORY/fx.db" -H nobody \
		--format prometheus -o metrics.prom 2>err &&
	ls metrics.prom* >files &&
	echo metrics.prom >expect && test_cmp expect files &&
	grep -q "^ipac_bytes_total{host=\"gw\",rule=\"late\"} 64$" metrics.prom
'

test_expect_success '95th percentile of 5-minute rates (nearest rank)' '
	# 21 readings 300 s apart: 20 runs.  a: 19 runs of 3000 bytes
	# (80 bit/s) and one of 300000; b: one run of 3000; c: 3000 and 6000.
	awk "BEGIN {
		t = 1774740000; a = 0; b = 0; c = 0
		for (k = 0; k <= 20; k++) {
			if (k > 0) a += (k == 7 ? 300000 : 3000)
			if (k == 3) b += 3000
			if (k == 4) c += 3000
			if (k == 5) c += 6000
			printf \"%d a %d %d\n%d b %d %d\n%d c %d %d\n\", t, a, k, t, b, k, t, c, k
			t += 300
		}
	}" >p95.readings &&
	ipac-fixture -d p95.db -H p <p95.readings &&
	TZ=UTC ipacsum -d "$TRASH_DIRECTORY/p95.db" -H p --p95 --format csv >actual &&
	cat >expect <<-\EOF &&
	rule,bytes,packets,p95_bps
	a,357000,20,80
	b,3000,20,0
	c,9000,20,80
	EOF
	test_cmp expect actual &&
	TZ=UTC ipacsum -d "$TRASH_DIRECTORY/p95.db" -H p --p95 -f "^a" >actual &&
	grep "^  a .*:            349K   95%: 80 bit/s$" actual &&
	test_expect_code 1 sum --p95 -i day 2>err &&
	grep "p95 goes with a total" err
'

# Billing: alice's cycles begin on day 31 (so on 29 February in 2028),
# bob's on the 1st.  Readings every 12 hours from 27 February to 3 March.
test_expect_success 'billing cycles across the end of a leap February' '
	t=$(date -u -d "2028-02-27 00:00" +%s) &&
	awk -v t=$t "BEGIN {
		for (k = 0; k <= 12; k++) {
			v = k * 1000
			printf \"%d alice down %d %d\n\", t, v, k
			printf \"%d alice up %d %d\n\", t, v / 10, k
			printf \"%d bob down %d %d\n\", t, v * 2, 2 * k
			printf \"%d office printer %d %d\n\", t, 7 * k, k
			t += 43200
		}
	}" >bill.readings &&
	ipac-fixture -d bill.db -H b <bill.readings &&
	cat >bill.settings <<-EOF &&
	store = $TRASH_DIRECTORY/bill.db
	[account alice]
	in = alice down
	out = alice up
	cycle day = 31
	[account bob]
	in = bob *
	rules = office *
	EOF
	NOW=$(date -u -d "2028-03-03 12:00" +%s) &&
	# 13 readings, 12 runs whose middles are 06:00 and 18:00 from 27 Feb
	# to 3 Mar (the last, 3 Mar 18:00, is after now): alice from 29 Feb
	# has 7 runs, bob from 1 Mar 5
	IPAC_TEST_NOW=$NOW TZ=UTC ipacsum -C bill.settings -H b \
		--billing current --format csv >actual &&
	cat >expect <<-EOF &&
	account,start,end,in_bytes,in_packets,out_bytes,out_packets,bytes,packets
	alice,$(date -u -d "2028-02-29" +%s),$(date -u -d "2028-03-31" +%s),7000,7,700,7,7700,14
	bob,$(date -u -d "2028-03-01" +%s),$(date -u -d "2028-04-01" +%s),10000,10,0,0,10035,15
	EOF
	test_cmp expect actual &&
	IPAC_TEST_NOW=$NOW TZ=UTC ipacsum -C bill.settings -H b \
		--billing 2028-02 --account bob --format csv >actual &&
	tail -1 actual >row &&
	# bob in February: the 6 runs before 1 March
	echo "bob,$(date -u -d "2028-02-01" +%s),$(date -u -d "2028-03-01" +%s),12000,12,0,0,12042,18" >expect &&
	test_cmp expect row
'

test_expect_success 'billing: a file per account, JSON totals equal their names' '
	mkdir bills &&
	IPAC_TEST_NOW=$NOW TZ=UTC ipacsum -C bill.settings -H b \
		--billing current --format json --split bills &&
	ls bills >files &&
	printf "%s\n" alice.json bob.json >expect &&
	test_cmp expect files &&
	for a in alice bob
	do
		perl -MJSON::PP -e "
			local \$/; my \$j = decode_json(<STDIN>);
			my \$b = \$j->{accounts}[0]; my \$s = 0;
			\$s += \$_->{bytes} for @{\$b->{rules}};
			print \"\$b->{account} \$b->{bytes} \$s\n\";
		" <bills/$a.json || return 1
	done >actual &&
	printf "%s\n" "alice 7700 7700" "bob 10035 10035" >expect &&
	test_cmp expect actual &&
	test_expect_code 1 ipacsum -C bill.settings --billing soon 2>err &&
	grep "billing .soon.: current, last or YYYY-MM" err &&
	test_expect_code 1 ipacsum -C bill.settings --billing last --account eve 2>err &&
	grep "account .eve.: no such account" err &&
	test_expect_code 1 sum --billing last 2>err &&
	grep "no accounts" err
'

test_expect_success 'billing: --split makes its folder; a folder it cannot make is named' '
	IPAC_TEST_NOW=$NOW TZ=UTC ipacsum -C bill.settings -H b \
		--billing current --format csv --split new/bills &&
	ls new/bills >files &&
	printf "%s\n" alice.csv bob.csv >expect &&
	test_cmp expect files &&
	: >afile &&
	test_expect_code 1 env IPAC_TEST_NOW=$NOW ipacsum -C bill.settings \
		-H b --billing current --split afile/bills 2>err &&
	grep "^ipacsum: --split afile/bills: Not a directory$" err &&
	test_expect_code 1 env IPAC_TEST_NOW=$NOW ipacsum -C bill.settings \
		-H b --billing current -o afile/x.txt 2>err &&
	grep "^ipacsum: afile/x.txt: Not a directory$" err
'

test_expect_success 'per-user traffic file: each way per account, written whole' '
	IPAC_TEST_NOW=$NOW TZ=UTC ipacsum -C bill.settings -H b \
		--billing current --format traffic -o traffic.txt &&
	printf "%s\n" "7000 7 700 7 alice" "10000 10 0 0 bob" >expect &&
	test_cmp expect traffic.txt &&
	test_expect_code 1 sum --format traffic 2>err &&
	grep "traffic goes with --billing" err
'

test_expect_success '-r: samples merged per hour, atomically; totals and hours unchanged' '
	P="ipacsum -d $TRASH_DIRECTORY/p95.db -H p" &&
	TZ=UTC $P -x --format csv >total.before &&
	TZ=UTC $P -x -i hour --format csv >hours.before &&
	# 20 runs x 3 names, in two hours (23:20 to 01:00, by their middles)
	test "$(sqlite3 p95.db "SELECT count(*) FROM sample")" = 60 &&
	TZ=UTC $P -r -s ever >out 2>err &&
	test_must_be_empty out &&
	test "$(sqlite3 p95.db "SELECT count(*) FROM sample")" = 6 &&
	TZ=UTC $P -x --format csv >total.after &&
	TZ=UTC $P -x -i hour --format csv >hours.after &&
	test_cmp total.before total.after &&
	test_cmp hours.before hours.after &&
	test "$(sqlite3 p95.db "PRAGMA integrity_check")" = ok &&
	test_expect_code 1 $P -r 2>err &&
	grep "r replaces the samples of a range" err &&
	test_expect_code 4 ipacsum -d "$TRASH_DIRECTORY/p95.db" -H nobody -r -t today 2>err &&
	grep "no host .nobody." err
'

test_expect_success 'bad input: clear errors, status 1; no host: status 4' '
	test_expect_code 1 sum -t fortnight 2>err &&
	grep "ipacsum: -t .fortnight.: not a time frame" err &&
	test_expect_code 1 sum -s 20261399 2>err &&
	grep "ipacsum: -s .20261399.: not a time" err &&
	test_expect_code 1 sum -f "(" 2>err &&
	grep "ipacsum: -f .(.:" err &&
	test_expect_code 1 sum -t today -s ever 2>err &&
	grep "ipacsum: -t excludes -s and -e" err &&
	test_expect_code 4 ipacsum -d "$TRASH_DIRECTORY/fx.db" -H nobody 2>err &&
	grep "no host .nobody. in the store" err &&
	test_expect_code 4 ipacsum -d "$TRASH_DIRECTORY/none.db" 2>err &&
	! test -e none.db
'

test_expect_success 'a future -e is cut to now with a warning; a future -s is an error' '
	TZ=UTC sum -e 20300101 -x --format csv >actual 2>err &&
	TZ=UTC sum -x --format csv >expect &&
	test_cmp expect actual &&
	grep "^ipacsum: warning: -e .20300101. (2030/01/01 00:00:00 UTC) is in the future: the range ends now (2026/03/30 00:00:00 UTC)$" err &&
	test_expect_code 1 env TZ=UTC ipacsum -d "$TRASH_DIRECTORY/fx.db" -H gw \
		-s 20300101 2>err &&
	grep "^ipacsum: -s .20300101. (2030/01/01 00:00:00 UTC) is in the future: nothing is stored after now (2026/03/30 00:00:00 UTC)$" err &&
	test_expect_code 1 env TZ=UTC ipacsum -d "$TRASH_DIRECTORY/fx.db" -H gw \
		-s 20260329 -e 20260328 2>err &&
	grep "^ipacsum: the range ends (2026/03/28 00:00:00 UTC) before it starts (2026/03/29 00:00:00 UTC)$" err &&
	TZ=UTC sum -t today -x --format csv >/dev/null 2>err &&
	test_must_be_empty err
'

test_expect_success 'ipacsum reads the store only: it links no netfilter library' '
	ldd "$(command -v ipacsum)" >libs &&
	grep libsqlite3 libs &&
	! grep -E "libnftables|libnftnl|libmnl|libip4tc|libip6tc" libs
'

test_done
