/*
 * test_tmpl_yaml.c - YAML mode of the template engine (tmpl.h:
 * inn_tmpl_render_yaml): hostile values (newlines, ": ", "#", "---",
 * flow brackets, quotes, "- ", aliases, tags, unicode line separators,
 * huge) in every kind of scalar come out as exactly that scalar's content
 * and the document keeps its structure; numbers and booleans stay plain;
 * values outside a scalar are refused naming the action; and the
 * original's manifests render as the text mode renders them for ordinary
 * values (from $INN_COMPAT_DIR, skipped without it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "error.h"
#include "tmpl.h"
#include "yaml_tree.h"

/* ---- every document of a YAML stream as JSON (scalars as strings) ------- */

static json_object *load_node(yaml_parser_t *p, yaml_event_t *e, int *bad);

static json_object *
load_children(yaml_parser_t *p, int map, int *bad)
{
	json_object *o = map ? json_object_new_object() : json_object_new_array();
	yaml_event_t e;

	for (;;) {
		json_object *k, *v;

		if (!yaml_parser_parse(p, &e)) {
			*bad = 1;
			return o;
		}
		if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			return o;
		}
		k = load_node(p, &e, bad);
		if (*bad)
			return o;
		if (!map) {
			json_object_array_add(o, k);
			continue;
		}
		if (!yaml_parser_parse(p, &e)) {
			*bad = 1;
			json_object_put(k);
			return o;
		}
		v = load_node(p, &e, bad);
		json_object_object_add(o, json_object_get_string(k), v);
		json_object_put(k);
	}
}

/* e: the node's first event (deleted here). */
static json_object *
load_node(yaml_parser_t *p, yaml_event_t *e, int *bad)
{
	json_object *o = NULL;

	switch (e->type) {
	case YAML_SCALAR_EVENT:
		o = json_object_new_string_len((const char *)e->data.scalar.value,
		                               (int)e->data.scalar.length);
		break;
	case YAML_MAPPING_START_EVENT:
		yaml_event_delete(e);
		return load_children(p, 1, bad);
	case YAML_SEQUENCE_START_EVENT:
		yaml_event_delete(e);
		return load_children(p, 0, bad);
	default:
		*bad = 1;      /* an alias: these tests never write one */
		break;
	}
	yaml_event_delete(e);
	return o;
}

/* The documents of text as a JSON array, or NULL when it does not parse. */
static json_object *
load_stream(const char *text)
{
	json_object *docs = json_object_new_array();
	yaml_parser_t p;
	yaml_event_t e;
	int bad = 0, done = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	while (!done && !bad) {
		if (!yaml_parser_parse(&p, &e)) {
			bad = 1;
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		if (e.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&e);
			if (!yaml_parser_parse(&p, &e)) {
				bad = 1;
				break;
			}
			json_object_array_add(docs, load_node(&p, &e, &bad));
			continue;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	if (bad) {
		json_object_put(docs);
		return NULL;
	}
	return docs;
}

/* A copy of o with every "BENIGNx" inside a string replaced by v. */
static json_object *
swap_marker(json_object *o, const char *v)
{
	json_object *c;

	switch (json_object_get_type(o)) {
	case json_type_string: {
		const char *s = json_object_get_string(o), *hit;
		size_t n = strlen(v), sl = strlen(s), m = strlen("BENIGNx");
		char *buf = malloc(sl * (n + 1) + 1);
		size_t len = 0;

		while ((hit = strstr(s, "BENIGNx")) != NULL) {
			memcpy(buf + len, s, (size_t)(hit - s));
			len += (size_t)(hit - s);
			memcpy(buf + len, v, n);
			len += n;
			s = hit + m;
		}
		memcpy(buf + len, s, strlen(s));
		len += strlen(s);
		c = json_object_new_string_len(buf, (int)len);
		free(buf);
		return c;
	}
	case json_type_array: {
		size_t i;

		c = json_object_new_array();
		for (i = 0; i < json_object_array_length(o); i++)
			json_object_array_add(c, swap_marker(json_object_array_get_idx(o, i), v));
		return c;
	}
	case json_type_object:
		c = json_object_new_object();
		json_object_object_foreach(o, k, val) {
			json_object *ks = json_object_new_string(k), *nk = swap_marker(ks, v);

			json_object_object_add(c, json_object_get_string(nk), swap_marker(val, v));
			json_object_put(ks);
			json_object_put(nk);
		}
		return c;
	default:
		return json_object_get(o);
	}
}

/* Renders tmpl in YAML mode with parameters.v = v (and n, flag, size);
 * returns the text or NULL (the error in inn_error_last()). */
static char *
render_with(const char *tmpl, const char *v)
{
	json_object *d = json_tokener_parse("{\"parameters\": {\"n\": 3, \"flag\": true, "
	                                    "\"ratio\": 0.5, \"size\": \"small\", \"s3\": \"3\"}}");
	json_object *params = json_object_object_get(d, "parameters");
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	char *out = NULL;

	json_object_object_add(params, "v", json_object_new_string(v));
	if (inn_tmpl_render_yaml(&env, tmpl, &out) != 0)
		out = NULL;
	json_object_put(d);
	return out;
}

static const char *const contexts[] = {
	"metadata:\n  name: {{ .parameters.v }}\n  other: 1\n",
	"metadata:\n  name: pre-{{ .parameters.v }}-post\n  other: 1\n",
	"name: \"{{ .parameters.v }}\"\nother: 1\n",
	"name: 'it''s {{ .parameters.v }}'\nother: 1\n",
	"data:\n  conf: |\n    first\n    {{ .parameters.v }}\n    last\n  other: 1\n",
	"data:\n  conf: >-\n    first {{ .parameters.v }}\n  other: 1\n",
	"data:\n  conf: |\n    {{ .parameters.v }}\n",
	"list: [a, {{ .parameters.v }}, c]\nother: 1\n",
	"map: {k: {{ .parameters.v }}, j: 2}\nother: 1\n",
	"labels:\n  {{ .parameters.v }}: x\n  zz-other: 1\n",
	"items:\n- {{ .parameters.v }}\n- z\n",
	"a: {{ .parameters.v }}\n---\nb: 2\n",
	"{{ .parameters.v }}\n",
	"a: ${parameters.v}\nb: 1",
	"m: {k: pre{{ .parameters.v }}post, j: [x{{ .parameters.v }}]}\n",
	"s: [\"q{{ .parameters.v }}\", 'r{{ .parameters.v }}']\n",
	"? {{ .parameters.v }}\n: val\n",
	"top:\n  - a: 1\n    b: >\n      {{ .parameters.v }}\n\n      tail\n  - c\n",
	"k: &anc {{ .parameters.v }}\nr: 1\n",
	"t: !!str {{ .parameters.v }}\nu: &x !!str\n  \"{{ .parameters.v }}\"\n",
	"spec:\n  containers:\n  - name: main\n    image: repo/{{ .parameters.v }}:latest\n    args: [\"--x={{ .parameters.v }}\"]\n",
	NULL
};

static const char *const hostile[] = {
	"x\n  evil: true",
	"x}\n---\nkind: ClusterRoleBinding\nmetadata: {name: pwn}",
	"a: b", "a #c", "#", ":", "a:b", "---", "...", "{a: 1}", "[1, 2]", "\"quoted\"",
	"'single'", "- item", "-", "*alias", "&anchor x", "!!python/object:os.system x",
	"? key", "|", ">", "%YAML 1.1", "@x", "`x", "x\\", "tab\there", "\r\nCRLF\r\n",
	"unicode \xc3\xbc" "n\xc3\xaf\xc2\xa9\xc3\xb8" "d\xc3\xa9", "sep\xe2\x80\xa8line",
	"para\xe2\x80\xa9graph", "nel\xc2\x85x", "\xef\xbb\xbf" "bom", "", " lead", "trail ",
	"true", "null", "~", "0x1F", "1e3", "2001-12-14", "yes", "0o17", ".inf", "3",
	"multi\nline\n\nwith blank\n", "  indented\n    more", "\"}\n}]", "<<: *x",
	"x\n- y", "k: v\n---\n", NULL
};

/* Every hostile value, in every context, is that scalar's exact content
 * and the rest of the document is what a benign value gives. */
static void
test_hostile_values_stay_one_scalar(void **state)
{
	size_t c, h;

	(void)state;
	for (c = 0; contexts[c] != NULL; c++) {
		char *benign = render_with(contexts[c], "BENIGNx");
		json_object *want_docs;

		if (benign == NULL)
			fail_msg("context %zu: benign render failed: %s", c, inn_error_last());
		want_docs = load_stream(benign);
		if (want_docs == NULL)
			fail_msg("context %zu: benign output does not parse:\n%s", c, benign);
		for (h = 0; hostile[h] != NULL; h++) {
			char *out = render_with(contexts[c], hostile[h]);
			json_object *got, *want;

			if (out == NULL)
				fail_msg("context %zu, value %zu: refused: %s", c, h, inn_error_last());
			got = load_stream(out);
			want = swap_marker(want_docs, hostile[h]);
			if (got == NULL || !json_object_equal(got, want))
				fail_msg("context %zu, value %zu (%s): structure changed:\n%s\nwant %s\n"
				         "got  %s", c, h, hostile[h], out,
				         json_object_to_json_string(want),
				         got ? json_object_to_json_string(got) : "(no parse)");
			json_object_put(got);
			json_object_put(want);
			free(out);
		}
		json_object_put(want_docs);
		free(benign);
	}
}

/* Random values from YAML's special characters, fixed seed: each is
 * placed in every context as exactly its scalar's content. */
static void
test_random_values(void **state)
{
	static const char alphabet[] = "ab1 -:#,[]{}'\"\\|>&*!%@`?~\n\t.=<+\xc3\xa9";
	uint32_t seed = 12345;
	size_t c, round, i, n;
	char v[40];

	(void)state;
	for (round = 0; round < 300; round++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 12;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			v[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		v[n] = '\0';
		/* a lone byte of the two-byte letter is not UTF-8: mend it */
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] >= 0x80)
				v[i] = 'e';
		for (c = 0; contexts[c] != NULL; c++) {
			char *benign = render_with(contexts[c], "BENIGNx"), *out = render_with(contexts[c], v);
			json_object *want_docs, *got, *want;

			if (benign == NULL)
				fail_msg("context %zu: benign render failed: %s", c, inn_error_last());
			want_docs = load_stream(benign);
			if (out == NULL)
				fail_msg("context %zu, value \"%s\": refused: %s", c, v, inn_error_last());
			got = load_stream(out);
			want = swap_marker(want_docs, v);
			if (got == NULL || !json_object_equal(got, want))
				fail_msg("context %zu, value \"%s\": changed:\n%s", c, v, out);
			json_object_put(got);
			json_object_put(want);
			json_object_put(want_docs);
			free(out);
			free(benign);
		}
	}
}

/* A huge value (4 MiB of YAML-looking lines) is one scalar too; as a key
 * (over YAML's 1024 characters for one) it is refused, never misread. */
static void
test_huge_value(void **state)
{
	size_t n = 1 << 20, i;
	char *v = malloc(n + 1), *out;
	json_object *docs;

	(void)state;
	for (i = 0; i < n; i++)
		v[i] = "a: b\n- c"[i % 8];
	v[n] = '\0';
	out = render_with(contexts[0], v);
	assert_non_null(out);
	docs = load_stream(out);
	assert_non_null(docs);
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(json_object_array_get_idx(docs, 0), "metadata"), "name")), v);
	json_object_put(docs);
	free(out);
	out = render_with("labels:\n  {{ .parameters.v }}: x\n", v);
	if (out != NULL) {
		docs = load_stream(out);
		assert_non_null(docs);
		assert_non_null(json_object_object_get(json_object_object_get(
			json_object_array_get_idx(docs, 0), "labels"), v));
		json_object_put(docs);
		free(out);
	} else if (strstr(inn_error_last(), "{{ .parameters.v }}") == NULL) {
		fail_msg("a huge key: error without the action: %s", inn_error_last());
	}
	free(v);
}

static void
expect_text(const char *tmpl, const char *v, const char *want)
{
	char *out = render_with(tmpl, v);

	if (out == NULL)
		fail_msg("\"%s\" refused: %s", tmpl, inn_error_last());
	assert_string_equal(out, want);
	free(out);
}

/* Numbers and booleans stay plain; ordinary strings stay as written;
 * if/range decide on the real values; a string that reads as a number is
 * quoted. */
static void
test_types_and_ordinary_text(void **state)
{
	(void)state;
	expect_text("replicas: {{ .parameters.n }}\n", "", "replicas: 3\n");
	expect_text("on: {{ .parameters.flag }}\nr: {{ .parameters.ratio }}\n", "",
	            "on: true\nr: 0.5\n");
	expect_text("replicas: {{ .parameters.s3 }}\n", "", "replicas: \"3\"\n");
	expect_text("name: {{ .parameters.v }}\n", "my-app", "name: my-app\n");
	expect_text("name: {{ .parameters.v }}-db\n", "shop", "name: shop-db\n");
	expect_text("v: \"{{ .parameters.v }}\"\n", "15", "v: \"15\"\n");
	expect_text("size: {{ if eq .parameters.size \"small\" }}5Gi{{ else }}20Gi{{ end }}\n",
	            "", "size: 5Gi\n");
	expect_text("# a comment\nname: {{ .parameters.v }} # trailing\n", "x",
	            "# a comment\nname: x # trailing\n");
	expect_text("{{ if .parameters.flag }}a: {{ .parameters.v }}{{ end }}\n", "x", "a: x\n");
	expect_text("no values: [x, {y: z}]\n", "", "no values: [x, {y: z}]\n");
	expect_text("a: |\n  {{ .parameters.v }}\nb: 2\n", "l1\nl2", "a: \"l1\\nl2\\n\"\nb: 2\n");
	expect_text("m:\n  a: |\n    x {{ .parameters.v }}\n  b: 2\n", "y",
	            "m:\n  a: \"x y\\n\"\n  b: 2\n");
	expect_text("t: {{ .parameters.v }}\n", "a: b", "t: \"a: b\"\n");
	/* `| quote` (Helm's idiom): the string it quotes, one scalar */
	expect_text("t: {{ .parameters.v | quote }}\n", "x\n---\nk: v", "t: \"x\\n---\\nk: v\"\n");
	expect_text("t: {{ .parameters.v | quote }}\n", "plain", "t: plain\n");
	expect_text("t: '{{ .parameters.v | quote }}'\n", "q", "t: \"\\\"q\\\"\"\n");
	expect_text("t: {{ .parameters.v }}\n", "x\n  evil: true", "t: \"x\\n  evil: true\"\n");
}

static void
expect_refused(const char *tmpl, const char *part)
{
	char *out = render_with(tmpl, "x");

	if (out != NULL)
		fail_msg("\"%s\" rendered:\n%s", tmpl, out);
	if (strstr(inn_error_last(), part) == NULL)
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", tmpl, inn_error_last(), part);
}

/* A value that cannot be inside one scalar is an error naming the action. */
static void
test_refused_places(void **state)
{
	(void)state;
	expect_refused("a: 1 # {{ .parameters.v }}\n",
	               "{{ .parameters.v }}: this value would not be inside one YAML value");
	expect_refused("# {{ .parameters.v }}\na: 1\n", "lands in a comment");
	expect_refused("a: &{{ .parameters.v }} x\n", "{{ .parameters.v }}");
	expect_refused("a: !{{ .parameters.v }} x\n", "{{ .parameters.v }}");
	expect_refused("a: &x 1\nb: *{{ .parameters.v }}\n", "{{ .parameters.v }}");
	expect_refused("a: [unclosed {{ .parameters.v }}\n", "is not valid YAML");
	expect_refused("a: \"\\{{ .parameters.v }}\"\n", "");
}

/* Invalid UTF-8 in a value is refused, not passed to a parser. */
static void
test_invalid_utf8(void **state)
{
	char *out = render_with("a: {{ .parameters.v }}\n", "bad \xff byte");

	(void)state;
	assert_null(out);
	assert_non_null(strstr(inn_error_last(), "not valid UTF-8"));
}

/* The original's manifests (config.manifest of its kubernetes steps)
 * render as the text mode renders them, for ordinary values. */
static void
test_compat_manifests(void **state)
{
	const char *cenv = getenv("INN_COMPAT_DIR"), *top = getenv("INN_TOP_SRCDIR");
	char dir[4096];
	json_object *d = json_tokener_parse(
		"{\"parameters\": {\"app_name\": \"shop\", \"resource_name\": \"db\", \"size\": "
		"\"small\", \"replicas\": 2, \"version\": \"15\", \"namespace\": \"shop\", "
		"\"namespace_name\": \"shop\", \"team_id\": \"team-a\", \"bucket_name\": \"b1\", "
		"\"labels\": {\"team\": \"a\"}, \"bucket\": \"b1\", \"environment\": \"dev\", "
		"\"app\": \"shop\", \"team\": \"team-a\", \"team_name\": \"team-a\", "
		"\"db_name\": \"app\", \"resource_quota_cpu\": \"2\", \"resource_quota_memory\": "
		"\"4Gi\", \"resource_quota_pods\": 10, \"service_account\": \"sa\"}, "
		"\"variables\": {}, \"steps\": {\"generate_credentials\": {\"outputs\": "
		"{\"access_key\": \"AK1\", \"secret_key\": \"SK1\"}}}, "
		"\"workflow\": {\"name\": \"w\"}, \"secrets\": {}}");
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	size_t i, k, compared = 0;
	char pattern[4096 + 64];
	glob_t g;

	(void)state;
	if (cenv != NULL && *cenv != '\0')
		snprintf(dir, sizeof(dir), "%s", cenv);
	else
		snprintf(dir, sizeof(dir), "%s/../shared/compat", top ? top : ".");
	if (access(dir, R_OK | X_OK) != 0) {
		/* cmocka 1.1.5 writes skip() as "not ok ... # SKIP", which the
		 * test driver counts as a failure: say so and compare nothing */
		json_object_put(d);
		print_message("# the original's files are absent (%s; set INN_COMPAT_DIR): "
		              "their manifests are not compared\n", dir);
		return;
	}
	snprintf(pattern, sizeof(pattern), "%s/providers/*/workflows/*.yaml", dir);
	if (glob(pattern, 0, NULL, &g) != 0)
		fail_msg("no workflow matches %s", pattern);
	for (i = 0; i < g.gl_pathc; i++) {
		inn_ydoc *doc = NULL;
		const inn_ynode *steps;

		if (inn_yaml_load_file(&doc, g.gl_pathv[i]) != 0)
			continue;
		steps = doc->root ? inn_ymap_get(doc->root, "steps") : NULL;
		for (k = 0; steps != NULL && steps->kind == INN_Y_SEQ && k < steps->n; k++) {
			const inn_ynode *cfg = inn_ymap_get(steps->items[k], "config"), *m;
			char *text = NULL, *yaml = NULL;

			if (cfg == NULL || cfg->kind != INN_Y_MAP ||
			    (m = inn_ymap_get(cfg, "manifest")) == NULL || !inn_ynode_is_scalar(m))
				continue;
			/* `now` may differ between two renders */
			if (strstr(m->value, "now }}") != NULL ||
			    inn_tmpl_render_string(&env, m->value, &text) != 0)
				continue;       /* a value these test data lack */
			if (inn_tmpl_render_yaml(&env, m->value, &yaml) != 0)
				fail_msg("%s step %zu: YAML mode refused: %s", g.gl_pathv[i], k,
				         inn_error_last());
			if (strcmp(text, yaml) != 0)
				fail_msg("%s step %zu: differs:\n%s\n---- yaml mode:\n%s", g.gl_pathv[i], k,
				         text, yaml);
			compared++;
			free(text);
			free(yaml);
		}
		inn_ydoc_free(doc);
	}
	globfree(&g);
	json_object_put(d);
	if (compared == 0)
		fail_msg("no manifest of %s/providers was compared", dir);
	print_message("# %zu manifests of the original render the same in both modes\n",
	              compared);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_values_stay_one_scalar),
		cmocka_unit_test(test_random_values),
		cmocka_unit_test(test_huge_value),
		cmocka_unit_test(test_types_and_ordinary_text),
		cmocka_unit_test(test_refused_places),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_compat_manifests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
