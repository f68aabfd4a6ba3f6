/*
 * test_ansible.c - ansible.so end to end through the real executor, worker
 * processes and a real ansible-playbook (skipped when it is not installed):
 * outputs and idempotence, check mode and dry-run, failing tasks,
 * unreachable hosts, hostile extra vars (shell text and Jinja stay text),
 * vault passwords from secrets, tags, masking, inline playbooks, timeouts
 * and the load-time validation of the config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "exec.h"
#include "host.h"
#include "model.h"
#include "testutil.h"

extern char **environ;

static tu_fx F;
/* What this file keeps besides the fixture. */
static struct {
	char data[1024];        /* tests/data/ansible in the source tree */
	/* The last ERROR line of the step: what the plugin says went wrong. */
	char last_error[2048];
	const char *base_dir;   /* non-NULL: the workflow's base folder */
} A;

static void
collect_log(void *ud, const char *step, int level, int stream, const char *line,
            size_t len)
{
	if (level >= INN_LOG_ERROR) {
		pthread_mutex_lock(&F.lock);
		snprintf(A.last_error, sizeof(A.last_error), "%.*s", (int)len, line);
		pthread_mutex_unlock(&F.lock);
	}
	tu_fx_log(ud, step, level, stream, line, len);
}

static int
setup(void **state)
{
	static const char *const plugins[] = { "ansible", NULL };
	const tu_engine_opts eo = { "ansible-plugins", plugins, 2, 2000, NULL };
	const char *src = getenv("INN_TOP_SRCDIR");

	*state = &F;
	memset(&A, 0, sizeof(A));
	tu_fx_setup(&F, &eo, "ansible-work");
	snprintf(A.data, sizeof(A.data), "%s/tests/data/ansible", src ? src : ".");
	return 0;
}

/* Loads a workflow; on failure returns NULL and the diagnostics in diag. */
static inn_workflow *
try_load(const char *yaml, char *diag, size_t len)
{
	return tu_load_wf(F.pol, F.reg, yaml, diag, len);
}

/* Runs yaml with optional params and secrets (JSON texts). */
static tu_result
run_wf(const char *yaml, const char *params, const char *secrets, int dry_run)
{
	tu_result r;
	inn_run_opts ro;
	json_object *p = params ? json_tokener_parse(params) : NULL;
	json_object *s = secrets ? json_tokener_parse(secrets) : NULL;

	A.last_error[0] = '\0';
	memset(&ro, 0, sizeof(ro));
	ro.params = p;
	ro.secrets = s;
	ro.dry_run = dry_run;
	ro.events.log = collect_log;
	r = tu_fx_run(&F, yaml, A.base_dir, &ro);
	json_object_put(p);
	json_object_put(s);
	return r;
}

static const inn_step_result *
step0(const tu_result *r)
{
	return inn_run_step(r->run, 0);
}


/* Reads a whole (small) file into a static buffer; NULL if missing. */
static const char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The extra_vars of write.yml (in a static buffer) writing content (YAML,
 * quoted where it needs to be) to file name in the scratch folder; the
 * file's path goes to dest. */
static const char *
write_vars(char *dest, size_t len, const char *name, const char *content)
{
	static char ev[4096];

	snprintf(dest, len, "%s", tu_path(F.work, name));
	snprintf(ev, sizeof(ev), "{dest: \"%s\", content: %s}", dest, content);
	return ev;
}

/* The workflow running write.yml with the given extra_vars body and more
 * config lines. */
static const char *
write_wf(const char *extra_vars, const char *more)
{
	static char yaml[8192];

	snprintf(yaml, sizeof(yaml),
	         "name: ansible-write\n"
	         "parameters:\n  - {name: content, type: string, default: \"\"}\n"
	         "steps:\n"
	         "  - name: play\n    type: ansible\n    config:\n"
	         "      playbook_base: %s\n      playbook: write.yml\n"
	         "      extra_vars: %s\n%s",
	         A.data, extra_vars, more ? more : "");
	return yaml;
}

static void
test_writes_file_and_is_idempotent(void **state)
{
	tu_result r;
	const char *ev;
	char dest[1024];

	(void)state;
	ev = write_vars(dest, sizeof(dest), "app.conf", "\"port=8080\\n\"");
	r = run_wf(write_wf(ev, NULL), NULL, NULL, 0);
	if (r.rc != 0)
		print_message("# %s\n# log:\n%s", step0(&r)->message, F.log);
	assert_int_equal(r.rc, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_SUCCEEDED);
	assert_string_equal(slurp(dest), "port=8080\n");
	assert_string_equal(tu_out(step0(&r), "changed"), "1");
	assert_string_equal(tu_out(step0(&r), "localhost.changed"), "1");
	assert_string_equal(tu_out(step0(&r), "changed_any"), "true");
	assert_string_equal(tu_out(step0(&r), "failed"), "0");
	assert_string_equal(tu_out(step0(&r), "unreachable"), "0");
	assert_string_equal(tu_out(step0(&r), "skipped"), "1"); /* no marker given */
	assert_string_equal(tu_out(step0(&r), "ok"), "2");
	TU_ASSERT_CONTAINS(F.log, "task \"write config\" on localhost: changed");
	TU_ASSERT_CONTAINS(F.log, "task \"show content\" on localhost: ok: content is "
	                   "port=8080");
	TU_ASSERT_CONTAINS(F.log, "task \"write marker\" on localhost: skipped");
	TU_ASSERT_CONTAINS(F.log, "localhost: ok=2 changed=1 failed=0 unreachable=0 "
	                   "skipped=1");
	tu_result_free(&r);

	/* the same again: nothing to change */
	r = run_wf(write_wf(ev, NULL), NULL, NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(tu_out(step0(&r), "changed"), "0");
	assert_string_equal(tu_out(step0(&r), "localhost.changed"), "0");
	assert_string_equal(tu_out(step0(&r), "changed_any"), "false");
	TU_ASSERT_CONTAINS(F.log, "task \"write config\" on localhost: ok");
	assert_string_equal(slurp(dest), "port=8080\n");
	tu_result_free(&r);
	unlink(dest);
}

static void
test_check_mode_and_dry_run_change_nothing(void **state)
{
	tu_result r;
	const char *ev;
	char dest[1024];

	(void)state;
	ev = write_vars(dest, sizeof(dest), "checked.conf", "\"new\"");

	/* config check: true reports what would change, and changes nothing */
	r = run_wf(write_wf(ev, "      check: true\n"), NULL, NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_false(tu_exists(dest));
	assert_string_equal(tu_out(step0(&r), "changed"), "1");
	tu_result_free(&r);

	/* the workflow as a dry-run: would-run, still nothing written */
	r = run_wf(write_wf(ev, NULL), NULL, NULL, 1);
	assert_int_equal(r.rc, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_WOULD_RUN);
	TU_ASSERT_CONTAINS(F.log, "dry-run: ansible-playbook runs with --check");
	assert_false(tu_exists(dest));
	tu_result_free(&r);

	/* an existing file stays as it was */
	assert_int_equal(tu_write(dest, "old"), 0);
	r = run_wf(write_wf(ev, NULL), NULL, NULL, 1);
	assert_int_equal(r.rc, 0);
	assert_string_equal(slurp(dest), "old");
	assert_string_equal(tu_out(step0(&r), "changed_any"), "true");
	tu_result_free(&r);
	unlink(dest);
}

static void
test_failing_task_fails_the_step(void **state)
{
	tu_result r;
	char yaml[8192];

	(void)state;
	snprintf(yaml, sizeof(yaml),
	         "name: ansible-fail\nsteps:\n"
	         "  - name: play\n    type: ansible\n    config:\n"
	         "      playbook: %s/fail.yml\n"
	         "      extra_vars: {reason: disk full}\n"
	         "  - name: after\n    type: ansible\n    config:\n"
	         "      playbook: %s/fail.yml\n", A.data, A.data);
	/* an absolute playbook must lie in the provider folder (IJ-9) */
	A.base_dir = A.data;
	r = run_wf(yaml, NULL, NULL, 0);
	A.base_dir = NULL;
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_FAILED);
	assert_string_equal(A.last_error, "task \"write config\" failed on "
	                    "localhost: config store is read-only (disk full)");
	assert_int_equal(inn_run_step(r.run, 1)->state, INN_STATE_SKIPPED);
	TU_ASSERT_CONTAINS(F.log, "task \"prepare\" on localhost: ok: preparing");
	assert_null(strstr(F.log, "never reached"));
	tu_result_free(&r);
}

static void
test_unreachable_host_fails_the_step(void **state)
{
	tu_result r;

	(void)state;
	/* ssh to port 1 of 127.0.0.2 (not a name ansible runs locally) is
	 * refused at once; ping is a task that has to connect */
	r = run_wf("name: ansible-unreachable\nsteps:\n"
	           "  - name: play\n    type: ansible\n    config:\n"
	           "      playbook_content: \"- hosts: all\\n  gather_facts: false\\n"
	           "  tasks:\\n    - name: ping it\\n      ping:\\n\"\n"
	           "      inventory: [127.0.0.2]\n"
	           "      env: {ANSIBLE_REMOTE_PORT: 1, ANSIBLE_TIMEOUT: 5}\n",
	           NULL, NULL, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(A.last_error, "host 127.0.0.2 is unreachable (task "
	                   "\"ping it\"): ");
	TU_ASSERT_CONTAINS(F.log, "127.0.0.2: ok=0 changed=0 failed=0 unreachable=1");
	tu_result_free(&r);
}

static void
test_hostile_extra_vars_stay_text(void **state)
{
	tu_result r;
	const char *ev;
	char dest[1024], pwned[1024], params[4096];

	(void)state;
	ev = write_vars(dest, sizeof(dest), "hostile.conf", "\"${parameters.content}\"");
	snprintf(pwned, sizeof(pwned), "%s", tu_path(F.work, "pwned"));

	/* shell syntax and quotes land verbatim */
	snprintf(params, sizeof(params), "{\"content\": \"$(touch %s); '\\\"\"}", pwned);
	r = run_wf(write_wf(ev, NULL), params, NULL, 0);
	assert_int_equal(r.rc, 0);
	{
		char want[4096];

		snprintf(want, sizeof(want), "$(touch %s); '\"", pwned);
		assert_string_equal(slurp(dest), want);
	}
	assert_false(tu_exists(pwned));
	tu_result_free(&r);

	/*
	 * ansible templates extra vars: a value "{{ lookup('pipe','id') }}"
	 * given through a JSON -e file runs `id`.  ansible.so writes every
	 * string as a YAML !unsafe scalar, so the Jinja stays text -- in the
	 * file and in the debug message -- and nothing runs.
	 */
	snprintf(params, sizeof(params), "{\"content\": \"{{ lookup('pipe','touch %s; "
	         "id') }} ünï ✓ \\u0007\"}", pwned);
	r = run_wf(write_wf(ev, NULL), params, NULL, 0);
	if (r.rc != 0)
		print_message("# %s\n# log:\n%s", step0(&r)->message, F.log);
	assert_int_equal(r.rc, 0);
	{
		char want[4096];

		snprintf(want, sizeof(want), "{{ lookup('pipe','touch %s; id') }} ünï ✓ \a",
		         pwned);
		assert_string_equal(slurp(dest), want);
	}
	assert_false(tu_exists(pwned));
	TU_ASSERT_CONTAINS(F.log, "content is {{ lookup('pipe','touch ");
	assert_null(strstr(F.log, "uid="));
	tu_result_free(&r);
	unlink(dest);
}

/* Runs argv (PATH searched) and waits; returns its exit status or -1. */
static int
run_prog(const char *const *argv)
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_vault_password_from_a_secret(void **state)
{
	tu_result r;
	char yaml[8192], vars[1024], pwfile[1024], dest[1024];
	const char *pw = "vault-pass-Zq81xx";
	const char *secrets = "{\"vaultpw\": \"vault-pass-Zq81xx\"}";

	(void)state;
	snprintf(vars, sizeof(vars), "%s", tu_path(F.work, "secret-vars.yml"));
	snprintf(pwfile, sizeof(pwfile), "%s", tu_path(F.work, "pw.txt"));
	snprintf(dest, sizeof(dest), "%s", tu_path(F.work, "db-password"));
	assert_int_equal(tu_write(vars, "db_password: s3cret-from-vault\n"), 0);
	assert_int_equal(tu_write(pwfile, pw), 0);
	{
		const char *argv[] = { "ansible-vault", "encrypt", "--vault-password-file",
		                       pwfile, vars, NULL };

		assert_int_equal(run_prog(argv), 0);
	}
	unlink(pwfile);
	assert_null(strstr(slurp(vars), "s3cret"));
	TU_ASSERT_CONTAINS(slurp(vars), "$ANSIBLE_VAULT;");

	snprintf(yaml, sizeof(yaml),
	         "name: ansible-vault\nsteps:\n"
	         "  - name: play\n    type: ansible\n    config:\n"
	         "      playbook_base: %s\n      playbook: vault.yml\n"
	         "      vault_password_secret: vaultpw\n"
	         "      extra_vars: {vault_file: \"%s\", dest: \"%s\"}\n",
	         A.data, vars, dest);
	r = run_wf(yaml, NULL, secrets, 0);
	if (r.rc != 0)
		print_message("# %s\n# log:\n%s", step0(&r)->message, F.log);
	assert_int_equal(r.rc, 0);
	assert_string_equal(slurp(dest), "s3cret-from-vault");
	assert_string_equal(tu_out(step0(&r), "changed"), "1");
	/* the password never reached the log, not even masked */
	assert_null(strstr(F.log, pw));
	assert_null(strstr(F.log, "***"));
	assert_null(strstr(json_object_to_json_string(step0(&r)->outputs), pw));
	assert_null(strstr(json_object_to_json_string(step0(&r)->config), pw));
	tu_result_free(&r);

	/* without the secret the step fails naming it */
	r = run_wf(yaml, NULL, "{}", 0);
	assert_int_not_equal(r.rc, 0);
	TU_ASSERT_CONTAINS(A.last_error, "config.vault_password_secret: ");
	TU_ASSERT_CONTAINS(A.last_error, "vaultpw");
	tu_result_free(&r);
	unlink(dest);
	unlink(vars);
}

static void
test_tags_select_tasks(void **state)
{
	tu_result r;
	const char *ev;
	char dest[1024], marker[1024], content[2048];

	(void)state;
	snprintf(marker, sizeof(marker), "%s", tu_path(F.work, "tagged.marker"));
	snprintf(content, sizeof(content), "x, marker: \"%s\"", marker);
	ev = write_vars(dest, sizeof(dest), "tagged.conf", content);
	r = run_wf(write_wf(ev, "      tags: [extra]\n"), NULL, NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_true(tu_exists(marker));
	assert_false(tu_exists(dest));
	assert_string_equal(tu_out(step0(&r), "changed"), "1");
	assert_null(strstr(F.log, "write config"));
	tu_result_free(&r);
	unlink(marker);

	/* skip_tags leaves the tagged task out */
	r = run_wf(write_wf(ev, "      skip_tags: [extra]\n"), NULL, NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_true(tu_exists(dest));
	assert_false(tu_exists(marker));
	tu_result_free(&r);
	unlink(dest);
}

static void
test_secret_in_extra_vars_is_masked(void **state)
{
	tu_result r;
	const char *ev;
	char dest[1024];

	(void)state;
	ev = write_vars(dest, sizeof(dest), "token.conf", "\"${secrets.api_token}\"");
	r = run_wf(write_wf(ev, NULL), NULL, "{\"api_token\": \"tok-98765-abcde\"}", 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(slurp(dest), "tok-98765-abcde");
	TU_ASSERT_CONTAINS(F.log, "content is ***");
	assert_null(strstr(F.log, "tok-98765-abcde"));
	tu_result_free(&r);
	unlink(dest);
}

static void
test_inline_playbook_and_timeout(void **state)
{
	tu_result r;

	(void)state;
	/* ${...} is the engine's; ansible's own Jinja needs {{ "{{" }} */
	r = run_wf("name: inline\n"
	           "parameters:\n  - {name: who, type: string, default: world}\n"
	           "steps:\n  - name: play\n    type: ansible\n    config:\n"
	           "      playbook_content: |\n"
	           "        - hosts: all\n"
	           "          gather_facts: false\n"
	           "          tasks:\n"
	           "            - name: greet\n"
	           "              debug: {msg: \"hello ${parameters.who} {{ \"{{\" }} 6 * 7 }}\"}\n",
	           NULL, NULL, 0);
	if (r.rc != 0)
		print_message("# %s\n# log:\n%s", step0(&r)->message, F.log);
	assert_int_equal(r.rc, 0);
	TU_ASSERT_CONTAINS(F.log, "task \"greet\" on localhost: ok: hello world 42");
	tu_result_free(&r);

	/* a syntax error stops ansible-playbook before any task */
	r = run_wf("name: broken\nsteps:\n  - name: play\n    type: ansible\n    config:\n"
	           "      playbook_content: \"- hosts: all\\n  tasks:\\n    - bogus_module_x: "
	           "a=1\\n\"\n", NULL, NULL, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(A.last_error, "ansible-playbook: ERROR! couldn't "
	                   "resolve module/action 'bogus_module_x'");
	tu_result_free(&r);

	/* config.timeout kills the process group */
	r = run_wf("name: slow\nsteps:\n  - name: play\n    type: ansible\n    config:\n"
	           "      timeout: 3s\n"
	           "      playbook_content: \"- hosts: all\\n  gather_facts: false\\n"
	           "  tasks:\\n    - command: sleep 60\\n\"\n", NULL, NULL, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_TIMED_OUT);
	TU_ASSERT_CONTAINS(A.last_error, "ansible-playbook timed out after 3s");
	tu_result_free(&r);
}

static void
test_playbook_cannot_escape_its_base(void **state)
{
	tu_result r;
	char yaml[8192], link[1024], diag[4096];

	(void)state;
	/* a symlink inside the base that leads out is refused */
	snprintf(link, sizeof(link), "%s", tu_path(F.work, "base"));
	assert_int_equal(mkdir(link, 0755), 0);
	snprintf(link, sizeof(link), "%s", tu_path(F.work, "base/out.yml"));
	{
		char target[2048];

		snprintf(target, sizeof(target), "%s/write.yml", A.data);
		assert_int_equal(symlink(target, link), 0);
	}
	snprintf(yaml, sizeof(yaml), "name: escape\nsteps:\n  - name: play\n"
	         "    type: ansible\n    config:\n      playbook_base: %s\n"
	         "      playbook: out.yml\n", tu_path(F.work, "base"));
	/* written out: refused at load, at the field */
	assert_null(tu_load_wf(F.pol, F.reg, yaml, diag, sizeof(diag)));
	TU_ASSERT_CONTAINS(diag, "test.yaml:7:7: error: step \"play\": ansible plugin "
	                   "refused the config: config.playbook: \"out.yml\" leads out of "
	                   "playbook_base");
	/* rendered: refused when it runs */
	snprintf(yaml, sizeof(yaml), "name: escape\nparameters: [{name: p, type: string, "
	         "default: out}]\nsteps:\n  - name: play\n"
	         "    type: ansible\n    config:\n      playbook_base: %s\n"
	         "      playbook: \"${parameters.p}.yml\"\n", tu_path(F.work, "base"));
	r = run_wf(yaml, NULL, NULL, 0);
	assert_int_equal(step0(&r)->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(A.last_error, "config.playbook: \"out.yml\" leads out "
	                   "of playbook_base");
	tu_result_free(&r);
	unlink(link);
	rmdir(tu_path(F.work, "base"));
}

static void
test_relative_playbook_resolves_in_the_base_folder(void **state)
{
	tu_result r;
	char yaml[8192];

	(void)state;
	/* no playbook_base: the workflow's folder (the provider's) is the base */
	A.base_dir = A.data;
	snprintf(yaml, sizeof(yaml), "name: rel\nsteps:\n  - name: play\n"
	         "    type: ansible\n    config:\n      playbook: fail.yml\n");
	r = run_wf(yaml, NULL, NULL, 0);
	A.base_dir = NULL;
	assert_int_equal(step0(&r)->state, INN_STATE_FAILED);
	assert_string_equal(A.last_error, "task \"write config\" failed on "
	                    "localhost: config store is read-only (no reason)");
	tu_result_free(&r);
}

static void
test_missing_ansible_playbook_is_named(void **state)
{
	inn_engine *saved = F.eng;
	inn_engine_opts eo;
	tu_result r;
	char *path = strdup(getenv("PATH"));
	char yaml[8192];

	(void)state;
	/* workers started with a PATH that has no ansible-playbook */
	setenv("PATH", F.work, 1);
	memset(&eo, 0, sizeof(eo));
	eo.plugin_dir = F.plugins;
	eo.policy = F.pol;
	eo.registry = F.reg;
	eo.workers = 1;
	assert_int_equal(inn_engine_new(&F.eng, &eo), 0);
	snprintf(yaml, sizeof(yaml), "name: missing\nsteps:\n  - name: play\n"
	         "    type: ansible\n    config:\n      playbook: %s/fail.yml\n", A.data);
	A.base_dir = A.data;
	r = run_wf(yaml, NULL, NULL, 0);
	A.base_dir = NULL;
	setenv("PATH", path, 1);
	free(path);
	if (A.last_error[0] == '\0')
		print_message("# message: %s\n# log:\n%s", step0(&r)->message, F.log);
	assert_int_equal(step0(&r)->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(A.last_error, "ansible-playbook not found in PATH; apt-get "
	                   "install --no-install-recommends ansible-core");
	tu_result_free(&r);
	inn_engine_free(F.eng);
	F.eng = saved;
}

static void
test_validate_names_the_field(void **state)
{
	static const struct {
		const char *config;
		const char *want;
	} cases[] = {
		{ "{inventory: localhost}", "needs exactly one of \"playbook\"" },
		{ "{playbook: /a.yml, playbook_content: x}", "needs exactly one of" },
		{ "{playbook: ../../etc/x.yml, playbook_base: /srv}",
		  "config.playbook: \"../../etc/x.yml\" must stay inside its base folder" },
		{ "{playbook: roles/../../x.yml}", "must stay inside its base folder" },
		{ "{playbook: site.yml, playbook_base: srv}",
		  "config.playbook_base: \"srv\" must be an absolute path" },
		{ "{playbook: /a.yml, extra_vars: [1, 2]}",
		  "config.extra_vars: must be an object" },
		{ "{playbook: /a.yml, extra_vars: {\"bad-name\": 1}}",
		  "config.extra_vars: \"bad-name\" is not a valid ansible variable name" },
		{ "{playbook: /a.yml, tags: deploy}", "config.tags: must be a list of strings" },
		{ "{playbook: /a.yml, tags: [a, 3]}", "config.tags.1: must be a string" },
		{ "{playbook: /a.yml, skip_tags: [\"a,b\"]}",
		  "config.skip_tags.0: \"a,b\" must be non-empty" },
		{ "{playbook: /a.yml, inventory: {a: 1}}",
		  "config.inventory: must be a string" },
		{ "{playbook: /a.yml, inventory: []}", "config.inventory: the list of hosts is "
		  "empty" },
		{ "{playbook: /a.yml, check: yes please}", "config.check: must be true or false" },
		{ "{playbook: /a.yml, timeout: soon}", "config.timeout: \"soon\" is not a "
		  "duration" },
		{ "{playbook: /a.yml, env: {\"1X\": a}}", "config.env: \"1X\" is not a valid" },
		{ "{playbook: /a.yml, vault_password: x}", "config: unknown field "
		  "\"vault_password\"" },
	};
	char yaml[1024], diag[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		inn_workflow *wf;

		snprintf(yaml, sizeof(yaml), "name: v\nsteps:\n  - name: s\n    type: ansible\n"
		         "    config: %s\n", cases[i].config);
		wf = try_load(yaml, diag, sizeof(diag));
		if (wf != NULL)
			print_message("# loaded: %s\n", cases[i].config);
		assert_null(wf);
		TU_ASSERT_CONTAINS(diag, cases[i].want);
	}
	/* templates are checked once rendered, not at load */
	snprintf(yaml, sizeof(yaml), "name: v\nparameters:\n  - {name: p, type: string, "
	         "default: x}\n  - {name: b, type: boolean, default: true}\n"
	         "steps:\n  - name: s\n    type: ansible\n    config:\n"
	         "      playbook: \"${parameters.p}\"\n      check: \"${parameters.b}\"\n"
	         "      inventory: [web1, \"${parameters.p}\"]\n");
	{
		inn_workflow *wf = try_load(yaml, diag, sizeof(diag));

		if (wf == NULL)
			print_message("# %s", diag);
		assert_non_null(wf);
		inn_workflow_free(wf);
	}
	/* ...but the folder a playbook is confined to is never rendered (IJ-9) */
	snprintf(yaml, sizeof(yaml), "name: v\nparameters:\n  - {name: p, type: string, "
	         "default: /}\nsteps:\n  - name: s\n    type: ansible\n    config:\n"
	         "      playbook: etc/shadow\n      playbook_base: \"${parameters.p}\"\n");
	assert_null(try_load(yaml, diag, sizeof(diag)));
	TU_ASSERT_CONTAINS(diag, "config.playbook_base: must be written out, not "
	                   "rendered from a template");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_file_and_is_idempotent),
		cmocka_unit_test(test_check_mode_and_dry_run_change_nothing),
		cmocka_unit_test(test_failing_task_fails_the_step),
		cmocka_unit_test(test_unreachable_host_fails_the_step),
		cmocka_unit_test(test_hostile_extra_vars_stay_text),
		cmocka_unit_test(test_vault_password_from_a_secret),
		cmocka_unit_test(test_tags_select_tasks),
		cmocka_unit_test(test_secret_in_extra_vars_is_masked),
		cmocka_unit_test(test_inline_playbook_and_timeout),
		cmocka_unit_test(test_playbook_cannot_escape_its_base),
		cmocka_unit_test(test_relative_playbook_resolves_in_the_base_folder),
		cmocka_unit_test(test_missing_ansible_playbook_is_named),
		cmocka_unit_test(test_validate_names_the_field),
	};
	int w = inn_worker_maybe_main(argc, argv);

	if (w >= 0)
		return w;
	if (!tu_in_path("ansible-playbook") || !tu_in_path("ansible-vault")) {
		printf("1..0 # SKIP ansible-playbook not installed\n");
		return 0;
	}
	return cmocka_run_group_tests_name("ansible", tests, setup, tu_fx_group_teardown);
}
