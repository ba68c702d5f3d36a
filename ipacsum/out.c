/*
 * ipacsum's output helpers: numbers and times as people read them, CSV
 * fields, JSON strings and Prometheus labels quoted, files written whole
 * (-o and the images' files), shared by every report.
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

/*
 * The title of name l's graph: the name, its total in the units of the
 * tables and the range, "down: 258K, 2026/03/29 00:00:00 CET to
 * 2026/03/30 00:00:00 CEST".
 */
const char *
graph_title(const struct plot *p, const struct chart *c, char *buf,
    size_t len)
{
	uint64_t bytes = 0;
	size_t i, k;

	for (k = 0; k < c->nlayers; k++)
		for (i = 0; i < c->layer[k].nidx; i++)
			bytes = sat_add(bytes, c->v[c->layer[k].idx[i]].bytes);
	snprintf(buf, len, "%s: %sB, %s", c->name ? c->name : "all names",
	    human(bytes, p->si, false), fmt_time(p->from));
	snprintf(buf + strlen(buf), len - strlen(buf), " to %s",
	    fmt_time(p->to));
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
char *
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
void
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

/*
 * -o FILE: the output goes to a temporary file beside FILE, which takes
 * FILE's place only when all of it was written, so a reader (a web
 * panel, Prometheus' textfile collector) never sees half a file.
 */
static char *out_path, *out_tmp;

int
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

int
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
