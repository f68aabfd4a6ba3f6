/*
 * gitea_repo.c - the "gitea-repo" step plugin: creates, deletes or reads a
 * repository on a Gitea or Forgejo server through its REST API v1
 * (https://<server>/api/v1), every request through pu_http (TLS verified
 * unless configured otherwise, timeouts, cancellation).
 *
 *   create  GET /repos/{owner}/{repo}; when absent POST /orgs/{org}/repos
 *           (an organization) or /user/repos (the token's own user); a
 *           repository that exists -- also one a concurrent run created
 *           (409) -- is success and its details are the outputs
 *   delete  DELETE /repos/{owner}/{repo}; one that does not exist is
 *           success with a note
 *   get     GET /repos/{owner}/{repo}
 *
 * Credentials come from the admin config's secrets only (host->secret):
 * config.token_secret ("Authorization: token ...") or config.username with
 * config.password_secret (Basic).  A dry-run sends GET requests only and
 * logs what it would create or delete.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "plugin_util.h"
#include "pu_http.h"
#include "gitea_int.h"

#ifdef PACKAGE_VERSION
#define GT_VERSION PACKAGE_VERSION
#else
#define GT_VERSION "0.1.0"
#endif

#define GT_BASE_MAX 2200

/* One run of execute(). */
struct gt_ctx {
	const inn_host *host;
	inn_step *step;
	const struct gt_config *c;
	pu_http_conf hc;
	char base[GT_BASE_MAX];      /* <url>/api/v1 */
	char owner[128];             /* resolved owner */
	char target[300];            /* "owner/repo" for messages */
	const char *secret_name;     /* the credential's secret, for messages */
	int user_repo;               /* create under /user/repos */
};

/* Logs the one-line step error "gitea-repo <op> <target>: <why>". */
static int
gt_fail(struct gt_ctx *x, int rc, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

static int
gt_fail(struct gt_ctx *x, int rc, const char *fmt, ...)
{
	char why[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	x->host->log(x->step, INN_LOG_ERROR, "gitea-repo %s %s: %s",
	             gt_op_names[x->c->op], x->target[0] ? x->target : x->c->repo, why);
	return rc;
}

/*
 * Sends one request (path below /api/v1, already escaped).  INN_OK when a
 * response came, whatever its status; else the step error is logged and
 * pu_http's code returned.
 */
static int
gt_call(struct gt_ctx *x, const char *method, const char *path, const char *body,
        pu_http_resp *resp)
{
	int rc = pu_http_request(x->host, x->step, &x->hc, method, path,
	                         body ? "application/json" : NULL, body,
	                         body ? strlen(body) : 0, resp);

	if (rc != INN_OK)
		return gt_fail(x, rc, "%s", resp->err[0] ? resp->err : rc == INN_ECANCELLED ?
		               "cancelled" : "request failed");
	return INN_OK;
}

/* A status the operation did not expect: the step error, with what a 401
 * or 403 usually means. */
static int
gt_status(struct gt_ctx *x, const char *method, const char *path, pu_http_resp *resp)
{
	char ex[256];
	const char *hint = "";

	pu_http_error_excerpt(resp, ex, sizeof(ex));
	if (resp->status == 401)
		hint = " (wrong or expired credentials";
	else if (resp->status == 403)
		hint = " (the credentials lack the permission";
	if (*hint)
		return gt_fail(x, INN_ERROR, "Gitea at %s answered %ld to %s %s%s in secret "
		               "\"%s\"): %s", x->c->url, resp->status, method, path, hint,
		               x->secret_name, ex);
	return gt_fail(x, INN_ERROR, "Gitea at %s answered %ld to %s %s: %s", x->c->url,
	               resp->status, method, path, ex);
}

/* The body as a JSON object, or NULL after logging the step error. */
static json_object *
gt_json(struct gt_ctx *x, const char *path, pu_http_resp *resp)
{
	json_object *o = resp->body ? json_tokener_parse(resp->body) : NULL;

	if (o != NULL && json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	gt_fail(x, INN_ERROR, "Gitea at %s answered %ld to %s with a body that is not "
	        "a JSON object", x->c->url, resp->status, path);
	return NULL;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

/* Publishes the repository's details (and status) as the step outputs. */
static int
gt_outputs(struct gt_ctx *x, json_object *repo, const char *status)
{
	static const struct { const char *out, *key; } map[] = {
		{ "id", "id" }, { "repo_id", "id" }, { "full_name", "full_name" },
		{ "repo_name", "name" }, { "clone_url", "clone_url" },
		{ "ssh_url", "ssh_url" }, { "html_url", "html_url" },
		{ "repo_url", "html_url" }, { "default_branch", "default_branch" },
		{ "private", "private" },
	};
	json_object *owner;
	const char *v;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(map) / sizeof(map[0]) && rc == 0; i++)
		if ((v = jstr(repo, map[i].key)) != NULL)
			rc = x->host->output(x->step, map[i].out, v, 0);
	if (rc == 0 && json_object_object_get_ex(repo, "owner", &owner) &&
	    (v = jstr(owner, "login")) != NULL)
		rc = x->host->output(x->step, "org_name", v, 0);
	if (rc == 0)
		rc = x->host->output(x->step, "status", status, 0);
	if (rc != 0)
		return gt_fail(x, rc, "cannot publish the outputs: %s", x->host->last_error());
	return 0;
}

/* "/repos/{owner}/{repo}" escaped into buf. */
static int
gt_repo_path(struct gt_ctx *x, char *buf, size_t len)
{
	char *o = pu_url_escape(x->owner), *r = pu_url_escape(x->c->repo);
	int n = -1;

	if (o != NULL && r != NULL)
		n = snprintf(buf, len, "/repos/%s/%s", o, r);
	free(o);
	free(r);
	if (n < 0 || (size_t)n >= len)
		return gt_fail(x, INN_ENOMEM, "out of memory");
	return 0;
}

/*
 * The owner: config.org / org_name (an organization), config.owner, or the
 * token's user (GET /user).  With need_kind, also whether a create goes to
 * /user/repos (the owner is the token's user) or /orgs/{owner}/repos.
 */
static int
gt_resolve_owner(struct gt_ctx *x, int need_kind)
{
	pu_http_resp resp;
	json_object *u = NULL;
	const char *login;
	int rc;

	if (x->c->org != NULL || (x->c->owner != NULL && !need_kind)) {
		snprintf(x->owner, sizeof(x->owner), "%s", x->c->owner);
		goto named;
	}
	if ((rc = gt_call(x, "GET", "/user", NULL, &resp)) != 0)
		goto out;
	if (resp.status != 200) {
		rc = gt_status(x, "GET", "/user", &resp);
		goto out;
	}
	if ((u = gt_json(x, "/user", &resp)) == NULL ||
	    (login = jstr(u, "login")) == NULL || !*login || strlen(login) >= sizeof(x->owner)) {
		rc = u == NULL ? INN_ERROR : gt_fail(x, INN_ERROR, "Gitea at %s answered "
		                                     "GET /user without a login", x->c->url);
		goto out;
	}
	if (x->c->owner == NULL) {
		snprintf(x->owner, sizeof(x->owner), "%s", login);
		x->user_repo = 1;
	} else {
		snprintf(x->owner, sizeof(x->owner), "%s", x->c->owner);
		x->user_repo = strcasecmp(login, x->c->owner) == 0;
	}
	rc = 0;
out:
	json_object_put(u);
	pu_http_resp_free(&resp);
	if (rc == 0)
		snprintf(x->target, sizeof(x->target), "%s/%s", x->owner, x->c->repo);
	return rc;
named:
	snprintf(x->target, sizeof(x->target), "%s/%s", x->owner, x->c->repo);
	return 0;
}

/* GET the repository: 1 and *repo when it exists, 0 when absent (404),
 * or an error after logging. */
static int
gt_lookup(struct gt_ctx *x, const char *path, json_object **repo)
{
	pu_http_resp resp;
	int rc;

	*repo = NULL;
	if ((rc = gt_call(x, "GET", path, NULL, &resp)) != 0)
		goto out;
	if (resp.status == 404)
		rc = 0;
	else if (resp.status != 200)
		rc = gt_status(x, "GET", path, &resp);
	else
		rc = (*repo = gt_json(x, path, &resp)) != NULL ? 1 : INN_ERROR;
out:
	pu_http_resp_free(&resp);
	return rc;
}

/* The JSON body of the create request (CreateRepoOption). */
static char *
gt_create_body(const struct gt_config *c)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "name", json_object_new_string(c->repo));
	if (c->description != NULL)
		json_object_object_add(o, "description",
		                       json_object_new_string(c->description));
	json_object_object_add(o, "private", json_object_new_boolean(c->private_repo));
	json_object_object_add(o, "auto_init", json_object_new_boolean(c->auto_init));
	if (c->default_branch != NULL)
		json_object_object_add(o, "default_branch",
		                       json_object_new_string(c->default_branch));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int
gt_create(struct gt_ctx *x, const char *rpath)
{
	pu_http_resp resp;
	json_object *repo = NULL;
	char cpath[300], *body = NULL, *org = NULL;
	int rc, dry = x->host->dry_run(x->step);

	memset(&resp, 0, sizeof(resp));
	if ((rc = gt_lookup(x, rpath, &repo)) < 0)
		return rc;
	if (rc == 1) {
		x->host->log(x->step, INN_LOG_INFO, "repository %s already exists; "
		             "nothing to create", x->target);
		rc = gt_outputs(x, repo, "exists");
		json_object_put(repo);
		return rc;
	}
	if (x->user_repo) {
		snprintf(cpath, sizeof(cpath), "/user/repos");
	} else {
		if ((org = pu_url_escape(x->owner)) == NULL)
			return gt_fail(x, INN_ENOMEM, "out of memory");
		snprintf(cpath, sizeof(cpath), "/orgs/%s%s", org, dry ? "" : "/repos");
	}
	if (dry) {
		/* read-only: the organization must exist for the create to work */
		if (!x->user_repo) {
			if ((rc = gt_call(x, "GET", cpath, NULL, &resp)) != 0)
				goto out;
			if (resp.status == 404) {
				rc = gt_fail(x, INN_ERROR, "organization \"%s\" does not exist on "
				             "Gitea at %s", x->owner, x->c->url);
				goto out;
			}
			if (resp.status != 200) {
				rc = gt_status(x, "GET", cpath, &resp);
				goto out;
			}
		}
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would create repository %s "
		             "(POST /api/v1%s%s, private=%s, auto_init=%s)", x->target,
		             x->user_repo ? "/user/repos" : cpath, x->user_repo ? "" : "/repos",
		             x->c->private_repo ? "true" : "false",
		             x->c->auto_init ? "true" : "false");
		rc = x->host->output(x->step, "full_name", x->target, 0);
		if (rc == 0)
			rc = x->host->output(x->step, "status", "absent", 0);
		goto out;
	}
	if ((body = gt_create_body(x->c)) == NULL) {
		rc = gt_fail(x, INN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = gt_call(x, "POST", cpath, body, &resp)) != 0)
		goto out;
	switch (resp.status) {
	case 201:
		if ((repo = gt_json(x, cpath, &resp)) == NULL) {
			rc = INN_ERROR;
			break;
		}
		x->host->log(x->step, INN_LOG_INFO, "created repository %s", x->target);
		rc = gt_outputs(x, repo, "created");
		break;
	case 409:
		/* created meanwhile (another run): the repository exists */
		pu_http_resp_free(&resp);
		if ((rc = gt_lookup(x, rpath, &repo)) == 1) {
			x->host->log(x->step, INN_LOG_INFO, "repository %s already exists "
			             "(created meanwhile); nothing to create", x->target);
			rc = gt_outputs(x, repo, "exists");
		} else if (rc == 0) {
			rc = gt_fail(x, INN_ERROR, "Gitea at %s answered 409 (exists) but the "
			             "repository cannot be read", x->c->url);
		}
		break;
	case 404:
		rc = gt_fail(x, INN_ERROR, "organization \"%s\" does not exist on Gitea at "
		             "%s", x->owner, x->c->url);
		break;
	default:
		rc = gt_status(x, "POST", cpath, &resp);
	}
out:
	json_object_put(repo);
	free(body);
	free(org);
	pu_http_resp_free(&resp);
	return rc;
}

static int
gt_delete(struct gt_ctx *x, const char *rpath)
{
	pu_http_resp resp;
	json_object *repo = NULL;
	int rc;

	if (x->host->dry_run(x->step)) {
		if ((rc = gt_lookup(x, rpath, &repo)) < 0)
			return rc;
		x->host->log(x->step, INN_LOG_INFO, rc == 1 ? "dry-run: would delete "
		             "repository %s (DELETE /api/v1%s)" : "dry-run: repository %s "
		             "does not exist; nothing to delete (%s)", x->target, rpath);
		json_object_put(repo);
		return x->host->output(x->step, "status", rc == 1 ? "exists" : "absent", 0);
	}
	if ((rc = gt_call(x, "DELETE", rpath, NULL, &resp)) != 0)
		goto out;
	if (resp.status == 204 || resp.status == 200) {
		x->host->log(x->step, INN_LOG_INFO, "deleted repository %s", x->target);
		rc = x->host->output(x->step, "status", "deleted", 0);
	} else if (resp.status == 404) {
		x->host->log(x->step, INN_LOG_INFO, "note: repository %s does not exist; "
		             "nothing to delete", x->target);
		rc = x->host->output(x->step, "status", "absent", 0);
	} else {
		rc = gt_status(x, "DELETE", rpath, &resp);
	}
out:
	pu_http_resp_free(&resp);
	return rc;
}

static int
gt_get(struct gt_ctx *x, const char *rpath)
{
	json_object *repo = NULL;
	int rc;

	if ((rc = gt_lookup(x, rpath, &repo)) < 0)
		return rc;
	if (rc == 0)
		return gt_fail(x, INN_ENOTFOUND, "repository does not exist on Gitea at %s",
		               x->c->url);
	rc = gt_outputs(x, repo, "exists");
	json_object_put(repo);
	return rc;
}

/* The credential from the admin config's secrets into the connection. */
static int
gt_credentials(struct gt_ctx *x, char **header, char **userpwd)
{
	const char *v = NULL;
	size_t n;

	x->secret_name = x->c->token_secret ? x->c->token_secret : x->c->password_secret;
	if (x->host->secret(x->step, x->secret_name, &v) != 0 || v == NULL)
		return gt_fail(x, INN_ENOTFOUND, "secret \"%s\" (config.%s) is not "
		               "defined: add it under secrets: in the admin config",
		               x->secret_name, x->c->token_secret ? "token_secret" :
		               "password_secret");
	if (x->c->token_secret != NULL) {
		if (*v == '\0' || strpbrk(v, "\r\n") != NULL)
			return gt_fail(x, INN_EINVAL, "secret \"%s\" is empty or spans lines: "
			               "not an access token", x->secret_name);
		n = strlen(v) + 32;
		if ((*header = malloc(n)) == NULL)
			return gt_fail(x, INN_ENOMEM, "out of memory");
		snprintf(*header, n, "Authorization: token %s", v);
		x->host->mask(x->step, *header);
	} else {
		n = strlen(x->c->username) + strlen(v) + 2;
		if ((*userpwd = malloc(n)) == NULL)
			return gt_fail(x, INN_ENOMEM, "out of memory");
		snprintf(*userpwd, n, "%s:%s", x->c->username, v);
		x->host->mask(x->step, *userpwd);
	}
	return 0;
}

/* The API root: config.url without trailing '/', then /api/v1. */
static int
gt_base(struct gt_ctx *x)
{
	size_t n = strlen(x->c->url);

	while (n > 0 && x->c->url[n - 1] == '/')
		n--;
	if (n + sizeof("/api/v1") > sizeof(x->base))
		return gt_fail(x, INN_EINVAL, "config.url: too long");
	snprintf(x->base, sizeof(x->base), "%.*s/api/v1", (int)n, x->c->url);
	return 0;
}

static int
gt_execute(void *state, const inn_host *host, inn_step *step)
{
	struct gt_config c;
	struct gt_ctx x;
	const char *hdrs[2] = { NULL, NULL };
	char err[512], rpath[300], *header = NULL, *userpwd = NULL;
	int rc;

	(void)state;
	if ((rc = gt_config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}
	memset(&x, 0, sizeof(x));
	x.host = host;
	x.step = step;
	x.c = &c;
	if ((rc = gt_base(&x)) != 0 ||
	    (rc = gt_credentials(&x, &header, &userpwd)) != 0)
		goto out;
	hdrs[0] = header;
	x.hc.base_url = x.base;
	x.hc.ca_file = c.ca_file;
	x.hc.insecure = c.insecure;
	x.hc.headers = header ? hdrs : NULL;
	x.hc.userpwd = userpwd;
	x.hc.timeout_ms = c.timeout_ms;
	x.hc.max_body = 4u * 1024 * 1024;
	x.hc.what = "Gitea";
	if (c.insecure)
		host->log(step, INN_LOG_WARN, "TLS verification of %s is off "
		          "(config.insecure_skip_tls_verify)", c.url);
	if ((rc = gt_resolve_owner(&x, c.op == GT_OP_CREATE)) != 0 ||
	    (rc = gt_repo_path(&x, rpath, sizeof(rpath))) != 0)
		goto out;
	switch (c.op) {
	case GT_OP_CREATE:
		rc = gt_create(&x, rpath);
		break;
	case GT_OP_DELETE:
		rc = gt_delete(&x, rpath);
		break;
	default:
		rc = gt_get(&x, rpath);
	}
out:
	if (header != NULL) {
		memset(header, 0, strlen(header));
		free(header);
	}
	if (userpwd != NULL) {
		memset(userpwd, 0, strlen(userpwd));
		free(userpwd);
	}
	gt_config_free(&c);
	return rc;
}

PU_DEFINE_VALIDATE(gt_validate, struct gt_config, gt_config_read, gt_config_free);

static const char *const gt_step_types[] = { "gitea-repo", NULL };

static const char gt_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"properties\":{"
	"\"operation\":{\"enum\":[\"create\",\"delete\",\"get\"],\"default\":\"create\"},"
	"\"url\":{\"type\":\"string\",\"description\":\"the Gitea or Forgejo server "
	"(http:// or https://, no credentials); the API is <url>/api/v1\"},"
	"\"gitea_url\":{\"type\":\"string\",\"description\":\"the original's name of url\"},"
	"\"token_secret\":{\"type\":\"string\",\"description\":\"name of the admin "
	"config secret holding an access token (Authorization: token ...)\"},"
	"\"username\":{\"type\":\"string\",\"description\":\"Basic auth user (with "
	"password_secret)\"},"
	"\"password_secret\":{\"type\":\"string\"},"
	"\"owner\":{\"type\":\"string\",\"description\":\"an organization or the "
	"token's user (default: the token's user)\"},"
	"\"org\":{\"type\":\"string\",\"description\":\"an organization\"},"
	"\"org_name\":{\"type\":\"string\",\"description\":\"the original's name of org\"},"
	"\"repo\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9_.-]{1,100}$\"},"
	"\"repo_name\":{\"type\":\"string\",\"description\":\"the original's name of repo\"},"
	"\"description\":{\"type\":\"string\"},"
	"\"private\":{\"type\":\"boolean\",\"default\":false},"
	"\"auto_init\":{\"type\":\"boolean\",\"default\":true},"
	"\"default_branch\":{\"type\":\"string\"},"
	"\"timeout\":{\"type\":[\"string\",\"number\"],\"description\":\"per request\"},"
	"\"insecure_skip_tls_verify\":{\"type\":\"boolean\",\"default\":false},"
	"\"ca_file\":{\"type\":\"string\",\"description\":\"PEM bundle that verifies "
	"the server\"}"
	"}}";

static const char gt_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"id\":{\"type\":\"string\"},\"repo_id\":{\"type\":\"string\"},"
	"\"full_name\":{\"type\":\"string\"},\"repo_name\":{\"type\":\"string\"},"
	"\"org_name\":{\"type\":\"string\",\"description\":\"the owner's login\"},"
	"\"clone_url\":{\"type\":\"string\"},\"ssh_url\":{\"type\":\"string\"},"
	"\"html_url\":{\"type\":\"string\"},\"repo_url\":{\"type\":\"string\"},"
	"\"default_branch\":{\"type\":\"string\"},"
	"\"private\":{\"enum\":[\"true\",\"false\"]},"
	"\"status\":{\"enum\":[\"created\",\"exists\",\"deleted\",\"absent\"]}}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT | INN_PLUGIN_CANCELLABLE,
                 "gitea-repo", GT_VERSION, gt_step_types, gt_config_schema,
                 gt_outputs_schema, NULL, gt_validate, gt_execute, NULL)
