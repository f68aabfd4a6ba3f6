/*
 * output.h - what innominatus-ctl prints, the same way for a run on the
 * server (ctl/cmd_remote.c, ctl/remote_sse.c) and one in-process
 * (ctl/cmd_run.c): JSON on stdout, the live status line on a terminal,
 * step log lines, outputs, execution and catalog tables, and the exit code
 * for a run's final status word (inn_state_name's words, as the API uses).
 */
#ifndef INN_CTL_OUTPUT_H
#define INN_CTL_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "exec.h"

/* j, pretty, on stdout: JSON, or YAML after ctl_output_yaml(1) (-o yaml:
 * block style; strings a YAML 1.1 or 1.2 reader would take for something
 * else -- "yes", "null", "1e3", "-x", "a: b", "#", "", multi-line -- are
 * double-quoted with escapes). */
void ctl_print_json(json_object *j);
/* One item of a stream (an event of logs -f): one JSON line, or a YAML
 * document starting "---"; flushed. */
void ctl_print_stream(json_object *j);
void ctl_output_yaml(int on);

/* o[key] as a string / an integer; NULL / def when absent or another type. */
const char *ctl_jstr(json_object *o, const char *key);
int64_t ctl_jint(json_object *o, const char *key, int64_t def);

/* ms since the epoch as local "YYYY-MM-DD HH:MM:SS" into out; "-" for 0
 * or less. */
void ctl_fmt_time(char *out, size_t len, int64_t ms);

/* The status line at the bottom of a terminal while a run goes ("\r" and
 * erase-line on stderr).  Drawn only when on is set (stderr is a terminal
 * and the output is not JSON); cleared before any other line is printed. */
typedef struct ctl_status {
	int on;       /* drawing allowed */
	int shown;    /* a status line is on the screen now */
} ctl_status;

void ctl_status_init(ctl_status *s, int json);
/* Draws "<what>: <step>" (just what when step is empty). */
void ctl_status_draw(ctl_status *s, const char *what, const char *step);
void ctl_status_clear(ctl_status *s);

/* One step log line: "<indent><step padded>| <line>"; len < 0: strlen. */
void ctl_print_log(FILE *fp, const char *indent, const char *step, const char *line, int len);

/* "Outputs:" and one "  name: value" line each; nothing for no outputs. */
void ctl_print_outputs(json_object *outs);

/* One execution of the API's shape (GET /api/workflows/{id}) as text; with
 * detailed its owner, timings and step table too. */
void ctl_print_exec(json_object *e, int detailed);

/* Tables of GET /api/providers, /api/golden-paths (the shapes of
 * inn_provider_json and inn_goldenpath_json) and /api/workflows. */
void ctl_table_providers(json_object *a);
void ctl_table_goldenpaths(json_object *a);
void ctl_table_workflows(json_object *o);

/* An in-process run (ctl/cmd_run.c) as JSON of the API's shape: the run's
 * and each step's state under "status". */
json_object *ctl_run_json(const inn_workflow *wf, inn_run *run);
/* An in-process run's end as text: the final status and the outputs, or,
 * for a dry run, what each step would do. */
void ctl_print_run(const inn_workflow *wf, inn_run *run, int dry_run);

/* The exit code (enum ctl_exit) for a run's final state / status word. */
int ctl_exit_for_state(inn_state st);
int ctl_exit_for_status(const char *status);

/* Writes s for a terminal: ESC as \e, DEL as ^?, any other control
 * character as ^X (^[ ...), tab and newline kept when keep_lines -- so text
 * from a server or a step cannot move the cursor, retitle the window or
 * hide what comes before it. */
void ctl_fput_term(FILE *fp, const char *s, int keep_lines);
/* s as ctl_fput_term writes it when fp is a terminal, else s itself (the
 * copy lives until 32 more calls). */
const char *ctl_term_safe(FILE *fp, const char *s);

#endif
