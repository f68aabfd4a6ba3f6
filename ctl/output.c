/*
 * output.c - what innominatus-ctl prints, shared by remote mode and the
 * in-process runner: JSON, the live status line, log lines, outputs,
 * execution and catalog tables, run summaries, and the exit code for a
 * run's final status (one word list: inn_state_name's).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "output.h"

/* -o yaml: ctl_print_json and ctl_print_stream print YAML */
static int out_yaml;

void
ctl_output_yaml(int on)
{
	out_yaml = on;
}

/* ---- YAML: what -o json prints, as YAML 1.1 and 1.2 readers both read it ---- */

/* s may be written as a plain scalar: it starts with a letter or '_' and
 * holds only letters, digits, '_', '.', '/', '-' and single inner spaces,
 * and no reader takes it for a boolean or null (YAML 1.1 reads yes, no,
 * on, off, y, n as booleans).  Everything else is double-quoted: numbers
 * in strings ("1e3", "0x1F", "012"), "~", leading '-', ':', '#', '&',
 * '*', '!', '%', '@', quotes, brackets, multi-line, empty. */
static int
yaml_plain_ok(const char *s, size_t len)
{
	static const char *const words[] = { "y", "n", "yes", "no", "on", "off", "true",
	                                     "false", "null", NULL };
	char low[8];
	size_t i;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_') || s[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(isalnum(ch) || ch == '_' || ch == '.' || ch == '/' || ch == '-' ||
		      (ch == ' ' && s[i + 1] != ' ')))
			return 0;
	}
	if (len < sizeof(low)) {
		for (i = 0; i < len; i++)
			low[i] = (char)tolower((unsigned char)s[i]);
		low[len] = '\0';
		for (i = 0; words[i] != NULL; i++)
			if (strcmp(low, words[i]) == 0)
				return 0;
	}
	return 1;
}

/* The code point of the UTF-8 sequence at s (n bytes) into *cp; its
 * length, or 0 when it is not valid UTF-8. */
static size_t
utf8_cp(const unsigned char *s, size_t left, unsigned *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (n == 0 || n > left || (s[0] >= 0xf0 && n != 4))
		return 0;
	*cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
	    (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;
	return n;
}

static void
yaml_str(FILE *fp, const char *s, size_t len)
{
	size_t i, n;
	unsigned cp;

	if (yaml_plain_ok(s, len)) {
		fwrite(s, 1, len, fp);
		return;
	}
	fputc('"', fp);
	for (i = 0; i < len; i += n) {
		unsigned char ch = (unsigned char)s[i];

		if ((n = utf8_cp((const unsigned char *)s + i, len - i, &cp)) == 0) {
			/* not UTF-8 (JSON cannot hold it either): the byte's value */
			fprintf(fp, "\\x%02x", ch);
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			fprintf(fp, "\\%c", (int)cp);
		} else if (cp == '\n') {
			fputs("\\n", fp);
		} else if (cp == '\t') {
			fputs("\\t", fp);
		} else if (cp == '\r') {
			fputs("\\r", fp);
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
		           cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
			/* not printable in YAML, or a line break to a YAML 1.1 reader */
			fprintf(fp, "\\u%04x", cp);
		} else {
			fwrite(s + i, 1, n, fp);
		}
	}
	fputc('"', fp);
}

/* A value that fits on its key's line: a scalar or an empty container. */
static void
yaml_scalar(FILE *fp, json_object *v)
{
	const char *t;

	switch (json_object_get_type(v)) {
	case json_type_null:
		fputs("null", fp);
		break;
	case json_type_boolean:
		fputs(json_object_get_boolean(v) ? "true" : "false", fp);
		break;
	case json_type_int:
		fprintf(fp, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_double:
		/* a YAML 1.1 float has a point ("1e+300" would be a string) */
		t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		if (strchr(t, '.') == NULL && strpbrk(t, "eE") != NULL)
			fprintf(fp, "%.*s.0%s", (int)strcspn(t, "eE"), t, t + strcspn(t, "eE"));
		else
			fputs(t, fp);
		break;
	case json_type_string:
		yaml_str(fp, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_object:
		fputs("{}", fp);
		break;
	case json_type_array:
		fputs("[]", fp);
		break;
	}
}

static int
yaml_is_block(json_object *v)
{
	return (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) ||
	       (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0);
}

/* v at indent; with inline_first its first line follows a "- " already
 * printed. */
static void
yaml_node(FILE *fp, json_object *v, int indent, int inline_first)
{
	int first = 1;

	if (!yaml_is_block(v)) {
		yaml_scalar(fp, v);
		fputc('\n', fp);
		return;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			if (!(first && inline_first))
				fprintf(fp, "%*s", indent, "");
			first = 0;
			yaml_str(fp, key, strlen(key));
			if (yaml_is_block(val)) {
				fputs(":\n", fp);
				yaml_node(fp, val, indent + 2, 0);
			} else {
				fputs(": ", fp);
				yaml_node(fp, val, indent, 0);
			}
		}
	} else {
		size_t i, n = json_object_array_length(v);

		for (i = 0; i < n; i++) {
			if (!(first && inline_first))
				fprintf(fp, "%*s", indent, "");
			first = 0;
			fputs("- ", fp);
			yaml_node(fp, json_object_array_get_idx(v, i), indent + 2, 1);
		}
	}
}

void
ctl_print_json(json_object *j)
{
	if (out_yaml)
		yaml_node(stdout, j, 0, 0);
	else
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
		                                              JSON_C_TO_STRING_NOSLASHESCAPE));
}

void
ctl_print_stream(json_object *j)
{
	if (out_yaml) {
		fputs("---\n", stdout);
		yaml_node(stdout, j, 0, 0);
	} else {
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
		                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	fflush(stdout);
}

const char *
ctl_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t
ctl_jint(json_object *o, const char *key, int64_t def)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

/* ---- the status line ------------------------------------------------------------ */

void
ctl_status_init(ctl_status *s, int json)
{
	s->on = !json && isatty(2);
	s->shown = 0;
}

void
ctl_status_draw(ctl_status *s, const char *what, const char *step)
{
	if (!s->on)
		return;
	fprintf(stderr, "\r\033[K%s%s%s", what, step[0] ? ": " : "", step);
	s->shown = 1;
	fflush(stderr);
}

void
ctl_status_clear(ctl_status *s)
{
	if (s->shown) {
		fputs("\r\033[K", stderr);
		s->shown = 0;
	}
}

/* ---- lines and tables ------------------------------------------------------------- */

/* s as ctl_fput_term writes it when fp is a terminal (text from a server,
 * a step's output or a parameter must not drive it), else s itself; the
 * copy lives until 32 more calls. */
const char *
ctl_term_safe(FILE *fp, const char *s)
{
	static char *ring[32];
	static unsigned at;
	const unsigned char *u;
	char *copy = NULL;
	size_t len = 0;
	FILE *m;

	if (s == NULL || !isatty(fileno(fp)))
		return s;
	for (u = (const unsigned char *)s; *u != '\0' && *u >= 0x20 && *u != 0x7f; u++)
		;
	if (*u == '\0' || (m = open_memstream(&copy, &len)) == NULL)
		return s;
	ctl_fput_term(m, s, 0);
	if (fclose(m) != 0 || copy == NULL)
		return s;
	free(ring[at % 32]);
	ring[at++ % 32] = copy;
	return copy;
}

void
ctl_print_log(FILE *fp, const char *indent, const char *step, const char *line, int len)
{
	if (len < 0)
		len = (int)strlen(line);
	if (isatty(fileno(fp))) {
		char *l = strndup(line, (size_t)len);

		if (l != NULL) {
			fprintf(fp, "%s%-24s| ", indent, ctl_term_safe(fp, step));
			ctl_fput_term(fp, l, 0);
			fputc('\n', fp);
			free(l);
			return;
		}
	}
	fprintf(fp, "%s%-24s| %.*s\n", indent, step, len, line);
}

void
ctl_print_outputs(json_object *outs)
{
	if (outs == NULL || !json_object_is_type(outs, json_type_object) ||
	    json_object_object_length(outs) == 0)
		return;
	printf("Outputs:\n");
	json_object_object_foreach(outs, k, v)
		printf("  %s: %s\n", ctl_term_safe(stdout, k), json_object_is_type(v, json_type_string) ?
		       ctl_term_safe(stdout, json_object_get_string(v)) :
		       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
		                                      JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void
fmt_ms(char *out, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(out, len, "-");
	else if (ms < 10000)
		snprintf(out, len, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(out, len, "%llds", (long long)(ms / 1000));
}

static void
fmt_time(char *out, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m-%d %H:%M:%S",
	                                                         &tm) == 0)
		snprintf(out, len, "-");
}

void
ctl_fmt_time(char *out, size_t len, int64_t ms)
{
	fmt_time(out, len, ms);
}

/* o[key], or dflt when absent; safe for the terminal. */
static const char *
jstr_or(json_object *o, const char *key, const char *dflt)
{
	const char *s = ctl_jstr(o, key);

	return s != NULL ? ctl_term_safe(stdout, s) : dflt;
}

/* The step table of an execution: name, type, status, duration, attempts. */
static void
print_steps(json_object *steps)
{
	char dur[32];
	size_t i, n;

	if (!json_object_is_type(steps, json_type_array) ||
	    (n = json_object_array_length(steps)) == 0)
		return;
	printf("Steps:\n");
	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		const char *sm = ctl_term_safe(stdout, ctl_jstr(s, "message"));

		fmt_ms(dur, sizeof(dur), ctl_jint(s, "duration_ms", -1));
		printf("  %-24s %-10s %-10s %6s  attempts %lld%s%s\n", jstr_or(s, "name", "?"),
		       jstr_or(s, "type", "-"), jstr_or(s, "status", "-"), dur,
		       (long long)ctl_jint(s, "attempts", 0), sm ? "  " : "", sm ? sm : "");
	}
}

void
ctl_print_exec(json_object *e, int detailed)
{
	const char *msg = ctl_term_safe(stdout, ctl_jstr(e, "message"));
	const char *team = ctl_term_safe(stdout, ctl_jstr(e, "team"));
	char created[32], dur[32];

	printf("Execution %lld: %s %s %s%s%s\n", (long long)ctl_jint(e, "id", 0),
	       jstr_or(e, "kind", "workflow"), jstr_or(e, "workflow", "?"),
	       jstr_or(e, "status", "unknown"), msg ? ": " : "", msg ? msg : "");
	if (detailed) {
		fmt_time(created, sizeof(created), ctl_jint(e, "created_ms", 0));
		fmt_ms(dur, sizeof(dur), ctl_jint(e, "duration_ms", -1));
		printf("  app %s, team %s, by %s, created %s, took %s%s\n", jstr_or(e, "app", "-"),
		       team && *team ? team : "-", jstr_or(e, "created_by", "-"), created, dur,
		       json_object_get_boolean(json_object_object_get(e, "dry_run")) ?
		       " (dry run)" : "");
		if (ctl_jint(e, "retry_of", 0) > 0)
			printf("  retry of execution %lld\n", (long long)ctl_jint(e, "retry_of", 0));
		print_steps(json_object_object_get(e, "steps"));
	}
	ctl_print_outputs(json_object_object_get(e, "outputs"));
}

static size_t
array_len(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

void
ctl_table_providers(json_object *a)
{
	size_t i, n = array_len(a);

	printf("%-20s %-9s %-9s %s\n", "PROVIDER", "VERSION", "WORKFLOWS", "RESOURCE TYPES");
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(a, i);
		json_object *types = json_object_object_get(p, "resource_types");
		size_t j, nt = array_len(types);

		printf("%-20s %-9s %-9zu ", jstr_or(p, "name", "?"), jstr_or(p, "version", "-"),
		       array_len(json_object_object_get(p, "workflows")));
		for (j = 0; j < nt; j++)
			printf("%s%s", j ? "," : "",
			       jstr_or(json_object_array_get_idx(types, j), "type", "?"));
		printf("%s\n", nt ? "" : "-");
	}
}

void
ctl_table_goldenpaths(json_object *a)
{
	size_t i, n = array_len(a);

	printf("%-24s %-14s %s\n", "GOLDEN PATH", "CATEGORY", "DESCRIPTION");
	for (i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(a, i);

		printf("%-24s %-14s %s\n", jstr_or(g, "name", "?"), jstr_or(g, "category", "-"),
		       jstr_or(g, "description", ""));
	}
}

void
ctl_table_workflows(json_object *o)
{
	json_object *data = json_object_object_get(o, "data");
	size_t i, n = array_len(data);
	long long page = ctl_jint(o, "page", 1), pages = ctl_jint(o, "total_pages", 1),
	          total = ctl_jint(o, "total", 0);

	/* said in words: "page 1 of 0" and an empty page 9 of 2 read as bugs */
	if (total == 0) {
		printf("no executions\n");
		return;
	}
	if (n == 0 && page > pages) {
		printf("page %lld is past the last page (%lld); %lld execution(s)\n", page, pages,
		       total);
		return;
	}
	printf("%-7s %-28s %-16s %-11s %-19s %s\n", "ID", "WORKFLOW", "APP", "STATUS",
	       "CREATED", "DURATION");
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(data, i);
		char created[32], dur[32];

		fmt_time(created, sizeof(created), ctl_jint(e, "created_ms", 0));
		fmt_ms(dur, sizeof(dur), ctl_jint(e, "duration_ms", -1));
		printf("%-7lld %-28s %-16s %-11s %-19s %s\n", (long long)ctl_jint(e, "id", 0),
		       jstr_or(e, "workflow", "?"), jstr_or(e, "app", "-"),
		       jstr_or(e, "status", "-"), created, dur);
	}
	printf("page %lld of %lld, %lld execution(s)\n", page, pages, total);
}

/* ---- in-process runs ---------------------------------------------------------------- */

static json_object *
step_json(const inn_step_result *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(s->def->name));
	json_object_object_add(o, "type", json_object_new_string(s->def->type));
	json_object_object_add(o, "status", json_object_new_string(inn_state_name(s->state)));
	json_object_object_add(o, "attempts", json_object_new_int(s->attempts));
	json_object_object_add(o, "message", s->message ? json_object_new_string(s->message)
	                                                : NULL);
	if (s->started_ms && s->ended_ms)
		json_object_object_add(o, "duration_ms",
		                       json_object_new_int64(s->ended_ms - s->started_ms));
	json_object_object_add(o, "config", json_object_get(s->config));
	json_object_object_add(o, "outputs", json_object_get(s->outputs));
	return o;
}

json_object *
ctl_run_json(const inn_workflow *wf, inn_run *run)
{
	json_object *o = json_object_new_object(), *steps = json_object_new_array();
	size_t i;

	json_object_object_add(o, "workflow", json_object_new_string(wf->name));
	json_object_object_add(o, "status",
	                       json_object_new_string(inn_state_name(inn_run_state(run))));
	json_object_object_add(o, "message", inn_run_message(run) ?
	                       json_object_new_string(inn_run_message(run)) : NULL);
	json_object_object_add(o, "parameters", inn_run_params_masked(run));
	for (i = 0; i < inn_run_nsteps(run); i++)
		json_object_array_add(steps, step_json(inn_run_step(run, i)));
	json_object_object_add(o, "steps", steps);
	json_object_object_add(o, "outputs", json_object_get(inn_run_outputs(run)));
	return o;
}

void
ctl_print_run(const inn_workflow *wf, inn_run *run, int dry_run)
{
	size_t i;

	if (dry_run) {
		printf("Dry run of workflow %s (nothing was changed):\n", wf->name);
		for (i = 0; i < inn_run_nsteps(run); i++) {
			const inn_step_result *s = inn_run_step(run, i);

			printf("  %-24s %-10s %s\n", s->def->name, s->def->type,
			       s->message ? s->message : inn_state_name(s->state));
			if (s->config != NULL)
				printf("    config: %s\n", json_object_to_json_string_ext(
				       s->config, JSON_C_TO_STRING_PLAIN |
				       JSON_C_TO_STRING_NOSLASHESCAPE));
		}
		return;
	}
	printf("Workflow %s %s%s%s\n", wf->name, inn_state_name(inn_run_state(run)),
	       inn_run_message(run) ? ": " : "",
	       inn_run_message(run) ? inn_run_message(run) : "");
	ctl_print_outputs(inn_run_outputs(run));
}

/* ---- exit codes ----------------------------------------------------------------------- */

int
ctl_exit_for_state(inn_state st)
{
	switch (st) {
	case INN_STATE_SUCCEEDED:
	case INN_STATE_WOULD_RUN:
		return CTL_EXIT_OK;
	case INN_STATE_CANCELLED:
	case INN_STATE_TIMED_OUT:
		return CTL_EXIT_STOPPED;
	default:
		return CTL_EXIT_FAILED;
	}
}

int
ctl_exit_for_status(const char *status)
{
	inn_state st;

	/* a word state.c does not know is a failure too */
	if (inn_state_parse(status, &st) != 0)
		return CTL_EXIT_FAILED;
	return ctl_exit_for_state(st);
}

void
ctl_fput_term(FILE *fp, const char *s, int keep_lines)
{
	const unsigned char *u;

	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (*u == 0x1b)
			fputs("\\e", fp);
		else if (*u == 0x7f)
			fputs("^?", fp);
		else if (*u < 0x20 && !(keep_lines && (*u == '\n' || *u == '\t')))
			fprintf(fp, "^%c", *u + '@');
		else
			fputc(*u, fp);
	}
}
