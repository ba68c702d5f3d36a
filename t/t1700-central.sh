#!/bin/sh
test_description='the central store: routers ship to PostgreSQL exactly once, and ipacsum reads it as it reads each router'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

pg_require
test_require_prog sqlite3

# readings HOST START RUNS STEP: a router's counter readings, a run every
# STEP seconds; names shared by the routers and one of each's own, with
# bytes that differ by run and host.
readings () {
	awk -v h="$1" -v t0="$2" -v n="$3" -v step="$4" 'BEGIN {
		k = (h == "gw1") ? 7 : 13
		for (i = 0; i < n; i++) {
			t = t0 + i * step
			a += (i * k) % 9973 + 1; b += (i * 31 + k) % 4099
			c += (i % 17 == 0) ? 1500 * k : 0
			printf "%d total in %d %d\n", t, a, int(a / 500)
			printf "%d total out %d %d\n", t, b, int(b / 300)
			printf "%d web\\ \"quoted\" %d %d\n", t, c, int(c / 1500)
			printf "%d only %s %d %d\n", t, h, i * 100, i
		}
	}'
}

# ship HOST: ship router HOST's store.
ship () {
	ship_h_=$1
	shift
	fetchipac -C "$TRASH_DIRECTORY/$ship_h_.conf" -S "$@"
}

# rows HOST sqlite|pg: every run, rollup and sample row of HOST, as
# "table|t|name|bytes|pkts", sorted: from its SQLite store or from the
# central store.  The samples from the router's oldest on: it deletes
# them after "keep samples", the central store keeps them.
rows_sql () {
	for tbl in sample hourly daily monthly
	do
		echo "SELECT '$tbl', x.t, r.name, x.bytes, x.pkts FROM $tbl x
			JOIN rule r ON r.id = x.rule_id $2
			WHERE r.host_id = (SELECT id FROM host WHERE name = '$1')
			AND ('$tbl' <> 'sample' OR x.t >= $3)
			UNION ALL"
	done
	echo "SELECT 'run', t, t0 || ' ' || t1, names, flags FROM run
		WHERE host_id = (SELECT id FROM host WHERE name = '$1')"
}
rows () {
	rows_from_=$(sqlite3 -batch -noheader "$1.db" "SELECT min(s.t) FROM
		sample s JOIN rule r ON r.id = s.rule_id JOIN host h ON
		h.id = r.host_id WHERE h.name = '$1'")
	case $2 in
	sqlite)
		sqlite3 -batch -noheader "$1.db" \
			"$(rows_sql "$1" "" "$rows_from_")" ;;
	pg)
		pg_sql "$(rows_sql "$1" "AND r.host_id = x.host_id" \
			"$rows_from_")" ;;
	esac | LC_ALL=C sort
}

# total_in sqlite DB | total_in pg: the bytes of "total in" in days.
total_in () {
	q="SELECT sum(bytes) FROM daily d JOIN rule r ON r.id = d.rule_id
		WHERE r.name = 'total in'"
	case $1 in
	sqlite) sqlite3 -batch -noheader "$2" "$q" ;;
	pg) pg_sql "$q AND r.host_id = d.host_id" ;;
	esac
}

# sort_sum CSV...: the CSV reports' rows (all but the header) summed by
# every column but the numbers, sorted.
sort_sum () {
	for f in "$@"
	do
		sed 1d "$f"
	done | awk -F, '{ n = NF; k = $1; for (i = 2; i <= NF - 2; i++) k = k "," $i
		b[k] += $(NF - 1); p[k] += $NF }
		END { for (k in b) printf "%s,%d,%d\n", k, b[k], p[k] }' |
	LC_ALL=C sort
}

# day_partitions: how many partitions of the samples' days there are.
day_partitions () {
	pg_sql "SELECT count(*) FROM pg_class WHERE relname ~ '^sample_[0-9]{8}\$'"
}

# counts: the central store's rows, table by table.
counts () {
	for tbl in host rule run sample hourly daily monthly gap ruleset session
	do
		echo "$tbl $(pg_sql "SELECT count(*) FROM $tbl")"
	done
}

# same_reports HOST: ipacsum's reports of HOST on its store and on the
# central store are the same, byte for byte.
same_reports () {
	while read -r args
	do
		eval "set -- $args"
		# one "now" for both: the header says when it was made
		IPAC_TEST_NOW=$(date +%s)
		export IPAC_TEST_NOW
		TZ=Europe/Berlin ipacsum -d "$TRASH_DIRECTORY/$HOST.db" -H $HOST \
			"$@" >local.out 2>&1
		TZ=Europe/Berlin ipacsum -d "$PG_URI" -H $HOST "$@" \
			>central.out 2>&1
		unset IPAC_TEST_NOW
		test_cmp local.out central.out || {
			echo "differs: ipacsum $args"; return 1; }
		test -s local.out || { echo "empty: ipacsum $args"; return 1; }
	done <<-\EOF
	-s 20261001 -e 20261201
	-s 20261001 -e 20261201 --format csv
	-s 20261001 -e 20261201 --format json
	-s 20261024 -e 20261027 -i hour --format csv
	-s 20261001 -e 20261201 -i day -x
	-s 20261001 -e 20261201 -i month --format csv
	-s 20261101 -e 20261103 -i 5m --format csv
	-s 20261001 -e 20261201 --p95 --format csv
	-s 20261001 -e 20261201 -f "^total" --sort bytes
	-s 20261001 -e 20261201 --format prometheus
	-s 20261025 -e 20261026 -i hour -x
	EOF
}

test_expect_success 'a throwaway PostgreSQL; two routers with 30 days of runs across the end of DST, shared and own names' '
	pg_start &&
	# 2026-10-10 00:00 UTC, a run every 20 minutes for 30 days
	readings gw1 1791590400 2280 1200 >gw1.all &&
	head -n $((2160 * 4)) gw1.all >gw1.readings &&
	readings gw2 1791590700 2160 1200 >gw2.readings &&
	ipac-fixture -d gw1.db -H gw1 -z Europe/Berlin <gw1.readings &&
	ipac-fixture -d gw2.db -H gw2 -z Europe/Berlin <gw2.readings &&
	pg_router gw1 && pg_router gw2 &&
	test "$(sqlite3 gw1.db "SELECT count(*) FROM run")" = 2160
'

test_expect_success 'shipped: every run, sample and rollup of each router, to the byte' '
	ship gw1 -v 2>err1 && cat err1 &&
	ship gw2 -v 2>err2 && cat err2 &&
	grep "schema version 3 -> 4" err1 &&
	grep "shipped to postgresql:///ipac: 2160 runs" err1 &&
	for h in gw1 gw2
	do
		rows $h sqlite >$h.local &&
		rows $h pg >$h.central &&
		test_cmp $h.local $h.central || return 1
	done &&
	echo "rows per router: $(wc -l <gw1.local) and $(wc -l <gw2.local)" &&
	test $(grep -c "^hourly|" gw1.local) -ge 700 &&
	test $(grep -c "^daily|" gw1.local) -ge 100 &&
	: "the day DST ends has 25 hours in Berlin: one daily row per name" &&
	grep "^daily|1792360800|total in|" gw1.local &&
	: "sums across the routers: the names they share add up" &&
	total_in sqlite gw1.db >s1 &&
	total_in sqlite gw2.db >s2 &&
	total_in pg >sc &&
	test $(cat sc) = $(($(cat s1) + $(cat s2)))
'

test_expect_success 'shipped again: nothing added or changed' '
	counts >before &&
	ship gw1 -v 2>err && cat err &&
	grep "(0 rows new or changed there)" err &&
	ship gw2 -v 2>err && grep "(0 rows new or changed there)" err &&
	counts >after &&
	test_cmp before after &&
	rows gw1 pg >gw1.central2 &&
	test_cmp gw1.local gw1.central2
'

test_expect_success 'the same reports from the central store as from each router' '
	HOST=gw1 same_reports &&
	HOST=gw2 same_reports
'

test_expect_success 'every host at once (--all-hosts): the names the routers share add up, by interval too' '
	for args in "-s 20261001 -e 20261201" "-s 20261020 -e 20261030 -i day"
	do
		for h in gw1 gw2
		do
			TZ=Europe/Berlin ipacsum -d "$PG_URI" -H $h $args \
				--format csv >$h.csv || return 1
		done &&
		sort_sum gw1.csv gw2.csv >expect &&
		TZ=Europe/Berlin ipacsum -d "$PG_URI" --all-hosts $args \
			--format csv >all.csv &&
		sort_sum all.csv >actual &&
		test_cmp expect actual &&
		grep ",\?total in," all.csv || return 1
	done &&
	cat actual &&
	test_expect_code 1 ipacsum -d "$PG_URI" --all-hosts -H gw1 2>err &&
	grep "not with -H" err
'

# sum_cols K CSV...: the CSV rows (all but the header) summed by their
# first K columns, the others added up, sorted.
sum_cols () {
	sum_k_=$1
	shift
	for f in "$@"
	do
		sed 1d "$f"
	done | awk -F, -v k="$sum_k_" '{
		key = $1; for (i = 2; i <= k; i++) key = key "," $i
		if (!(key in nf)) order[++n] = key
		nf[key] = NF
		for (i = k + 1; i <= NF; i++) v[key, i] += $i
	} END {
		for (j = 1; j <= n; j++) {
			key = order[j]; line = key
			for (i = k + 1; i <= nf[key]; i++) line = line "," v[key, i]
			print line
		}
	}' | LC_ALL=C sort
}

# session HOST ID ACCOUNT LOGIN LOGOUT|NULL RX TX: an iplogin session
# into HOST's store, as iplogin writes it.
session () {
	sqlite3 -batch "$1.db" "INSERT INTO session (id, host_id, server,
		account, addr, chains, login, logout, reason, updated,
		rx_bytes, rx_pkts, tx_bytes, tx_pkts) VALUES ('$2',
		(SELECT id FROM host WHERE name = '$1'), 'gw', '$3',
		'198.18.1.2', 'users/b', $4, $5,
		CASE WHEN $5 IS NULL THEN NULL ELSE 'del' END, $4 + 60,
		$6, $(($6 / 1000)), $7, $(($7 / 1000)))"
}

test_expect_success '--all-hosts adds up billing, sessions and the HTML page; Prometheus labels each host; per host the same as each router' '
	: "2026-10-15 to 2026-10-20: sessions on both routers, alice on both" &&
	session gw1 s1 alice 1792000000 1792003600 5000000 700000 &&
	session gw1 s2 bob 1792100000 NULL 81000 9000 &&
	session gw1 s3 alice 1792200000 1792200900 1000 2000 &&
	session gw2 s4 alice 1792300000 1792310000 3000000 400000 &&
	session gw2 s5 carol 1792400000 NULL 11000 12000 &&
	ship gw1 && ship gw2 &&
	test "$(pg_sql "SELECT count(*) FROM session")" = 5 &&
	cat >accounts.conf <<-\EOF &&
	[account shared]
	in = total in, web*
	out = total out
	logins = alice, carol
	[account own]
	rules = only *
	cycle day = 15
	EOF
	IPAC_TEST_NOW=$(date +%s) &&
	export IPAC_TEST_NOW &&
	while read -r args
	do
		eval "set -- $args"
		for h in gw1 gw2
		do
			TZ=Europe/Berlin ipacsum -C accounts.conf -d $h.db -H $h \
				"$@" >$h.local &&
			TZ=Europe/Berlin ipacsum -C accounts.conf -d "$PG_URI" \
				-H $h "$@" >$h.central &&
			test_cmp $h.local $h.central &&
			test -s $h.local || { echo "differs: $args"; return 1; }
		done &&
		TZ=Europe/Berlin ipacsum -C accounts.conf -d "$PG_URI" \
			--all-hosts "$@" >all.out || return 1
		case "$args" in
		*billing*csv*)
			sum_cols 3 gw1.local gw2.local >expect &&
			sum_cols 3 all.out >actual ;;
		*sessions*csv*)
			sum_cols 1 gw1.local gw2.local >expect &&
			sum_cols 1 all.out >actual &&
			: "alice on both routers: one line, both her sessions" &&
			grep "^alice,3,0,14500,8001000,8001,1102000,1102\$" all.out ;;
		*prometheus*)
			cat gw1.local gw2.local | grep -v "^#" | LC_ALL=C sort >expect &&
			grep -v "^#" all.out | LC_ALL=C sort >actual ;;
		*json*|*sessions*)
			grep "all hosts" all.out >/dev/null || return 1
			continue ;;
		*)
			continue ;;
		esac &&
		echo "ipacsum --all-hosts $args:" && cat actual &&
		test_cmp expect actual || return 1
	done <<-\EOF &&
	--billing 2026-10 --format csv
	--billing 2026-10 --format json
	--billing 2026-10
	--billing 2026-11 --format csv
	--sessions -s 20261001 -e 20261201 --format csv
	--sessions -s 20261001 -e 20261201
	--format prometheus
	EOF
	unset IPAC_TEST_NOW &&
	TZ=Europe/Berlin ipacsum -d "$PG_URI" --all-hosts --html page \
		-s 20261015 -e 20261022 &&
	grep "all hosts" page/index.html &&
	for name in "total in" "total out" "only gw1" "only gw2"
	do
		grep "$name" page/index.html >/dev/null &&
		ls page | grep "^$(echo "$name" | sed "s/ /%20/")\.png\$" ||
		{ echo "no $name on the page"; ls page; return 1; }
	done &&
	test_expect_code 1 ipacsum -d "$PG_URI" --all-hosts --plotter rrd \
		--graphs g 2>err &&
	grep "RRD files are per host" err &&
	test_expect_code 1 ipacsum -d "$PG_URI" --all-hosts --p95 2>err &&
	grep "not with.*--p95" err
'

# more RUN: the next 20 runs of gw1 into its store (RUN 1 to 6).
more () {
	sed -n "$(( (2160 + ($1 - 1) * 20) * 4 + 1)),$(( (2160 + $1 * 20) * 4 ))p" \
		gw1.all >more.$1 &&
	test -s more.$1 &&
	ipac-fixture -d gw1.db -H gw1 -z Europe/Berlin <more.$1
}

n=0
for point in ship-connected ship-copy ship-commit ship-committed
do
	n=$((n + 1))
	test_expect_success "killed at $point: the next ship sends the rest, nothing twice" "
		more $n &&
		test_expect_code 6 env IPAC_TEST_CRASH=$point fetchipac \
			-C gw1.conf -S 2>err &&
		cat err &&
		grep 'crash point $point' err &&
		grep 'not shipped this time' err &&
		rows gw1 sqlite >gw1.local &&
		ship gw1 -v 2>err && cat err &&
		rows gw1 pg >gw1.central &&
		test_cmp gw1.local gw1.central
	"
done

test_expect_success 'a router that ships the same runs twice at once: each row once' '
	more 5 &&
	{ ship gw1 & ship gw1 & wait; } &&
	rows gw1 sqlite >gw1.local &&
	rows gw1 pg >gw1.central &&
	test_cmp gw1.local gw1.central &&
	ship gw1 -v 2>err &&
	grep "(0 rows new or changed there)" err
'

test_expect_success 'retention: the days before a time dropped whole, partitions not rows; the rollups stay' '
	pg_sql "SELECT min(t) FROM sample" >first &&
	cut=$(( ($(cat first) / 86400 + 3) * 86400 )) &&
	pg_sql "SELECT count(*) FROM sample WHERE t < $cut" >gone &&
	test $(cat gone) -gt 0 &&
	pg_sql "SELECT count(*) FROM sample WHERE t >= $cut" >kept &&
	pg_sql "SELECT count(*) FROM hourly" >hours &&
	day_partitions >days.before &&
	test "$(pg_sql "SELECT ipac_drop_days($cut)")" -ge 3 &&
	day_partitions >days.after &&
	echo "day partitions: $(cat days.before) before, $(cat days.after) after" &&
	test $(cat days.after) -gt 0 &&
	test "$(pg_sql "SELECT count(*) FROM sample WHERE t < $cut")" = 0 &&
	test "$(pg_sql "SELECT count(*) FROM sample")" = $(cat kept) &&
	test "$(pg_sql "SELECT count(*) FROM hourly")" = $(cat hours) &&
	test "$(pg_sql "SELECT ipac_drop_days($cut)")" = 0 &&
	: "the months and days of the reports are the rollups: unchanged" &&
	TZ=Europe/Berlin ipacsum -d "$PG_URI" -H gw2 -s 20261001 -e 20261201 \
		-i month --format csv >central.out &&
	TZ=Europe/Berlin ipacsum -d "$TRASH_DIRECTORY/gw2.db" -H gw2 \
		-s 20261001 -e 20261201 -i month --format csv >local.out &&
	test_cmp local.out central.out
'

test_done
