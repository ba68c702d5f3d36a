# A throwaway PostgreSQL 15 for the central store's tests: initdb in a
# folder of its own under /tmp (the trash folder may be under /root,
# which the server's user cannot enter), run as an unprivileged user
# (postgres when we are root), Unix socket only, stopped and deleted
# when the script ends however it ends.
#
#	pg_require		test_cannot_run without the server programs
#	pg_start		start it; sets PG_DIR, PG_URI (the
#				database "ipac", as the superuser)
#	pg_sql SQL...		psql as the superuser, unaligned, no header
#	pg_stop, pg_pause, pg_resume
#	pg_router HOST [URI]	the settings file HOST.conf of a router
#				whose store is HOST.db, shipping to URI
#				(default PG_URI)
#
# SPDX-License-Identifier: GPL-2.0-or-later

PG_BIN=
for pg_v_ in 15 16 17
do
	if test -x /usr/lib/postgresql/$pg_v_/bin/initdb
	then
		PG_BIN=/usr/lib/postgresql/$pg_v_/bin
		break
	fi
done

pg_require () {
	test -n "$PG_BIN" ||
		test_cannot_run "no PostgreSQL server (apt-get install postgresql-15)"
	test_require_prog psql
	if test "$(id -u)" = 0
	then
		id postgres >/dev/null 2>&1 ||
			test_cannot_run "no user postgres to run the server as"
	fi
}

# pg_as CMD...: CMD as the server's user.
pg_as () {
	if test "$(id -u)" = 0
	then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start () {
	PG_DIR=$(mktemp -d /tmp/ipac-pg.XXXXXX) || return 1
	test_atexit pg_cleanup_
	if test "$(id -u)" = 0
	then
		chown postgres "$PG_DIR" || return 1
	fi
	chmod 755 "$PG_DIR" &&
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust \
		--no-sync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log"; return 1; }
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-k $PG_DIR -c listen_addresses= -c fsync=off -c full_page_writes=off" \
		start >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
	PG_URI="postgresql:///ipac?host=$PG_DIR&user=postgres"
	pg_sql_db_ postgres "CREATE DATABASE ipac" >/dev/null
}

pg_sql_db_ () {
	pg_db_=$1
	shift
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres \
		-d "$pg_db_" -c "$*"
}

pg_sql () {
	pg_sql_db_ ipac "$@"
}

pg_pid_ () {
	head -n 1 "$PG_DIR/data/postmaster.pid"
}

# The server stopped with SIGSTOP: it takes connections and answers none.
pg_pause () {
	kill -STOP "$(pg_pid_)"
}

pg_resume () {
	kill -CONT "$(pg_pid_)"
}

pg_stop () {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
}

pg_restart () {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-k $PG_DIR -c listen_addresses= -c fsync=off -c full_page_writes=off" \
		start >/dev/null
}

pg_cleanup_ () {
	test -n "$PG_DIR" || return 0
	if test -f "$PG_DIR/data/postmaster.pid"
	then
		kill -CONT "$(pg_pid_)" 2>/dev/null
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w \
			stop >/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
}

pg_router () {
	cat >"$1.conf" <<-EOF
	store = $TRASH_DIRECTORY/$1.db
	spool fallback = $TRASH_DIRECTORY/$1.spool
	hostname = $1
	central store = ${2:-$PG_URI}
	central timeout = 10s
	EOF
}
