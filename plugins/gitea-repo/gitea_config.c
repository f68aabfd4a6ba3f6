/*
 * gitea_config.c - gitea-repo.so's step config: the field table (ours and
 * the original's spellings), the refusal of literal credentials, and the
 * checks of the server URL and of owner and repository names.
 */
#include <string.h>

#include "plugin_util.h"
#include "pu_alias.h"
#include "gitea_int.h"

const char *const gt_op_names[] = { "create", "delete", "get", NULL };

/* Settings spelt several ways: ours first, then the original's. */
static const char *const url_names[] = { "url", "gitea_url", NULL };
static const char *const owner_names[] = { "owner", "org", "org_name", NULL };
static const char *const repo_names[] = { "repo", "repo_name", NULL };
/* null turns off a token_secret of the admin config's stepDefaults (for a
 * step that uses username and password_secret) */
static const char *const token_names[] = { "token_secret", NULL };

/* Keys that would hold a credential in the workflow text. */
static const char *const literal_credentials[] = {
	"token", "gitea_token", "api_token", "password", "gitea_password", NULL
};

static const pu_field config_fields[] = {
	PU_FIELD("operation", PU_STRING, struct gt_config, operation),
	PU_FIELD_OTHER("url"),
	PU_FIELD_OTHER("gitea_url"),
	PU_FIELD_OTHER("token_secret"),
	PU_FIELD("username", PU_STRING, struct gt_config, username),
	PU_FIELD("password_secret", PU_STRING, struct gt_config, password_secret),
	PU_FIELD_OTHER("owner"),
	PU_FIELD_OTHER("org"),
	PU_FIELD_OTHER("org_name"),
	PU_FIELD_OTHER("repo"),
	PU_FIELD_OTHER("repo_name"),
	PU_FIELD("description", PU_STRING, struct gt_config, description),
	PU_FIELD("private", PU_BOOL, struct gt_config, private_repo),
	PU_FIELD_OTHER("auto_init"),
	PU_FIELD("default_branch", PU_STRING, struct gt_config, default_branch),
	PU_FIELD("timeout", PU_TIMEOUT, struct gt_config, timeout_ms),
	PU_FIELD("insecure_skip_tls_verify", PU_BOOL, struct gt_config, insecure),
	PU_FIELD("ca_file", PU_STRING, struct gt_config, ca_file),
	{ NULL, PU_OTHER, 0, NULL }
};

void
gt_config_free(struct gt_config *c)
{
	memset(c, 0, sizeof(*c));
}

/* An owner (user or organization) or repository name as Gitea takes it:
 * letters, digits, '-', '_', '.', at most max bytes, not "." or "..". */
static int
valid_gitea_name(const char *s, size_t max)
{
	return *s != '\0' && strlen(s) <= max && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0 && pu_chars_ok(s, "-.");
}

/* The server: http:// or https://, a host, no credentials, no blanks. */
static int
check_url(const char *u, const char *field, char *err, size_t errlen)
{
	const char *host, *end;

	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return pu_refuse(err, errlen, "config.%s: \"%s\" must start with http:// "
		                 "or https://", field, u);
	end = host + strcspn(host, "/?#");
	if (end == host)
		return pu_refuse(err, errlen, "config.%s: \"%s\" names no host", field, u);
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return pu_refuse(err, errlen, "config.%s: credentials do not belong in the "
		                 "URL: name a secret with config.token_secret", field);
	if (strpbrk(u, " \t\r\n?#") != NULL || strlen(u) > 2048)
		return pu_refuse(err, errlen, "config.%s: \"%s\" is not a plain server URL "
		                 "(no blanks, query or fragment)", field, u);
	return 0;
}

/*
 * Where the token goes and whom the client trusts are the platform's
 * choice: the url in use (ours or the original's spelling, whichever is
 * read; a template in a spelling that is set aside is never used),
 * ca_file and insecure_skip_tls_verify are refused as templates.
 */
static int
check_literal(const inn_host *host, const inn_step *step, const char *url,
              const char *url_from, char *err, size_t errlen)
{
	static const char *const fields[] = { "ca_file", "insecure_skip_tls_verify", NULL };
	const char *v;
	size_t i;
	int rc;

	if ((rc = pu_refuse_template("config", url_from, url, err, errlen)) != 0)
		return rc;
	for (i = 0; fields[i] != NULL; i++) {
		v = NULL;
		if (host->input_type(step, fields[i]) == INN_VALUE_STRING &&
		    host->input_string(step, fields[i], &v) == 0 &&
		    (rc = pu_refuse_template("config", fields[i], v, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* A name-valued setting: checked once it holds no template. */
static int
check_name(int rendered, const char *v, const char *field, size_t max,
           const char *what, char *err, size_t errlen)
{
	if (v == NULL || (!rendered && pu_is_template(v)) || valid_gitea_name(v, max))
		return 0;
	return pu_refuse(err, errlen, "config.%s: \"%s\" is not a valid %s (letters, "
	                 "digits, '-', '_', '.'; at most %zu; not \".\" or \"..\")",
	                 field, v, what, max);
}

int
gt_config_read(const inn_host *host, const inn_step *step, int rendered,
               struct gt_config *c, char *err, size_t errlen)
{
	const char *owner_from = "owner", *url_from = "url", *repo_from = "repo";
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->op = GT_OP_CREATE;
	c->auto_init = 1;
	for (i = 0; literal_credentials[i] != NULL; i++)
		if (host->input_type(step, literal_credentials[i]) != INN_VALUE_ABSENT)
			return pu_refuse(err, errlen, "config.%s: a credential is never "
			                 "written in a workflow: put it in a secret of the "
			                 "admin config and name it with config.%s",
			                 literal_credentials[i],
			                 strstr(literal_credentials[i], "password") ?
			                 "password_secret" : "token_secret");
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err, errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, url_names, &c->url, &url_from, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, owner_names, &c->owner, &owner_from, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, repo_names, &c->repo, &repo_from, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, token_names, &c->token_secret, NULL,
	    err, errlen)) != 0 ||
	    (rc = pu_alias_bool(host, step, rendered, (const char *const[]){ "auto_init",
	    NULL }, &c->auto_init, NULL, err, errlen)) != 0 ||
	    (rc = pu_alias_word(c->operation, gt_op_names, rendered, "operation", &c->op,
	    err, errlen)) != 0)
		return rc;
	if (c->owner != NULL && strcmp(owner_from, "owner") != 0)
		c->org = c->owner;
	if ((rc = check_literal(host, step, c->url, url_from, err, errlen)) != 0)
		return rc;
	if (c->url != NULL && (rendered || !pu_is_template(c->url)) &&
	    (rc = check_url(c->url, url_from, err, errlen)) != 0)
		return rc;
	if ((rc = check_name(rendered, c->owner, owner_from, 100, "owner name", err,
	    errlen)) != 0 ||
	    (rc = check_name(rendered, c->repo, repo_from, 100, "repository name", err,
	    errlen)) != 0)
		return rc;
	if (c->username != NULL && c->password_secret == NULL)
		return pu_refuse(err, errlen, "config.username: needs "
		                 "config.password_secret (the secret holding its password)");
	if (c->password_secret != NULL && c->username == NULL)
		return pu_refuse(err, errlen, "config.password_secret: needs "
		                 "config.username");
	if (c->token_secret != NULL && c->password_secret != NULL)
		return pu_refuse(err, errlen, "config.token_secret: give either a token "
		                 "or username and password_secret, not both");
	if (c->default_branch != NULL && (rendered || !pu_is_template(c->default_branch)) &&
	    (c->default_branch[0] == '\0' || strlen(c->default_branch) > 255 ||
	    strpbrk(c->default_branch, " \t\r\n~^:?*[\\") != NULL))
		return pu_refuse(err, errlen, "config.default_branch: \"%s\" is not a "
		                 "valid branch name", c->default_branch);
	if (rendered && c->repo == NULL)
		return pu_refuse(err, errlen, "config.repo: missing (the repository's "
		                 "name)");
	if (c->url == NULL)
		return pu_refuse(err, errlen, "config.url: missing (the Gitea server, e.g. "
		                 "https://gitea.example.com; set it here or once in the "
		                 "admin config's stepDefaults for gitea-repo)");
	if (rendered && c->token_secret == NULL && c->password_secret == NULL)
		return pu_refuse(err, errlen, "config.token_secret: missing (the name of "
		                 "the secret holding a Gitea access token; or username and "
		                 "password_secret)");
	return 0;
}
