/*
 * libFuzzer target for the web front's parsers (portal/web.c): a form
 * body (form_get() of each field), a Host and request target
 * (orig_url(), dst_ok()), a template (tmpl_compile(), tmpl_render()) and
 * a reply and a request line of iplogin's portal socket
 * (link_reply_parse(), link_request_parse()), all on the same input.
 *
 *	make fuzz-portal && t/fuzz/portal-parse -max_total_time=60
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = { "code", "dst", "x", "" };
	const char *text = (const char *)data;
	const char *vars[TV_MAX] = { "<dst>", "/ipac/login", "/ipac", "&code",
	    "1 h", "1 MB", "\"" };
	char out[PORTAL_URL_MAX + 1], line[PORTAL_LINE_MAX], err[256];
	char *host, *nl;
	struct link_reply r;
	struct tmpl t;
	struct strbuf sb;
	size_t i, n;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (form_get(text, size, fields[i], out, sizeof(out)) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
	/* "host\nuri" */
	host = malloc(size + 1);
	memcpy(host, data, size);
	host[size] = '\0';
	if ((nl = strchr(host, '\n')) != NULL) {
		*nl = '\0';
		if (orig_url(host, nl + 1, out, sizeof(out)) == 0 && !dst_ok(out))
			abort();
	}
	dst_ok(host);
	free(host);
	if (tmpl_compile("fuzz", text, size, &t, err, sizeof(err)) == 0) {
		sb_init(&sb);
		tmpl_render(&t, vars, &sb);
		sb_free(&sb);
		tmpl_free(&t);
	}
	n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	if (link_reply_parse(line, &r) == 0 && r.kind > LR_REFUSED)
		abort();
	memcpy(line, data, n);
	line[n] = '\0';
	{
		struct link_request q;

		if (link_request_parse(line, &q) == 0 && (q.id == NULL ||
		    q.addr == NULL || (q.kind == LQ_LOGIN && q.code == NULL)))
			abort();
	}
	return 0;
}
