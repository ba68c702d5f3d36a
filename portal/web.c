/*
 * The web front's pure logic: form fields and URLs (parsed here, never
 * by libmicrohttpd's PostProcessor), templates, the throttle of login
 * attempts per address, the replies of iplogin's portal socket and the
 * Captive Portal API's JSON.  No I/O.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal.h"

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode len bytes of a form value into out; 0 or -1. */
static int
form_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int
form_get(const char *text, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t nlen = strlen(name), pos = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	while (pos < len) {
		const char *f = text + pos, *amp = memchr(f, '&', len - pos);
		size_t flen = amp ? (size_t)(amp - f) : len - pos;
		const char *eq = memchr(f, '=', flen);
		size_t klen = eq ? (size_t)(eq - f) : flen;

		pos += flen + (amp ? 1 : 0);
		if (klen == nlen && memcmp(f, name, nlen) == 0) {
			if (eq == NULL)
				return 0;
			return form_decode(eq + 1, flen - klen - 1, out, outlen);
		}
	}
	return 1;
}

void
url_encode(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			sb_add(out, (const char *)&c, 1);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			sb_add(out, e, 3);
		}
	}
}

void
html_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': sb_puts(out, "&amp;"); break;
		case '<': sb_puts(out, "&lt;"); break;
		case '>': sb_puts(out, "&gt;"); break;
		case '"': sb_puts(out, "&quot;"); break;
		case '\'': sb_puts(out, "&#39;"); break;
		default: sb_add(out, s, 1);
		}
}

bool
dst_ok(const char *url)
{
	size_t n = strlen(url), i;

	if (n > PORTAL_URL_MAX || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\' || c == '`')
			return false;
	}
	/* Something after the scheme: a host. */
	return url[url[4] == 's' ? 8 : 7] != '\0' &&
	    url[url[4] == 's' ? 8 : 7] != '/';
}

int
orig_url(const char *host, const char *uri, char *out, size_t len)
{
	size_t i;
	int n;

	if (host == NULL || *host == '\0' || strlen(host) > 255 ||
	    uri == NULL || *uri != '/')
		return -1;
	for (i = 0; host[i]; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != ':' &&
		    c != '[' && c != ']' && c != '_')
			return -1;
	}
	n = snprintf(out, len, "http://%s%s", host, uri);
	if (n < 0 || (size_t)n >= len || !dst_ok(out))
		return -1;
	return 0;
}

void
left_text(int64_t secs, char *out, size_t len)
{
	if (secs < 0)
		snprintf(out, len, "no time limit");
	else if (secs >= 86400)
		snprintf(out, len, "%" PRId64 " day%s %" PRId64 " h", secs / 86400,
		    secs / 86400 == 1 ? "" : "s", secs % 86400 / 3600);
	else if (secs >= 3600)
		snprintf(out, len, "%" PRId64 " h %02" PRId64 " min", secs / 3600,
		    secs % 3600 / 60);
	else if (secs >= 60)
		snprintf(out, len, "%" PRId64 " min %02" PRId64 " s", secs / 60,
		    secs % 60);
	else
		snprintf(out, len, "%" PRId64 " s", secs);
}

void
bytes_text(uint64_t b, char *out, size_t len)
{
	if (b >= 1000000000)
		snprintf(out, len, "%.2f GB", (double)b / 1e9);
	else if (b >= 1000000)
		snprintf(out, len, "%.1f MB", (double)b / 1e6);
	else if (b >= 1000)
		snprintf(out, len, "%.0f kB", (double)b / 1e3);
	else
		snprintf(out, len, "%" PRIu64 " bytes", b);
}

static const char *const var_names[TV_MAX] = {
	"dst", "login", "root", "code", "left", "data", "message",
};

static void
add_part(struct tmpl *t, bool is_var, enum tmpl_var var, size_t off,
    size_t len)
{
	if (!is_var && len == 0)
		return;
	t->parts = xrealloc(t->parts, t->nparts + 1, sizeof(*t->parts));
	t->parts[t->nparts++] = (struct tmpl_part){ .is_var = is_var,
	    .var = var, .off = off, .len = len };
}

int
tmpl_compile(const char *name, const char *text, size_t len, struct tmpl *t,
    char *err, size_t errlen)
{
	size_t pos = 0, lit = 0;

	memset(t, 0, sizeof(*t));
	if (memchr(text, '\0', len)) {
		seterr(err, errlen, "%s: a NUL byte", name);
		return -1;
	}
	t->text = xstrndup(text, len);
	t->len = len;
	while (pos + 1 < len) {
		const char *close;
		size_t a, b, i;
		int line = 1, v;

		if (text[pos] != '{' || text[pos + 1] != '{') {
			pos++;
			continue;
		}
		for (i = 0; i < pos; i++)
			if (text[i] == '\n')
				line++;
		close = NULL;
		for (i = pos + 2; i + 1 < len && i < pos + 40; i++)
			if (text[i] == '}' && text[i + 1] == '}') {
				close = text + i;
				break;
			}
		if (close == NULL) {
			seterr(err, errlen, "%s:%d: '{{' without '}}'", name, line);
			goto fail;
		}
		a = pos + 2;
		b = (size_t)(close - text);
		while (a < b && text[a] == ' ')
			a++;
		while (b > a && text[b - 1] == ' ')
			b--;
		for (v = 0; v < TV_MAX; v++)
			if (strlen(var_names[v]) == b - a &&
			    memcmp(var_names[v], text + a, b - a) == 0)
				break;
		if (v == TV_MAX) {
			seterr(err, errlen, "%s:%d: unknown placeholder '{{%.*s}}' "
			    "(dst, login, root, code, left, data, message)", name,
			    line, (int)(b - a), text + a);
			goto fail;
		}
		add_part(t, false, 0, lit, pos - lit);
		add_part(t, true, (enum tmpl_var)v, 0, 0);
		pos = (size_t)(close - text) + 2;
		lit = pos;
	}
	add_part(t, false, 0, lit, len - lit);
	return 0;
fail:
	tmpl_free(t);
	return -1;
}

void
tmpl_render(const struct tmpl *t, const char *const vars[TV_MAX],
    struct strbuf *out)
{
	size_t i;

	for (i = 0; i < t->nparts; i++) {
		const struct tmpl_part *p = &t->parts[i];

		if (!p->is_var)
			sb_add(out, t->text + p->off, p->len);
		else if (vars[p->var])
			html_escape(out, vars[p->var]);
	}
}

void
tmpl_free(struct tmpl *t)
{
	free(t->text);
	free(t->parts);
	memset(t, 0, sizeof(*t));
}

/* The throttle: a chained hash of addresses on arrays, no allocation after
 * throttle_new(). */
struct tentry {
	uint8_t		addr[16];
	int64_t		next_free;	/* the address's next attempt starts */
	int64_t		last;		/* its last answer */
	unsigned	inflight;
	uint32_t	next;		/* in the bucket or the free list; +1 */
	bool		used;
};

struct throttle {
	struct tentry	*e;
	size_t		max, n;
	uint32_t	*bucket;	/* entry index + 1; 0 none */
	size_t		nbucket;
	uint32_t	free;		/* free list, index + 1 */
	int		step_ms;
};

static size_t
taddr_hash(const struct throttle *t, const uint8_t a[16])
{
	uint64_t h = 14695981039346656037ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ULL;
	return (size_t)(h ^ h >> 31) & (t->nbucket - 1);
}

struct throttle *
throttle_new(size_t max, int step_ms)
{
	struct throttle *t = xcalloc(1, sizeof(*t));
	size_t i;

	if (max < 1)
		max = 1;
	t->max = max;
	t->step_ms = step_ms;
	t->e = xcalloc(max, sizeof(*t->e));
	for (t->nbucket = 16; t->nbucket < 2 * max; t->nbucket *= 2)
		;
	t->bucket = xcalloc(t->nbucket, sizeof(*t->bucket));
	for (i = 0; i < max; i++)
		t->e[i].next = i + 1 < max ? (uint32_t)(i + 2) : 0;
	t->free = 1;
	return t;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->bucket);
	free(t);
}

static struct tentry *
tfind(struct throttle *t, const uint8_t a[16])
{
	uint32_t i;

	for (i = t->bucket[taddr_hash(t, a)]; i; i = t->e[i - 1].next)
		if (memcmp(t->e[i - 1].addr, a, 16) == 0)
			return &t->e[i - 1];
	return NULL;
}

static void
tremove(struct throttle *t, struct tentry *e)
{
	uint32_t idx = (uint32_t)(e - t->e) + 1, *pp;

	for (pp = &t->bucket[taddr_hash(t, e->addr)]; *pp;
	    pp = &t->e[*pp - 1].next)
		if (*pp == idx) {
			*pp = e->next;
			break;
		}
	memset(e, 0, sizeof(*e));
	e->next = t->free;
	t->free = idx;
	t->n--;
}

int
throttle_begin(struct throttle *t, const uint8_t a[16], int64_t now,
    int64_t *start, int64_t *answer)
{
	struct tentry *e = tfind(t, a);

	if (e == NULL) {
		uint32_t idx;
		size_t h;

		if (t->free == 0) {
			/* Full: make room with the longest idle address. */
			struct tentry *old = NULL;
			size_t i;

			for (i = 0; i < t->max; i++)
				if (t->e[i].used && t->e[i].inflight == 0 &&
				    (old == NULL || t->e[i].last < old->last))
					old = &t->e[i];
			if (old == NULL)
				return -1;
			tremove(t, old);
		}
		idx = t->free;
		e = &t->e[idx - 1];
		t->free = e->next;
		memset(e, 0, sizeof(*e));
		memcpy(e->addr, a, 16);
		e->used = true;
		h = taddr_hash(t, a);
		e->next = t->bucket[h];
		t->bucket[h] = idx;
		t->n++;
	}
	*start = e->next_free > now ? e->next_free : now;
	*answer = *start + (int64_t)t->step_ms * (e->inflight + 1);
	e->inflight++;
	e->next_free = *answer;
	e->last = *answer;
	return 0;
}

void
throttle_end(struct throttle *t, const uint8_t a[16])
{
	struct tentry *e = tfind(t, a);

	if (e && e->inflight)
		e->inflight--;
}

size_t
throttle_expire(struct throttle *t, int64_t now, int64_t idle_ms)
{
	size_t i;

	for (i = 0; i < t->max; i++)
		if (t->e[i].used && t->e[i].inflight == 0 &&
		    t->e[i].last < now - idle_ms)
			tremove(t, &t->e[i]);
	return t->n;
}

static const char *const kind_names[] = {
	[LR_OK] = "ok", [LR_IN] = "in", [LR_OUT] = "out", [LR_BAD] = "bad",
	[LR_INUSE] = "inuse", [LR_EXPIRED] = "expired", [LR_QUOTA] = "quota",
	[LR_WAIT] = "wait", [LR_ERROR] = "error", [LR_REFUSED] = "refused",
};

const char *
link_kind_name(enum link_kind k)
{
	return (unsigned)k <= LR_REFUSED ? kind_names[k] : "?";
}

/* A decimal number or "-" (-1); 0 or -1. */
static int
num_or_dash(const char *s, int64_t *v)
{
	int64_t x = 0;

	if (strcmp(s, "-") == 0) {
		*v = -1;
		return 0;
	}
	if (*s == '\0' || strlen(s) > 18)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return 0;
}

/* The next word of *p (split at one blank), or NULL at the end. */
static char *
word(char **p)
{
	char *w = *p;

	if (*w == '\0')
		return NULL;
	*p += strcspn(*p, " ");
	if (**p)
		*(*p)++ = '\0';
	return w;
}

int
link_reply_parse(char *line, struct link_reply *r)
{
	char *p = line, *id = word(&p), *kind = word(&p), *a, *b, *end;
	unsigned long v;
	int k;

	memset(r, 0, sizeof(*r));
	r->secs = r->bytes = -1;
	if (id == NULL || kind == NULL || !isdigit((unsigned char)*id))
		return -1;
	v = strtoul(id, &end, 10);
	if (*end || v > UINT32_MAX || strlen(id) > 10)
		return -1;
	r->id = (uint32_t)v;
	for (k = 0; k <= LR_REFUSED; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			break;
	if (k > LR_REFUSED)
		return -1;
	r->kind = (enum link_kind)k;
	switch (r->kind) {
	case LR_OK:
	case LR_IN:
		a = word(&p);
		b = word(&p);
		if (a == NULL || b == NULL || *p || num_or_dash(a, &r->secs) < 0 ||
		    num_or_dash(b, &r->bytes) < 0)
			return -1;
		return 0;
	case LR_ERROR:
	case LR_REFUSED:
		r->text = p;
		return 0;
	default:
		return *p ? -1 : 0;
	}
}

int
link_request_parse(char *line, struct link_request *q)
{
	char *p = line, *id = word(&p), *kind = word(&p), *c;

	memset(q, 0, sizeof(*q));
	if (id == NULL || *id == '\0' || strlen(id) > 10 ||
	    strspn(id, "0123456789") != strlen(id))
		return -1;
	q->id = id;
	if (kind == NULL || (q->addr = word(&p)) == NULL ||
	    strlen(q->addr) > 45 || *q->addr == '\0')
		return -1;
	if (strcmp(kind, "status") == 0) {
		q->kind = LQ_STATUS;
		return *p ? -1 : 0;
	}
	if (strcmp(kind, "login") != 0 || (q->code = word(&p)) == NULL || *p)
		return -1;
	q->kind = LQ_LOGIN;
	if (strcmp(q->code, "-") == 0)
		return 0;
	if (*q->code == '\0' || strlen(q->code) > PORTAL_CODE_MAX)
		return -1;
	for (c = q->code; *c; c++)
		if (!isalnum((unsigned char)*c))
			return -1;
	return 0;
}

static void
json_string(struct strbuf *out, const char *s)
{
	sb_add(out, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			sb_add(out, "\\", 1);
			sb_add(out, s, 1);
		} else if (c < 0x20)
			sb_printf(out, "\\u%04x", c);
		else
			sb_add(out, s, 1);
	}
	sb_add(out, "\"", 1);
}

void
captive_json(struct strbuf *out, bool captive, const char *portal_url,
    int64_t secs, int64_t bytes)
{
	sb_printf(out, "{\n  \"captive\": %s,\n  \"user-portal-url\": ",
	    captive ? "true" : "false");
	json_string(out, portal_url);
	if (!captive) {
		if (secs >= 0)
			sb_printf(out, ",\n  \"seconds-remaining\": %" PRId64,
			    secs);
		if (bytes >= 0)
			sb_printf(out, ",\n  \"bytes-remaining\": %" PRId64,
			    bytes);
		sb_puts(out, ",\n  \"can-extend-session\": false");
	}
	sb_puts(out, "\n}\n");
}
