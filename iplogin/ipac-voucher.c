/*
 * ipac-voucher - mint voucher codes for iplogin's captive portal, in
 * batches, as text, CSV or a printable HTML page; check codes; make a
 * secret.  Works offline: it reads the site secret and nothing else
 * (no daemon, no store), as any till that implements the CODE FORMAT of
 * ipac-voucher(8) can.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "ipac.h"
#include "voucher.h"

#define DEFAULT_SECRET	SYSCONFDIR "/ipac/voucher.key"
#define BATCH_MAX	100000

enum { F_TEXT, F_CSV, F_HTML };

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ipac-voucher [-k secretfile] [-K key] [-n count] "
	    "[-s serial] [-a account]\n"
	    "                    [-q quota] [-f text|csv|html] [-T title] "
	    "validity\n"
	    "       ipac-voucher [-k secretfile] -c code ...\n"
	    "       ipac-voucher [-K key] -g\n");
	exit(status);
}

static int
rand_bytes(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

/* "6 hours", "90 minutes", "2 days", "1 week": jkaptive's words. */
static int
duration_words(const char *s, int64_t *secs)
{
	static const struct { const char *w; int64_t s; } units[] = {
		{ "second", 1 }, { "sec", 1 }, { "minute", 60 }, { "min", 60 },
		{ "hour", 3600 }, { "day", 86400 }, { "week", 604800 },
	};
	char *end;
	long long n;
	size_t i, len;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || n <= 0 || !isspace((unsigned char)*end))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	len = strlen(end);
	if (len > 1 && end[len - 1] == 's')
		len--;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].w) == len &&
		    strncasecmp(end, units[i].w, len) == 0) {
			if (n > INT64_MAX / units[i].s)
				return -1;
			*secs = n * units[i].s;
			return 0;
		}
	return -1;
}

/*
 * The validity: a duration from first use ("10s", "90m", "6h", "2d",
 * "6 hours"), or an end in local time: "19:00" (the next 19:00),
 * "2026-12-31 20:00", ISO 8601.  0 or -1 (reported).
 */
static int
parse_validity(const char *s, struct voucher *v)
{
	int64_t secs, now = acct_now(), t;
	char buf[64];
	size_t i;

	if (strchr(s, ':') == NULL) {
		if ((parse_duration(s, &secs) < 0 &&
		    duration_words(s, &secs) < 0) || secs <= 0) {
			log_error("%s: not a validity: give a duration (10s, 90m, "
			    "6h, 2d, \"6 hours\") or an end (19:00, "
			    "\"2026-12-31 20:00\")", s);
			return -1;
		}
		if (secs > VOUCHER_TIME_MAX) {
			log_error("%s: at most %u seconds (388 days) from first "
			    "use", s, VOUCHER_TIME_MAX);
			return -1;
		}
		v->until = false;
		v->duration = (uint32_t)secs;
		return 0;
	}
	if (strlen(s) == 5 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && s[2] == ':' &&
	    isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4])) {
		/* HH:MM: today's, or tomorrow's when it is over. */
		time_t tt = (time_t)now;
		struct tm tm;
		int h = (s[0] - '0') * 10 + s[1] - '0';
		int m = (s[3] - '0') * 10 + s[4] - '0';

		if (h > 23 || m > 59) {
			log_error("%s: not a time of day", s);
			return -1;
		}
		localtime_r(&tt, &tm);
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		t = (int64_t)mktime(&tm);
		if (t <= now) {
			tm.tm_mday++;
			tm.tm_hour = h;
			tm.tm_min = m;
			tm.tm_isdst = -1;
			t = (int64_t)mktime(&tm);
		}
	} else {
		snprintf(buf, sizeof(buf), "%s", s);
		for (i = 0; buf[i]; i++)
			if (buf[i] == ' ')
				buf[i] = 'T';
		if (time_parse(buf, now, &t) < 0) {
			log_error("%s: not a time (\"2026-12-31 20:00\")", s);
			return -1;
		}
	}
	if (t % 60) {
		log_error("%s: an end must be a whole minute", s);
		return -1;
	}
	if (t <= now)
		log_warnx("%s: that is over: the codes are expired", s);
	v->until = true;
	v->end = t;
	return 0;
}

/* "10MB", "2GB", "500" (MB), "1.5GB", "1TB": SI units.  0 or -1. */
static int
parse_quota(const char *s, uint64_t *bytes)
{
	uint64_t whole = 0, frac = 0, div = 1, unit = 1000000;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > UINT64_MAX / 10 / 1000000000000ULL)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (div >= 1000000)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
			div *= 10;
		}
	}
	if (*p == '\0' || strcasecmp(p, "M") == 0 || strcasecmp(p, "MB") == 0)
		unit = 1000000;
	else if (strcasecmp(p, "G") == 0 || strcasecmp(p, "GB") == 0)
		unit = 1000000000;
	else if (strcasecmp(p, "T") == 0 || strcasecmp(p, "TB") == 0)
		unit = 1000000000000ULL;
	else
		return -1;
	if (frac * unit % div)
		return -1;
	*bytes = whole * unit + frac * unit / div;
	return 0;
}

static void
validity_text(const struct voucher *v, char *buf, size_t len)
{
	if (v->until) {
		time_t tt = (time_t)v->end;
		struct tm tm;

		localtime_r(&tt, &tm);
		strftime(buf, len, "until %Y-%m-%d %H:%M", &tm);
	} else if (v->duration % 86400 == 0)
		snprintf(buf, len, "%u day%s from first use",
		    (unsigned)(v->duration / 86400),
		    v->duration == 86400 ? "" : "s");
	else if (v->duration % 3600 == 0)
		snprintf(buf, len, "%u hour%s from first use",
		    (unsigned)(v->duration / 3600),
		    v->duration == 3600 ? "" : "s");
	else if (v->duration % 60 == 0)
		snprintf(buf, len, "%u minute%s from first use",
		    (unsigned)(v->duration / 60), v->duration == 60 ? "" : "s");
	else
		snprintf(buf, len, "%u second%s from first use",
		    (unsigned)v->duration, v->duration == 1 ? "" : "s");
}

static void
quota_text(uint64_t q, char *buf, size_t len)
{
	if (q == 0)
		snprintf(buf, len, "no data limit");
	else if (q % 1000000000 == 0)
		snprintf(buf, len, "%" PRIu64 " GB", q / 1000000000);
	else
		snprintf(buf, len, "%" PRIu64 " MB", q / 1000000);
}

/* s with &, <, >, " as entities. */
static void
html_put(FILE *fp, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default: fputc(*s, fp);
		}
}

static void
html_head(FILE *fp, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>", fp);
	html_put(fp, title);
	fputs(" codes</title>\n<style>\n"
	    "body { font-family: system-ui, sans-serif; margin: 1cm; "
	    "color: #111; }\n"
	    ".codes { display: grid; grid-template-columns: repeat(3, 1fr); "
	    "gap: 0; }\n"
	    ".card { border: 1px dashed #888; padding: 0.5cm; "
	    "break-inside: avoid; page-break-inside: avoid; }\n"
	    ".card h2 { font-size: 1rem; margin: 0 0 0.3cm; }\n"
	    ".code { font: bold 1.15rem ui-monospace, 'DejaVu Sans Mono', "
	    "monospace; letter-spacing: 0.05em; white-space: nowrap; }\n"
	    ".terms { font-size: 0.8rem; margin-top: 0.3cm; color: #333; }\n"
	    "@media print { body { margin: 0; } }\n"
	    "</style>\n</head>\n<body>\n<div class=\"codes\">\n", fp);
}

static int
check_codes(const struct voucher_keys *keys, int argc, char **argv)
{
	int i, bad = 0;

	for (i = 0; i < argc; i++) {
		struct voucher v;
		char canon[VOUCHER_SYMBOLS + 1], when[64], q[32];
		enum voucher_result r = voucher_check(keys, argv[i],
		    strlen(argv[i]), &v, canon);

		if (r != VOUCHER_OK) {
			printf("%s: bad: %s\n", argv[i], voucher_strerror(r));
			bad = 1;
			continue;
		}
		if (v.until)
			iso_utc(v.end, when);
		quota_text(v.quota, q, sizeof(q));
		printf("%s: ok key %u serial %u account %u ", argv[i], v.key,
		    (unsigned)v.serial, v.account);
		if (v.until)
			printf("until %s", when);
		else
			printf("duration %us", (unsigned)v.duration);
		printf(" quota %" PRIu64 "\n", v.quota);
	}
	return bad;
}

static int
new_secret(int key)
{
	uint8_t r[32];
	size_t i;

	if (rand_bytes(r, sizeof(r)) < 0) {
		log_error("getrandom: %s", strerror(errno));
		return EX_CONFIG;
	}
	printf("%d ", key);
	for (i = 0; i < sizeof(r); i++)
		printf("%02x", r[i]);
	printf("\n");
	memset(r, 0, sizeof(r));
	return EX_OK;
}

static int
run(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "secret",	required_argument, NULL, 'k' },
		{ "key",	required_argument, NULL, 'K' },
		{ "count",	required_argument, NULL, 'n' },
		{ "serial",	required_argument, NULL, 's' },
		{ "account",	required_argument, NULL, 'a' },
		{ "quota",	required_argument, NULL, 'q' },
		{ "format",	required_argument, NULL, 'f' },
		{ "title",	required_argument, NULL, 'T' },
		{ "check",	no_argument,	   NULL, 'c' },
		{ "new-secret",	no_argument,	   NULL, 'g' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *secret = DEFAULT_SECRET, *title = "Wi-Fi";
	struct voucher_keys keys;
	struct voucher v = { 0 };
	bool check = false, gen = false, has_serial = false;
	long count = 1, key = -1;
	int ch, fmt = F_TEXT, rc;
	uint32_t serial = 0;
	char err[512], *end;
	long i;

	log_init("ipac-voucher");
	while ((ch = getopt_long(argc, argv, "a:cf:ghk:K:n:q:s:T:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'k':
			secret = optarg;
			break;
		case 'K':
			key = strtol(optarg, &end, 10);
			if (*end || end == optarg || key < 0 ||
			    key >= VOUCHER_KEYS) {
				log_error("-K %s: a key number, 0 to 3", optarg);
				return EX_CONFIG;
			}
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || end == optarg || count < 1 ||
			    count > BATCH_MAX) {
				log_error("-n %s: 1 to %d codes", optarg,
				    BATCH_MAX);
				return EX_CONFIG;
			}
			break;
		case 's': {
			long s = strtol(optarg, &end, 10);

			if (*end || end == optarg || s < 0 ||
			    s >= (long)VOUCHER_SERIALS) {
				log_error("-s %s: a serial, 0 to %u", optarg,
				    VOUCHER_SERIALS - 1);
				return EX_CONFIG;
			}
			serial = (uint32_t)s;
			has_serial = true;
			break;
		}
		case 'a': {
			long a = strtol(optarg, &end, 10);

			if (*end || end == optarg || a < 0 ||
			    a >= VOUCHER_ACCOUNTS) {
				log_error("-a %s: an account number, 0 to %d "
				    "(iplogin.conf voucher_account names them)",
				    optarg, VOUCHER_ACCOUNTS - 1);
				return EX_CONFIG;
			}
			v.account = (unsigned)a;
			break;
		}
		case 'q':
			if (parse_quota(optarg, &v.quota) < 0 ||
			    voucher_quota_code(v.quota) < 0) {
				log_error("-q %s: give a data quota such as 10MB, "
				    "500MB, 2GB (1 to 1023 MB, or multiples of "
				    "10 MB, 100 MB or 1 GB up to 1023 GB)", optarg);
				return EX_CONFIG;
			}
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = F_TEXT;
			else if (strcmp(optarg, "csv") == 0)
				fmt = F_CSV;
			else if (strcmp(optarg, "html") == 0)
				fmt = F_HTML;
			else {
				log_error("-f %s: text, csv or html", optarg);
				return EX_CONFIG;
			}
			break;
		case 'T':
			title = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'g':
			gen = true;
			break;
		case 'h':
			usage(EX_OK);
		default:
			usage(EX_CONFIG);
		}
	}
	argc -= optind;
	argv += optind;
	if (gen) {
		if (argc != 0)
			usage(EX_CONFIG);
		return new_secret(key < 0 ? 0 : (int)key);
	}
	if (check ? argc < 1 : argc != 1)
		usage(EX_CONFIG);
	if (voucher_keys_load(secret, &keys, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return EX_CONFIG;
	}
	if (check) {
		rc = check_codes(&keys, argc, argv);
		voucher_keys_clear(&keys);
		return rc;
	}
	v.key = key < 0 ? (unsigned)keys.newest : (unsigned)key;
	if (!keys.have[v.key]) {
		log_error("%s: no key %u in it", secret, v.key);
		voucher_keys_clear(&keys);
		return EX_CONFIG;
	}
	if (parse_validity(argv[0], &v) < 0) {
		voucher_keys_clear(&keys);
		return EX_CONFIG;
	}
	if (!has_serial) {
		/* A random start: batches made apart rarely overlap. */
		if (rand_bytes(&serial, sizeof(serial)) < 0) {
			log_error("getrandom: %s", strerror(errno));
			voucher_keys_clear(&keys);
			return EX_CONFIG;
		}
		serial &= VOUCHER_SERIALS - 1;
	}
	if (fmt == F_CSV)
		printf("code,serial,key,duration,end,quota,account\n");
	else if (fmt == F_HTML)
		html_head(stdout, title);
	for (i = 0; i < count; i++) {
		char code[VOUCHER_TEXT], when[64], q[32];

		v.serial = (serial + (uint32_t)i) & (VOUCHER_SERIALS - 1);
		if (voucher_mint(&keys, &v, code, err, sizeof(err)) < 0) {
			log_error("%s", err);
			voucher_keys_clear(&keys);
			return EX_CONFIG;
		}
		switch (fmt) {
		case F_TEXT:
			printf("%s\n", code);
			break;
		case F_CSV:
			if (v.until)
				iso_utc(v.end, when);
			printf("%s,%u,%u,%s,%s,%" PRIu64 ",%u\n", code,
			    (unsigned)v.serial, v.key, v.until ? "" :
			    (snprintf(q, sizeof(q), "%u",
			    (unsigned)v.duration), q), v.until ? when : "",
			    v.quota, v.account);
			break;
		case F_HTML:
			validity_text(&v, when, sizeof(when));
			quota_text(v.quota, q, sizeof(q));
			fputs("<div class=\"card\"><h2>", stdout);
			html_put(stdout, title);
			printf("</h2><div class=\"code\">%s</div>"
			    "<div class=\"terms\">", code);
			html_put(stdout, when);
			printf(" &middot; %s &middot; No. %u</div></div>\n", q,
			    (unsigned)v.serial);
			break;
		}
	}
	if (fmt == F_HTML)
		fputs("</div>\n</body>\n</html>\n", stdout);
	voucher_keys_clear(&keys);
	return EX_OK;
}

int
main(int argc, char *argv[])
{
	return stdout_status(run(argc, argv));
}
