#!/bin/sh
test_description='the store: migrations give db/schema.sql; newer and foreign stores are refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-store.sh"

lab_require
test_require_prog sqlite3

# schema DB: what the schema of DB is, independent of how the SQL was
# spelt: version, application id, every table (strict, without rowid),
# its columns, indexes and foreign keys.
schema () {
	sqlite3 -batch -noheader "$1" "
		SELECT 'user_version', user_version FROM pragma_user_version;
		SELECT 'application_id', application_id FROM pragma_application_id;
		SELECT 'table', name, type, ncol, wr, strict FROM pragma_table_list
			WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name;
		SELECT 'column', t.name, c.cid, c.name, c.type, c.[notnull],
			c.dflt_value, c.pk, c.hidden
			FROM pragma_table_list t, pragma_table_xinfo(t.name) c
			WHERE t.schema = 'main' AND t.name NOT LIKE 'sqlite_%'
			ORDER BY t.name, c.cid;
		SELECT 'index', t.name, i.name, i.[unique], i.origin, i.partial,
			(SELECT group_concat(ii.name) FROM pragma_index_info(i.name) ii)
			FROM pragma_table_list t, pragma_index_list(t.name) i
			WHERE t.schema = 'main' AND t.name NOT LIKE 'sqlite_%'
			ORDER BY t.name, i.name;
		SELECT 'foreign key', t.name, f.[from], f.[table], f.[to]
			FROM pragma_table_list t, pragma_foreign_key_list(t.name) f
			WHERE t.schema = 'main' AND t.name NOT LIKE 'sqlite_%'
			ORDER BY t.name, f.[from];"
}

test_expect_success 'a namespace to read (nothing of ours in it)' '
	lab_netns_add r &&
	R=${LAB_PREFIX}r
'

test_expect_success 'the migrations make exactly db/schema.sql' '
	lab_exec $R fetchipac &&
	sqlite3 reference.db <"$SRC_ROOT/db/schema.sql" &&
	schema reference.db >expect &&
	schema "$STORE" >actual &&
	test_cmp expect actual &&
	grep "^table|sample|table|4|1|1$" actual &&
	grep "^user_version|4$" actual &&
	test "$(store_q "PRAGMA journal_mode")" = wal &&
	test "$(store_q "SELECT value FROM meta WHERE key = '\''timezone'\''")" = UTC
'

test_expect_success 'a version 1 store is migrated: sessions (and vouchers) added, its rows kept' '
	sed -e "/^-- An iplogin session/,\$d" \
		-e "s/^PRAGMA user_version = 4;/PRAGMA user_version = 1;/" \
		"$SRC_ROOT/db/schema.sql" >v1.sql &&
	! grep -q session v1.sql &&
	sqlite3 v1.db <v1.sql &&
	# the columns of version 3
	sqlite3 v1.db "ALTER TABLE rule DROP COLUMN kparts;
		ALTER TABLE ruleset DROP COLUMN stamp" &&
	sqlite3 v1.db "INSERT INTO meta VALUES ('\''timezone'\'', '\''UTC'\'');
		INSERT INTO host (name) VALUES ('\''old'\'');
		INSERT INTO rule (host_id, name) VALUES (1, '\''kept'\'');
		INSERT INTO sample VALUES (100, 1, 1234, 5)" &&
	lab_exec $R fetchipac -d "$TRASH_DIRECTORY/v1.db" &&
	schema v1.db >actual.v1 &&
	test_cmp expect actual.v1 &&
	test "$(sqlite3 v1.db "SELECT bytes || '\''/'\'' || pkts FROM sample WHERE t = 100")" = 1234/5
'

test_expect_success 'a store whose folders do not exist yet: made, and locked' '
	printf "%s\n" "store = $TRASH_DIRECTORY/new/deeper/ipac.db" \
		"spool fallback = $TRASH_DIRECTORY/new-run/spool" >new.settings &&
	lab_exec $R ipacset --allow-empty -C new.settings "$SRC_ROOT/t/good/empty.conf" &&
	test -f new/deeper/ipac.db && test -f new/deeper/ipac.db.lock &&
	lab_exec $R fetchipac -C new.settings &&
	test "$(sqlite3 new/deeper/ipac.db "SELECT count(*) FROM ruleset")" = 1
'

test_expect_success 'an empty file is made a store' '
	: >empty.db &&
	lab_exec $R fetchipac -d "$TRASH_DIRECTORY/empty.db" &&
	schema empty.db >actual.empty &&
	test_cmp expect actual.empty
'

test_expect_success '-d with a folder: ipac.db in it' '
	mkdir data &&
	lab_exec $R fetchipac -d "$TRASH_DIRECTORY/data" &&
	schema data/ipac.db >actual.dir &&
	test_cmp expect actual.dir
'

test_expect_success 'a store newer than the program is refused, untouched' '
	cp "$STORE" newer.db &&
	sqlite3 newer.db "PRAGMA user_version = 99" &&
	cksum newer.db >before &&
	test_must_fail lab_exec $R fetchipac -d "$TRASH_DIRECTORY/newer.db" 2>err &&
	grep "newer.db: the store has schema version 99, newer than this program knows (4); use a newer ipac" err &&
	test_must_fail lab_exec $R fetchipac -t -d "$TRASH_DIRECTORY/newer.db" 2>err &&
	grep "newer.db: the store has schema version 99, newer than this program knows (4); use a newer ipac" err &&
	cksum newer.db >after &&
	test_cmp before after
'

test_expect_success 'another program'\''s database is refused, untouched' '
	sqlite3 other.db "PRAGMA application_id = 42; CREATE TABLE t (x)" &&
	cksum other.db >before &&
	test_must_fail lab_exec $R fetchipac -d "$TRASH_DIRECTORY/other.db" 2>err &&
	grep "other.db: not an ipac store" err &&
	cksum other.db >after &&
	test_cmp before after
'

test_expect_success 'the time zone of days and months is fixed when the store is made' '
	printf "%s\n" "store = $TRASH_DIRECTORY/berlin.db" "timezone = Europe/Berlin" \
		>berlin.settings &&
	lab_exec $R fetchipac -C berlin.settings &&
	test "$(sqlite3 berlin.db "SELECT value FROM meta WHERE key = '\''timezone'\''")" = Europe/Berlin &&
	printf "%s\n" "store = $TRASH_DIRECTORY/berlin.db" "timezone = Asia/Tokyo" \
		>tokyo.settings &&
	lab_exec $R fetchipac -C tokyo.settings 2>err &&
	grep "keeps days and months in Europe/Berlin (fixed when it was made), not Asia/Tokyo" err &&
	printf "%s\n" "store = $TRASH_DIRECTORY/x.db" "timezone = Mars/Olympus" \
		>mars.settings &&
	test_must_fail lab_exec $R fetchipac -C mars.settings 2>err &&
	grep "mars.settings:2: timezone: unknown time zone '\''Mars/Olympus'\'' (a name such as Europe/Berlin)" err &&
	! test -e x.db
'

test_expect_success 'bad settings: file:line, nothing stored' '
	printf "%s\n" "store = $TRASH_DIRECTORY/y.db" "keep hourly = soon" >bad.settings &&
	test_must_fail lab_exec $R fetchipac -C bad.settings 2>err &&
	grep "bad.settings:2: retention: a duration such as 14d, 52w, 1y, or '\''forever'\''" err &&
	! test -e y.db
'

test_expect_success 'a PostgreSQL store: reports read one, a server away is said clearly; the writers refuse one; nothing made' '
	test_expect_code 4 ipacsum -d "postgresql:///ipac?host=$TRASH_DIRECTORY/nowhere" \
		-H gw 2>err &&
	cat err &&
	grep "^ipacsum: postgresql:///ipac: connect: .*nowhere/.s.PGSQL.5432" err &&
	test_expect_code 1 fetchipac -d "postgresql:///ipac?host=$TRASH_DIRECTORY/nowhere" 2>err &&
	cat err &&
	grep "^fetchipac: postgresql:///ipac: a router keeps its counters in a store of its own" err &&
	test_expect_code 1 fetchipac -S 2>err &&
	grep "^fetchipac: -S: no \"central store\" in the settings" err &&
	! test -e postgresql: &&
	! test -e nowhere
'

test_done
