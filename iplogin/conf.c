/*
 * iplogin.conf(5): iplogin2's stanzas.  A line at column 0 begins a
 * stanza, "server NAME" or "client NAME"; its attributes follow on
 * indented "key = value" lines; '#' begins a comment.  Every error is
 * reported as "file:line: what"; a file with errors gives no config.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config.h"
#include "iplogin.h"

#define DEFAULT_TIMEOUT_S	10	/* iplogin2's logout_timeout */
#define PROBES_PER_TIMEOUT	5	/* iplogin2's maxmissed */

struct parser {
	const char	*file;
	int		line;
	int		errors;
	struct il_conf	*c;
	struct il_server *s;	/* the stanza being read, or ... */
	struct il_client *cl;
	int		logout_timeout, min_interval_ms;
	bool		has_default_probe;
};

static void __attribute__((format(printf, 2, 3)))
bad(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%d: %s", p->file, p->line, msg);
	p->errors++;
}

/*
 * IP-login2's attributes that have no use here: each is accepted, so an
 * IP-login2 file still works, and warned about with what replaces it
 * (iplogin.conf(5), IP-LOGIN2).  Once per process and key: a daemon
 * that re-reads its config every change would repeat them otherwise.
 */
static const struct legacy {
	const char	*key;
	bool		client;		/* of a client stanza, else a server */
	const char	*instead;
} legacy[] = {
	{ "ip", false, "ilcmd -T names the server; it listens on "
	    "listen_address" },
	{ "key", false, "a psk in each client stanza (TLS port) or its user "
	    "or group (socket)" },
	{ "missdiff", false, "probe = PREFIX INTERVAL TIMEOUT" },
	{ "accept_interval", false, "nothing: admins are served as their "
	    "bytes come" },
	{ "accept_timeout", false, "nothing: admins are served as their "
	    "bytes come" },
	{ "tracefile", false, "traceuser writes to the log" },
	{ "statslogfile", false, "ilcmd count, rss; ipacsum --sessions" },
	{ "statsloginterval", false, "ilcmd count, rss; ipacsum --sessions" },
	{ "flush_on_start", false, "nothing: iplogin sets up its own chains "
	    "at the start" },
	{ "ping_source", false, "nothing: a probe leaves from the address of "
	    "the route to the client" },
	{ "accounting_id", false, "the sessions in the ipac store "
	    "(ipacsum --sessions)" },
	{ "accounting_lib", false, "the sessions in the ipac store "
	    "(ipacsum --sessions)" },
	{ "stat_timelimit", false, "addblock into blockchain (no flood "
	    "detection of repeated adds)" },
	{ "stat_countlimit", false, "addblock into blockchain (no flood "
	    "detection of repeated adds)" },
	{ "stat_blockgc", false, "delblock; blocks are not cleared by time" },
	{ "key", true, "psk (TLS port) or user or group (socket)" },
	{ "server_port", true, "ilcmd -P" },
	{ "syslog_facility", true, "nothing: ilcmd writes to the standard "
	    "error" },
	{ "syslog_name", true, "nothing: ilcmd writes to the standard error" },
};

/* Is k IP-login2's unused attribute?  Warned about the first time. */
static bool
is_legacy(struct parser *p, const char *k, bool client)
{
	static bool warned[sizeof(legacy) / sizeof(legacy[0])];
	size_t i;

	for (i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		if (legacy[i].client != client || strcmp(legacy[i].key, k) != 0)
			continue;
		if (!warned[i])
			log_warnx("%s:%d: %s: IP-login2's, not used here; "
			    "instead: %s (iplogin.conf(5))", p->file, p->line,
			    k, legacy[i].instead);
		warned[i] = true;
		return true;
	}
	return false;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* "30", "30s", "2m", "1h", "500ms" into milliseconds; 0 or -1. */
static int
parse_ms(const char *v, int64_t max_ms, int *ms)
{
	char *end;
	double x;
	double unit = 1000.0;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	x = strtod(v, &end);
	if (errno)
		return -1;
	if (strcmp(end, "ms") == 0)
		unit = 1.0;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		unit = 1000.0;
	else if (strcmp(end, "m") == 0)
		unit = 60000.0;
	else if (strcmp(end, "h") == 0)
		unit = 3600000.0;
	else
		return -1;
	x *= unit;
	if (x > (double)max_ms)
		return -1;
	*ms = (int)(x + 0.5);
	return 0;
}

static int
parse_secs(const char *v, int max_s, int *s)
{
	int ms;

	if (parse_ms(v, (int64_t)max_s * 1000, &ms) < 0 || ms % 1000)
		return -1;
	*s = ms / 1000;
	return 0;
}

/* Split a list at commas and blanks into words, in place. */
static size_t
split(char *v, char **w, size_t max)
{
	size_t n = 0;
	char *tok, *save;

	for (tok = strtok_r(v, ", \t", &save); tok && n < max;
	    tok = strtok_r(NULL, ", \t", &save))
		w[n++] = tok;
	return n;
}

static int
prefixes(struct parser *p, const char *key, char *v, struct il_prefixes *ps)
{
	char *w[256];
	size_t n = split(v, w, 256), i;

	ps->n = 0;
	ps->v = xrealloc(ps->v, n ? n : 1, sizeof(*ps->v));
	for (i = 0; i < n; i++) {
		if (prefix_parse(w[i], &ps->v[ps->n]) < 0) {
			bad(p, "%s: '%s' is not an address or prefix", key, w[i]);
			return -1;
		}
		ps->n++;
	}
	return 0;
}

/*
 * A chain spec, [table:]chain[/s|d|b][>TARGET]: checked here for its
 * shape only; the access module maps it onto the kernel.
 */
static bool
is_chain_spec(const char *s)
{
	size_t n = strcspn(s, ":/>");
	const char *c = s;

	if (s[n] == ':') {
		if (n == 0)
			return false;
		c = s + n + 1;
	}
	n = strcspn(c, "/>");
	if (n == 0 || n > 64)
		return false;
	for (; *c && *c != '/' && *c != '>'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' &&
		    *c != '~')
			return false;
	if (*c == '/') {
		c++;
		if (*c != 's' && *c != 'd' && *c != 'b')
			return false;
		c++;
	}
	if (*c == '>')
		return c[1] != '\0';
	return *c == '\0';
}

static int
chain_list(struct parser *p, const char *key, char *v, char ***out,
    size_t *nout)
{
	char *w[256];
	size_t n = split(v, w, 256), i;

	for (i = 0; i < *nout; i++)
		free((*out)[i]);
	free(*out);
	*out = xcalloc(n ? n : 1, sizeof(**out));
	*nout = 0;
	for (i = 0; i < n; i++) {
		if (!is_chain_spec(w[i])) {
			bad(p, "%s: '%s' is not a chain spec "
			    "([table:]chain[/s|d|b][>TARGET])", key, w[i]);
			return -1;
		}
		(*out)[(*nout)++] = xstrdup(w[i]);
	}
	return 0;
}

static int
probe_timing(struct parser *p, char *v)
{
	struct il_server *s = p->s;
	struct il_timing t;
	char *w[4];
	size_t n = split(v, w, 4);

	if (n != 3 || prefix_parse(w[0], &t.net) < 0 ||
	    parse_ms(w[1], 3600000, &t.interval_ms) < 0 ||
	    parse_ms(w[2], 86400000, &t.timeout_ms) < 0 ||
	    t.interval_ms < 10 || t.timeout_ms < t.interval_ms) {
		bad(p, "probe: give PREFIX INTERVAL TIMEOUT, such as "
		    "'198.18.1.0/24 2s 30s' (interval at least 10ms, "
		    "timeout at least the interval)");
		return -1;
	}
	s->timings = xrealloc(s->timings, s->ntimings + 1,
	    sizeof(*s->timings));
	s->timings[s->ntimings++] = t;
	return 0;
}

static int
server_key(struct parser *p, const char *k, char *v)
{
	struct il_server *s = p->s;
	int x, *dst;

	if (strcmp(k, "listen") == 0 || strcmp(k, "socket") == 0) {
		if (*v != '/') {
			bad(p, "%s: give an absolute path", k);
			return -1;
		}
		set_str(&s->listen, v);
	} else if (strcmp(k, "socket_group") == 0)
		set_str(&s->socket_group, v);
	else if (strcmp(k, "listen_address") == 0)
		set_str(&s->tls_address, v);
	else if (strcmp(k, "listen_port") == 0)
		set_str(&s->tls_port, v);
	else if (strcmp(k, "tls_cert") == 0)
		set_str(&s->tls_cert, v);
	else if (strcmp(k, "tls_key") == 0)
		set_str(&s->tls_key, v);
	else if (strcmp(k, "table") == 0) {
		if (!is_table_name(v)) {
			bad(p, "table: '%s' is not a table name", v);
			return -1;
		}
		set_str(&s->table, v);
	} else if (strcmp(k, "chains") == 0)
		return chain_list(p, k, v, &s->chains, &s->nchains);
	else if (strcmp(k, "default_chains") == 0) {
		char *copy = xstrdup(v), **l = NULL;
		size_t n = 0, i;
		int rc = chain_list(p, k, copy, &l, &n);

		for (i = 0; i < n; i++)
			free(l[i]);
		free(l);
		free(copy);
		if (rc == 0)
			set_str(&s->default_chains, v);
		return rc;
	} else if (strcmp(k, "counterchain") == 0) {
		if (!is_chain_spec(v)) {
			bad(p, "counterchain: '%s' is not a chain spec", v);
			return -1;
		}
		set_str(&s->counterchain, v);
	} else if (strcmp(k, "logout_timeout") == 0) {
		if (parse_secs(v, 86400, &x) < 0 || x < 1) {
			bad(p, "logout_timeout: seconds, 1 to 86400");
			return -1;
		}
		p->logout_timeout = x;
	} else if (strcmp(k, "min_pinginterval") == 0) {
		/* iplogin2: microseconds between two probes of any clients */
		char *end;
		long us = strtol(v, &end, 10);

		if (*end || us < 0 || us > 10000000) {
			bad(p, "min_pinginterval: microseconds, 0 to 10000000");
			return -1;
		}
		p->min_interval_ms = (int)(us / 1000);
	} else if (is_legacy(p, k, false))
		;
	else if (strcmp(k, "probe") == 0)
		return probe_timing(p, v);
	else if (strcmp(k, "idlehosts") == 0)
		return prefixes(p, k, v, &s->idle);
	else if (strcmp(k, "lazyhosts") == 0)
		return prefixes(p, k, v, &s->lazy);
	else if ((dst = strcmp(k, "rxidle") == 0 ? &s->rxidle :
	    strcmp(k, "txidle") == 0 ? &s->txidle :
	    strcmp(k, "counterinterval") == 0 ? &s->counterinterval :
	    strcmp(k, "autosave") == 0 || strcmp(k, "savetime") == 0 ?
	    &s->autosave : strcmp(k, "blocktime") == 0 ||
	    strcmp(k, "stat_blocktime") == 0 ? &s->blocktime : NULL)) {
		if (parse_secs(v, 7 * 86400, &x) < 0) {
			bad(p, "%s: seconds, 0 to 604800", k);
			return -1;
		}
		*dst = x;
	} else if (strcmp(k, "blockchain") == 0 ||
	    strcmp(k, "stat_blockchain") == 0) {
		if (!is_chain_spec(v)) {
			bad(p, "%s: '%s' is not a chain spec", k, v);
			return -1;
		}
		set_str(&s->blockchain, v);
	} else if (strcmp(k, "loadfile") == 0 || strcmp(k, "statefile") == 0)
		set_str(&s->statefile, v);
	else if (strcmp(k, "pidfile") == 0)
		set_str(&s->pidfile, v);
	else if (strcmp(k, "store") == 0) {
		if (*v != '/') {
			bad(p, "store: give an absolute path");
			return -1;
		}
		set_str(&s->store, v);
	} else if (strcmp(k, "file_dir") == 0) {
		if (*v != '/') {
			bad(p, "file_dir: give an absolute path");
			return -1;
		}
		set_str(&s->file_dir, v);
	} else if (strcmp(k, "syslog_facility") == 0) {
		static const char *const fac[] = { "auth", "authpriv",
		    "daemon", "local0", "local1", "local2", "local3", "local4",
		    "local5", "local6", "local7", "user", NULL };

		if (word_index(v, fac) < 0) {
			bad(p, "syslog_facility: daemon, user, auth, authpriv "
			    "or local0 to local7");
			return -1;
		}
		set_str(&s->syslog_facility, v);
	}
	else if (strcmp(k, "syslog_name") == 0)
		set_str(&s->syslog_name, v);
	else {
		/* The captive portal's (portal_conf.c), or unknown. */
		char err[256];
		int rc = portal_conf_key(s, k, v, err, sizeof(err));

		if (rc == 1)
			bad(p, "unknown server attribute '%s'", k);
		else if (rc < 0)
			bad(p, "%s", err);
		return rc ? -1 : 0;
	}
	return 0;
}

static int
hex_key(const char *v, uint8_t **out, size_t *len)
{
	size_t n = strlen(v), i;

	if (n < 32 || n % 2)
		return -1;
	*out = xmalloc(n / 2);
	for (i = 0; i < n / 2; i++) {
		unsigned x;

		if (!isxdigit((unsigned char)v[2 * i]) ||
		    !isxdigit((unsigned char)v[2 * i + 1]) ||
		    sscanf(v + 2 * i, "%2x", &x) != 1) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (uint8_t)x;
	}
	*len = n / 2;
	return 0;
}

static int
client_key(struct parser *p, const char *k, char *v)
{
	struct il_client *c = p->cl;

	if (strcmp(k, "user") == 0 || strcmp(k, "uid") == 0) {
		struct passwd *pw = getpwnam(v);
		char *end;
		long id = strtol(v, &end, 10);

		if (pw)
			c->uid = pw->pw_uid;
		else if (*v && *end == '\0' && id >= 0)
			c->uid = (uid_t)id;
		else {
			bad(p, "%s: no such user '%s'", k, v);
			return -1;
		}
		c->has_uid = true;
	} else if (strcmp(k, "group") == 0 || strcmp(k, "gid") == 0) {
		struct group *gr = getgrnam(v);
		char *end;
		long id = strtol(v, &end, 10);

		if (gr)
			c->gid = gr->gr_gid;
		else if (*v && *end == '\0' && id >= 0)
			c->gid = (gid_t)id;
		else {
			bad(p, "%s: no such group '%s'", k, v);
			return -1;
		}
		c->has_gid = true;
	} else if (strcmp(k, "ip") == 0) {
		if (prefix_parse(v, &c->ip) < 0) {
			bad(p, "ip: '%s' is not an address or prefix", v);
			return -1;
		}
		c->has_ip = true;
	} else if (strcmp(k, "psk") == 0) {
		free(c->psk);
		c->psk = NULL;
		if (hex_key(v, &c->psk, &c->psk_len) < 0) {
			bad(p, "psk: give at least 16 bytes as hex digits "
			    "(e.g. from 'openssl rand -hex 32')");
			return -1;
		}
	} else if (is_legacy(p, k, true))
		;
	else if (strcmp(k, "cert_dn") == 0)
		set_str(&c->cert_dn, v);
	else if (strcmp(k, "perms") == 0) {
		char *w[128];
		size_t n = split(v, w, 128), i;

		c->perms = 0;
		for (i = 0; i < n; i++) {
			int ci;

			if (strcmp(w[i], "any") == 0 || strcmp(w[i], "all") == 0) {
				c->perms = ~(il_perms)0;
				continue;
			}
			if ((ci = cmd_index(w[i])) < 0) {
				bad(p, "perms: no command '%s' (see help)", w[i]);
				return -1;
			}
			c->perms |= (il_perms)1 << ci;
			/* login is add by another name */
			if (strcmp(w[i], "add") == 0 || strcmp(w[i], "login") == 0)
				c->perms |= (il_perms)1 << cmd_index("add") |
				    (il_perms)1 << cmd_index("login");
		}
	} else if (strcmp(k, "permitted_chains") == 0 ||
	    strcmp(k, "chains") == 0)
		return chain_list(p, k, v, &c->chains, &c->nchains);
	else if (strcmp(k, "servername") == 0)
		set_str(&c->servername, v);
	else {
		bad(p, "unknown client attribute '%s'", k);
		return -1;
	}
	return 0;
}

static bool
is_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return false;
	return true;
}

/* The end of a server stanza: its defaults and the default timing. */
static void
server_done(struct parser *p)
{
	struct il_server *s = p->s;
	struct il_timing *t;
	int timeout = p->logout_timeout ? p->logout_timeout :
	    DEFAULT_TIMEOUT_S;

	if (s == NULL)
		return;
	/* The default timing goes first, for prefixes nobody named. */
	s->timings = xrealloc(s->timings, s->ntimings + 1, sizeof(*t));
	memmove(s->timings + 1, s->timings, s->ntimings * sizeof(*t));
	s->ntimings++;
	t = &s->timings[0];
	memset(t, 0, sizeof(*t));
	t->timeout_ms = timeout * 1000;
	t->interval_ms = t->timeout_ms / PROBES_PER_TIMEOUT;
	if (t->interval_ms < p->min_interval_ms)
		t->interval_ms = p->min_interval_ms;
	if (s->listen == NULL) {
		struct strbuf sb;

		sb_init(&sb);
		sb_printf(&sb, "%s/iplogin/%s.sock", RUNSTATEDIR, s->name);
		s->listen = sb.buf;
	}
	if (s->table == NULL)
		s->table = xstrdup("iplogin");
	if (s->file_dir == NULL)
		s->file_dir = xstrdup(LOCALSTATEDIR "/lib/iplogin");
	if (s->syslog_name == NULL)
		s->syslog_name = xstrdup("iplogin");
	if (s->nchains == 0) {
		free(s->chains);
		s->chains = xcalloc(1, sizeof(*s->chains));
		s->chains[s->nchains++] = xstrdup("users/b");
	}
	if (s->default_chains == NULL) {
		/* every chain of the server */
		struct strbuf sb;
		size_t i;

		sb_init(&sb);
		for (i = 0; i < s->nchains; i++)
			sb_printf(&sb, "%s%s", i ? "," : "", s->chains[i]);
		s->default_chains = sb.buf;
	}
	if (s->counterchain == NULL)
		s->counterchain = xstrdup(s->chains[0]);
	if (s->blocktime == 0)
		s->blocktime = 900;
	if ((s->tls_address == NULL) != (s->tls_port == NULL))
		log_error("%s:%d: server %s: the TLS port needs listen_address "
		    "and listen_port", p->file, s->line, s->name), p->errors++;
	{
		char err[256];

		if (portal_conf_done(s, err, sizeof(err)) < 0)
			log_error("%s:%d: server %s: %s", p->file, s->line,
			    s->name, err), p->errors++;
	}
	p->s = NULL;
	p->logout_timeout = 0;
	p->min_interval_ms = 0;
}

static void
stanza(struct parser *p, char *line)
{
	char *w[3];
	size_t n = split(line, w, 3);

	server_done(p);
	p->cl = NULL;
	if (n != 2 || !is_name(w[1]) || (strcmp(w[0], "server") != 0 &&
	    strcmp(w[0], "client") != 0)) {
		bad(p, "a stanza begins with 'server NAME' or 'client NAME' "
		    "(NAME of letters, digits, '-', '_', '.')");
		return;
	}
	if (strcmp(w[0], "server") == 0) {
		if (il_conf_server(p->c, w[1])) {
			bad(p, "server %s: defined twice", w[1]);
			return;
		}
		p->c->servers = xrealloc(p->c->servers, p->c->nservers + 1,
		    sizeof(*p->c->servers));
		p->s = &p->c->servers[p->c->nservers++];
		memset(p->s, 0, sizeof(*p->s));
		p->s->name = xstrdup(w[1]);
		p->s->line = p->line;
	} else {
		size_t i;

		for (i = 0; i < p->c->nclients; i++)
			if (strcmp(p->c->clients[i].name, w[1]) == 0) {
				bad(p, "client %s: defined twice", w[1]);
				return;
			}
		p->c->clients = xrealloc(p->c->clients, p->c->nclients + 1,
		    sizeof(*p->c->clients));
		p->cl = &p->c->clients[p->c->nclients++];
		memset(p->cl, 0, sizeof(*p->cl));
		p->cl->name = xstrdup(w[1]);
		p->cl->line = p->line;
	}
}

static void
attribute(struct parser *p, char *line)
{
	char *eq = strchr(line, '='), *k, *v, *e;

	if (p->s == NULL && p->cl == NULL) {
		bad(p, "an attribute outside a stanza (server NAME or "
		    "client NAME at column 0 first)");
		return;
	}
	if (eq == NULL) {
		bad(p, "expected key = value");
		return;
	}
	*eq = '\0';
	k = line;
	while (isblank((unsigned char)*k))
		k++;
	for (e = eq; e > k && isblank((unsigned char)e[-1]); )
		*--e = '\0';
	v = eq + 1;
	while (isblank((unsigned char)*v))
		v++;
	for (e = v + strlen(v); e > v && isblank((unsigned char)e[-1]); )
		*--e = '\0';
	if (*k == '\0' || *v == '\0') {
		bad(p, "expected key = value");
		return;
	}
	if (p->s)
		server_key(p, k, v);
	else
		client_key(p, k, v);
}

int
il_conf_parse(const char *file, const char *buf, size_t len,
    struct il_conf *c)
{
	struct parser p = { .file = file, .c = c };
	const char *at = buf, *end = buf + len;

	memset(c, 0, sizeof(*c));
	c->file = xstrdup(file);
	while (at < end) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		size_t n = nl ? (size_t)(nl - at) : (size_t)(end - at);
		char *line = xstrndup(at, n), *hash;

		p.line++;
		at += n + (nl != NULL);
		if (memchr(line, '\0', n)) {
			bad(&p, "a NUL byte");
			free(line);
			continue;
		}
		/* '#' begins a comment anywhere: no value holds one. */
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (line[strspn(line, " \t\r")] == '\0')
			;
		else if (!isblank((unsigned char)line[0]))
			stanza(&p, line);
		else
			attribute(&p, line);
		free(line);
	}
	server_done(&p);
	if (p.errors == 0 && c->nservers == 0) {
		log_error("%s: no server stanza ('server NAME')", file);
		p.errors++;
	}
	if (p.errors) {
		il_conf_free(c);
		return -1;
	}
	return 0;
}

int
il_conf_load(const char *path, struct il_conf *c)
{
	struct strbuf sb;
	int rc;

	memset(c, 0, sizeof(*c));
	if (read_file(path, &sb) < 0)
		return -1;
	rc = il_conf_parse(path, sb.buf, sb.len, c);
	sb_free(&sb);
	return rc;
}

void
il_conf_free(struct il_conf *c)
{
	size_t i;

	for (i = 0; i < c->nservers; i++) {
		struct il_server *s = &c->servers[i];

		free(s->name);
		free(s->listen);
		free(s->socket_group);
		free(s->tls_address);
		free(s->tls_port);
		free(s->tls_cert);
		free(s->tls_key);
		free(s->table);
		strv_free(s->chains, s->nchains);
		free(s->default_chains);
		free(s->counterchain);
		free(s->timings);
		free(s->idle.v);
		free(s->lazy.v);
		free(s->blockchain);
		free(s->statefile);
		free(s->pidfile);
		free(s->store);
		free(s->file_dir);
		free(s->syslog_facility);
		free(s->syslog_name);
		portal_conf_free(s->portal);
	}
	for (i = 0; i < c->nclients; i++) {
		struct il_client *cl = &c->clients[i];

		free(cl->name);
		free(cl->psk);
		free(cl->cert_dn);
		strv_free(cl->chains, cl->nchains);
		free(cl->servername);
	}
	free(c->servers);
	free(c->clients);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

const struct il_server *
il_conf_server(const struct il_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nservers; i++)
		if (strcmp(c->servers[i].name, name) == 0)
			return &c->servers[i];
	return NULL;
}

static bool
prefix_has(const struct prefix *net, int family, const uint8_t *addr)
{
	int bits = net->len, i;

	if (net->family != family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (net->addr[i] != addr[i])
			return false;
	return bits == 0 ||
	    ((net->addr[i] ^ addr[i]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

const struct il_timing *
il_timing_for(const struct il_server *s, int family, const uint8_t *addr)
{
	const struct il_timing *best = &s->timings[0];
	size_t i;

	for (i = 1; i < s->ntimings; i++)
		if (prefix_has(&s->timings[i].net, family, addr) &&
		    (best == &s->timings[0] ||
		    s->timings[i].net.len > best->net.len))
			best = &s->timings[i];
	return best;
}

bool
il_prefixes_have(const struct il_prefixes *ps, int family,
    const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (prefix_has(&ps->v[i], family, addr))
			return true;
	return false;
}

static void
print_prefixes(FILE *fp, const char *key, const struct il_prefixes *ps)
{
	char buf[64];
	size_t i;

	if (ps->n == 0)
		return;
	fprintf(fp, "\t%s = ", key);
	for (i = 0; i < ps->n; i++)
		fprintf(fp, "%s%s", i ? "," : "", prefix_fmt(&ps->v[i], buf,
		    sizeof(buf)));
	fputc('\n', fp);
}

static void
print_list(FILE *fp, const char *key, char *const *l, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	fprintf(fp, "\t%s = ", key);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i ? "," : "", l[i]);
	fputc('\n', fp);
}

#define PRINT_STR(key, v) do { if (v) fprintf(fp, "\t%s = %s\n", key, v); \
	} while (0)

void
il_conf_print(FILE *fp, const struct il_conf *c)
{
	char buf[64];
	size_t i, j;

	for (i = 0; i < c->nservers; i++) {
		const struct il_server *s = &c->servers[i];

		fprintf(fp, "%sserver %s\n", i ? "\n" : "", s->name);
		PRINT_STR("listen", s->listen);
		PRINT_STR("socket_group", s->socket_group);
		PRINT_STR("listen_address", s->tls_address);
		PRINT_STR("listen_port", s->tls_port);
		PRINT_STR("tls_cert", s->tls_cert);
		PRINT_STR("tls_key", s->tls_key);
		PRINT_STR("table", s->table);
		print_list(fp, "chains", s->chains, s->nchains);
		PRINT_STR("default_chains", s->default_chains);
		PRINT_STR("counterchain", s->counterchain);
		for (j = 0; j < s->ntimings; j++)
			fprintf(fp, "\tprobe = %s %dms %dms\n", j ? prefix_fmt(
			    &s->timings[j].net, buf, sizeof(buf)) : "default",
			    s->timings[j].interval_ms, s->timings[j].timeout_ms);
		print_prefixes(fp, "idlehosts", &s->idle);
		print_prefixes(fp, "lazyhosts", &s->lazy);
		fprintf(fp, "\trxidle = %d\n\ttxidle = %d\n"
		    "\tcounterinterval = %d\n\tautosave = %d\n"
		    "\tblocktime = %d\n", s->rxidle, s->txidle,
		    s->counterinterval, s->autosave, s->blocktime);
		PRINT_STR("blockchain", s->blockchain);
		PRINT_STR("statefile", s->statefile);
		PRINT_STR("pidfile", s->pidfile);
		PRINT_STR("store", s->store);
		PRINT_STR("file_dir", s->file_dir);
		PRINT_STR("syslog_facility", s->syslog_facility);
		PRINT_STR("syslog_name", s->syslog_name);
		portal_conf_print(fp, s->portal);
	}
	for (i = 0; i < c->nclients; i++) {
		const struct il_client *cl = &c->clients[i];

		fprintf(fp, "\nclient %s\n", cl->name);
		if (cl->has_uid)
			fprintf(fp, "\tuser = %u\n", (unsigned)cl->uid);
		if (cl->has_gid)
			fprintf(fp, "\tgroup = %u\n", (unsigned)cl->gid);
		if (cl->has_ip)
			fprintf(fp, "\tip = %s\n", prefix_fmt(&cl->ip, buf,
			    sizeof(buf)));
		if (cl->psk)
			fprintf(fp, "\tpsk = (%zu bytes)\n", cl->psk_len);
		PRINT_STR("cert_dn", cl->cert_dn);
		fprintf(fp, "\tperms = ");
		if (cl->perms == ~(il_perms)0)
			fprintf(fp, "any");
		else {
			const char *sep = "";

			for (j = 0; j < cmd_count(); j++)
				if (cl->perms & (il_perms)1 << j) {
					fprintf(fp, "%s%s", sep, cmd_desc((int)j)->name);
					sep = ",";
				}
		}
		fputc('\n', fp);
		print_list(fp, "permitted_chains", cl->chains, cl->nchains);
		PRINT_STR("servername", cl->servername);
	}
}
