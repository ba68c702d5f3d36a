/*
 * ipac-portal - the captive portal's web front: declarations shared by
 * its files.  web.c is pure logic (forms, URLs, templates, the attempt
 * throttle, the link protocol's replies), tested by t/unit/test-portal
 * and fuzzed by t/fuzz/portal-parse; ipac-portal.c is the program.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PORTAL_H
#define PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipac.h"

#define PORTAL_PREFIX	"/ipac"		/* the portal's own paths */
#define PORTAL_URL_MAX	2048		/* a page first asked for */
#define PORTAL_CODE_MAX	64		/* what a guest may type */
#define PORTAL_BODY_MAX	4096		/* a login form's body */
#define PORTAL_LINE_MAX	512		/* a line from or to iplogin */

/* web.c: forms and URLs. */

/*
 * The value of field name in an application/x-www-form-urlencoded text
 * (a POST body or a query string) of len bytes, decoded ('+' is a
 * blank, %XX a byte), into out (NUL-terminated).  0 found, 1 absent,
 * -1 malformed: a bad escape, a control byte, longer than outlen - 1.
 */
int	form_get(const char *text, size_t len, const char *name, char *out,
	    size_t outlen);
/* Append s percent-encoded (all but unreserved characters). */
void	url_encode(struct strbuf *out, const char *s);
/* Append s with & < > " ' as entities. */
void	html_escape(struct strbuf *out, const char *s);
/*
 * Is url a page we may send a guest back to: http:// or https://, at
 * most PORTAL_URL_MAX bytes of printable ASCII without blanks, quotes,
 * '<' or '>'?
 */
bool	dst_ok(const char *url);
/*
 * The URL a guest asked for: "http://" host uri, into out.  host is the
 * Host header (a name or address, an optional port), uri the request
 * target as sent.  0, or -1 when either is not plausible or too long.
 */
int	orig_url(const char *host, const char *uri, char *out, size_t len);
/* "2 h 05 min", "3 min 20 s", "1 day 4 h": a time left, in out. */
void	left_text(int64_t secs, char *out, size_t len);
/* "9.5 MB", "1.23 GB": bytes in SI units, in out. */
void	bytes_text(uint64_t bytes, char *out, size_t len);

/* web.c: templates, "{{name}}" placeholders filled with escaped text. */

enum tmpl_var {
	TV_DST,		/* the page first asked for ("" if none) */
	TV_LOGIN,	/* the form's action, PORTAL_PREFIX "/login" */
	TV_ROOT,	/* PORTAL_PREFIX, for style sheets and images */
	TV_CODE,	/* what the guest typed */
	TV_LEFT,	/* time left, left_text() */
	TV_DATA,	/* data left, bytes_text(), or "no limit" */
	TV_MESSAGE,	/* a detail (the error page) */
	TV_MAX
};

struct tmpl_part {
	bool		is_var;
	enum tmpl_var	var;
	size_t		off, len;	/* the literal's bytes in text */
};

struct tmpl {
	char		*text;
	size_t		len;
	struct tmpl_part *parts;
	size_t		nparts;
};

/*
 * Split a template (name for messages) into literals and placeholders.
 * An unknown or unclosed placeholder is an error "name:line: what" in
 * err; 0 or -1 (*t empty).
 */
int	tmpl_compile(const char *name, const char *text, size_t len,
	    struct tmpl *t, char *err, size_t errlen);
/* Append t with vars[TV_*] (NULL: "") HTML-escaped. */
void	tmpl_render(const struct tmpl *t, const char *const vars[TV_MAX],
	    struct strbuf *out);
void	tmpl_free(struct tmpl *t);

/* web.c: the login attempts of each address. */

struct throttle;
/*
 * A table of at most max addresses; an attempt takes at least step_ms,
 * plus step_ms for each other attempt of the address still going on
 * (jkaptive 1.3), and begins when the address's previous one ended.
 */
struct throttle *throttle_new(size_t max, int step_ms);
void	throttle_free(struct throttle *);
/*
 * A new attempt of addr (16 bytes: IPv6, or IPv4-mapped) at now (ms):
 * when to check its code (*start) and when to answer it (*answer).  -1
 * when the table is full of addresses with attempts going on.
 */
int	throttle_begin(struct throttle *, const uint8_t addr[16], int64_t now,
	    int64_t *start, int64_t *answer);
/* The attempt of addr was answered. */
void	throttle_end(struct throttle *, const uint8_t addr[16]);
/* Forget addresses idle since before now - idle_ms; how many are left. */
size_t	throttle_expire(struct throttle *, int64_t now, int64_t idle_ms);

/* web.c: the link to iplogin (iplogin's portal socket, iplogin.conf(5)). */

enum link_kind {
	LR_OK,		/* logged in: secs and bytes left */
	LR_IN,		/* status: logged in, secs and bytes left */
	LR_OUT,		/* status: not logged in */
	LR_BAD,		/* no such code */
	LR_INUSE,	/* another device has the code */
	LR_EXPIRED,	/* over, or revoked */
	LR_QUOTA,	/* its data is used up */
	LR_WAIT,	/* too many attempts: iplogin's own limit */
	LR_ERROR,	/* anything else: text says what */
	LR_REFUSED,	/* the operator's pre-login hook said no: text */
};

struct link_reply {
	uint32_t	id;
	enum link_kind	kind;
	int64_t		secs;		/* -1: no end */
	int64_t		bytes;		/* -1: no quota */
	const char	*text;		/* LR_ERROR, LR_REFUSED: into the line */
};

/*
 * Parse one reply line (no '\n'), in place: "ID ok SECS BYTES", "ID in
 * SECS BYTES", "ID out", "ID bad", "ID inuse", "ID expired", "ID quota",
 * "ID wait", "ID error TEXT", "ID refused TEXT"; SECS and BYTES a
 * number or "-".  0 or -1.
 */
int	link_reply_parse(char *line, struct link_reply *r);
/* The kind's word, "ok" ... "error". */
const char *link_kind_name(enum link_kind);

/* The requests, as iplogin reads them. */
enum link_req { LQ_LOGIN, LQ_STATUS };

struct link_request {
	char		*id;		/* digits, into the parsed line */
	enum link_req	kind;
	char		*addr;
	char		*code;		/* LQ_LOGIN: letters and digits, or "-" */
};

/*
 * Parse one request line (no '\n'), in place: "ID login ADDR CODE" or
 * "ID status ADDR", words split by one blank, ID at most 10 digits,
 * ADDR at most 45 bytes, CODE at most PORTAL_CODE_MAX letters and
 * digits or "-".  0, or -1 with q->id set when the line had one.
 */
int	link_request_parse(char *line, struct link_request *q);

/* web.c: RFC 8908's Captive Portal API, application/captive+json. */
void	captive_json(struct strbuf *out, bool captive, const char *portal_url,
	    int64_t secs, int64_t bytes);

#endif
