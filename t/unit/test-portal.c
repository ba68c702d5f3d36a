/*
 * Unit tests of the web front's pure logic (portal/web.c): form fields,
 * URLs, escaping, templates, the throttle of login attempts (jkaptive's
 * 500 ms and its penalty for parallel attempts), iplogin's replies and
 * the Captive Portal API's JSON.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal.h"
#include "tap.h"

static char out[4096];

static int
get(const char *text, const char *name)
{
	return form_get(text, strlen(text), name, out, sizeof(out));
}

static const char *
esc(const char *s)
{
	static struct strbuf sb;

	if (sb.buf == NULL)
		sb_init(&sb);
	sb.len = 0;
	html_escape(&sb, s);
	sb_add(&sb, "", 1);
	return sb.buf;
}

static const char *
enc(const char *s)
{
	static struct strbuf sb;

	if (sb.buf == NULL)
		sb_init(&sb);
	sb.len = 0;
	url_encode(&sb, s);
	sb_add(&sb, "", 1);
	return sb.buf;
}

static void
addr4(uint8_t a[16], int last)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 198;
	a[13] = 18;
	a[14] = 1;
	a[15] = (uint8_t)last;
}

int
main(void)
{
	char err[256], url[PORTAL_URL_MAX + 1], line[256], big[8192];
	const char *vars[TV_MAX] = { 0 };
	struct throttle *t;
	struct link_reply r;
	struct tmpl tm;
	struct strbuf sb;
	uint8_t a[16], b[16];
	int64_t s, ans;
	int i;

	/* Forms. */
	is_int(get("code=4C05-3RHH&dst=http%3A%2F%2Fx.test%2Fp", "code"), 0,
	    "code found");
	is_str(out, "4C05-3RHH", "its value");
	is_int(get("code=4C05-3RHH&dst=http%3A%2F%2Fx.test%2Fp", "dst"), 0,
	    "dst found");
	is_str(out, "http://x.test/p", "decoded");
	is_int(get("code=a+b%20c", "code"), 0, "plus and %%20");
	is_str(out, "a b c", "blanks");
	is_int(get("xcode=1&code=2", "code"), 0, "a longer name is another");
	is_str(out, "2", "the right field");
	is_int(get("code", "code"), 0, "no '='");
	is_str(out, "", "empty value");
	is_int(get("dst=x", "code"), 1, "absent");
	is_int(get("", "code"), 1, "empty form");
	is_int(get("code=%4", "code"), -1, "a short escape");
	is_int(get("code=%", "code"), -1, "a lone %%");
	is_int(get("code=%zz", "code"), -1, "not hex");
	is_int(get("code=a%00b", "code"), -1, "an escaped NUL");
	is_int(get("code=a%0Ab", "code"), -1, "an escaped newline");
	is_int(form_get("code=abcdef", 11, "code", out, 4), -1, "too long for out");
	is_int(form_get("code=ab&x", 7, "code", out, 4), 0, "exactly fits");
	is_str(out, "ab", "the value");

	/* URLs and escaping. */
	is_str(enc("http://x.test/a b?c=d&e"),
	    "http%3A%2F%2Fx.test%2Fa%20b%3Fc%3Dd%26e", "url_encode");
	is_str(esc("<a href=\"x\">'&'</a>"),
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;", "html_escape");
	ok(dst_ok("http://198.19.0.2/some/page"), "an http URL");
	ok(dst_ok("https://x.test/?q=1"), "https");
	ok(!dst_ok("javascript:alert(1)"), "no javascript:");
	ok(!dst_ok("//x.test/"), "no scheme-relative");
	ok(!dst_ok("http:///x"), "no host");
	ok(!dst_ok("http://x.test/\"onload=x"), "no quote");
	ok(!dst_ok("http://x.test/a b"), "no blank");
	ok(!dst_ok("http://x.test/\r\nSet-Cookie: x"), "no CR LF");
	memset(big, 'a', sizeof(big));
	memcpy(big, "http://", 7);
	big[PORTAL_URL_MAX + 1] = '\0';
	ok(!dst_ok(big), "too long");
	is_int(orig_url("198.19.0.2", "/some/page?x=1", url, sizeof(url)), 0,
	    "the URL asked for");
	is_str(url, "http://198.19.0.2/some/page?x=1", "rebuilt");
	is_int(orig_url("[2001:db8::2]:8080", "/", url, sizeof(url)), 0,
	    "IPv6 with a port");
	is_str(url, "http://[2001:db8::2]:8080/", "rebuilt");
	is_int(orig_url("x.test\r\nA: b", "/", url, sizeof(url)), -1,
	    "a Host with CR LF");
	is_int(orig_url("x.test", "relative", url, sizeof(url)), -1,
	    "a target without '/'");
	is_int(orig_url(NULL, "/", url, sizeof(url)), -1, "no Host");
	is_int(orig_url("x.test", "/\"><script>", url, sizeof(url)), -1,
	    "markup in the path");

	/* Texts. */
	left_text(7500, line, sizeof(line));
	is_str(line, "2 h 05 min", "left 7500 s");
	left_text(200, line, sizeof(line));
	is_str(line, "3 min 20 s", "left 200 s");
	left_text(9, line, sizeof(line));
	is_str(line, "9 s", "left 9 s");
	left_text(100000, line, sizeof(line));
	is_str(line, "1 day 3 h", "left 100000 s");
	left_text(-1, line, sizeof(line));
	is_str(line, "no time limit", "no end");
	bytes_text(9500000, line, sizeof(line));
	is_str(line, "9.5 MB", "9.5 MB");
	bytes_text(1234567890, line, sizeof(line));
	is_str(line, "1.23 GB", "1.23 GB");
	bytes_text(999, line, sizeof(line));
	is_str(line, "999 bytes", "bytes");

	/* Templates. */
	{
		const char *x = "<a href=\"{{dst}}\">{{ code }}</a>{{left}}";

		ok(tmpl_compile("t", x, strlen(x), &tm, err, sizeof(err)) == 0,
		    "a template");
	}
	vars[TV_DST] = "http://x.test/?a=1&b=\"2\"";
	vars[TV_CODE] = "<b>";
	sb_init(&sb);
	tmpl_render(&tm, vars, &sb);
	sb_add(&sb, "", 1);
	is_str(sb.buf, "<a href=\"http://x.test/?a=1&amp;b=&quot;2&quot;\">"
	    "&lt;b&gt;</a>", "filled in, escaped; a missing value is empty");
	sb_free(&sb);
	tmpl_free(&tm);
	ok(tmpl_compile("t.html", "a\nb {{nope}}", 12, &tm, err,
	    sizeof(err)) < 0, "an unknown placeholder");
	is_str(err, "t.html:2: unknown placeholder '{{nope}}' (dst, login, root, "
	    "code, left, data, message)", "its message");
	ok(tmpl_compile("t.html", "{{dst", 5, &tm, err, sizeof(err)) < 0,
	    "unclosed");
	is_str(err, "t.html:1: '{{' without '}}'", "its message");
	ok(tmpl_compile("t", "a\0b", 3, &tm, err, sizeof(err)) < 0, "a NUL");
	ok(tmpl_compile("t", "{ {x} } plain", 13, &tm, err, sizeof(err)) == 0 &&
	    tm.nparts == 1, "single braces are text");
	tmpl_free(&tm);

	/* The throttle: 500 ms an attempt; parallel ones pay more. */
	t = throttle_new(4, 500);
	addr4(a, 2);
	addr4(b, 3);
	ok(throttle_begin(t, a, 1000, &s, &ans) == 0 && s == 1000 &&
	    ans == 1500, "a first attempt: checked now, answered in 500 ms");
	throttle_end(t, a);
	ok(throttle_begin(t, a, 1600, &s, &ans) == 0 && s == 1600 &&
	    ans == 2100, "the next, after the answer: the same");
	throttle_end(t, a);
	ok(throttle_begin(t, a, 2100, &s, &ans) == 0 && s == 2100 &&
	    ans == 2600, "at once after: starts at once");
	ok(throttle_begin(t, a, 2100, &s, &ans) == 0 && s == 2600 &&
	    ans == 3600, "a parallel one: after the first, 1000 ms");
	ok(throttle_begin(t, a, 2100, &s, &ans) == 0 && s == 3600 &&
	    ans == 5100, "a third: 1500 ms more");
	ok(throttle_begin(t, b, 2100, &s, &ans) == 0 && s == 2100 &&
	    ans == 2600, "another address is not held up");
	throttle_end(t, a);
	throttle_end(t, a);
	throttle_end(t, a);
	throttle_end(t, b);
	{
		int64_t now = 10000, total = 0;

		for (i = 0; i < 100; i++) {
			throttle_begin(t, b, now, &s, &ans);
			throttle_end(t, b);
			total += ans - now;
			now = ans;
		}
		ok(total >= 50000, "100 attempts in a row take %lld ms (>= 50 s)",
		    (long long)total);
	}
	for (i = 0; i < 4; i++) {
		uint8_t c[16];

		addr4(c, 10 + i);
		if (throttle_begin(t, c, 100000, &s, &ans) < 0)
			break;
	}
	is_int(i, 4, "a full table makes room with the idle ones");
	{
		uint8_t c[16];

		addr4(c, 20);
		is_int(throttle_begin(t, c, 100000, &s, &ans), -1,
		    "a full table of attempts going on: no room");
		addr4(c, 10);
		throttle_end(t, c);
		addr4(c, 20);
		is_int(throttle_begin(t, c, 100000, &s, &ans), 0,
		    "one ended: room");
		throttle_end(t, c);
	}
	is_int(throttle_expire(t, 200000, 1000), 3, "the idle one forgotten, "
	    "three go on");
	throttle_free(t);

	/* Replies. */
	snprintf(line, sizeof(line), "7 ok 3600 10000000");
	ok(link_reply_parse(line, &r) == 0 && r.id == 7 && r.kind == LR_OK &&
	    r.secs == 3600 && r.bytes == 10000000, "ok SECS BYTES");
	snprintf(line, sizeof(line), "8 in 59 -");
	ok(link_reply_parse(line, &r) == 0 && r.kind == LR_IN && r.secs == 59 &&
	    r.bytes == -1, "in, no quota");
	snprintf(line, sizeof(line), "9 out");
	ok(link_reply_parse(line, &r) == 0 && r.kind == LR_OUT, "out");
	snprintf(line, sizeof(line), "10 inuse");
	ok(link_reply_parse(line, &r) == 0 && r.kind == LR_INUSE, "inuse");
	snprintf(line, sizeof(line), "11 error the store is busy");
	ok(link_reply_parse(line, &r) == 0 && r.kind == LR_ERROR &&
	    strcmp(r.text, "the store is busy") == 0, "error with its text");
	snprintf(line, sizeof(line), "20 refused over quota today");
	ok(link_reply_parse(line, &r) == 0 && r.kind == LR_REFUSED &&
	    strcmp(r.text, "over quota today") == 0, "refused with its text");
	snprintf(line, sizeof(line), "12 bad extra");
	ok(link_reply_parse(line, &r) < 0, "bad with a word more");
	snprintf(line, sizeof(line), "13 ok 36x0 -");
	ok(link_reply_parse(line, &r) < 0, "not a number");
	snprintf(line, sizeof(line), "14 ok 3600");
	ok(link_reply_parse(line, &r) < 0, "bytes missing");
	snprintf(line, sizeof(line), "x ok 1 2");
	ok(link_reply_parse(line, &r) < 0, "no id");
	snprintf(line, sizeof(line), "99999999999 out");
	ok(link_reply_parse(line, &r) < 0, "an id too big");
	snprintf(line, sizeof(line), "15 maybe");
	ok(link_reply_parse(line, &r) < 0, "an unknown kind");
	snprintf(line, sizeof(line), "16");
	ok(link_reply_parse(line, &r) < 0, "an id alone");

	/* Requests, as iplogin reads them. */
	{
		struct link_request lq;

		snprintf(line, sizeof(line), "12 login 198.18.1.2 4C053RHHT6FJ");
		ok(link_request_parse(line, &lq) == 0 && lq.kind == LQ_LOGIN &&
		    strcmp(lq.id, "12") == 0 &&
		    strcmp(lq.addr, "198.18.1.2") == 0 &&
		    strcmp(lq.code, "4C053RHHT6FJ") == 0, "login");
		snprintf(line, sizeof(line), "13 login 2001:db8::2 -");
		ok(link_request_parse(line, &lq) == 0 && lq.kind == LQ_LOGIN &&
		    strcmp(lq.code, "-") == 0, "login with no code");
		snprintf(line, sizeof(line), "14 status 198.18.1.2");
		ok(link_request_parse(line, &lq) == 0 && lq.kind == LQ_STATUS,
		    "status");
		snprintf(line, sizeof(line), "15 status 198.18.1.2 x");
		ok(link_request_parse(line, &lq) < 0 && strcmp(lq.id, "15") == 0,
		    "status with a word more: its id still known");
		snprintf(line, sizeof(line), "16 login 198.18.1.2 AB-CD");
		ok(link_request_parse(line, &lq) < 0, "a dash in a code");
		snprintf(line, sizeof(line), "17 login 198.18.1.2");
		ok(link_request_parse(line, &lq) < 0, "login without a code");
		snprintf(line, sizeof(line), "x status 198.18.1.2");
		ok(link_request_parse(line, &lq) < 0 && lq.id == NULL, "no id");
		snprintf(line, sizeof(line), "18 reset");
		ok(link_request_parse(line, &lq) < 0, "not a request");
		snprintf(line, sizeof(line), "19  status 198.18.1.2");
		ok(link_request_parse(line, &lq) < 0, "two blanks");
	}

	/* RFC 8908. */
	sb_init(&sb);
	captive_json(&sb, true, "http://198.18.1.1:8080/ipac/login", -1, -1);
	sb_add(&sb, "", 1);
	is_str(sb.buf, "{\n  \"captive\": true,\n  \"user-portal-url\": "
	    "\"http://198.18.1.1:8080/ipac/login\"\n}\n", "captive");
	sb.len = 0;
	captive_json(&sb, false, "http://p\"\\/", 600, 5000000);
	sb_add(&sb, "", 1);
	is_str(sb.buf, "{\n  \"captive\": false,\n  \"user-portal-url\": "
	    "\"http://p\\\"\\\\/\",\n  \"seconds-remaining\": 600,\n"
	    "  \"bytes-remaining\": 5000000,\n  \"can-extend-session\": false\n}\n",
	    "logged in, with escaping");
	sb_free(&sb);
	return done_testing();
}
