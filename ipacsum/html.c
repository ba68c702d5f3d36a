/*
 * The HTML report: one static page (index.html) with the range's totals
 * and an image per name, readable without scripts or a server.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ipacsum.h"

static void
html_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			sb_puts(sb, "&amp;");
			break;
		case '<':
			sb_puts(sb, "&lt;");
			break;
		case '>':
			sb_puts(sb, "&gt;");
			break;
		case '"':
			sb_puts(sb, "&quot;");
			break;
		case '\'':
			sb_puts(sb, "&#39;");
			break;
		default:
			sb_add(sb, s, 1);
		}
	}
}

/* An image's file name as a relative URL: its '%' escapes escaped. */
static void
html_src(struct strbuf *sb, const char *file)
{
	for (; *file; file++) {
		if (*file == '%')
			sb_puts(sb, "%25");
		else
			sb_add(sb, file, 1);
	}
}

/* 1234567 as "1 234 567", with narrow no-break spaces. */
static void
grouped(struct strbuf *sb, uint64_t v)
{
	char d[24];
	size_t len, i;

	snprintf(d, sizeof(d), "%" PRIu64, v);
	len = strlen(d);
	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			sb_puts(sb, "\xe2\x80\xaf");
		sb_add(sb, d + i, 1);
	}
}

/* A byte count: exact in data-bytes, in units for people. */
static void
bytes_cell(struct strbuf *sb, uint64_t b, bool si)
{
	sb_printf(sb, "<td class=\"n\" data-bytes=\"%" PRIu64 "\">%s</td>",
	    b, human(b, si, false));
}

/*
 * The accounts of ipac-settings.conf over the range: what their "in"
 * and "out" names counted side by side, their other names ("rules"),
 * and the sum.
 */
static void
accounts_table(struct strbuf *sb, const struct plot *p, const struct line *v,
    size_t n, bool si)
{
	size_t a, i;

	sb_puts(sb, "<h2>Accounts</h2>\n<div class=\"wrap\"><table "
	    "class=\"accounts\" id=\"accounts\">\n<thead><tr><th>Account"
	    "</th><th>In</th><th>Out</th><th>Other</th><th>Total</th></tr>"
	    "</thead>\n<tbody>\n");
	for (a = 0; a < p->naccounts; a++) {
		const struct account *ac = &p->accounts[a];
		uint64_t way[WAY_MAX] = { 0 }, total = 0;
		int w;

		for (i = 0; i < n; i++)
			if ((w = account_way(ac, v[i].name)) >= 0)
				way[w] = sat_add(way[w], v[i].bytes);
		for (w = 0; w < WAY_MAX; w++)
			total = sat_add(total, way[w]);
		sb_puts(sb, "<tr><td>");
		html_text(sb, ac->name);
		sb_puts(sb, "</td>");
		bytes_cell(sb, way[WAY_IN], si);
		bytes_cell(sb, way[WAY_OUT], si);
		bytes_cell(sb, way[WAY_ANY], si);
		bytes_cell(sb, total, si);
		sb_puts(sb, "</tr>\n");
	}
	sb_puts(sb, "</tbody>\n</table></div>\n");
	/* Each account's graph: in and out in two colours. */
	for (a = 0; a < p->naccounts; a++) {
		struct chart c;
		char *file;

		if (!chart_account(&c, &p->accounts[a], v, n))
			continue;
		chart_free(&c);
		file = account_file(&p->accounts[a]);
		sb_puts(sb, "<figure><img src=\"");
		html_src(sb, file);
		sb_printf(sb, "%s\" width=\"%d\" height=\"%d\" alt=\""
		    "Traffic of account ", p->format == IMG_SVG ? ".svg" :
		    ".png", p->width, p->height);
		html_text(sb, p->accounts[a].name);
		sb_puts(sb, ", in and out, in bits per second\"></figure>\n");
		free(file);
	}
}

/* iplogin's sessions whose login is in the range, per account. */
static void
sessions_table(struct strbuf *sb, const struct acct_sums *ss, bool si)
{
	size_t i;
	char t[32];

	sb_puts(sb, "<h2>Sessions</h2>\n<div class=\"wrap\"><table "
	    "class=\"sessions\" id=\"sessions\">\n<thead><tr><th>Login"
	    "</th><th>Sessions</th><th>Time</th><th>In</th><th>Out</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < ss->n; i++) {
		const struct acct_sum *a = &ss->v[i];

		sb_puts(sb, "<tr><td>");
		html_text(sb, a->account);
		sb_printf(sb, "</td><td class=\"n\">%zu</td><td class=\"n\" "
		    "data-seconds=\"%" PRId64 "\">%s</td>", a->sessions,
		    a->seconds, hms(a->seconds, t));
		bytes_cell(sb, a->tr[0], si);
		bytes_cell(sb, a->tr[2], si);
		sb_puts(sb, "</tr>\n");
	}
	sb_puts(sb, "</tbody>\n</table></div>\n");
}

/* The label of period i: its hour, day or month, local time. */
static void
period_label(struct strbuf *sb, const struct series *se, size_t i)
{
	time_t tt = (time_t)se->b[i];
	struct tm tm;
	char buf[64], iso[32];
	const char *f = strcmp(se->unit, "hour") == 0 ? "%H:%M" :
	    strcmp(se->unit, "day") == 0 ? "%a %Y-%m-%d" : "%B %Y";

	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), f, &tm);
	sb_printf(sb, "<time datetime=\"%s\">%s</time>", iso_utc(se->b[i], iso),
	    buf);
}

#define PERIOD_NAMES	5	/* the top talkers with a column each */

/*
 * The range by hours, days or months: a row a period with the top
 * talkers and the total of all names of the page.
 */
static void
periods_table(struct strbuf *sb, const struct plot *p, const struct line *v,
    size_t n, const size_t *top, bool si)
{
	const struct series *se = p->periods;
	size_t cols = n < PERIOD_NAMES ? n : PERIOD_NAMES, i, k;

	sb_printf(sb, "<h2>By %s</h2>\n<div class=\"wrap\">"
	    "<table class=\"periods\" "
	    "id=\"periods\">\n<thead><tr><th>%s</th>", se->unit,
	    strcmp(se->unit, "hour") == 0 ? "Hour" :
	    strcmp(se->unit, "day") == 0 ? "Day" : "Month");
	for (k = 0; k < cols; k++) {
		sb_puts(sb, "<th>");
		html_text(sb, v[top[k]].name);
		sb_puts(sb, "</th>");
	}
	sb_puts(sb, "<th>Total</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < se->n; i++) {
		uint64_t total = 0;

		for (k = 0; k < n; k++)
			total = sat_add(total, cell(se, i, &v[k])->bytes);
		sb_puts(sb, "<tr><td>");
		period_label(sb, se, i);
		sb_puts(sb, "</td>");
		for (k = 0; k < cols; k++) {
			uint64_t b = cell(se, i, &v[top[k]])->bytes;

			sb_printf(sb, "<td class=\"n\" data-bytes=\"%" PRIu64
			    "\">%s</td>", b, human(b, si, false));
		}
		sb_printf(sb, "<td class=\"n t\" data-bytes=\"%" PRIu64 "\">%s"
		    "</td></tr>\n", total, human(total, si, false));
	}
	sb_puts(sb, "</tbody>\n</table></div>\n");
}

static const char style[] =
	"body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"DejaVu Sans\",sans-serif;color:#1d1d1f;background:#fafafa;"
	"margin:0 auto;max-width:62rem;padding:1.5rem}\n"
	"h1{font-size:1.6rem;margin:0 0 .8rem}h2{font-size:1.15rem;"
	"margin:2rem 0 .5rem}\n"
	"table{border-collapse:collapse;background:#fff;margin:.5rem 0 1rem;"
	"box-shadow:0 1px 2px #0002}\n"
	"th,td{padding:.35rem .8rem;text-align:left;border-bottom:1px solid "
	"#e5e5e5}\nthead th{background:#f0f0f3;font-weight:600}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}\ntd.h{color:#666}\n"
	"table.meta th{font-weight:600;background:none}\n"
	"a{color:#2a5db0;text-decoration:none}a:hover{text-decoration:"
	"underline}\n"
	"figure{margin:0;background:#fff;box-shadow:0 1px 2px #0002;"
	"display:inline-block;max-width:100%}\nimg{display:block;"
	"max-width:100%;height:auto}\n"
	"footer{margin-top:2.5rem;color:#888;font-size:.85rem}\n"
	"td.share{white-space:nowrap;min-width:7rem;color:#666}\n"
	".bar{display:inline-block;height:.7em;background:#3465a4;"
	"vertical-align:baseline}\n"
	"tfoot th,tfoot td{font-weight:600;border-bottom:none}\n"
	"td.t{font-weight:600}\n"
	".wrap{overflow-x:auto;max-width:100%}\n"
	"@media (max-width:40rem){body{padding:.8rem}th,td{padding:.3rem "
	".45rem}}\n";

/* A step of the graphs in words: "5 minutes", "2 hours", "1 day". */
static const char *
step_name(int64_t step)
{
	static char buf[32];

	if (step % 86400 == 0)
		snprintf(buf, sizeof(buf), "%" PRId64 " day%s", step / 86400,
		    step == 86400 ? "" : "s");
	else if (step % 3600 == 0)
		snprintf(buf, sizeof(buf), "%" PRId64 " hour%s", step / 3600,
		    step == 3600 ? "" : "s");
	else
		snprintf(buf, sizeof(buf), "%" PRId64 " minutes", step / 60);
	return buf;
}

int
html_report(const struct plot *p, int64_t now, const struct line *v,
    size_t n, bool si)
{
	const char *ext = p->format == IMG_SVG ? ".svg" : ".png";
	struct strbuf sb, path;
	char iso[32];
	uint64_t all_bytes = 0, all_packets = 0;
	size_t i, k, *top;
	int rc;

	sb_init(&sb);
	sb_puts(&sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"ipacsum " IPAC_VERSION
	    "\">\n<title>IP accounting of ");
	html_text(&sb, p->host);
	sb_printf(&sb, ", %s to ", fmt_time(p->from));
	sb_printf(&sb, "%s</title>\n<style>\n%s</style>\n</head>\n<body>\n",
	    fmt_time(p->to), style);
	sb_puts(&sb, "<h1>IP accounting of ");
	html_text(&sb, p->host);
	sb_puts(&sb, "</h1>\n<table class=\"meta\">\n<tr><th>Host</th><td>");
	html_text(&sb, p->host);
	sb_printf(&sb, "</td></tr>\n<tr><th>Created</th><td><time "
	    "datetime=\"%s\">%s</time></td></tr>\n", iso_utc(now, iso),
	    fmt_time(now));
	sb_printf(&sb, "<tr><th>Data from</th><td><time datetime=\"%s\">%s"
	    "</time></td></tr>\n", iso_utc(p->from, iso),
	    fmt_time(p->from));
	sb_printf(&sb, "<tr><th>Data to</th><td><time datetime=\"%s\">%s"
	    "</time></td></tr>\n<tr><th>Time zone</th><td id=\"zone\">",
	    iso_utc(p->to, iso), fmt_time(p->to));
	html_text(&sb, p->zone);
	sb_puts(&sb, " (all times of the page and its graphs)</td></tr>\n"
	    "</table>\n");
	/* All names in one graph, the top talkers stacked. */
	if (n > 0) {
		sb_puts(&sb, "<figure id=\"all\"><img src=\"");
		html_src(&sb, ALL_FILE);
		sb_printf(&sb, "%s\" width=\"%d\" height=\"%d\" alt=\""
		    "Traffic of all names in bits per second, the top talkers "
		    "stacked\"></figure>\n", ext, p->width, p->height);
	}

	/* Top talkers first, each with its share of the whole. */
	top = top_order(v, n);
	for (i = 0; i < n; i++) {
		all_bytes = sat_add(all_bytes, v[i].bytes);
		all_packets = sat_add(all_packets, v[i].packets);
	}
	sb_puts(&sb, "<div class=\"wrap\"><table class=\"totals\" "
	    "id=\"totals\">\n<thead><tr>"
	    "<th>Name</th><th>Bytes</th><th></th><th>Share</th>"
	    "<th>Packets</th></tr></thead>\n<tbody>\n");
	for (k = 0; k < n; k++) {
		double share;

		i = top[k];
		share = all_bytes ? 100.0 * (double)v[i].bytes /
		    (double)all_bytes : 0.0;
		sb_printf(&sb, "<tr><td><a href=\"#n%zu\">", i + 1);
		html_text(&sb, v[i].name);
		sb_printf(&sb, "</a></td><td class=\"n\" data-bytes=\"%" PRIu64
		    "\">", v[i].bytes);
		grouped(&sb, v[i].bytes);
		sb_printf(&sb, "</td><td class=\"n h\">%s</td>",
		    v[i].bytes >= 1024 ? human(v[i].bytes, si, false) : "");
		/* The bar: 4rem is the whole. */
		sb_printf(&sb, "<td class=\"share\"><span class=\"bar\" "
		    "style=\"width:%.2frem\"></span> %.1f%%</td>",
		    share / 25.0, share);
		sb_printf(&sb, "<td class=\"n\" data-packets=\"%" PRIu64 "\">",
		    v[i].packets);
		grouped(&sb, v[i].packets);
		sb_puts(&sb, "</td></tr>\n");
	}
	sb_printf(&sb, "</tbody>\n<tfoot><tr><th>Total</th><td class=\"n\" "
	    "id=\"total-bytes\" data-bytes=\"%" PRIu64 "\">", all_bytes);
	grouped(&sb, all_bytes);
	sb_printf(&sb, "</td><td class=\"n h\">%s</td><td></td>"
	    "<td class=\"n\" id=\"total-packets\" data-packets=\"%" PRIu64
	    "\">", all_bytes >= 1024 ? human(all_bytes, si, false) : "",
	    all_packets);
	grouped(&sb, all_packets);
	sb_puts(&sb, "</td></tr></tfoot>\n</table></div>\n");
	if (p->naccounts)
		accounts_table(&sb, p, v, n, si);
	if (p->sessions && p->sessions->n)
		sessions_table(&sb, p->sessions, si);
	if (p->periods && p->periods->n)
		periods_table(&sb, p, v, n, top, si);
	free(top);

	for (i = 0; i < n; i++) {
		char *file = name_file(v[i].name, ext);

		sb_printf(&sb, "<section id=\"n%zu\">\n<h2>", i + 1);
		html_text(&sb, v[i].name);
		sb_puts(&sb, "</h2>\n<figure><img src=\"");
		html_src(&sb, file);
		sb_printf(&sb, "\" width=\"%d\" height=\"%d\" alt=\"Traffic of ",
		    p->width, p->height);
		html_text(&sb, v[i].name);
		sb_puts(&sb, " in bits per second\"></figure>\n</section>\n");
		free(file);
	}
	sb_printf(&sb, "<footer>Made by ipacsum " IPAC_VERSION " on %s from "
	    "the ipac store. Bytes are IP total lengths. ", fmt_time(now));
	sb_printf(&sb, "The graphs show the average rate of each step of "
	    "%s.", p->step ? step_name(p->step) : p->se->unit);
	sb_puts(&sb, "</footer>\n</body>\n</html>\n");

	sb_init(&path);
	sb_printf(&path, "%s/index.html", p->dir);
	rc = write_file(path.buf, sb.buf, sb.len);
	sb_free(&path);
	sb_free(&sb);
	return rc;
}
