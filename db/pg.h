/*
 * What db/ship.c needs of the PostgreSQL engine (db/pg.c) beyond the
 * seam: the connection itself, for COPY.  Private to db/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_PG_H
#define IPAC_PG_H

#include "config.h"
#include "store.h"

#if HAVE_LIBPQ
#include "pq.h"

#include "engine.h"

/* The connection of a PostgreSQL store; NULL for another engine. */
PGconn	*pg_conn(struct store *);
/* Report the error of r (NULL: of the connection) as "what"; -1. */
int	pg_failed(struct store *, const PGresult *r, const char *what);
#endif

#endif
