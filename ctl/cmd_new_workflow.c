/*
 * cmd_new_workflow.c - `innominatus-ctl new workflow NAME [--type T]
 * [--dir DIR]`: a workflow file with typed parameters and one step of type
 * T.  The step's config is a small example that validates as written; the
 * comments above it list every field the plugin accepts, read from the
 * config schema of the plugin itself (loaded from --plugin-dir), so they
 * are as true as the plugin installed.  In a provider folder (DIR has a
 * provider.yaml) the file goes to DIR/workflows/ and is added to the
 * provider's workflows list.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "cmd_new.h"
#include "error.h"
#include "host.h"
#include "policy.h"
#include "registry.h"
#include "yaml_tree.h"

/* What each step type's example is.  Values reach templates as
 * ${parameters.x}; none uses a real service at load time. */
struct wf_kind {
	const char *type;
	const char *step;     /* the step's name */
	const char *about;    /* comment lines for the header */
	const char *params;   /* the parameters: list */
	const char *config;   /* the config's fields, indented by 6 */
	const char *outputs;  /* the outputs: mapping */
};

static const struct wf_kind kinds[] = {
	{ "shell", "run",
	  "# A shell step runs its script with bash (errexit, pipefail); values\n"
	  "# reach it as environment variables, never spliced into the script, and\n"
	  "# it publishes outputs as NAME=value lines in $INNOMINATUS_OUTPUT.\n",
	  "  - name: message\n    type: string\n    default: hello\n"
	  "    pattern: '^[A-Za-z0-9 ,._-]{1,80}$'\n    description: What the step prints\n"
	  "  - name: count\n    type: integer\n    default: 1\n    min: 1\n    max: 10\n"
	  "    description: How many times it prints it\n"
	  "  - name: verbose\n    type: boolean\n    default: false\n"
	  "    description: Also print where it runs\n",
	  "      script: |\n"
	  "        i=0\n"
	  "        while [ \"$i\" -lt \"$COUNT\" ]; do\n"
	  "          echo \"$MESSAGE\"\n"
	  "          i=$((i + 1))\n"
	  "        done\n"
	  "        if [ \"$VERBOSE\" = true ]; then pwd; fi\n"
	  "        echo \"said=$MESSAGE\" >> \"$INNOMINATUS_OUTPUT\"\n"
	  "      env:\n"
	  "        MESSAGE: \"${parameters.message}\"\n"
	  "        COUNT: \"${parameters.count}\"\n"
	  "        VERBOSE: \"${parameters.verbose}\"\n",
	  "  said: \"${steps.run.outputs.said}\"\n" },
	{ "kubernetes", "apply",
	  "# A kubernetes step talks to the API server of the kubeconfig (the\n"
	  "# admin config's stepDefaults usually name it): here it applies a\n"
	  "# ConfigMap.  Validation needs no cluster; a run does.\n",
	  "  - name: app_name\n    type: string\n    default: demo\n"
	  "    pattern: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$'\n    description: The application\n"
	  "  - name: namespace\n    type: string\n    default: demo-default\n"
	  "    pattern: '^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$'\n"
	  "    description: Where the object goes\n"
	  "  - name: replicas\n    type: integer\n    default: 1\n    min: 0\n    max: 20\n"
	  "    description: A setting the object carries\n",
	  "      operation: apply\n"
	  "      namespace: \"${parameters.namespace}\"\n"
	  "      manifest: |\n"
	  "        apiVersion: v1\n"
	  "        kind: ConfigMap\n"
	  "        metadata:\n"
	  "          name: \"${parameters.app_name}-settings\"\n"
	  "        data:\n"
	  "          replicas: \"${parameters.replicas}\"\n",
	  "  name: \"${steps.apply.outputs.name}\"\n" },
	{ "terraform", "apply",
	  "# A terraform step runs terraform init and apply (plan on dry-run) in a\n"
	  "# working copy that keeps its state between runs.  Here the module is\n"
	  "# inline; working_dir names a module folder of the provider instead.\n"
	  "# Validation needs no terraform; a run needs it on the server's PATH.\n",
	  "  - name: app_name\n    type: string\n    default: demo\n"
	  "    pattern: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$'\n    description: The application\n"
	  "  - name: settings\n    type: map\n    default: {greeting: hello}\n"
	  "    description: Values the module receives\n",
	  "      operation: apply\n"
	  "      module: |\n"
	  "        variable \"app\" { type = string }\n"
	  "        variable \"settings\" { type = map(string) }\n"
	  "        output \"summary\" {\n"
	  "          value = join(\" \", [var.app, jsonencode(var.settings)])\n"
	  "        }\n"
	  "      variables:\n"
	  "        app: \"${parameters.app_name}\"\n"
	  "        settings: \"${parameters.settings}\"\n",
	  "  summary: \"${steps.apply.outputs.summary}\"\n" },
	{ "ansible", "configure",
	  "# An ansible step runs ansible-playbook (check mode on dry-run); here\n"
	  "# the playbook is inline and the host is the server itself.  Values\n"
	  "# arrive as extra_vars, never templated by ansible.  Validation needs\n"
	  "# no ansible; a run needs ansible-playbook on the server's PATH.\n",
	  "  - name: app_name\n    type: string\n    default: demo\n"
	  "    pattern: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$'\n    description: The application\n"
	  "  - name: debug\n    type: boolean\n    default: false\n"
	  "    description: Passed on to the playbook\n",
	  "      playbook_content: |\n"
	  "        - hosts: localhost\n"
	  "          connection: local\n"
	  "          gather_facts: false\n"
	  "          tasks:\n"
	  "            - name: Show the application\n"
	  "              ansible.builtin.debug:\n"
	  "                var: app\n"
	  "      extra_vars:\n"
	  "        app: \"${parameters.app_name}\"\n"
	  "        debug: \"${parameters.debug}\"\n",
	  "  ok: \"${steps.configure.outputs.ok}\"\n" },
	{ "vault-setup", "store",
	  "# A vault-setup step writes, reads, generates values in and sets policies\n"
	  "# of a Vault server.  address and token_secret are usually the\n"
	  "# platform's (the admin config's stepDefaults and secrets); keep them\n"
	  "# here only when no admin config gives them.  Validation contacts no\n"
	  "# server; a run needs the Vault server and the secret.\n",
	  "  - name: app_name\n    type: string\n    default: demo\n"
	  "    pattern: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$'\n    description: The application\n"
	  "  - name: greeting\n    type: string\n    default: hello\n"
	  "    description: A value to keep in Vault\n",
	  "      address: https://vault.example.org:8200\n"
	  "      token_secret: vault-token\n"
	  "      operation: write\n"
	  "      path: \"apps/${parameters.app_name}/settings\"\n"
	  "      data:\n"
	  "        greeting: \"${parameters.greeting}\"\n",
	  "  path: \"${steps.store.outputs.path}\"\n" },
	{ "minio", "bucket",
	  "# A minio step creates, inspects or deletes a bucket on an S3 server\n"
	  "# (MinIO, Ceph RGW, ...).  The endpoint and the platform's keys (names\n"
	  "# of secrets) are usually the admin config's stepDefaults.  Validation\n"
	  "# contacts no server; a run needs the S3 server and the secrets.\n",
	  "  - name: app_name\n    type: string\n    default: demo\n"
	  "    pattern: '^[a-z][a-z0-9-]{0,38}[a-z0-9]$'\n    description: The application\n"
	  "  - name: expire_days\n    type: integer\n    default: 30\n    min: 1\n"
	  "    max: 3650\n    description: Days after which objects expire\n",
	  "      operation: create\n"
	  "      endpoint: https://s3.example.org\n"
	  "      access_key_secret: s3-access-key\n"
	  "      secret_key_secret: s3-secret-key\n"
	  "      bucket: \"${parameters.app_name}-data\"\n"
	  "      versioning: true\n"
	  "      lifecycle:\n"
	  "        - id: expire\n"
	  "          expire_days: \"${parameters.expire_days}\"\n",
	  "  bucket: \"${steps.bucket.outputs.bucket}\"\n" },
};

/* The width of the comment text (after the config's "      # "). */
#define WRAP 70

/* Appends text as lines starting with prefix, then cont, wrapped at WRAP. */
static void
wrap(inn_buf *b, const char *prefix, const char *cont, const char *text)
{
	while (*text != '\0') {
		size_t room = strlen(prefix) < WRAP - 20 ? WRAP - strlen(prefix) : 20;

		size_t n = strlen(text), cut = n;

		if (n > room) {
			for (cut = room; cut > 0 && text[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = strcspn(text, " ");
		}
		inn_buf_addf(b, "%s%.*s\n", prefix, (int)cut, text);
		prefix = cont;
		text += cut;
		while (*text == ' ')
			text++;
	}
}

/* The kind of value of a schema: "a|b" for an enum, the type (or types)
 * otherwise, the alternatives of a oneOf. */
static void
type_text(inn_buf *b, json_object *s)
{
	json_object *v, *alt;
	size_t i;

	if (json_object_object_get_ex(s, "enum", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++)
			inn_buf_addf(b, "%s%s", i ? "|" : "",
			             json_object_get_string(json_object_array_get_idx(v, i)));
	} else if (json_object_object_get_ex(s, "type", &v)) {
		if (json_object_is_type(v, json_type_array)) {
			for (i = 0; i < json_object_array_length(v); i++)
				inn_buf_addf(b, "%s%s", i ? "|" : "",
				             json_object_get_string(json_object_array_get_idx(v, i)));
		} else {
			inn_buf_adds(b, json_object_get_string(v));
		}
		if (json_object_object_get_ex(s, "items", &alt) &&
		    json_object_object_get_ex(alt, "type", &v) &&
		    json_object_is_type(v, json_type_string))
			inn_buf_addf(b, " of %s", json_object_get_string(v));
	} else if (json_object_object_get_ex(s, "oneOf", &v) &&
	           json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			if (i)
				inn_buf_adds(b, "|");
			type_text(b, json_object_array_get_idx(v, i));
		}
	} else {
		inn_buf_adds(b, "any");
	}
}

static int
in_list(json_object *arr, const char *key)
{
	size_t i;

	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), key) == 0)
			return 1;
	return 0;
}

/* The fields of an object schema, one line each with what the schema says
 * of them, nested objects indented below. */
static void
fields(inn_buf *b, json_object *schema, const char *ind, int depth)
{
	json_object *props, *req = NULL, *v;
	char sub[64];

	if (!json_object_object_get_ex(schema, "properties", &props) ||
	    !json_object_is_type(props, json_type_object))
		return;
	json_object_object_get_ex(schema, "required", &req);
	snprintf(sub, sizeof(sub), "%s    ", ind);
	json_object_object_foreach(props, key, val) {
		inn_buf line = INN_BUF_INIT(4096);

		inn_buf_addf(&line, "%s: ", key);
		type_text(&line, val);
		if (in_list(req, key))
			inn_buf_adds(&line, ", required");
		if (json_object_object_get_ex(val, "default", &v))
			inn_buf_addf(&line, ", default %s", json_object_to_json_string_ext(v,
			             JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		if (json_object_object_get_ex(val, "minimum", &v))
			inn_buf_addf(&line, ", >= %s", json_object_get_string(v));
		if (json_object_object_get_ex(val, "maximum", &v))
			inn_buf_addf(&line, ", <= %s", json_object_get_string(v));
		wrap(b, ind, sub, line.p);
		inn_buf_free(&line);
		if (json_object_object_get_ex(val, "description", &v))
			wrap(b, sub, sub, json_object_get_string(v));
		if (depth >= 2)
			continue;
		fields(b, val, sub, depth + 1);
		if (json_object_object_get_ex(val, "items", &v) &&
		    json_object_object_get_ex(v, "properties", NULL)) {
			char item[72];

			snprintf(item, sizeof(item), "%s  ", sub);
			inn_buf_addf(b, "%seach item:\n", sub);
			fields(b, v, item, depth + 1);
		}
	}
}

/* What the schema requires beyond single fields: "one of: a | b". */
static void
alternatives(inn_buf *b, json_object *schema)
{
	json_object *alt, *req;
	size_t i, j;

	if (!json_object_object_get_ex(schema, "oneOf", &alt) ||
	    !json_object_is_type(alt, json_type_array))
		return;
	inn_buf_adds(b, "exactly one of: ");
	for (i = 0; i < json_object_array_length(alt); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(alt, i), "required", &req))
			continue;
		for (j = 0; j < json_object_array_length(req); j++)
			inn_buf_addf(b, "%s%s", i || j ? (j ? " + " : " | ") : "",
			             json_object_get_string(json_object_array_get_idx(req, j)));
	}
	inn_buf_adds(b, "\n");
}

/* The comment block listing the config fields of type, from the plugin
 * loaded from o->plugin_dir; a note instead when it cannot be loaded. */
static void
schema_comments(inn_buf *out, const ctl_opts *o, const char *type)
{
	inn_policy *pol = NULL;
	inn_registry *reg = NULL;
	const inn_plugin *p = NULL;
	json_object *schema = NULL, *v;
	inn_buf b = INN_BUF_INIT(1 << 20);
	char why[512];
	const char *s;

	why[0] = '\0';
	/* every plugin: the fields are wanted whatever the admin config allows */
	if (inn_policy_default(&pol) != 0 ||
	    inn_registry_load(&reg, o->plugin_dir, pol, inn_host_table()) != 0) {
		snprintf(why, sizeof(why), "%s", inn_error_last());
	} else if ((p = inn_registry_find(reg, type)) == NULL) {
		const inn_refusal *r = inn_registry_refusal(reg, type);

		snprintf(why, sizeof(why), "%s", r != NULL ? r->reason : "no such plugin there");
	} else if (p->desc.config_schema == NULL ||
	           (schema = json_tokener_parse(p->desc.config_schema)) == NULL) {
		snprintf(why, sizeof(why), "it publishes no config schema");
	}
	if (why[0] != '\0') {
		fprintf(stderr, "innominatus-ctl: new workflow: note: %s.so not loaded from %s "
		        "(%s): the list of its config fields is left out\n", type, o->plugin_dir,
		        why);
		inn_buf_addf(out, "      # The fields of a %s step: `innominatus-ctl plugins -o json`"
		             " shows its\n      # config_schema.\n", type);
		goto out;
	}
	inn_buf_addf(&b, "Fields of a %s step (the config schema of %s.so %s;\n"
	             "`innominatus-ctl plugins -o json` shows all of it):\n", type, type,
	             p->desc.version ? p->desc.version : "");
	fields(&b, schema, "  ", 0);
	alternatives(&b, schema);
	if (json_object_object_get_ex(schema, "additionalProperties", &v) &&
	    json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v))
		inn_buf_adds(&b, "No other field is accepted.\n");
	/* each line as a comment at the config's indentation */
	for (s = b.p; s != NULL && *s != '\0'; ) {
		size_t n = strcspn(s, "\n");

		inn_buf_addf(out, "      #%s%.*s\n", n ? " " : "", (int)n, s);
		s += n + (s[n] == '\n');
	}
out:
	inn_buf_free(&b);
	json_object_put(schema);
	inn_registry_free(reg);
	inn_policy_free(pol);
}

/* --- the provider's workflows list --------------------------------------- */

/* The text of the file open as fd (NUL-terminated) or NULL, said; fd is
 * closed. */
static char *
slurp(int fd, const char *path, size_t *len)
{
	FILE *fp = fdopen(fd, "r");
	inn_buf b = INN_BUF_INIT(1 << 24);
	char chunk[4096];
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "innominatus-ctl: new workflow: %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (inn_buf_add(&b, chunk, n) != 0)
			break;
	if (ferror(fp) || !feof(fp)) {
		fprintf(stderr, "innominatus-ctl: new workflow: cannot read %s\n", path);
		fclose(fp);
		inn_buf_free(&b);
		return NULL;
	}
	fclose(fp);
	*len = b.len;
	return b.p ? inn_buf_take(&b) : strdup("");
}

/* The offset of the start of line (1-based) in text. */
static size_t
line_start(const char *text, int line)
{
	const char *s = text;

	while (--line > 0 && (s = strchr(s, '\n')) != NULL)
		s++;
	return s ? (size_t)(s - text) : strlen(text);
}

/* The workflows list of the provider manifest text with an entry for name
 * added, into out; 1 when the manifest lists no workflows (the loader
 * reads the folder: nothing to add; wdir gets its workflows_dir, if any),
 * 0 when added, -1 with a message. */
static int
manifest_add(const char *file, const char *text, size_t len, const char *name,
             const char *desc, inn_buf *out, char *wdir, size_t wdirlen)
{
	inn_ydoc *doc = NULL, *check = NULL;
	const inn_ynode *root, *list, *key;
	size_t i, at, end;
	int indent, rc = -1, key_col;
	const char *s, *nl = memchr(text, '\n', len);
	/* the file's own line ends: an editor on Windows keeps its CRLF */
	const char *eol = nl != NULL && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";

	if (inn_yaml_load_string(&doc, file, text, len) != 0) {
		fprintf(stderr, "innominatus-ctl: new workflow: %s\n", inn_error_last());
		return -1;
	}
	root = doc->root;
	if (root == NULL || root->kind != INN_Y_MAP ||
	    (list = inn_ymap_get(root, "workflows")) == NULL) {
		/* the simple form: the loader reads workflows_dir (a folder
		 * inside the provider's), else workflows/ */
		const inn_ynode *w = root && root->kind == INN_Y_MAP ?
		                     inn_ymap_get(root, "workflows_dir") : NULL;

		if (w != NULL && w->kind == INN_Y_SCALAR && w->value[0] != '\0') {
			if (w->value[0] == '/' || strstr(w->value, "..") != NULL ||
			    strlen(w->value) >= wdirlen) {
				fprintf(stderr, "innominatus-ctl: new workflow: %s:%d: workflows_dir "
				        "\"%s\" is no folder inside the provider's\n", file, w->line,
				        w->value);
				goto out;
			}
			snprintf(wdir, wdirlen, "%s", w->value);
		}
		rc = 1;
		goto out;
	}
	key = inn_ymap_key(root, "workflows");
	key_col = key->col;
	if (list->kind == INN_Y_SEQ) {
		for (i = 0; i < list->n; i++) {
			const inn_ynode *nm = list->items[i]->kind == INN_Y_MAP ?
			                      inn_ymap_get(list->items[i], "name") : NULL;

			if (nm != NULL && nm->kind == INN_Y_SCALAR && strcmp(nm->value, name) == 0) {
				fprintf(stderr, "innominatus-ctl: new workflow: %s:%d: the provider "
				        "already lists a workflow \"%s\"\n", file, nm->line, name);
				goto out;
			}
		}
	}
	s = text + line_start(text, list->line) + list->col - 1;
	if (list->kind == INN_Y_SEQ && list->n > 0 && *s == '-') {
		indent = list->col - 1;          /* a block list: its items' column */
	} else if (list->kind == INN_Y_SCALAR && list->plain && list->value[0] == '\0') {
		indent = key_col + 1;            /* "workflows:" and nothing yet */
	} else {
		fprintf(stderr, "innominatus-ctl: new workflow: %s:%d: workflows is not a block "
		        "list (\"- name: ...\" lines): add the entry for %s by hand\n", file,
		        list->line, name);
		goto out;
	}
	/* the entry goes after the list's last line that is neither blank nor a
	 * comment: lines below the key indented deeper, or items at the key's
	 * own column */
	at = end = line_start(text, key->line + 1);
	while (at < len) {
		size_t n = strcspn(text + at, "\n"), sp = strspn(text + at, " ");
		const char *l = text + at;

		if (sp < n && l[sp] != '#' && l[sp] != '\r' && (int)sp < key_col &&
		    !((int)sp == key_col - 1 && l[sp] == '-'))
			break;
		if (sp < n && l[sp] != '#' && l[sp] != '\r')
			end = at + n + (l[n] == '\n');
		at += n + (l[n] == '\n');
	}
	inn_buf_add(out, text, end);
	if (end > 0 && text[end - 1] != '\n')
		inn_buf_adds(out, eol);
	inn_buf_addf(out, "%*s- name: \"%s\"%s%*s  file: ./workflows/%s.yaml%s"
	             "%*s  description: \"%s\"%s", indent, "", name, eol, indent, "", name, eol,
	             indent, "", desc, eol);
	inn_buf_add(out, text + end, len - end);
	/* the result must parse and list the entry last, else nothing is written */
	if (inn_yaml_load_string(&check, file, out->p, out->len) != 0 || check->root == NULL ||
	    (list = inn_ymap_get(check->root, "workflows")) == NULL || list->kind != INN_Y_SEQ ||
	    list->n == 0 || list->items[list->n - 1]->kind != INN_Y_MAP ||
	    inn_ymap_get(list->items[list->n - 1], "name") == NULL ||
	    strcmp(inn_ymap_get(list->items[list->n - 1], "name")->value, name) != 0) {
		fprintf(stderr, "innominatus-ctl: new workflow: %s: cannot add %s to its workflows "
		            "list safely: add it by hand\n", file, name);
		goto out;
	}
	rc = 0;
out:
	inn_ydoc_free(check);
	inn_ydoc_free(doc);
	return rc;
}

/* Writes text to provider.yaml below dfd through a new file renamed over
 * it, with the mode it had. */
static int
replace_manifest(int dfd, const char *path, const char *text, size_t len, int mode)
{
	char tmp[64];

	/* the folder is locked: the process id makes the name unique */
	snprintf(tmp, sizeof(tmp), ".provider.yaml.new-%ld", (long)getpid());
	if (ctl_new_writeat(dfd, tmp, path, text, len, 0600) != 0)
		return -1;
	if (fchmodat(dfd, tmp, (mode_t)mode, 0) != 0 ||
	    renameat(dfd, tmp, dfd, "provider.yaml") != 0) {
		fprintf(stderr, "innominatus-ctl: new workflow: cannot replace %s: %s\n", path,
		        strerror(errno));
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* A folder below dfd (or dir itself for rel "."), open without following
 * a symbolic link; -1 said. */
static int
open_folder(int dfd, const char *rel, const char *shown)
{
	struct stat st;
	int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		fprintf(stderr, "innominatus-ctl: new workflow: %s is a symbolic link: refusing "
		        "to write through it (name the folder itself)\n", shown);
	else
		fprintf(stderr, "innominatus-ctl: new workflow: %s is no folder%s%s\n", shown,
		        errno == ENOENT || errno == ENOTDIR ? "" : ": ",
		        errno == ENOENT || errno == ENOTDIR ? "" : strerror(errno));
	return -1;
}

int
ctl_new_workflow(const ctl_opts *o, const char *name)
{
	const struct wf_kind *k = NULL;
	const char *type = o->new_type != NULL ? o->new_type : "shell";
	const char *dir = o->new_dir != NULL ? o->new_dir : ".";
	char manifest[4096], path[4096], desc[128], wdir[1024] = "workflows", file[128];
	inn_buf wf = INN_BUF_INIT(1 << 22), mf = INN_BUF_INIT(1 << 24);
	char *text = NULL;
	size_t i, len = 0;
	struct stat st;
	int rc = CTL_EXIT_CONFIG, in_provider = 0, add = 0, dfd = -1, wfd = -1, mfd;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].type, type) == 0)
			k = &kinds[i];
	if (k == NULL) {
		fprintf(stderr, "innominatus-ctl: new workflow: unknown --type \"%s\": one of",
		        type);
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			fprintf(stderr, "%s %s", i ? "," : "", kinds[i].type);
		fprintf(stderr, "\n");
		return CTL_EXIT_USAGE;
	}
	/* Every file is opened below dir's descriptor without following a
	 * link, and the folder is locked while provider.yaml is read, changed
	 * and renamed: two generators at once would otherwise each add their
	 * entry to the same old text and the last rename would drop the
	 * other's. */
	if ((dfd = open_folder(AT_FDCWD, dir, dir)) < 0)
		return CTL_EXIT_CONFIG;
	while (flock(dfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			fprintf(stderr, "innominatus-ctl: new workflow: cannot lock %s: %s\n", dir,
			        strerror(errno));
			goto out;
		}
	}
	snprintf(desc, sizeof(desc), "One %s step (generated; say what it does)", type);
	snprintf(manifest, sizeof(manifest), "%s/provider.yaml", dir);
	snprintf(file, sizeof(file), "%s.yaml", name);
	if (fstatat(dfd, "provider.yaml", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "innominatus-ctl: new workflow: %s is %s, not a file: "
			        "refusing to use it\n", manifest, S_ISLNK(st.st_mode) ?
			        "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder" :
			        "a device, pipe or socket");
			goto out;
		}
		in_provider = 1;
		mfd = openat(dfd, "provider.yaml", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (mfd < 0 || fstat(mfd, &st) != 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "innominatus-ctl: new workflow: cannot read %s%s%s\n",
			        manifest, mfd < 0 ? ": " : " (not a file)",
			        mfd < 0 ? strerror(errno) : "");
			if (mfd >= 0)
				close(mfd);
			goto out;
		}
		if ((text = slurp(mfd, manifest, &len)) == NULL ||
		    (add = manifest_add(manifest, text, len, name, desc, &mf, wdir,
		                        sizeof(wdir))) < 0)
			goto out;
		snprintf(path, sizeof(path), "%s/%s", dir, wdir);
		if (mkdirat(dfd, wdir, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "innominatus-ctl: new workflow: cannot create %s: %s\n", path,
			        strerror(errno));
			goto out;
		}
		if ((wfd = open_folder(dfd, wdir, path)) < 0)
			goto out;
		snprintf(path, sizeof(path), "%s/%s/%s.yaml", dir, wdir, name);
	} else if (errno != ENOENT) {
		fprintf(stderr, "innominatus-ctl: new workflow: %s: %s\n", manifest,
		        strerror(errno));
		goto out;
	} else {
		snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	}
	inn_buf_addf(&wf, "# %s: a workflow with one %s step, generated by\n"
	             "# `innominatus-ctl new workflow %s --type %s`.\n"
	             "# Check it with: innominatus-ctl test-workflow %s\n"
	             "# (with --dry-run the plugin tries it too: see below what it needs).\n%s"
	             "name: \"%s\"\ndescription: \"%s\"\nparameters:\n%ssteps:\n"
	             "  - name: %s\n    type: %s\n    config:\n", name, type, name, type, path,
	             k->about, name, desc, k->params, k->step, type);
	schema_comments(&wf, o, type);
	inn_buf_addf(&wf, "%soutputs:\n%s", k->config, k->outputs);
	if (wf.p == NULL ||
	    ctl_new_writeat(wfd >= 0 ? wfd : dfd, file, path, wf.p, wf.len, 0666) != 0)
		goto out;
	if (in_provider && add == 0 &&
	    replace_manifest(dfd, manifest, mf.p, mf.len, (int)(st.st_mode & 07777)) != 0) {
		unlinkat(wfd >= 0 ? wfd : dfd, file, 0);
		goto out;
	}
	printf("created %s%s%s\n", path, in_provider && add == 0 ? " and listed it in " : "",
	       in_provider && add == 0 ? manifest : "");
	rc = CTL_EXIT_OK;
out:
	if (wfd >= 0)
		close(wfd);
	close(dfd);         /* and the lock with it */
	free(text);
	inn_buf_free(&wf);
	inn_buf_free(&mf);
	return rc;
}
