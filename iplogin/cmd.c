/*
 * The admin commands: one line in, one reply out.  A reply is a status
 * line, "ok N" or "err N", then N lines.  The command is checked against
 * the admin's perms (deny by default) before anything is done; file
 * arguments must name files in the server's file_dir.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iplogin.h"


struct reply {
	struct strbuf	lines;
	size_t		n;
	bool		err;
};

/* One line of the reply, whole however long. */
static void __attribute__((format(printf, 2, 3)))
say(struct reply *r, const char *fmt, ...)
{
	char small[256], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0, small[0] = '\0';
	if ((size_t)n >= sizeof(small)) {
		buf = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	/* A line never holds a newline of its own. */
	sb_add(&r->lines, buf, strcspn(buf, "\r\n"));
	sb_add(&r->lines, "\n", 1);
	r->n++;
	if (buf != small)
		free(buf);
}

#define fail(r, ...) do { (r)->err = true; say((r), __VA_ARGS__); } while (0)

static int
parse_addr(struct reply *r, const char *s, struct ipaddr *a)
{
	if (ipaddr_parse(s, a) < 0) {
		fail(r, "'%s' is not an IPv4 or IPv6 address", s);
		return -1;
	}
	return 0;
}

/* The admin may name only its permitted chains. */
static bool
chains_permitted(const struct il_client *admin, const char *chains,
    char *bad, size_t badlen)
{
	struct chainspec *cs = NULL;
	size_t n = 0, i, j;
	char err[256];
	bool okay = true;

	if (admin->chains == NULL)
		return true;
	if (chainspec_parse_list(chains, &cs, &n, err, sizeof(err)) < 0)
		return true;	/* the login reports the error itself */
	for (i = 0; i < n && okay; i++) {
		okay = false;
		for (j = 0; j < admin->nchains && !okay; j++) {
			struct chainspec p;

			if (chainspec_parse(admin->chains[j], &p, err,
			    sizeof(err)) == 0 && chainspec_same(&p, &cs[i]))
				okay = true;
		}
		if (!okay)
			chainspec_fmt(&cs[i], bad, badlen);
	}
	free(cs);
	return okay;
}

static const char *
probe_kind_name(enum probe_kind k)
{
	return k == PROBE_KIND_ARP ? "arpping" : k == PROBE_KIND_NS ?
	    "neighbour solicitation" : "ping";
}

/*
 * add -v: "key value" lines in this order (iplogin.8, "add -v"); a
 * portal should look for the keys it needs, new keys may follow.
 */
static void
add_verbose(struct daemon *d, const struct il_user *u, struct reply *r)
{
	struct probe_target_info pi;
	char src[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];

	say(r, "session %s", u->id);
	say(r, "chains %s", u->chains);
	if (u->pt) {
		struct ipaddr a;

		prober_target_info(u->pt, &pi);
		a = pi.route.src;
		say(r, "probe %s", probe_kind_name(pi.kind));
		say(r, "source %s", a.family ? ipaddr_fmt(&a, src,
		    sizeof(src)) : "-");
		say(r, "interface %s", pi.route.ifindex > 0 &&
		    if_indextoname((unsigned)pi.route.ifindex, ifname) ?
		    ifname : "-");
	}
	say(r, "lazy %s", u->lazy ? "yes" : "no");
	say(r, "trace %s", u->trace ? "yes" : "no");
}

static void
c_add(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct ipaddr a;
	bool verbose = false, trace = false;
	char err[512], bad[96];
	const char *chains;
	struct il_user *u;
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[i], "-t") == 0)
			trace = true;
		else {
			fail(r, "%s: unknown option %s", argv[0], argv[i]);
			return;
		}
	}
	if (argc - i < 2 || argc - i > 3) {
		fail(r, "usage: %s", cmd_desc(cmd_index(argv[0]))->usage);
		return;
	}
	if (parse_addr(r, argv[i], &a) < 0)
		return;
	chains = argc - i == 3 ? argv[i + 2] : d->srv->default_chains;
	if (!chains_permitted(admin, chains, bad, sizeof(bad))) {
		fail(r, "chain %s: not permitted to %s", bad, admin->name);
		return;
	}
	rc = user_login(d, &a, argv[i + 1], chains, NULL, 0, err, sizeof(err));
	if (rc < 0) {
		fail(r, "add: failed: %s", err);
		return;
	}
	if (rc == 1) {
		say(r, "Already there");
		return;
	}
	u = user_find(d, &a);
	u->trace = trace;
	say(r, "OK");
	if (verbose)
		add_verbose(d, u, r);
}

/* The client logged in at the address text s, or NULL (said why). */
static struct il_user *
logged_in(struct daemon *d, const char *s, struct reply *r)
{
	struct ipaddr a;
	struct il_user *u;

	if (parse_addr(r, s, &a) < 0)
		return NULL;
	if ((u = user_find(d, &a)) == NULL)
		fail(r, "%s is not logged in", s);
	return u;
}

static void
c_del(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct il_user *u = logged_in(d, argv[1], r);

	if (u == NULL)
		return;
	user_logout(d, u, WHY_DEL);
	say(r, "OK");
}

struct by_account {
	const char	*account;
	size_t		n;
	bool		logout;
	struct reply	*r;
};

static void
match_account(struct daemon *d, struct il_user *u, void *arg)
{
	struct by_account *b = arg;

	if (strcmp(u->account, b->account) != 0)
		return;
	b->n++;
	if (b->logout)
		user_logout(d, u, WHY_DELUSER);
}

static void
c_deluser(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct by_account b = { .account = argv[1], .logout = true };

	user_each(d, match_account, &b);
	if (b.n == 0)
		fail(r, "%s is not logged in", argv[1]);
	else
		say(r, "OK %zu", b.n);
}

static void
c_check(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct ipaddr a;

	if (parse_addr(r, argv[1], &a) < 0)
		return;
	say(r, user_find(d, &a) ? "Yes" : "No");
}

static void
c_checkuser(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct by_account b = { .account = argv[1] };

	user_each(d, match_account, &b);
	say(r, b.n ? "Yes" : "No");
}

static void
c_count(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	say(r, "%zu", d->nusers);
}

static void
mac_text(const struct il_user *u, char buf[18])
{
	if (!u->has_mac)
		snprintf(buf, 18, "-");
	else
		snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", u->mac[0],
		    u->mac[1], u->mac[2], u->mac[3], u->mac[4], u->mac[5]);
}

static void
list_one(struct daemon *d, struct il_user *u, void *arg)
{
	struct reply *r = arg;
	char t[32], mac[18];

	mac_text(u, mac);
	say(r, "%s %s %s %s %s %" PRIu64 " %" PRIu64, u->addr_s, u->account,
	    u->chains, iso_utc(u->login, t), mac, u->tr[TR_RXB], u->tr[TR_TXB]);
}

static void
stat_lines(struct daemon *d, const struct il_user *u, struct reply *r)
{
	struct probe_target_info pi;
	char t[32], mac[18], src[INET6_ADDRSTRLEN];

	mac_text(u, mac);
	say(r, "Address: %s", u->addr_s);
	say(r, "Account: %s", u->account);
	say(r, "Session id: %s", u->id);
	say(r, "Entry added: %s", iso_utc(u->login, t));
	say(r, "Chains: %s", u->chains);
	say(r, "MAC: %s", mac);
	if (u->pt) {
		prober_target_info(u->pt, &pi);
		say(r, "Type: %s", probe_kind_name(pi.kind));
		say(r, "Interface index: %d", pi.route.ifindex);
		say(r, "Source address: %s", pi.route.src.family ?
		    ipaddr_fmt(&pi.route.src, src, sizeof(src)) : "-");
		say(r, "Probes sent: %" PRIu64, pi.sent);
		say(r, "Received replies: %" PRIu64, pi.replies);
		say(r, "Missed replies: %" PRIu32, pi.unanswered);
		say(r, "Lazy: %s", pi.lazy ? "yes" : "no");
	}
	say(r, "RX bytes: %" PRIu64, u->tr[TR_RXB]);
	say(r, "RX packets: %" PRIu64, u->tr[TR_RXP]);
	say(r, "TX bytes: %" PRIu64, u->tr[TR_TXB]);
	say(r, "TX packets: %" PRIu64, u->tr[TR_TXP]);
	say(r, "RX kbit/s: %.1f", u->rx_kbps);
	say(r, "TX kbit/s: %.1f", u->tx_kbps);
}

static void
dump_one(struct daemon *d, struct il_user *u, void *arg)
{
	struct reply *r = arg;

	if (r->n)
		say(r, "%s", "");
	stat_lines(d, u, r);
}

static void
c_list(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	user_each(d, strcmp(argv[0], "dump") == 0 ? dump_one : list_one, r);
}

static void
c_stat(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct il_user *u = logged_in(d, argv[1], r);

	if (u)
		stat_lines(d, u, r);
}

static void
c_help(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	size_t i;

	if (argc == 2) {
		int c = cmd_index(argv[1]);

		if (c < 0) {
			fail(r, "no command %s", argv[1]);
			return;
		}
		say(r, "%s", cmd_desc(c)->usage);
		say(r, "  %s", cmd_desc(c)->help);
		return;
	}
	for (i = 0; i < cmd_count(); i++)
		if (admin->perms >> i & 1)
			say(r, "%-48s %s", cmd_desc((int)i)->usage,
			    cmd_desc((int)i)->help);
}

static void
c_quit(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	d->stopping = true;
	loop_stop(d->loop);
	say(r, "OK, stopping");
}

struct relog {
	size_t		n;
	struct ipaddr *a;
	char		**account, **chains;
};

static void
relog_collect(struct daemon *d, struct il_user *u, void *arg)
{
	struct relog *rl = arg;

	rl->a[rl->n] = u->addr;
	rl->account[rl->n] = xstrdup(u->account);
	rl->chains[rl->n] = xstrdup(u->chains);
	rl->n++;
}

static void
c_reload(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	bool newsess = false, list = false;
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "-R") == 0)
			newsess = true;
		else if (strcmp(argv[i], "-l") == 0)
			list = true;
		else {
			fail(r, "reload: unknown option %s", argv[i]);
			return;
		}
	}
	if (list)
		user_each(d, list_one, r);
	if (users_restore(d, &n) < 0) {
		fail(r, "reload: %s", users_error(d->users));
		return;
	}
	if (newsess) {
		/* -r, -R: each session ends, counted, and a new one begins. */
		struct relog rl = { 0 };
		char err[256];
		size_t k;

		rl.a = xcalloc(d->nusers + 1, sizeof(*rl.a));
		rl.account = xcalloc(d->nusers + 1, sizeof(char *));
		rl.chains = xcalloc(d->nusers + 1, sizeof(char *));
		user_each(d, relog_collect, &rl);
		for (k = 0; k < rl.n; k++) {
			struct il_user *u = user_find(d, &rl.a[k]);

			if (u)
				user_logout(d, u, WHY_RELOAD);
			if (user_login(d, &rl.a[k], rl.account[k],
			    rl.chains[k], NULL, 0, err, sizeof(err)) < 0)
				log_warnx("reload: %s", err);
			free(rl.account[k]);
			free(rl.chains[k]);
		}
		free(rl.a);
		free(rl.account);
		free(rl.chains);
	}
	say(r, "OK %zu", d->nusers);
}

static void
reset_one(struct daemon *d, struct il_user *u, void *arg)
{
	user_logout(d, u, (const char *)arg);
}

static void
c_reset(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	size_t n = d->nusers;

	user_each(d, reset_one, (void *)WHY_RESET);
	if (users_flush(d->users) < 0)
		log_warnx("reset: %s", users_error(d->users));
	say(r, "OK %zu", n);
}

/* VmRSS or VmSize of /proc/self/status, in kB. */
static void
c_mem(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	const char *key = strcmp(argv[0], "rss") == 0 ? "VmRSS:" : "VmSize:";
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];

	while (fp && fgets(line, sizeof(line), fp))
		if (strncmp(line, key, strlen(key)) == 0) {
			char *v = line + strlen(key);

			v += strspn(v, " \t");
			say(r, "%s", v);
			fclose(fp);
			return;
		}
	if (fp)
		fclose(fp);
	fail(r, "%s: not known", argv[0]);
}

static void
c_dumptrie(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	size_t i, used = 0, longest = 0;

	if (d->ohash)
		say(r, "address hash growing: %zu of %zu buckets moved",
		    d->omoved, d->ocap);
	hash_settle(d);
	for (i = 0; i < d->hcap; i++) {
		struct il_user *u;
		size_t n = 0;

		for (u = d->hash[i]; u; u = u->hnext)
			n++;
		used += n > 0;
		if (n > longest)
			longest = n;
	}
	say(r, "address hash: %zu users in %zu buckets, %zu used, longest "
	    "chain %zu", d->nusers, d->hcap, used, longest);
}

char *
cmd_file_path(const struct daemon *d, const char *arg, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], *path;
	struct strbuf sb;

	/* A bare name in file_dir: no '/', no "..", nothing hidden. */
	if (*arg == '\0' || strchr(arg, '/') || arg[0] == '.') {
		snprintf(err, errlen, "%s: give a file name in %s (no '/', "
		    "not beginning with '.')", arg, d->srv->file_dir);
		return NULL;
	}
	if (realpath(d->srv->file_dir, dir) == NULL) {
		snprintf(err, errlen, "%s: %s", d->srv->file_dir,
		    strerror(errno));
		return NULL;
	}
	sb_init(&sb);
	sb_printf(&sb, "%s/%s", dir, arg);
	path = sb.buf;
	return path;
}

static void
c_state(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	char err[512], *path = cmd_file_path(d, argv[1], err, sizeof(err));
	size_t n = 0;

	if (path == NULL) {
		fail(r, "%s", err);
		return;
	}
	if (strcmp(argv[0], "savestate") == 0 ? state_save(d, path) :
	    state_load(d, path, &n)) {
		fail(r, "%s: failed (see the log)", argv[0]);
	} else if (strcmp(argv[0], "loadstate") == 0)
		say(r, "OK %zu", n);
	else
		say(r, "OK");
	free(path);
}

struct stats_file {
	struct strbuf	sb;
	bool		accounts;
};

static void
stats_one(struct daemon *d, struct il_user *u, void *arg)
{
	struct stats_file *f = arg;

	/* iplogin2's: address, then kbit/s and bytes each way */
	if (f->accounts)
		sb_printf(&f->sb, "%s ", u->account);
	sb_printf(&f->sb, "%s %.1f %.1f %" PRIu64 " %" PRIu64 "\n",
	    u->addr_s, u->rx_kbps, u->tx_kbps, u->tr[TR_RXB], u->tr[TR_TXB]);
}

static void
c_dumpstats(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct stats_file f = { .accounts = argc == 3 };
	const char *name = argv[argc - 1];
	char err[512], *path, *tmp;
	struct strbuf t;
	int fd;

	if (argc == 3 && strcmp(argv[1], "-a") != 0) {
		fail(r, "usage: %s", cmd_desc(cmd_index("dumpstats"))->usage);
		return;
	}
	if ((path = cmd_file_path(d, name, err, sizeof(err))) == NULL) {
		fail(r, "%s", err);
		return;
	}
	sb_init(&f.sb);
	user_each(d, stats_one, &f);
	sb_init(&t);
	sb_printf(&t, "%s.XXXXXX", path);
	tmp = t.buf;
	if ((fd = mkstemp(tmp)) < 0 ||
	    write(fd, f.sb.buf ? f.sb.buf : "", f.sb.len) != (ssize_t)f.sb.len ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		fail(r, "dumpstats: %s: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	} else
		say(r, "OK %zu", d->nusers);
	sb_free(&t);
	sb_free(&f.sb);
	free(path);
}

struct trace {
	const char	*who;
	bool		on;
	size_t		n;
};

static void
trace_one(struct daemon *d, struct il_user *u, void *arg)
{
	struct trace *t = arg;

	if (strcmp(u->addr_s, t->who) == 0 || strcmp(u->account, t->who) == 0) {
		u->trace = t->on;
		t->n++;
	}
}

static void
c_traceuser(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct trace t = { .who = argv[1], .on = true };

	if (argc == 3 && strcmp(argv[2], "-s") == 0)
		t.on = false;
	else if (argc == 3) {
		fail(r, "usage: %s", cmd_desc(cmd_index("traceuser"))->usage);
		return;
	}
	user_each(d, trace_one, &t);
	if (t.n == 0)
		fail(r, "%s is not logged in", argv[1]);
	else
		say(r, "OK %zu", t.n);
}

static void
c_block(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct ipaddr a;
	struct chainspec *cs = NULL;
	size_t n = 0, i;
	char err[256];
	bool add = strcmp(argv[0], "addblock") == 0;

	if (parse_addr(r, argv[1], &a) < 0)
		return;
	if (chainspec_parse_list(argv[2], &cs, &n, err, sizeof(err)) < 0) {
		fail(r, "%s: %s", argv[0], err);
		return;
	}
	/*
	 * Only the blockchain: a block in a chain of the logins would open
	 * access without a session, or take a logged-in client's away
	 * behind the daemon's back.
	 */
	for (i = 0; i < n; i++)
		if (!d->has_block || !chainspec_same(&cs[i], &d->block)) {
			fail(r, "%s: chain %s is not this server's blockchain%s",
			    argv[0], chainspec_fmt(&cs[i], err, sizeof(err)),
			    d->has_block ? "" : " (iplogin.conf has none)");
			free(cs);
			return;
		}
	if ((add ? users_add(d->users, &a, cs, n) :
	    users_del(d->users, &a, cs, n)) < 0)
		fail(r, "%s: %s", argv[0], users_error(d->users));
	else
		say(r, "OK");
	free(cs);
}

/* The captive portal's vouchers (portal.c). */
static void
c_voucher(struct daemon *d, const struct il_client *admin, int argc,
    char **argv, struct reply *r)
{
	struct strbuf out;
	bool failed;
	char *line, *nl;

	sb_init(&out);
	portal_cmd(d, argc, argv, &out, &failed);
	for (line = out.buf; *line; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
		if (failed)
			fail(r, "%s", line);
		else
			say(r, "%s", line);
	}
	sb_free(&out);
}

typedef void (*cmd_fn)(struct daemon *, const struct il_client *, int,
    char **, struct reply *);

/* By name, in the order of cmdtab.c. */
static const struct {
	const char	*name;
	cmd_fn		fn;
} handlers[] = {
	{ "add", c_add }, { "addblock", c_block }, { "check", c_check },
	{ "checkuser", c_checkuser }, { "count", c_count }, { "del", c_del },
	{ "delblock", c_block }, { "deluser", c_deluser }, { "dump", c_list },
	{ "dumpstats", c_dumpstats }, { "dumptrie", c_dumptrie },
	{ "help", c_help }, { "list", c_list }, { "loadstate", c_state },
	{ "login", c_add }, { "quit", c_quit }, { "reload", c_reload },
	{ "reset", c_reset }, { "rss", c_mem }, { "savestate", c_state },
	{ "stat", c_stat }, { "traceuser", c_traceuser },
	{ "voucher", c_voucher }, { "vsize", c_mem },
};

void
cmd_run(struct daemon *d, const struct il_client *admin, char *line,
    size_t len, struct strbuf *out)
{
	struct reply r = { .n = 0 };
	char *argv[IL_MAX_ARGS + 1], err[256], *nul;
	int argc, c;

	sb_init(&r.lines);
	argv[0] = NULL;
	/* The rest of the line would be lost: refuse it whole. */
	if ((nul = memchr(line, '\0', len)) != NULL)
		fail(&r, "a NUL byte in the command (byte %zu): refused",
		    (size_t)(nul - line) + 1);
	else if ((c = cmd_parse(line, admin, argv, &argc, err,
	    sizeof(err))) < 0) {
		fail(&r, "%s", err);
		if (strstr(err, "not permitted"))
			log_warnx("%s: %s refused (not in its perms)", admin ?
			    admin->name : "?", argv[0]);
	} else
		handlers[c].fn(d, admin, argc, argv, &r);
	sb_printf(out, "%s %zu\n", r.err ? "err" : "ok", r.n);
	if (r.lines.len)
		sb_add(out, r.lines.buf, r.lines.len);
	sb_free(&r.lines);
}

/* Every command of cmdtab.c has its handler here, in the same order. */
bool
cmd_handlers_ok(void)
{
	size_t i;

	if (sizeof(handlers) / sizeof(handlers[0]) != cmd_count())
		return false;
	for (i = 0; i < cmd_count(); i++)
		if (strcmp(handlers[i].name, cmd_desc((int)i)->name) != 0)
			return false;
	return true;
}
