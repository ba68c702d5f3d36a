/*
 * The spool: snapshots of the kernel counters that could not reach the
 * store (busy past the timeout, disk full, read-only), one file each,
 * replayed in order by the next run that can write.  A snapshot holds
 * absolute counter values, so replaying it late, or not at all, never
 * counts anything twice: it only decides how finely the time is split.
 *
 * The rulesets ipacset applied while the store could not take them wait
 * here as well, in the same order (the key of a file leads its name), so
 * that they are recorded between the snapshots taken before and after.
 *
 * File formats (text, written to a temporary name, synced, then renamed,
 * so a file is whole or absent).  A snapshot, NNN-PID.snap:
 *
 *	ipac-snapshot 1
 *	host NAME
 *	time T KEY
 *	kernel BOOT-ID NETNS TABLE(0|1) TABLE-HANDLE
 *	flags N START
 *	problems TEXT		(or "problems -")
 *	counter HANDLE BYTES PACKETS NAME	(one per counter)
 *	part KEY BYTES PACKETS	(each rule of the counter before, if any;
 *				 KEY in hex)
 *	end
 *
 * A ruleset, NNN-PID.rules, or NNN-PID.intent while ipacset has not
 * changed the kernel yet (text fields: their length in bytes, a newline,
 * the bytes and a newline):
 *
 *	ipac-ruleset 1
 *	host NAME
 *	time APPLIED KEY
 *	stamp GENERATION
 *	backend NAME
 *	table NAME
 *	priority N
 *	created 0|1
 *	source LENGTH / config LENGTH / script LENGTH	(each with its text)
 *	end
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipac.h"
#include "store.h"
#include "spool.h"

void
snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	free(s->host);
	free(s->problems);
	counter_list_free(&s->cl);
	memset(s, 0, sizeof(*s));
}

#define SPOOL_MAGIC	"ipac-snapshot 1"
#define RULES_MAGIC	"ipac-ruleset 1"

static int	part_cmp(const void *, const void *);

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

		size_t k;

		sb_printf(sb, "counter %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
		    c->handle, c->bytes, c->packets, c->name);
		for (k = 0; k < c->nparts; k++)
			sb_printf(sb, "part %" PRIx64 " %" PRIu64 " %" PRIu64
			    "\n", c->parts[k].key, c->parts[k].bytes,
			    c->parts[k].packets);
	}
	sb_puts(sb, "end\n");
}

static void
format_text(struct strbuf *sb, const char *field, const char *text)
{
	sb_printf(sb, "%s %zu\n", field, strlen(text));
	sb_puts(sb, text);
	sb_puts(sb, "\n");
}

static void
format_ruleset(struct strbuf *sb, const char *host, int64_t key,
    const struct ruleset_rec *r)
{
	/* A config and script of 100,000 names are 12 MB: room at once. */
	sb_reserve(sb, strlen(r->source) + strlen(r->config) +
	    strlen(r->script) + 512);
	sb_printf(sb, "%s\nhost %s\ntime %" PRId64 " %" PRId64 "\n",
	    RULES_MAGIC, host, r->applied, key);
	sb_printf(sb, "stamp %" PRId64 "\nbackend %s\ntable %s\n"
	    "priority %d\ncreated %d\n", r->stamp, r->backend, r->table,
	    r->priority, r->created ? 1 : 0);
	format_text(sb, "source", r->source);
	format_text(sb, "config", r->config);
	format_text(sb, "script", r->script);
	sb_puts(sb, "end\n");
}

/*
 * Write sb whole as dir/KEY-PID.suffix (dir made if missing); sync: to
 * the disk as well, not only past the death of this process.
 */
static int
write_file(const char *dir, int64_t key, const char *suffix,
    const struct strbuf *sb, bool sync, char **path)
{
	struct strbuf name;
	int saved;

	*path = NULL;
	if (mkdir_p(dir, 0700) < 0)
		return -1;
	sb_init(&name);
	sb_printf(&name, "%s/%020" PRId64 "-%ld%s", dir, key, (long)getpid(),
	    suffix);
	if (file_replace(name.buf, sb, 1, sync) < 0) {
		saved = errno;
		sb_free(&name);
		errno = saved;
		return -1;
	}
	*path = name.buf;
	return 0;
}

int
spool_write(const char *dir, const struct snapshot *s, char **path)
{
	struct strbuf sb;
	int rc, saved;

	sb_init(&sb);
	format_snapshot(&sb, s);
	rc = write_file(dir, s->key, SPOOL_SUFFIX, &sb, true, path);
	saved = errno;
	sb_free(&sb);
	errno = saved;
	return rc;
}

int
spool_write_ruleset(const char *dir, const char *host, int64_t key,
    const struct ruleset_rec *r, const char *suffix, bool sync, char **path)
{
	struct strbuf sb;
	int rc, saved;

	sb_init(&sb);
	format_ruleset(&sb, host, key, r);
	rc = write_file(dir, key, suffix, &sb, sync, path);
	saved = errno;
	sb_free(&sb);
	errno = saved;
	return rc;
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
	size_t cap = 0, ccap = 0, pcap = 0;
	ssize_t len;
	size_t i;
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
			/* Twice (a damaged file): the last one. */
			free(s->problems);
			s->problems = strcmp(p, "-") != 0 ? xstrdup(p) : NULL;
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
			memset(&s->cl.c[s->cl.n], 0, sizeof(s->cl.c[0]));
			s->cl.c[s->cl.n].handle = u1;
			s->cl.c[s->cl.n].bytes = u2;
			s->cl.c[s->cl.n].packets = u3;
			s->cl.c[s->cl.n].name = xstrdup(p);
			s->cl.n++;
			pcap = 0;
		} else if (strcmp(key, "part") == 0 && s->cl.n > 0) {
			struct counter *cn = &s->cl.c[s->cl.n - 1];
			char *k = word(&p), *end;

			errno = 0;
			u1 = k && *k ? strtoull(k, &end, 16) : 0;
			bad = k == NULL || !*k || *end || errno ||
			    !unum(word(&p), &u2) || !unum(word(&p), &u3) ||
			    p != NULL;
			if (bad)
				break;
			if (cn->nparts == pcap) {
				pcap = pcap ? 2 * pcap : 4;
				cn->parts = xrealloc(cn->parts, pcap,
				    sizeof(*cn->parts));
			}
			cn->parts[cn->nparts].key = u1;
			cn->parts[cn->nparts].bytes = u2;
			cn->parts[cn->nparts].packets = u3;
			cn->nparts++;
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
	counter_list_sort(&s->cl);
	for (i = 1; i < s->cl.n; i++)
		if (strcmp(s->cl.c[i - 1].name, s->cl.c[i].name) == 0) {
			log_error("%s: counter '%s' twice: not an ipac snapshot",
			    path, s->cl.c[i].name);
			snapshot_free(s);
			return -1;
		}
	for (i = 0; i < s->cl.n; i++)
		if (s->cl.c[i].nparts > 1)
			qsort(s->cl.c[i].parts, s->cl.c[i].nparts,
			    sizeof(*s->cl.c[i].parts), part_cmp);
	return 0;
}

/* The text field called name at *p of the buffer ending at end. */
static char *
read_text(const char **p, const char *end, const char *name)
{
	size_t nl = strlen(name), len = 0;
	const char *q = *p;
	char *t;

	if ((size_t)(end - q) <= nl || strncmp(q, name, nl) != 0 ||
	    q[nl] != ' ')
		return NULL;
	for (q += nl + 1; q < end && *q >= '0' && *q <= '9'; q++) {
		if (len > (SIZE_MAX - 9) / 10)
			return NULL;
		len = len * 10 + (size_t)(*q - '0');
	}
	if (q >= end || *q != '\n' || (size_t)(end - q - 1) < len + 1 ||
	    q[1 + len] != '\n')
		return NULL;
	t = xstrndup(q + 1, len);
	if (strlen(t) != len) {		/* a NUL inside */
		free(t);
		return NULL;
	}
	*p = q + 1 + len + 1;
	return t;
}

/* The line at *p (without its newline, which must be there), copied. */
static char *
read_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *l;

	if (nl == NULL)
		return NULL;
	l = xstrndup(*p, (size_t)(nl - *p));
	*p = nl + 1;
	return l;
}

int
spool_read_ruleset(const char *path, char **host, int64_t *key,
    struct ruleset_rec *r)
{
	struct strbuf sb;
	const char *p, *end;
	char *l = NULL, *w, *rest;
	int64_t v;
	int i;
	bool bad = true;
	static const char *const fields[] = { "host", "time", "stamp",
	    "backend", "table", "priority", "created" };

	memset(r, 0, sizeof(*r));
	*host = NULL;
	*key = 0;
	if (read_file(path, &sb) < 0)
		return -1;
	p = sb.buf;
	end = sb.buf + sb.len;
	if ((l = read_line(&p, end)) == NULL || strcmp(l, RULES_MAGIC) != 0)
		goto out;
	for (i = 0; i < (int)(sizeof fields / sizeof fields[0]); i++) {
		free(l);
		if ((l = read_line(&p, end)) == NULL)
			goto out;
		rest = l;
		w = word(&rest);
		if (strcmp(w, fields[i]) != 0 || rest == NULL || !*rest)
			goto out;
		switch (i) {
		case 0:
			*host = xstrdup(rest);
			break;
		case 1:
			if (!num(word(&rest), &r->applied) ||
			    !num(word(&rest), key) || rest)
				goto out;
			break;
		case 2:
			if (!num(rest, &r->stamp) || r->stamp < 0)
				goto out;
			break;
		case 3:
			r->backend = xstrdup(rest);
			break;
		case 4:
			r->table = xstrdup(rest);
			break;
		case 5:
			if (!num(rest, &v) || v < INT_MIN || v > INT_MAX)
				goto out;
			r->priority = (int)v;
			break;
		case 6:
			if (!num(rest, &v) || (v != 0 && v != 1))
				goto out;
			r->created = v == 1;
			break;
		}
	}
	if ((r->source = read_text(&p, end, "source")) == NULL ||
	    (r->config = read_text(&p, end, "config")) == NULL ||
	    (r->script = read_text(&p, end, "script")) == NULL)
		goto out;
	free(l);
	bad = (l = read_line(&p, end)) == NULL || strcmp(l, "end") != 0 ||
	    p != end || *key <= 0;
out:
	free(l);
	sb_free(&sb);
	if (bad) {
		log_error("%s: not a whole ipac ruleset", path);
		free(*host);
		*host = NULL;
		ruleset_rec_free(r);
		return -1;
	}
	return 0;
}

#define CACHE_MAGIC	"ipac ruleset cache 3\n"

/* A decimal number and its separator sep at *p (before end); moves on. */
static bool
cache_num(const char **p, const char *end, char sep, long long *v)
{
	const char *q = *p;
	bool neg = q < end && *q == '-';
	unsigned long long u = 0;

	if (neg)
		q++;
	if (q == end || *q < '0' || *q > '9')
		return false;
	while (q < end && *q >= '0' && *q <= '9') {
		if (u > (LLONG_MAX - 9) / 10)
			return false;
		u = u * 10 + (unsigned)(*q++ - '0');
	}
	if (q == end || *q != sep)
		return false;
	*v = neg ? -(long long)u : (long long)u;
	*p = q + 1;
	return true;
}

/* The copy's checksum: of what follows its line, but the last NUL. */
static long long
cache_sum(const char *p, size_t n)
{
	return (long long)(mem_checksum(p, n) >> 1);
}

/*
 * The file is mapped, not read: its script (a megabyte at 10,000 names)
 * is used where it lies, the file's last byte its terminating NUL.  A
 * copy into fresh memory cost 5 ms a run at 10,000 names here.  The
 * checksum is taken last, when the rest has been found whole.
 */
int
spool_read_cache(const char *path, struct ruleset_rec *r)
{
	long long sum, v[9];
	const char *p, *end, *body;
	char *map = MAP_FAILED;
	size_t len = 0, rem, bl, tl, sl, cl;
	struct stat st;
	int fd, i;

	memset(r, 0, sizeof(*r));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_size > (off_t)strlen(CACHE_MAGIC) &&
	    st.st_size <= INT32_MAX) {
		len = (size_t)st.st_size;
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		    fd, 0);
	}
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	p = map + strlen(CACHE_MAGIC);
	end = map + len - 1;		/* the NUL */
	if (memcmp(map, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0 ||
	    *end != '\0' || !cache_num(&p, end, '\n', &sum))
		goto bad;
	body = p;
	for (i = 0; i < 9; i++)
		if (!cache_num(&p, end, i < 8 ? ' ' : '\n', &v[i]))
			goto bad;
	for (i = 5; i < 9; i++)
		if (v[i] < 0)
			goto bad;
	bl = (size_t)v[5];
	tl = (size_t)v[6];
	sl = (size_t)v[7];
	cl = (size_t)v[8];
	rem = (size_t)(end - p);
	/* The lengths as the bytes there are, without an overflow. */
	if (bl > rem || tl > rem - bl || sl > rem - bl - tl ||
	    cl != rem - bl - tl - sl || memchr(p, '\0', rem) != NULL ||
	    v[2] < INT_MIN || v[2] > INT_MAX ||
	    cache_sum(body, (size_t)(end - body)) != sum)
		goto bad;
	r->id = v[0];
	r->applied = v[1];
	r->priority = (int)v[2];
	r->created = v[3] != 0;
	r->stamp = v[4];
	r->backend = xstrndup(p, bl);
	r->table = xstrndup(p + bl, tl);
	r->source = xstrndup(p + bl + tl, sl);
	r->script = map + (size_t)(p - map) + bl + tl + sl;
	r->map = map;
	r->maplen = len;
	return 0;
bad:
	munmap(map, len);
	return -1;
}

int
spool_write_cache(const char *path, const struct ruleset_rec *r)
{
	struct strbuf head, sb;
	size_t cl = strlen(r->script);
	int rc, saved;

	sb_init(&sb);
	sb_reserve(&sb, cl + strlen(r->backend) + strlen(r->table) +
	    strlen(r->source) + 128);
	sb_printf(&sb, "%lld %lld %d %d %lld %zu %zu %zu %zu\n",
	    (long long)r->id, (long long)r->applied, r->priority,
	    r->created ? 1 : 0, (long long)r->stamp, strlen(r->backend),
	    strlen(r->table), strlen(r->source), cl);
	sb_puts(&sb, r->backend);
	sb_puts(&sb, r->table);
	sb_puts(&sb, r->source);
	sb_add(&sb, r->script, cl);
	sb_init(&head);
	sb_printf(&head, CACHE_MAGIC "%lld\n", cache_sum(sb.buf, sb.len));
	sb_add(&sb, "", 1);		/* the script's NUL */
	{
		struct strbuf parts[2] = { head, sb };

		rc = file_replace(path, parts, 2, false);
	}
	saved = errno;
	sb_free(&head);
	sb_free(&sb);
	errno = saved;
	return rc;
}

static int
part_cmp(const void *pa, const void *pb)
{
	const struct counter_part *a = pa, *b = pb;

	return a->key < b->key ? -1 : a->key > b->key;
}

static int
str_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');

	return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

static bool
has_suffix(const char *name, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len > sl && strcmp(name + len - sl, suffix) == 0;
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

			if (!has_suffix(e->d_name, len, SPOOL_SUFFIX) &&
			    !has_suffix(e->d_name, len, RULES_SUFFIX) &&
			    !has_suffix(e->d_name, len, INTENT_SUFFIX))
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
