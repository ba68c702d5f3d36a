/*
 * RRD files kept from the store, and graphs drawn from them, through
 * librrd: one file per accounting name, fed what each fetchipac run
 * counted, at the run's end.
 *
 * librrd brings cairo, pango and glib, 48 shared libraries that take a
 * process 7 ms to load: it is opened (dlopen) only when RRD work is
 * asked for, so reports start as fast as they did without it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#if HAVE_LIBRRD
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rrd.h>

#include "ipacsum.h"
#include "query.h"

/* librrd's calls, from the library opened at the first use. */
static struct {
	void		*h;
	int		(*create_r2)(const char *, unsigned long, time_t, int,
			    const char **, const char *, int, const char **);
	int		(*update_r)(const char *, const char *, int,
			    const char **);
	time_t		(*last_r)(const char *);
	rrd_info_t	*(*graph_v)(int, char **);
	void		(*info_free)(rrd_info_t *);
	void		(*clear_error)(void);
	char		*(*get_error)(void);
} lib;

static int
lib_open(void)
{
	if (lib.h)
		return 0;
	if ((lib.h = dlopen("librrd.so.8", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_error("librrd: %s (apt-get install librrd8)", dlerror());
		return -1;
	}
	if (!(*(void **)&lib.create_r2 = dlsym(lib.h, "rrd_create_r2")) ||
	    !(*(void **)&lib.update_r = dlsym(lib.h, "rrd_update_r")) ||
	    !(*(void **)&lib.last_r = dlsym(lib.h, "rrd_last_r")) ||
	    !(*(void **)&lib.graph_v = dlsym(lib.h, "rrd_graph_v")) ||
	    !(*(void **)&lib.info_free = dlsym(lib.h, "rrd_info_free")) ||
	    !(*(void **)&lib.clear_error = dlsym(lib.h, "rrd_clear_error")) ||
	    !(*(void **)&lib.get_error = dlsym(lib.h, "rrd_get_error"))) {
		log_error("librrd: %s", dlerror());
		dlclose(lib.h);
		lib.h = NULL;
		return -1;
	}
	return 0;
}

#define RUNS_CHUNK	512	/* runs fed at a time */

/*
 * ABSOLUTE: each update is what a run counted since the one before.  A
 * year's heartbeat, so a long run (fetchipac stopped for hours) is spread
 * over its time instead of lost; times without runs are fed as unknown.
 * The archives (averages) are those of rrd_archive[] (plot.c): 14 days of
 * 5 minutes, 366 days of hours, 10 years of days.
 */
static const char *const rrd_ds[] = {
	"DS:bytes:ABSOLUTE:31622400:0:U",
	"DS:packets:ABSOLUTE:31622400:0:U",
};
#define RRD_DEFS	(2 + RRD_ARCHIVES)
/* One name's file and how far it is fed. */
struct feed {
	const struct line *l;
	char		*path;
	int64_t		last;		/* its last update */
	bool		exists;
};

/* What the names counted in a chunk of runs. */
struct chunk {
	const struct run *r;		/* the chunk's runs */
	size_t		nr;
	const struct by_id *ids;
	size_t		nids;
	struct sum	*v;		/* [name * nr + run] */
};

static int
chunk_row(void *ctx, int64_t t, int64_t rule_id, uint64_t bytes,
    uint64_t packets)
{
	struct chunk *c = ctx;
	const struct by_id *f;
	size_t lo;
	struct sum *s;

	if ((f = by_id_find(c->ids, c->nids, rule_id)) == NULL)
		return 0;
	lo = run_of(c->r, c->nr, t);
	s = &c->v[f->i * c->nr + lo];
	s->bytes = sat_add(s->bytes, bytes);
	s->packets = sat_add(s->packets, packets);
	return 0;
}

static int
rrd_failed(const char *path, const char *what)
{
	const char *e = lib.get_error();

	log_error("%s: %s: %s", path, what, e && *e ? e : "failed");
	lib.clear_error();
	return -1;
}

static int
feed_create(struct feed *f, int64_t start)
{
	static char rra[RRD_ARCHIVES][48];
	const char *def[RRD_DEFS];
	size_t i;

	def[0] = rrd_ds[0];
	def[1] = rrd_ds[1];
	for (i = 0; i < RRD_ARCHIVES; i++) {
		snprintf(rra[i], sizeof(rra[i]), "RRA:AVERAGE:0.5:%" PRId64
		    ":%" PRId64, rrd_archive[i].step / RRD_STEP,
		    rrd_archive[i].rows);
		def[2 + i] = rra[i];
	}
	lib.clear_error();
	if (lib.create_r2(f->path, RRD_STEP, (time_t)start, 0, NULL, NULL,
	    RRD_DEFS, def) != 0)
		return rrd_failed(f->path, "create");
	f->exists = true;
	f->last = start;
	return 0;
}

/* Feed one name the runs of the chunk that end after its last update. */
static int
feed_chunk(struct feed *f, size_t k, const struct chunk *c)
{
	char (*buf)[64] = xcalloc(2 * c->nr, sizeof(*buf));
	const char **argv = xcalloc(2 * c->nr, sizeof(*argv));
	int argc = 0, rc = 0;
	size_t j;

	for (j = 0; j < c->nr; j++) {
		const struct run *r = &c->r[j];
		const struct sum *s = &c->v[k * c->nr + j];
		int64_t t0 = run_start(r);

		if (r->t1 <= f->last)
			continue;
		if (!f->exists && feed_create(f, t0) < 0) {
			rc = -1;
			goto out;
		}
		if (t0 > f->last) {
			/* No run covers [last, t0): unknown, not zero. */
			snprintf(buf[argc], sizeof(buf[argc]), "%" PRId64
			    ":U:U", t0);
			argv[argc] = buf[argc];
			argc++;
		}
		snprintf(buf[argc], sizeof(buf[argc]), "%" PRId64 ":%" PRIu64
		    ":%" PRIu64, r->t1, s->bytes, s->packets);
		argv[argc] = buf[argc];
		argc++;
		f->last = r->t1;
	}
	lib.clear_error();
	if (argc && lib.update_r(f->path, "bytes:packets", argc, argv) != 0)
		rc = rrd_failed(f->path, "update");
out:
	free(argv);
	free(buf);
	return rc;
}

int
rrd_update_lines(struct store *st, const struct host_state *h,
    const char *dir, const struct line *v, size_t n)
{
	struct feed *f = xcalloc(n ? n : 1, sizeof(*f));
	struct by_id *ids = by_id_index(v, n);
	struct runs rs = { 0 };
	int64_t from = INT64_MAX, first = 0;
	bool has_first = false;
	struct stat sb;
	size_t i, a, done = 0;
	int rc = -1;

	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (lib_open() < 0 || mkdir_p(dir, 0755) < 0)
		goto out;
	if (store_first_sample(st, h->id, &first, &has_first) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct strbuf p;
		char *file = name_file(v[i].name, ".rrd");

		sb_init(&p);
		sb_printf(&p, "%s/%s", dir, file);
		free(file);
		f[i].l = &v[i];
		f[i].path = p.buf;
		if (stat(f[i].path, &sb) == 0) {
			lib.clear_error();
			if ((f[i].last = lib.last_r(f[i].path)) == -1) {
				rrd_failed(f[i].path, "read");
				goto out;
			}
			f[i].exists = true;
		} else if (errno != ENOENT) {
			log_error("%s: %s", f[i].path, strerror(errno));
			goto out;
		} else {
			/*
			 * A new file starts with the run of the oldest sample
			 * kept: the first that ends at or after it.
			 */
			f[i].last = has_first ? first - 1 : h->has_run ?
			    h->last_t1 : acct_now();
		}
		if (f[i].last < from)
			from = f[i].last;
	}
	if (runs_read(st, h, from + 1, INT64_MAX, &rs) < 0)
		goto out;
	for (a = 0; a < rs.n; a += RUNS_CHUNK) {
		struct chunk c = { .r = rs.v + a, .ids = ids, .nids = n };

		c.nr = rs.n - a < RUNS_CHUNK ? rs.n - a : RUNS_CHUNK;
		c.v = xcalloc(n * c.nr, sizeof(*c.v));
		if (store_rows(st, RES_SAMPLE, h->id, c.r[0].t,
		    c.r[c.nr - 1].t + 1, chunk_row, &c) < 0) {
			free(c.v);
			goto out;
		}
		for (i = 0; i < n; i++) {
			log_progress("RRD updates", done++, n * ((rs.n +
			    RUNS_CHUNK - 1) / RUNS_CHUNK));
			if (feed_chunk(&f[i], i, &c) < 0) {
				free(c.v);
				goto out;
			}
		}
		free(c.v);
	}
	/* Names without a run to feed get a file all the same. */
	for (i = 0; i < n; i++)
		if (!f[i].exists && feed_create(&f[i], f[i].last) < 0)
			goto out;
	rc = 0;
out:
	log_progress("RRD updates", 1, 1);
	for (i = 0; i < n; i++)
		free(f[i].path);
	free(f);
	free(ids);
	free(rs.v);
	return rc;
}

/* path with ':' escaped for a DEF. */
static char *
def_path(const char *path)
{
	struct strbuf sb;

	sb_init(&sb);
	for (; *path; path++) {
		if (*path == ':' || *path == '\\')
			sb_add(&sb, "\\", 1);
		sb_add(&sb, path, 1);
	}
	return sb.buf;
}

/* s for a legend or COMMENT: ':' escaped, control bytes dropped. */
static void
rrd_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (ch == ':')
			sb_add(sb, "\\", 1);
		sb_add(sb, s, 1);
	}
}

/* Terms of a layer added per CDEF, so no expression grows too long. */
#define SUM_TERMS	32

/* Chart c as dir/FILE.ext from the names' RRD files; 0 or -1. */
static int
graph_chart(const struct plot *p, const struct chart *c, const char *file)
{
	char start[24], end[24], width[16], height[16], step[24];
	char title[512], legend[512];
	struct strbuf out, *arg = NULL;
	const char **argv = NULL;
	rrd_info_t *info, *i;
	size_t argc = 0, nargs = 0, k, j;
	int rc = -1;

	sb_init(&out);
	snprintf(start, sizeof(start), "%" PRId64, p->from);
	snprintf(end, sizeof(end), "%" PRId64, p->to);
	snprintf(width, sizeof(width), "%d", p->width);
	snprintf(height, sizeof(height), "%d", p->height);
	snprintf(step, sizeof(step), "%" PRId64, p->step);
	graph_title(p, c, title, sizeof(title));
	graph_legend(p, c, legend, sizeof(legend));
	for (k = 0; k < c->nlayers; k++)
		nargs += c->layer[k].nidx * 2 + 2;
	arg = xcalloc(nargs + 2, sizeof(*arg));
	argv = xcalloc(nargs + 40, sizeof(*argv));
	{
		const char *head[] = {
			"graph", "-", "--imgformat",
			p->format == IMG_SVG ? "SVG" : "PNG",
			"--start", start, "--end", end, "--step", step,
			"--width", width, "--height", height,
			"--full-size-mode", "--lower-limit", "0",
			/* at least 0..1: a small rate is not in milli */
			"--upper-limit", "1",
			"--disable-rrdtool-tag",
			"--base", p->si ? "1000" : "1024",
			"--vertical-label", p->si ? "bit/s" :
			    "bit/s (k = 1024)",
			"--title", title,
		};

		for (j = 0; j < sizeof(head) / sizeof(head[0]); j++)
			argv[argc++] = head[j];
	}
	nargs = 0;
	for (k = 0; k < c->nlayers; k++) {
		struct strbuf *sum = &arg[nargs++];

		/* d_k_j: name j of layer k, its rows at the graph's step */
		sb_init(sum);
		for (j = 0; j < c->layer[k].nidx; j++) {
			const struct line *l = &c->v[c->layer[k].idx[j]];
			char *f = name_file(l->name, ".rrd"), *def;
			struct strbuf path, *a = &arg[nargs++];

			sb_init(&path);
			sb_printf(&path, "%s/%s", p->rrd_dir, f);
			def = def_path(path.buf);
			sb_init(a);
			sb_printf(a, "DEF:d%zu_%zu=%s:bytes:AVERAGE:step=%s",
			    k, j, def, step);
			argv[argc++] = a->buf;
			free(def);
			free(f);
			sb_free(&path);
			/* the names of a layer added up, unknown as 0 */
			if (j % SUM_TERMS == 0 && j > 0) {
				struct strbuf *part = &arg[nargs++];

				sb_init(part);
				sb_printf(part, "CDEF:p%zu_%zu=%s", k, j,
				    sum->buf);
				argv[argc++] = part->buf;
				sum->len = 0;
				sb_printf(sum, "p%zu_%zu", k, j);
			}
			if (sum->len == 0)
				sb_printf(sum, "d%zu_%zu", k, j);
			else
				sb_printf(sum, ",d%zu_%zu,ADDNAN", k, j);
		}
		{
			struct strbuf *cdef = &arg[nargs++], *area =
			    &arg[nargs++];

			sb_init(cdef);
			sb_printf(cdef, "CDEF:l%zu=%s,8,*", k, sum->buf);
			argv[argc++] = cdef->buf;
			sb_init(area);
			sb_printf(area, "AREA:l%zu%s", k, c->layer[k].colour);
			/* a space: the label's end is never a format code */
			if (c->nlayers > 1) {
				sb_puts(area, ":");
				rrd_text(area, c->layer[k].label);
				sb_puts(area, k > 0 ? " :STACK" : " ");
			}
			argv[argc++] = area->buf;
		}
	}
	{
		struct strbuf *comment = &arg[nargs++];

		sb_init(comment);
		sb_puts(comment, "COMMENT:");
		rrd_text(comment, legend);
		sb_puts(comment, "\\c");
		argv[argc++] = c->nlayers > 1 ? "COMMENT:\\n" : "COMMENT: ";
		argv[argc++] = comment->buf;
	}
	argv[argc] = NULL;
	lib.clear_error();
	info = lib.graph_v((int)argc, (char **)argv);
	if (info == NULL) {
		rrd_failed(file, "graph");
		goto out;
	}
	for (i = info; i; i = i->next)
		if (strcmp(i->key, "image") == 0 && i->type == RD_I_BLO)
			break;
	if (i == NULL)
		log_error("%s: graph: librrd made no image", file);
	else {
		sb_printf(&out, "%s/%s%s", p->dir, file,
		    p->format == IMG_SVG ? ".svg" : ".png");
		rc = write_file(out.buf, i->value.u_blo.ptr,
		    i->value.u_blo.size);
	}
	lib.info_free(info);
out:
	for (k = 0; k < nargs; k++)
		sb_free(&arg[k]);
	free(arg);
	free(argv);
	sb_free(&out);
	return rc;
}

int
rrd_graph_lines(const struct plot *p, const struct line *v, size_t n)
{
	struct chart c;
	size_t i;
	int rc = lib_open();

	for (i = 0; i < n && rc == 0; i++) {
		char *file = name_file(v[i].name, "");

		log_progress("RRD graphs", i, n + 1);
		chart_one(&c, v, i);
		rc = graph_chart(p, &c, file);
		free(file);
	}
	if (rc == 0 && n > 0) {
		chart_all(&c, v, n);
		rc = graph_chart(p, &c, ALL_FILE);
		chart_free(&c);
	}
	for (i = 0; i < p->naccounts && rc == 0; i++)
		if (chart_account(&c, &p->accounts[i], v, n)) {
			char *file = account_file(&p->accounts[i]);

			rc = graph_chart(p, &c, file);
			free(file);
			chart_free(&c);
		}
	log_progress("RRD graphs", n + 1, n + 1);
	return rc;
}

#else /* !HAVE_LIBRRD */

#include "ipacsum.h"

/* Built without librrd-dev (configure --without-librrd, or not found). */
static int
no_rrd(void)
{
	log_error("this ipacsum was built without librrd: no RRD files or "
	    "librrd graphs (use --plotter gnuplot for graphs, or rebuild "
	    "with librrd-dev installed)");
	return -1;
}

int
rrd_update_lines(struct store *st, const struct host_state *h,
    const char *dir, const struct line *v, size_t n)
{
	return no_rrd();
}

int
rrd_graph_lines(const struct plot *p, const struct line *v, size_t n)
{
	return no_rrd();
}

#endif /* HAVE_LIBRRD */
