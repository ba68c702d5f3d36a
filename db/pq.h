/*
 * libpq, loaded when a PostgreSQL store is first used (dlopen(3)): the
 * programs that never meet one (every run of fetchipac on a router
 * without a central store, iplogin, ipacset) do not load it and the
 * twenty libraries it brings (Kerberos, LDAP, TLS) at every start, which
 * cost more than reading 1,000 counters.  The calls of db/pg.c and
 * db/ship.c stay libpq's own names: each is a pointer here.  Private to
 * db/.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef IPAC_PQ_H
#define IPAC_PQ_H

#include "config.h"

#if HAVE_LIBPQ
#include <libpq-fe.h>

/* The soname loaded: the library of libpq5, the package. */
#define PQ_SONAME	"libpq.so.5"

#define PQ_FUNCS(X) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectdbParams) \
	X(PQconninfoFree) \
	X(PQconninfoParse) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQfformat) \
	X(PQfinish) \
	X(PQfreemem) \
	X(PQgetResult) \
	X(PQgetisnull) \
	X(PQgetlength) \
	X(PQgetvalue) \
	X(PQntuples) \
	X(PQputCopyData) \
	X(PQputCopyEnd) \
	X(PQrequestCancel) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQueryParams) \
	X(PQsetNoticeProcessor) \
	X(PQsetSingleRowMode) \
	X(PQstatus) \
	X(PQtransactionStatus)

struct pq_api {
#define PQ_MEMBER(f) __typeof__(f) *f;
	PQ_FUNCS(PQ_MEMBER)
#undef PQ_MEMBER
};
extern struct pq_api pq_api;

/*
 * Load libpq once; 0, or -1 with the reason in err (the library is not
 * installed, or lacks a call).
 */
int	pq_load(char *err, size_t len);

/* libpq's names call through the pointers (not in db/pq.c). */
#ifndef PQ_LOADER
#define PQclear (pq_api.PQclear)
#define PQcmdTuples (pq_api.PQcmdTuples)
#define PQconnectdbParams (pq_api.PQconnectdbParams)
#define PQconninfoFree (pq_api.PQconninfoFree)
#define PQconninfoParse (pq_api.PQconninfoParse)
#define PQerrorMessage (pq_api.PQerrorMessage)
#define PQexec (pq_api.PQexec)
#define PQexecParams (pq_api.PQexecParams)
#define PQfformat (pq_api.PQfformat)
#define PQfinish (pq_api.PQfinish)
#define PQfreemem (pq_api.PQfreemem)
#define PQgetResult (pq_api.PQgetResult)
#define PQgetisnull (pq_api.PQgetisnull)
#define PQgetlength (pq_api.PQgetlength)
#define PQgetvalue (pq_api.PQgetvalue)
#define PQntuples (pq_api.PQntuples)
#define PQputCopyData (pq_api.PQputCopyData)
#define PQputCopyEnd (pq_api.PQputCopyEnd)
#define PQrequestCancel (pq_api.PQrequestCancel)
#define PQresultErrorField (pq_api.PQresultErrorField)
#define PQresultErrorMessage (pq_api.PQresultErrorMessage)
#define PQresultStatus (pq_api.PQresultStatus)
#define PQsendQueryParams (pq_api.PQsendQueryParams)
#define PQsetNoticeProcessor (pq_api.PQsetNoticeProcessor)
#define PQsetSingleRowMode (pq_api.PQsetSingleRowMode)
#define PQstatus (pq_api.PQstatus)
#define PQtransactionStatus (pq_api.PQtransactionStatus)
#endif /* PQ_LOADER */

#endif /* HAVE_LIBPQ */
#endif
