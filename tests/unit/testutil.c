/*
 * testutil.c - helpers for the unit tests (see testutil.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "error.h"
#include "exec.h"
#include "host.h"
#include "load_int.h"
#include "model.h"
#include "policy.h"
#include "registry.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *
tu_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096], *out;

	snprintf(tmpl, sizeof(tmpl), "%s/inn-test-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
	         tag);
	if (mkdtemp(tmpl) == NULL)
		return NULL;
	chmod(tmpl, 0755);
	out = strdup(tmpl);
	return out;
}

void
tu_rmrf(const char *path)
{
	inn_rmrf(path);
}

void
tu_rmrf_free(char *path)
{
	inn_rmrf(path);
	free(path);
}

int
tu_copy(const char *src, const char *dir, const char *name, mode_t mode)
{
	char dst[4096], buf[65536];
	int in, out, rc = -1;
	ssize_t n;

	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if ((in = open(src, O_RDONLY)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto out;
	if (n == 0 && fchmod(out, mode) == 0)
		rc = 0;
out:
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int
tu_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL)
		return -1;
	rc = fputs(text, fp) < 0 ? -1 : 0;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

int
tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

const char *
tu_fixture(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("INN_FIXTURE_DIR");

	snprintf(buf, sizeof(buf), "%s/%s.so", dir ? dir : "tests/plugins/.libs", name);
	return buf;
}

const char *
tu_path(const char *dir, const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

int
tu_contains(const char *hay, const char *needle)
{
	if (hay != NULL && strstr(hay, needle) != NULL)
		return 1;
	printf("# expected: %s\n#      got: %s\n", needle, hay ? hay : "(null)");
	fflush(stdout);
	return 0;
}

const inn_step_result *
tu_step(const inn_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < inn_run_nsteps(run); i++)
		if (strcmp(inn_run_step(run, i)->def->name, name) == 0)
			return inn_run_step(run, i);
	fail_msg("no step %s", name);
	return NULL;
}

const char *
tu_out(const inn_step_result *s, const char *key)
{
	json_object *v;

	if (s->outputs == NULL || !json_object_object_get_ex(s->outputs, key, &v))
		return NULL;
	return json_object_get_string(v);
}

int
tu_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	pid_t p;
	int st = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((p = fork()) == 0) {
		setenv("GIT_AUTHOR_NAME", "Test", 1);
		setenv("GIT_AUTHOR_EMAIL", "test@example.org", 1);
		setenv("GIT_COMMITTER_NAME", "Test", 1);
		setenv("GIT_COMMITTER_EMAIL", "test@example.org", 1);
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The built plugin name (shell, terraform, ansible) or fixture. */
static void
plugin_path(char *buf, size_t len, const char *name)
{
	const char *top = getenv("INN_TOP_BUILDDIR"), *shell = getenv("INN_SHELL_SO");

	if (strcmp(name, "shell") == 0 && shell != NULL)
		snprintf(buf, len, "%s", shell);
	else if (strcmp(name, "shell") == 0 || strcmp(name, "terraform") == 0 ||
	         strcmp(name, "ansible") == 0)
		snprintf(buf, len, "%s/plugins/%s/.libs/%s.so", top ? top : ".", name,
		         name);
	else
		snprintf(buf, len, "%s", tu_fixture(name));
}

int
tu_in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];

	for (p = path ? path : "/usr/bin:/bin"; ; p = end + 1) {
		size_t n;

		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (n > 0 && access(buf, X_OK) == 0)
			return 1;
		if (end == NULL)
			return 0;
	}
}

void
tu_engine_setup(const tu_engine_opts *o, char **plugin_dir, inn_policy **pol,
                inn_registry **reg, inn_engine **eng)
{
	inn_engine_opts eo;
	char so[4096], file[256];
	size_t i;

	assert_non_null(*plugin_dir = tu_mkdtemp(o->tag));
	for (i = 0; o->plugins[i] != NULL; i++) {
		plugin_path(so, sizeof(so), o->plugins[i]);
		snprintf(file, sizeof(file), "%s.so", o->plugins[i]);
		assert_int_equal(tu_copy(so, *plugin_dir, file, 0755), 0);
	}
	assert_int_equal(inn_policy_default(pol), 0);
	assert_int_equal(inn_registry_load(reg, *plugin_dir, *pol, inn_host_table()), 0);
	assert_int_equal((*reg)->nplugins, i);
	memset(&eo, 0, sizeof(eo));
	eo.plugin_dir = *plugin_dir;
	eo.policy = *pol;
	eo.registry = *reg;
	eo.workers = o->workers;
	eo.kill_grace_ms = o->kill_grace_ms;
	eo.state_root = o->state_root;
	assert_int_equal(inn_engine_new(eng, &eo), 0);
}

void
tu_engine_teardown(char *plugin_dir, inn_policy *pol, inn_registry *reg,
                   inn_engine *eng)
{
	inn_engine_free(eng);
	inn_registry_free(reg);
	inn_policy_free(pol);
	tu_rmrf_free(plugin_dir);
}

inn_workflow *
tu_load_wf(inn_policy *pol, inn_registry *reg, const char *yaml, char *diag,
           size_t len)
{
	return tu_load_wf_in(pol, reg, yaml, NULL, diag, len);
}

inn_workflow *
tu_load_wf_in(inn_policy *pol, inn_registry *reg, const char *yaml, const char *base_dir,
              char *diag, size_t len)
{
	inn_workflow *wf = NULL;
	inn_load_ctx ctx = { pol, reg };
	inn_l_wf_extra x = { .base_dir = base_dir };
	inn_diag d;
	size_t i, o = 0;
	char line[1024];
	int rc;

	inn_diag_init(&d);
	rc = inn_l_workflow_load_in(&wf, "test.yaml", yaml, strlen(yaml), &ctx, &x, &d);
	if (diag != NULL && len > 0)
		diag[0] = '\0';
	for (i = 0; i < d.n; i++) {
		inn_diag_format(&d, i, line, sizeof(line));
		if (diag != NULL && o + 1 < len)
			o += (size_t)snprintf(diag + o, len - o, "%s\n", line);
		else if (diag == NULL && (rc != 0 || d.nerrors > 0))
			print_message("# %s\n", line);
	}
	if (rc != 0 || d.nerrors > 0) {
		inn_diag_free(&d);
		inn_workflow_free(wf);
		if (diag == NULL)
			fail_msg("workflow did not load");
		return NULL;
	}
	inn_diag_free(&d);
	return wf;
}

void
tu_fx_setup(tu_fx *fx, const tu_engine_opts *o, const char *work_tag)
{
	memset(fx, 0, sizeof(*fx));
	pthread_mutex_init(&fx->lock, NULL);
	assert_non_null(fx->work = tu_mkdtemp(work_tag));
	tu_engine_setup(o, &fx->plugins, &fx->pol, &fx->reg, &fx->eng);
}

void
tu_fx_teardown(tu_fx *fx)
{
	tu_engine_teardown(fx->plugins, fx->pol, fx->reg, fx->eng);
	tu_rmrf_free(fx->work);
	pthread_mutex_destroy(&fx->lock);
}

int
tu_fx_group_teardown(void **state)
{
	tu_fx_teardown(*state);
	return 0;
}

void
tu_fx_log(void *ud, const char *step, int level, int stream, const char *line,
          size_t len)
{
	tu_fx *fx = ud;

	(void)level;
	(void)stream;
	pthread_mutex_lock(&fx->lock);
	fx->lines++;
	if (fx->loglen + len + strlen(step) + 4 < sizeof(fx->log))
		fx->loglen += (size_t)snprintf(fx->log + fx->loglen,
		                               sizeof(fx->log) - fx->loglen,
		                               "%s| %.*s\n", step, (int)len, line);
	pthread_mutex_unlock(&fx->lock);
}

int
tu_fx_prepare(tu_fx *fx, tu_result *r, const char *yaml, const char *base_dir,
              inn_run_opts *ro)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&fx->lock);
	fx->loglen = 0;
	fx->log[0] = '\0';
	fx->lines = 0;
	pthread_mutex_unlock(&fx->lock);
	/* base_dir plays the provider folder: written-out paths are checked
	 * against it at load, as a provider's are */
	r->wf = tu_load_wf_in(fx->pol, fx->reg, yaml, base_dir, NULL, 0);
	if (ro->events.log == NULL)
		ro->events.log = tu_fx_log;
	if (ro->events.ud == NULL)
		ro->events.ud = fx;
	return inn_run_new(&r->run, fx->eng, r->wf, ro);
}

tu_result
tu_fx_run(tu_fx *fx, const char *yaml, const char *base_dir, inn_run_opts *ro)
{
	tu_result r;

	if (tu_fx_prepare(fx, &r, yaml, base_dir, ro) != 0)
		fail_msg("run_new: %s", inn_error_last());
	r.rc = inn_run_execute(r.run);
	return r;
}

void
tu_result_free(tu_result *r)
{
	inn_run_free(r->run);
	inn_workflow_free(r->wf);
}

int
tu_param_check_str(const inn_param *p, const char *value, char *why, size_t len)
{
	json_object *v = json_object_new_string(value);
	int rc = inn_param_check(p, v, why, len);

	json_object_put(v);
	return rc;
}

void
tu_write_in(const char *dir, const char *rel, const char *text)
{
	assert_int_equal(tu_write(tu_path(dir, rel), text), 0);
}

void
tu_mkdir_in(const char *dir, const char *rel)
{
	assert_int_equal(mkdir(tu_path(dir, rel), 0755), 0);
}

struct inn_catalog *
tu_catalog_load(const char *dir, const char *goldenpaths)
{
	const char *dirs[1] = { dir };
	inn_catalog *cat = NULL;
	inn_diag d;

	inn_diag_init(&d);
	if (inn_catalog_load(&cat, dirs, 1, goldenpaths, NULL, &d) != 0) {
		inn_diag_print(&d, stdout, "# ");
		fail_msg("the fixture catalog does not load");
	}
	inn_diag_free(&d);
	return cat;
}

struct inn_score *
tu_spec(const char *yaml)
{
	inn_score *s = NULL;
	inn_diag d;

	inn_diag_init(&d);
	if (inn_score_load_string(&s, "score.yaml", yaml, strlen(yaml), &d) != 0 ||
	    d.nerrors > 0) {
		inn_diag_print(&d, stdout, "# ");
		fail_msg("the spec does not load");
	}
	inn_diag_free(&d);
	return s;
}
