/*
 * The state file: the logged-in clients, one per line, tab-separated
 *
 *	address  account  chains  login  session  mac
 *
 * written whole to a temporary file and renamed (savestate, autosave,
 * SIGUSR1, a graceful stop), read by loadstate and at the start.  A
 * loaded client begins a new session; the sessions of the store that
 * were open go on by themselves (session.c, sessions_reconcile()).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iplogin.h"

#define STATE_HEADER	"# iplogin state"
/*
 * A line: an address, an account (IL_ACCOUNT_MAX), chains (at most
 * what a command line holds), the login, the session id and a MAC.
 */
#define STATE_LINE_MAX	(64 + IL_ACCOUNT_MAX + IL_LINE_MAX + 96)

static void
save_one(struct daemon *d, struct il_user *u, void *arg)
{
	struct strbuf *sb = arg;

	sb_printf(sb, "%s\t%s\t%s\t%" PRId64 "\t%s\t", u->addr_s, u->account,
	    u->chains, u->login, u->id);
	if (u->has_mac)
		sb_printf(sb, "%02x:%02x:%02x:%02x:%02x:%02x\n", u->mac[0],
		    u->mac[1], u->mac[2], u->mac[3], u->mac[4], u->mac[5]);
	else
		sb_puts(sb, "-\n");
}

int
state_save(struct daemon *d, const char *path)
{
	struct strbuf sb, tmp;
	int fd, rc = -1;

	sb_init(&sb);
	sb_init(&tmp);
	sb_printf(&sb, STATE_HEADER " of server %s: %zu clients\n"
	    "# address\taccount\tchains\tlogin\tsession\tmac\n",
	    d->srv->name, d->nusers);
	user_each(d, save_one, &sb);
	sb_printf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		log_error("%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	fchmod(fd, 0600);
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len || fsync(fd) < 0) {
		log_error("%s: %s", tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.buf, path) < 0) {
		log_error("%s: %s", path, strerror(errno));
		unlink(tmp.buf);
		goto out;
	}
	log_info("state of %zu clients saved to %s", d->nusers, path);
	rc = 0;
out:
	sb_free(&sb);
	sb_free(&tmp);
	return rc;
}

int
state_read(struct daemon *d, FILE *fp, const char *path, size_t *n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, bad = 0;

	*n = 0;
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *f[6], *save = NULL, err[256];
		struct ipaddr a;
		int k = 0, rc;

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((size_t)len > STATE_LINE_MAX) {
			log_error("%s:%d: a line of %zd bytes (at most %d): not "
			    "read", path, lineno, len, STATE_LINE_MAX);
			bad++;
			continue;
		}
		if (memchr(line, '\0', (size_t)len)) {
			log_error("%s:%d: a NUL byte: not read", path, lineno);
			bad++;
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (f[k] = strtok_r(line, "\t", &save); f[k] && k < 5; )
			f[++k] = strtok_r(NULL, "\t", &save);
		if (k < 3 || ipaddr_parse(f[0], &a) < 0) {
			log_error("%s:%d: expected address, account, chains, "
			    "login, session, mac (tab-separated)", path, lineno);
			bad++;
			continue;
		}
		rc = user_login(d, &a, f[1], f[2], NULL, 0, err, sizeof(err));
		if (rc < 0) {
			log_error("%s:%d: %s: %s", path, lineno, f[0], err);
			bad++;
		} else if (rc == 0)
			(*n)++;
	}
	free(line);
	if (ferror(fp)) {
		log_error("%s: %s", path, strerror(errno));
		bad++;
	}
	log_info("%zu clients loaded from %s", *n, path);
	return bad ? -1 : 0;
}

int
state_load(struct daemon *d, const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	int rc;

	*n = 0;
	if (fp == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = state_read(d, fp, path, n);
	fclose(fp);
	return rc;
}
