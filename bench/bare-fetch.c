/*
 * bare-fetch: the baseline of bench/fetch.sh.  What fetchipac cannot do
 * with less: one netlink dump of the named counters of a table (libmnl +
 * libnftnl, as fetchipac reads them), then one SQLite transaction that
 * inserts a row (name, bytes, packets) per counter with a prepared
 * statement, into a fresh WAL file with the default (FULL) sync.
 *
 *	bare-fetch TABLE DBFILE
 *
 * Prints "dump_ms insert_ms counters".  Not installed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sqlite3.h>

struct row {
	char		*name;
	uint64_t	bytes, pkts;
};

static struct row *rows;
static size_t nrows, cap;

static double
ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	(void)data;
	if (o && nftnl_obj_nlmsg_parse(nlh, o) == 0) {
		if (nrows == cap) {
			cap = cap ? 2 * cap : 1024;
			rows = realloc(rows, cap * sizeof(*rows));
		}
		rows[nrows].name = strdup(nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
		rows[nrows].bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
		rows[nrows].pkts = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		nrows++;
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

int
main(int argc, char *argv[])
{
	static char buf[65536];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nftnl_obj *o;
	sqlite3 *db;
	sqlite3_stmt *st;
	uint32_t seq = (uint32_t)time(NULL), portid;
	double t0, t1, t2;
	ssize_t n;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: bare-fetch TABLE DBFILE\n");
		return 1;
	}
	t0 = ms();
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET,
	    NLM_F_DUMP, seq);
	o = nftnl_obj_alloc();
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, argv[1]);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("send");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		if ((n = mnl_cb_run(buf, (size_t)n, seq, portid, obj_cb,
		    NULL)) <= 0)
			break;
	if (n < 0) {
		perror("dump");
		return 1;
	}
	mnl_socket_close(nl);
	t1 = ms();

	unlink(argv[2]);
	if (sqlite3_open(argv[2], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE s "
	    "(name TEXT NOT NULL, bytes INTEGER NOT NULL, pkts INTEGER "
	    "NOT NULL) STRICT; BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO s VALUES (?1, ?2, ?3)", -1,
	    &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	for (i = 0; i < nrows; i++) {
		sqlite3_bind_text(st, 1, rows[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)rows[i].bytes);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)rows[i].pkts);
		if (sqlite3_step(st) != SQLITE_DONE)
			return 1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	sqlite3_close(db);
	t2 = ms();
	printf("%.1f %.1f %zu\n", t1 - t0, t2 - t1, nrows);
	return 0;
}
