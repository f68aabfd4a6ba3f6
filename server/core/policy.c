/*
 * policy.c - loads admin-config.yaml (see policy.h).  Only the fields the
 * engine enforces are interpreted here; the rest of the document stays
 * available in policy->doc for the provider and integration loaders.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duration.h"
#include "array.h"
#include "error.h"
#include "step_types.h"
#include "policy_int.h"

static int
field_error(const inn_policy *p, const inn_ynode *n, const char *field,
            const char *what)
{
	return inn_error_set(INN_EINVAL, "%s:%d:%d: %s: %s", p->file, n->line, n->col,
	                     field, what);
}

static int
read_int(const inn_policy *p, const inn_ynode *wp, const char *key, int *out)
{
	const inn_ynode *n = inn_ymap_get(wp, key);
	char field[128], *end;
	long v;

	if (n == NULL)
		return 0;
	snprintf(field, sizeof(field), "workflowPolicies.%s", key);
	if (!inn_ynode_is_scalar(n))
		return field_error(p, n, field, "must be a number");
	errno = 0;
	v = strtol(n->value, &end, 10);
	if (*end != '\0' || errno != 0 || v < 0 || v > 1000000 || n->len == 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "\"%s\" is not a number between 0 and 1000000",
		         n->value);
		return field_error(p, n, field, msg);
	}
	*out = (int)v;
	return 0;
}

int
inn_policy_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *sfx; uint64_t mul; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1000ull }, { "M", 1000000ull }, { "G", 1000000000ull },
		{ "T", 1000000000000ull },
		{ "Ki", 1ull << 10 }, { "Mi", 1ull << 20 }, { "Gi", 1ull << 30 },
		{ "Ti", 1ull << 40 }, { "KiB", 1ull << 10 }, { "MiB", 1ull << 20 },
		{ "GiB", 1ull << 30 }, { "TiB", 1ull << 40 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "none") == 0 || strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].sfx) == 0) {
			if (v > UINT64_MAX / units[i].mul)
				return -1;
			*out = (uint64_t)v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

void
inn_policy_format_size(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ull << 30) && b % (1ull << 30) == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(b >> 30));
	else if (b >= (1ull << 20) && b % (1ull << 20) == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)b);
}

/* Non-zero when it (a list entry) names a step type: a string starting
 * with a letter, then letters, digits, '-', '_' or '.'; or "*". */
static int
is_type_name(const inn_ynode *it)
{
	const char *v = it->value;

	if (!inn_ynode_is_scalar(it) || it->len == 0)
		return 0;
	if (strcmp(v, "*") == 0)
		return 1;
	if (!isalpha((unsigned char)v[0]) || (it->plain && (strcmp(v, "null") == 0 ||
	    strcmp(v, "true") == 0 || strcmp(v, "false") == 0)))
		return 0;
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && *v != '-' && *v != '_' && *v != '.')
			return 0;
	return 1;
}

static int
read_allow_list(inn_policy *p, const inn_ynode *list)
{
	char what[256];
	size_t i;

	p->has_allow_list = 1;
	/* a scalar "*" or one type name: the list of it (the docs show
	 * allowedStepTypes: "*") */
	if (list->kind == INN_Y_SCALAR && list->len > 0 && is_type_name(list)) {
		if ((p->allowed = calloc(1, sizeof(char *))) == NULL ||
		    (p->allowed[0] = strdup(list->value)) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		p->nallowed = 1;
		p->allow_all = strcmp(list->value, "*") == 0;
		return 0;
	}
	if (list->kind != INN_Y_SEQ)
		return field_error(p, list, "workflowPolicies.allowedStepTypes",
		                   list->kind == INN_Y_SCALAR && list->plain &&
		                   (list->len == 0 || strcmp(list->value, "null") == 0 ||
		                    strcmp(list->value, "~") == 0) ?
		                   "is empty: write the step types to allow as a list "
		                   "([shell, terraform]; [\"*\"] for all, [] for none) or "
		                   "remove the key to allow every plugin" :
		                   "must be a list of step type names");
	if (list->n > 0 && (p->allowed = calloc(list->n, sizeof(char *))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (i = 0; i < list->n; i++) {
		const inn_ynode *it = list->items[i];

		if (!is_type_name(it)) {
			snprintf(what, sizeof(what), "%s%s%s is not a step type name (letters, "
			         "digits, - and _, starting with a letter; or \"*\")",
			         inn_ynode_is_scalar(it) ? "\"" : "",
			         inn_ynode_is_scalar(it) ? it->value : inn_ynode_kind_name(it),
			         inn_ynode_is_scalar(it) ? "\"" : "");
			return field_error(p, it, "workflowPolicies.allowedStepTypes", what);
		}
		if (strcmp(it->value, "*") == 0)
			p->allow_all = 1;
		if ((p->allowed[p->nallowed++] = strdup(it->value)) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
	}
	return 0;
}

/* A field's problem (the error just set) as one line of pb: every
 * problem of the section is reported, not only the first.  rc is kept
 * when it is not a field's problem (out of memory). */
static int
note(inn_buf *pb, int rc)
{
	if (rc == 0 || rc == INN_ENOMEM)
		return rc;
	if (inn_buf_addf(pb, "%s\n", inn_error_last()) == INN_ENOMEM)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

/* workflowPolicies: a document or section of the wrong shape is the one
 * error returned; each bad field is a line of pb. */
static int
interpret(inn_policy *p, inn_buf *pb)
{
	const inn_ynode *root = p->doc->root, *wp, *n;
	int rc;

	if (root == NULL)
		return 0; /* empty file: defaults */
	if (root->kind != INN_Y_MAP)
		return field_error(p, root, "admin config", "the document must be a mapping");
	wp = inn_ymap_get(root, "workflowPolicies");
	if (wp == NULL)
		return 0;
	if (wp->kind != INN_Y_MAP)
		return field_error(p, wp, "workflowPolicies", "must be a mapping");
	if ((n = inn_ymap_get(wp, "allowedStepTypes")) != NULL) {
		p->allow_all = 0;
		p->allow_line = inn_ymap_key(wp, "allowedStepTypes")->line;
		if ((rc = note(pb, read_allow_list(p, n))) != 0)
			return rc;
	}
	if ((rc = note(pb, read_int(p, wp, "maxStepsPerWorkflow", &p->max_steps))) != 0 ||
	    (rc = note(pb, read_int(p, wp, "maxConcurrentWorkflows", &p->max_concurrent))) != 0)
		return rc;
	if ((n = inn_ymap_get(wp, "maxWorkflowDuration")) != NULL &&
	    (!inn_ynode_is_scalar(n) ||
	     inn_parse_duration_ms(n->value, &p->max_workflow_ms) != 0)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "\"%s\" is not a duration (e.g. 30m, 2h, 90s)",
		         inn_ynode_is_scalar(n) ? n->value : "(not a scalar)");
		if ((rc = note(pb, field_error(p, n, "workflowPolicies.maxWorkflowDuration",
		                               msg))) != 0)
			return rc;
	}
	/* below 16 MiB not even a worker starts: refused rather than failing
	 * every step later */
	if ((n = inn_ymap_get(wp, "stepMemoryLimit")) != NULL &&
	    (!inn_ynode_is_scalar(n) ||
	     inn_policy_parse_size(n->value, &p->step_memory_limit) != 0 ||
	     (p->step_memory_limit != 0 && p->step_memory_limit < (16ull << 20)))) {
		char msg[256];

		snprintf(msg, sizeof(msg), "\"%s\" is not a size of at least 16Mi "
		         "(e.g. 512Mi, 2Gi) or \"none\"",
		         inn_ynode_is_scalar(n) ? n->value : "(not a scalar)");
		return note(pb, field_error(p, n, "workflowPolicies.stepMemoryLimit", msg));
	}
	return 0;
}

/* interpret(), then the sections policy_secrets.c reads (secrets:,
 * stepDefaults:, stepPolicies:): every problem of those is reported, one
 * a line, not only the first. */
static int
interpret_all(inn_policy *p)
{
	inn_buf pb = INN_BUF_INIT(64 * 1024);
	int rc, n = 0;

	if ((rc = interpret(p, &pb)) != 0 || p->doc->root == NULL)
		goto out;
	if ((rc = inn_policy_read_secrets(p, &pb)) != 0 ||
	    (rc = inn_policy_read_step_defaults(p, &pb)) != 0 ||
	    (rc = inn_policy_problems(p, &pb, &n)) != 0)
		goto out;
	if (n == 1) {
		pb.p[pb.len - 1] = '\0';
		rc = inn_error_set(INN_EINVAL, "%s", pb.p);
	} else if (n > 1) {
		pb.p[pb.len - 1] = '\0';
		rc = inn_error_set(INN_EINVAL, "%d problems in %s:\n%s", n, p->file, pb.p);
	}
out:
	inn_buf_free(&pb);
	return rc;
}

int
inn_policy_default(inn_policy **out)
{
	inn_policy *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	p->allow_all = 1;
	p->step_memory_limit = INN_STEP_MEMORY_DEFAULT;
	*out = p;
	return 0;
}

int
inn_policy_load(inn_policy **out, const char *path, int missing_ok)
{
	inn_policy *p = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	if (stat(path, &st) != 0 && errno == ENOENT && missing_ok)
		return inn_policy_default(out);
	if ((rc = inn_policy_default(&p)) != 0)
		return rc;
	if ((p->file = strdup(path)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto err;
	}
	if ((rc = inn_yaml_load_file(&p->doc, path)) != 0)
		goto err;
	if (p->doc->next_doc_line > 0)
		fprintf(stderr, "%s:%d: warning: a second YAML document is ignored: only the "
		        "first document of a file is read (as the original innominatus read "
		        "it)\n", path, p->doc->next_doc_line);
	if ((rc = interpret_all(p)) != 0)
		goto err;
	*out = p;
	return 0;
err:
	inn_policy_free(p);
	return rc;
}

void
inn_policy_free(inn_policy *p)
{
	if (p == NULL)
		return;
	inn_strv_free(p->allowed, p->nallowed);
	inn_policy_secrets_free(p);
	inn_ydoc_free(p->doc);
	free(p->file);
	free(p);
}

int
inn_policy_allows(const inn_policy *p, const char *type)
{
	size_t i;

	if (p == NULL || p->allow_all)
		return 1;
	for (i = 0; i < p->nallowed; i++)
		if (strcmp(p->allowed[i], type) == 0)
			return 1;
	return 0;
}

int
inn_policy_allows_plugin(const inn_policy *p, const char *plugin_type, const char **via)
{
	size_t i;

	if (via != NULL)
		*via = NULL;
	if (inn_policy_allows(p, plugin_type))
		return 1;
	for (i = 0; i < p->nallowed; i++) {
		if (strcmp(inn_step_type_resolve(p->allowed[i]), plugin_type) == 0) {
			if (via != NULL)
				*via = p->allowed[i];
			return 1;
		}
	}
	return 0;
}

void
inn_policy_describe_source(const inn_policy *p, char *buf, size_t len)
{
	if (p == NULL || p->file == NULL)
		snprintf(buf, len, "workflowPolicies.allowedStepTypes (no admin config)");
	else if (p->allow_line > 0)
		snprintf(buf, len, "workflowPolicies.allowedStepTypes (%s:%d)", p->file,
		         p->allow_line);
	else
		snprintf(buf, len, "workflowPolicies.allowedStepTypes (%s)", p->file);
}
