#!/bin/sh
test_description='ipacsum: hours are absolute on the days DST ends and starts'
. "$(dirname "$0")/test-lib.sh"

# Readings of one name every 30 minutes, 1000 bytes and 1 packet each:
# 2000 bytes in every hour.  $1: the first reading (UTC), $2: how many.
readings () {
	i=0
	while test $i -lt $2; do
		echo "$(( $1 + i * 1800 )) x $(( i * 1000 )) $i"
		i=$(( i + 1 ))
	done
}

# The CSV rows of N hours from START, 2000 bytes and 2 packets each.
hours () {
	echo start,end,rule,bytes,packets
	i=0
	while test $i -lt $2; do
		echo "$(( $1 + i * 3600 )),$(( $1 + i * 3600 + 3600 )),x,2000,2"
		i=$(( i + 1 ))
	done
}


test_expect_success 'stores around the ends of DST in Berlin and New York' '
	readings 1792872000 60 >berlin &&
	ipac-fixture -d berlin.db -H gw -z Europe/Berlin <berlin &&
	readings 1793498400 60 >ny &&
	ipac-fixture -d ny.db -H gw -z America/New_York <ny &&
	readings 1774731600 60 >berlin-spring &&
	ipac-fixture -d berlin-spring.db -H gw -z Europe/Berlin <berlin-spring &&
	readings 1772938800 60 >ny-spring &&
	ipac-fixture -d ny-spring.db -H gw -z America/New_York <ny-spring
'

# 2026-10-25 00:00 CEST = 2026-10-24 22:00 UTC; the day has 25 hours.
test_expect_success 'Berlin, 25 October by the hour: 25 hours, 02:00 twice' '
	TZ=Europe/Berlin ipacsum -d berlin.db -H gw -s 20261025 -e 20261026 \
		--interval hour --format csv >actual &&
	hours 1792879200 25 >expect &&
	test_cmp expect actual
'

# 2026-11-01 00:00 EDT = 04:00 UTC; the day has 25 hours.
test_expect_success 'New York, 1 November by the hour: 25 hours, 01:00 twice' '
	TZ=America/New_York ipacsum -d ny.db -H gw -s 20261101 -e 20261102 \
		--interval hour --format csv >actual &&
	hours 1793505600 25 >expect &&
	test_cmp expect actual
'

# 2026-03-29 00:00 CET = 2026-03-28 23:00 UTC: 23 hours, no 02:00.
test_expect_success 'Berlin, 29 March by the hour: 23 hours' '
	TZ=Europe/Berlin ipacsum -d berlin-spring.db -H gw -s 20260329 \
		-e 20260330 --interval hour --format csv >actual &&
	hours 1774738800 23 >expect &&
	test_cmp expect actual
'

# A big breakdown is read in two halves at once, the later by a thread
# on a second connection; IPAC_TEST_SPLIT_CELLS=0 makes every one big.
test_expect_success 'the same hours read in two halves at once: the same rows' '
	TZ=Europe/Berlin IPAC_TEST_SPLIT_CELLS=0 ipacsum -d berlin.db -H gw \
		-s 20261025 -e 20261026 --interval hour --format csv >actual &&
	hours 1792879200 25 >expect &&
	test_cmp expect actual &&
	TZ=Europe/Berlin IPAC_TEST_SPLIT_CELLS=0 ipacsum -d berlin-spring.db \
		-H gw -s 20260329 -e 20260330 --interval hour --format csv \
		>actual &&
	hours 1774738800 23 >expect &&
	test_cmp expect actual
'

# 2026-03-08 00:00 EST = 05:00 UTC: 23 hours, no 02:00.
test_expect_success 'New York, 8 March by the hour: 23 hours' '
	TZ=America/New_York ipacsum -d ny-spring.db -H gw -s 20260308 \
		-e 20260309 --interval hour --format csv >actual &&
	hours 1772946000 23 >expect &&
	test_cmp expect actual
'

frame () {
	IPAC_TEST_NOW=$3 TZ=$2 ipacsum -d "$1" -H gw -t "$4" -x \
		--format csv >actual &&
	printf "rule,bytes,packets\nx,%s,%s\n" $5 $6 >expect &&
	test_cmp expect actual
}

# The first 02:30 in Berlin (00:30 UTC) and the second (01:30 UTC).
test_expect_success 'Berlin, the first 02:30: this hour and last hour' '
	frame berlin.db Europe/Berlin 1792888200 "this hour" 1000 1 &&
	frame berlin.db Europe/Berlin 1792888200 "last hour" 2000 2 &&
	frame berlin.db Europe/Berlin 1792888200 "the hour 2 hours ago" 2000 2
'

test_expect_success 'Berlin, the second 02:30: this hour and last hour' '
	frame berlin.db Europe/Berlin 1792891800 "this hour" 1000 1 &&
	frame berlin.db Europe/Berlin 1792891800 "last hour" 2000 2
'

# The first 01:30 in New York (05:30 UTC) and the second (06:30 UTC).
test_expect_success 'New York, both 01:30: this hour and last hour' '
	frame ny.db America/New_York 1793511000 "this hour" 1000 1 &&
	frame ny.db America/New_York 1793511000 "last hour" 2000 2 &&
	frame ny.db America/New_York 1793514600 "this hour" 1000 1 &&
	frame ny.db America/New_York 1793514600 "last hour" 2000 2
'

test_expect_success 'a count of units past the range is an error' '
	test_expect_code 1 ipacsum -d berlin.db -H gw \
		-t "the day 4294967297 days ago" 2>err &&
	grep "4294967297" err
'

test_done
