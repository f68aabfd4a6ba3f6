/*
 * load_legacy.c - the original innominatus's step fields read onto our
 * plugins' configs.  Its steps carried settings beside config (types.Step:
 * workingDir, path, operation, variables, outputs, playbook, namespace,
 * repoName, ...) that its executors read; here each one that has a
 * meaning for the step's plugin becomes that plugin's config key, with a
 * deprecation warning naming the new spelling.  A field the plugin has no
 * use for is warned about with the reason, never silently dropped, and a
 * legacy spelling that contradicts the new one is an error.  The
 * original's config spellings our plugins do not take get the same
 * treatment.  Fields of step types we have no plugin for are not mapped:
 * we do not guess what a future plugin would call them.  Part of the
 * workflow loader (load_steps.c calls it for each step).
 */
#include "model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "load_workflow_int.h"

enum lg_how {
	LG_KEY,       /* the value becomes config.<to> (a mapping merges into it) */
	LG_LIST,      /* a list becomes config.<to>; a mapping stays our
	               * documentation of the step's outputs */
	LG_FOLDER     /* ansible: the folder the playbook is in; joined into
	               * config.playbook */
};

/* Fields mapped onto a plugin type's config (after step-type aliases, so
 * `policy` steps are shell steps).  The original's executors:
 * internal/workflow/executor.go (terraform: operation, workingDir or
 * config.working_dir, variables, outputs; ansible: config.playbook or
 * playbook, run in workingDir or config.working_dir; kubernetes: the
 * step's operation and namespace, read before config's) and the legacy
 * runner internal/workflow/workflow.go (terraform init/apply/output in
 * path; ansible-playbook playbook run in path). */
static const struct lg_map {
	const char *plugin, *field;
	enum lg_how how;
	const char *to;
} lg_maps[] = {
	{ "terraform", "workingDir", LG_KEY, "working_dir" },
	{ "terraform", "path", LG_KEY, "working_dir" },
	{ "terraform", "operation", LG_KEY, "operation" },
	{ "terraform", "variables", LG_KEY, "variables" },
	{ "terraform", "outputs", LG_LIST, "outputs" },
	{ "ansible", "playbook", LG_KEY, "playbook" },
	{ "ansible", "path", LG_FOLDER, "playbook" },
	{ "ansible", "workingDir", LG_FOLDER, "playbook" },
	{ "shell", "workingDir", LG_KEY, "working_dir" },
	{ "kubernetes", "operation", LG_KEY, "operation" },
	{ "kubernetes", "namespace", LG_KEY, "namespace" },
	/* gitea-repo (internal/workflow/workflow.go runGiteaRepoStepWithSpinner:
	 * repoName, private, owner -- an owner other than its admin user was an
	 * organization) */
	{ "gitea-repo", "repoName", LG_KEY, "repo" },
	{ "gitea-repo", "private", LG_KEY, "private" },
	{ "gitea-repo", "owner", LG_KEY, "owner" },
	/* argocd-app (runArgoCDAppStepWithSpinner: appName, repoURL,
	 * targetPath, project, syncPolicy, waitForSync; namespace was the
	 * destination namespace -- its Application lived in "argocd") */
	{ "argocd-app", "appName", LG_KEY, "name" },
	{ "argocd-app", "repoURL", LG_KEY, "repo_url" },
	{ "argocd-app", "targetPath", LG_KEY, "path" },
	{ "argocd-app", "project", LG_KEY, "project" },
	{ "argocd-app", "syncPolicy", LG_KEY, "sync_policy" },
	{ "argocd-app", "waitForSync", LG_KEY, "wait_for_sync" },
	{ "argocd-app", "namespace", LG_KEY, "dest_namespace" },
};

/* Every other step field of the original that ours does not have, and
 * which of its step types read it (for the "ignored" warning); why, when
 * set, says what to do instead whatever the step type. */
static const struct lg_field {
	const char *field, *read_by, *why;
} lg_fields[] = {
	{ "path", "terraform and ansible", NULL },
	{ "workingDir", "terraform and ansible", NULL },
	{ "operation", "terraform and kubernetes", NULL },
	{ "variables", "terraform and terraform-generate", NULL },
	{ "playbook", "ansible", NULL },
	{ "namespace", "kubernetes", NULL },
	{ "resource", "terraform-generate", NULL },
	{ "outputDir", "terraform-generate", NULL },
	{ "repo", "git-pr and git-check-pr", NULL },
	{ "branch", "git-pr and git-check-pr", NULL },
	{ "commitMessage", "git-pr", NULL },
	{ "workspace", "tfe-status", NULL },
	{ "repoName", "gitea-repo, argocd-app and git-commit-manifests", NULL },
	{ "private", "gitea-repo", NULL },
	{ "owner", "gitea-repo", NULL },
	{ "appName", "argocd-app", NULL },
	{ "repoURL", "argocd-app", NULL },
	{ "targetPath", "argocd-app", NULL },
	{ "project", "argocd-app", NULL },
	{ "syncPolicy", "argocd-app", NULL },
	{ "waitForSync", "argocd-app", NULL },
	{ "manifestPath", "git-commit-manifests", NULL },
	{ "gitBranch", "git-commit-manifests", NULL },
	{ "outputFile", NULL, "innominatus reads no outputs from a file: a shell step "
	  "appends name=value lines to $INNOMINATUS_OUTPUT, a terraform step publishes "
	  "its terraform outputs" },
	{ "setVariables", NULL, "a step cannot set workflow variables here: later "
	  "steps read this step's outputs as ${steps.<name>.outputs.<key>}" },
	{ "parallelGroup", NULL, "group numbers are not supported: adjacent steps "
	  "with parallel: true run together (or order them with depends_on)" },
};

/* The original's config spellings our plugins do not take (L2). */
static const struct lg_cfg {
	const char *plugin, *key;
	enum lg_how how;            /* LG_FOLDER, or LG_KEY with why: refused */
	const char *why;
} lg_cfgs[] = {
	{ "ansible", "working_dir", LG_FOLDER, NULL },
	{ "ansible", "vars", LG_KEY, "the original innominatus ignored it (its ansible "
	  "steps never passed these to ansible-playbook); write config.extra_vars to "
	  "pass them, or remove it" },
	{ "terraform", "commands", LG_KEY, "the original innominatus ignored it (its "
	  "terraform steps run config.operation: init, plan, apply, destroy or "
	  "output); remove it" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct lg_field *
legacy_field(const char *key)
{
	size_t i;

	for (i = 0; i < NELEM(lg_fields); i++)
		if (strcmp(lg_fields[i].field, key) == 0)
			return &lg_fields[i];
	return NULL;
}

void
inn_lw_step_unknown_keys(struct wf_load *L, const inn_ynode *n,
                         const char *const *known, const char *path)
{
	const char *all[64 + NELEM(lg_fields) + 1];
	size_t i, k = 0;

	for (i = 0; known[i] != NULL && k < 64; i++)
		all[k++] = known[i];
	for (i = 0; i < NELEM(lg_fields); i++)
		all[k++] = lg_fields[i].field;
	all[k] = NULL;
	inn_l_unknown_keys(&L->lc, n, all, path);
}

/* A value for messages: a short JSON text. */
static const char *
shown(json_object *v, char *buf, size_t len)
{
	const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t tl = strlen(t);

	if (tl < len)
		return t;
	snprintf(buf, len, "%.*s...", (int)(len > 4 ? len - 4 : 0), t);
	return buf;
}

/* Path p spelt one way into out (len bytes): no "." segments, no
 * repeated or trailing '/' ("./sub/" -> "sub"). */
static void
norm_path(const char *p, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	if (*p == '/' && o + 1 < len)
		out[o++] = '/';
	while (*p != '\0') {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (!(n == 1 && p[0] == '.')) {
			if (o > 0 && out[o - 1] != '/' && o + 1 < len)
				out[o++] = '/';
			if (o + n >= len)
				n = len - o - 1;
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	if (o == 0 && len > 1)
		out[o++] = '.';
	out[o] = '\0';
}

/* A scalar as the original formatted it (Go's %v) into buf, or NULL for
 * an object or array. */
static const char *
as_v(json_object *v, char *buf, size_t len)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_null:
		return "<nil>";
	case json_type_boolean:
	case json_type_int:
	case json_type_double:
		snprintf(buf, len, "%s", json_object_to_json_string_ext(v,
		         JSON_C_TO_STRING_PLAIN));
		return buf;
	default:
		return NULL;
	}
}

/* Non-zero when a and b say the same for config.to: equal, or scalars the
 * original formatted alike (%v: "1" and 1), or the same path spelt two
 * ways ("sub", "./sub", "sub/") for a path key. */
static int
same_value(const char *to, json_object *a, json_object *b)
{
	char b1[4096], b2[4096], n1[4096], n2[4096];
	const char *s1, *s2;

	if (json_object_equal(a, b))
		return 1;
	if ((s1 = as_v(a, b1, sizeof(b1))) == NULL || (s2 = as_v(b, b2, sizeof(b2))) == NULL)
		return 0;
	if (strcmp(s1, s2) == 0)
		return 1;
	if ((strcmp(to, "working_dir") != 0 && strcmp(to, "playbook") != 0) ||
	    strlen(s1) >= sizeof(n1) || strlen(s2) >= sizeof(n2))
		return 0;   /* not a path, or too long to compare spelt one way */
	norm_path(s1, n1, sizeof(n1));
	norm_path(s2, n2, sizeof(n2));
	return strcmp(n1, n2) == 0;
}

/* Puts v (owned) into config.to, merging a mapping into a mapping there
 * key by key.  A value already there (written as had_from, a legacy field,
 * or NULL: as config.to) that differs is reported at at (the field written
 * as field) and v dropped.  Returns 0, or -1 when reported. */
static int
put_config(struct wf_load *L, const inn_step_def *s, const inn_ynode *at,
           const char *field, const char *to, const char *had_from, json_object *v)
{
	json_object *cur;
	char b1[120], b2[120], from[64];

	if (had_from != NULL)
		snprintf(from, sizeof(from), "%s", had_from);
	else
		snprintf(from, sizeof(from), "config.%s", to);

	if (!json_object_object_get_ex(s->config, to, &cur)) {
		json_object_object_add(s->config, to, v);
		return 0;
	}
	if (json_object_is_type(cur, json_type_object) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, val) {
			json_object *had;

			if (json_object_object_get_ex(cur, k, &had) &&
			    same_value("", had, val))
				continue;   /* config's spelling stays */
			if (json_object_object_get_ex(cur, k, &had)) {
				inn_l_err(&L->lc, at, "step \"%s\": %s.%s (%s) contradicts "
				          "%s.%s (%s): write it once, under config.%s",
				          s->name, field, k, shown(val, b1, sizeof(b1)), from, k,
				          shown(had, b2, sizeof(b2)), to);
				json_object_put(v);
				return -1;
			}
			json_object_object_add(cur, k, json_object_get(val));
		}
		json_object_put(v);
		return 0;
	}
	if (!same_value(to, cur, v)) {
		inn_l_err(&L->lc, at, "step \"%s\": %s (%s) contradicts %s (%s): "
		          "write it once, under config.%s", s->name, field,
		          shown(v, b1, sizeof(b1)), from, shown(cur, b2, sizeof(b2)), to);
		json_object_put(v);
		return -1;
	}
	json_object_put(v);
	return 0;
}

/* Records field (key node k, value v) as read into config.to. */
static void
remember(struct step_pos *ps, const inn_ynode *k, const inn_ynode *v, const char *to)
{
	if (ps->nlegacy < LW_LEGACY_MAX) {
		ps->legacy[ps->nlegacy] = v;
		ps->legacy_at[ps->nlegacy] = k;
		ps->legacy_to[ps->nlegacy] = to;
		ps->legacy_key[ps->nlegacy++] = k->value;
	}
}

/* The ansible playbook folder written as field at v (a string): the one
 * folder of the step so far in *dir (a contradiction is reported). */
static void
playbook_folder(struct wf_load *L, const inn_step_def *s, const inn_ynode *at,
                const inn_ynode *v, const char *field, const inn_ynode **dir,
                const char **dir_field)
{
	if (!inn_ynode_is_scalar(v) || v->len == 0) {
		inn_l_err(&L->lc, v, "step \"%s\": %s: must be a folder path, not %s",
		          s->name, field, v->len == 0 && inn_ynode_is_scalar(v) ?
		          "empty" : inn_ynode_kind_name(v));
		return;
	}
	if (*dir != NULL && strcmp((*dir)->value, v->value) != 0) {
		inn_l_err(&L->lc, at, "step \"%s\": %s (\"%s\") contradicts %s (\"%s\"): "
		          "write the playbook's folder once, as part of config.playbook",
		          s->name, field, v->value, *dir_field, (*dir)->value);
		return;
	}
	*dir = v;
	*dir_field = field;
}

/* Joins the ansible playbook folder (written as field at at) into
 * config.playbook: the original ran ansible-playbook in that folder, so a
 * relative playbook was a file of it. */
static void
join_playbook(struct wf_load *L, const inn_step_def *s, const inn_ynode *at,
              const inn_ynode *dir, const char *field)
{
	json_object *pb;
	const char *p;
	char *joined, nd[4096], np[4096];
	size_t dl;

	if (!json_object_object_get_ex(s->config, "playbook", &pb) ||
	    !json_object_is_type(pb, json_type_string)) {
		inn_l_warn(&L->lc, at, "step \"%s\": %s: ignored: it is the folder of the "
		           "original's playbook file, and this step names no config.playbook",
		           s->name, field);
		return;
	}
	p = json_object_get_string(pb);
	if (p[0] == '/') {
		inn_l_warn(&L->lc, at, "step \"%s\": %s: ignored: config.playbook \"%s\" is "
		           "an absolute path, so the folder changes nothing (the playbook "
		           "runs in the step's workspace)", s->name, field, p);
		return;
	}
	norm_path(dir->value, nd, sizeof(nd));
	norm_path(p, np, sizeof(np));
	dl = strlen(nd);
	if (strncmp(np, nd, dl) == 0 && np[dl] == '/') {
		/* written the new way already: joining would name dir/dir/... */
		inn_l_warn(&L->lc, at, "step \"%s\": %s: deprecated spelling of the "
		           "original innominatus (the folder ansible-playbook ran in); "
		           "config.playbook \"%s\" already starts with it, so it is read "
		           "as it is (remove %s)", s->name, field, p, field);
		return;
	}
	if ((joined = inn_l_join(nd, np)) == NULL) {
		inn_l_err(&L->lc, at, "out of memory");
		return;
	}
	inn_l_warn(&L->lc, at, "step \"%s\": %s: deprecated spelling of the original "
	           "innominatus (the folder ansible-playbook ran in); read as "
	           "config.playbook: \"%s\" (write that; the playbook runs in the step's "
	           "workspace)", s->name, field, joined);
	json_object_object_add(s->config, "playbook", json_object_new_string(joined));
	free(joined);
}

/* The original's config spellings (lg_cfgs) for s's plugin type. */
static void
legacy_config(struct wf_load *L, inn_step_def *s, struct step_pos *ps,
              const inn_ynode **dir, const char **dir_field, const inn_ynode **dir_at)
{
	size_t i;

	for (i = 0; i < NELEM(lg_cfgs); i++) {
		const struct lg_cfg *c = &lg_cfgs[i];
		const inn_ynode *v, *k;

		if (strcmp(c->plugin, s->plugin_type) != 0 || ps->config == NULL ||
		    ps->config->kind != INN_Y_MAP ||
		    (v = inn_ymap_get(ps->config, c->key)) == NULL)
			continue;
		k = inn_ymap_key(ps->config, c->key);
		if (c->how == LG_FOLDER) {
			playbook_folder(L, s, k, v, "config.working_dir", dir, dir_field);
			if (*dir == v)
				*dir_at = k;
		} else {
			inn_l_err(&L->lc, k, "step \"%s\": config.%s: not a field of %s steps: "
			          "%s", s->name, c->key, s->plugin_type, c->why);
		}
		/* said here: the plugin's "unknown field" would only repeat it */
		json_object_object_del(s->config, c->key);
	}
}

/* Non-zero when plugin type t has mapped fields (one of ours). */
static int
has_maps(const char *t)
{
	size_t i;

	for (i = 0; t != NULL && i < NELEM(lg_maps); i++)
		if (strcmp(lg_maps[i].plugin, t) == 0)
			return 1;
	return 0;
}

/* A field of the original with no mapping for this step: the warning. */
static void
ignored(struct wf_load *L, const inn_step_def *s, const inn_ynode *k,
        const struct lg_field *f)
{
	const char *type = s->type ? s->type : "?";

	if (f->why != NULL)
		inn_l_warn(&L->lc, k, "step \"%s\": %s: ignored: %s", s->name, f->field,
		           f->why);
	else if (has_maps(s->plugin_type))
		inn_l_warn(&L->lc, k, "step \"%s\": %s: ignored: the original read it for "
		           "its %s steps only, and %s steps have no such setting", s->name,
		           f->field, f->read_by, type);
	else
		inn_l_warn(&L->lc, k, "step \"%s\": %s: not mapped (ignored): a field of "
		           "the original's %s steps, which innominatus maps to no plugin "
		           "config; if the plugin for \"%s\" takes it, write it under "
		           "config:", s->name, f->field, f->read_by, type);
}

/* outputs: [names] on a step of one of our other plugins: the outputs
 * later steps may read (load_check.c checks their references against the
 * list), so each must be a name a step can publish:
 * [A-Za-z_][A-Za-z0-9_.-]* (shell.so's $INNOMINATUS_OUTPUT rule). */
static void
outputs_list(struct wf_load *L, const inn_step_def *s, const inn_ynode *k,
             const inn_ynode *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		const inn_ynode *e = v->items[i];
		const char *c = e->kind == INN_Y_SCALAR ? e->value : NULL;
		int ok = c != NULL && (c[0] == '_' || isalpha((unsigned char)c[0]));

		while (ok && *++c != '\0')
			ok = isalnum((unsigned char)*c) || *c == '_' || *c == '.' || *c == '-';
		if (!ok)
			inn_l_err(&L->lc, e, "step \"%s\": %s[%zu]: not an output name a step "
			          "can publish ([A-Za-z_][A-Za-z0-9_.-]*)", s->name, k->value, i);
	}
}

/* timeout: as a bare number (the original's form, an int of seconds): a
 * warning that it is this step's deadline now. */
static void
seconds_timeout(struct wf_load *L, const inn_step_def *s, const inn_ynode *k,
                const inn_ynode *v)
{
	size_t i;

	if (v->kind != INN_Y_SCALAR || !v->plain || v->len == 0)
		return;
	for (i = 0; i < v->len; i++)
		if (v->value[i] < '0' || v->value[i] > '9')
			return;
	inn_l_warn(&L->lc, k, "step \"%s\": timeout: %s is this step's deadline "
	           "(stopped after %s seconds); the original innominatus read a number "
	           "here for argocd-app steps only (seconds to wait for the sync) and ran "
	           "other steps without a deadline: write \"%ss\" to keep the deadline, "
	           "or remove it", s->name, v->value, v->value, v->value);
}

void
inn_lw_legacy_fields(struct wf_load *L, const inn_ynode *n, inn_step_def *s,
                     struct step_pos *ps)
{
	const inn_ynode *dir = NULL, *dir_at = NULL;
	const char *dir_field = NULL, *set_to[LW_LEGACY_MAX], *set_by[LW_LEGACY_MAX];
	size_t i, j, nset = 0;

	if (n == NULL || n->kind != INN_Y_MAP || s->name == NULL || s->config == NULL)
		return;
	for (i = 0; i < INN_YMAP_LEN(n); i++) {
		const inn_ynode *k = INN_YMAP_KEY(n, i), *v = INN_YMAP_VAL(n, i);
		const struct lg_field *f = legacy_field(k->value);
		const struct lg_map *m = NULL;
		json_object *jv;

		if (strcmp(k->value, "timeout") == 0) {
			seconds_timeout(L, s, k, v);
			continue;
		}
		if (f == NULL && strcmp(k->value, "outputs") != 0)
			continue;
		if (inn_l_is_null(v))
			continue;
		for (j = 0; j < NELEM(lg_maps) && s->plugin_type != NULL; j++)
			if (strcmp(lg_maps[j].plugin, s->plugin_type) == 0 &&
			    strcmp(lg_maps[j].field, k->value) == 0)
				m = &lg_maps[j];
		if (m == NULL) {
			if (f != NULL)
				ignored(L, s, k, f);
			else if (v->kind == INN_Y_SEQ && has_maps(s->plugin_type))
				outputs_list(L, s, k, v);
			continue;           /* outputs: our documentation */
		}
		if (m->how == LG_LIST && v->kind != INN_Y_SEQ)
			continue;           /* a mapping: our documentation */
		if (m->how == LG_FOLDER) {
			playbook_folder(L, s, k, v, k->value, &dir, &dir_field);
			if (dir == v)
				dir_at = k;
			remember(ps, k, v, m->to);
			continue;
		}
		if ((jv = inn_ynode_to_json(v)) == NULL) {
			inn_l_err(&L->lc, v, "step \"%s\": %s: %s", s->name, k->value,
			          inn_error_last());
			continue;
		}
		for (j = 0; j < nset && strcmp(set_to[j], m->to) != 0; j++)
			;
		if (put_config(L, s, k, k->value, m->to, j < nset ? set_by[j] : NULL,
		               jv) != 0)
			continue;
		if (j == nset && nset < LW_LEGACY_MAX) {
			set_to[nset] = m->to;
			set_by[nset++] = k->value;
		}
		inn_l_warn(&L->lc, k, "step \"%s\": %s: deprecated spelling of the original "
		           "innominatus; read as config.%s (write it there)", s->name,
		           k->value, m->to);
		remember(ps, k, v, m->to);
		if (m->how == LG_LIST)
			ps->outputs = NULL;  /* checked as config now, not documentation */
	}
	if (s->plugin_type != NULL)
		legacy_config(L, s, ps, &dir, &dir_field, &dir_at);
	if (dir != NULL)
		join_playbook(L, s, dir_at, dir, dir_field);
}
