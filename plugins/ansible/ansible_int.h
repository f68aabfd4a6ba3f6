/*
 * ansible_int.h - what the files of ansible.so share: its limits, the step
 * config and the functions one file offers the others.  Layers, top down:
 * ansible.c (workspace files, command line, entry points) ->
 * ansible_result.c (judging the run) / ansible_vars.c (extra vars as YAML)
 * / ansible_config.c (the step config).
 */
#ifndef INN_ANSIBLE_INT_H
#define INN_ANSIBLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

#include "plugin_util.h"

#define ANSIBLE_PROGRAM "ansible-playbook"
#define ANSIBLE_MISSING "ansible-playbook not found in PATH; apt-get install " \
	"--no-install-recommends ansible-core"
#define ANSIBLE_CAPTURE_MAX (16u * 1024 * 1024)
#define ANSIBLE_PATH_MAX 4096
#define ANSIBLE_YAML_DEPTH_MAX 64
#define ANSIBLE_MSG_MAX 600     /* bytes of a task message in a log line */
#define ANSIBLE_LOG_READ_MAX (256 * 1024)
#define ANSIBLE_DIR ".inn-ansible"
/* extra-vars.yml may be this large. */
#define ANSIBLE_VARS_MAX (16u * 1024 * 1024)

/* The step config, read through the host's typed inputs.  Strings are
 * borrowed from the host; the arrays are ours. */
struct ansible_config {
	const char *playbook;
	const char *playbook_base;
	const char *playbook_content;
	const char *inventory;        /* a string, or NULL */
	const char **inventory_list;  /* NULL-terminated hosts, or NULL */
	int has_extra_vars;
	const char **tags;            /* NULL-terminated, or NULL */
	const char **skip_tags;
	int check, diff, become;
	const char *vault_secret;
	const char *limit;
	char **env;                   /* NULL-terminated "NAME=value", or NULL */
	int64_t timeout_ms;           /* 0: none */
};

/* ---- ansible_config.c ---- */

/*
 * Reads and checks the whole step config into c.  rendered is zero at load
 * time: strings that still hold templates then skip their content checks.
 * Returns 0, or INN_EINVAL / INN_ENOMEM with a one-line reason naming the
 * field in err; c is then freed.
 */
int ans_config_read(const inn_host *host, const inn_step *step, int rendered,
                    struct ansible_config *c, char *err, size_t errlen);
void ans_config_free(struct ansible_config *c);

/* ---- ansible_vars.c ---- */

/*
 * Appends the object v (config.extra_vars) to b as one line of YAML flow
 * text in which every string is "!unsafe": ansible then never templates
 * it, so "{{ lookup('pipe', ...) }}" in a value stays text.  (A JSON -e
 * @file would not do: ansible templates JSON extra vars, and JSON has no
 * way to say !unsafe.)  Returns 0, INN_EINVAL (too deep, not UTF-8) or
 * INN_ENOMEM / INN_ETOOBIG, with a one-line reason in err.
 */
int ans_vars_yaml(pu_buf *b, json_object *v, char *err, size_t errlen);

/* ---- ansible_result.c ---- */

/*
 * Turns the finished run (stdout captured in res, ansible's log file at
 * log_path) into the step result: the per-task summary, the outputs, and
 * -- if a task failed, a host was unreachable or the program failed -- an
 * error whose message (the last ERROR log line, which the engine makes the
 * step message) names the task, host and reason.
 */
int ans_judge_run(const inn_host *host, inn_step *step, const char *log_path,
                  const inn_spawn_result *res);

#endif
