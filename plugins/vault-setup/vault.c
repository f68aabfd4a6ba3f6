/*
 * vault.c - the "vault-setup" step plugin: configures HashiCorp Vault
 * through its HTTP API (pu_http, libcurl; no vault CLI): KV v2 secrets
 * (write, read into secret outputs, patch, delete), generated passwords
 * that never reach a log, ACL policies, AppRole roles, and optionally the
 * Vault Secrets Operator objects that bring a secret into a Kubernetes
 * namespace.  The token comes from a secret of the server named by
 * config.token_secret, never from workflow text.  Entry points here; the
 * actions in vault_ops.c, the calls in vault_api.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "vault_int.h"

#ifdef PACKAGE_VERSION
#define VS_VERSION PACKAGE_VERSION
#else
#define VS_VERSION "0.1.0"
#endif

PU_DEFINE_VALIDATE(vs_validate, struct vs_config, vs_config_read, vs_config_free);

/* "Name: value" into a malloc'd header line; NULL when out of memory. */
static char *
header_line(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s: %s", name, value);
	return s;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* The connection: token from the secret, headers, TLS, timeout. */
static int
vs_connect(struct vs_ctx *x, char *ca, size_t calen)
{
	const inn_host *h = x->host;
	const struct vs_config *c = x->c;
	const char *tok = NULL, *base;
	size_t nh = 0;

	if (h->secret(x->step, c->token_secret, &tok) != 0 || tok == NULL || *tok == '\0') {
		h->log(x->step, INN_LOG_ERROR, "vault-setup: the Vault token secret \"%s\" "
		       "(config.token_secret) is not available: %s", c->token_secret,
		       h->last_error() && *h->last_error() ? h->last_error() : "empty");
		return INN_EINVAL;
	}
	if (strpbrk(tok, "\r\n") != NULL) {
		h->log(x->step, INN_LOG_ERROR, "vault-setup: the secret \"%s\" holds a line "
		       "break; a Vault token is one line", c->token_secret);
		return INN_EINVAL;
	}
	if ((x->hdr[nh++] = header_line("X-Vault-Token", tok)) == NULL ||
	    (c->vault_ns != NULL &&
	     (x->hdr[nh++] = header_line("X-Vault-Namespace", c->vault_ns)) == NULL))
		return INN_ENOMEM;
	x->http.base_url = c->address;
	x->http.headers = (const char *const *)x->hdr;
	x->http.insecure = c->insecure;
	x->http.timeout_ms = c->timeout_ms;
	x->http.what = "Vault";
	if (c->ca_file != NULL) {
		base = h->base_dir != NULL && h->abi_minor >= 1 ? h->base_dir(x->step) : NULL;
		if (c->ca_file[0] != '/' && base != NULL)
			snprintf(ca, calen, "%s/%s", base, c->ca_file);
		else
			snprintf(ca, calen, "%s", c->ca_file);
		x->http.ca_file = ca;
	}
	if (c->insecure)
		h->log(x->step, INN_LOG_WARN, "vault-setup: TLS verification of %s is off "
		       "(insecure_skip_tls_verify)", c->address);
	return 0;
}

static int
vs_outputs(struct vs_ctx *x)
{
	const inn_host *h = x->host;
	char buf[VS_PATH_MAX * 2 + 16];
	int rc = 0;

	if (x->last_path != NULL) {
		snprintf(buf, sizeof(buf), "%s/data/%s", x->c->mount, x->last_path);
		rc = h->output(x->step, "path", buf, 0);
		if (rc == 0 && x->last_version > 0) {
			snprintf(buf, sizeof(buf), "%lld", (long long)x->last_version);
			rc = h->output(x->step, "version", buf, 0);
		}
	}
	if (rc == 0)
		rc = h->output(x->step, "mount", x->c->mount, 0);
	if (rc == 0)
		rc = h->output(x->step, "address", x->c->address, 0);
	if (rc != 0)
		h->log(x->step, INN_LOG_ERROR, "vault-setup: outputs: %s", h->last_error());
	return rc;
}

/*
 * Runs the step: reads the rendered config, connects with the token from
 * the secret, checks the token (and the mount), runs each action in order
 * (stopping at the first failure), applies the VSO objects and reports
 * the outputs.  Returns INN_OK or the first error, always logged.
 */
static int
vs_execute(void *state, const inn_host *host, inn_step *step)
{
	struct vs_config c;
	struct vs_ctx x;
	char err[VS_ERR_MAX], ca[PATH_MAX];
	size_t i;
	int rc;

	(void)state;
	memset(&x, 0, sizeof(x));
	if ((rc = vs_config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}
	x.host = host;
	x.step = step;
	x.c = &c;
	x.dry = host->dry_run(step);
	if ((rc = vs_connect(&x, ca, sizeof(ca))) != 0)
		goto out;
	if ((rc = vs_preflight(&x)) != 0)
		goto out;
	for (i = 0; i < c.nactions; i++)
		if ((rc = vs_run_action(&x, &c.actions[i])) != 0)
			goto out;
	if (c.vso.set && (rc = vs_apply_vso(&x)) != 0)
		goto out;
	rc = vs_outputs(&x);
out:
	for (i = 0; i < sizeof(x.hdr) / sizeof(x.hdr[0]); i++)
		wipe_free(x.hdr[i]);
	vs_config_free(&c);
	return rc;
}

static const char *const vs_step_types[] = { "vault-setup", NULL };

#define VS_STR "{\"type\":\"string\"}"
#define VS_BOOL "{\"type\":[\"boolean\",\"string\"]}"
#define VS_STRS "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"
#define VS_ACTION_PROPS \
	"\"operation\":{\"enum\":[\"write\",\"read\",\"patch\",\"generate-password\"," \
	"\"policy\",\"approle\",\"delete\"]}," \
	"\"path\":{\"type\":\"string\",\"description\":\"KV path below the mount\"}," \
	"\"data\":{\"type\":\"object\",\"minProperties\":1}," \
	"\"keys\":" VS_STRS "," \
	"\"key\":" VS_STR "," \
	"\"length\":{\"type\":[\"integer\",\"string\"],\"minimum\":8,\"maximum\":1024," \
	"\"default\":32}," \
	"\"charset\":" VS_STR "," \
	"\"classes\":{\"type\":\"array\",\"items\":{\"enum\":[\"lower\",\"upper\"," \
	"\"digits\",\"symbols\"]}}," \
	"\"rotate\":" VS_BOOL "," \
	"\"name\":" VS_STR "," \
	"\"policy\":{\"type\":\"string\",\"description\":\"HCL\"}," \
	"\"paths\":{\"type\":[\"object\",\"array\"],\"additionalProperties\":" VS_STRS "," \
	"\"items\":{\"type\":\"object\",\"required\":[\"path\",\"capabilities\"]," \
	"\"additionalProperties\":false,\"properties\":{\"path\":" VS_STR "," \
	"\"capabilities\":" VS_STRS "}}}," \
	"\"token_policies\":" VS_STRS "," \
	"\"ttl\":" VS_STR ",\"max_ttl\":" VS_STR "," \
	"\"secret_id\":" VS_BOOL ",\"enable_auth\":" VS_BOOL

static const char vs_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"required\":[\"address\",\"token_secret\"],"
	"\"properties\":{"
	"\"address\":{\"type\":\"string\",\"description\":\"https://host[:8200]\"},"
	"\"token_secret\":{\"type\":\"string\",\"description\":\"the name of the server's "
	"secret holding the Vault token\"},"
	"\"namespace\":{\"type\":\"string\",\"description\":\"X-Vault-Namespace\"},"
	"\"ca_file\":" VS_STR ","
	"\"insecure_skip_tls_verify\":" VS_BOOL ","
	"\"timeout\":{\"type\":[\"string\",\"integer\"]},"
	"\"mount\":{\"type\":\"string\",\"default\":\"secret\"},"
	"\"enable_mount\":" VS_BOOL ","
	"\"secrets\":" VS_STRS ","
	"\"operations\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":64,\"items\":"
	"{\"type\":\"object\",\"required\":[\"operation\"],\"additionalProperties\":false,"
	"\"properties\":{" VS_ACTION_PROPS "}}},"
	"\"vso\":{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"namespace\",\"role\",\"destination\"],\"properties\":{"
	"\"kubeconfig\":" VS_STR ",\"kubeconfig_secret\":" VS_STR ",\"context\":" VS_STR ",\"namespace\":" VS_STR ","
	"\"service_account\":" VS_STR ",\"role\":" VS_STR ",\"auth_mount\":" VS_STR ","
	"\"destination\":" VS_STR ",\"path\":" VS_STR ",\"refresh_after\":" VS_STR ","
	"\"name\":" VS_STR "}},"
	VS_ACTION_PROPS
	"}}";

static const char vs_outputs_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
	"\"properties\":{"
	"\"path\":{\"type\":\"string\",\"description\":\"<mount>/data/<path> of the last KV "
	"action\"},"
	"\"version\":{\"type\":\"string\",\"description\":\"its KV version\"},"
	"\"mount\":" VS_STR ",\"address\":" VS_STR ","
	"\"policy\":" VS_STR ","
	"\"role_id\":" VS_STR ","
	"\"secret_id\":{\"type\":\"string\",\"description\":\"secret output\"},"
	"\"vso_auth\":" VS_STR ",\"vso_secret\":" VS_STR "},"
	"\"additionalProperties\":{\"type\":\"string\",\"description\":\"a key read from KV "
	"(secret output)\"}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT | INN_PLUGIN_CANCELLABLE,
                 "vault-setup", VS_VERSION, vs_step_types, vs_config_schema,
                 vs_outputs_schema, NULL, vs_validate, vs_execute, NULL)
