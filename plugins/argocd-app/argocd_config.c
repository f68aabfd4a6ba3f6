/*
 * argocd_config.c - argocd-app.so's step config: the field table (ours and
 * the original's spellings: appName, repoURL, targetPath, syncPolicy, the
 * container-team's app_name, dest_namespace, auto_sync ...), the sync
 * policy words, and the checks of Kubernetes names.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "pu_alias.h"
#include "argocd_int.h"

const char *const ac_op_names[] = {
	"create", "update", "delete", "get", "wait_for_sync", NULL
};

static const char *const name_names[] = { "name", "app_name", "appName", NULL };
static const char *const repo_names[] = { "repo_url", "repoURL", NULL };
static const char *const path_names[] = { "path", "target_path", "targetPath", NULL };
static const char *const rev_names[] = { "target_revision", "targetRevision", NULL };
static const char *const server_names[] = { "server", "dest_server", NULL };
/* the original's config.namespace is the destination (its Application
 * always lived in "argocd") */
static const char *const dest_ns_names[] = { "dest_namespace", "namespace", NULL };
static const char *const policy_names[] = { "sync_policy", "syncPolicy", NULL };
static const char *const auto_names[] = { "auto_sync", NULL };
static const char *const self_heal_names[] = { "self_heal", "selfHeal", NULL };
static const char *const wait_names[] = { "wait_for_sync", "waitForSync", NULL };

static int
valid_option(const char *s)
{
	return *s != '\0' && strlen(s) <= 253 && strpbrk(s, " \t\r\n") == NULL;
}

static const pu_strv_rule options_rule = {
	"must be an array of sync options such as \"CreateNamespace=true\"",
	valid_option, "is not a sync option (Name=value, no blanks)", 1, 0
};

static const pu_field config_fields[] = {
	PU_FIELD("operation", PU_STRING, struct ac_config, operation),
	PU_FIELD_OTHER("name"), PU_FIELD_OTHER("app_name"), PU_FIELD_OTHER("appName"),
	PU_FIELD("argocd_namespace", PU_STRING, struct ac_config, app_namespace),
	PU_FIELD("project", PU_STRING, struct ac_config, project),
	PU_FIELD_OTHER("repo_url"), PU_FIELD_OTHER("repoURL"),
	PU_FIELD_OTHER("path"), PU_FIELD_OTHER("target_path"), PU_FIELD_OTHER("targetPath"),
	PU_FIELD_OTHER("target_revision"), PU_FIELD_OTHER("targetRevision"),
	PU_FIELD_OTHER("destination"),
	PU_FIELD_OTHER("server"), PU_FIELD_OTHER("dest_server"),
	PU_FIELD_OTHER("dest_namespace"), PU_FIELD_OTHER("namespace"),
	PU_FIELD("dest_name", PU_STRING, struct ac_config, dest_name),
	PU_FIELD_OTHER("sync_policy"), PU_FIELD_OTHER("syncPolicy"),
	PU_FIELD_OTHER("automated"), PU_FIELD_OTHER("auto_sync"),
	PU_FIELD_OTHER("prune"), PU_FIELD_OTHER("self_heal"), PU_FIELD_OTHER("selfHeal"),
	PU_FIELD_OTHER("create_namespace"),
	PU_FIELD_STRV("sync_options", struct ac_config, sync_options, &options_rule),
	PU_FIELD("cascade", PU_BOOL, struct ac_config, cascade),
	PU_FIELD_OTHER("wait_for_sync"), PU_FIELD_OTHER("waitForSync"),
	PU_FIELD_OTHER("spec"),
	PU_FIELD_OTHER("labels"),
	PU_KUBE_STEP_FIELDS,
	PU_FIELD("timeout", PU_TIMEOUT, struct ac_config, timeout_ms),
	{ NULL, PU_OTHER, 0, NULL }
};

void
ac_config_free(struct ac_config *c)
{
	pu_config_free(config_fields, c);
	pu_kube_step_free(&c->conn);
	json_object_put(c->spec);
	json_object_put(c->labels);
	memset(c, 0, sizeof(*c));
}

/* A DNS-1123 name: lowercase letters, digits, '-' (and '.' with dots),
 * starting and ending with a letter or digit, at most max bytes. */
static int
valid_dns(const char *s, int dots, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && !(ch == '-' || (dots && ch == '.')))
			return 0;
		if ((i == 0 || i == n - 1) && !alnum)
			return 0;
	}
	return 1;
}

/* The value of a rendered string setting: "" counts as not set (the
 * original's optional parameters render empty). */
static const char *
unset_empty(int rendered, const char *v)
{
	return rendered && v != NULL && *v == '\0' ? NULL : v;
}

/* A plain-text setting: no control characters, bounded. */
static int
check_text(int rendered, const char *v, const char *field, char *err, size_t errlen)
{
	const char *p;

	if (v == NULL || (!rendered && pu_is_template(v)))
		return 0;
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return pu_refuse(err, errlen, "config.%s: must be one line of text "
			                 "without control characters", field);
	if (p - v > 4096)
		return pu_refuse(err, errlen, "config.%s: longer than 4096 bytes", field);
	return 0;
}

static int
check_dns(int rendered, const char *v, const char *field, int dots, size_t max,
          char *err, size_t errlen)
{
	if (v == NULL || (!rendered && pu_is_template(v)) || valid_dns(v, dots, max))
		return 0;
	return pu_refuse(err, errlen, "config.%s: \"%s\" is not a valid Kubernetes name "
	                 "(lowercase letters, digits, '-'%s; at most %zu)", field, v,
	                 dots ? ", '.'" : "", max);
}

/* An optional object at field as a json-c object. */
static int
read_object(const inn_host *host, const inn_step *step, const char *field,
            json_object **out, char *err, size_t errlen)
{
	char *text = NULL;
	int t = host->input_type(step, field);

	*out = NULL;
	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.%s: must be an object", field);
	if (host->input_json(step, field, &text) != 0)
		return pu_refuse(err, errlen, "config.%s: %s", field, host->last_error());
	*out = json_tokener_parse(text);
	host->free(text);
	if (*out == NULL)
		return pu_refuse(err, errlen, "config.%s: cannot read its value", field);
	return 0;
}

/* destination: {server, namespace, name}, agreeing with the flat names. */
static int
read_destination(const inn_host *host, const inn_step *step, struct ac_config *c,
                 char *err, size_t errlen)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "server", offsetof(struct ac_config, dest_server) },
		{ "namespace", offsetof(struct ac_config, dest_namespace) },
		{ "name", offsetof(struct ac_config, dest_name) },
	};
	char path[32];
	size_t i;

	if (host->input_type(step, "destination") == INN_VALUE_ABSENT)
		return 0;
	if (host->input_type(step, "destination") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.destination: must be an object "
		                 "(server, namespace, name)");
	for (i = 0; i < host->input_count(step, "destination"); i++) {
		const char *k = host->input_key(step, "destination", i);

		if (k == NULL || (strcmp(k, "server") != 0 && strcmp(k, "namespace") != 0 &&
		    strcmp(k, "name") != 0))
			return pu_refuse(err, errlen, "config.destination: unknown field \"%s\" "
			                 "(known: server, namespace, name)", k ? k : "?");
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char **slot = (const char **)(void *)((char *)c + keys[i].off), *v = NULL;
		int rc;

		snprintf(path, sizeof(path), "destination.%s", keys[i].key);
		if ((rc = pu_read_string(host, step, path, &v, err, errlen)) != 0)
			return rc;
		if (v == NULL)
			continue;
		if (*slot != NULL && strcmp(*slot, v) != 0)
			return pu_refuse(err, errlen, "config.%s (\"%s\") contradicts the flat "
			                 "setting (\"%s\"): write it once", path, v, *slot);
		*slot = v;
	}
	return 0;
}

/* The sync policy words and switches into c->automated, prune, self_heal. */
static int
read_sync(const inn_host *host, const inn_step *step, int rendered,
          struct ac_config *c, char *err, size_t errlen)
{
	int t, v = 0, set = 0, rc, word = -1;

	c->automated = c->prune = c->self_heal = c->create_namespace = -1;
	if ((rc = pu_alias_string(host, step, rendered, policy_names, &c->sync_policy,
	    NULL, err, errlen)) != 0)
		return rc;
	if (c->sync_policy != NULL && (rendered || !pu_is_template(c->sync_policy))) {
		const char *p = c->sync_policy;

		if (!strcmp(p, "auto") || !strcmp(p, "automated") || !strcmp(p, "automatic"))
			word = 1;
		else if (!strcmp(p, "manual") || !strcmp(p, "none") || !*p)
			word = 0;
		else
			return pu_refuse(err, errlen, "config.sync_policy: \"%s\" is not one of "
			                 "auto, automated, manual, none", p);
	}
	c->automated = word;
	if ((rc = pu_alias_bool(host, step, rendered, auto_names, &v, &set, err,
	    errlen)) != 0)
		return rc;
	t = host->input_type(step, "automated");
	if (t == INN_VALUE_OBJECT) {
		static const char *const sub_prune[] = { "prune", "automated.prune", NULL };
		static const char *const sub_heal[] = { "self_heal", "selfHeal",
			"automated.selfHeal", NULL };
		int pv = 0, ps = 0, hv = 0, hs = 0;

		for (size_t i = 0; i < host->input_count(step, "automated"); i++) {
			const char *k = host->input_key(step, "automated", i);

			if (k == NULL || (strcmp(k, "prune") && strcmp(k, "selfHeal") &&
			    strcmp(k, "allowEmpty")))
				return pu_refuse(err, errlen, "config.automated: unknown field "
				                 "\"%s\" (known: prune, selfHeal, allowEmpty)",
				                 k ? k : "?");
		}
		if ((rc = pu_alias_bool(host, step, rendered, sub_prune, &pv, &ps, err,
		    errlen)) != 0 ||
		    (rc = pu_alias_bool(host, step, rendered, sub_heal, &hv, &hs, err,
		    errlen)) != 0)
			return rc;
		if (ps)
			c->prune = pv;
		if (hs)
			c->self_heal = hv;
		if (set && !v)
			return pu_refuse(err, errlen, "config.automated: contradicts "
			                 "config.auto_sync (false)");
		set = 1;
		v = 1;
	} else if (t != INN_VALUE_ABSENT) {
		int av = 0;

		if ((rc = pu_read_bool(host, step, "automated", rendered, &av, err,
		    errlen)) != 0)
			return rc;
		if (set && av != v)
			return pu_refuse(err, errlen, "config.automated contradicts "
			                 "config.auto_sync: write it once");
		set = 1;
		v = av;
	}
	if (set) {
		if (word >= 0 && word != v)
			return pu_refuse(err, errlen, "config.sync_policy (\"%s\") contradicts "
			                 "config.%s (%s)", c->sync_policy,
			                 t != INN_VALUE_ABSENT ? "automated" : "auto_sync",
			                 v ? "true" : "false");
		c->automated = v;
	}
	if (c->prune < 0 && host->input_type(step, "prune") != INN_VALUE_ABSENT) {
		if ((rc = pu_read_bool(host, step, "prune", rendered, &v, err, errlen)) != 0)
			return rc;
		c->prune = v;
	}
	set = 0;
	if (c->self_heal < 0 && (rc = pu_alias_bool(host, step, rendered, self_heal_names,
	    &v, &set, err, errlen)) != 0)
		return rc;
	if (set)
		c->self_heal = v;
	set = 0;
	if ((rc = pu_alias_bool(host, step, rendered, (const char *const[]){
	    "create_namespace", NULL }, &v, &set, err, errlen)) != 0)
		return rc;
	if (set)
		c->create_namespace = v;
	return 0;
}

int
ac_config_read(const inn_host *host, const inn_step *step, int rendered,
               struct ac_config *c, char *err, size_t errlen)
{
	const char *name_from = "name", *ns_from = "dest_namespace";
	int rc;

	memset(c, 0, sizeof(*c));
	c->op = AC_OP_CREATE;
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err, errlen)) != 0 ||
	    (rc = pu_kube_step_read(host, step, &c->conn, err, errlen)) != 0 ||
	    (rc = pu_alias_word(c->operation && strcmp(c->operation, "apply") == 0 ?
	    "create" : c->operation, ac_op_names, rendered, "operation", &c->op, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, name_names, &c->name, &name_from, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, repo_names, &c->repo_url, NULL, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, path_names, &c->path, NULL, err,
	    errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, rev_names, &c->target_revision,
	    NULL, err, errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, server_names, &c->dest_server,
	    NULL, err, errlen)) != 0 ||
	    (rc = pu_alias_string(host, step, rendered, dest_ns_names,
	    &c->dest_namespace, &ns_from, err, errlen)) != 0 ||
	    (rc = read_destination(host, step, c, err, errlen)) != 0 ||
	    (rc = read_sync(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = pu_alias_bool(host, step, rendered, wait_names, &c->wait_for_sync, NULL,
	    err, errlen)) != 0 ||
	    (rc = read_object(host, step, "spec", &c->spec, err, errlen)) != 0 ||
	    (rc = read_object(host, step, "labels", &c->labels, err, errlen)) != 0)
		goto fail;
	c->cascade_set = host->input_type(step, "cascade") != INN_VALUE_ABSENT;
	c->project = unset_empty(rendered, c->project);
	c->repo_url = unset_empty(rendered, c->repo_url);
	c->path = unset_empty(rendered, c->path);
	c->target_revision = unset_empty(rendered, c->target_revision);
	c->dest_server = unset_empty(rendered, c->dest_server);
	c->dest_name = unset_empty(rendered, c->dest_name);
	c->dest_namespace = unset_empty(rendered, c->dest_namespace);
	c->app_namespace = unset_empty(rendered, c->app_namespace);
	if (c->app_namespace == NULL)
		c->app_namespace = "argocd";
	if ((rc = check_dns(rendered, c->name, name_from, 1, 253, err, errlen)) != 0 ||
	    (rc = check_dns(rendered, c->app_namespace, "argocd_namespace", 0, 63, err,
	    errlen)) != 0 ||
	    (rc = check_dns(rendered, c->dest_namespace, ns_from, 0, 63, err, errlen)) != 0 ||
	    (rc = check_text(rendered, c->project, "project", err, errlen)) != 0 ||
	    (rc = check_text(rendered, c->repo_url, "repo_url", err, errlen)) != 0 ||
	    (rc = check_text(rendered, c->path, "path", err, errlen)) != 0 ||
	    (rc = check_text(rendered, c->target_revision, "target_revision", err,
	    errlen)) != 0 ||
	    (rc = check_text(rendered, c->dest_server, "server", err, errlen)) != 0 ||
	    (rc = check_text(rendered, c->dest_name, "dest_name", err, errlen)) != 0)
		goto fail;
	if (c->labels != NULL) {
		json_object_object_foreach(c->labels, k, lv) {
			if (!json_object_is_type(lv, json_type_string) || strlen(k) > 316 ||
			    *k == '\0') {
				rc = pu_refuse(err, errlen, "config.labels.%s: must be a string "
				               "(label values are text)", k);
				goto fail;
			}
		}
	}
	/* a pinned dest_namespace (stepPolicies: static) and a static
	 * spec.destination.namespace must agree at load: the spec override
	 * would otherwise win silently (allowed_namespaces checks the final
	 * object before any request) */
	if (c->dest_namespace != NULL && c->spec != NULL) {
		const char *sn = pu_kube_path_str(c->spec, "destination.namespace");

		if (!rendered && sn != NULL && strcmp(sn, c->dest_namespace) != 0 &&
		    !pu_is_template(sn) && !pu_is_template(c->dest_namespace)) {
			rc = pu_refuse(err, errlen, "config.spec.destination.namespace \"%s\" "
			               "contradicts config.%s \"%s\"", sn, ns_from,
			               c->dest_namespace);
			goto fail;
		}
	}
	if (rendered && c->name == NULL) {
		rc = pu_refuse(err, errlen, "config.name: missing (the Application's name; "
		               "the original wrote app_name or appName)");
		goto fail;
	}
	if (rendered && c->op == AC_OP_CREATE && c->repo_url == NULL &&
	    (c->spec == NULL || !json_object_object_get_ex(c->spec, "source", NULL))) {
		rc = pu_refuse(err, errlen, "config.repo_url: missing (the Git repository "
		               "Argo CD deploys from)");
		goto fail;
	}
	return 0;
fail:
	ac_config_free(c);
	return rc;
}
