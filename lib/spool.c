/*
 * The spool: snapshots of the kernel counters that could not reach the
 * store (busy past the timeout, disk full, read-only), one file each,
 * replayed in order by the next run that can write.  A snapshot holds
 * absolute counter values, so replaying it late, or not at all, never
 * counts anything twice: it only decides how finely the time is split.
 *
 * File format (text, one snapshot, written to a temporary name, synced,
 * then renamed, so a file is whole or absent):
 *
 *	ipac-snapshot 1
 *	host NAME
 *	time T KEY
 *	kernel BOOT-ID NETNS TABLE(0|1) TABLE-HANDLE
 *	flags N START
 *	problems TEXT		(or "problems -")
 *	counter HANDLE BYTES PACKETS NAME	(one per counter)
 *	end
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipac.h"
#include "fetch.h"

#define SPOOL_MAGIC	"ipac-snapshot 1"

static int	counter_cmp(const void *, const void *);
#define SPOOL_SUFFIX	".snap"

/* Write all of buf to fd; 0 or -1 with errno. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
format_snapshot(struct strbuf *sb, const struct snapshot *s)
{
	size_t i;

	sb_printf(sb, "%s\nhost %s\ntime %" PRId64 " %" PRId64 "\n",
	    SPOOL_MAGIC, s->host, s->t, s->key);
	sb_printf(sb, "kernel %s %" PRId64 " %d %" PRIu64 "\n",
	    s->boot[0] ? s->boot : "-", s->netns, s->cl.table ? 1 : 0,
	    s->cl.table_handle);
	sb_printf(sb, "flags %d %" PRId64 "\n", s->flags, s->start_hint);
	sb_printf(sb, "problems %s\n", s->problems ? s->problems : "-");
	for (i = 0; i < s->cl.n; i++) {
		const struct counter *c = &s->cl.c[i];

		sb_printf(sb, "counter %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
		    c->handle, c->bytes, c->packets, c->name);
	}
	sb_puts(sb, "end\n");
}

int
spool_write(const char *dir, const struct snapshot *s, char **path)
{
	struct strbuf sb, name, tmp;
	int fd = -1, dfd, saved;

	*path = NULL;
	if (mkdir_p(dir, 0700) < 0)
		return -1;
	sb_init(&sb);
	sb_init(&name);
	sb_init(&tmp);
	format_snapshot(&sb, s);
	sb_printf(&name, "%s/%020" PRId64 "-%ld" SPOOL_SUFFIX, dir, s->key,
	    (long)getpid());
	sb_printf(&tmp, "%s.tmp", name.buf);
	if ((fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		goto fail;
	if (write_all(fd, sb.buf, sb.len) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.buf, name.buf) < 0)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	sb_free(&sb);
	sb_free(&tmp);
	*path = name.buf;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp.buf);
	sb_free(&sb);
	sb_free(&tmp);
	sb_free(&name);
	errno = saved;
	return -1;
}

/* Split off the next space-separated word of *p. */
static char *
word(char **p)
{
	char *w = *p, *sp;

	if (w == NULL)
		return NULL;
	if ((sp = strchr(w, ' ')) != NULL) {
		*sp = '\0';
		*p = sp + 1;
	} else
		*p = NULL;
	return w;
}

static bool
num(const char *w, int64_t *v)
{
	char *end;

	if (w == NULL || !*w)
		return false;
	errno = 0;
	*v = strtoll(w, &end, 10);
	return !errno && !*end;
}

static bool
unum(const char *w, uint64_t *v)
{
	char *end;

	if (w == NULL || !*w || *w == '-')
		return false;
	errno = 0;
	*v = strtoull(w, &end, 10);
	return !errno && !*end;
}

int
spool_read(const char *path, struct snapshot *s)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0, ccap = 0;
	ssize_t len;
	int lineno = 0;
	bool ended = false, bad = false;

	snapshot_init(s);
	if ((fp = fopen(path, "r")) == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	while (!bad && (len = getline(&line, &cap, fp)) > 0) {
		char *p = line, *key;
		int64_t a, b, c;
		uint64_t u1, u2, u3;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (lineno == 1) {
			bad = strcmp(line, SPOOL_MAGIC) != 0;
			continue;
		}
		key = word(&p);
		if (strcmp(key, "host") == 0 && p) {
			free(s->host);
			s->host = xstrdup(p);
		} else if (strcmp(key, "time") == 0) {
			bad = !num(word(&p), &s->t) || !num(word(&p), &s->key);
		} else if (strcmp(key, "kernel") == 0) {
			char *boot = word(&p);

			bad = boot == NULL || !num(word(&p), &a) ||
			    !num(word(&p), &b) || !unum(word(&p), &u1);
			if (!bad) {
				snprintf(s->boot, sizeof(s->boot), "%s",
				    strcmp(boot, "-") ? boot : "");
				s->netns = a;
				s->cl.table = b != 0;
				s->cl.table_handle = u1;
			}
		} else if (strcmp(key, "flags") == 0) {
			bad = !num(word(&p), &a) || !num(word(&p), &c);
			if (!bad) {
				s->flags = (int)a;
				s->start_hint = c;
			}
		} else if (strcmp(key, "problems") == 0 && p) {
			if (strcmp(p, "-") != 0)
				s->problems = xstrdup(p);
		} else if (strcmp(key, "counter") == 0) {
			bad = !unum(word(&p), &u1) || !unum(word(&p), &u2) ||
			    !unum(word(&p), &u3) || p == NULL;
			if (bad)
				break;
			if (s->cl.n == ccap) {
				ccap = ccap ? 2 * ccap : 64;
				s->cl.c = xrealloc(s->cl.c, ccap,
				    sizeof(*s->cl.c));
			}
			s->cl.c[s->cl.n].handle = u1;
			s->cl.c[s->cl.n].bytes = u2;
			s->cl.c[s->cl.n].packets = u3;
			s->cl.c[s->cl.n].name = xstrdup(p);
			s->cl.n++;
		} else if (strcmp(key, "end") == 0) {
			ended = true;
			break;
		} else
			bad = true;
	}
	free(line);
	fclose(fp);
	if (bad || !ended || s->host == NULL || s->key == 0) {
		log_error("%s:%d: not a whole ipac snapshot", path, lineno);
		snapshot_free(s);
		return -1;
	}
	/* Storing wants them by name (a file may have been edited). */
	if (s->cl.n > 1)
		qsort(s->cl.c, s->cl.n, sizeof(*s->cl.c), counter_cmp);
	return 0;
}



static int
counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name,
	    ((const struct counter *)b)->name);
}

static int
str_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');

	return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

int
spool_list(const char *const dirs[], size_t ndirs, char ***out, size_t *nout)
{
	char **v = NULL;
	size_t n = 0, cap = 0, i;

	for (i = 0; i < ndirs; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		if (d == NULL) {
			if (errno == ENOENT)
				continue;
			log_warn("%s", dirs[i]);
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);
			struct strbuf sb;

			if (len <= strlen(SPOOL_SUFFIX) ||
			    strcmp(e->d_name + len - strlen(SPOOL_SUFFIX),
			    SPOOL_SUFFIX) != 0)
				continue;
			sb_init(&sb);
			sb_printf(&sb, "%s/%s", dirs[i], e->d_name);
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				v = xrealloc(v, cap, sizeof(*v));
			}
			v[n++] = sb.buf;
		}
		closedir(d);
	}
	/* The key leads the name: name order is time order. */
	if (n > 1)
		qsort(v, n, sizeof(*v), str_cmp);
	*out = v;
	*nout = n;
	return 0;
}
