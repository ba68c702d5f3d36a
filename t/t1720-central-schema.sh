#!/bin/sh
test_description='the central store: its schema is db/schema-pg.sql and ready to shard by host; routers write their own rows only; TLS verify-full'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-lab.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

pg_require
test_require_root_netns
test_require_prog sqlite3 certtool

# describe DB: the schema of database DB, whitespace aside: columns,
# constraints, indexes, partitions, functions.
describe () {
	pg_sql_db_ "$1" "SELECT c.relname, c.relkind, a.attnum, a.attname,
			format_type(a.atttypid, a.atttypmod), a.attnotnull,
			coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE c.relnamespace = 'public'::regnamespace
		AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY 1, 3" &&
	pg_sql_db_ "$1" "SELECT conrelid::regclass, conname, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		ORDER BY 1, 2" &&
	pg_sql_db_ "$1" "SELECT indexrelid::regclass, pg_get_indexdef(indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1" &&
	pg_sql_db_ "$1" "SELECT inhrelid::regclass, inhparent::regclass,
		pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits
		JOIN pg_class c ON c.oid = inhrelid ORDER BY 1" &&
	pg_sql_db_ "$1" "SELECT proname, pg_get_function_identity_arguments(oid),
		prosecdef, proconfig, regexp_replace(prosrc, '\\s+', ' ', 'g')
		FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"
}

# router HOST: a store with three runs of HOST.
router () {
	printf "%s\n" "1790000000 up 0 0" "1790000300 up 1000 10" \
		"1790000600 up 3000 20" | ipac-fixture -d $1.db -H $1 -z UTC &&
	pg_router $1
}

test_expect_success 'the first shipment makes the schema of db/schema-pg.sql' '
	pg_start &&
	pg_sql_db_ postgres "CREATE DATABASE doc" &&
	psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres -d doc \
		-f "$SRC_ROOT/db/schema-pg.sql" &&
	router gw1 &&
	fetchipac -C gw1.conf -S &&
	pg_sql "SELECT key || chr(61) || value FROM meta ORDER BY key" >meta &&
	printf "%s\n" application=ipac timezone=UTC version=4 >expect &&
	test_cmp expect meta &&
	: "the partition of the samples day is no part of the schema" &&
	pg_sql "DROP TABLE sample_$(date -u -d @1790000300 +%Y%m%d)" &&
	describe ipac >migrated &&
	describe doc >documented &&
	test_cmp documented migrated &&
	test $(wc -l <migrated) -gt 150
'

test_expect_success 'ready to shard by host: every key of a host table holds host_id; foreign keys point at host only' '
	pg_sql "SELECT c.conrelid::regclass || chr(32) || pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid
		AND a.attname = (chr(104) || chr(111) || chr(115) || chr(116) ||
		chr(95) || chr(105) || chr(100))
		WHERE c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		AND c.contype IN (chr(112), chr(117)) AND NOT a.attnum = ANY (c.conkey)
		ORDER BY 1" >keys &&
	test_must_be_empty keys &&
	pg_sql "SELECT conrelid::regclass || chr(32) || confrelid::regclass
		FROM pg_constraint WHERE contype = chr(102) ORDER BY 1" >fks &&
	! grep -v " host$" fks &&
	! grep "^sample \|^hourly \|^daily \|^monthly " fks
'

test_expect_success 'routers shipping at once to a new central store: one makes the schema, all ship' '
	pg_sql_db_ postgres "CREATE DATABASE fresh" &&
	U="postgresql:///fresh?host=$PG_DIR&user=postgres" &&
	for h in a b c d e f
	do
		printf "%s\n" "1790000000 up 0 0" "1790000300 up 1000 10" |
			ipac-fixture -d $h.db -H $h -z UTC &&
		pg_router $h "$U" || return 1
	done &&
	pids= &&
	for h in a b c d e f
	do
		fetchipac -C $h.conf -S 2>err.$h &
		pids="$pids $!"
	done &&
	for p in $pids
	do
		wait $p || { cat err.*; return 1; }
	done &&
	test "$(pg_sql_db_ fresh "SELECT count(*) FROM host")" = 6 &&
	test "$(pg_sql_db_ fresh "SELECT sum(bytes) FROM sample")" = 6000
'

test_expect_success 'least privilege (examples/central.sql): a router writes its own rows only; a reader only reads' '
	router gw2 &&
	fetchipac -C gw2.conf -S &&
	psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres -d ipac \
		-f "$SRC_ROOT/examples/central.sql" &&
	pg_sql "CREATE ROLE gw1 LOGIN IN ROLE ipac_routers" &&
	pg_sql "CREATE ROLE reports LOGIN IN ROLE ipac_readers" &&
	U1="postgresql:///ipac?host=$PG_DIR&user=gw1" &&
	: "gw1 ships its own runs as itself, days partitions included" &&
	printf "%s\n" "1790090000 up 5000 30" |
		ipac-fixture -d gw1.db -H gw1 -z UTC &&
	pg_router gw1 "$U1" &&
	fetchipac -C gw1.conf -S &&
	test "$(pg_sql "SELECT count(*) FROM run r JOIN host h ON h.id = r.host_id
		WHERE h.name = chr(103) || chr(119) || chr(49)")" = 4 &&
	: "as gw1, the rows of gw2 cannot be shipped" &&
	printf "%s\n" "1790090000 up 9000 40" |
		ipac-fixture -d gw2.db -H gw2 -z UTC &&
	pg_sql "SELECT count(*) FROM run" >runs.before &&
	pg_router gw2 "$U1" &&
	test_expect_code 6 fetchipac -C gw2.conf -S 2>err &&
	cat err &&
	grep "row-level security" err &&
	pg_sql "SELECT count(*) FROM run" >runs.after &&
	test_cmp runs.before runs.after &&
	: "nor written by hand, nor seen" &&
	gw2=$(pg_sql "SELECT id FROM host WHERE name = chr(103) || chr(119) || chr(50)") &&
	test_must_fail psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U gw1 -d ipac \
		-c "INSERT INTO run VALUES ($gw2, 1, 1, 1, 1, 0)" 2>err &&
	grep "row-level security" err &&
	psql -X -q -A -t -h "$PG_DIR" -U gw1 -d ipac -c "SELECT count(*) FROM run WHERE host_id = $gw2" >seen &&
	test "$(cat seen)" = 0 &&
	test_must_fail psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U gw1 -d ipac \
		-c "DROP TABLE sample_default" &&
	: "the reader reports on both, writes nothing" &&
	ipacsum -d "postgresql:///ipac?host=$PG_DIR&user=reports" -H gw2 \
		-s @1789990000 -e @1790100000 --format csv >report &&
	grep "^up," report &&
	test_must_fail psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -U reports -d ipac \
		-c "DELETE FROM run"
'

test_expect_success 'a password in the URI is refused before anything is sent' '
	pg_router gw1 "postgresql://gw1:secret@localhost/ipac" 2>/dev/null &&
	test_expect_code 6 fetchipac -C gw1.conf -S 2>err &&
	cat err &&
	grep "a password in the store.s URI: put it in a password file" err &&
	! grep secret err
'

test_expect_success 'TLS: verify-full against the central store CA ships; a server of another CA is refused, nothing marked shipped' '
	pg_stop &&
	lab_netns_add pg &&
	NS=${LAB_PREFIX}pg &&
	for n in ca other
	do
		certtool --generate-privkey --key-type=ecdsa --outfile $n.key 2>/dev/null &&
		printf "%s\n" "cn = ipac test $n" ca cert_signing_key \
			"expiration_days = 2" >$n.tmpl &&
		certtool --generate-self-signed --load-privkey $n.key \
			--template $n.tmpl --outfile $n.pem 2>/dev/null || return 1
	done &&
	certtool --generate-privkey --key-type=ecdsa --outfile server.key 2>/dev/null &&
	printf "%s\n" "cn = localhost" "dns_name = localhost" tls_www_server \
		signing_key "expiration_days = 2" >server.tmpl &&
	certtool --generate-certificate --load-privkey server.key \
		--load-ca-certificate ca.pem --load-ca-privkey ca.key \
		--template server.tmpl --outfile server.pem 2>/dev/null &&
	cp server.key server.pem "$PG_DIR/" &&
	chown postgres "$PG_DIR/server.key" "$PG_DIR/server.pem" &&
	chmod 600 "$PG_DIR/server.key" &&
	lab_exec $NS runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" \
		-l "$PG_DIR/server.log" -w -o "-k $PG_DIR -c listen_addresses=localhost -c ssl=on -c ssl_cert_file=$PG_DIR/server.pem -c ssl_key_file=$PG_DIR/server.key -c fsync=off" \
		start >/dev/null &&
	printf "%s\n" "1790190000 up 7000 35" |
		ipac-fixture -d gw1.db -H gw1 -z UTC &&
	pg_sql "SELECT shipped_t FROM host WHERE name = chr(103) || chr(119) || chr(49)" >mark.before &&
	pg_router gw1 "postgresql://gw1@localhost/ipac?sslmode=verify-full&sslrootcert=$TRASH_DIRECTORY/other.pem&connect_timeout=5" &&
	test_expect_code 6 lab_exec $NS fetchipac -C gw1.conf -S 2>err &&
	cat err &&
	grep "certificate verify failed" err &&
	pg_sql "SELECT shipped_t FROM host WHERE name = chr(103) || chr(119) || chr(49)" >mark.after &&
	test_cmp mark.before mark.after &&
	pg_router gw1 "postgresql://gw1@localhost/ipac?sslmode=verify-full&sslrootcert=$TRASH_DIRECTORY/ca.pem&connect_timeout=5" &&
	lab_exec $NS fetchipac -C gw1.conf -S -v 2>err &&
	cat err &&
	grep "shipped to postgresql://localhost/ipac" err &&
	sqlite3 gw1.db "SELECT max(t) FROM run" >mark.expect &&
	pg_sql "SELECT shipped_t FROM host WHERE name = chr(103) || chr(119) || chr(49)" >mark.after &&
	test_cmp mark.expect mark.after
'

test_done
