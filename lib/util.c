/*
 * Allocation that cannot fail (it exits) and a growing string buffer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipac.h"

static void
oom(void)
{
	fputs("out of memory\n", stderr);
	exit(3);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	p = realloc(p, n * size != 0 ? n * size : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
sb_init(struct strbuf *sb)
{
	sb->cap = 256;
	sb->len = 0;
	sb->buf = xmalloc(sb->cap);
	sb->buf[0] = '\0';
}

static void
sb_grow(struct strbuf *sb, size_t more)
{
	if (sb->len + more + 1 <= sb->cap)
		return;
	while (sb->len + more + 1 > sb->cap)
		sb->cap *= 2;
	sb->buf = xrealloc(sb->buf, sb->cap, 1);
}

void
sb_reserve(struct strbuf *sb, size_t more)
{
	sb_grow(sb, more);
}

void
sb_add(struct strbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

/* Write all of buf to fd; 0 or -1 with errno. */
int
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

void
malloc_reuse(void)
{
#ifdef M_MMAP_THRESHOLD
	(void)mallopt(M_MMAP_THRESHOLD, 256 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
obj_names_free(struct obj_names *on)
{
	strv_free(on->v, on->n);
	on->v = NULL;
	on->n = 0;
}

void
mem_ready(void *p, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, e;

	if (pg <= 0)
		return;
	a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	e = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
	/* Refused by an older kernel: the pages come one fault each. */
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
}

void
heap_reserve(size_t n)
{
	static size_t have;
	long pg = sysconf(_SC_PAGESIZE), np = sysconf(_SC_PHYS_PAGES);
	char *p;

	/* Never much of the machine: an eighth of its memory, 1 GiB. */
	if (np > 0 && pg > 0 && n > (size_t)np / 8 * (size_t)pg)
		n = (size_t)np / 8 * (size_t)pg;
	if (n > (size_t)1 << 30)
		n = (size_t)1 << 30;
	if (n <= have || (p = malloc(n)) == NULL)
		return;
	mem_ready(p, n);
	free(p);
	have = n;
}

uint64_t
mem_checksum(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; c += 8, n -= 8) {
		memcpy(&w, c, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, c, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* FNV-1a: short strings, good enough spread for open addressing. */
static uint64_t
str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
strtab_slot(struct strtab *t, size_t id)
{
	size_t i = (size_t)str_hash(t->v[id]) & (t->nslot - 1);

	while (t->slot[i])
		i = (i + 1) & (t->nslot - 1);
	t->slot[i] = id + 1;
}

size_t
strtab_intern(struct strtab *t, const char *s, bool *is_new)
{
	size_t i, id;

	if (t->nslot) {
		i = (size_t)str_hash(s) & (t->nslot - 1);
		for (; t->slot[i]; i = (i + 1) & (t->nslot - 1))
			if (strcmp(t->v[t->slot[i] - 1], s) == 0) {
				if (is_new)
					*is_new = false;
				return t->slot[i] - 1;
			}
	}
	if (is_new)
		*is_new = true;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = xrealloc(t->v, t->cap, sizeof(*t->v));
	}
	id = t->n++;
	t->v[id] = xstrdup(s);
	if (2 * t->n > t->nslot) {
		free(t->slot);
		t->nslot = t->nslot ? 2 * t->nslot : 64;
		while (2 * t->n > t->nslot)
			t->nslot *= 2;
		t->slot = xcalloc(t->nslot, sizeof(*t->slot));
		for (i = 0; i < t->n; i++)
			strtab_slot(t, i);
	} else
		strtab_slot(t, id);
	return id;
}

void
strtab_free(struct strtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

int
parse_wait(const char *arg, int *secs)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(arg, &end, 10);
	if (errno || *end || end == arg || l < 0 || l > 86400) {
		log_error("-w '%s': seconds from 0 to 86400", arg);
		return -1;
	}
	*secs = (int)l;
	return 0;
}

int
stdout_status(int ex)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_error("standard output: %s", strerror(errno ? errno : EIO));
		if (ex == 0)
			ex = 1;
	}
	return ex;
}

int
mkdir_p(const char *dir, int mode)
{
	char *d = xstrdup(dir), *p;
	int rc = 0;

	for (p = d + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(d, (mode_t)mode) < 0 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0' || rc < 0)
			break;
	}
	free(d);
	return rc;
}

int
mkdir_of(const char *path, int mode)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc, saved;

	if (slash == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	rc = mkdir_p(dir, mode);
	saved = errno;
	free(dir);
	errno = saved;
	return rc;
}

/* fsync the folder path is in (its rename durable); errors ignored. */
static void
sync_folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int
file_replace(const char *path, const struct strbuf *parts, size_t nparts,
    bool sync)
{
	struct strbuf tmp;
	size_t i;
	bool ok;
	int fd, saved;

	sb_init(&tmp);
	sb_printf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		saved = errno;
		sb_free(&tmp);
		errno = saved;
		return -1;
	}
	for (i = 0; i < nparts; i++)
		if (write_all(fd, parts[i].buf, parts[i].len) < 0)
			break;
	ok = i == nparts && (!sync || fsync(fd) == 0);
	saved = errno;
	if (close(fd) < 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && rename(tmp.buf, path) < 0) {
		ok = false;
		saved = errno;
	}
	if (!ok)
		unlink(tmp.buf);
	else if (sync)
		sync_folder_of(path);
	sb_free(&tmp);
	errno = saved;
	return ok ? 0 : -1;
}

int64_t
unit_seconds(const struct unit *u, char c)
{
	for (; u->c; u++)
		if (u->c == c)
			return u->secs;
	return 0;
}

int
word_index(const char *w, const char *const words[])
{
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(w, words[i]) == 0)
			return i;
	return -1;
}

int
read_file(const char *path, struct strbuf *sb)
{
	char chunk[8192];
	size_t n;
	FILE *fp;

	memset(sb, 0, sizeof(*sb));
	if ((fp = fopen(path, "r")) == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	sb_init(sb);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		sb_add(sb, chunk, n);
	if (ferror(fp)) {
		log_error("%s: %s", path, strerror(errno));
		sb_free(sb);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

bool
is_pg_uri(const char *s)
{
	return strncmp(s, "postgresql:", 11) == 0 ||
	    strncmp(s, "postgres:", 9) == 0;
}
