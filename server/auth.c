/*
 * auth.c - API keys and tenancy below the HTTP layers: the key check with
 * its cache (asked by the connection guard before a body is read and by
 * the API for every request) and the one rule of whose executions,
 * applications, resources and events a caller sees.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "host.h"
#include "sha256.h"

/*
 * A small cache of recently verified keys, so a busy client does not cost
 * a store lookup per request.  It holds the SHA-256 of each key, never the
 * key, and compares hashes in constant time.  The hash is sha256.c's, not
 * OpenSSL's: an idle server that checks keys never initialises OpenSSL.
 *
 * Revocation takes effect at once on this server: every entry carries the
 * key generation it was verified in, and creating or revoking a key through
 * the API bumps the generation (inn_auth_forget_keys), so no entry verified
 * before stays usable -- not even one a request thread is putting back at
 * that moment (it is stored with the generation read before its store
 * lookup, and so is stale at once).  Several replicas may share the store:
 * a key revoked on another replica is not announced here, so an entry
 * lives only AUTH_CACHE_TTL_MS; that is the longest a key revoked elsewhere
 * keeps working on this replica.  The lock lets the connection front end
 * (http_guard.c) and request threads ask too.
 */
#define AUTH_CACHE_SIZE 256
#define AUTH_CACHE_TTL_MS 1500

static struct {
	unsigned char hash[32];
	inn_principal p;
	int64_t until;
	unsigned gen;
} auth_cache[AUTH_CACHE_SIZE];
static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint auth_gen = 1;

static unsigned
auth_slot(const unsigned char hash[32])
{
	return ((unsigned)hash[0] << 8 | hash[1]) % AUTH_CACHE_SIZE;
}

static int
auth_cache_get(const unsigned char h[32], inn_principal *out)
{
	unsigned i = auth_slot(h);
	int rc = -1;

	pthread_mutex_lock(&auth_lock);
	if (auth_cache[i].gen == atomic_load(&auth_gen) && auth_cache[i].until > inn_now_ms() &&
	    CRYPTO_memcmp(auth_cache[i].hash, h, 32) == 0) {
		*out = auth_cache[i].p;
		rc = 0;
	}
	pthread_mutex_unlock(&auth_lock);
	return rc;
}

static void
auth_cache_put(const unsigned char h[32], const inn_principal *p, unsigned gen)
{
	unsigned i = auth_slot(h);

	pthread_mutex_lock(&auth_lock);
	memcpy(auth_cache[i].hash, h, 32);
	auth_cache[i].p = *p;
	auth_cache[i].until = inn_now_ms() + AUTH_CACHE_TTL_MS;
	auth_cache[i].gen = gen;
	pthread_mutex_unlock(&auth_lock);
}

void
inn_auth_forget_keys(void)
{
	atomic_fetch_add(&auth_gen, 1);
}

int
inn_auth_key_check(inn_store *st, const char *key, inn_principal *out)
{
	unsigned char h[INN_SHA256_LEN];
	unsigned gen = atomic_load(&auth_gen);
	int rc;

	inn_sha256(key, strlen(key), h);
	if (auth_cache_get(h, out) == 0)
		return 0;
	if ((rc = inn_store_key_lookup(st, key, out)) != 0)
		return rc;
	auth_cache_put(h, out, gen);
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
