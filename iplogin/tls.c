/*
 * The admin port over TCP: TLS 1.3 with a pre-shared key per admin
 * (GnuTLS).  The PSK identity is the admin's client stanza name; the key
 * is its psk.  A peer with a wrong key fails the handshake and never
 * reaches the command parser.  Non-blocking on the server, for the event
 * loop; blocking in ilcmd.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "iplogin.h"

/* TLS 1.3 only, key exchange by PSK (with ECDHE for forward secrecy). */
#define TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:" \
			"+ECDHE-PSK:+DHE-PSK:+PSK"

static gnutls_psk_server_credentials_t server_cred;
static gnutls_priority_t prio;
static const struct il_conf *keys;	/* where the PSKs are looked up */
static gnutls_psk_client_credentials_t client_cred;	/* ilcmd's */

/* The key of identity user: the client stanza of that name with a psk. */
static int
psk_of(gnutls_session_t s, const char *user, gnutls_datum_t *key)
{
	size_t i;

	(void)s;
	for (i = 0; keys && i < keys->nclients; i++) {
		const struct il_client *c = &keys->clients[i];

		if (c->psk && strcmp(c->name, user) == 0) {
			key->data = gnutls_malloc(c->psk_len);
			if (key->data == NULL)
				return -1;
			memcpy(key->data, c->psk, c->psk_len);
			key->size = (unsigned)c->psk_len;
			return 0;
		}
	}
	return -1;
}

int
tls_server_setup(const struct il_conf *c)
{
	int rc;

	keys = c;
	if (server_cred)
		return 0;
	if ((rc = gnutls_global_init()) < 0 ||
	    (rc = gnutls_psk_allocate_server_credentials(&server_cred)) < 0 ||
	    (rc = gnutls_priority_init(&prio, TLS_PRIORITY, NULL)) < 0) {
		log_error("TLS: %s", gnutls_strerror(rc));
		return -1;
	}
	gnutls_psk_set_server_credentials_function(server_cred, psk_of);
	return 0;
}

void
tls_server_keys(const struct il_conf *c)
{
	keys = c;
}

void
tls_server_teardown(void)
{
	if (server_cred) {
		gnutls_psk_free_server_credentials(server_cred);
		gnutls_priority_deinit(prio);
		gnutls_global_deinit();
		server_cred = NULL;
	}
}

struct tls *
tls_accept(int fd)
{
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0)
		return NULL;
	if (gnutls_priority_set(s, prio) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_PSK, server_cred) < 0) {
		gnutls_deinit(s);
		return NULL;
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	return (struct tls *)s;
}

int
tls_handshake(struct tls *t, char *err, size_t errlen)
{
	int rc = gnutls_handshake((gnutls_session_t)t);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return 1;
	if (rc < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

const char *
tls_peer(const struct tls *t)
{
	return gnutls_psk_server_get_username((gnutls_session_t)t);
}

ssize_t
tls_recv(struct tls *t, void *buf, size_t len)
{
	ssize_t n = gnutls_record_recv((gnutls_session_t)t, buf, len);

	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (n < 0) {
		errno = EPROTO;
		return -1;
	}
	return n;
}

ssize_t
tls_send(struct tls *t, const void *buf, size_t len)
{
	ssize_t n = gnutls_record_send((gnutls_session_t)t, buf, len);

	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (n < 0) {
		errno = EPIPE;
		return -1;
	}
	return n;
}

int
tls_wants_write(const struct tls *t)
{
	return gnutls_record_get_direction((gnutls_session_t)t) == 1;
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	gnutls_bye((gnutls_session_t)t, GNUTLS_SHUT_WR);
	gnutls_deinit((gnutls_session_t)t);
	if (client_cred) {
		gnutls_psk_free_client_credentials(client_cred);
		client_cred = NULL;
		gnutls_global_deinit();
	}
}

/* ilcmd's side: blocking. */
struct tls *
tls_connect(int fd, const char *user, const uint8_t *key, size_t keylen,
    char *err, size_t errlen)
{
	gnutls_psk_client_credentials_t cred = NULL;
	gnutls_datum_t k = { .data = (unsigned char *)key,
	    .size = (unsigned)keylen };
	gnutls_session_t s;
	int rc;

	if ((rc = gnutls_global_init()) < 0 ||
	    (rc = gnutls_psk_allocate_client_credentials(&cred)) < 0 ||
	    (rc = gnutls_psk_set_client_credentials(cred, user, &k,
	    GNUTLS_PSK_KEY_RAW)) < 0 ||
	    (rc = gnutls_init(&s, GNUTLS_CLIENT)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		return NULL;
	}
	if ((rc = gnutls_priority_set_direct(s, TLS_PRIORITY, NULL)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_PSK, cred)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		gnutls_deinit(s);
		return NULL;
	}
	client_cred = cred;
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		snprintf(err, errlen, "TLS handshake: %s", gnutls_strerror(rc));
		gnutls_deinit(s);
		return NULL;
	}
	return (struct tls *)s;
}
