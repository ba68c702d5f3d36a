# lib-store.sh: reading the store the programs wrote, for the tests.
# Source it after test-lib.sh.  The store is $TRASH_DIRECTORY/ipac.db
# (test-lib.sh points the settings there).
#
# SPDX-License-Identifier: GPL-2.0-or-later

STORE=$TRASH_DIRECTORY/ipac.db
export STORE

# store_q SQL: run SQL on the store, rows as "a|b|c" lines.
store_q () {
	sqlite3 -batch -noheader "$STORE" "$1"
}

# stored NAME: "PACKETS BYTES" the store holds for NAME in all (sum of
# the samples).
stored () {
	store_q "SELECT coalesce(sum(s.pkts), 0) || ' ' ||
		coalesce(sum(s.bytes), 0) FROM sample s JOIN rule r
		ON r.id = s.rule_id WHERE r.name = '$1'"
}

# last_sample NAME: "PACKETS BYTES" of NAME in the newest run (0 0 when
# it counted nothing then).
last_sample () {
	store_q "SELECT coalesce(sum(s.pkts), 0) || ' ' ||
		coalesce(sum(s.bytes), 0) FROM sample s JOIN rule r
		ON r.id = s.rule_id WHERE r.name = '$1' AND
		s.t = (SELECT max(t) FROM run)"
}

# expect_stored NAME PACKETS BYTES / expect_last NAME PACKETS BYTES
expect_stored () {
	echo "$2 $3" >expect.stored &&
	stored "$1" >actual.stored &&
	test_cmp expect.stored actual.stored
}
expect_last () {
	echo "$2 $3" >expect.last &&
	last_sample "$1" >actual.last &&
	test_cmp expect.last actual.last
}

# stored_mark NAME, then stored_add NAME PACKETS BYTES: NAME holds that
# much more than at the mark
stored_mark () {
	stored "$1" >"mark.$1"
}
stored_add () {
	read stored_p_ stored_b_ <"mark.$1" &&
	expect_stored "$1" $((stored_p_ + $2)) $((stored_b_ + $3))
}

# store_consistent: the store is whole (integrity_check), no count is
# negative, and every rollup row equals the sum of what it rolls up:
# hours and days the samples whose t falls in them, months the days.
# Prints what differs.
store_consistent () {
	store_q "PRAGMA integrity_check" >integrity &&
	echo ok >integrity.expect &&
	test_cmp integrity.expect integrity &&
	store_q "SELECT 'negative', * FROM sample WHERE bytes < 0 OR pkts < 0
		UNION ALL SELECT 'negative hour', * FROM hourly
		WHERE bytes < 0 OR pkts < 0" >bad &&
	store_q "SELECT 'hour', h.t, h.rule_id, h.bytes, h.pkts,
		(SELECT sum(bytes) FROM sample s WHERE s.rule_id = h.rule_id
		AND s.t >= h.t AND s.t < h.t + 3600)
		FROM hourly h WHERE h.bytes != (SELECT sum(bytes) FROM sample s
		WHERE s.rule_id = h.rule_id AND s.t >= h.t AND s.t < h.t + 3600)
		OR h.pkts != (SELECT sum(pkts) FROM sample s
		WHERE s.rule_id = h.rule_id AND s.t >= h.t AND s.t < h.t + 3600)" >>bad &&
	store_q "SELECT 'hour missing', s.rule_id, s.t FROM sample s, host
		WHERE s.t < host.hour_done AND NOT EXISTS (SELECT 1 FROM hourly h
		WHERE h.rule_id = s.rule_id AND h.t = s.t - s.t % 3600)" >>bad &&
	# days and months of UTC (test-lib.sh sets TZ=UTC)
	store_q "SELECT 'day', d.t, d.rule_id FROM daily d
		WHERE d.bytes != (SELECT sum(bytes) FROM sample s
		WHERE s.rule_id = d.rule_id AND s.t >= d.t AND s.t < d.t + 86400)
		OR d.pkts != (SELECT sum(pkts) FROM sample s
		WHERE s.rule_id = d.rule_id AND s.t >= d.t AND s.t < d.t + 86400)" >>bad &&
	store_q "SELECT 'month', m.t, m.rule_id FROM monthly m
		WHERE m.bytes != (SELECT sum(bytes) FROM daily d
		WHERE d.rule_id = m.rule_id AND d.t >= m.t AND
		d.t < unixepoch(m.t, 'unixepoch', '+1 month'))" >>bad &&
	test_must_be_empty bad
}
