/*
 * iplogin.conf(5)'s attributes of the captive portal, the walled garden
 * and the hooks, in a server stanza.  Pure: parsed into struct
 * portal_conf, checked, printed (iplogin -n); conf.c hands them here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "iplogin.h"

#define DEFAULT_SECRET	SYSCONFDIR "/ipac/voucher.key"
#define DEFAULT_USER	"ipac-portal"
#define DEFAULT_TTL	300
#define DEFAULT_HOOK_MS	10000
#define DEFAULT_HOOKS	4
#define DEFAULT_FAILS	20

const char *const hook_event_names[HOOK_EVENTS] = {
	"login", "logout", "refused",
};

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* "10s", "5m", "500ms", "2h", "1d", "300" (seconds) into ms; 0 or -1. */
static int
duration_ms(const char *v, int64_t max_ms, int64_t *ms)
{
	char *end;
	long long n;
	int64_t unit;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || n > max_ms)
		return -1;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else
		return -1;
	if (n * unit > max_ms)
		return -1;
	*ms = n * unit;
	return 0;
}

/* A host name for the garden: labels of letters, digits, '-', a dot. */
static bool
is_host_name(const char *s)
{
	size_t n = strlen(s), label = 0;
	bool alpha = false;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' ||
	    strchr(s, '.') == NULL)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
		if (isalpha((unsigned char)*s))
			alpha = true;
		if (++label > 63)
			return false;
	}
	return alpha;
}

static bool
is_account(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-@+", *s))
			return false;
	return true;
}

static int
garden(struct portal_conf *pc, char *v, char *err, size_t errlen)
{
	char *tok, *save;

	for (tok = strtok_r(v, ", \t", &save); tok;
	    tok = strtok_r(NULL, ", \t", &save)) {
		struct prefix p;

		if (prefix_parse(tok, &p) == 0) {
			pc->garden = xrealloc(pc->garden, pc->ngarden + 1,
			    sizeof(*pc->garden));
			pc->garden[pc->ngarden++] = p;
		} else if (is_host_name(tok)) {
			size_t i;

			for (i = 0; tok[i]; i++)
				tok[i] = (char)tolower((unsigned char)tok[i]);
			pc->names = xrealloc(pc->names, pc->nnames + 1,
			    sizeof(*pc->names));
			pc->names[pc->nnames++] = xstrdup(tok);
		} else {
			seterr(err, errlen, "garden: '%s' is no address, prefix "
			    "or host name", tok);
			return -1;
		}
	}
	return 0;
}

int
portal_conf_key(struct il_server *s, const char *k, char *v, char *err,
    size_t errlen)
{
	struct portal_conf *pc;
	int64_t ms;
	int e;

	if (strncmp(k, "portal_", 7) != 0 && strncmp(k, "voucher_", 8) != 0 &&
	    strncmp(k, "garden", 6) != 0 && strncmp(k, "hook_", 5) != 0)
		return 1;
	if (s->portal == NULL)
		s->portal = xcalloc(1, sizeof(*s->portal));
	pc = s->portal;
	for (e = 0; e < HOOK_EVENTS; e++)
		if (strncmp(k, "hook_", 5) == 0 &&
		    strcmp(k + 5, hook_event_names[e]) == 0)
			break;
	if (e < HOOK_EVENTS) {
		if (*v != '/') {
			seterr(err, errlen, "%s: give the program's absolute "
			    "path (it runs without a shell)", k);
			return -1;
		}
		set_str(&pc->hook[e], v);
	} else if (strcmp(k, "portal_socket") == 0) {
		if (*v != '/' || strlen(v) >= 100) {
			seterr(err, errlen, "portal_socket: give an absolute "
			    "path, shorter than 100 bytes");
			return -1;
		}
		set_str(&pc->socket, v);
	} else if (strcmp(k, "portal_user") == 0)
		set_str(&pc->user, v);
	else if (strcmp(k, "voucher_secret") == 0) {
		if (*v != '/') {
			seterr(err, errlen, "voucher_secret: give an absolute "
			    "path");
			return -1;
		}
		set_str(&pc->secret, v);
	} else if (strcmp(k, "voucher_account") == 0) {
		char *end, *name;
		long n = strtol(v, &end, 10);

		name = end;
		while (isblank((unsigned char)*name))
			name++;
		if (end == v || name == end || n < 0 ||
		    n >= VOUCHER_ACCOUNTS || !is_account(name)) {
			seterr(err, errlen, "voucher_account: give a number 0 to "
			    "%d and an account name (letters, digits, '._-@+')",
			    VOUCHER_ACCOUNTS - 1);
			return -1;
		}
		set_str(&pc->accounts[n], name);
	} else if (strcmp(k, "voucher_chains") == 0)
		set_str(&pc->chains, v);
	else if (strcmp(k, "voucher_rebind") == 0) {
		if (strcmp(v, "never") == 0 || strcmp(v, "0") == 0)
			pc->rebind = 0;
		else if (duration_ms(v, 30LL * 86400000, &ms) < 0 || ms < 1000 ||
		    ms % 1000) {
			seterr(err, errlen, "voucher_rebind: 'never' or a time "
			    "such as 10m (whole seconds, at most 30d)");
			return -1;
		} else
			pc->rebind = (int)(ms / 1000);
	} else if (strcmp(k, "voucher_fail_rate") == 0) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*end || end == v || n < 1 || n > 100000) {
			seterr(err, errlen, "voucher_fail_rate: failed codes a "
			    "second, 1 to 100000");
			return -1;
		}
		pc->fail_rate = (int)n;
	} else if (strcmp(k, "garden") == 0)
		return garden(pc, v, err, errlen);
	else if (strcmp(k, "garden_ttl") == 0) {
		if (duration_ms(v, 86400000, &ms) < 0 || ms < 1000 || ms % 1000) {
			seterr(err, errlen, "garden_ttl: whole seconds, 1s to 1d");
			return -1;
		}
		pc->garden_ttl = (int)(ms / 1000);
	} else if (strcmp(k, "garden_dnsmasq") == 0) {
		if (*v != '/') {
			seterr(err, errlen, "garden_dnsmasq: give an absolute "
			    "path");
			return -1;
		}
		set_str(&pc->dnsmasq, v);
	} else if (strcmp(k, "hook_timeout") == 0) {
		if (duration_ms(v, 3600000, &ms) < 0 || ms < 100) {
			seterr(err, errlen, "hook_timeout: 100ms to 1h");
			return -1;
		}
		pc->hook_timeout_ms = (int)ms;
	} else if (strcmp(k, "hook_prelogin") == 0) {
		if (*v != '/') {
			seterr(err, errlen, "%s: give the program's absolute "
			    "path (it runs without a shell)", k);
			return -1;
		}
		set_str(&pc->prelogin, v);
	} else if (strcmp(k, "hook_prelogin_timeout") == 0) {
		if (duration_ms(v, 60000, &ms) < 0 || ms < 100) {
			seterr(err, errlen, "hook_prelogin_timeout: 100ms to 60s");
			return -1;
		}
		pc->prelogin_ms = (int)ms;
	} else if (strcmp(k, "hook_prelogin_fail") == 0) {
		if (strcmp(v, "open") != 0 && strcmp(v, "closed") != 0) {
			seterr(err, errlen, "hook_prelogin_fail: open (let the "
			    "device in) or closed (refuse it)");
			return -1;
		}
		pc->prelogin_open = strcmp(v, "open") == 0;
	} else if (strcmp(k, "hook_max") == 0) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*end || end == v || n < 1 || n > 64) {
			seterr(err, errlen, "hook_max: 1 to 64 hooks at once");
			return -1;
		}
		pc->hook_max = (int)n;
	} else {
		seterr(err, errlen, "unknown server attribute '%s'", k);
		return -1;
	}
	return 0;
}

int
portal_conf_done(struct il_server *s, char *err, size_t errlen)
{
	struct portal_conf *pc = s->portal;

	if (pc == NULL)
		return 0;
	if (pc->user == NULL)
		pc->user = xstrdup(DEFAULT_USER);
	if (pc->secret == NULL)
		pc->secret = xstrdup(DEFAULT_SECRET);
	if (pc->garden_ttl == 0)
		pc->garden_ttl = DEFAULT_TTL;
	if (pc->hook_timeout_ms == 0)
		pc->hook_timeout_ms = DEFAULT_HOOK_MS;
	if (pc->hook_max == 0)
		pc->hook_max = DEFAULT_HOOKS;
	if (pc->fail_rate == 0)
		pc->fail_rate = DEFAULT_FAILS;
	if (pc->prelogin_ms == 0)
		pc->prelogin_ms = 2000;
	if (pc->nnames && pc->dnsmasq == NULL) {
		seterr(err, errlen, "garden has host names: give garden_dnsmasq, "
		    "the file dnsmasq reads for them");
		return -1;
	}
	return 0;
}

void
portal_conf_free(struct portal_conf *pc)
{
	size_t i;

	if (pc == NULL)
		return;
	free(pc->socket);
	free(pc->user);
	free(pc->secret);
	for (i = 0; i < VOUCHER_ACCOUNTS; i++)
		free(pc->accounts[i]);
	free(pc->chains);
	free(pc->garden);
	for (i = 0; i < pc->nnames; i++)
		free(pc->names[i]);
	free(pc->names);
	free(pc->dnsmasq);
	for (i = 0; i < HOOK_EVENTS; i++)
		free(pc->hook[i]);
	free(pc->prelogin);
	free(pc);
}

const char *
portal_account(const struct portal_conf *pc, unsigned n)
{
	static char buf[VOUCHER_ACCOUNTS][16];

	if (n >= VOUCHER_ACCOUNTS)
		n = 0;
	if (pc && pc->accounts[n])
		return pc->accounts[n];
	snprintf(buf[n], sizeof(buf[n]), "voucher-%u", n);
	return buf[n];
}

void
portal_conf_print(FILE *fp, const struct portal_conf *pc)
{
	char buf[64];
	size_t i;

	if (pc == NULL)
		return;
	if (pc->socket)
		fprintf(fp, "\tportal_socket = %s\n", pc->socket);
	fprintf(fp, "\tportal_user = %s\n\tvoucher_secret = %s\n", pc->user,
	    pc->secret);
	for (i = 0; i < VOUCHER_ACCOUNTS; i++)
		if (pc->accounts[i])
			fprintf(fp, "\tvoucher_account = %zu %s\n", i,
			    pc->accounts[i]);
	if (pc->chains)
		fprintf(fp, "\tvoucher_chains = %s\n", pc->chains);
	if (pc->rebind)
		fprintf(fp, "\tvoucher_rebind = %ds\n", pc->rebind);
	else
		fprintf(fp, "\tvoucher_rebind = never\n");
	fprintf(fp, "\tvoucher_fail_rate = %d\n", pc->fail_rate);
	if (pc->ngarden || pc->nnames) {
		const char *sep = "";

		fprintf(fp, "\tgarden = ");
		for (i = 0; i < pc->ngarden; i++, sep = ",")
			fprintf(fp, "%s%s", sep, prefix_fmt(&pc->garden[i], buf,
			    sizeof(buf)));
		for (i = 0; i < pc->nnames; i++, sep = ",")
			fprintf(fp, "%s%s", sep, pc->names[i]);
		fputc('\n', fp);
	}
	fprintf(fp, "\tgarden_ttl = %ds\n", pc->garden_ttl);
	if (pc->dnsmasq)
		fprintf(fp, "\tgarden_dnsmasq = %s\n", pc->dnsmasq);
	for (i = 0; i < HOOK_EVENTS; i++)
		if (pc->hook[i])
			fprintf(fp, "\thook_%s = %s\n", hook_event_names[i],
			    pc->hook[i]);
	fprintf(fp, "\thook_timeout = %dms\n\thook_max = %d\n",
	    pc->hook_timeout_ms, pc->hook_max);
	if (pc->prelogin)
		fprintf(fp, "\thook_prelogin = %s\n\thook_prelogin_timeout = "
		    "%dms\n\thook_prelogin_fail = %s\n", pc->prelogin,
		    pc->prelogin_ms, pc->prelogin_open ? "open" : "closed");
}
