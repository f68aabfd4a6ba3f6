/*
 * test_tmpl.c - the template engine: ${...} references and the Go-template
 * subset, typed values, missing keys, trimming, range and if, shell mode,
 * secret registration, reference listing, syntax errors with offsets and
 * the size limits.  The original providers' workflows are rendered by
 * test_tmpl_compat.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "mask.h"
#include "testutil.h"
#include "tmpl.h"

static const char *const DATA_JSON =
	"{ \"parameters\": { \"n\": 3, \"name\": \"web\", \"enabled\": false,"
	"    \"replicas\": 3, \"ratio\": 0.1, \"big\": 1e21, \"nothing\": null,"
	"    \"empty\": \"\", \"size\": \"medium\", \"flag\": true, \"zero\": \"0\","
	"    \"labels\": { \"team\": \"a\", \"env\": \"dev\" },"
	"    \"list\": [ \"x\", \"y\" ],"
	"    \"people\": [ { \"name\": \"ann\" }, { \"name\": \"bo\" } ],"
	"    \"evil\": \"$(touch /tmp/x); '\\\"\","
	"    \"inject\": \"{{ .secrets.token }} ${secrets.token}\","
	"    \"obj\": { \"a\": 1, \"b\": [ true, null, \"q\\\"/\" ] } },"
	"  \"variables\": { \"APP_NAME\": \"shop\" },"
	"  \"ENV_ONLY\": \"top\","
	"  \"steps\": { \"create-git-repo\": { \"outputs\": { \"clone_url\": \"git@x:r.git\" } },"
	"             \"build\": { \"outputs\": { \"url\": \"http://b\" } } },"
	"  \"resources\": { \"db\": { \"host\": \"pg\" } },"
	"  \"secrets\": { \"token\": \"s3cr3t-token\", \"db\": { \"password\": \"hunter22\" } },"
	"  \"workflow\": { \"name\": \"wf\" } }";

static json_object *
data(void)
{
	json_object *d = json_tokener_parse(DATA_JSON);

	if (d == NULL)
		fail_msg("test data does not parse");
	return d;
}

/* Renders tmpl against the test data as text (into *out) or, with out
 * NULL, as a value (into *v); fails the test on error. */
static void
render_ok(const char *tmpl, char **out, json_object **v)
{
	json_object *d = data();
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	int rc = out ? inn_tmpl_render_string(&env, tmpl, out)
	             : inn_tmpl_render_value(&env, tmpl, v);

	if (rc != 0)
		fail_msg("render of \"%s\" failed: %s", tmpl, inn_error_last());
	json_object_put(d);
}

/* Renders tmpl as text against the test data; fails the test on error. */
static char *
text(const char *tmpl)
{
	char *out = NULL;

	render_ok(tmpl, &out, NULL);
	return out;
}

static void
assert_text(const char *tmpl, const char *want)
{
	char *got = text(tmpl);

	if (strcmp(got, want) != 0)
		fail_msg("template \"%s\"\n# want \"%s\"\n# got  \"%s\"", tmpl, want, got);
	free(got);
}

/* Renders tmpl expecting failure with code rc and a message containing msg. */
static void
assert_fails(const char *tmpl, int rc, const char *msg)
{
	json_object *d = data();
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	char *out = NULL;
	int got = inn_tmpl_render_string(&env, tmpl, &out);

	if (got == 0)
		fail_msg("template \"%s\" rendered \"%s\", expected an error", tmpl, out);
	assert_null(out);
	assert_int_equal(got, rc);
	TU_ASSERT_CONTAINS(inn_error_last(), msg);
	json_object_put(d);
}

/* Renders tmpl as a value against the test data; fails the test on error. */
static json_object *
value(const char *tmpl)
{
	json_object *v = NULL;

	render_ok(tmpl, NULL, &v);
	return v;
}

/* Renders tmpl with inn_tmpl_render_value; its text must be want. */
static void
assert_value_text(const char *tmpl, const char *want)
{
	json_object *v = value(tmpl);

	assert_string_equal(json_object_get_string(v), want);
	json_object_put(v);
}

static void
test_references_and_text(void **state)
{
	(void)state;
	assert_text("x-${parameters.n}", "x-3");
	assert_text("hello {{ .parameters.name }}!", "hello web!");
	assert_text("{{.parameters.name}}", "web");
	/* a dot-less ${NAME} is the shell's, anywhere: never a template */
	assert_text("${APP_NAME} ${ENV_ONLY} ${variables.APP_NAME} $${HOME}",
	            "${APP_NAME} ${ENV_ONLY} shop ${HOME}");
	/* the original's spellings: ${<step>.<key>} is a step output,
	 * ${workflow.X} a variable (else a parameter) unless workflow has X */
	assert_text("${build.url} {{ .create-git-repo.clone_url }}", "http://b git@x:r.git");
	assert_text("${workflow.APP_NAME} ${workflow.name} ${workflow.size}", "shop wf medium");
	assert_text("$${parameters.n} costs $$ and $5", "${parameters.n} costs $$ and $5");
	/* shell syntax that is not a reference stays as it is */
	assert_text("T=\"${GITEA_TOKEN:-{{ .parameters.name }}}\" ${#a} ${ x } $",
	            "T=\"${GITEA_TOKEN:-web}\" ${#a} ${ x } $");
	assert_text("${{ .parameters.n }}", "$3");
	assert_text("${resources.db.host}:${workflow.name}", "pg:wf");
	assert_text("${parameters.list.1}{{ .parameters.people.0.name }}", "yann");
	assert_text("", "");
	assert_text("no syntax } here {", "no syntax } here {");
}

static void
test_typed_values(void **state)
{
	json_object *v;

	(void)state;
	v = value("${parameters.enabled}");
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	json_object_put(v);

	v = value("{{ .parameters.replicas }}");
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int64(v), 3);
	json_object_put(v);

	v = value("{{- .parameters.labels -}}");
	assert_true(json_object_is_type(v, json_type_object));
	assert_string_equal(json_object_get_string(json_object_object_get(v, "team")), "a");
	json_object_put(v);

	v = value("${parameters.nothing}");
	assert_null(v);

	v = value("{{ eq .parameters.size \"medium\" }}");
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_true(json_object_get_boolean(v));
	json_object_put(v);

	v = value("{{ .parameters.missing | default 7 }}");
	assert_int_equal(json_object_get_int64(v), 7);
	json_object_put(v);

	/* anything more than one reference is text */
	assert_value_text("x-${parameters.n}", "x-3");
	assert_value_text("{{ .parameters.replicas }}\n", "3\n");
	assert_value_text("${parameters.n}${parameters.n}", "33");
	assert_value_text("plain", "plain");
}

static void
test_text_forms(void **state)
{
	(void)state;
	assert_text("{{ .parameters.ratio }} {{ .parameters.big }} {{ 2.50 }} {{ -7 }}",
	            "0.1 1e+21 2.5 -7");
	assert_text("{{ 1e20 }} {{ 0.00001 }} {{ 0.0001 }} {{ -0.5 }} {{ 1.0 }} {{ 123456.789 }}",
	            "100000000000000000000 1e-05 0.0001 -0.5 1 123456.789");
	assert_text("{{ .parameters.enabled }}/{{ .parameters.flag }}/[{{ .parameters.nothing }}]",
	            "false/true/[]");
	assert_text("{{ .parameters.obj }}", "{\"a\":1,\"b\":[true,null,\"q\\\"/\"]}");
	assert_text("{{ .parameters.list }}", "[\"x\",\"y\"]");
	assert_text("{{ 0x10 }} {{ 1e3 }} {{ \"tab\\tnl\\u00e9\" }} {{ `raw\\n` }}",
	            "16 1000 tab\tnl\xc3\xa9 raw\\n");
}

static void
test_missing_keys_and_null(void **state)
{
	(void)state;
	assert_fails("name: {{ .parameters.nme }}", INN_ENOTFOUND,
	             "{{ .parameters.nme }}: parameters.nme is not defined");
	assert_fails("${parameters.nme}", INN_ENOTFOUND, "parameters.nme is not defined");
	assert_fails("${steps.nope.outputs.url}", INN_ENOTFOUND, "steps.nope is not defined");
	assert_text("${NOPE}", "${NOPE}");
	assert_fails("${workflow.nope}", INN_ENOTFOUND, "workflow.nope is not defined");
	assert_string_equal(inn_tmpl_missing_root(), "workflow");
	/* an unknown root reads as the original's ${<step>.<key>} */
	assert_fails("${nosuch.thing}", INN_ENOTFOUND, "steps.nosuch is not defined");
	assert_string_equal(inn_tmpl_missing_root(), "steps");
	assert_string_equal(inn_tmpl_missing_path(), "steps.nosuch");
	assert_fails("${resources.db.port}", INN_ENOTFOUND, "resources.db.port is not defined");
	assert_string_equal(inn_tmpl_missing_path(), "resources.db.port");
	assert_fails("{{ .parameters.name.first }}", INN_ETYPE,
	             "parameters.name is a string, cannot read \"first\"");
	assert_fails("{{ .parameters.nothing.x }}", INN_ETYPE, "parameters.nothing is null");
	assert_fails("{{ .parameters.list.name }}", INN_ETYPE, "parameters.list is a list");
	assert_fails("{{ .parameters.list.5 }}", INN_ENOTFOUND, "parameters.list.5 is not defined");
	assert_fails("{{ range .parameters.people }}{{ .nme }}{{ end }}", INN_ENOTFOUND,
	             ".nme is not defined");
	assert_text("[{{ .parameters.nothing }}][${parameters.nothing}]", "[][]");
	/* conditions, range sources and default treat a missing key as null */
	assert_text("{{ if .parameters.missing }}y{{ else }}n{{ end }}", "n");
	assert_text("{{ if not .steps.x.outputs.y }}n{{ end }}", "n");
	assert_text("{{ range .parameters.missing }}x{{ else }}none{{ end }}", "none");
	assert_text("{{ .parameters.missing | default \"d\" }}", "d");
	assert_text("{{ default \"d\" .parameters.empty }}-{{ default \"d\" .parameters.name }}",
	            "d-web");
	assert_fails("{{ len .parameters.missing }}", INN_ENOTFOUND,
	             "parameters.missing is not defined");
}

static void
test_if_else_chains(void **state)
{
	static const char *const t =
		"{{ if eq .parameters.size \"small\" }}S"
		"{{ else if eq .parameters.size \"medium\" }}M"
		"{{ if .parameters.flag }}+{{ if .parameters.enabled }}E{{ else }}e{{ end }}{{ end }}"
		"{{ else if .parameters.size }}L"
		"{{ else }}none{{ end }}";

	(void)state;
	assert_text(t, "M+e");
	assert_text("{{ if .parameters.enabled }}a{{ else if .parameters.zero }}b"
	            "{{ else if .parameters.empty }}c{{ else }}d{{ end }}", "d");
	assert_text("{{ if .parameters.labels }}map{{ end }}{{ if .parameters.list }}list{{ end }}",
	            "maplist");
	assert_text("{{ if .parameters.replicas }}{{ .parameters.replicas }}{{ end }}", "3");
}

static void
test_functions(void **state)
{
	(void)state;
	assert_text("{{ eq .parameters.size \"small\" \"medium\" }} {{ eq 1 2 3 }}", "true false");
	assert_text("{{ ne .parameters.size \"small\" }} {{ ne 3 3.0 }}", "true false");
	assert_text("{{ eq .parameters.n \"3\" }} {{ eq .parameters.nothing \"\" }} "
	            "{{ eq .parameters.flag true }} {{ eq .parameters.list \"x\" }}",
	            "true true true false");
	assert_text("{{ not .parameters.enabled }} {{ not \"x\" }} {{ not .parameters.zero }}",
	            "true false true");
	assert_text("[{{ and 1 \"x\" }}] [{{ and \"a\" \"\" \"b\" }}] [{{ or \"\" \"y\" }}] "
	            "[{{ or 0 \"\" }}] [{{ or .parameters.name .parameters.missing }}]",
	            "[x] [] [y] [] [web]");
	assert_text("{{ len .parameters.name }} {{ len .parameters.list }} "
	            "{{ len .parameters.labels }} {{ len .parameters.nothing }}", "3 2 2 0");
	assert_text("{{ quote .parameters.evil }} {{ .parameters.n | quote }} {{ quote \"a\" 1 }}",
	            "\"$(touch /tmp/x); '\\\"\" \"3\" \"a\" \"1\"");
	assert_text("{{ if and (eq .parameters.size \"medium\") (not .parameters.enabled) }}ok{{ end }}",
	            "ok");
	assert_text("{{ .parameters.size | eq \"medium\" }} {{ \"\" | default \"d\" | quote }}",
	            "true \"d\"");
	assert_text("{{ (.parameters.name) }}{{ ((len .parameters.list)) }}", "web2");
	assert_fails("{{ len .parameters.n }}", INN_ETYPE, "len of a number");
}

static void
test_now_is_rfc3339(void **state)
{
	char *s = text("{{ now }}");

	(void)state;
	assert_int_equal(strlen(s), 20);
	assert_int_equal(s[4], '-');
	assert_int_equal(s[10], 'T');
	assert_int_equal(s[19], 'Z');
	free(s);
}

static void
test_range(void **state)
{
	(void)state;
	/* objects in sorted key order */
	assert_text("{{ range $k, $v := .parameters.labels }}{{ $k }}={{ $v }};{{ end }}",
	            "env=dev;team=a;");
	assert_text("{{ range $i, $v := .parameters.list }}{{ $i }}:{{ $v }} {{ end }}",
	            "0:x 1:y ");
	assert_text("{{ range $v := .parameters.list }}{{ $v }}{{ end }}", "xy");
	assert_text("{{ range .parameters.list }}<{{ . }}>{{ end }}", "<x><y>");
	assert_text("{{ range .parameters.people }}{{ .name }},{{ end }}", "ann,bo,");
	assert_text("{{ range $p := .parameters.people }}{{ $p.name }}{{ end }}", "annbo");
	assert_text("{{ range .parameters.list }}{{ $.parameters.name }}{{ end }}", "webweb");
	assert_text("{{ range .parameters.nothing }}x{{ end }}.", ".");
	assert_text("{{ range .parameters.labels }}{{ if eq . \"a\" }}A{{ else }}{{ . }}{{ end }}{{ end }}",
	            "devA");
	assert_text("{{ range $a := .parameters.list }}{{ range $b := $.parameters.list }}"
	            "{{ $a }}{{ $b }} {{ end }}{{ end }}", "xx xy yx yy ");
	assert_text("{{ range $k, $v := .parameters.labels }}{{ range $.parameters.list }}"
	            "{{ $k }}{{ . }}{{ end }}{{ end }}", "envxenvyteamxteamy");
	assert_fails("{{ range .parameters.name }}x{{ end }}", INN_ETYPE,
	             "cannot range over a string");
}

/* What the namespace manifest renders to before its labels. */
#define NS_RENDERED_HEAD \
	"apiVersion: v1\n" \
	"kind: Namespace\n" \
	"metadata:\n" \
	"  name: team-a\n" \
	"  labels:\n" \
	"    managed-by: innominatus\n"

static void
test_trim_markers_namespace_manifest(void **state)
{
	/* config.manifest of provision-namespace.yaml in the original providers */
	static const char *const manifest =
		"apiVersion: v1\n"
		"kind: Namespace\n"
		"metadata:\n"
		"  name: {{ .parameters.namespace_name }}\n"
		"  labels:\n"
		"    managed-by: innominatus\n"
		"    {{- range $key, $value := .parameters.labels }}\n"
		"    {{ $key }}: \"{{ $value }}\"\n"
		"    {{- end }}\n";
	json_object *d = json_tokener_parse(
		"{\"parameters\": {\"namespace_name\": \"team-a\","
		" \"labels\": {\"team\": \"a\", \"env\": \"dev\"}}}");
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	char *out = NULL;

	(void)state;
	assert_int_equal(inn_tmpl_render_string(&env, manifest, &out), 0);
	assert_string_equal(out, NS_RENDERED_HEAD
		"    env: \"dev\"\n"
		"    team: \"a\"\n");
	free(out);
	/* no labels at all: only managed-by */
	json_object_object_del(json_object_object_get(d, "parameters"), "labels");
	assert_int_equal(inn_tmpl_render_string(&env, manifest, &out), 0);
	assert_string_equal(out, NS_RENDERED_HEAD);
	free(out);
	json_object_put(d);

	assert_text("a  \n {{- .parameters.n -}} \n\t b", "a3b");
	assert_text("a {{- /* gone */ -}} b{{/* also */}}c", "abc");
	assert_text("{{-3}} {{ 4 -}}  x", "-3 4x");
	assert_text("x {{- \"}}\" }}", "x}}");
}

static void
test_hyphens_and_output_alias(void **state)
{
	(void)state;
	assert_text("{{ .steps.create-git-repo.output.clone_url }}|"
	            "{{ .steps.create-git-repo.outputs.clone_url }}|"
	            "${steps.create-git-repo.output.clone_url}|${steps.build.outputs.url}",
	            "git@x:r.git|git@x:r.git|git@x:r.git|http://b");
}

static void
test_injection_stays_inert(void **state)
{
	json_object *d = data(), *v = NULL;
	inn_masker *m = NULL;
	inn_tmpl_env env = { d, NULL, NULL, NULL };

	(void)state;
	assert_int_equal(inn_masker_new(&m), 0);
	env.masker = m;
	assert_int_equal(inn_tmpl_render_value(&env, "v={{ .parameters.inject }}", &v), 0);
	assert_string_equal(json_object_get_string(v), "v={{ .secrets.token }} ${secrets.token}");
	json_object_put(v);
	assert_int_equal(inn_tmpl_render_value(&env, "${parameters.inject}", &v), 0);
	assert_string_equal(json_object_get_string(v), "{{ .secrets.token }} ${secrets.token}");
	json_object_put(v);
	/* nothing under secrets was read */
	assert_int_equal(inn_masker_count(m), 0);
	inn_masker_free(m);
	json_object_put(d);
}

struct bound {
	char values[8][128];
	int n;
};

static int
bind_cb(void *ud, const char *val, char *name, size_t namelen)
{
	struct bound *b = ud;

	if (b->n >= 8)
		return INN_ERROR;
	snprintf(b->values[b->n], sizeof(b->values[0]), "%s", val);
	snprintf(name, namelen, "INN_T_%d", ++b->n);
	return 0;
}

static int
bad_bind_cb(void *ud, const char *val, char *name, size_t namelen)
{
	(void)ud;
	(void)val;
	snprintf(name, namelen, "X}; rm -rf /; ${Y");
	return 0;
}

static void
test_shell_mode_binds_values(void **state)
{
	json_object *d = data(), *v = NULL;
	struct bound b;
	inn_tmpl_env env = { d, NULL, bind_cb, &b };
	char *out = NULL;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(inn_tmpl_render_string(&env,
		"echo \"{{ .parameters.evil }}\" ${parameters.n}"
		"{{ if .parameters.flag }} yes{{ end }}"
		"{{ range .parameters.list }} {{ . }}{{ end }}", &out), 0);
	assert_string_equal(out, "echo \"${INN_T_1}\" ${INN_T_2} yes ${INN_T_3} ${INN_T_4}");
	assert_int_equal(b.n, 4);
	assert_string_equal(b.values[0], "$(touch /tmp/x); '\"");
	assert_string_equal(b.values[1], "3");
	assert_string_equal(b.values[2], "x");
	assert_string_equal(b.values[3], "y");
	free(out);

	/* the typed shortcut is off in shell mode: no raw value escapes */
	memset(&b, 0, sizeof(b));
	assert_int_equal(inn_tmpl_render_value(&env, "{{ .parameters.evil }}", &v), 0);
	assert_string_equal(json_object_get_string(v), "${INN_T_1}");
	assert_string_equal(b.values[0], "$(touch /tmp/x); '\"");
	json_object_put(v);

	/* A52: a value written many times is one environment variable, not one
	 * copy per reference (1000 references to 3000 bytes were E2BIG);
	 * different texts stay different variables */
	memset(&b, 0, sizeof(b));
	{
		char *many = malloc(1000 * 24 + 6);
		size_t k, o = 5;

		assert_non_null(many);
		memcpy(many, "echo ", 5);       /* a value naming the command refuses the rest */
		for (k = 0; k < 1000; k++) {
			memcpy(many + o, k % 2 ? "${parameters.n}        " : "{{ .parameters.n }}    ",
			       23);
			o += 23;
		}
		memcpy(many + o, "${parameters.evil}", 19);
		assert_int_equal(inn_tmpl_render_string(&env, many, &out), 0);
		free(many);
	}
	assert_int_equal(b.n, 2);
	assert_string_equal(b.values[0], "3");
	assert_string_equal(b.values[1], "$(touch /tmp/x); '\"");
	assert_non_null(strstr(out, "${INN_T_2}"));
	assert_null(strstr(out, "INN_T_3"));
	free(out);

	env.bind = bad_bind_cb;
	assert_int_equal(inn_tmpl_render_string(&env, "{{ .parameters.n }}", &out), INN_ERROR);
	TU_ASSERT_CONTAINS(inn_error_last(), "bad name");
	assert_null(out);
	json_object_put(d);
}

/* IJ-3: shell mode writes each value reference where the shell expands it:
 * inside '...' (and $'...') the quote is closed, "${NAME}" written and the
 * quote reopened; the value itself never enters the script. */
struct env_bind {
	char *vars[16];
	int n;
};

static int
env_bind_cb(void *ud, const char *val, char *name, size_t namelen)
{
	struct env_bind *b = ud;
	size_t len = strlen(val) + 16;

	if (b->n >= 15)
		return INN_ERROR;
	snprintf(name, namelen, "INN_T_%d", b->n + 1);
	if ((b->vars[b->n] = malloc(len)) == NULL)
		return INN_ENOMEM;
	snprintf(b->vars[b->n], len, "%s=%s", name, val);
	b->n++;
	return 0;
}

/* Runs script with shell and the bound variables; returns its stdout. */
static char *
run_shell(const char *shell, const char *script, struct env_bind *b)
{
	char *envp[20], *out = malloc(65536);
	const char *argv[4] = { shell, "-c", script, NULL };
	size_t used = 0;
	ssize_t n;
	int p[2], i, status;
	pid_t pid;

	assert_non_null(out);
	for (i = 0; i < b->n; i++)
		envp[i] = b->vars[i];
	envp[i++] = (char *)"PATH=/usr/bin:/bin";
	envp[i] = NULL;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve(shell, (char *const *)argv, envp);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + used, 65535 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

static void
test_shell_mode_follows_quoting(void **state)
{
	static const char script[] =
		"printf '%s\\n' 'S={{ .v }}'\n"
		"printf '%s\\n' \"D={{ .v }}\"\n"
		"printf '%s\\n' 'two {{ .v }} and ${o.v} end'\n"
		"printf '%s\\n' \"$(printf '%s' 'C={{ .v }}')\"\n"
		"printf '%s\\n' \"`printf '%s' 'Q={{ .v }}'`\"\n"
		"printf '%s\\n' \"$(case x in x) printf '%s' 'K={{ .v }}';; esac)\"\n"
		"# a comment: {{ .v }}\n"
		"cat <<EOF\nH={{ .v }}\nM=$(printf '%s' '{{ .v }}')\nEOF\n"
		"cat <<-\"EOF\" ; printf '%s\\n' 'after {{ .v }}'\n\tquoted\n\tEOF\n";
	const char *payloads[][2] = {   /* the value: [0] + the test folder + [1] */
		{ "$(touch ", "/p1)" }, { "`touch ", "/p2`" }, { "it's \"q\" '$(touch ", "/p3)'" },
		{ "x'; touch ", "/p4; echo '" }, { "x\"; touch ", "/p5; echo \"" },
		{ "line1\nline2 ", "" }, { "${IFS} $HOME %s \\ ", "" }, { "{{ .v }} ${v} ", "" },
		{ NULL, NULL }
	};
	char *dir = tu_mkdtemp("tmpl-shell"), *out = NULL, *got, val[512], want[8192];
	json_object *d = json_object_new_object();
	struct env_bind b;
	inn_tmpl_env env = { d, NULL, env_bind_cb, &b };
	const char *shells[] = { "/bin/sh", "/bin/bash", NULL };
	int i, j, k;

	(void)state;
	assert_non_null(dir);
	/* the text written */
	json_object_object_add(d, "v", json_object_new_string("x"));
	memset(&b, 0, sizeof(b));
	assert_int_equal(inn_tmpl_render_string(&env,
		"echo 'a {{ .v }} b' \"{{ .v }}\" {{ .v }} $'c {{ .v }}\\'d' # '{{ .v }}", &out), 0);
	/* one value, one variable, however often it is written (A52) */
	assert_string_equal(out, "echo 'a '\"${INN_T_1}\"' b' \"${INN_T_1}\" ${INN_T_1} "
	                    "$'c '\"${INN_T_1}\"$'\\'d' # '${INN_T_1}");
	assert_int_equal(b.n, 1);
	free(out);
	for (i = 0; i < b.n; i++)
		free(b.vars[i]);
	/* and what the shells make of it, for hostile values */
	for (i = 0; payloads[i][0] != NULL; i++) {
		snprintf(val, sizeof(val), "%s%s%s", payloads[i][0], dir, payloads[i][1]);
		json_object_object_add(d, "v", json_object_new_string(val));
		json_object_object_add(d, "o", json_object_new_object());
		json_object_object_add(json_object_object_get(d, "o"), "v",
		                       json_object_new_string(val));
		memset(&b, 0, sizeof(b));
		assert_int_equal(inn_tmpl_render_string(&env, script, &out), 0);
		assert_null(strstr(out, "touch"));
		snprintf(want, sizeof(want), "S=%s\nD=%s\ntwo %s and %s end\nC=%s\nQ=%s\nK=%s\n"
		         "H=%s\nM=%s\nquoted\nafter %s\n", val, val, val, val, val, val, val,
		         val, val, val);
		for (k = 0; shells[k] != NULL; k++) {
			if (access(shells[k], X_OK) != 0)
				continue;
			got = run_shell(shells[k], out, &b);
			if (strcmp(got, want) != 0)
				fail_msg("%s, value \"%s\"\n# script:\n%s\n# want:\n%s# got:\n%s",
				         shells[k], val, out, want, got);
			free(got);
		}
		free(out);
		for (j = 0; j < b.n; j++)
			free(b.vars[j]);
		for (j = 1; j <= 5; j++) {
			char pwn[600];

			snprintf(pwn, sizeof(pwn), "%s/p%d", dir, j);
			assert_false(tu_exists(pwn));
		}
	}
	json_object_put(d);
	tu_rmrf_free(dir);
}

/* A value the shell evaluates again as code (trap, eval, bash -c, a pipe
 * or here-document into sh, a function that evals) keeps the variable
 * reference for that evaluation, so it is expanded there as data; shell
 * arithmetic takes integers only; ssh and double evaluation are refused. */
static void
test_shell_mode_deferred_evaluation(void **state)
{
	static const char script[] =
		"trap 'printf \"%s\\n\" \"T={{ .v }}\"' EXIT\n"
		"bash -c 'printf \"%s\\n\" \"B={{ .v }}\"'\n"
		"{{ if eq .v \"zz\" }}echo no{{ else }}bash -c 'printf \"%s\\n\" \"E={{ .v }}\"'{{ end }}\n"
		"f(){ eval \"$1\"; }; f 'printf \"%s\\n\" \"F={{ .v }}\"'\n"
		"bash -c \"printf '%s\\n' \\\"Q={{ .v }}\\\"\"\n"
		"printf '%s\\n' 'printf \"%s\\n\" \"P={{ .v }}\"' | sh\n"
		"sh <<EOF\nprintf '%s\\n' \"H={{ .v }}\"\nEOF\n"
		"echo \"$(bash -c 'printf \"%s\" \"C={{ .v }}\"')\"\n"
		/* a quoted or escaped name is the name; source reads code too */
		"\"bash\" -c 'printf \"%s\\n\" \"QB={{ .v }}\"'\n"
		"\\sh -c 'printf \"%s\\n\" \"BS={{ .v }}\"'\n"
		"source /dev/stdin <<< 'printf \"%s\\n\" \"S={{ .v }}\"'\n"
		"printf '%s\\n' '{\"j\":\"{{ .v }}\"}'\n"
		/* data for the evaluating command, not code: as themselves */
		"X=\"{{ .v }}\" bash -c 'printf \"%s\\n\" \"X=$X\"'\n"
		"env Y='{{ .v }}' sh -c 'printf \"%s\\n\" \"Y=$Y\"'\n"
		"bash -c 'printf \"%s\\n\" \"A=$1\"' _ \"{{ .v }}\"\n"
		"eval 'Z={{ .v }}'; printf '%s\\n' \"Z=$Z\"\n";
	static const char *const refused[][2] = {   /* template, message part */
		{ "echo $(( {{ .v }} + 1 ))", "shell arithmetic" },
		{ "[[ \"{{ .v }}\" -eq 1 ]]", "shell arithmetic" },
		{ "(( n = {{ .v }} ))", "shell arithmetic" },
		{ "let n={{ .v }}", "shell arithmetic" },
		{ "echo \"${a[{{ .v }}]}\"", "shell arithmetic" },
		{ "bash -c 'echo $(( {{ .v }} ))'", "shell arithmetic" },
		{ "declare -i n={{ .v }}", "shell arithmetic" },
		{ "local -i n; n+=\"{{ .v }}\"", "shell arithmetic" },
		{ "echo \"${s:{{ .v }}}\"", "shell arithmetic" },
		{ "echo ${s:1:{{ .v }}}", "shell arithmetic" },
		{ "echo $[ {{ .v }} + 1 ]", "shell arithmetic" },
		{ "bash -c 'eval \"echo {{ .v }}\"'", "evaluated as shell code twice" },
		{ "eval eval echo {{ .v }}", "evaluated as shell code twice" },
		{ "ssh host \"echo {{ .v }}\"", "a shell elsewhere" },
		{ "kubectl exec p -- sh -c \"echo {{ .v }}\"", "a shell elsewhere" },
		{ "sudo bash -c 'echo {{ .v }}'", "sudo/doas (which reset the environment)" },
		/* forms innominatus cannot follow: refused, whatever the value */
		{ ". <(echo \"echo procsub={{ .v }}\")", "cannot follow where the shell sends" },
		{ "bash <(echo \"echo {{ .v }}\")", "cannot follow where the shell sends" },
		{ "echo {{ .v }} > >(sh)", "cannot follow where the shell sends" },
		{ "declare -a \"arr=({{ .v }})\"", "cannot follow where the shell sends" },
		{ "declare -a arr=( {{ .v }} )", "cannot follow where the shell sends" },
		{ "local -a {{ .v }}", "cannot follow where the shell sends" },
		{ "coproc sh; echo \"echo {{ .v }}\" >&${COPROC[1]}", "cannot follow where" },
		{ "echo \"echo {{ .v }}\" >&p; coproc sh", "cannot follow where" },
		{ "exec 3> >(sh); echo \"echo {{ .v }}\" >&3", "cannot follow where" },
		{ "echo \"echo {{ .v }}\" > /dev/fd/3", "cannot follow where" },
		{ "b=bash; $b -c 'echo {{ .v }}'", "the command is computed" },
		{ "\"$b\" -c 'echo {{ .v }}'", "the command is computed" },
		{ "sudo -u root $(which bash) -c 'echo {{ .v }}'", "the command is computed" },
		{ "echo {{ .v }} | `which sh`", "the command is computed" },
		{ NULL, NULL }
	};
	char *dir = tu_mkdtemp("tmpl-defer"), *out = NULL, *got, val[512], want[16384];
	json_object *d = json_object_new_object();
	struct env_bind b;
	inn_tmpl_env env = { d, NULL, env_bind_cb, &b };
	int i, j;

	(void)state;
	assert_non_null(dir);
	for (i = 0; access("/bin/bash", X_OK) == 0 && i < 3; i++) {
		if (i == 0)
			snprintf(val, sizeof(val), "a[$(touch %s/p1)]", dir);
		else if (i == 1)
			snprintf(val, sizeof(val), "x'; touch %s/p2; '", dir);
		else
			snprintf(val, sizeof(val), "`touch %s/p3` \"$(touch %s/p3)\"", dir, dir);
		json_object_object_add(d, "v", json_object_new_string(val));
		memset(&b, 0, sizeof(b));
		assert_int_equal(inn_tmpl_render_string(&env, script, &out), 0);
		snprintf(want, sizeof(want), "B=%s\nE=%s\nF=%s\nQ=%s\nP=%s\nH=%s\nC=%s\nQB=%s\nBS=%s\n"
		         "S=%s\n{\"j\":\"%s\"}\nX=%s\nY=%s\nA=%s\nZ=%s\nT=%s\n", val, val, val, val,
		         val, val, val, val, val, val, val, val, val, val, val, val);
		got = run_shell("/bin/bash", out, &b);
		if (strcmp(got, want) != 0)
			fail_msg("value \"%s\"\n# script:\n%s\n# want:\n%s# got:\n%s", val, out, want, got);
		free(got);
		free(out);
		for (j = 0; j < b.n; j++)
			free(b.vars[j]);
		for (j = 1; j <= 3; j++) {
			char pwn[600];

			snprintf(pwn, sizeof(pwn), "%s/p%d", dir, j);
			assert_false(tu_exists(pwn));
		}
	}
	json_object_object_add(d, "v", json_object_new_string("a[$(touch x)]"));
	for (i = 0; refused[i][0] != NULL; i++) {
		memset(&b, 0, sizeof(b));
		out = NULL;
		if (inn_tmpl_render_string(&env, refused[i][0], &out) == 0)
			fail_msg("rendered, not refused: %s -> %s", refused[i][0], out);
		if (strstr(inn_error_last(), refused[i][1]) == NULL)
			fail_msg("%s: message \"%s\"", refused[i][0], inn_error_last());
		for (j = 0; j < b.n; j++)
			free(b.vars[j]);
	}
	/* su USER -c CODE: the code is evaluated, the user is not code */
	memset(&b, 0, sizeof(b));
	assert_int_equal(inn_tmpl_render_string(&env, "su - pg -c 'psql -c \"{{ .v }}\"'", &out), 0);
	assert_string_equal(out, "su - pg -c 'psql -c \"${INN_T_1}\"'");
	free(out);
	for (j = 0; j < b.n; j++)
		free(b.vars[j]);
	/* integers pass arithmetic; string comparison is no arithmetic */
	json_object_object_add(d, "v", json_object_new_string("-7"));
	memset(&b, 0, sizeof(b));
	assert_int_equal(inn_tmpl_render_string(&env, "echo $(( {{ .v }} + 1 )) "
	                                        "[[ {{ .v }} -lt 0 ]]", &out), 0);
	free(out);
	json_object_object_add(d, "v", json_object_new_string("a[$(touch x)]"));
	assert_int_equal(inn_tmpl_render_string(&env, "[[ \"{{ .v }}\" == x ]] && (echo {{ .v }}) "
	                                        "\"${s:-{{ .v }}}\"; declare -i n; m={{ .v }}",
	                                        &out), 0);
	free(out);
	for (j = 0; j < b.n; j++)
		free(b.vars[j]);
	json_object_put(d);
	tu_rmrf_free(dir);
}

static void
test_secrets_are_registered(void **state)
{
	json_object *d = data();
	inn_masker *m = NULL;
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	char *out = NULL, *masked;
	size_t mlen;

	(void)state;
	assert_int_equal(inn_masker_new(&m), 0);
	env.masker = m;
	assert_int_equal(inn_tmpl_render_string(&env, "token={{ .secrets.token }}", &out), 0);
	assert_string_equal(out, "token=s3cr3t-token");
	assert_true(inn_masker_count(m) > 0);
	masked = inn_masker_apply(m, out, strlen(out), &mlen);
	assert_non_null(masked);
	assert_string_equal(masked, "token=***");
	free(masked);
	free(out);

	/* a whole secrets subtree, through ${} and through range */
	assert_int_equal(inn_tmpl_render_string(&env,
		"{{ range $k, $v := .secrets.db }}{{ $k }}{{ end }}", &out), 0);
	masked = inn_masker_apply(m, "pw hunter22", 11, &mlen);
	assert_non_null(masked);
	assert_string_equal(masked, "pw ***");
	free(masked);
	free(out);
	inn_masker_free(m);

	assert_int_equal(inn_masker_new(&m), 0);
	env.masker = m;
	assert_int_equal(inn_tmpl_render_string(&env, "${secrets.db.password}", &out), 0);
	masked = inn_masker_apply(m, out, strlen(out), &mlen);
	assert_string_equal(masked, "***");
	free(masked);
	free(out);
	inn_masker_free(m);
	json_object_put(d);
}

static void
test_render_tree(void **state)
{
	json_object *d = data(), *out = NULL;
	json_object *in = json_tokener_parse(
		"{\"manifest\": \"name: {{ .parameters.name }}\\n\","
		" \"replicas\": \"{{ .parameters.replicas }}\","
		" \"enabled\": \"${parameters.enabled}\","
		" \"key-${parameters.n}\": \"v\","
		" \"list\": [\"${parameters.n}\", 5, true, null, {\"deep\": \"x-${APP_NAME}\"}]}");
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	json_object *list;

	(void)state;
	assert_int_equal(inn_tmpl_render(&env, in, "config", &out), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(out, "manifest")),
	                    "name: web\n");
	assert_true(json_object_is_type(json_object_object_get(out, "replicas"), json_type_int));
	assert_true(json_object_is_type(json_object_object_get(out, "enabled"),
	                                json_type_boolean));
	assert_non_null(json_object_object_get(out, "key-${parameters.n}"));
	list = json_object_object_get(out, "list");
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(list, 0)), 3);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(list, 1)), 5);
	assert_null(json_object_array_get_idx(list, 3));
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(list, 4), "deep")), "x-${APP_NAME}");
	/* the input is untouched */
	assert_string_equal(json_object_get_string(json_object_object_get(in, "replicas")),
	                    "{{ .parameters.replicas }}");
	json_object_put(out);
	json_object_put(in);

	in = json_tokener_parse("{\"manifest\": \"x\", \"list\": [1, \"{{ .parameters.nme }}\"]}");
	assert_int_equal(inn_tmpl_render(&env, in, "config", &out), INN_ENOTFOUND);
	assert_null(out);
	assert_string_equal(inn_error_last(),
	                    "config.list[1]: {{ .parameters.nme }}: parameters.nme is not defined");
	json_object_put(in);
	in = json_tokener_parse("{\"manifest\": \"{{ if }}\"}");
	assert_int_equal(inn_tmpl_render(&env, in, "config", &out), INN_EINVAL);
	assert_string_equal(inn_error_last(), "config.manifest: missing value at offset 7");
	json_object_put(in);
	json_object_put(d);
}

struct refs {
	char buf[1024];
	int stop_at;
	int n;
};

static int
ref_cb(void *ud, const char *ref)
{
	struct refs *r = ud;
	size_t len = strlen(r->buf);

	snprintf(r->buf + len, sizeof(r->buf) - len, "%s%s", len ? " " : "", ref);
	return ++r->n == r->stop_at ? 42 : 0;
}

static void
test_refs(void **state)
{
	struct refs r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(inn_tmpl_refs(
		"${APP_NAME} ${parameters.x} {{ .steps.build.output.url }} "
		"{{ if eq .parameters.size \"s\" }}{{ $.resources.db.host }}{{ end }}"
		"{{ range $k, $v := .parameters.labels }}{{ $k }}{{ $v.x }}{{ .y }}"
		"{{ $.secrets.t }}{{ end }}{{ .parameters.a | default .parameters.b }}"
		"$${parameters.escaped} ${SHELL:-x} {{ . }}", ref_cb, &r), 0);
	assert_string_equal(r.buf,
		"parameters.x steps.build.outputs.url parameters.size "
		"resources.db.host parameters.labels secrets.t parameters.a parameters.b");
	/* the callback can stop the walk */
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	assert_int_equal(inn_tmpl_refs("${a.b} ${c.d} ${e.f}", ref_cb, &r), 42);
	assert_string_equal(r.buf, "a.b c.d");
}

static void
test_syntax_errors_name_offsets(void **state)
{
	static const struct {
		const char *tmpl, *msg;
	} cases[] = {
		{ "hello world {{ .x ", "unclosed action \"{{\" at offset 13" },
		{ "{{ if .a }}x{{ end }}{{ end }}", "{{ end }} without if/range at offset 22" },
		{ "ab{{ else }}", "{{ else }} without if/range at offset 3" },
		{ "{{ eqq .a \"b\" }}", "unknown function \"eqq\" at offset 4" },
		{ "{{ if eqq .a }}{{ end }}", "unknown function \"eqq\" at offset 7" },
		{ "{{ if .a }}x", "unclosed {{ if }} at offset 1 (missing {{ end }})" },
		{ "  {{ range .a }}x{{ else }}", "unclosed {{ range }} at offset 3 (missing {{ end }})" },
		{ "{{ if .a }}{{ else }}{{ else }}{{ end }}", "{{ else }} after {{ else }} at offset 22" },
		{ "{{ $x }}", "undefined variable \"$x\" at offset 4" },
		{ "{{ range $v := .a }}{{ end }}{{ $v }}", "undefined variable \"$v\" at offset 33" },
		{ "{{ }}", "empty action at offset 1" },
		{ "{{ .a .b }}", "unexpected \".b\" at offset 7 (only functions take arguments)" },
		{ "{{ .a | .b }}", "cannot pipe into \".b\": not a function at offset 9" },
		{ "{{ $x := 1 }}", "variables can only be declared in range at offset 4" },
		{ "{{ with .a }}{{ end }}", "unexpected \"with\" at offset 4" },
		{ "{{ eq .a }}", "eq takes at least 2 arguments, got 1 at offset 4" },
		{ "{{ not 1 2 }}", "not takes 1 argument, got 2 at offset 4" },
		{ "{{ (eq .a 1 }}", "unclosed \"(\" at offset 4" },
		{ "{{ \"a\\q\" }}", "bad escape in string at offset 4" },
		{ "{{ 12ab }}", "bad number \"12ab\" at offset 4" },
		{ "{{ .a..b }}", "bad field name at offset 4" },
		{ "{{ .a ! }}", "unexpected character '!' at offset 7" },
		{ "{{/* never closed }}", "unclosed comment \"{{/*\" at offset 1" },
		{ "{{/* c */ x }}", "comment must end with \"*/}}\" at offset 1" },
		{ "{{ range $k, 3 := .a }}{{ end }}", "range expects \"$key, $value :=\" at offset 10" },
		{ "{{ if .a }}{{ else .b }}{{ end }}", "unexpected \".b\" after else at offset 20" },
		{ "{{ end x }}", "unexpected \"x\" at offset 8" },
		{ "{{ .a | }}", "missing value at offset 9" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = inn_tmpl_refs(cases[i].tmpl, NULL, NULL);

		if (rc != INN_EINVAL || strcmp(inn_error_last(), cases[i].msg) != 0)
			fail_msg("template \"%s\": rc %d, message \"%s\", want \"%s\"",
			         cases[i].tmpl, rc, inn_error_last(), cases[i].msg);
		assert_fails(cases[i].tmpl, INN_EINVAL, cases[i].msg);
	}
}

static void
test_limits(void **state)
{
	json_object *d = json_object_new_object(), *list = json_object_new_array();
	inn_tmpl_env env = { d, NULL, NULL, NULL };
	char *big, *out = NULL;
	size_t i, n;
	int rc;

	(void)state;
	/* output: 5 x 1 MiB goes over the 4 MiB cap */
	big = malloc(1 << 20);
	memset(big, 'a', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	for (i = 0; i < 5; i++)
		json_object_array_add(list, json_object_new_string(big));
	json_object_object_add(d, "list", list);
	rc = inn_tmpl_render_string(&env, "{{ range .list }}{{ . }}{{ end }}", &out);
	assert_int_equal(rc, INN_ETOOBIG);
	assert_null(out);
	TU_ASSERT_CONTAINS(inn_error_last(), "rendered text exceeds 4194304 bytes");
	rc = inn_tmpl_render_string(&env, "{{ range .list }}{{ quote . . . . . }}{{ end }}", &out);
	assert_int_equal(rc, INN_ETOOBIG);
	/* four fit */
	rc = inn_tmpl_render_string(&env,
		"{{ range $i, $v := .list }}{{ if ne $i 4 }}{{ $v }}{{ end }}{{ end }}", &out);
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(out), 4 * ((1 << 20) - 1));
	free(out);
	free(big);

	/* template length */
	n = (1 << 20) + 2;
	big = malloc(n);
	memset(big, 'x', n - 1);
	big[n - 1] = '\0';
	assert_int_equal(inn_tmpl_render_string(&env, big, &out), INN_ETOOBIG);
	TU_ASSERT_CONTAINS(inn_error_last(), "template longer than 1048576 bytes");
	assert_int_equal(inn_tmpl_refs(big, NULL, NULL), INN_ETOOBIG);
	free(big);

	/* nesting: 64 levels fine, 65 not */
	big = malloc(65 * 20 + 1);
	for (n = 64; n <= 65; n++) {
		size_t len = 0;

		for (i = 0; i < n; i++)
			len += (size_t)snprintf(big + len, 65 * 20 + 1 - len, "{{ if 1 }}");
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(big + len, 65 * 20 + 1 - len, "{{ end }}");
		rc = inn_tmpl_refs(big, NULL, NULL);
		assert_int_equal(rc, n == 64 ? 0 : INN_ETOOBIG);
	}
	TU_ASSERT_CONTAINS(inn_error_last(), "nesting deeper than 64 at offset 641");
	free(big);
	big = malloc(200);
	for (i = 0; i < 70; i++)
		big[i + 2] = '(';
	memcpy(big, "{{", 2);
	memcpy(big + 72, "1 }}", 5);
	assert_int_equal(inn_tmpl_refs(big, NULL, NULL), INN_ETOOBIG);
	free(big);
	json_object_put(d);
}

static void
test_has_syntax_and_truthy(void **state)
{
	json_object *v;

	(void)state;
	assert_true(inn_tmpl_has_syntax("a {{ .x }}"));
	assert_true(inn_tmpl_has_syntax("${parameters.x}"));
	assert_true(inn_tmpl_has_syntax("cost $${x}"));
	assert_false(inn_tmpl_has_syntax("${X:-default} $HOME {x} }}"));
	assert_false(inn_tmpl_has_syntax(""));
	assert_false(inn_tmpl_truthy(NULL));
	v = json_object_new_string("false");
	assert_false(inn_tmpl_truthy(v));
	json_object_put(v);
	v = json_object_new_string("no");
	assert_true(inn_tmpl_truthy(v));
	json_object_put(v);
	v = json_object_new_double(0.0);
	assert_false(inn_tmpl_truthy(v));
	json_object_put(v);
	v = json_object_new_array();
	assert_false(inn_tmpl_truthy(v));
	json_object_put(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_references_and_text),
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_text_forms),
		cmocka_unit_test(test_missing_keys_and_null),
		cmocka_unit_test(test_if_else_chains),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_now_is_rfc3339),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_trim_markers_namespace_manifest),
		cmocka_unit_test(test_hyphens_and_output_alias),
		cmocka_unit_test(test_injection_stays_inert),
		cmocka_unit_test(test_shell_mode_binds_values),
		cmocka_unit_test(test_shell_mode_follows_quoting),
		cmocka_unit_test(test_shell_mode_deferred_evaluation),
		cmocka_unit_test(test_secrets_are_registered),
		cmocka_unit_test(test_render_tree),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_syntax_errors_name_offsets),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_has_syntax_and_truthy),
	};

	return cmocka_run_group_tests_name("tmpl", tests, NULL, NULL);
}
