/*
 * The admin port over TCP: TLS 1.3 with a pre-shared key per admin
 * (GnuTLS), and an ephemeral (EC)DHE key exchange with it, so a key
 * that leaks later does not open what was recorded before: pure PSK key
 * exchange and older TLS versions fail the handshake.  The PSK identity
 * is the admin's client stanza name; the key is its psk.  A peer with a
 * wrong key fails the handshake and never reaches the command parser.
 * Non-blocking on the server, for the event loop; blocking in ilcmd.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "iplogin.h"

/* TLS 1.3 only, key exchange by PSK with (EC)DHE: forward secrecy. */
#define TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:" \
			"+ECDHE-PSK:+DHE-PSK"

struct tls {
	gnutls_session_t s;
	char		identity[IL_IDENTITY_MAX * 4 + 1]; /* offered, escaped */
	char		raw[IL_IDENTITY_MAX + 1];	/* as offered; "": longer */
	bool		offered;
};

static gnutls_psk_server_credentials_t server_cred;
static gnutls_priority_t prio;
static tls_key_fn key_fn;		/* where the PSKs are looked up */
static void *key_arg;
static gnutls_psk_client_credentials_t client_cred;	/* ilcmd's */

/* The identity as the log may show it: printable ASCII, the rest \xNN. */
static void
identity_text(char *dst, size_t dstlen, const char *id)
{
	size_t n = 0, i;

	for (i = 0; id[i] && i < IL_IDENTITY_MAX && n + 5 < dstlen; i++) {
		unsigned char ch = (unsigned char)id[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'')
			dst[n++] = (char)ch;
		else
			n += (size_t)snprintf(dst + n, dstlen - n, "\\x%02x", ch);
	}
	dst[n] = '\0';
	if (id[i] && n + 4 < dstlen)
		strcpy(dst + n, "...");
}

/* The key of identity user, as the daemon's lookup says. */
static int
psk_of(gnutls_session_t s, const char *user, gnutls_datum_t *key)
{
	struct tls *t = gnutls_session_get_ptr(s);
	const uint8_t *k;
	size_t len;

	if (t) {
		identity_text(t->identity, sizeof(t->identity), user);
		if (strlen(user) < sizeof(t->raw))
			strcpy(t->raw, user);
		t->offered = true;
	}
	if (key_fn == NULL || key_fn(user, &k, &len, key_arg) < 0)
		return -1;
	if ((key->data = gnutls_malloc(len)) == NULL)
		return -1;
	memcpy(key->data, k, len);
	key->size = (unsigned)len;
	return 0;
}

int
tls_server_setup(tls_key_fn fn, void *arg)
{
	int rc;

	key_fn = fn;
	key_arg = arg;
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
tls_server_teardown(void)
{
	if (server_cred) {
		gnutls_psk_free_server_credentials(server_cred);
		gnutls_priority_deinit(prio);
		gnutls_global_deinit();
		server_cred = NULL;
	}
	key_fn = NULL;
}

struct tls *
tls_accept(int fd)
{
	struct tls *t = xcalloc(1, sizeof(*t));

	if (gnutls_init(&t->s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0) {
		free(t);
		return NULL;
	}
	if (gnutls_priority_set(t->s, prio) < 0 ||
	    gnutls_credentials_set(t->s, GNUTLS_CRD_PSK, server_cred) < 0) {
		gnutls_deinit(t->s);
		free(t);
		return NULL;
	}
	gnutls_session_set_ptr(t->s, t);
	gnutls_transport_set_int(t->s, fd);
	return t;
}

/* Did the handshake agree on TLS 1.3 with an ephemeral key exchange? */
static bool
forward_secret(gnutls_session_t s)
{
	gnutls_kx_algorithm_t kx = gnutls_kx_get(s);

	return gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 &&
	    (kx == GNUTLS_KX_ECDHE_PSK || kx == GNUTLS_KX_DHE_PSK);
}

int
tls_handshake(struct tls *t, char *err, size_t errlen)
{
	int rc = gnutls_handshake(t->s);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return 1;
	if (rc < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		return -1;
	}
	/* The priority allows nothing else; this says so if that changed. */
	if (!forward_secret(t->s)) {
		snprintf(err, errlen, "not TLS 1.3 with (EC)DHE-PSK");
		return -1;
	}
	return 0;
}

const char *
tls_peer(const struct tls *t)
{
	return gnutls_psk_server_get_username(t->s);
}

const char *
tls_offered(const struct tls *t)
{
	return t->offered ? t->identity : NULL;
}

const char *
tls_peer_offered(const struct tls *t)
{
	return t->offered ? t->raw : NULL;
}

ssize_t
tls_recv(struct tls *t, void *buf, size_t len)
{
	ssize_t n = gnutls_record_recv(t->s, buf, len);

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
	ssize_t n = gnutls_record_send(t->s, buf, len);

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
	return gnutls_record_get_direction(t->s) == 1;
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	gnutls_bye(t->s, GNUTLS_SHUT_WR);
	gnutls_deinit(t->s);
	free(t);
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
	struct tls *t;
	int rc;

	if ((rc = gnutls_global_init()) < 0 ||
	    (rc = gnutls_psk_allocate_client_credentials(&cred)) < 0 ||
	    (rc = gnutls_psk_set_client_credentials(cred, user, &k,
	    GNUTLS_PSK_KEY_RAW)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		goto fail;
	}
	t = xcalloc(1, sizeof(*t));
	if ((rc = gnutls_init(&t->s, GNUTLS_CLIENT)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		free(t);
		goto fail;
	}
	if ((rc = gnutls_priority_set_direct(t->s, TLS_PRIORITY, NULL)) < 0 ||
	    (rc = gnutls_credentials_set(t->s, GNUTLS_CRD_PSK, cred)) < 0) {
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		goto fail_session;
	}
	gnutls_transport_set_int(t->s, fd);
	gnutls_handshake_set_timeout(t->s, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	do
		rc = gnutls_handshake(t->s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		snprintf(err, errlen, "TLS handshake: %s", gnutls_strerror(rc));
		goto fail_session;
	}
	client_cred = cred;
	return t;
fail_session:
	gnutls_deinit(t->s);
	free(t);
fail:
	if (cred)
		gnutls_psk_free_client_credentials(cred);
	gnutls_global_deinit();
	return NULL;
}
