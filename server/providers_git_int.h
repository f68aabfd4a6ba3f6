/*
 * providers_git_int.h - inside providers_git.c: one transfer's state (its
 * deadline, where its credentials are, the secrets read for it) and the
 * libgit2 callbacks of providers_git_auth.c that use it.
 */
#ifndef INN_SERVER_PROVIDERS_GIT_INT_H
#define INN_SERVER_PROVIDERS_GIT_INT_H

#include <stdint.h>

#include <git2.h>

#include "providers_git.h"

typedef struct inn_git_xfer {
	int64_t deadline;          /* inn_now_ms() past which the transfer is aborted */
	const char *url;
	const inn_git_auth *auth;  /* NULL: the environment only */
	char *token, *passphrase;  /* read when asked for; wiped and freed at the end */
	char token_where[1100];    /* where the token came from, for messages */
	int tried_token, tried_key, tried_agent;
	char why[1024];            /* a callback's refusal, or "" */
} inn_git_xfer;

/* git_credential_acquire_cb: the token (HTTPS) or key (SSH) of x's auth,
 * once each; a refusal or a missing setting is an error saying which
 * setting to give, never the secret. */
int inn_git_credentials(git_credential **out, const char *url, const char *user_from_url,
                        unsigned int allowed, void *payload);
/* git_transport_certificate_check_cb: TLS as libgit2 decided; an SSH host
 * key must be in the known hosts file with that key (not revoked). */
int inn_git_hostkey_check(git_cert *cert, int valid, const char *host, void *payload);
/* Wipes and frees the secrets read for x. */
void inn_git_xfer_end(inn_git_xfer *x);

#endif
