/*
 * Unit tests of lib/settings.c: defaults, every key, ipac-ng keywords,
 * and errors as "file:line: what".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ipac.h"
#include "tap.h"

static char file[] = "/tmp/ipac-settings-XXXXXX";
static char errfile[] = "/tmp/ipac-settings-err-XXXXXX";
static char errbuf[4096];

/* settings_load(path) with stderr into errbuf. */
static int
load_file(const char *path, bool must_exist, struct settings *s)
{
	int saved, rc, fd;
	ssize_t n;

	fflush(stderr);
	saved = dup(2);
	fd = open(errfile, O_WRONLY | O_TRUNC);
	dup2(fd, 2);
	close(fd);
	rc = settings_load(path, must_exist, s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fd = open(errfile, O_RDONLY);
	n = read(fd, errbuf, sizeof(errbuf) - 1);
	errbuf[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* Load text as a settings file. */
static int
load(const char *text, struct settings *s)
{
	FILE *fp = fopen(file, "w");

	fputs(text, fp);
	fclose(fp);
	return load_file(file, true, s);
}

/* The first error line, without the program name and the file. */
static const char *
err(void)
{
	static char line[512];
	char *p = strstr(errbuf, file);

	if (p == NULL)
		return errbuf;
	snprintf(line, sizeof(line), "%s", p + strlen(file));
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void
test_defaults(void)
{
	struct settings s;

	is_int(settings_load("/nonexistent/ipac-settings.conf", false, &s), 0,
	    "a missing default file gives the defaults");
	is_str(s.store, LOCALSTATEDIR "/lib/ipac/ipac.db", "default store");
	is_str(s.rules_file, IPAC_CONF, "default rules file");
	is_str(s.backend, "auto", "default backend");
	is_str(s.table, "ipac", "default table");
	is_int(s.priority, -5, "default priority");
	is_int(s.keep[RES_SAMPLE], 14 * 86400, "samples kept 14 days");
	is_int(s.keep[RES_HOUR], 366 * 86400, "hourly kept a year");
	is_int(s.keep[RES_DAY], -1, "daily kept for ever");
	is_int(s.keep[RES_MONTH], -1, "monthly kept for ever");
	is_int(s.busy_ms, 10000, "busy timeout 10 s");
	ok(s.host && *s.host, "host defaults to the host name");
	ok(s.timezone == NULL, "time zone: the system's");
	settings_free(&s);
	is_int(load_file("/nonexistent/ipac-settings.conf", true, &s), -1,
	    "a missing file given by name is an error");
	is_str(errbuf, "ipac: /nonexistent/ipac-settings.conf: No such file "
	    "or directory\n", "and says so");
}

static void
test_keys(void)
{
	struct settings s;
	char *sp;

	is_int(load("# comment\n"
	    "store = /srv/acct/ipac.db\n"
	    "  Host   Name = gw-1   # trailing comment\n"
	    "rules file = \"/etc/ipac rules.conf\"\n"
	    "backend = nft\n"
	    "table = acct_1\n"
	    "priority = -150\n"
	    "keep samples = 2w\n"
	    "keep hourly = 90d\n"
	    "keep daily = 1y\n"
	    "keep monthly = forever\n"
	    "busy timeout = 2s\n"
	    "timezone = Europe/Berlin\n"
	    "spool fallback = /run/acct\n"
	    "\n", &s), 0, "every key");
	is_str(s.store, "/srv/acct/ipac.db", "store");
	is_str(s.host, "gw-1", "hostname: blanks in keys, comment cut");
	is_str(s.rules_file, "/etc/ipac rules.conf", "quoted value");
	is_str(s.backend, "nft", "backend");
	is_str(s.table, "acct_1", "table");
	is_int(s.priority, -150, "priority");
	is_int(s.keep[RES_SAMPLE], 14 * 86400, "2w");
	is_int(s.keep[RES_HOUR], 90 * 86400, "90d");
	is_int(s.keep[RES_DAY], 366 * 86400, "1y is 366 days");
	is_int(s.keep[RES_MONTH], -1, "forever");
	is_int(s.busy_ms, 2000, "busy timeout");
	is_str(s.timezone, "Europe/Berlin", "timezone");
	is_str(s.spool_fallback, "/run/acct", "spool fallback");
	sp = settings_spool(&s);
	is_str(sp, "/srv/acct/spool", "spool beside the store");
	free(sp);
	settings_free(&s);

	is_int(load("hostname = a#b\nspool = /var/spool/ipac\n", &s), 0,
	    "'#' inside a word is not a comment");
	is_str(s.host, "a#b", "host with '#'");
	sp = settings_spool(&s);
	is_str(sp, "/var/spool/ipac", "spool as set");
	free(sp);
	settings_free(&s);
}

static void
test_ipac_ng(void)
{
	struct settings s;

	is_int(load("account agent = nftables\nstorage = sqlite\n"
	    "drop zero lines = yes\nrules file = /etc/ipac-ng/rules.conf\n"
	    "db host = localhost\n", &s), 0, "ipac-ng keywords");
	ok(strstr(errbuf, ":5: ipac-ng setting 'db host' is ignored") != NULL,
	    "db host: a warning naming the line");
	is_str(s.rules_file, "/etc/ipac-ng/rules.conf", "rules file");
	settings_free(&s);
	/* ipac-ng's agent name is our legacy backend's */
	is_int(load("account agent = iptables\n", &s), 0,
	    "account agent = iptables");
	is_str(s.backend, "iptables", "backend iptables");
	settings_free(&s);
	is_int(load("backend = legacy\n", &s), 0, "backend = legacy");
	settings_free(&s);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *err;
	} t[] = {
		{ "color = blue\n", ":1: unknown setting 'color'" },
		{ "\n\nstore\n", ":3: expected 'key = value'" },
		{ "store = relative.db\n", ":1: store: give an absolute path "
		    "(or, for ipacsum on a central store, a postgresql:// URI)" },
		{ "central store = /var/lib/ipac/central.db\n",
		    ":1: central store: a PostgreSQL URI, such as "
		    "postgresql://ipac@central.example/ipac" },
		{ "central timeout = 0s\n", ":1: central timeout: a duration "
		    "from 1s to 1h, e.g. 20s" },
		{ "backend = pf\n",
		    ":1: backend: unknown backend 'pf' (known: auto, nftables, iptables)" },
		{ "table = a-b\n",
		    ":1: table: letters, digits and '_' (at most 64)" },
		{ "priority = 10001\n",
		    ":1: priority: a number from -10000 to 10000" },
		{ "priority = x\n",
		    ":1: priority: a number from -10000 to 10000" },
		{ "keep samples = 3 days\n", ":1: retention: a duration such "
		    "as 14d, 52w, 1y, or 'forever'" },
		{ "keep hourly = 12h\n", ":1: retention: at least 1d" },
		{ "keep daily = 10d\n",
		    ":1: keep daily: at least 32d (months are made from days)" },
		{ "storage = postgre\n", ":1: storage: 'postgre' is not "
		    "supported; the store is SQLite" },
		{ "hostname = \"a\n", ":1: missing closing '\"'" },
		{ "hostname = \"a\" b\n", ":1: text after the closing '\"'" },
		{ "hostname = a|b\n", ":1: hostname: 1 to 255 characters, "
		    "no '|'" },
		{ "busy timeout = 2h\n",
		    ":1: busy timeout: a duration up to 1h, e.g. 10s" },
		{ "drop zero lines = maybe\n", ":1: drop zero lines: yes or no" },
	};
	struct settings s;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(load(t[i].text, &s), -1, "error %zu fails", i);
		is_str(err(), t[i].err, "message of error %zu", i);
	}
	is_int(load("color = blue\nshade = red\n", &s), -1, "two errors");
	ok(strstr(errbuf, ":2: unknown setting 'shade'") != NULL,
	    "every error is reported, not just the first");
}

static void
test_accounts(void)
{
	struct settings s;

	is_int(load("store = /srv/ipac.db\n"
	    "[account alice]\n"
	    "in = alice down, alice dl*\n"
	    "out = alice up\n"
	    "cycle day = 15\n"
	    "\n"
	    "[account  office]\n"
	    "rules = office *\n", &s), 0, "two accounts");
	is_int(s.naccounts, 2, "two of them");
	is_str(s.accounts[0].name, "alice", "the first's name");
	is_int(s.accounts[0].npat[WAY_IN], 2, "two in patterns");
	is_str(s.accounts[0].pat[WAY_IN][1], "alice dl*", "blanks trimmed");
	is_int(s.accounts[0].cycle_day, 15, "cycle day");
	is_str(s.accounts[1].name, "office", "blanks before the name go");
	is_int(s.accounts[1].cycle_day, 1, "cycles start on the 1st by "
	    "default");
	is_int(account_way(&s.accounts[0], "alice dl2"), WAY_IN, "a pattern "
	    "matches");
	is_int(account_way(&s.accounts[0], "alice up"), WAY_OUT, "out");
	is_int(account_way(&s.accounts[1], "office printer"), WAY_ANY, "rules");
	is_int(account_way(&s.accounts[1], "alice up"), -1, "no match");
	is_str(s.store, "/srv/ipac.db", "settings before the sections stay");
	settings_free(&s);

	is_int(load("[account a]\ncycle day = 32\n", &s), -1, "day 32");
	is_str(err(), ":2: cycle day: 1 to 31 (a day a month does not have "
	    "is its last)", "its message");
	is_int(load("[account a]\nin = x\n[account a]\nin = y\n", &s), -1,
	    "an account twice");
	is_str(err(), ":3: account 'a': given twice or empty", "its message");
	is_int(load("[account a]\nstore = /x\n", &s), -1,
	    "settings keys inside an account");
	is_str(err(), ":2: unknown account setting 'store' (in, out, rules, "
	    "logins, cycle day)", "its message");
	is_int(load("[account a]\n", &s), -1, "an account without names");
	is_str(err(), ":1: account 'a' has no names (in, out, rules or logins)",
	    "its message names the account's line");
	is_int(load("\n[account b]\nin = x\n[account a]\n", &s), -1,
	    "a later account without names");
	is_str(err(), ":4: account 'a' has no names (in, out, rules or logins)",
	    "its message names its line");
	is_int(load("[accounts]\n", &s), -1, "another section");
	is_str(err(), ":1: expected '[account NAME]'", "its message");
	is_int(load("[account a]\nin = x,,y\n", &s), -1, "an empty pattern");
}

/* Load len bytes (NUL bytes allowed) as a settings file. */
static int
load_bytes(const char *text, size_t len, struct settings *s)
{
	FILE *fp = fopen(file, "w");

	fwrite(text, 1, len, fp);
	fclose(fp);
	return load_file(file, true, s);
}

/* Lines of any length and content: cut at newlines, NUL bytes refused. */
static void
test_lines(void)
{
	static char buf[3 * 4096];
	struct settings s;
	size_t n;

	/* The AddressSanitizer case: a long last line, no newline. */
	n = (size_t)snprintf(buf, sizeof(buf), "li =\ncstore = /");
	memset(buf + n, 'a', 4096);
	n += 4096;
	is_int(load_bytes(buf, n, &s), -1, "a long last line fails");
	ok(strstr(errbuf, ":2: line too long (more than 4095 bytes)") != NULL,
	    "its message");

	/* A NUL after byte 4095 must not hide the long line or start one. */
	n = (size_t)snprintf(buf, sizeof(buf), "store = /");
	memset(buf + n, 'a', 4090);
	n += 4090;
	buf[n++] = '\0';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "hostname = x\n");
	is_int(load_bytes(buf, n, &s), -1, "a NUL in a long line fails");
	is_str(err(), ":1: a NUL byte in the line", "its message");
	ok(strstr(errbuf, "hostname") == NULL && strstr(errbuf, ":2:") == NULL,
	    "the text after the NUL is not a line of its own");

	n = (size_t)snprintf(buf, sizeof(buf), "hostname = a");
	buf[n++] = '\0';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "b\nbusy = 1s\n");
	is_int(load_bytes(buf, n, &s), -1, "a NUL in a short line fails");
	is_str(err(), ":1: a NUL byte in the line", "its message");

	/* 4095 bytes are allowed, with or without the newline. */
	buf[0] = '#';
	memset(buf + 1, 'x', 4094);
	is_int(load_bytes(buf, 4095, &s), 0,
	    "a last line of 4095 bytes without newline is fine");
	settings_free(&s);
	buf[4095] = '\n';
	memcpy(buf + 4096, "hostname = gw\n", 14);
	is_int(load_bytes(buf, 4096 + 14, &s), 0,
	    "a line of 4095 bytes and a newline is fine");
	is_str(s.host, "gw", "and the next line is read");
	settings_free(&s);
	buf[4095] = 'x';
	buf[4096] = '\n';
	is_int(load_bytes(buf, 4097, &s), -1, "4096 bytes are too long");
	is_str(err(), ":1: line too long (more than 4095 bytes)",
	    "its message");

	is_int(load_bytes("hostname = gw\r\n", 15, &s), 0, "CRLF is fine");
	is_str(s.host, "gw", "without the CR");
	settings_free(&s);
	is_int(load_bytes("", 0, &s), 0, "an empty file is fine");
	settings_free(&s);
}

static void
test_duration(void)
{
	int64_t v;

	is_int(parse_duration("90", &v), 0, "plain seconds");
	is_int(v, 90, "90 s");
	is_int(parse_duration("5m", &v), 0, "minutes");
	is_int(v, 300, "5m");
	is_int(parse_duration("FOREVER", &v), 0, "forever, any case");
	is_int(v, -1, "forever is -1");
	is_int(parse_duration("1x", &v), -1, "unknown unit");
	is_int(parse_duration("1dd", &v), -1, "two units");
	is_int(parse_duration("-1d", &v), -1, "negative");
	is_int(parse_duration("99999999999999999y", &v), -1, "too large");
}

int
main(void)
{
	int fd;

	if ((fd = mkstemp(file)) >= 0)
		close(fd);
	if ((fd = mkstemp(errfile)) >= 0)
		close(fd);
	test_defaults();
	test_keys();
	test_ipac_ng();
	test_errors();
	test_accounts();
	test_lines();
	test_duration();
	unlink(file);
	unlink(errfile);
	return done_testing();
}
