/*
 * ipacsum - what the store holds, for people and programs: the classic
 * ipac summary, CSV, JSON, billing exports, RRD files, graphs and HTML.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ipac.h"
#include "query.h"
#include "store.h"
#include "ipacsum.h"

enum { SORT_NAME, SORT_BYTES, SORT_PACKETS };

struct opts {
	const char	*start, *end, *frame;
	const char	*regex, *glob;
	int		format, sort;
	long		top;		/* 0: all */
	bool		exact, si, omit_zero, graph, p95;
	int		week_start;
	const char	*interval;	/* NULL: one total */
	const char	*output;	/* -o: written whole, then renamed */
	const char	*billing;	/* a cycle: current, last, YYYY-MM */
	const char	*account;	/* only this one */
	const char	*split;		/* a file per account in this folder */
	bool		replace;	/* -r: compact the samples of the range */
	bool		sessions;	/* --sessions: iplogin's, per account */
	bool		rrd_update;	/* --rrd-update */
	const char	*rrd_dir;	/* --rrd-dir; NULL: the settings' */
	const char	*graphs;	/* --graphs: images into this folder */
	const char	*html;		/* --html: the report into this folder */
	int		image, plotter;	/* IMG_*, PLOT_* */
	int		width, height;
};

static int	output_begin(const char *);
static int	output_end(int);

/* What an account counted in a cycle. */
/* What an iplogin account's sessions counted, for a bill. */
struct login_sum {
	char		*login;
	size_t		sessions;
	uint64_t	tr[4];		/* rx bytes, rx packets, tx, tx */
};

struct bill {
	const struct account *a;
	int64_t		start, end;
	struct sum	way[WAY_MAX];
	struct line	*rules;		/* the names it is made of, by name */
	size_t		nrules;
	struct login_sum *logins;	/* its iplogin logins, sessions that
					   began in the cycle */
	size_t		nlogins;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: ipacsum [-qxz] [-C settings] [-d store] [-H host] "
	    "[-s start] [-e end]\n"
	    "               [-t frame] [-f regex] [--glob pattern] "
	    "[--format text|csv|json]\n"
	    "               [--sort name|bytes|packets] [--top N] [--si]\n"
	    "               [--interval 5m|hour|day|week|month|year] [-g] "
	    "[-o file] [--p95]\n"
	    "       ipacsum --graphs dir | --html dir [--image png|svg] "
	    "[--plotter rrd|gnuplot]\n"
	    "               [--width N] [--height N] [--rrd-dir dir] "
	    "[range and selection]\n"
	    "       ipacsum --rrd-update [--rrd-dir dir] [-f regex] "
	    "[--glob pattern]\n"
	    "       ipacsum --sessions [-x] [-s start] [-e end] [-t frame] "
	    "[--format text|csv|json]\n"
	    "       ipacsum --billing current|last|YYYY-MM [--account name] "
	    "[--split dir]\n"
	    "               [--format text|csv|json|traffic] [-o file] [-x]\n"
	    "       ipacsum -r -s start [-e end] | -t frame [-C settings] "
	    "[-d store] [-H host]\n");
	exit(status);
}

/* ipac-ng's human numbers: the largest unit reached, rounded. */
const char *
human(uint64_t v, bool si, bool exact)
{
	static char buf[32];
	static const char unit[] = "KMGTPE";
	double base = si ? 1000.0 : 1024.0, x = (double)v;
	int u = -1;

	if (exact || x < base) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		return buf;
	}
	while (x >= base && u < 5) {
		x /= base;
		u++;
	}
	snprintf(buf, sizeof(buf), "%.0f%c", x, unit[u]);
	return buf;
}

const char *
fmt_time(int64_t t)
{
	static char buf[2][64];
	static int i;
	time_t tt = (time_t)t;
	struct tm tm;

	i = !i;
	localtime_r(&tt, &tm);
	strftime(buf[i], sizeof(buf[i]), "%Y/%m/%d %H:%M:%S %Z", &tm);
	return buf[i];
}

/* Digits of v into the end of buf[24]; returns where they start. */
static char *
u64_digits(uint64_t v, char buf[24])
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

char *
name_file(const char *name, const char *ext)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb;
	const char *p;

	sb_init(&sb);
	for (p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && p != name))
			sb_add(&sb, p, 1);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			sb_add(&sb, e, 3);
		}
	}
	sb_puts(&sb, ext);
	return sb.buf;
}

int
write_file(const char *path, const void *buf, size_t len)
{
	struct strbuf tmp;
	size_t off = 0;
	int fd, rc = -1;

	sb_init(&tmp);
	sb_printf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		log_error("%s: %s", path, strerror(errno));
		sb_free(&tmp);
		return -1;
	}
	fchmod(fd, 0644);
	while (off < len) {
		ssize_t k = write(fd, (const char *)buf + off, len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		off += (size_t)k;
	}
	if (off < len || fsync(fd) < 0) {
		log_error("%s: %s", tmp.buf, strerror(errno));
		close(fd);
	} else if (close(fd) < 0)
		log_error("%s: %s", tmp.buf, strerror(errno));
	else if (rename(tmp.buf, path) < 0)
		log_error("%s: %s", path, strerror(errno));
	else
		rc = 0;
	if (rc < 0)
		unlink(tmp.buf);
	sb_free(&tmp);
	return rc;
}

/* A name quoted for CSV (RFC 4180), as a new string. */
static char *
csv_quote(const char *s)
{
	struct strbuf sb;

	sb_init(&sb);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		sb_puts(&sb, s);
		return sb.buf;
	}
	sb_puts(&sb, "\"");
	for (; *s; s++) {
		if (*s == '"')
			sb_puts(&sb, "\"");
		sb_add(&sb, s, 1);
	}
	sb_puts(&sb, "\"");
	return sb.buf;
}

void
csv_field(const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

void
json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int sort_key;

static int
line_cmp(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;

	if (sort_key == SORT_BYTES && a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	if (sort_key == SORT_PACKETS && a->packets != b->packets)
		return a->packets < b->packets ? 1 : -1;
	return strcmp(a->name, b->name);
}

const struct sum *
cell(const struct series *se, size_t i, const struct line *l)
{
	static const struct sum zero;
	const struct sum *s = sums_get(&se->sums[i], l->rule_id);

	return s ? s : &zero;
}

/* ipac-ng's ASCII graph: one bar of '*' per interval, 55 wide at most. */
static void
graph(const struct opts *o, const struct series *se, const struct line *v,
    size_t n)
{
	size_t i, j;

	for (j = 0; j < n; j++) {
		uint64_t max = 0;

		for (i = 0; i < se->n; i++)
			if (cell(se, i, &v[j])->bytes > max)
				max = cell(se, i, &v[j])->bytes;
		printf("\nGraph for rule \"%s\"\n", v[j].name);
		printf("%-24s %8s 0%54s\n", "time", "bytes",
		    human(max, o->si, false));
		for (i = 0; i < se->n; i++) {
			uint64_t b = cell(se, i, &v[j])->bytes;
			int w = max ? (int)((double)b * 55.0 / (double)max +
			    0.5) : 0;

			printf("%-24s %8s |%.*s\n", fmt_time(se->b[i]),
			    human(b, o->si, o->exact), w,
			    "*******************************************"
			    "************");
		}
	}
}

#define CSV_BUF	65536

static void
print_series(const struct opts *o, const char *host, int64_t now,
    int64_t from, int64_t to, const struct series *se, struct line *v,
    size_t n)
{
	size_t i, j;

	switch (o->format) {
	case FMT_CSV: {
		/*
		 * Hundreds of thousands of lines: built in a buffer with
		 * memcpy, written 64 KiB at a time.
		 */
		char **q = xcalloc(n ? n : 1, sizeof(*q)), prefix[64], d[24];
		size_t *qlen = xcalloc(n ? n : 1, sizeof(*qlen)), used = 0;
		char *buf = xmalloc(CSV_BUF);

		for (j = 0; j < n; j++) {
			q[j] = csv_quote(v[j].name);
			qlen[j] = strlen(q[j]);
		}
		puts("start,end,rule,bytes,packets");
		for (i = 0; i < se->n; i++) {
			size_t plen = (size_t)snprintf(prefix, sizeof(prefix),
			    "%" PRId64 ",%" PRId64 ",", se->b[i], se->b[i + 1]);

			for (j = 0; j < n; j++) {
				const struct sum *c = cell(se, i, &v[j]);
				char *p;

				if (o->omit_zero && !c->bytes && !c->packets)
					continue;
				if (used + plen + qlen[j] + 2 * 24 > CSV_BUF) {
					fwrite_unlocked(buf, 1, used, stdout);
					used = 0;
				}
				memcpy(buf + used, prefix, plen);
				used += plen;
				if (qlen[j] + plen + 2 * 24 > CSV_BUF) {
					/* a name longer than the buffer */
					fwrite_unlocked(buf, 1, used, stdout);
					fwrite_unlocked(q[j], 1, qlen[j], stdout);
					used = 0;
				} else {
					memcpy(buf + used, q[j], qlen[j]);
					used += qlen[j];
				}
				buf[used++] = ',';
				p = u64_digits(c->bytes, d);
				memcpy(buf + used, p, (size_t)(d + 23 - p));
				used += (size_t)(d + 23 - p);
				buf[used++] = ',';
				p = u64_digits(c->packets, d);
				memcpy(buf + used, p, (size_t)(d + 23 - p));
				used += (size_t)(d + 23 - p);
				buf[used++] = '\n';
			}
		}
		fwrite_unlocked(buf, 1, used, stdout);
		for (j = 0; j < n; j++)
			free(q[j]);
		free(q);
		free(qlen);
		free(buf);
		break;
	}
	case FMT_JSON:
		printf("{\"host\":");
		json_string(host);
		printf(",\"from\":%" PRId64 ",\"to\":%" PRId64
		    ",\"interval\":", from, to);
		json_string(se->unit);
		printf(",\"intervals\":[");
		for (i = 0; i < se->n; i++) {
			bool first = true;

			printf("%s{\"start\":%" PRId64 ",\"end\":%" PRId64
			    ",\"rules\":[", i ? "," : "", se->b[i],
			    se->b[i + 1]);
			for (j = 0; j < n; j++) {
				const struct sum *c = cell(se, i, &v[j]);

				if (o->omit_zero && !c->bytes && !c->packets)
					continue;
				printf("%s{\"rule\":", first ? "" : ",");
				json_string(v[j].name);
				printf(",\"bytes\":%" PRIu64 ",\"packets\":%"
				    PRIu64 "}", c->bytes, c->packets);
				first = false;
			}
			printf("]}");
		}
		printf("]}\n");
		break;
	default:
		printf("IP accounting summary\n");
		printf("Host: %s / Time created: %s\n", host, fmt_time(now));
		printf("Data from %s to %s\n", fmt_time(from), fmt_time(to));
		if (o->graph) {
			graph(o, se, v, n);
			break;
		}
		for (i = 0; i < se->n; i++) {
			printf("%s\n", fmt_time(se->b[i]));
			for (j = 0; j < n; j++) {
				const struct sum *c = cell(se, i, &v[j]);

				if (o->omit_zero && !c->bytes && !c->packets)
					continue;
				printf("  %-48s: %15s\n", v[j].name,
				    human(c->bytes, o->si, o->exact));
			}
		}
		break;
	}
}

/* The bounds of the breakdown of [from, to) into the given unit. */
static int
make_series(const char *unit, int week_start, int64_t from, int64_t to,
    struct series *se)
{
	int64_t step = 0, t, d;
	int u = frame_unit(unit);
	size_t cap = 0;

	memset(se, 0, sizeof(*se));
	se->unit = unit;
	if (u < 0) {
		if (parse_duration(unit, &d) < 0 || d < 60 || d > 86400 ||
		    86400 % d != 0)
			return -1;
		step = d;	/* minutes that divide a day, UTC-aligned */
	}
	for (t = from; ; ) {
		if (se->n + 2 > cap) {
			cap = cap ? 2 * cap : 64;
			se->b = xrealloc(se->b, cap, sizeof(*se->b));
		}
		se->b[se->n] = t;
		if (t >= to)
			break;
		se->n++;
		if (se->n > 1000000)
			return -1;
		t = step ? (t / step + 1) * step : frame_start(u, t, -1,
		    week_start);
		if (t > to)
			t = to;
	}
	se->sums = xcalloc(se->n ? se->n : 1, sizeof(*se->sums));
	return 0;
}

static void
series_free(struct series *se)
{
	size_t i;

	for (i = 0; i < se->n && se->sums; i++)
		sums_free(&se->sums[i]);
	free(se->sums);
	free(se->b);
	memset(se, 0, sizeof(*se));
}

/* A rate in bits per second, SI units: "12.3 Mbit/s". */
static const char *
bps(double v)
{
	static char buf[32];
	static const char *const unit[] = { "", "k", "M", "G", "T", "P" };
	int u = 0;

	while (v >= 1000.0 && u < 5) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, sizeof(buf), u ? "%.1f %sbit/s" : "%.0f %sbit/s", v,
	    unit[u]);
	return buf;
}

/*
 * The length of the UTF-8 sequence s begins with (1 to 4), or 0 when the
 * bytes there are not UTF-8: a stray continuation byte, a sequence cut
 * short, an overlong form, a surrogate or beyond U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned int cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * A Prometheus label value: backslash, quote and newline escaped.  The
 * format is UTF-8, and one bad byte makes node exporter drop the whole
 * file; names from an ipac.conf written in Latin-1 (ipac's old configs
 * often are) have such bytes, so a byte that is not UTF-8 is taken as
 * the Latin-1 character it is there ("B\xfcro" becomes "Büro").
 */
static void
prom_label(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	putchar('"');
	while (*s) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, n, stdout);
			s += n;
			continue;
		} else {
			putchar(0xc0 | *s >> 6);
			putchar(0x80 | (*s & 0x3f));
		}
		s++;
	}
	putchar('"');
}

static void
print(const struct opts *o, const char *host, int64_t now, int64_t from,
    int64_t to, struct line *v, size_t n)
{
	size_t i;
	int m;

	switch (o->format) {
	case FMT_PROM:
		for (m = 0; m < 2; m++) {
			const char *metric = m ? "ipac_packets_total" :
			    "ipac_bytes_total";

			printf("# HELP %s %s counted by an ipac accounting "
			    "name.\n# TYPE %s counter\n", metric,
			    m ? "Packets" : "Bytes (IP total length)", metric);
			for (i = 0; i < n; i++) {
				printf("%s{host=", metric);
				prom_label(host);
				printf(",rule=");
				prom_label(v[i].name);
				printf("} %" PRIu64 "\n", m ? v[i].packets :
				    v[i].bytes);
			}
		}
		break;
	case FMT_CSV:
		puts(o->p95 ? "rule,bytes,packets,p95_bps" :
		    "rule,bytes,packets");
		for (i = 0; i < n; i++) {
			csv_field(v[i].name);
			printf(",%" PRIu64 ",%" PRIu64, v[i].bytes,
			    v[i].packets);
			if (o->p95)
				printf(",%.0f", v[i].p95);
			putchar('\n');
		}
		break;
	case FMT_JSON:
		printf("{\"host\":");
		json_string(host);
		printf(",\"from\":%" PRId64 ",\"to\":%" PRId64 ",\"rules\":[",
		    from, to);
		for (i = 0; i < n; i++) {
			printf("%s{\"rule\":", i ? "," : "");
			json_string(v[i].name);
			printf(",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64,
			    v[i].bytes, v[i].packets);
			if (o->p95)
				printf(",\"p95_bps\":%.0f", v[i].p95);
			putchar('}');
		}
		printf("]}\n");
		break;
	default:
		printf("IP accounting summary\n");
		printf("Host: %s / Time created: %s\n", host, fmt_time(now));
		printf("Data from %s to %s\n", fmt_time(from), fmt_time(to));
		for (i = 0; i < n; i++) {
			printf("  %-48s: %15s", v[i].name,
			    human(v[i].bytes, o->si, o->exact));
			if (o->p95)
				printf("   95%%: %s", bps(v[i].p95));
			putchar('\n');
		}
		break;
	}
}

static void
print_bill_csv_head(void)
{
	puts("account,start,end,in_bytes,in_packets,out_bytes,out_packets,"
	    "bytes,packets");
}

static void
print_bill(const struct opts *o, const char *host, const struct bill *b,
    bool first, bool last)
{
	static const char *const way[WAY_MAX] = { "in", "out", "rules" };
	uint64_t bytes = 0, packets = 0;
	size_t i;
	int w;

	for (w = 0; w < WAY_MAX; w++) {
		bytes = sat_add(bytes, b->way[w].bytes);
		packets = sat_add(packets, b->way[w].packets);
	}
	switch (o->format) {
	case FMT_TRAFFIC:
		/* dumpstats style: each way, the name last (it may hold blanks) */
		printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
		    b->way[WAY_IN].bytes, b->way[WAY_IN].packets,
		    b->way[WAY_OUT].bytes, b->way[WAY_OUT].packets, b->a->name);
		break;
	case FMT_CSV:
		csv_field(b->a->name);
		printf(",%" PRId64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%"
		    PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", b->start,
		    b->end, b->way[WAY_IN].bytes, b->way[WAY_IN].packets,
		    b->way[WAY_OUT].bytes, b->way[WAY_OUT].packets, bytes,
		    packets);
		break;
	case FMT_JSON:
		if (first) {
			printf("{\"host\":");
			json_string(host);
			printf(",\"accounts\":[");
		} else
			putchar(',');
		printf("{\"account\":");
		json_string(b->a->name);
		printf(",\"start\":%" PRId64 ",\"end\":%" PRId64
		    ",\"in_bytes\":%" PRIu64 ",\"in_packets\":%" PRIu64
		    ",\"out_bytes\":%" PRIu64 ",\"out_packets\":%" PRIu64
		    ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64
		    ",\"rules\":[", b->start, b->end, b->way[WAY_IN].bytes,
		    b->way[WAY_IN].packets, b->way[WAY_OUT].bytes,
		    b->way[WAY_OUT].packets, bytes, packets);
		for (i = 0; i < b->nrules; i++) {
			printf("%s{\"rule\":", i ? "," : "");
			json_string(b->rules[i].name);
			printf(",\"way\":\"%s\",\"bytes\":%" PRIu64
			    ",\"packets\":%" PRIu64 "}",
			    way[account_way(b->a, b->rules[i].name)],
			    b->rules[i].bytes, b->rules[i].packets);
		}
		printf("],\"logins\":[");
		for (i = 0; i < b->nlogins; i++) {
			const struct login_sum *l = &b->logins[i];

			printf("%s{\"login\":", i ? "," : "");
			json_string(l->login);
			printf(",\"sessions\":%zu,\"rx_bytes\":%" PRIu64
			    ",\"rx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
			    ",\"tx_packets\":%" PRIu64 "}", l->sessions, l->tr[0],
			    l->tr[1], l->tr[2], l->tr[3]);
		}
		printf("]}%s", last ? "]}\n" : "");
		break;
	default:
		printf("%sAccount %s, cycle %s to %s\n", first ? "" : "\n",
		    b->a->name, fmt_time(b->start), fmt_time(b->end));
		for (i = 0; i < b->nrules; i++)
			printf("  %-48s: %15s\n", b->rules[i].name,
			    human(b->rules[i].bytes, o->si, o->exact));
		for (i = 0; i < b->nlogins; i++) {
			char label[80];

			snprintf(label, sizeof(label), "login %.40s (in)",
			    b->logins[i].login);
			printf("  %-48s: %15s\n", label,
			    human(b->logins[i].tr[0], o->si, o->exact));
			snprintf(label, sizeof(label), "login %.40s (out)",
			    b->logins[i].login);
			printf("  %-48s: %15s\n", label,
			    human(b->logins[i].tr[2], o->si, o->exact));
		}
		printf("  %-48s: %15s\n", "(in)",
		    human(b->way[WAY_IN].bytes, o->si, o->exact));
		printf("  %-48s: %15s\n", "(out)",
		    human(b->way[WAY_OUT].bytes, o->si, o->exact));
		printf("  %-48s: %15s\n", "(total)", human(bytes, o->si,
		    o->exact));
		break;
	}
}

/* The range of -s, -e and -t; 0, or -1 (reported). */
static int
range_of(const struct opts *o, int64_t now, int64_t *from, int64_t *to)
{
	*from = 0;
	*to = now;
	if (o->frame && frame_parse(o->frame, now, o->week_start, from,
	    to) < 0) {
		log_error("-t '%s': not a time frame (today, last month, the "
		    "day 3 days ago, ...)", o->frame);
		return -1;
	}
	if (o->start && time_parse(o->start, now, from) < 0) {
		log_error("-s '%s': not a time (YYYYMMDD[hh[mm[ss]]], "
		    "2026-12-01T10:00, 1D2h, ever)", o->start);
		return -1;
	}
	if (o->end && time_parse(o->end, now, to) < 0) {
		log_error("-e '%s': not a time (YYYYMMDD[hh[mm[ss]]], "
		    "2026-12-01T10:00, 1D2h, now)", o->end);
		return -1;
	}
	/* Nothing is stored after now: say so where a time asks for it. */
	if (o->start && *from > now) {
		log_error("-s '%s' (%s) is in the future: nothing is stored "
		    "after now (%s)", o->start, fmt_time(*from),
		    fmt_time(now));
		return -1;
	}
	if (*to > now) {
		if (o->end)
			log_warnx("-e '%s' (%s) is in the future: the range "
			    "ends now (%s)", o->end, fmt_time(*to),
			    fmt_time(now));
		*to = now;
	}
	if (*from > *to) {
		log_error("the range ends (%s) before it starts (%s)",
		    fmt_time(*to), fmt_time(*from));
		return -1;
	}
	return 0;
}

/*
 * -r: the samples of the range replaced by their sums per rule and hour,
 * in one transaction, for this host only.  Prints nothing but errors.
 */
static int
replace(const struct settings *set, const struct opts *o)
{
	struct store *st;
	struct host_state h;
	char *user_zone = system_zone();
	int64_t now = acct_now(), from, to, before, after;
	int ex = EX_CONFIG;

	zone_use(user_zone);
	if (range_of(o, now, &from, &to) < 0)
		goto out;
	ex = EX_STORE;
	if ((st = store_open_host(set->store, STORE_RW, set->busy_ms,
	    set->host, &h)) == NULL)
		goto out;
	zone_use(store_zone(st));
	if (store_begin(st) == 0 &&
	    compact_samples(st, &h, from, to, &before, &after) == 0 &&
	    store_commit(st) == 0) {
		log_info("%" PRId64 " samples of host %s replaced by %" PRId64,
		    before, set->host, after);
		ex = EX_OK;
	}
	store_close(st);
out:
	free(user_zone);
	return ex;
}

/* A session of iplogin that began in the bill's cycle, of its logins. */
static int
bill_session(void *ctx, const struct session_rec *r)
{
	struct bill *b = ctx;
	struct login_sum *l = NULL;
	size_t i;

	if (r->login < b->start || r->login >= b->end ||
	    !account_has_login(b->a, r->account))
		return 0;
	for (i = 0; i < b->nlogins; i++)
		if (strcmp(b->logins[i].login, r->account) == 0)
			l = &b->logins[i];
	if (l == NULL) {
		b->logins = xrealloc(b->logins, b->nlogins + 1,
		    sizeof(*b->logins));
		l = &b->logins[b->nlogins++];
		memset(l, 0, sizeof(*l));
		l->login = xstrdup(r->account);
	}
	l->sessions++;
	l->tr[0] = sat_add(l->tr[0], r->rx_bytes);
	l->tr[1] = sat_add(l->tr[1], r->rx_packets);
	l->tr[2] = sat_add(l->tr[2], r->tx_bytes);
	l->tr[3] = sat_add(l->tr[3], r->tx_packets);
	/* Traffic to the client is its download: in. */
	b->way[WAY_IN].bytes = sat_add(b->way[WAY_IN].bytes, r->rx_bytes);
	b->way[WAY_IN].packets = sat_add(b->way[WAY_IN].packets,
	    r->rx_packets);
	b->way[WAY_OUT].bytes = sat_add(b->way[WAY_OUT].bytes, r->tx_bytes);
	b->way[WAY_OUT].packets = sat_add(b->way[WAY_OUT].packets,
	    r->tx_packets);
	return 0;
}

/*
 * --billing: what each account counted in its billing cycle, from the
 * names it is made of.  One output, or one file per account (--split).
 */
static int
billing(const struct settings *set, const struct opts *o)
{
	struct store *st = NULL;
	struct host_state h;
	struct rule_state *rules = NULL;
	struct bill *bills = NULL;
	char *user_zone = system_zone();
	int64_t now = acct_now();
	size_t nrules = 0, nb = 0, i, j;
	int ex = EX_CONFIG, rc;

	zone_use(user_zone);
	if (set->naccounts == 0) {
		log_error("%s: no accounts ([account NAME] sections)",
		    set->file ? set->file : settings_path());
		goto out;
	}
	bills = xcalloc(set->naccounts, sizeof(*bills));
	for (i = 0; i < set->naccounts; i++) {
		const struct account *a = &set->accounts[i];

		if (o->account && strcmp(o->account, a->name) != 0)
			continue;
		if (cycle_named(o->billing, now, a->cycle_day,
		    &bills[nb].start, &bills[nb].end) < 0) {
			log_error("--billing '%s': current, last or YYYY-MM",
			    o->billing);
			goto out;
		}
		bills[nb++].a = a;
	}
	if (nb == 0) {
		log_error("--account '%s': no such account", o->account);
		goto out;
	}
	ex = EX_STORE;
	if ((st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL)
		goto out;
	if (store_rules(st, h.id, &rules, &nrules) < 0)
		goto out;
	for (i = 0; i < nb; i++) {
		struct bill *b = &bills[i];
		struct sums sums = { 0 };
		int64_t end = b->end < now ? b->end : now;

		zone_use(store_zone(st));
		rc = range_sums(st, &h, b->start, end, &sums, NULL);
		zone_use(user_zone);
		if (rc < 0) {
			sums_free(&sums);
			goto out;
		}
		b->rules = xcalloc(nrules ? nrules : 1, sizeof(*b->rules));
		for (j = 0; j < nrules; j++) {
			const struct sum *s = sums_get(&sums, rules[j].id);
			int w = account_way(b->a, rules[j].name);

			if (w < 0)
				continue;
			b->rules[b->nrules].name = rules[j].name;
			b->rules[b->nrules].bytes = s ? s->bytes : 0;
			b->rules[b->nrules].packets = s ? s->packets : 0;
			b->way[w].bytes = sat_add(b->way[w].bytes,
			    b->rules[b->nrules].bytes);
			b->way[w].packets = sat_add(b->way[w].packets,
			    b->rules[b->nrules].packets);
			b->nrules++;
		}
		sums_free(&sums);
		if (b->a->npat[PAT_LOGINS] && store_sessions(st, h.id,
		    b->start, end, bill_session, b) < 0)
			goto out;
	}
	ex = EX_OK;
	/* As --graphs and --html do: the folder is made when missing. */
	if (o->split && mkdir_p(o->split, 0755) < 0) {
		log_error("--split %s: %s", o->split, strerror(errno));
		ex = EX_CONFIG;
	}
	for (i = 0; i < nb && ex == EX_OK; i++) {
		if (o->split) {
			struct strbuf path;

			sb_init(&path);
			sb_printf(&path, "%s/%s.%s", o->split,
			    bills[i].a->name, o->format == FMT_CSV ? "csv" :
			    o->format == FMT_JSON ? "json" : o->format ==
			    FMT_TRAFFIC ? "traffic" : "txt");
			if (output_begin(path.buf) < 0)
				ex = EX_CONFIG;
			sb_free(&path);
			if (ex != EX_OK)
				break;
		}
		if (o->format == FMT_CSV && (o->split || i == 0))
			print_bill_csv_head();
		print_bill(o, set->host, &bills[i], o->split || i == 0,
		    o->split || i == nb - 1);
		if (o->split)
			ex = output_end(ex);
	}
out:
	for (i = 0; bills && i < nb; i++) {
		free(bills[i].rules);
		for (j = 0; j < bills[i].nlogins; j++)
			free(bills[i].logins[j].login);
		free(bills[i].logins);
	}
	free(bills);
	rules_free(rules, nrules);
	store_close(st);
	free(user_zone);
	return ex;
}

/* The host's folder of RRD files; free() it. */
static char *
rrd_host_dir(const struct settings *set, const struct opts *o)
{
	char *base = o->rrd_dir ? xstrdup(o->rrd_dir) : settings_rrd_dir(set);
	char *host = name_file(set->host, "");
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s/%s", base, host);
	free(base);
	free(host);
	return sb.buf;
}

/* A breakdown fine enough for a graph of [from, to), about 100 to 600 steps. */
static const char *
graph_unit(int64_t from, int64_t to)
{
	int64_t span = to - from;

	return span <= 2 * 86400 ? "5m" : span <= 7 * 86400 ? "30m" :
	    span <= 62 * 86400 ? "day" : span <= 3 * 366 * 86400 ? "week" :
	    "month";
}

/* --graphs and --html: an image per name, and the page. */
static int
draw(const struct settings *set, const struct opts *o, struct store *st,
    const struct host_state *h, int64_t now, int64_t from, int64_t to,
    const struct series *se, const struct line *v, size_t n)
{
	struct plot p = {
		.host = set->host, .from = from, .to = to,
		.format = o->image, .width = o->width, .height = o->height,
		.dir = o->html ? o->html : o->graphs, .se = se,
	};
	char *rrd = NULL;
	int rc;

	if (mkdir_p(p.dir, 0755) < 0)
		return EX_CONFIG;
	if (o->plotter == PLOT_RRD) {
		p.rrd_dir = rrd = rrd_host_dir(set, o);
		rc = rrd_update_lines(st, h, rrd, v, n);
		if (rc == 0)
			rc = rrd_graph_lines(&p, v, n);
	} else
		rc = gnuplot_lines(&p, v, n);
	if (rc == 0 && o->html)
		rc = html_report(&p, now, v, n, o->si);
	free(rrd);
	return rc == 0 ? EX_OK : EX_CONFIG;
}

/* The names -f (a regular expression) and --glob select. */
struct name_filter {
	regex_t		re;
	bool		has_re;
	const char	*glob;
};

/* 0, or -1 (reported) when -f is not a regular expression. */
static int
name_filter_init(struct name_filter *f, const struct opts *o)
{
	int rc;

	f->has_re = false;
	f->glob = o->glob;
	if (o->regex == NULL)
		return 0;
	if ((rc = regcomp(&f->re, o->regex, REG_EXTENDED | REG_NOSUB))) {
		char err[256];

		regerror(rc, &f->re, err, sizeof(err));
		log_error("-f '%s': %s", o->regex, err);
		return -1;
	}
	f->has_re = true;
	return 0;
}

static bool
name_filter_has(const struct name_filter *f, const char *name)
{
	return (!f->has_re || regexec(&f->re, name, 0, NULL, 0) == 0) &&
	    (f->glob == NULL || fnmatch(f->glob, name, 0) == 0);
}

static void
name_filter_free(struct name_filter *f)
{
	if (f->has_re)
		regfree(&f->re);
	f->has_re = false;
}

/* --rrd-update: every name of the host (or those -f and --glob select). */
static int
rrd_update(const struct settings *set, const struct opts *o)
{
	struct store *st;
	struct host_state h;
	struct rule_state *rules = NULL;
	struct line *v = NULL;
	size_t nrules = 0, n = 0, i;
	struct name_filter nf;
	char *dir = NULL;
	int ex = EX_CONFIG;

	if (name_filter_init(&nf, o) < 0)
		return EX_CONFIG;
	if ((st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL) {
		ex = EX_STORE;
		goto out;
	}
	if (store_rules(st, h.id, &rules, &nrules) < 0) {
		ex = EX_STORE;
		goto out;
	}
	v = xcalloc(nrules ? nrules : 1, sizeof(*v));
	for (i = 0; i < nrules; i++) {
		if (!name_filter_has(&nf, rules[i].name))
			continue;
		v[n].name = rules[i].name;
		v[n++].rule_id = rules[i].id;
	}
	dir = rrd_host_dir(set, o);
	if (rrd_update_lines(st, &h, dir, v, n) == 0) {
		log_info("%zu RRD files of host %s in %s", n, set->host, dir);
		ex = EX_OK;
	}
out:
	free(dir);
	free(v);
	rules_free(rules, nrules);
	store_close(st);
	name_filter_free(&nf);
	return ex;
}

/* --sessions: the logins of the range, per account. */
static int
sessions(const struct settings *set, const struct opts *o)
{
	struct store *st;
	struct host_state h;
	char *user_zone = system_zone();
	int64_t now = acct_now(), from, to;
	int ex = EX_CONFIG;

	zone_use(user_zone);
	if (range_of(o, now, &from, &to) < 0)
		goto out;
	/* Up to now: also the logins of this very second. */
	if (o->end == NULL && o->frame == NULL)
		to = now + 1;
	ex = EX_STORE;
	if ((st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL)
		goto out;
	if (sessions_report(st, &h, set->host, now, from, to, o->format,
	    o->si, o->exact) == 0)
		ex = EX_OK;
	store_close(st);
out:
	free(user_zone);
	return ex;
}

static int
summary(const struct settings *set, const struct opts *o)
{
	struct store *st = NULL;
	struct host_state h;
	struct rule_state *rules = NULL;
	struct sums sums = { 0 };
	struct line *v = NULL;
	struct run before, first;
	bool has_before, has_first = false;
	struct series se = { 0 };
	struct name_filter nf = { .has_re = false };
	char *user_zone = system_zone();
	int64_t now = acct_now(), from = 0, to = now, t;
	const char *unit;
	size_t nrules = 0, n = 0, i;
	int ex = EX_CONFIG, rc;

	zone_use(user_zone);
	if (range_of(o, now, &from, &to) < 0)
		goto out;
	if (o->graph && o->interval == NULL && o->format == FMT_TEXT) {
		log_error("-g draws one bar per interval: give --interval");
		goto out;
	}
	if (name_filter_init(&nf, o) < 0)
		goto out;
	ex = EX_STORE;
	if ((st = store_open_host(set->store, STORE_RO, set->busy_ms,
	    set->host, &h)) == NULL)
		goto out;
	unit = o->interval ? o->interval : (o->graphs || o->html) &&
	    o->plotter == PLOT_GNUPLOT ? graph_unit(from, to) : NULL;
	rc = 0;
	if (unit == NULL) {
		zone_use(store_zone(st));
		rc = range_sums(st, &h, from, to, &sums, NULL);
		zone_use(user_zone);
	}
	/* Without a start, the data starts with the first run. */
	if (rc == 0 && o->start == NULL && o->frame == NULL)
		rc = store_run_around(st, h.id, INT64_MIN, INT64_MIN, &before,
		    &has_before, &first, &has_first);
	if (rc == 0 && has_first && first.t0 > from)
		from = first.t0;
	if (rc == 0 && unit) {
		zone_use(user_zone);
		if (make_series(unit, o->week_start, from, to, &se) < 0) {
			log_error("--interval '%s': 5m, 15m, 1h ... (dividing a "
			    "day), hour, day, week, month or year", o->interval);
			ex = EX_CONFIG;
			goto out;
		}
		zone_use(store_zone(st));
		rc = series_sums(st, &h, se.b, se.n, se.sums, NULL);
		zone_use(user_zone);
		/* The intervals make up the range: their sum is its total. */
		for (i = 0; rc == 0 && i < se.n; i++)
			sums_merge(&sums, &se.sums[i]);
	}
	if (rc == 0)
		rc = store_rules(st, h.id, &rules, &nrules);
	if (rc < 0)
		goto out;

	v = xcalloc(nrules ? nrules : 1, sizeof(*v));
	for (i = 0; i < nrules; i++) {
		const struct sum *s = sums_get(&sums, rules[i].id);

		/* Names seen in the range, and those counting now. */
		if (s == NULL && !rules[i].in_kernel)
			continue;
		if (!name_filter_has(&nf, rules[i].name))
			continue;
		t = s ? (int64_t)(s->bytes | s->packets) : 0;
		if (o->omit_zero && t == 0)
			continue;
		v[n].name = rules[i].name;
		v[n].rule_id = rules[i].id;
		v[n].bytes = s ? s->bytes : 0;
		v[n].packets = s ? s->packets : 0;
		n++;
	}
	if (o->p95 && n) {
		/* The rates need the samples and the runs. */
		int64_t *ids = xcalloc(n, sizeof(*ids));
		double *p = xcalloc(n, sizeof(*p));
		size_t nruns;

		for (i = 0; i < n; i++)
			ids[i] = v[i].rule_id;
		rc = range_p95(st, &h, from, to, ids, n, p, &nruns);
		for (i = 0; i < n; i++)
			v[i].p95 = p[i];
		free(ids);
		free(p);
		if (rc < 0)
			goto out;
		if (set->keep[RES_SAMPLE] >= 0 &&
		    from < now - set->keep[RES_SAMPLE])
			log_warnx("95th percentile from the samples kept (%s "
			    "on), over %zu runs", fmt_time(now -
			    set->keep[RES_SAMPLE]), nruns);
	}
	sort_key = o->sort;
	qsort(v, n, sizeof(*v), line_cmp);
	if (o->top > 0 && (size_t)o->top < n)
		n = (size_t)o->top;
	if (o->graphs || o->html)
		ex = draw(set, o, st, &h, now, from, to, &se, v, n);
	else if (o->interval) {
		print_series(o, set->host, now, from, to, &se, v, n);
		ex = EX_OK;
	} else {
		print(o, set->host, now, from, to, v, n);
		ex = EX_OK;
	}
out:
	store_close(st);
	series_free(&se);
	name_filter_free(&nf);
	free(v);
	rules_free(rules, nrules);
	sums_free(&sums);
	free(user_zone);
	return ex;
}

/*
 * -o FILE: the output goes to a temporary file beside FILE, which takes
 * FILE's place only when all of it was written, so a reader (a web
 * panel, Prometheus' textfile collector) never sees half a file.
 */
static char *out_path, *out_tmp;

static int
output_begin(const char *path)
{
	struct strbuf sb;
	int fd;

	sb_init(&sb);
	sb_printf(&sb, "%s.XXXXXX", path);
	if ((fd = mkstemp(sb.buf)) < 0) {
		/* Named as the user wrote it, not as the temporary file. */
		log_error("%s: %s", path, strerror(errno));
		sb_free(&sb);
		return -1;
	}
	fchmod(fd, 0644);
	if (dup2(fd, 1) < 0) {
		log_error("%s: %s", sb.buf, strerror(errno));
		close(fd);
		unlink(sb.buf);
		sb_free(&sb);
		return -1;
	}
	close(fd);
	out_path = xstrdup(path);
	out_tmp = sb.buf;
	return 0;
}

static int
output_end(int ex)
{
	if (fflush(stdout) == EOF || ferror(stdout) || fsync(1) < 0) {
		log_error("%s: %s", out_tmp, strerror(errno ? errno : EIO));
		ex = ex ? ex : EX_CONFIG;
	}
	if (ex == EX_OK && rename(out_tmp, out_path) < 0) {
		log_error("%s: %s", out_path, strerror(errno));
		ex = EX_CONFIG;
	}
	if (ex != EX_OK)
		unlink(out_tmp);
	free(out_tmp);
	free(out_path);
	return ex;
}

static int
run(int argc, char *argv[])
{
	enum { OPT_FORMAT = 256, OPT_SORT, OPT_TOP, OPT_SI, OPT_GLOB,
		OPT_INTERVAL, OPT_P95, OPT_BILLING, OPT_ACCOUNT, OPT_SPLIT,
		OPT_RRD_UPDATE, OPT_RRD_DIR, OPT_GRAPHS, OPT_PNG, OPT_HTML,
		OPT_IMAGE, OPT_PLOTTER, OPT_WIDTH, OPT_HEIGHT, OPT_SESSIONS };
	static const struct option longopts[] = {
		{ "settings",		required_argument, NULL, 'C' },
		{ "store",		required_argument, NULL, 'd' },
		{ "hostname",		required_argument, NULL, 'H' },
		{ "host",		required_argument, NULL, 'H' },
		{ "starttime",		required_argument, NULL, 's' },
		{ "endtime",		required_argument, NULL, 'e' },
		{ "timeframe",		required_argument, NULL, 't' },
		{ "filter",		required_argument, NULL, 'f' },
		{ "glob",		required_argument, NULL, OPT_GLOB },
		{ "exact",		no_argument,	   NULL, 'x' },
		{ "omit-zero-lines",	no_argument,	   NULL, 'z' },
		{ "format",		required_argument, NULL, OPT_FORMAT },
		{ "sort",		required_argument, NULL, OPT_SORT },
		{ "top",		required_argument, NULL, OPT_TOP },
		{ "si",			no_argument,	   NULL, OPT_SI },
		{ "interval",		required_argument, NULL, OPT_INTERVAL },
		{ "graph",		no_argument,	   NULL, 'g' },
		{ "replace",		no_argument,	   NULL, 'r' },
		{ "output",		required_argument, NULL, 'o' },
		{ "p95",		no_argument,	   NULL, OPT_P95 },
		{ "billing",		required_argument, NULL, OPT_BILLING },
		{ "account",		required_argument, NULL, OPT_ACCOUNT },
		{ "split",		required_argument, NULL, OPT_SPLIT },
		{ "rrd-update",		no_argument,	   NULL, OPT_RRD_UPDATE },
		{ "rrd-dir",		required_argument, NULL, OPT_RRD_DIR },
		{ "graphs",		required_argument, NULL, OPT_GRAPHS },
		{ "png",		required_argument, NULL, OPT_PNG },
		{ "html",		required_argument, NULL, OPT_HTML },
		{ "image",		required_argument, NULL, OPT_IMAGE },
		{ "plotter",		required_argument, NULL, OPT_PLOTTER },
		{ "width",		required_argument, NULL, OPT_WIDTH },
		{ "png-width",		required_argument, NULL, OPT_WIDTH },
		{ "height",		required_argument, NULL, OPT_HEIGHT },
		{ "png-height",		required_argument, NULL, OPT_HEIGHT },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "sessions",		no_argument,	   NULL, OPT_SESSIONS },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .week_start = 1, .width = 720, .height = 260 };
	const char *setfile = NULL, *store = NULL, *host = NULL;
	struct settings set;
	char *end;
	int ch, ex;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:d:e:f:ghH:i:o:qrs:t:vVxz", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			setfile = optarg;
			break;
		case 'd':
			store = optarg;
			break;
		case 'e':
			o.end = optarg;
			break;
		case 'f':
			o.regex = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 's':
			o.start = optarg;
			break;
		case 't':
			o.frame = optarg;
			break;
		case 'v':
			log_verbose++;
			break;
		case 'q':
			log_mute(true);
			break;
		case 'V':
			printf("ipacsum %s\n", IPAC_VERSION);
			return EX_OK;
		case 'x':
			o.exact = true;
			break;
		case 'z':
			o.omit_zero = true;
			break;
		case OPT_GLOB:
			o.glob = optarg;
			break;
		case 'g':
			o.graph = true;
			break;
		case 'r':
			o.replace = true;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_P95:
			o.p95 = true;
			break;
		case OPT_BILLING:
			o.billing = optarg;
			break;
		case OPT_ACCOUNT:
			o.account = optarg;
			break;
		case OPT_SPLIT:
			o.split = optarg;
			break;
		case OPT_RRD_UPDATE:
			o.rrd_update = true;
			break;
		case OPT_SESSIONS:
			o.sessions = true;
			break;
		case OPT_RRD_DIR:
			o.rrd_dir = optarg;
			break;
		case OPT_PNG:
			o.image = IMG_PNG;
			/* FALLTHROUGH */
		case OPT_GRAPHS:
			o.graphs = optarg;
			break;
		case OPT_HTML:
			o.html = optarg;
			break;
		case OPT_IMAGE:
			/* In the order of IMG_*. */
			if ((o.image = word_index(optarg, (const char *[]){
			    "png", "svg", NULL })) < 0) {
				log_error("--image '%s': png or svg", optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_PLOTTER:
			/* In the order of PLOT_*. */
			if ((o.plotter = word_index(optarg, (const char *[]){
			    "rrd", "gnuplot", NULL })) < 0) {
				log_error("--plotter '%s': rrd or gnuplot",
				    optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_WIDTH:
		case OPT_HEIGHT: {
			long px;

			errno = 0;
			px = strtol(optarg, &end, 10);
			if (errno || *end || px < 100 || px > 10000) {
				log_error("--%s '%s': pixels, 100 to 10000",
				    ch == OPT_WIDTH ? "width" : "height",
				    optarg);
				return EX_CONFIG;
			}
			*(ch == OPT_WIDTH ? &o.width : &o.height) = (int)px;
			break;
		}
		case 'i':
		case OPT_INTERVAL:
			o.interval = optarg;
			break;
		case OPT_FORMAT:
			/* In the order of FMT_*. */
			if ((o.format = word_index(optarg, (const char *[]){
			    "text", "csv", "json", "prometheus", "traffic",
			    NULL })) < 0) {
				log_error("--format '%s': text, csv, json, "
				    "prometheus or traffic", optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_SORT:
			/* In the order of SORT_*. */
			if ((o.sort = word_index(optarg, (const char *[]){
			    "name", "bytes", "packets", NULL })) < 0) {
				log_error("--sort '%s': name, bytes or packets",
				    optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_TOP:
			errno = 0;
			o.top = strtol(optarg, &end, 10);
			if (errno || *end || o.top < 1) {
				log_error("--top '%s': a number from 1", optarg);
				return EX_CONFIG;
			}
			break;
		case OPT_SI:
			o.si = true;
			break;
		case 'h':
			usage(EX_OK);
		default:
			usage(EX_CONFIG);
		}
	}
	if (optind != argc)
		usage(EX_CONFIG);
	if (o.frame && (o.start || o.end)) {
		log_error("-t excludes -s and -e");
		return EX_CONFIG;
	}
	if (o.replace && (!(o.start || o.frame) || o.billing || o.interval ||
	    o.p95 || o.output)) {
		log_error("-r replaces the samples of a range: give -s (and -e) "
		    "or -t, and nothing to print");
		return EX_CONFIG;
	}
	if (o.billing && (o.interval || o.p95 || o.start || o.end ||
	    o.frame || o.format == FMT_PROM)) {
		log_error("--billing takes its range from the accounts' cycles; "
		    "not with -s, -e, -t, --interval, --p95 or prometheus");
		return EX_CONFIG;
	}
	if (o.format == FMT_TRAFFIC && !o.billing) {
		log_error("--format traffic goes with --billing");
		return EX_CONFIG;
	}
	if ((o.split || o.account) && !o.billing) {
		log_error("--split and --account go with --billing");
		return EX_CONFIG;
	}
	if (o.split && o.output) {
		log_error("--split and -o exclude each other");
		return EX_CONFIG;
	}
	if (o.p95 && (o.interval || o.format == FMT_PROM)) {
		log_error("--p95 goes with a total, in text, CSV or JSON");
		return EX_CONFIG;
	}
	if ((o.graphs || o.html || o.rrd_update) && (o.replace || o.billing ||
	    o.output || o.graph || o.p95 || o.format != FMT_TEXT)) {
		log_error("--graphs, --html and --rrd-update write files of "
		    "their own: not with -r, --billing, -o, -g, --p95 or "
		    "--format");
		return EX_CONFIG;
	}
	if (o.graphs && o.html) {
		log_error("--html puts its images beside the page: not with "
		    "--graphs");
		return EX_CONFIG;
	}
	if (o.rrd_update && (o.graphs || o.html || o.start || o.end ||
	    o.frame || o.interval)) {
		log_error("--rrd-update feeds every run not yet fed: no range, "
		    "no --graphs or --html (which update the RRD files "
		    "themselves)");
		return EX_CONFIG;
	}
	if (o.interval && (o.graphs || o.html) && o.plotter == PLOT_RRD) {
		log_error("--interval: librrd chooses the steps of its graphs; "
		    "give --plotter gnuplot for steps of your choosing");
		return EX_CONFIG;
	}
	if (o.sessions && (o.replace || o.billing || o.interval || o.p95 ||
	    o.graphs || o.html || o.rrd_update || o.format == FMT_PROM ||
	    o.format == FMT_TRAFFIC || o.regex || o.glob)) {
		log_error("--sessions reports iplogin's sessions per account: "
		    "with a range, -o and --format text, csv or json only");
		return EX_CONFIG;
	}
	if (o.format == FMT_PROM && o.interval) {
		log_error("--format prometheus has no intervals");
		return EX_CONFIG;
	}
	if (settings_for(setfile, store, host, &set) < 0)
		return EX_CONFIG;
	if (o.output && output_begin(o.output) < 0) {
		settings_free(&set);
		return EX_CONFIG;
	}
	ex = o.replace ? replace(&set, &o) : o.billing ? billing(&set, &o) :
	    o.rrd_update ? rrd_update(&set, &o) : o.sessions ?
	    sessions(&set, &o) : summary(&set, &o);
	settings_free(&set);
	if (o.output)
		ex = output_end(ex);
	return ex;
}

int
main(int argc, char *argv[])
{
	return stdout_status(run(argc, argv));
}
