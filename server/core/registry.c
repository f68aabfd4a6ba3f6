/*
 * registry.c - the plugin loader (see registry.h for the order of checks).
 * No plugin code runs before the directory, the file and the policy agree:
 * dlopen() runs constructors, so the allow-list gate comes first.
 */
#include "registry.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "error.h"
#include "step_types.h"

/* The descriptor of ABI 1.0 must reach at least past execute(); fields after
 * it (fini) may be absent in a plugin built against an older minor. */
#define DESC_MIN_SIZE (offsetof(inn_plugin_descriptor, execute) + sizeof(void (*)(void)))

static int
add_refusal(inn_registry *reg, const char *file, const char *fmt, ...)
	INN_PRINTF_LIKE(3, 4);

static int
add_refusal(inn_registry *reg, const char *file, const char *fmt, ...)
{
	inn_refusal *nr;
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((nr = realloc(reg->refused, (reg->nrefused + 1) * sizeof(*nr))) == NULL)
		return INN_ENOMEM;
	reg->refused = nr;
	nr[reg->nrefused].file = strdup(file);
	nr[reg->nrefused].reason = strdup(buf);
	if (nr[reg->nrefused].file == NULL || nr[reg->nrefused].reason == NULL) {
		free(nr[reg->nrefused].file);
		free(nr[reg->nrefused].reason);
		return INN_ENOMEM;
	}
	reg->nrefused++;
	return 0;
}

static int
add_note(inn_registry *reg, const char *text)
{
	char **nn = realloc(reg->notes, (reg->nnotes + 1) * sizeof(*nn));

	if (nn == NULL)
		return INN_ENOMEM;
	reg->notes = nn;
	if ((nn[reg->nnotes] = strdup(text)) == NULL)
		return INN_ENOMEM;
	reg->nnotes++;
	return 0;
}

int
inn_registry_check_path(const char *path, int is_dir)
{
	struct stat st;
	uid_t me = geteuid();

	if (lstat(path, &st) != 0)
		return inn_error_set(errno == ENOENT ? INN_ENOTFOUND : INN_ERROR,
		                     "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return inn_error_set(INN_EINVAL, "%s is a symbolic link; plugins must be "
		                     "regular files", path);
	if (is_dir && !S_ISDIR(st.st_mode))
		return inn_error_set(INN_EINVAL, "%s is not a directory", path);
	if (!is_dir && !S_ISREG(st.st_mode))
		return inn_error_set(INN_EINVAL, "%s is not a regular file", path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return inn_error_set(INN_EINVAL, "%s is %s-writable (mode %04o); anyone in "
		                     "it could replace plugin code (fix: chmod go-w %s)",
		                     path, (st.st_mode & S_IWOTH) ? "world" : "group",
		                     (unsigned)(st.st_mode & 07777), path);
	if (st.st_uid != 0 && st.st_uid != me)
		return inn_error_set(INN_EINVAL, "%s is owned by uid %u, not by root or the "
		                     "service user (uid %u)", path, (unsigned)st.st_uid,
		                     (unsigned)me);
	return 0;
}

void
inn_plugin_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ INN_PLUGIN_DRY_RUN, "dry-run" },
		{ INN_PLUGIN_IDEMPOTENT, "idempotent" },
		{ INN_PLUGIN_CANCELLABLE, "cancellable" },
		{ INN_PLUGIN_NOT_THREAD_SAFE, "not-thread-safe" },
	};
	size_t i, used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(flags & names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "-");
}

static int
valid_type_name(const char *s)
{
	const char *p;

	if (*s == '\0' || strlen(s) > 64 || !((*s >= 'a' && *s <= 'z') ||
	                                       (*s >= '0' && *s <= '9')))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return 0;
	return 1;
}

const char *
inn_registry_file_type(const char *file, char *buf, size_t len)
{
	size_t n = strlen(file);

	if (n <= 3 || strcmp(file + n - 3, ".so") != 0 || n - 3 >= len)
		return NULL;
	memcpy(buf, file, n - 3);
	buf[n - 3] = '\0';
	return valid_type_name(buf) ? buf : NULL;
}

const inn_plugin *
inn_registry_find(const inn_registry *reg, const char *type)
{
	size_t i, j;

	if (reg == NULL)
		return NULL;
	for (i = 0; i < reg->nplugins; i++)
		for (j = 0; j < reg->plugins[i].ntypes; j++)
			if (strcmp(reg->plugins[i].types[j], type) == 0)
				return &reg->plugins[i];
	return NULL;
}

const inn_refusal *
inn_registry_refusal(const inn_registry *reg, const char *type)
{
	size_t i, tl = strlen(type);

	for (i = 0; reg != NULL && i < reg->nrefused; i++)
		if (strncmp(reg->refused[i].file, type, tl) == 0 &&
		    strcmp(reg->refused[i].file + tl, ".so") == 0)
			return &reg->refused[i];
	return NULL;
}

static void
plugin_clear(inn_plugin *p, int call_fini)
{
	if (call_fini && p->desc.fini != NULL)
		p->desc.fini(p->state);
	if (p->handle != NULL)
		dlclose(p->handle);
	inn_strv_free(p->types, p->ntypes);
	free(p->type);
	free(p->path);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

/* Checks the descriptor and collects its step types into p.  Returns 0 or
 * INN_EINVAL with the refusal reason in the error message. */
static int
check_descriptor(inn_registry *reg, inn_plugin *p, const inn_plugin_descriptor *d,
                 const inn_policy *policy)
{
	const char *const *t;
	char src[512];
	size_t n = 0;

	if (d->magic != INN_PLUGIN_MAGIC)
		return inn_error_set(INN_EINVAL, "descriptor has bad magic 0x%08x (expected "
		                     "0x%08x): not an innominatus plugin descriptor",
		                     (unsigned)d->magic, (unsigned)INN_PLUGIN_MAGIC);
	if (d->abi_major != INN_PLUGIN_ABI_MAJOR)
		return inn_error_set(INN_EINVAL, "built for plugin ABI %u.%u, this host "
		                     "provides %d.%d (major versions differ: rebuild the "
		                     "plugin against this innominatus)",
		                     (unsigned)d->abi_major, (unsigned)d->abi_minor,
		                     INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
	if (d->abi_minor > INN_PLUGIN_ABI_MINOR)
		return inn_error_set(INN_EINVAL, "built for plugin ABI %u.%u, this host "
		                     "provides %d.%d (the plugin needs a newer innominatus)",
		                     (unsigned)d->abi_major, (unsigned)d->abi_minor,
		                     INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
	if (d->struct_size < DESC_MIN_SIZE)
		return inn_error_set(INN_EINVAL, "descriptor struct_size %u is smaller than "
		                     "the ABI %d.0 minimum of %zu bytes",
		                     (unsigned)d->struct_size, INN_PLUGIN_ABI_MAJOR,
		                     (size_t)DESC_MIN_SIZE);
	/* Copy what the plugin has; whatever lies past its struct_size is absent. */
	memset(&p->desc, 0, sizeof(p->desc));
	memcpy(&p->desc, d, d->struct_size < sizeof(p->desc) ? d->struct_size
	                                                      : sizeof(p->desc));
	p->desc_size = d->struct_size;
	if (p->desc.execute == NULL)
		return inn_error_set(INN_EINVAL, "descriptor has no execute function");
	if (p->desc.name == NULL || p->desc.version == NULL)
		return inn_error_set(INN_EINVAL, "descriptor has no %s",
		                     p->desc.name == NULL ? "name" : "version");
	if (p->desc.step_types == NULL || p->desc.step_types[0] == NULL)
		return inn_error_set(INN_EINVAL, "descriptor declares no step types");
	if (strcmp(p->desc.step_types[0], p->type) != 0)
		return inn_error_set(INN_EINVAL, "declares step type \"%s\" but its file is "
		                     "named %s (the first declared type must match the "
		                     "file name)", p->desc.step_types[0], p->file);
	for (t = p->desc.step_types; *t != NULL; t++) {
		const inn_plugin *other;
		const char *const *u;

		if (!valid_type_name(*t))
			return inn_error_set(INN_EINVAL, "declares step type \"%s\", which is "
			                     "not a valid type name ([a-z0-9][a-z0-9_-]*)", *t);
		for (u = p->desc.step_types; u != t; u++)
			if (strcmp(*u, *t) == 0)
				return inn_error_set(INN_EINVAL, "declares step type \"%s\" "
				                     "twice", *t);
		if ((other = inn_registry_find(reg, *t)) != NULL)
			return inn_error_set(INN_EINVAL, "step type \"%s\" is already provided "
			                     "by %s", *t, other->file);
		n++;
	}
	if ((p->types = calloc(n, sizeof(char *))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	inn_policy_describe_source(policy, src, sizeof(src));
	for (t = p->desc.step_types; *t != NULL; t++) {
		if (t != p->desc.step_types && !inn_policy_allows_plugin(policy, *t, NULL)) {
			char note[1024];

			snprintf(note, sizeof(note), "%s: extra step type \"%s\" not registered: "
			         "it is not in %s", p->file, *t, src);
			if (add_note(reg, note) != 0)
				return inn_error_set(INN_ENOMEM, "out of memory");
			continue;
		}
		if ((p->types[p->ntypes] = strdup(*t)) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		p->ntypes++;
	}
	return 0;
}

/* Loads one candidate file; any refusal is recorded and 0 returned.  Only a
 * memory failure is returned as an error. */
static int
load_one(inn_registry *reg, const char *name, const inn_policy *policy,
         const inn_host *host)
{
	inn_plugin p;
	inn_plugin_describe_fn describe;
	const inn_plugin_descriptor *d;
	char path[PATH_MAX], src[512];
	const char *via = NULL;
	size_t nlen = strlen(name);
	int rc;

	memset(&p, 0, sizeof(p));
	if (snprintf(path, sizeof(path), "%s/%s", reg->dir, name) >= (int)sizeof(path))
		return add_refusal(reg, name, "path too long");
	if (inn_registry_check_path(path, 0) != 0)
		return add_refusal(reg, name, "%s", inn_error_last());
	if ((p.type = strndup(name, nlen - 3)) == NULL ||
	    (p.file = strdup(name)) == NULL || (p.path = strdup(path)) == NULL) {
		plugin_clear(&p, 0);
		return INN_ENOMEM;
	}
	if (!valid_type_name(p.type)) {
		rc = add_refusal(reg, name, "\"%s\" is not a valid step type name "
		                 "([a-z0-9][a-z0-9_-]*); the file name gives the type", p.type);
		goto out;
	}
	if (!inn_policy_allows_plugin(policy, p.type, &via)) {
		inn_policy_describe_source(policy, src, sizeof(src));
		rc = add_refusal(reg, name, "step type \"%s\" is not in %s; not loaded",
		                 p.type, src);
		goto out;
	}
	dlerror();
	if ((p.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		rc = add_refusal(reg, name, "dlopen failed: %s", e ? e : "unknown error");
		goto out;
	}
	*(void **)&describe = dlsym(p.handle, INN_PLUGIN_ENTRY_SYMBOL);
	if (describe == NULL) {
		rc = add_refusal(reg, name, "does not export %s(): not an innominatus "
		                 "plugin (or built without INN_PLUGIN_EXPORT)",
		                 INN_PLUGIN_ENTRY_SYMBOL);
		goto out;
	}
	if ((d = describe()) == NULL) {
		rc = add_refusal(reg, name, "%s() returned NULL", INN_PLUGIN_ENTRY_SYMBOL);
		goto out;
	}
	if ((rc = check_descriptor(reg, &p, d, policy)) != 0) {
		rc = rc == INN_ENOMEM ? rc : add_refusal(reg, name, "%s", inn_error_last());
		goto out;
	}
	if (p.desc.init != NULL) {
		inn_error_clear();
		if ((rc = p.desc.init(host, &p.state)) != 0) {
			const char *e = inn_error_last();

			rc = add_refusal(reg, name, "init() failed with %d%s%s", rc,
			                 *e ? ": " : "", e);
			goto out;
		}
	}
	{
		inn_plugin *np = realloc(reg->plugins, (reg->nplugins + 1) * sizeof(*np));

		if (np == NULL) {
			if (p.desc.fini != NULL)
				p.desc.fini(p.state);
			rc = INN_ENOMEM;
			goto out;
		}
		reg->plugins = np;
		np[reg->nplugins++] = p;
	}
	if (via != NULL) {
		char note[1024];

		/* the plugin is in: steps of its own type meet the allow-list in
		 * the workflow loader */
		inn_policy_describe_source(policy, src, sizeof(src));
		snprintf(note, sizeof(note), "%s: loaded for steps of type \"%s\" only: %s "
		         "allows \"%s\", which runs on this plugin; steps of type \"%s\" "
		         "stay refused", name, via, src, via, p.type);
		return add_note(reg, note) != 0 ? INN_ENOMEM : 0;
	}
	return 0;
out:
	plugin_clear(&p, 0);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Non-zero when a plugin file of names (nnames "x.so") or a loaded
 * plugin serves step type t; *hint gets a name that differs from t only
 * in case, when there is one. */
static int
type_known(const inn_registry *reg, char **names, size_t nnames, const char *t,
           const char **hint)
{
	size_t i, j, tl = strlen(t);

	if (inn_registry_find(reg, t) != NULL)
		return 1;
	for (i = 0; i < nnames; i++) {
		if (strlen(names[i]) != tl + 3)
			continue;
		if (strncmp(names[i], t, tl) == 0)
			return 1;
		if (strncasecmp(names[i], t, tl) == 0)
			*hint = names[i];
	}
	for (i = 0; i < reg->nplugins; i++)
		for (j = 0; j < reg->plugins[i].ntypes; j++)
			if (strcasecmp(reg->plugins[i].types[j], t) == 0)
				*hint = reg->plugins[i].types[j];
	return 0;
}

/* A warning note ("file:line:col: warning: ...") for each allow-list entry
 * that no plugin file, loaded plugin or legacy type name serves (a typo
 * or wrong case allows nothing), with the near match when case is all
 * that differs. */
static int
note_unserved_types(inn_registry *reg, const inn_policy *policy, char **names,
                    size_t nnames)
{
	const inn_ynode *list = NULL, *wp;
	size_t i;

	if (policy->doc != NULL && policy->doc->root != NULL &&
	    (wp = inn_ymap_get(policy->doc->root, "workflowPolicies")) != NULL)
		list = inn_ymap_get(wp, "allowedStepTypes");
	for (i = 0; i < policy->nallowed; i++) {
		const char *e = policy->allowed[i], *hint = NULL;
		char lower[128], note[PATH_MAX + 512], hintbuf[160];
		size_t k;

		if (strcmp(e, "*") == 0 || type_known(reg, names, nnames, e, &hint) ||
		    type_known(reg, names, nnames, inn_step_type_resolve(e), &hint))
			continue;
		for (k = 0; e[k] != '\0' && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)e[k]);
		lower[k] = '\0';
		if (hint == NULL && strcmp(inn_step_type_resolve(lower), lower) != 0)
			hint = lower;   /* a legacy type name, e.g. "policy" */
		hintbuf[0] = '\0';
		if (hint != NULL)
			snprintf(hintbuf, sizeof(hintbuf), " (did you mean \"%.*s\"? step "
			         "type names are case-sensitive)", (int)(strlen(hint) > 3 &&
			         strcmp(hint + strlen(hint) - 3, ".so") == 0 ?
			         strlen(hint) - 3 : strlen(hint)), hint);
		if (list != NULL && list->kind == INN_Y_SEQ && i < list->n)
			snprintf(note, sizeof(note), "%s:%d:%d: warning: workflowPolicies."
			         "allowedStepTypes: \"%s\" names no plugin in %s: steps of "
			         "that type cannot run%s", policy->file, list->items[i]->line,
			         list->items[i]->col, e, reg->dir, hintbuf);
		else
			snprintf(note, sizeof(note), "warning: workflowPolicies.allowedStepTypes: "
			         "\"%s\" names no plugin in %s: steps of that type cannot "
			         "run%s", e, reg->dir, hintbuf);
		if (add_note(reg, note) != 0)
			return -1;
	}
	return 0;
}

/* A warning for each entry of section (stepDefaults, stepPolicies) whose
 * type no loaded plugin serves (not installed, not allowed, or refused):
 * its settings are used by no step. */
static int
note_unused_section(inn_registry *reg, const inn_policy *policy, const char *section,
                    json_object *types)
{
	const inn_ynode *map = NULL, *k;
	char note[PATH_MAX + 512];

	if (types == NULL)
		return 0;
	if (policy->doc != NULL && policy->doc->root != NULL)
		map = inn_ymap_get(policy->doc->root, section);
	json_object_object_foreach(types, type, v) {
		(void)v;
		const char *to = inn_step_type_resolve(type);

		if (inn_registry_find(reg, type) != NULL)
			continue;
		k = map != NULL ? inn_ymap_key(map, type) : NULL;
		if (to != NULL && strcmp(to, type) != 0) {
			/* a legacy type name: its steps run on (and take the
			 * settings of) the plugin type it maps to */
			snprintf(note, sizeof(note), "%s:%d:%d: warning: %s.%s: \"%s\" is a "
			         "legacy name of step type \"%s\"; its steps take %s.%s: "
			         "these settings are used by no step (write them under %s.%s)",
			         policy->file, k ? k->line : 0, k ? k->col : 0, section, type,
			         type, to, section, to, section, to);
			if (add_note(reg, note) != 0)
				return -1;
			continue;
		}
		snprintf(note, sizeof(note), "%s:%d:%d: warning: %s.%s: no plugin for "
		         "step type \"%s\" is loaded (not in %s, not allowed, or refused): "
		         "these settings are used by no step", policy->file, k ? k->line : 0,
		         k ? k->col : 0, section, type, type, reg->dir);
		if (add_note(reg, note) != 0)
			return -1;
	}
	return 0;
}

static int
note_unused_defaults(inn_registry *reg, const inn_policy *policy)
{
	if (policy == NULL)
		return 0;
	if (note_unused_section(reg, policy, "stepDefaults", policy->step_defaults) != 0)
		return -1;
	return note_unused_section(reg, policy, "stepPolicies", policy->step_policies);
}

int
inn_registry_load(inn_registry **out, const char *dir, const inn_policy *policy,
                  const inn_host *host)
{
	inn_registry *reg;
	char real[PATH_MAX], **names = NULL;
	size_t nnames = 0, i;
	struct dirent *de;
	DIR *dp = NULL;
	int rc;

	*out = NULL;
	if (realpath(dir, real) == NULL)
		return inn_error_set(errno == ENOENT ? INN_ENOTFOUND : INN_ERROR,
		                     "plugin directory %s: %s", dir, strerror(errno));
	if ((rc = inn_registry_check_path(real, 1)) != 0)
		return inn_error_set(rc, "plugin directory refused: %s", inn_error_last());
	if ((reg = calloc(1, sizeof(*reg))) == NULL || (reg->dir = strdup(real)) == NULL) {
		free(reg);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	if ((dp = opendir(real)) == NULL) {
		rc = inn_error_set(INN_ERROR, "plugin directory %s: %s", real, strerror(errno));
		goto err;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);
		char **nn;

		if (len <= 3 || strcmp(de->d_name + len - 3, ".so") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if ((nn = realloc(names, (nnames + 1) * sizeof(*nn))) == NULL ||
		    (nn[nnames] = strdup(de->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			rc = inn_error_set(INN_ENOMEM, "out of memory");
			goto err;
		}
		names = nn;
		nnames++;
	}
	closedir(dp);
	dp = NULL;
	if (nnames > 1)          /* names is NULL when the folder holds none */
		qsort(names, nnames, sizeof(*names), cmp_names);
	if (policy == NULL || !policy->has_allow_list) {
		char note[PATH_MAX + 256];

		snprintf(note, sizeof(note), "no workflowPolicies.allowedStepTypes in %s: "
		         "every plugin in %s is allowed", policy && policy->file ?
		         policy->file : "the admin config (none loaded)", real);
		if (add_note(reg, note) != 0) {
			rc = inn_error_set(INN_ENOMEM, "out of memory");
			goto err;
		}
	}
	for (i = 0; i < nnames; i++) {
		if ((rc = load_one(reg, names[i], policy, host)) != 0) {
			rc = inn_error_set(INN_ENOMEM, "out of memory loading plugins");
			goto err;
		}
	}
	if (policy != NULL && policy->has_allow_list &&
	    note_unserved_types(reg, policy, names, nnames) != 0) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto err;
	}
	if (note_unused_defaults(reg, policy) != 0) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto err;
	}
	inn_strv_free(names, nnames);
	*out = reg;
	return 0;
err:
	if (dp != NULL)
		closedir(dp);
	inn_strv_free(names, nnames);
	inn_registry_free(reg);
	return rc;
}

void
inn_registry_free(inn_registry *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = reg->nplugins; i > 0; i--)
		plugin_clear(&reg->plugins[i - 1], 1);
	free(reg->plugins);
	for (i = 0; i < reg->nrefused; i++) {
		free(reg->refused[i].file);
		free(reg->refused[i].reason);
	}
	free(reg->refused);
	inn_strv_free(reg->notes, reg->nnotes);
	free(reg->dir);
	free(reg);
}
