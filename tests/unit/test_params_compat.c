/*
 * test_params_compat.c - the parameter rules the original innominatus's
 * files are written for: patterns in Go RE2 syntax (pattern.c: its
 * classes, flags and escapes, what RE2 refuses, unanchored search,
 * bounded matching), durations as its golden-path validator took them
 * (duration.c), and its type names and boolean words (load_param.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "error.h"
#include "model.h"
#include "pattern.h"
#include "testutil.h"

/* 1 / 0 as inn_pattern_match says for text against pattern, -2 when the
 * pattern does not compile. */
static int
matches(const char *pattern, const char *text)
{
	inn_pattern *re = NULL;
	char why[256];
	int m;

	if (inn_pattern_compile(&re, pattern, why, sizeof(why)) != 0)
		return -2;
	m = inn_pattern_match(re, text, strlen(text), why, sizeof(why));
	inn_pattern_free(re);
	return m;
}

/* The reason pattern is refused (static buffer), or "" when it compiles. */
static const char *
refused(const char *pattern)
{
	static char why[256];
	inn_pattern *re = NULL;

	why[0] = '\0';
	if (inn_pattern_compile(&re, pattern, why, sizeof(why)) == 0) {
		inn_pattern_free(re);
		return "";
	}
	return why;
}

static void
test_re2_classes_and_flags(void **state)
{
	(void)state;
	assert_int_equal(matches("^\\d+[hmd]$", "12h"), 1);
	assert_int_equal(matches("^\\d+[hmd]$", "dh"), 0);
	assert_int_equal(matches("^\\w+$", "a_1"), 1);
	assert_int_equal(matches("^\\w+$", "a-1"), 0);
	assert_int_equal(matches("^a\\sb$", "a b"), 1);
	assert_int_equal(matches("\\bcat\\b", "a cat here"), 1);
	assert_int_equal(matches("\\bcat\\b", "concatenate"), 0);
	assert_int_equal(matches("(?i)^prod$", "PROD"), 1);
	assert_int_equal(matches("^(?i:ab)c$", "ABc"), 1);
	assert_int_equal(matches("^(?i:ab)c$", "ABC"), 0);
	assert_int_equal(matches("^[[:alpha:]]+$", "abcXYZ"), 1);
	assert_int_equal(matches("^[[:alpha:]]+$", "abc1"), 0);
	assert_int_equal(matches("^\\pL+$", "h\xc3\xa9llo"), 1);
	assert_int_equal(matches("^\\p{Greek}$", "\xce\xb1"), 1);
	assert_int_equal(matches("^\\x{41}+$", "AAA"), 1);
	assert_int_equal(matches("^(?P<v>\\d+)\\.\\d+$", "1.2"), 1);
	assert_int_equal(matches("^\\Qa.b\\E$", "a.b"), 1);
	assert_int_equal(matches("^\\Qa.b\\E$", "axb"), 0);
	assert_int_equal(matches("^a{2,3}$", "aaa"), 1);
	assert_int_equal(matches("^a{,3}$", "a{,3}"), 1); /* not a repeat in RE2 */
	/* RE2: \d is ASCII only; \v is a vertical tab, not a class */
	assert_int_equal(matches("^\\d$", "\xd9\xa3"), 0);
	assert_int_equal(matches("^\\v$", "\x0b"), 1);
	assert_int_equal(matches("^\\v$", "\n"), 0);
}

static void
test_search_is_unanchored(void **state)
{
	(void)state;
	/* Go's regexp.MatchString finds a match anywhere */
	assert_int_equal(matches("\\d", "abc7"), 1);
	assert_int_equal(matches("prod", "staging-prod"), 1);
	/* `$` is the end of the text, not before a final newline */
	assert_int_equal(matches("^a$", "a\n"), 0);
	assert_int_equal(matches("(?m)^a$", "b\na\n"), 1);
	/* invalid UTF-8 in a value does not match, it does not fail */
	assert_int_equal(matches("^x$", "\xff"), 0);
}

static void
test_re2_refusals(void **state)
{
	(void)state;
	assert_string_equal(refused("(a)\\1"), "\\1: backreferences are not supported by "
	                    "Go's regular expressions (RE2)");
	assert_non_null(strstr(refused("(?P<n>a)(?P=n)"), "backreferences"));
	assert_non_null(strstr(refused("\\k<n>"), "backreferences"));
	assert_string_equal(refused("a(?=b)"), "(?=: lookaround is not supported by Go's "
	                    "regular expressions (RE2)");
	assert_non_null(strstr(refused("(?<!a)b"), "lookaround"));
	assert_non_null(strstr(refused("(?>a)"), "not supported"));
	assert_non_null(strstr(refused("(?x)a b"), "not supported"));
	assert_non_null(strstr(refused("a*+"), "repetition of a repetition"));
	assert_non_null(strstr(refused("a**"), "repetition of a repetition"));
	assert_string_equal(refused("a*?"), "");
	assert_non_null(strstr(refused("a{1001}"), "above 1000"));
	assert_string_equal(refused("a{1000}"), "");
	assert_non_null(strstr(refused("(*UTF)a"), "verbs"));
	assert_non_null(strstr(refused("\\Z"), "not an escape"));
	assert_non_null(strstr(refused("\\C"), "not an escape"));
	assert_non_null(strstr(refused("(a"), "at offset"));
	/* a malformed name is no hiding place */
	assert_non_null(strstr(refused("[[:x](a)\\1"), "backreferences"));
	assert_non_null(strstr(refused("\\x{41(a)\\1"), "backreferences"));
	assert_non_null(strstr(refused("\\Qa\\E(a)\\1"), "backreferences"));
	assert_string_equal(refused("\\Q(a)\\1"), ""); /* literal to the end */
	assert_string_equal(refused(""), "");
}

static void
test_catastrophic_pattern_is_bounded(void **state)
{
	inn_pattern *re = NULL;
	char why[256], *value = malloc(20002);
	int m;

	(void)state;
	assert_non_null(value);
	memset(value, 'a', 20000);
	memcpy(value + 20000, "!", 2);
	assert_int_equal(inn_pattern_compile(&re, "^(\\w+\\s?)*$", why, sizeof(why)), 0);
	m = inn_pattern_match(re, value, strlen(value), why, sizeof(why));
	assert_int_equal(m, -1);
	assert_non_null(strstr(why, "matching its pattern gave up"));
	/* the same pattern on a value it matches is fine */
	value[20000] = '\0';
	assert_int_equal(inn_pattern_match(re, value, 20000, why, sizeof(why)), 1);
	inn_pattern_free(re);
	free(value);
}

static int64_t
dur(const char *s)
{
	int64_t ms = -12345;

	return inn_parse_param_duration_ms(s, &ms) == 0 ? ms : -12345;
}

static void
test_param_durations(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(dur("7d"), INT64_C(7) * 24 * 3600 * 1000);
	assert_int_equal(dur("1w"), INT64_C(7) * 24 * 3600 * 1000);
	assert_int_equal(dur("+2d"), INT64_C(2) * 24 * 3600 * 1000);
	assert_int_equal(dur("-1d"), INT64_C(-24) * 3600 * 1000);
	assert_int_equal(dur("1h30m"), 5400000);
	assert_int_equal(dur("1.5h"), 5400000);
	assert_int_equal(dur("300ms"), 300);
	assert_int_equal(dur("2h45m30.5s"), 9930500);
	assert_int_equal(dur("-2h"), -7200000);
	assert_int_equal(dur("1500us"), 1);
	assert_int_equal(dur("1500\xc2\xb5s"), 1);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("90"), 90000); /* bare seconds, as everywhere here */
	assert_int_equal(dur("87841h"), INT64_C(87841) * 3600 * 1000); /* past 10 years */
	/* what the original refused */
	assert_int_equal(dur("1d12h"), -12345);
	assert_int_equal(dur("1.5d"), -12345);
	assert_int_equal(dur("d"), -12345);
	assert_int_equal(dur(""), -12345);
	assert_int_equal(dur("5x"), -12345);
	assert_int_equal(dur("1hh"), -12345);
	assert_int_equal(dur("."), -12345);
	assert_int_equal(dur("3000000h"), -12345); /* past Go's 292 years */
	assert_int_equal(dur("99999999999999999999d"), -12345);
	/* the timeouts' parser keeps its own rules */
	assert_int_equal(inn_parse_duration_ms("7d", &ms), -1);
	assert_int_equal(inn_parse_duration_ms("1.5h", &ms), -1);
}

/* An application's TTL: one rule for ?ttl= and a golden path's "ttl"
 * duration parameter -- positive, at most 365 days. */
static void
test_ttl_rule(void **state)
{
	inn_param p;
	json_object *v;
	char why[256];
	int64_t ms = 0;

	(void)state;
	assert_int_equal(inn_ttl_parse_ms("30m", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 1800000);
	assert_int_equal(inn_ttl_parse_ms("365d", &ms, why, sizeof(why)), 0);
	assert_int_equal(inn_ttl_parse_ms("-1h", &ms, why, sizeof(why)), -1);
	assert_string_equal(why, "\"-1h\" is not a positive duration (e.g. 30m, 2h, 7d)");
	assert_int_equal(inn_ttl_parse_ms("0s", &ms, why, sizeof(why)), -1);
	assert_int_equal(inn_ttl_parse_ms("0", &ms, why, sizeof(why)), -1);
	assert_int_equal(inn_ttl_parse_ms("soon", &ms, why, sizeof(why)), -1);
	assert_int_equal(inn_ttl_parse_ms("366d", &ms, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "more than the longest time to live, 365d"));
	/* a duration parameter named ttl follows it; another name does not */
	memset(&p, 0, sizeof(p));
	p.name = (char *)"ttl";
	p.type = (char *)"duration";
	v = json_object_new_string("-1h");
	assert_int_equal(inn_param_check(&p, v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is not a positive duration"));
	p.name = (char *)"offset";
	assert_int_equal(inn_param_check(&p, v, why, sizeof(why)), 0);
	json_object_put(v);
}

static void
test_types_and_words(void **state)
{
	inn_param p;
	char why[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.name = (char *)"b";
	p.type = (char *)"boolean";
	assert_int_equal(tu_param_check_str(&p, "on", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "OFF", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "Yes", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "maybe", why, sizeof(why)), -1);
	p.type = (char *)"duration";
	assert_int_equal(tu_param_check_str(&p, "7d", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "1w", why, sizeof(why)), 0);
	p.type = (char *)"integer";
	p.has_min = p.has_max = 1;
	p.min = 1;
	p.max = 10;
	assert_int_equal(tu_param_check_str(&p, "10", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "11", why, sizeof(why)), -1);
	assert_string_equal(why, "\"11\" is more than the maximum 10");
	assert_int_equal(tu_param_check_str(&p, "0", why, sizeof(why)), -1);
	assert_string_equal(why, "\"0\" is less than the minimum 1");
	/* a declaration built by hand: its pattern is compiled for the check */
	memset(&p, 0, sizeof(p));
	p.type = (char *)"string";
	p.pattern = (char *)"^\\d+$";
	assert_int_equal(tu_param_check_str(&p, "42", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "4a", why, sizeof(why)), -1);
}

/* list is array; the original's int, bool and an empty type; booleans
 * coerced from its words */
static void
test_type_names_in_a_workflow(void **state)
{
	static const char text[] =
		"name: t\n"
		"parameters:\n"
		"  - {name: l, type: list, default: [a, b]}\n"
		"  - {name: n, type: int, default: 3}\n"
		"  - {name: b, type: bool, default: \"on\"}\n"
		"  - {name: s, type: \"\", default: x}\n"
		"steps:\n"
		"  - {name: a, type: shell}\n";
	inn_workflow *wf = NULL;
	json_object *given = json_object_new_object(), *out = NULL, *v;
	inn_diag d;

	(void)state;
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_load_string(&wf, "t.yaml", text, strlen(text), NULL, &d), 0);
	assert_string_equal(inn_workflow_param(wf, "l", 1)->type, "array");
	assert_string_equal(inn_workflow_param(wf, "n", 1)->type, "integer");
	assert_string_equal(inn_workflow_param(wf, "b", 1)->type, "boolean");
	assert_string_equal(inn_workflow_param(wf, "s", 1)->type, "string");
	json_object_object_add(given, "l", json_object_new_string("[\"x\"]"));
	json_object_object_add(given, "b", json_object_new_string("OFF"));
	assert_int_equal(inn_params_resolve(wf, given, &out), 0);
	assert_true(json_object_object_get_ex(out, "l", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_true(json_object_object_get_ex(out, "b", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	json_object_put(out);
	json_object_put(given);
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* A golden path in dir (goldenpaths.yaml over w.yaml) loaded: the catalog
 * (NULL when it failed), its diagnostics in *d. */
static inn_catalog *
load_gp(const char *dir, const char *wf, const char *gp, inn_diag *d)
{
	char wpath[512], gpath[512];
	inn_catalog *c = NULL;

	snprintf(wpath, sizeof(wpath), "%s/w.yaml", dir);
	snprintf(gpath, sizeof(gpath), "%s/goldenpaths.yaml", dir);
	assert_int_equal(tu_write(wpath, wf), 0);
	assert_int_equal(tu_write(gpath, gp), 0);
	inn_diag_init(d);
	if (inn_catalog_load(&c, NULL, 0, gpath, NULL, d) != 0) {
		inn_catalog_free(c);
		return NULL;
	}
	return c;
}

/* A golden path's parameters join its workflow's, whatever their number
 * (1..20 declared, one new or one overriding): the attacker's crash was an
 * odd count with one new parameter read by a step. */
static void
test_goldenpath_join_any_count(void **state)
{
	char *dir = tu_mkdtemp("join");
	size_t n, k, mode;

	(void)state;
	for (n = 1; n <= 20; n++)
		for (mode = 0; mode < 2; mode++) {
			char wf[4096], gp[512];
			size_t o;
			inn_catalog *c;
			const inn_goldenpath *g;
			inn_diag d;

			o = (size_t)snprintf(wf, sizeof(wf), "name: w\nparameters:\n");
			for (k = 1; k <= n; k++)
				o += (size_t)snprintf(wf + o, sizeof(wf) - o,
				                      "  - {name: p%zu, type: string, default: d}\n", k);
			snprintf(wf + o, sizeof(wf) - o, "steps:\n  - name: s\n    type: shell\n"
			         "    config: {script: 'echo {{ .parameters.%s }} {{ .parameters.p1 }}'}\n",
			         mode == 0 ? "extra" : "p1");
			snprintf(gp, sizeof(gp), "goldenpaths:\n  c:\n    workflow: ./w.yaml\n"
			         "    parameters:\n      %s: {type: integer, default: 7}\n",
			         mode == 0 ? "extra" : "p1");
			c = load_gp(dir, wf, gp, &d);
			assert_non_null(c);
			assert_int_equal(d.nerrors, 0);
			g = inn_catalog_goldenpath(c, "c");
			assert_non_null(g);
			assert_int_equal(g->workflow->nparams, n + (mode == 0));
			for (k = 1; k <= n; k++) {
				char name[16];

				snprintf(name, sizeof(name), "p%zu", k);
				assert_non_null(inn_workflow_param(g->workflow, name, strlen(name)));
			}
			assert_string_equal(inn_workflow_param(g->workflow, mode == 0 ? "extra" : "p1",
			                                       mode == 0 ? 5 : 2)->type, "integer");
			inn_catalog_free(c);
			inn_diag_free(&d);
		}
	tu_rmrf_free(dir);
}

/* A default is converted as a given value is: "off" is false. */
static void
test_defaults_converted_as_given(void **state)
{
	static const char text[] =
		"name: t\n"
		"parameters:\n"
		"  - {name: b, type: boolean, default: \"off\"}\n"
		"  - {name: y, type: boolean, default: \"yes\"}\n"
		"  - {name: d, type: duration, default: 90}\n"
		"steps:\n"
		"  - {name: a, type: shell}\n";
	inn_workflow *wf = NULL;
	json_object *out = NULL, *v;
	inn_diag d;

	(void)state;
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_load_string(&wf, "t.yaml", text, strlen(text), NULL, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(inn_params_resolve(wf, NULL, &out), 0);
	assert_true(json_object_object_get_ex(out, "b", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(out, "y", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(out, "d", &v));
	assert_string_equal(json_object_get_string(v), "90");
	json_object_put(out);
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* The API's JSON and --param's text follow one rule. */
static void
test_one_rule_for_json_and_text(void **state)
{
	static const char text[] =
		"name: t\n"
		"parameters:\n"
		"  - {name: b, type: boolean}\n"
		"  - {name: d, type: duration}\n"
		"  - {name: i, type: integer}\n"
		"steps:\n"
		"  - {name: a, type: shell}\n";
	static const char *const ok[] = {
		"{\"d\": 90}", "{\"d\": \"90\"}", "{\"b\": 0}", "{\"b\": 1}", "{\"b\": \"0\"}",
		"{\"i\": 5}", "{\"i\": \"5\"}", "{\"i\": 5.0}", NULL
	};
	static const char *const bad[] = {
		"{\"i\": \" 5\"}", "{\"i\": \"5 \"}", "{\"b\": 2}", "{\"d\": \"x\"}", "{\"i\": 5.5}",
		NULL
	};
	inn_workflow *wf = NULL;
	json_object *out = NULL;
	inn_diag d;
	size_t i;

	(void)state;
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_load_string(&wf, "t.yaml", text, strlen(text), NULL, &d), 0);
	for (i = 0; ok[i] != NULL; i++) {
		json_object *given = json_tokener_parse(ok[i]);

		if (inn_params_resolve(wf, given, &out) != 0)
			fail_msg("%s: %s", ok[i], inn_error_last());
		json_object_put(out);
		json_object_put(given);
	}
	for (i = 0; bad[i] != NULL; i++) {
		json_object *given = json_tokener_parse(bad[i]);

		if (inn_params_resolve(wf, given, &out) == 0)
			fail_msg("%s was accepted", bad[i]);
		json_object_put(given);
	}
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* A default over the value size limit is refused at load (file:line:col),
 * as a given value of that size is; a message quotes at most 80 bytes. */
static void
test_default_size_limit(void **state)
{
	size_t big = INN_PARAM_VALUE_MAX + 1, n = big + 200;
	char *text = malloc(n);
	inn_workflow *wf = NULL;
	json_object *given, *out = NULL;
	inn_diag d;
	int o;

	(void)state;
	assert_non_null(text);
	o = snprintf(text, n, "name: t\nparameters:\n  - {name: s, type: string, default: \"");
	memset(text + o, 'x', big);
	snprintf(text + o + big, n - (size_t)o - big, "\"}\nsteps:\n  - {name: a, type: shell}\n");
	inn_diag_init(&d);
	assert_int_not_equal(inn_workflow_load_string(&wf, "t.yaml", text, strlen(text), NULL,
	                                              &d) == 0 && d.nerrors == 0, 1);
	{
		char buf[300] = "";

		if (inn_diag_find(&d, "error: parameters[0].default: a value is 126977 bytes, more "
		                  "than the limit of 126976 bytes", buf, sizeof(buf)) < 0 ||
		    strncmp(buf, "t.yaml:3:", 9) != 0)
			fail_msg("no size error at t.yaml:3: %s", buf);
	}
	inn_workflow_free(wf);
	inn_diag_free(&d);
	/* a given integer of 100 KB: refused, quoted short */
	static const char decl[] = "name: t\nparameters:\n  - {name: i, type: integer}\n"
	                           "steps:\n  - {name: a, type: shell}\n";
	wf = NULL;
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_load_string(&wf, "t.yaml", decl, strlen(decl), NULL, &d), 0);
	text[100000] = '\0';
	given = json_object_new_object();
	json_object_object_add(given, "i", json_object_new_string(text + o));
	assert_int_not_equal(inn_params_resolve(wf, given, &out), 0);
	assert_true(strlen(inn_error_last()) < 200);
	assert_non_null(strstr(inn_error_last(), "xxx... is not an integer"));
	json_object_put(given);
	inn_workflow_free(wf);
	inn_diag_free(&d);
	free(text);
}

/* A secret's default never shows in catalog JSON. */
static void
test_secret_default_masked(void **state)
{
	char *dir = tu_mkdtemp("secret");
	inn_catalog *c;
	json_object *j, *ps, *v;
	inn_diag d;

	(void)state;
	c = load_gp(dir, "name: w\nparameters:\n  - {name: pw, type: secret, default: abcdef}\n"
	            "steps:\n  - {name: s, type: shell, config: {script: 'echo {{ .parameters.pw }}'}}\n",
	            "goldenpaths:\n  c:\n    workflow: ./w.yaml\n    parameters:\n"
	            "      tok: {type: secret, default: zyxwvu}\n", &d);
	assert_non_null(c);
	j = inn_goldenpath_json(inn_catalog_goldenpath(c, "c"));
	assert_true(json_object_object_get_ex(j, "parameters", &ps));
	assert_int_equal(json_object_array_length(ps), 2);
	assert_true(json_object_object_get_ex(json_object_array_get_idx(ps, 0), "default", &v));
	assert_string_equal(json_object_get_string(v), "***");
	assert_true(json_object_object_get_ex(json_object_array_get_idx(ps, 1), "default", &v));
	assert_string_equal(json_object_get_string(v), "***");
	assert_null(strstr(json_object_to_json_string(j), "abcdef"));
	json_object_put(j);
	inn_catalog_free(c);
	inn_diag_free(&d);
	tu_rmrf_free(dir);
}

/* The older golden-path form keeps the workflow's declaration of a name. */
static void
test_legacy_form_keeps_declaration(void **state)
{
	static const char wf[] =
		"name: w\nparameters:\n"
		"  - {name: count, type: integer, default: 3}\n"
		"  - {name: env, type: string, default: dev, allowed_values: [dev, prod]}\n"
		"steps:\n  - {name: s, type: shell, config: {script: 'echo {{ .parameters.count }}'}}\n";
	char *dir = tu_mkdtemp("legacy");
	const inn_param *p;
	inn_catalog *c;
	inn_diag d;

	(void)state;
	c = load_gp(dir, wf, "goldenpaths:\n  l:\n    workflow: ./w.yaml\n"
	            "    required_params: [count]\n    optional_params: {env: prod}\n", &d);
	assert_non_null(c);
	assert_int_equal(d.nerrors, 0);
	p = inn_workflow_param(inn_catalog_goldenpath(c, "l")->workflow, "count", 5);
	assert_string_equal(p->type, "integer");
	assert_true(p->required);
	p = inn_workflow_param(inn_catalog_goldenpath(c, "l")->workflow, "env", 3);
	assert_non_null(p->allowed);
	assert_string_equal(json_object_get_string(p->def), "prod");
	inn_catalog_free(c);
	inn_diag_free(&d);
	c = load_gp(dir, wf, "goldenpaths:\n  l:\n    workflow: ./w.yaml\n"
	            "    optional_params: {count: many}\n", &d);
	assert_int_equal(d.nerrors, 1);
	if (inn_diag_find(&d, "goldenpaths.yaml:4:30: error: optional_params.count: \"many\" "
	                   "is not an integer", NULL, 0) < 0)
		fail_msg("no type error");
	inn_catalog_free(c);
	inn_diag_free(&d);
	tu_rmrf_free(dir);
}

/* Patterns that backtrack linearly decide values of any size within the
 * limit; (a|a)*$ matches a..ab as in Go. */
static void
test_linear_patterns_never_give_up(void **state)
{
	char *v = malloc(INN_PARAM_VALUE_MAX + 1);

	(void)state;
	assert_non_null(v);
	memset(v, 'a', INN_PARAM_VALUE_MAX);
	v[INN_PARAM_VALUE_MAX] = '\0';
	assert_int_equal(matches("^(?:a|b)+$", v), 1);
	assert_int_equal(matches("^(?:[a-z]|-)*$", v), 1);
	v[4999] = '\0';
	assert_int_equal(matches("^(?:a|b)+$", v), 1);
	v[999] = 'b';
	v[1000] = '\0';
	assert_int_equal(matches("(a|a)*$", v), 1);
	assert_int_equal(matches("^(a|a)*$", v), 0);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_re2_classes_and_flags),
		cmocka_unit_test(test_search_is_unanchored),
		cmocka_unit_test(test_re2_refusals),
		cmocka_unit_test(test_catastrophic_pattern_is_bounded),
		cmocka_unit_test(test_param_durations),
		cmocka_unit_test(test_types_and_words),
		cmocka_unit_test(test_type_names_in_a_workflow),
		cmocka_unit_test(test_goldenpath_join_any_count),
		cmocka_unit_test(test_defaults_converted_as_given),
		cmocka_unit_test(test_one_rule_for_json_and_text),
		cmocka_unit_test(test_default_size_limit),
		cmocka_unit_test(test_secret_default_masked),
		cmocka_unit_test(test_legacy_form_keeps_declaration),
		cmocka_unit_test(test_linear_patterns_never_give_up),
		cmocka_unit_test(test_ttl_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
