/*
 * auth.c - API keys and tenancy below the HTTP layers: the key check with
 * its cache (asked by the connection guard before a body is read and by
 * the API for every request) and the one rule of whose executions,
 * applications, resources and events a caller sees.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "host.h"

/*
 * A small cache of recently verified keys, so a busy client does not cost
 * a store lookup per request.  It holds the SHA-256 of each key, never the
 * key, and compares hashes in constant time.  Entries live
 * AUTH_CACHE_TTL_MS; revoking a key through the API empties the cache, so
 * a revoked key stops working at once on this server.  The lock lets the
 * connection front end (http.c) ask too.
 */
#define AUTH_CACHE_SIZE 256
#define AUTH_CACHE_TTL_MS 10000

static struct {
	unsigned char hash[32];
	inn_principal p;
	int64_t until;
} auth_cache[AUTH_CACHE_SIZE];
static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;

static int
auth_hash(const char *key, unsigned char out[32])
{
	unsigned int len = 0;

	return EVP_Digest(key, strlen(key), out, &len, EVP_sha256(), NULL) == 1 && len == 32 ?
	       0 : -1;
}

static unsigned
auth_slot(const unsigned char hash[32])
{
	return ((unsigned)hash[0] << 8 | hash[1]) % AUTH_CACHE_SIZE;
}

static int
auth_cache_get(const char *key, inn_principal *out)
{
	unsigned char h[32];
	unsigned i;
	int rc = -1;

	if (auth_hash(key, h) != 0)
		return -1;
	i = auth_slot(h);
	pthread_mutex_lock(&auth_lock);
	if (auth_cache[i].until > inn_now_ms() && CRYPTO_memcmp(auth_cache[i].hash, h, 32) == 0) {
		*out = auth_cache[i].p;
		rc = 0;
	}
	pthread_mutex_unlock(&auth_lock);
	return rc;
}

static void
auth_cache_put(const char *key, const inn_principal *p)
{
	unsigned char h[32];
	unsigned i;

	if (auth_hash(key, h) != 0)
		return;
	i = auth_slot(h);
	pthread_mutex_lock(&auth_lock);
	memcpy(auth_cache[i].hash, h, 32);
	auth_cache[i].p = *p;
	auth_cache[i].until = inn_now_ms() + AUTH_CACHE_TTL_MS;
	pthread_mutex_unlock(&auth_lock);
}

void
inn_auth_forget_keys(void)
{
	pthread_mutex_lock(&auth_lock);
	memset(auth_cache, 0, sizeof(auth_cache));
	pthread_mutex_unlock(&auth_lock);
}

int
inn_auth_key_check(inn_store *st, const char *key, inn_principal *out)
{
	if (auth_cache_get(key, out) == 0)
		return 0;
	if (inn_store_key_lookup(st, key, out) != 0)
		return -1;
	auth_cache_put(key, out);
	return 0;
}

/*
 * Whose executions, applications, resources and events a caller sees (and
 * acts on): an admin everything; a key with a team its team's; a key
 * without a team only what it created itself -- never what admins (whose
 * runs have no team unless their key has one) or other keys without a team
 * did.  The scope functions are the store's filter for that.
 */
int
inn_caller_sees(const inn_caller *who, const char *team, const char *created_by)
{
	if (who->admin)
		return 1;
	if (who->p.team[0] != '\0')
		return team != NULL && strcmp(team, who->p.team) == 0;
	return team == NULL && created_by != NULL && strcmp(created_by, who->p.name) == 0;
}

const char *
inn_caller_scope_team(const inn_caller *who)
{
	return who->admin || who->p.team[0] == '\0' ? NULL : who->p.team;
}

const char *
inn_caller_scope_user(const inn_caller *who)
{
	return who->admin || who->p.team[0] != '\0' ? NULL : who->p.name;
}
