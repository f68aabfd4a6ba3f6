/*
 * cmd_completion.c - shell completion for innominatus-ctl: `completion
 * bash|zsh` prints a script generated from the command table (ctl_spec.c)
 * -- commands, subcommands, each command's options, option values, files
 * and folders where an argument is one -- and the hidden `__complete KIND
 * [PREFIX]` gives the script the names only a server knows (providers,
 * workflows, golden paths, execution ids, apps), asking it for at most 2 s
 * and saying nothing when it does not answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctl.h"
#include "ctl_spec.h"
#include "output.h"
#include "remote.h"

#define COMPLETE_TIMEOUT_MS 2000L
#define COMPLETE_MAX_BODY (4u << 20)

/* ---- the scripts ------------------------------------------------------------- */

/* The kinds of ctl_arg bits as the scripts' words: the __complete KIND or
 * "file"/"dir". */
static void
kind_words(FILE *fp, unsigned kinds)
{
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {
		{ CTL_ARG_GOLDENPATH, "goldenpaths" }, { CTL_ARG_WORKFLOW, "workflows" },
		{ CTL_ARG_PROVIDER, "providers" }, { CTL_ARG_EXEC, "executions" },
		{ CTL_ARG_APP, "apps" }, { CTL_ARG_FILE, "file" }, { CTL_ARG_DIR, "dir" },
	};
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (kinds & words[i].bit)
			fprintf(fp, "%s%s", n++ ? " " : "", words[i].word);
}

/* The case arms both shells read alike (zsh takes bash's `pat)` form):
 *   _inn_valopt:  the options that take a value (skipped with it)
 *   _inn_optval:  $prev's values: "@w1 w2" words, "file", "dir", a KIND, or ""
 *   _inn_opts:    "$cmd $sub"'s options
 *   _inn_subs:    $cmd's subcommands
 *   _inn_args:    "$cmd $sub:$narg"'s argument kinds */
static void
script_tables(FILE *fp)
{
	size_t i, k;
	int n, a;

	fputs("_inn_valopt() {\n\tcase $1 in\n\t", fp);
	for (i = 0, n = 0; i < ctl_noptions; i++)
		if (ctl_options[i].arg != NULL) {
			fputs(n++ ? "|" : "", fp);
			ctl_spec_spellings(fp, &ctl_options[i], "|");
		}
	fputs(") return 0 ;;\n\tesac\n\treturn 1\n}\n", fp);

	fputs("_inn_optval() {\n\tcase $1 in\n", fp);
	for (i = 0; i < ctl_noptions; i++) {
		const ctl_option *p = &ctl_options[i];

		if (p->arg == NULL)
			continue;
		fputs("\t", fp);
		ctl_spec_spellings(fp, p, "|");
		fputs(") REPLY='", fp);
		if (p->values != NULL)
			fprintf(fp, "@%s", p->values);
		else if (p->value_kind != CTL_ARG_WORD)
			kind_words(fp, p->value_kind);
		fputs("' ;;\n", fp);
	}
	fputs("\t*) return 1 ;;\n\tesac\n}\n", fp);

	fputs("_inn_opts() {\n\tcase $1 in\n", fp);
	for (i = 0; i < ctl_ncommands; i++) {
		const ctl_cmd_spec *c = &ctl_commands[i];

		if (c->hidden & CTL_HIDE)
			continue;
		fprintf(fp, "\t'%s %s') REPLY='", c->parent ? c->parent : c->name,
		        c->parent ? c->name : "");
		for (k = 0, n = 0; k < ctl_noptions; k++)
			if (ctl_spec_takes(c, &ctl_options[k])) {
				fputs(n++ ? " " : "", fp);
				ctl_spec_spellings(fp, &ctl_options[k], " ");
			}
		fputs("' ;;\n", fp);
	}
	fputs("\t*) REPLY='--help --version' ;;\n\tesac\n}\n", fp);

	fputs("_inn_subs() {\n\tREPLY=\n\tcase $1 in\n", fp);
	for (i = 0; i < ctl_ncommands; i++) {
		const ctl_cmd_spec *c = &ctl_commands[i];

		if (c->parent != NULL || !ctl_spec_has_subs(c))
			continue;
		fprintf(fp, "\t%s) REPLY='", c->name);
		for (k = 0, n = 0; k < ctl_ncommands; k++)
			if (ctl_commands[k].parent != NULL && strcmp(ctl_commands[k].parent, c->name) == 0)
				fprintf(fp, "%s%s", n++ ? " " : "", ctl_commands[k].name);
		fputs("' ;;\n", fp);
	}
	fputs("\tesac\n}\n", fp);

	fputs("_inn_args() {\n\tREPLY=\n\tcase $1 in\n", fp);
	for (i = 0; i < ctl_ncommands; i++) {
		const ctl_cmd_spec *c = &ctl_commands[i];

		for (a = 0; a < 3 && c->args[a] != 0 && !(c->hidden & CTL_HIDE); a++) {
			if (c->args[a] == CTL_ARG_WORD)
				continue;
			fprintf(fp, "\t'%s %s:%d') REPLY='", c->parent ? c->parent : c->name,
			        c->parent ? c->name : "", a);
			kind_words(fp, c->args[a]);
			fputs("' ;;\n", fp);
		}
	}
	fputs("\tesac\n}\n", fp);

	fputs("_inn_commands='", fp);
	for (i = 0, n = 0; i < ctl_ncommands; i++)
		if (ctl_commands[i].parent == NULL && !(ctl_commands[i].hidden & CTL_HIDE))
			fprintf(fp, "%s%s", n++ ? " " : "", ctl_commands[i].name);
	fputs("'\n", fp);
}

/* The loop both scripts run over the words before the cursor: finds the
 * command, its subcommand, the number of arguments so far and --server
 * (passed on to __complete).  words/first: the shell's array and its first
 * index after the command name. */
static void
script_scan(FILE *fp, const char *words, int first, const char *cword)
{
	fprintf(fp,
	    "\tcmd= sub= narg=0 srv=()\n"
	    "\tfor (( i = %d; i < %s; i++ )); do\n"
	    "\t\tw=${%s[i]}\n"
	    "\t\tcase $w in\n"
	    "\t\t--server) srv=(--server \"${%s[i+1]}\"); (( i++ )); continue ;;\n"
	    "\t\t--server=*) srv=(\"$w\"); continue ;;\n"
	    "\t\t--) continue ;;\n"
	    "\t\t-*) _inn_valopt \"$w\" && (( i++ )); continue ;;\n"
	    "\t\tesac\n"
	    "\t\tif [[ -z $cmd ]]; then\n"
	    "\t\t\tcmd=$w\n"
	    "\t\telif [[ -z $sub ]] && _inn_subs \"$cmd\" && [[ -n $REPLY ]]; then\n"
	    "\t\t\tsub=$w\n"
	    "\t\telse\n"
	    "\t\t\t(( narg++ ))\n"
	    "\t\tfi\n"
	    "\tdone\n", first, cword, words, words);
}

/* _inn_kinds KIND...: the files or folders asked, and every server kind
 * in one __complete call (a server that does not answer costs 2 s once). */
static void
script_kinds(FILE *fp)
{
	fputs("_inn_kinds() {\n"
	      "\tlocal k remote=\n"
	      "\tfor k in \"$@\"; do\n"
	      "\t\tcase $k in\n"
	      "\t\tfile|dir) _inn_add \"$k\" \"$cur\" ;;\n"
	      "\t\t*) remote=${remote:+$remote,}$k ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\t[[ -n $remote ]] && _inn_add \"$remote\" \"$cur\"\n"
	      "\treturn 0\n"
	      "}\n", fp);
}

/* The rest of the completion function, alike in both shells but for how a
 * list in $REPLY is split into words (words: $REPLY or ${=REPLY}):
 * an option's value, an option, a command, a subcommand, or an argument. */
static void
script_choose(FILE *fp, const char *words)
{
	fprintf(fp,
	    "\tif _inn_optval \"$prev\"; then\n"
	    "\t\t[[ $REPLY == @* ]] && { _inn_add \"$REPLY\" \"$cur\"; return 0; }\n"
	    "\t\t_inn_kinds %s\n"
	    "\t\treturn 0\n"
	    "\tfi\n"
	    "\tif [[ $cur == -* ]]; then\n"
	    "\t\t_inn_opts \"$cmd $sub\"\n"
	    "\t\t_inn_add \"@$REPLY\" \"$cur\"\n"
	    "\telif [[ -z $cmd ]]; then\n"
	    "\t\t_inn_add \"@$_inn_commands\" \"$cur\"\n"
	    "\telif _inn_subs \"$cmd\" && [[ -n $REPLY && -z $sub ]]; then\n"
	    "\t\t_inn_add \"@$REPLY\" \"$cur\"\n"
	    "\telse\n"
	    "\t\t_inn_args \"$cmd $sub:$narg\"\n"
	    "\t\t_inn_kinds %s\n"
	    "\tfi\n"
	    "\treturn 0\n"
	    "}\n", words, words);
}

static void
script_bash(FILE *fp)
{
	fputs("# bash completion for innominatus-ctl -*- shell-script -*-\n"
	      "# Generated by `innominatus-ctl completion bash` from its command table:\n"
	      "# regenerate it rather than edit it.  Names only the server knows come from\n"
	      "# `innominatus-ctl __complete KIND PREFIX` (--server or INNOMINATUS_SERVER).\n", fp);
	script_tables(fp);
	/* each candidate is one line read into the array as it is: a name
	 * like "*" is never a pattern, one with spaces never two words; the
	 * server's names are added shell-quoted (printf %q) */
	fputs("_inn_add() {\n"
	      "\t# candidates of kind $1 (KIND or KIND,KIND...) for the word $2 into COMPREPLY\n"
	      "\tlocal -a c=()\n"
	      "\tlocal q\n"
	      "\tcase $1 in\n"
	      "\t@*) mapfile -t c < <(IFS=' '; compgen -W \"${1#@}\" -- \"$2\") ;;\n"
	      "\tfile) compopt -o filenames 2>/dev/null; mapfile -t c < <(compgen -f -- \"$2\") ;;\n"
	      "\tdir) compopt -o filenames 2>/dev/null; mapfile -t c < <(compgen -d -- \"$2\") ;;\n"
	      "\t*) mapfile -t c < <(\"$ctl\" \"${srv[@]}\" __complete \"$1\" \"$2\" 2>/dev/null)\n"
	      "\t\t# the server's names go in quoted, as they would have to be typed:\n"
	      "\t\t# bash inserts a candidate as it is ($(...), ;, * would be code)\n"
	      "\t\tfor q in \"${c[@]}\"; do printf -v q %q \"$q\"; COMPREPLY+=(\"$q\"); done\n"
	      "\t\treturn ;;\n"
	      "\tesac\n"
	      "\tCOMPREPLY+=(\"${c[@]}\")\n"
	      "}\n"
	      "_innominatus_ctl() {\n"
	      "\tlocal cur prev ctl=${1:-innominatus-ctl} cmd sub narg i w k REPLY\n"
	      "\tlocal -a srv\n"
	      "\tCOMPREPLY=()\n"
	      "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	      "\tprev=\n"
	      "\t(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}\n", fp);
	script_scan(fp, "COMP_WORDS", 1, "COMP_CWORD");
	script_choose(fp, "$REPLY");
	script_kinds(fp);
	fputs("complete -F _innominatus_ctl innominatus-ctl\n", fp);
}

static void
script_zsh(FILE *fp)
{
	fputs("#compdef innominatus-ctl\n"
	      "# zsh completion for innominatus-ctl.  Generated by `innominatus-ctl\n"
	      "# completion zsh` from its command table: regenerate it rather than edit\n"
	      "# it.  Names only the server knows come from `innominatus-ctl __complete\n"
	      "# KIND PREFIX` (--server or INNOMINATUS_SERVER).\n", fp);
	script_tables(fp);
	fputs("_inn_add() {\n"
	      "\t# candidates of kind $1 for the word $2\n"
	      "\tcase $1 in\n"
	      "\t@*) compadd -- ${=${1#@}} ;;\n"
	      "\tfile) _files ;;\n"
	      "\tdir) _files -/ ;;\n"
	      "\t*) local -a c\n"
	      "\t\tc=(\"${(@f)$(\"$ctl\" \"${srv[@]}\" __complete \"$1\" \"$2\" 2>/dev/null)}\")\n"
	      "\t\tcompadd -- \"${(@)c:#}\" ;;\n"
	      "\tesac\n"
	      "}\n"
	      "_innominatus-ctl() {\n"
	      "\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]} ctl=${words[1]}\n"
	      "\tlocal cmd sub w k REPLY\n"
	      "\tlocal -a srv\n"
	      "\tinteger i narg\n", fp);
	script_scan(fp, "words", 2, "CURRENT");
	script_choose(fp, "${=REPLY}");
	script_kinds(fp);
	fputs("# autoloaded from $fpath, or sourced: `source <(innominatus-ctl completion zsh)`\n"
	      "if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n"
	      "\t_innominatus-ctl \"$@\"\n"
	      "else\n"
	      "\tcompdef _innominatus-ctl innominatus-ctl\n"
	      "fi\n", fp);
}

int
ctl_cmd_completion(const ctl_opts *o, int argc, char **argv)
{
	(void)o;
	if (argc == 1 && strcmp(argv[0], "bash") == 0)
		script_bash(stdout);
	else if (argc == 1 && strcmp(argv[0], "zsh") == 0)
		script_zsh(stdout);
	else
		return ctl_usage("completion bash|zsh");
	return CTL_EXIT_OK;
}

/* ---- __complete: the candidates ------------------------------------------------ */

static void
candidate(const char *s, const char *prefix)
{
	const unsigned char *u;

	if (s == NULL || *s == '\0' || strncmp(s, prefix, strlen(prefix)) != 0)
		return;
	/* a name is the server's to choose: one with ESC, BEL, a newline...
	 * would write to the terminal of whoever presses Tab */
	for (u = (const unsigned char *)s; *u != '\0'; u++)
		if (*u < 0x20 || *u == 0x7f)
			return;
	printf("%s\n", s);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	return inn_buf_add(ud, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* When the completion's look-ups must have ended (ms of CLOCK_MONOTONIC):
 * every kind asked shares one limit, so a dead server costs it 2 s. */
static long long deadline_ms;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET path within what is left of the completion's time; the reply
 * parsed, or NULL. */
static json_object *
get_quick(struct remote *r, const char *path)
{
	long left = (long)(deadline_ms - now_ms());

	char errbuf[CURL_ERROR_SIZE];
	inn_buf b = INN_BUF_INIT(COMPLETE_MAX_BODY);
	CURL *c = remote_handle(r, path, errbuf);
	json_object *j = NULL;
	long status = 0;

	if (c == NULL)
		return NULL;
	if (left < 1) {
		curl_easy_cleanup(c);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status == 200 && b.p != NULL)
		j = json_tokener_parse(b.p);
	curl_easy_cleanup(c);
	inn_buf_free(&b);
	return j;
}

/* A list reply: the array itself, or its "data" array. */
static json_object *
items(json_object *reply)
{
	json_object *d = json_object_is_type(reply, json_type_array) ? reply :
	                 json_object_object_get(reply, "data");

	return json_object_is_type(d, json_type_array) ? d : NULL;
}

static const char *
name_of(json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	       ctl_jstr(v, "name");
}

/* The server's candidates of kind, filtered by prefix. */
static void
kind_candidates(struct remote *r, const char *kind, const char *prefix)
{
	json_object *reply = NULL, *a;
	const char *path;
	char buf[512];
	size_t i, j;

	if (strcmp(kind, "providers") == 0 || strcmp(kind, "workflows") == 0)
		path = "/api/providers";
	else if (strcmp(kind, "goldenpaths") == 0)
		path = "/api/golden-paths";
	else if (strcmp(kind, "executions") == 0)
		path = "/api/workflows?page=1&page_size=200";
	else if (strcmp(kind, "apps") == 0)
		path = "/api/applications";
	else
		return;
	if ((a = items(reply = get_quick(r, path))) == NULL)
		goto out;
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i), *wfs;

		if (strcmp(kind, "executions") == 0) {
			json_object *id = json_object_object_get(e, "id");

			/* an id that is no number is no execution: dropped, not "0" */
			if (id == NULL || !json_object_is_type(id, json_type_int) ||
			    json_object_get_int64(id) <= 0)
				continue;
			snprintf(buf, sizeof(buf), "%lld", (long long)json_object_get_int64(id));
			candidate(buf, prefix);
		} else if (strcmp(kind, "workflows") != 0) {
			candidate(name_of(e), prefix);
		} else if ((wfs = json_object_object_get(e, "workflows")) != NULL &&
		           json_object_is_type(wfs, json_type_array) && name_of(e) != NULL) {
			for (j = 0; j < json_object_array_length(wfs); j++) {
				const char *w = name_of(json_object_array_get_idx(wfs, j));

				if (w != NULL && (size_t)snprintf(buf, sizeof(buf), "%s/%s", name_of(e), w)
				    < sizeof(buf))
					candidate(buf, prefix);
			}
		}
	}
out:
	json_object_put(reply);
}

/* The candidates of each kind of argv[0] ("goldenpaths,workflows": the
 * script asks once for all of an argument's kinds), filtered by argv[1]. */
static int
remote_candidates(struct remote *r, int argc, char **argv)
{
	char kinds[256], *kind, *save = NULL;

	(void)argc;
	snprintf(kinds, sizeof(kinds), "%s", argv[0]);
	for (kind = strtok_r(kinds, ",", &save); kind != NULL;
	     kind = strtok_r(NULL, ",", &save))
		kind_candidates(r, kind, argv[1]);
	return CTL_EXIT_OK;
}

int
ctl_cmd_complete(const ctl_opts *o, int argc, char **argv)
{
	ctl_opts d = *o;
	char *args[2], empty[1] = "";
	size_t i;

	if (argc < 1)
		return CTL_EXIT_OK;
	args[0] = argv[0];
	args[1] = argc > 1 ? argv[1] : empty;
	if (strcmp(args[0], "commands") == 0) {
		for (i = 0; i < ctl_ncommands; i++)
			if (ctl_commands[i].parent == NULL && !(ctl_commands[i].hidden & CTL_HIDE))
				candidate(ctl_commands[i].name, args[1]);
		return CTL_EXIT_OK;
	}
	if (strcmp(args[0], "subcommands") == 0) {
		for (i = 0; argc > 1 && i < ctl_ncommands; i++)
			if (ctl_commands[i].parent != NULL && strcmp(ctl_commands[i].parent, argv[1]) == 0 &&
			    !(ctl_commands[i].hidden & CTL_HIDE))
				printf("%s\n", ctl_commands[i].name);
		return CTL_EXIT_OK;
	}
	if (strcmp(args[0], "options") == 0) {
		const ctl_cmd_spec *c = argc > 1 ? ctl_spec_command(NULL, argv[1]) : NULL;

		if (c != NULL && argc > 2 && ctl_spec_command(c->name, argv[2]) != NULL)
			c = ctl_spec_command(c->name, argv[2]);
		if (c != NULL)
			ctl_spec_print_options(stdout, c);
		return CTL_EXIT_OK;
	}
	/* a shell is waiting: nothing on its terminal, whatever goes wrong */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return CTL_EXIT_OK;
	if (ctl_server_url(&d) == NULL)
		d.server = CTL_DEFAULT_SERVER;
	deadline_ms = now_ms() + COMPLETE_TIMEOUT_MS;
	ctl_remote_call(&d, remote_candidates, 2, args);
	return CTL_EXIT_OK;
}
