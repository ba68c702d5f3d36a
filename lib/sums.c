/*
 * Sums of bytes and packets per id (a rule), that never wrap: open
 * addressing on the id.  The rollups of acct/acct.c and the reports of
 * ipacsum add rows up with it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "ipac.h"

static size_t
slot_of(const struct sums *s, int64_t id)
{
	size_t j = (size_t)id * 11400714819323198485ULL & (s->cap - 1);

	while (s->v[j].id && s->v[j].id != id)
		j = (j + 1) & (s->cap - 1);
	return j;
}

static void
grow(struct sums *s)
{
	struct sum *old = s->v;
	size_t oldcap = s->cap, i;

	s->cap = s->cap ? 2 * s->cap : 1024;
	s->v = xcalloc(s->cap, sizeof(*s->v));
	for (i = 0; i < oldcap; i++)
		if (old[i].id)
			s->v[slot_of(s, old[i].id)] = old[i];
	free(old);
}

void
sums_add(struct sums *s, int64_t id, uint64_t bytes, uint64_t packets)
{
	struct sum *e;

	if (2 * (s->n + 1) > s->cap)
		grow(s);
	e = &s->v[slot_of(s, id)];
	if (e->id == 0) {
		e->id = id;
		s->n++;
	}
	e->bytes = sat_add(e->bytes, bytes);
	e->packets = sat_add(e->packets, packets);
}

const struct sum *
sums_get(const struct sums *s, int64_t id)
{
	const struct sum *e;

	if (s->cap == 0)
		return NULL;
	e = &s->v[slot_of(s, id)];
	return e->id ? e : NULL;
}

void
sums_merge(struct sums *to, const struct sums *from)
{
	size_t i;

	for (i = 0; i < from->cap; i++)
		if (from->v[i].id)
			sums_add(to, from->v[i].id, from->v[i].bytes,
			    from->v[i].packets);
}

void
sums_clear(struct sums *s)
{
	if (s->cap)
		memset(s->v, 0, s->cap * sizeof(*s->v));
	s->n = 0;
}

void
sums_free(struct sums *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
