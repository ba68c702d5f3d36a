/*
 * The settings file, /etc/ipac-settings.conf (ipac-settings.conf(5)):
 * where the store is, the host name, the backend, retention.  One
 * "key = value" per line in the spirit of ipac-ng's ipac.conf, whose
 * keywords are understood too.  Every setting has a default, so a
 * missing default file is no error.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ipac.h"

#define DEFAULT_STORE		LOCALSTATEDIR "/lib/ipac/ipac.db"
#define DEFAULT_SPOOL_FALLBACK	RUNSTATEDIR "/ipac/spool"

static const char *const res_key[RES_MAX] = {
	"keep samples", "keep hourly", "keep daily", "keep monthly",
};

/* Defaults: the raw samples 14 days, hourly a year, the rest for ever. */
static const int64_t res_default[RES_MAX] = {
	14 * 86400, 366 * 86400, -1, -1,
};

const char *
settings_path(void)
{
	const char *p = getenv("IPAC_SETTINGS");

	return p && *p ? p : SYSCONFDIR "/ipac-settings.conf";
}

bool
is_table_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/*
 * "14d", "12h", "2w", "1y" (366 days: a whole year always stays),
 * "3600" (seconds) or "forever" (-1).  0 or -1.
 */
int
parse_duration(const char *s, int64_t *secs)
{
	char *end;
	long long v;
	int64_t unit;

	if (strcasecmp(s, "forever") == 0) {
		*secs = -1;
		return 0;
	}
	static const struct unit units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 }, { 'y', 366 * 86400 }, { 0, 0 },
	};

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	unit = *end ? unit_seconds(units, *end) : 1;
	if (unit == 0 || (*end && end[1] != '\0'))
		return -1;
	if (v > INT64_MAX / unit / 1000)	/* stays sane in ms */
		return -1;
	*secs = v * unit;
	return 0;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* Lower-case key with runs of blanks made one space. */
static void
norm_key(char *k)
{
	char *r = k, *w = k;

	while (*r) {
		if (isblank((unsigned char)*r)) {
			while (isblank((unsigned char)*r))
				r++;
			if (*r && w != k)
				*w++ = ' ';
			continue;
		}
		*w++ = (char)tolower((unsigned char)*r++);
	}
	*w = '\0';
}

/*
 * The value: trimmed; "double quotes" keep blanks and '#'.  Returns NULL
 * with *why set when the quotes do not close.
 */
static char *
parse_value(char *v, const char **why)
{
	char *e;

	while (isblank((unsigned char)*v))
		v++;
	if (*v == '"') {
		e = strchr(v + 1, '"');
		if (e == NULL) {
			*why = "missing closing '\"'";
			return NULL;
		}
		*e++ = '\0';
		while (isblank((unsigned char)*e))
			e++;
		if (*e && *e != '#') {
			*why = "text after the closing '\"'";
			return NULL;
		}
		return v + 1;
	}
	/* A comment starts at '#' after a blank (or at the start). */
	for (e = v; *e; e++)
		if (*e == '#' && (e == v || isblank((unsigned char)e[-1]))) {
			*e = '\0';
			break;
		}
	e = v + strlen(v);
	while (e > v && isblank((unsigned char)e[-1]))
		*--e = '\0';
	return v;
}

static bool
is_yes_no(const char *v)
{
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "no") == 0 ||
	    strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
}

#define FAIL(...)	do { snprintf(buf, len, __VA_ARGS__); return -1; } while (0)

/*
 * One "key = value": 0, 1 for a warning or -1 for an error, with the
 * message in buf.
 */
static int
apply_setting(struct settings *s, const char *key, const char *v, char *buf,
    size_t len)
{
	int64_t secs;
	char *end;
	long l;
	int r;

	if (strcmp(key, "store") == 0) {
		if (*v != '/' && !is_pg_uri(v))
			FAIL("store: give an absolute path (or, for ipacsum on "
			    "a central store, a postgresql:// URI)");
		set_str(&s->store, v);
	} else if (strcmp(key, "central store") == 0) {
		if (!is_pg_uri(v))
			FAIL("central store: a PostgreSQL URI, such as "
			    "postgresql://ipac@central.example/ipac");
		set_str(&s->central, v);
	} else if (strcmp(key, "central timeout") == 0) {
		if (parse_duration(v, &secs) < 0 || secs < 1 || secs > 3600)
			FAIL("central timeout: a duration from 1s to 1h, e.g. "
			    "20s");
		s->central_ms = (int)secs * 1000;
	} else if (strcmp(key, "spool") == 0) {
		if (*v != '/')
			FAIL("spool: give an absolute path");
		set_str(&s->spool, v);
	} else if (strcmp(key, "rrd dir") == 0) {
		if (*v != '/')
			FAIL("rrd dir: give an absolute path");
		set_str(&s->rrd_dir, v);
	} else if (strcmp(key, "spool fallback") == 0) {
		if (*v != '/')
			FAIL("spool fallback: give an absolute path");
		set_str(&s->spool_fallback, v);
	} else if (strcmp(key, "rules file") == 0) {
		if (!*v)
			FAIL("rules file: empty");
		set_str(&s->rules_file, v);
	} else if (strcmp(key, "hostname") == 0 ||
	    strcmp(key, "host name") == 0 || strcmp(key, "host") == 0) {
		if (!*v || strlen(v) > 255 || strpbrk(v, "|\n"))
			FAIL("hostname: 1 to 255 characters, no '|'");
		set_str(&s->host, v);
	} else if (strcmp(key, "backend") == 0 ||
	    strcmp(key, "account agent") == 0) {
		if (backend_canon(v) == NULL) {
			FAIL("%.40s: unknown backend '%.200s' (known: "
			    BACKEND_NAMES ")",
			    key, v);
		}
		set_str(&s->backend, v);
	} else if (strcmp(key, "table") == 0) {
		if (!is_table_name(v))
			FAIL("table: letters, digits and '_' (at most 64)");
		set_str(&s->table, v);
	} else if (strcmp(key, "priority") == 0) {
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno || !*v || *end || l < -10000 || l > 10000)
			FAIL("priority: a number from -10000 to 10000");
		s->priority = (int)l;
	} else if (strcmp(key, "busy timeout") == 0) {
		if (parse_duration(v, &secs) < 0 || secs < 0 ||
		    secs > 3600)
			FAIL("busy timeout: a duration up to 1h, e.g. 10s");
		s->busy_ms = (int)secs * 1000;
	} else if (strcmp(key, "timezone") == 0) {
		if (!is_zone(v))
			FAIL("timezone: unknown time zone '%.200s' (a name such as "
			    "Europe/Berlin)", v);
		set_str(&s->timezone, v);
	} else if (strcmp(key, "storage") == 0) {
		if (strcasecmp(v, "sqlite") != 0) {
			FAIL("storage: '%.200s' is not supported; the store is "
			    "SQLite", v);
		}
	} else if (strcmp(key, "drop zero lines") == 0) {
		/* Zero lines are never stored; accepted for ipac-ng. */
		if (!is_yes_no(v))
			FAIL("drop zero lines: yes or no");
	} else if (strcmp(key, "access agent") == 0 ||
	    strcmp(key, "login at start") == 0 ||
	    strcmp(key, "auth host") == 0 || strcmp(key, "db host") == 0 ||
	    strcmp(key, "db port") == 0 || strcmp(key, "db name") == 0 ||
	    strcmp(key, "db user") == 0 || strcmp(key, "db pass") == 0) {
		snprintf(buf, len, "ipac-ng setting '%.200s' is ignored", key);
		return 1;
	} else {
		for (r = 0; r < RES_MAX; r++)
			if (strcmp(key, res_key[r]) == 0)
				break;
		if (r == RES_MAX) {
			FAIL("unknown setting '%.200s'", key);
		}
		if (parse_duration(v, &secs) < 0)
			FAIL("retention: a duration such as 14d, 52w, 1y, "
			    "or 'forever'");
		if (secs >= 0 && secs < 86400)
			FAIL("retention: at least 1d");
		/* Daily rows make the months: a month must stay whole. */
		if (r == RES_DAY && secs >= 0 && secs < 32 * 86400)
			FAIL("keep daily: at least 32d (months are made from "
			    "days)");
		s->keep[r] = secs;
	}
	return 0;
}
#undef FAIL

/* "a, b*, c": shell patterns, blanks around commas dropped. */
static int
add_patterns(struct account *a, int way, const char *v)
{
	const char *p = v;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		while (n && isblank((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n && isblank((unsigned char)p[n - 1]))
			n--;
		if (n == 0)
			return -1;
		a->pat[way] = xrealloc(a->pat[way], a->npat[way] + 1,
		    sizeof(*a->pat[way]));
		a->pat[way][a->npat[way]++] = xstrndup(p, n);
		p = e ? e + 1 : p + n;
	}
	return 0;
}

/* A key of an [account NAME] section: 0 or -1 with the reason in buf. */
static int
account_setting(struct account *a, const char *key, const char *v,
    char *buf, size_t len)
{
	static const char *const ways[WAY_MAX] = { "in", "out", "rules" };
	char *end;
	long d;
	int w;

	for (w = 0; w < WAY_MAX; w++)
		if (strcmp(key, ways[w]) == 0) {
			if (!*v || add_patterns(a, w, v) < 0) {
				snprintf(buf, len, "%.40s: names or shell patterns "
				    "separated by commas", key);
				return -1;
			}
			return 0;
		}
	if (strcmp(key, "logins") == 0) {
		if (!*v || add_patterns(a, PAT_LOGINS, v) < 0) {
			snprintf(buf, len, "logins: iplogin account names or "
			    "shell patterns separated by commas");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "cycle day") == 0) {
		errno = 0;
		d = strtol(v, &end, 10);
		if (errno || !*v || *end || d < 1 || d > 31) {
			snprintf(buf, len, "cycle day: 1 to 31 (a day a month "
			    "does not have is its last)");
			return -1;
		}
		a->cycle_day = (int)d;
		return 0;
	}
	snprintf(buf, len, "unknown account setting '%.200s' (in, out, rules, "
	    "logins, cycle day)", key);
	return -1;
}

bool
account_has_login(const struct account *a, const char *login)
{
	size_t i;

	for (i = 0; i < a->npat[PAT_LOGINS]; i++)
		if (fnmatch(a->pat[PAT_LOGINS][i], login, 0) == 0)
			return true;
	return false;
}

int
account_way(const struct account *a, const char *name)
{
	size_t i;
	int w;

	for (w = 0; w < WAY_MAX; w++)
		for (i = 0; i < a->npat[w]; i++)
			if (fnmatch(a->pat[w][i], name, 0) == 0)
				return w;
	return -1;
}

static void
settings_defaults(struct settings *s)
{
	char host[256];
	int r;

	memset(s, 0, sizeof(*s));
	s->rules_file = xstrdup(IPAC_CONF);
	s->store = xstrdup(DEFAULT_STORE);
	s->spool_fallback = xstrdup(DEFAULT_SPOOL_FALLBACK);
	if (gethostname(host, sizeof(host)) < 0 || !*host)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	s->host = xstrdup(host);
	s->backend = xstrdup("auto");
	s->table = xstrdup("ipac");
	s->priority = -5;
	s->busy_ms = 10000;
	s->central_ms = 20000;
	for (r = 0; r < RES_MAX; r++)
		s->keep[r] = res_default[r];
}

/* Check what only makes sense as a whole. */
static int
settings_check(struct settings *s, const int *acct_line)
{
	size_t i;

	for (i = 0; i < s->naccounts; i++) {
		const struct account *a = &s->accounts[i];

		if (!a->npat[WAY_IN] && !a->npat[WAY_OUT] &&
		    !a->npat[WAY_ANY] && !a->npat[PAT_LOGINS]) {
			log_error("%s:%d: account '%s' has no names (in, out, "
			    "rules or logins)", s->file, acct_line[i],
			    a->name);
			return -1;
		}
	}
	return 0;
}

/*
 * One line of the file (NUL-terminated, no newline), with what it
 * may add to: the account the lines since '[account NAME]' belong to.
 * 0, or -1 (reported).
 */
static int
settings_line(struct settings *s, const char *path, int lineno, char *p,
    int **acct_line)
{
	struct account *acct = s->naccounts ?
	    &s->accounts[s->naccounts - 1] : NULL;
	char *eq, *v, buf[512];
	const char *why = NULL;
	int r = -1;

	p[strcspn(p, "\r")] = '\0';
	while (isblank((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (*p == '[') {
		/* [account NAME]: the keys after it are the account's. */
		char *e = strchr(p, ']'), *name;
		size_t i;

		if (e == NULL || strncmp(p, "[account ", 9) != 0 ||
		    e[1] != '\0') {
			log_error("%s:%d: expected '[account NAME]'", path,
			    lineno);
			return -1;
		}
		*e = '\0';
		name = p + 9;
		while (isblank((unsigned char)*name))
			name++;
		for (i = 0; i < s->naccounts; i++)
			if (strcmp(s->accounts[i].name, name) == 0)
				break;
		if (!*name || strpbrk(name, "/|") || i < s->naccounts) {
			log_error("%s:%d: account '%.200s': %s", path, lineno,
			    name, *name && i == s->naccounts ?
			    "no '/' or '|' in its name" : "given twice or "
			    "empty");
			return -1;
		}
		s->accounts = xrealloc(s->accounts, s->naccounts + 1,
		    sizeof(*s->accounts));
		*acct_line = xrealloc(*acct_line, s->naccounts + 1,
		    sizeof(**acct_line));
		(*acct_line)[s->naccounts] = lineno;
		acct = &s->accounts[s->naccounts++];
		memset(acct, 0, sizeof(*acct));
		acct->name = xstrdup(name);
		acct->cycle_day = 1;
		return 0;
	}
	if ((eq = strchr(p, '=')) == NULL) {
		log_error("%s:%d: expected 'key = value'", path, lineno);
		return -1;
	}
	*eq = '\0';
	norm_key(p);
	if ((v = parse_value(eq + 1, &why)) != NULL)
		r = acct ? account_setting(acct, p, v, buf, sizeof(buf)) :
		    apply_setting(s, p, v, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", why);
	if (r == 1)
		log_warnx("%s:%d: %s", path, lineno, buf);
	else if (r < 0) {
		log_error("%s:%d: %s", path, lineno, buf);
		return -1;
	}
	return 0;
}

/*
 * The file is read whole and cut at newlines, as lib/conf.c does: a
 * NUL byte is an error on its line, a line is at most SETTINGS_LINE_MAX
 * bytes (without its newline; the last may lack one).
 */
#define SETTINGS_LINE_MAX	4095

int
settings_parse_buf(const char *path, const char *buf, size_t len,
    struct settings *s)
{
	const char *p, *end, *nl;
	int lineno = 0, nerr = 0, *acct_line = NULL;
	char *line;
	size_t n;

	settings_defaults(s);
	s->file = xstrdup(path);
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		lineno++;
		if (memchr(p, '\0', n) != NULL) {
			log_error("%s:%d: a NUL byte in the line", path,
			    lineno);
			nerr++;
			continue;
		}
		if (n > SETTINGS_LINE_MAX) {
			log_error("%s:%d: line too long (more than %d bytes)",
			    path, lineno, SETTINGS_LINE_MAX);
			nerr++;
			continue;
		}
		line = xstrndup(p, n);
		if (settings_line(s, path, lineno, line, &acct_line) < 0)
			nerr++;
		free(line);
	}
	if (nerr == 0 && settings_check(s, acct_line) < 0)
		nerr++;
	free(acct_line);
	if (nerr) {
		settings_free(s);
		return -1;
	}
	return 0;
}

int
settings_load(const char *path, bool must_exist, struct settings *s)
{
	struct strbuf sb;
	int rc;

	if (access(path, F_OK) < 0 && errno == ENOENT && !must_exist) {
		settings_defaults(s);
		return 0;
	}
	if (read_file(path, &sb) < 0) {
		settings_defaults(s);
		settings_free(s);
		return -1;
	}
	rc = settings_parse_buf(path, sb.buf, sb.len, s);
	sb_free(&sb);
	return rc;
}

/* The folder set, or the one named name beside the store. */
static char *
beside_store(const struct settings *s, const char *set, const char *name)
{
	const char *slash;
	struct strbuf sb;

	if (set)
		return xstrdup(set);
	slash = strrchr(s->store, '/');
	if (slash == NULL)
		return xstrdup(name);
	sb_init(&sb);
	sb_add(&sb, s->store, (size_t)(slash - s->store) + 1);
	sb_puts(&sb, name);
	return sb.buf;
}

char *
settings_spool(const struct settings *s)
{
	return beside_store(s, s->spool, "spool");
}

char *
settings_rrd_dir(const struct settings *s)
{
	return beside_store(s, s->rrd_dir, "rrd");
}

/* -d: a store file, or a folder holding ipac.db (as ipac-ng's -d). */
static void
settings_set_store(struct settings *s, const char *path)
{
	struct stat st;

	free(s->store);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct strbuf sb;

		sb_init(&sb);
		sb_printf(&sb, "%s/ipac.db", path);
		s->store = sb.buf;
	} else
		s->store = xstrdup(path);
}

int
settings_for(const char *file, const char *store, const char *host,
    struct settings *s)
{
	if (settings_load(file ? file : settings_path(), file != NULL, s) < 0)
		return -1;
	if (store)
		settings_set_store(s, store);
	if (host) {
		free(s->host);
		s->host = xstrdup(host);
	}
	return 0;
}

void
settings_free(struct settings *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->file);
	free(s->rules_file);
	free(s->store);
	free(s->central);
	free(s->spool);
	free(s->rrd_dir);
	free(s->spool_fallback);
	free(s->host);
	free(s->backend);
	free(s->table);
	free(s->timezone);
	for (i = 0; i < s->naccounts; i++) {
		struct account *a = &s->accounts[i];
		int w;

		free(a->name);
		for (w = 0; w < PAT_MAX; w++) {
			size_t j;

			for (j = 0; j < a->npat[w]; j++)
				free(a->pat[w][j]);
			free(a->pat[w]);
		}
	}
	free(s->accounts);
	memset(s, 0, sizeof(*s));
}
