/*
 * providers_git_auth.h - a git transfer's credentials and host keys
 * (providers_git_auth.c): where a source's secrets are (inn_git_auth),
 * the state of one transfer, the libgit2 callbacks providers_git.c gives
 * libgit2, and the secrets taken out of the environment at start.  libgit2
 * types appear only as incomplete structs: this header does not bring
 * libgit2 to those who include providers_git.h.
 */
#ifndef INN_SERVER_PROVIDERS_GIT_AUTH_H
#define INN_SERVER_PROVIDERS_GIT_AUTH_H

#include <stdint.h>

struct git_credential;
struct git_cert;

/*
 * Where a private repository's credentials are: names of environment
 * variables and files, never the secrets (those are read when the server
 * asks for them, and masked in every message).  A field left NULL falls
 * back to the environment: INNOMINATUS_GIT_TOKEN (the token itself),
 * INNOMINATUS_GIT_USERNAME, INNOMINATUS_GIT_SSH_KEY (a key file),
 * INNOMINATUS_GIT_SSH_PASSPHRASE, INNOMINATUS_GIT_KNOWN_HOSTS (a file;
 * default ~/.ssh/known_hosts).  auth NULL: the environment only.
 *   HTTPS: the token is sent as the password of `username` (default
 *   "git") when the server answers 401.
 *   SSH: the key file (its ".pub" beside it when present), else the
 *   ssh-agent at SSH_AUTH_SOCK; the host key must be in the known hosts
 *   file, or the connection is refused.
 */
typedef struct inn_git_auth {
	const char *username;
	const char *token_env, *token_file;
	const char *ssh_key_file, *ssh_passphrase_env, *ssh_passphrase_file;
	const char *known_hosts_file;
} inn_git_auth;

/* Takes the environment variable name (a credential) out of the
 * environment and wipes its value there, keeping it for the transfers
 * alone: the daemon calls it at start, before its workers and steps
 * exist, so that no step reads it from /proc.  Not thread-safe. */
void inn_git_env_hide(const char *name);

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
int inn_git_credentials(struct git_credential **out, const char *url, const char *user_from_url,
                        unsigned int allowed, void *payload);
/* git_transport_certificate_check_cb: TLS as libgit2 decided; an SSH host
 * key must be in the known hosts file with that key (not revoked). */
int inn_git_hostkey_check(struct git_cert *cert, int valid, const char *host, void *payload);
/* Wipes and frees the secrets read for x. */
void inn_git_xfer_end(inn_git_xfer *x);

#endif
