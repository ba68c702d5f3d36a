/*
 * libFuzzer target for iplogin's admin command handlers with their
 * arguments, past cmd_parse(): each input is a session of command lines
 * that cmd_run() runs against a daemon of the server below, as an admin
 * with all rights, one limited to users/b, or a portal with add, del and
 * check (the input's first byte picks).  No kernel is touched: the calls
 * of lib/users.c that reach the kernel are wrapped at link time
 * (-Wl,--wrap, see the Makefile) by a table of elements in memory with
 * the same rules (all or nothing; an add keeps an element that is there;
 * a del of one that is not fails); there is no prober and no store.
 *
 * Lines that begin with '@' are the harness's: "@count" runs a counter
 * interval (traffic, idle logouts), "@fail" makes the next counter read
 * fail (the table set up again), "@state" ends the commands: the rest of
 * the input is the state file "fz" in the file folder, for loadstate.
 * Addresses ending in .254 (or :fe) cannot be added, in .253 (:fd)
 * cannot be deleted: the error paths.
 *
 * Checked after every command: the reply is "ok N" or "err N" and N
 * lines; every client is in the kernel table in each of its chains;
 * count and the daemon's list agree.  After the input, everybody is
 * logged out and nothing of theirs is left in the table.
 *
 *	make fuzz-il-cmd && t/fuzz/il-cmd -dict=t/fuzz/il-cmd.dict \
 *	    t/fuzz/il-cmd.corpus
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iplogin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- the kernel, in memory ---- */

struct elem {
	size_t		spec;		/* in k.specs */
	int		dir;		/* CS_DIR_S or CS_DIR_D */
	struct ipaddr a;
	uint64_t	bytes, packets;
};

static struct {
	struct chainspec *specs;
	size_t		nspecs;
	struct elem	*v;
	size_t		n, cap;
	bool		fail_counters;
	char		err[256];
} k;

/* users_* of lib/users.c, wrapped: the daemon's calls come here. */
int __wrap_users_setup(struct users *, const struct chainspec *, size_t);
int __wrap_users_add(struct users *, const struct ipaddr *,
    const struct chainspec *, size_t);
int __wrap_users_del(struct users *, const struct ipaddr *,
    const struct chainspec *, size_t);
int __wrap_users_del_final(struct users *, const struct ipaddr *,
    const struct chainspec *, size_t, users_count_fn, void *);
int __wrap_users_begin(struct users *);
int __wrap_users_commit(struct users *);
int __wrap_users_flush(struct users *);
int __wrap_users_counters(struct users *, const char *, users_count_fn,
    void *);
const char *__wrap_users_error(const struct users *);

static bool
addr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->family == b->family && memcmp(&a->u, &b->u,
	    a->family == AF_INET ? 4 : 16) == 0;
}

static uint8_t
last_byte(const struct ipaddr *a)
{
	return a->family == AF_INET ? ((const uint8_t *)&a->u.v4)[3] :
	    a->u.v6.s6_addr[15];
}

static struct elem *
find(size_t spec, int dir, const struct ipaddr *a)
{
	size_t i;

	for (i = 0; i < k.n; i++)
		if (k.v[i].spec == spec && k.v[i].dir == dir &&
		    addr_eq(&k.v[i].a, a))
			return &k.v[i];
	return NULL;
}

/* The set-up spec of v (its index), checked as lib/users.c does; -1. */
static int
spec_of(const struct chainspec *v)
{
	size_t j;

	for (j = 0; j < k.nspecs; j++)
		if (chainspec_same(v, &k.specs[j]))
			break;
	if (j == k.nspecs) {
		snprintf(k.err, sizeof(k.err), "chain %s is not set up",
		    v->chain);
		return -1;
	}
	if (v->has_target && (v->target != k.specs[j].target ||
	    (v->target == CS_JUMP && strcmp(v->jump, k.specs[j].jump)))) {
		snprintf(k.err, sizeof(k.err), "chain %s: another target",
		    v->chain);
		return -1;
	}
	return (int)j;
}

static int
dirs_of(const struct chainspec *v, size_t spec)
{
	return v->has_dir ? v->dir : k.specs[spec].dir;
}

int
__wrap_users_setup(struct users *u, const struct chainspec *v, size_t n)
{
	free(k.specs);
	k.specs = xcalloc(n ? n : 1, sizeof(*v));
	memcpy(k.specs, v, n * sizeof(*v));
	k.nspecs = n;
	return 0;
}

int
__wrap_users_add(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	size_t i;
	int d;

	if (a->family != AF_INET && a->family != AF_INET6)
		abort();
	if (last_byte(a) == (a->family == AF_INET ? 254 : 0xfe)) {
		snprintf(k.err, sizeof(k.err), "fake kernel: no room");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (spec_of(&v[i]) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		size_t s = (size_t)spec_of(&v[i]);

		for (d = CS_DIR_S; d <= CS_DIR_D; d <<= 1) {
			if (!(dirs_of(&v[i], s) & d) || find(s, d, a))
				continue;
			if (k.n == k.cap) {
				k.cap = k.cap ? 2 * k.cap : 64;
				k.v = xrealloc(k.v, k.cap, sizeof(*k.v));
			}
			k.v[k.n++] = (struct elem){ .spec = s, .dir = d,
			    .a = *a };
		}
	}
	return 0;
}

/* Delete a's elements of v, all or none; fn gets their last counters. */
static int
del(const struct ipaddr *a, const struct chainspec *v, size_t n,
    users_count_fn fn, void *arg)
{
	size_t i;
	int d, rc = 0;

	if (last_byte(a) == (a->family == AF_INET ? 253 : 0xfd)) {
		snprintf(k.err, sizeof(k.err), "fake kernel: busy");
		return -1;
	}
	for (i = 0; i < n; i++) {
		int s = spec_of(&v[i]);

		if (s < 0)
			return -1;
		for (d = CS_DIR_S; d <= CS_DIR_D; d <<= 1)
			if ((dirs_of(&v[i], (size_t)s) & d) &&
			    !find((size_t)s, d, a)) {
				snprintf(k.err, sizeof(k.err), "No such file "
				    "or directory");
				return -1;
			}
	}
	for (i = 0; i < n; i++) {
		size_t s = (size_t)spec_of(&v[i]);
		struct users_count c = { .chain = k.specs[s].table == CS_NAT ?
		    "nat:" : "", .addr = *a };
		char label[64];

		snprintf(label, sizeof(label), "%s%s", c.chain,
		    k.specs[s].chain);
		c.chain = label;
		for (d = CS_DIR_S; d <= CS_DIR_D; d <<= 1) {
			struct elem *e;

			if (!(dirs_of(&v[i], s) & d))
				continue;
			e = find(s, d, a);
			c.dirs |= d;
			if (d == CS_DIR_S) {
				c.tx_bytes = e->bytes;
				c.tx_packets = e->packets;
			} else {
				c.rx_bytes = e->bytes;
				c.rx_packets = e->packets;
			}
			*e = k.v[--k.n];
		}
		if (fn && rc == 0)
			rc = fn(&c, arg);
	}
	return rc;
}

int
__wrap_users_del(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n)
{
	return del(a, v, n, NULL, NULL);
}

int
__wrap_users_del_final(struct users *u, const struct ipaddr *a,
    const struct chainspec *v, size_t n, users_count_fn fn, void *arg)
{
	return del(a, v, n, fn, arg);
}

int
__wrap_users_begin(struct users *u)
{
	return 0;
}

int
__wrap_users_commit(struct users *u)
{
	return 0;
}

int
__wrap_users_flush(struct users *u)
{
	k.n = 0;
	return 0;
}

int
__wrap_users_counters(struct users *u, const char *chain, users_count_fn fn,
    void *arg)
{
	size_t i, j;

	if (k.fail_counters) {
		k.fail_counters = false;
		snprintf(k.err, sizeof(k.err), "No such file or directory");
		return -1;
	}
	/* Every element counted something since: a deterministic amount. */
	for (i = 0; i < k.n; i++) {
		k.v[i].bytes += 100 + last_byte(&k.v[i].a);
		k.v[i].packets++;
	}
	for (i = 0; i < k.n; i++) {
		struct users_count c = { .addr = k.v[i].a };
		char label[64];
		bool first = true;
		int rc;

		snprintf(label, sizeof(label), "%s%s",
		    k.specs[k.v[i].spec].table == CS_NAT ? "nat:" : "",
		    k.specs[k.v[i].spec].chain);
		if (chain && strcmp(chain, label) != 0)
			continue;
		/* one call per address and chain: its s and d joined */
		for (j = 0; j < k.n; j++) {
			if (k.v[j].spec != k.v[i].spec ||
			    !addr_eq(&k.v[j].a, &k.v[i].a))
				continue;
			if (j < i)
				first = false;
			c.dirs |= k.v[j].dir;
			if (k.v[j].dir == CS_DIR_S) {
				c.tx_bytes = k.v[j].bytes;
				c.tx_packets = k.v[j].packets;
			} else {
				c.rx_bytes = k.v[j].bytes;
				c.rx_packets = k.v[j].packets;
			}
		}
		if (!first)
			continue;
		c.chain = label;
		if ((rc = fn(&c, arg)) != 0)
			return rc;
	}
	return 0;
}

const char *
__wrap_users_error(const struct users *u)
{
	return k.err;
}

/* ---- the daemon ---- */

/* iplogin.c's; no prober here. */
void
probe_arm(struct daemon *d)
{
}

static struct daemon d;
static struct il_client *admins[3];
static char dir[64];

static const char conf_text[] =
    "server fz\n"
    "    listen = /nonexistent/fz.sock\n"
    "    chains = users/b, nat:users, staff/s>DROP, tarpit/d>jump_here\n"
    "    default_chains = users/b\n"
    "    blockchain = block/b>DROP\n"
    "    probe = 198.18.1.0/24 1s 10s\n"
    "    idlehosts = 198.18.0.0/15, 2001:db8::/32\n"
    "    lazyhosts = 198.18.2.0/24\n"
    "    rxidle = 1\n"
    "    txidle = 2\n"
    "    counterinterval = 1\n"
    "    file_dir = %s\n"
    "\n"
    "client root\n"
    "    user = 0\n"
    "    perms = any\n"
    "\n"
    "client limited\n"
    "    user = 1\n"
    "    perms = any\n"
    "    permitted_chains = users/b, nat:users\n"
    "\n"
    "client portal\n"
    "    user = 2\n"
    "    perms = add, del, check, count, stat\n"
    "    permitted_chains = users/b\n";

static void
spec_add(const char *text)
{
	char err[256];

	if (chainspec_parse_list(text, &d.specs, &d.nspecs, err,
	    sizeof(err)) < 0)
		abort();
}

static void clean_dir(void);

/* The file folder goes with the process. */
static void
remove_dir(void)
{
	clean_dir();
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf sb;
	char err[256];
	size_t i;

	log_silence(true);
	snprintf(dir, sizeof(dir), "%s/il-cmd.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	sb_init(&sb);
	sb_printf(&sb, conf_text, dir);
	if (il_conf_parse("fz.conf", sb.buf, sb.len, &d.conf) < 0)
		abort();
	sb_free(&sb);
	d.servername = "fz";
	d.srv = il_conf_server(&d.conf, "fz");
	/* iplogin.c's setup(): the server's chains, the counter, the block */
	spec_add(d.srv->chains[0]);
	for (i = 1; i < d.srv->nchains; i++) {
		struct chainspec cs;

		if (chainspec_parse(d.srv->chains[i], &cs, err, sizeof(err)) < 0)
			abort();
		d.specs = xrealloc(d.specs, d.nspecs + 1, sizeof(cs));
		d.specs[d.nspecs++] = cs;
	}
	if (chainspec_parse(d.srv->counterchain, &d.counter, err,
	    sizeof(err)) < 0 || chainspec_parse(d.srv->blockchain, &d.block,
	    err, sizeof(err)) < 0)
		abort();
	d.has_block = true;
	d.specs = xrealloc(d.specs, d.nspecs + 1, sizeof(d.block));
	d.specs[d.nspecs++] = d.block;
	__wrap_users_setup(NULL, d.specs, d.nspecs);
	if ((d.loop = loop_new()) == NULL)
		abort();
	for (i = 0; i < 3; i++)
		admins[i] = &d.conf.clients[i];
	return 0;
}

/* The reply is "ok N" or "err N" and then exactly N lines. */
static void
check_reply(const struct strbuf *out, size_t from)
{
	const char *p = out->buf + from, *end = out->buf + out->len, *nl;
	char *e;
	unsigned long n;

	if (strncmp(p, "ok ", 3) == 0)
		p += 3;
	else if (strncmp(p, "err ", 4) == 0)
		p += 4;
	else
		abort();
	n = strtoul(p, &e, 10);
	if (e == p || *e != '\n')
		abort();
	for (p = e + 1; n; n--, p = nl + 1)
		if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) ==
		    NULL)
			abort();
	if (p != end)
		abort();
}

struct tally {
	size_t		users;
};


/* Each client is in the table in each of its chains, both ways asked. */
static void
check_user(struct daemon *dd, struct il_user *u, void *arg)
{
	struct tally *t = arg;
	size_t i;
	int s, dir;

	t->users++;
	if (il_account_check(u->account, k.err, sizeof(k.err)) < 0)
		abort();
	for (i = 0; i < u->ncs; i++) {
		if ((s = spec_of(&u->cs[i])) < 0)
			abort();
		for (dir = CS_DIR_S; dir <= CS_DIR_D; dir <<= 1)
			if ((dirs_of(&u->cs[i], (size_t)s) & dir) &&
			    find((size_t)s, dir, &u->addr) == NULL)
				abort();
	}
}

static void
logout_one(struct daemon *dd, struct il_user *u, void *arg)
{
	user_logout(dd, u, WHY_RESET);
}

static void
clean_dir(void)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	while (dp && (de = readdir(dp)) != NULL) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (dp)
		closedir(dp);
}

/* Run one line as admin; check the reply and the clients. */
static void
run_line(const struct il_client *admin, char *line, size_t len,
    struct strbuf *out)
{
	struct tally t = { 0 };
	size_t from = out->len;

	cmd_run(&d, admin, line, len, out);
	check_reply(out, from);
	user_each(&d, check_user, &t);
	if (t.users != d.nusers)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct il_client *admin;
	const char *at, *end;
	struct strbuf out;
	bool files = false;
	size_t i;

	if (size == 0)
		return 0;
	admin = admins[data[0] % 3];
	at = (const char *)data + 1;
	end = (const char *)data + size;
	sb_init(&out);
	d.stopping = false;
	while (at < end && !d.stopping) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		size_t len = nl ? (size_t)(nl - at) : (size_t)(end - at);
		char *line;

		/* control.c closes a connection with a longer line */
		if (len >= IL_LINE_MAX)
			break;
		line = xmalloc(len + 1);
		memcpy(line, at, len);
		line[len] = '\0';
		at += len + (nl != NULL);
		if (strcmp(line, "@state") == 0) {
			char path[PATH_MAX], cmd[] = "loadstate fz";
			FILE *fp;

			snprintf(path, sizeof(path), "%s/fz", dir);
			if ((fp = fopen(path, "w")) == NULL)
				abort();
			fwrite(at, 1, (size_t)(end - at), fp);
			fclose(fp);
			files = true;
			run_line(admin, cmd, strlen(cmd), &out);
			free(line);
			break;
		}
		if (strcmp(line, "@count") == 0)
			users_count(&d);
		else if (strcmp(line, "@fail") == 0)
			k.fail_counters = true;
		else {
			if (strstr(line, "state") || strstr(line, "stats"))
				files = true;
			run_line(admin, line, len, &out);
		}
		free(line);
	}
	user_each(&d, logout_one, NULL);
	if (d.nusers != 0)
		abort();
	/*
	 * Nothing of the clients is left in the table: only blocks, and the
	 * elements of addresses whose delete the fake kernel refused.
	 */
	for (i = 0; i < k.n; i++)
		if (!chainspec_same(&k.specs[k.v[i].spec], &d.block) &&
		    last_byte(&k.v[i].a) != (k.v[i].a.family == AF_INET ?
		    253 : 0xfd))
			abort();
	__wrap_users_flush(NULL);
	k.fail_counters = false;
	session_teardown(&d);
	sb_free(&out);
	if (files)
		clean_dir();
	return 0;
}
