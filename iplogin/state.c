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

/* The text into path: a temporary file, fsync, rename.  Any thread. */
static int
state_write(const char *path, const struct strbuf *head,
    const struct strbuf *body)
{
	const struct strbuf parts[2] = { *head, *body };

	if (file_replace(path, parts, 2, true) < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
state_head(struct strbuf *head, const struct daemon *d, size_t n)
{
	sb_printf(head, STATE_HEADER " of server %s: %zu clients\n"
	    "# address\taccount\tchains\tlogin\tsession\tmac\n",
	    d->srv->name, n);
}

int
state_save(struct daemon *d, const char *path)
{
	struct strbuf head, body;
	int rc;

	/* An autosave under way would rename after us: it goes first. */
	worker_wait(d->saver);
	sb_init(&head);
	sb_init(&body);
	state_head(&head, d, d->nusers);
	user_each(d, save_one, &body);
	if ((rc = state_write(path, &head, &body)) == 0)
		log_info("state of %zu clients saved to %s", d->nusers, path);
	sb_free(&head);
	sb_free(&body);
	return rc;
}

/*
 * autosave: the lines made SAVE_SLICE buckets of the hash a turn of the
 * loop, written by the saver's thread (savestate, SIGUSR1 and a stop
 * write at once, state_save()).  A client that comes
 * or goes meanwhile may be in the file or not; the next save has it.
 */
#define SAVE_SLICE	4096

struct save_job {
	struct strbuf	head, body;
	char		*path;
	size_t		bucket, n;
	uint64_t	hgen;		/* the hash's, at the start */
};

static int
save_run(void *job, void *arg)
{
	struct save_job *j = job;

	(void)arg;
	return state_write(j->path, &j->head, &j->body);
}

static void
save_done(void *job, int rc, void *arg)
{
	struct save_job *j = job;

	(void)arg;
	if (rc == 0)
		log_info("state of %zu clients saved to %s", j->n, j->path);
	sb_free(&j->head);
	sb_free(&j->body);
	free(j->path);
	free(j);
}

static void
save_slice(struct loop *l, void *arg)
{
	struct daemon *d = arg;
	struct save_job *j = d->save_job;
	size_t end = j->bucket + SAVE_SLICE < d->hcap ?
	    j->bucket + SAVE_SLICE : d->hcap;

	d->save_slice_timer = NULL;
	/*
	 * The hash grew meanwhile: its buckets are not those walked so far
	 * (a client could be written twice, or not at all).  The next
	 * autosave writes the file.
	 */
	if (j->hgen != d->hgen) {
		log_debug("autosave: the clients' hash grew meanwhile; the "
		    "next autosave writes %s", j->path);
		d->save_job = NULL;
		save_done(j, -1, d);
		return;
	}
	for (; j->bucket < end; j->bucket++) {
		struct il_user *u;

		for (u = d->hash[j->bucket]; u; u = u->hnext) {
			save_one(d, u, &j->body);
			j->n++;
		}
	}
	if (j->bucket < d->hcap) {
		d->save_slice_timer = loop_timer(l, loop_now(), save_slice, d);
		return;
	}
	state_head(&j->head, d, j->n);
	d->save_job = NULL;
	worker_submit(d->saver, j);
}

void
state_autosave(struct daemon *d, const char *path)
{
	struct save_job *j;

	if (d->saver == NULL || d->loop == NULL) {
		state_save(d, path);
		return;
	}
	/*
	 * One at a time: a save under way is enough.  Nor while the hash
	 * grows (a few turns of the loop): the next autosave writes it.
	 */
	if (d->save_job || worker_busy(d->saver) || d->ohash)
		return;
	j = xcalloc(1, sizeof(*j));
	j->hgen = d->hgen;
	sb_init(&j->head);
	sb_init(&j->body);
	j->path = xstrdup(path);
	d->save_job = j;
	save_slice(d->loop, d);
}

int
state_start(struct daemon *d)
{
	if (d->statefile == NULL)
		return 0;
	d->saver = worker_new(d->loop, save_run, save_done, d);
	return worker_start(d->saver);
}

void
state_stop(struct daemon *d)
{
	loop_timer_free(d->loop, d->save_slice_timer);
	d->save_slice_timer = NULL;
	if (d->save_job) {
		save_done(d->save_job, -1, d);
		d->save_job = NULL;
	}
	worker_free(d->saver);
	d->saver = NULL;
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
