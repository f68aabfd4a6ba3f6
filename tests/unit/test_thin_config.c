/*
 * test_thin_config.c - the step configs of gitea-repo.so and argocd-app.so
 * read through the real host, as the plugins see them: the original's
 * spellings and which one wins, null and empty values, literal
 * credentials and hostile names refused, the sync policy words, and the
 * shared readers of pu_alias.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "host.h"
#include "plugin_util.h"
#include "pu_alias.h"
#include "gitea_int.h"
#include "argocd_int.h"

/* The step the last read made (its strings are the host's) and the
 * warnings it logged. */
static inn_step *held_step;
static json_object *held_conf;
static char warned[2048];

static void
sink(void *ud, const inn_step *step, int level, int stream, const char *line,
     size_t len)
{
	size_t have = strlen(warned);

	(void)ud; (void)step; (void)stream;
	if (level == INN_LOG_WARN && have + len + 2 < sizeof(warned)) {
		memcpy(warned + have, line, len);
		warned[have + len] = '\n';
		warned[have + len + 1] = '\0';
	}
}

static void
release(void)
{
	inn_step_free(held_step);
	json_object_put(held_conf);
	held_step = NULL;
	held_conf = NULL;
}

/* A step whose config is the JSON text config. */
static inn_step *
step_of(const char *config)
{
	inn_step_opts o;

	release();
	warned[0] = '\0';
	held_conf = json_tokener_parse(config);
	assert_non_null(held_conf);
	memset(&o, 0, sizeof(o));
	o.type = "test";
	o.name = "test-step";
	o.config = held_conf;
	o.log = sink;
	assert_int_equal(inn_step_new(&held_step, &o), 0);
	return held_step;
}

static int
gitea(const char *config, int rendered, struct gt_config *c, char *err, size_t len)
{
	err[0] = '\0';
	return gt_config_read(inn_host_table(), step_of(config), rendered, c, err, len);
}

static int
argo(const char *config, int rendered, struct ac_config *c, char *err, size_t len)
{
	err[0] = '\0';
	return ac_config_read(inn_host_table(), step_of(config), rendered, c, err, len);
}

static void
test_gitea_spellings(void **state)
{
	struct gt_config c;
	char err[512];

	(void)state;
	/* the original's delete-gitea-repo config */
	assert_int_equal(gitea("{\"operation\":\"delete\",\"gitea_url\":\"http://g\","
	                       "\"org_name\":\"platform\",\"repo_name\":\"app\","
	                       "\"token_secret\":\"t\"}", 1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.op, GT_OP_DELETE);
	assert_string_equal(c.url, "http://g");
	assert_string_equal(c.owner, "platform");
	assert_string_equal(c.org, "platform");
	assert_string_equal(c.repo, "app");
	assert_int_equal(c.auto_init, 1);
	/* owner: not necessarily an organization */
	assert_int_equal(gitea("{\"url\":\"https://g/sub/\",\"owner\":\"me\",\"repo\":"
	                       "\"r\",\"token_secret\":\"t\"}", 1, &c, err,
	                       sizeof(err)), 0);
	assert_null(c.org);
	assert_string_equal(c.owner, "me");
	/* ours wins over the original's spelling, with a warning once rendered */
	assert_int_equal(gitea("{\"url\":\"http://platform\",\"gitea_url\":\"http://wf\","
	                       "\"repo\":\"r\",\"token_secret\":\"t\"}", 1, &c, err,
	                       sizeof(err)), 0);
	assert_string_equal(c.url, "http://platform");
	assert_non_null(strstr(warned, "config.gitea_url (\"http://wf\") differs from "
	                       "config.url (\"http://platform\"): config.url is used"));
	/* ... and no warning at load, nor for a template */
	assert_int_equal(gitea("{\"url\":\"http://platform\",\"gitea_url\":\"{{ .p }}\","
	                       "\"repo\":\"r\"}", 0, &c, err, sizeof(err)), 0);
	assert_string_equal(warned, "");
	/* null (an optional parameter left out) is not set */
	assert_int_equal(gitea("{\"url\":null,\"gitea_url\":\"http://g\",\"repo\":\"r\","
	                       "\"token_secret\":\"t\"}", 1, &c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "http://g");
	release();
}

static void
test_gitea_refusals(void **state)
{
	static const struct { const char *config, *why; } bad[] = {
		{ "{\"token\":\"abc\"}", "config.token: a credential is never written in "
		  "a workflow: put it in a secret of the admin config and name it with "
		  "config.token_secret" },
		{ "{\"gitea_password\":\"x\"}", "config.gitea_password: a credential is "
		  "never written in a workflow: put it in a secret of the admin config "
		  "and name it with config.password_secret" },
		{ "{\"url\":\"http://u:p@g\"}", "config.url: credentials do not belong in "
		  "the URL: name a secret with config.token_secret" },
		{ "{\"url\":\"ftp://g\"}", "config.url: \"ftp://g\" must start with "
		  "http:// or https://" },
		{ "{\"url\":\"http://g/?x=1\"}", "config.url: \"http://g/?x=1\" is not a "
		  "plain server URL (no blanks, query or fragment)" },
		{ "{\"org\":\"../etc\"}", "config.org: \"../etc\" is not a valid owner "
		  "name (letters, digits, '-', '_', '.'; at most 100; not \".\" or "
		  "\"..\")" },
		{ "{\"repo\":\"..\"}", "config.repo: \"..\" is not a valid repository "
		  "name (letters, digits, '-', '_', '.'; at most 100; not \".\" or "
		  "\"..\")" },
		{ "{\"repo_name\":\"a/b\"}", "config.repo_name: \"a/b\" is not a valid "
		  "repository name (letters, digits, '-', '_', '.'; at most 100; not "
		  "\".\" or \"..\")" },
		{ "{\"operation\":\"purge\"}", "config.operation: \"purge\" is not one of "
		  "create, delete, get" },
		{ "{\"username\":\"u\"}", "config.username: needs config.password_secret "
		  "(the secret holding its password)" },
		{ "{\"token_secret\":\"t\",\"username\":\"u\",\"password_secret\":\"p\"}",
		  "config.token_secret: give either a token or username and "
		  "password_secret, not both" },
		{ "{\"default_branch\":\"a b\"}", "config.default_branch: \"a b\" is not "
		  "a valid branch name" },
		{ "{\"private\":\"yes\"}", "config.private: must be true or false" },
		{ "{\"nmae\":\"x\"}", NULL },
		/* where the token goes: never from a parameter */
		{ "{\"url\":\"{{ .parameters.u }}\"}", "config.url: must be written out, "
		  "not a template (a run parameter must not decide where credentials are "
		  "sent)" },
		{ "{\"url\":\"https://{{ .parameters.h }}.example.com\"}", "config.url: "
		  "must be written out, not a template (a run parameter must not decide "
		  "where credentials are sent)" },
		{ "{\"gitea_url\":\"${parameters.u}\"}", "config.gitea_url: must be "
		  "written out, not a template (a run parameter must not decide where "
		  "credentials are sent)" },
		{ "{\"url\":\"http://g\",\"ca_file\":\"{{ .parameters.ca }}\"}",
		  "config.ca_file: must be written out, not a template (a run parameter "
		  "must not decide where credentials are sent)" },
		{ "{\"url\":\"http://g\",\"insecure_skip_tls_verify\":\"{{ "
		  ".parameters.ins }}\"}", "config.insecure_skip_tls_verify: must be "
		  "written out, not a template (a run parameter must not decide where "
		  "credentials are sent)" },
		/* no server at all (after stepDefaults): refused at load */
		{ "{\"org\":\"p\",\"repo\":\"r\"}", "config.url: missing (the Gitea "
		  "server, e.g. https://gitea.example.com; set it here or once in the "
		  "admin config's stepDefaults for gitea-repo)" },
	};
	struct gt_config c;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gitea(bad[i].config, 0, &c, err, sizeof(err)), INN_EINVAL);
		if (bad[i].why != NULL)
			assert_string_equal(err, bad[i].why);
		else
			assert_non_null(strstr(err, "config: unknown field \"nmae\""));
	}
	/* templates pass at load, are checked once rendered */
	assert_int_equal(gitea("{\"repo\":\"{{ .parameters.r }}\",\"url\":\"http://g\","
	                       "\"private\":\"${x}\"}", 0, &c, err, sizeof(err)), 0);
	/* a template in a spelling set aside by a written-out url is never used */
	assert_int_equal(gitea("{\"url\":\"http://g\",\"gitea_url\":\"{{ .p }}\"}", 0,
	                       &c, err, sizeof(err)), 0);
	assert_string_equal(c.url, "http://g");
	/* rendered: url, repo and credentials are required */
	assert_int_equal(gitea("{\"url\":\"http://g\",\"token_secret\":\"t\"}", 1, &c,
	                       err, sizeof(err)), INN_EINVAL);
	assert_string_equal(err, "config.repo: missing (the repository's name)");
	assert_int_equal(gitea("{\"url\":\"http://g\",\"repo\":\"r\"}", 1, &c, err,
	                       sizeof(err)), INN_EINVAL);
	assert_non_null(strstr(err, "config.token_secret: missing"));
	release();
}

static void
test_argocd_original_configs(void **state)
{
	struct ac_config c;
	char err[512];

	(void)state;
	/* provision-argocd-app */
	assert_int_equal(argo("{\"appName\":\"shop\",\"project\":\"default\",\"repoURL\":"
	                      "\"http://g/r.git\",\"path\":\".\",\"targetRevision\":\"HEAD\","
	                      "\"namespace\":\"shop-ns\",\"server\":"
	                      "\"https://kubernetes.default.svc\",\"syncPolicy\":\"auto\","
	                      "\"automated\":{\"prune\":true,\"selfHeal\":true}}", 1, &c,
	                      err, sizeof(err)), 0);
	assert_int_equal(c.op, AC_OP_CREATE);
	assert_string_equal(c.name, "shop");
	assert_string_equal(c.app_namespace, "argocd");
	assert_string_equal(c.dest_namespace, "shop-ns");
	assert_string_equal(c.repo_url, "http://g/r.git");
	assert_int_equal(c.automated, 1);
	assert_int_equal(c.prune, 1);
	assert_int_equal(c.self_heal, 1);
	ac_config_free(&c);
	/* provision-container */
	assert_int_equal(argo("{\"app_name\":\"shop\",\"namespace\":\"n\",\"repo_url\":"
	                      "\"http://g/r.git\",\"path\":\"manifests\",\"dest_namespace\":"
	                      "\"n\",\"project\":\"default\",\"sync_policy\":\"automated\","
	                      "\"auto_sync\":true,\"prune\":true,\"self_heal\":false}", 1,
	                      &c, err, sizeof(err)), 0);
	assert_int_equal(c.automated, 1);
	assert_int_equal(c.self_heal, 0);
	ac_config_free(&c);
	/* update-argocd-app with its optional parameters left out (null) or empty */
	assert_int_equal(argo("{\"operation\":\"update\",\"app_name\":\"shop\","
	                      "\"namespace\":\"n\",\"argocd_namespace\":\"argocd\","
	                      "\"repo_url\":null,\"target_revision\":\"\",\"path\":null}",
	                      1, &c, err, sizeof(err)), 0);
	assert_int_equal(c.op, AC_OP_UPDATE);
	assert_null(c.repo_url);
	assert_null(c.target_revision);
	assert_null(c.path);
	assert_int_equal(c.automated, -1);
	ac_config_free(&c);
	/* delete-argocd-app */
	assert_int_equal(argo("{\"operation\":\"delete\",\"app_name\":\"shop\","
	                      "\"argocd_namespace\":\"argocd\",\"cascade\":true}", 1, &c,
	                      err, sizeof(err)), 0);
	assert_int_equal(c.op, AC_OP_DELETE);
	assert_int_equal(c.cascade, 1);
	assert_int_equal(c.cascade_set, 1);
	ac_config_free(&c);
	/* "apply" is create; destination as an object */
	assert_int_equal(argo("{\"operation\":\"apply\",\"name\":\"a\",\"repo_url\":\"r\","
	                      "\"destination\":{\"name\":\"prod\",\"namespace\":\"x\"}}", 1,
	                      &c, err, sizeof(err)), 0);
	assert_int_equal(c.op, AC_OP_CREATE);
	assert_string_equal(c.dest_name, "prod");
	assert_string_equal(c.dest_namespace, "x");
	ac_config_free(&c);
	release();
}

static void
test_argocd_refusals(void **state)
{
	static const struct { const char *config, *why; } bad[] = {
		{ "{\"name\":\"Shop\"}", "config.name: \"Shop\" is not a valid Kubernetes "
		  "name (lowercase letters, digits, '-', '.'; at most 253)" },
		{ "{\"app_name\":\"../x\"}", "config.app_name: \"../x\" is not a valid "
		  "Kubernetes name (lowercase letters, digits, '-', '.'; at most 253)" },
		{ "{\"argocd_namespace\":\"a.b\"}", "config.argocd_namespace: \"a.b\" is not "
		  "a valid Kubernetes name (lowercase letters, digits, '-'; at most 63)" },
		{ "{\"sync_policy\":\"sometimes\"}", "config.sync_policy: \"sometimes\" is "
		  "not one of auto, automated, manual, none" },
		{ "{\"sync_policy\":\"manual\",\"auto_sync\":true}", "config.sync_policy "
		  "(\"manual\") contradicts config.auto_sync (true)" },
		{ "{\"automated\":{\"prune\":true,\"everything\":1}}", "config.automated: "
		  "unknown field \"everything\" (known: prune, selfHeal, allowEmpty)" },
		{ "{\"destination\":{\"cluster\":\"x\"}}", "config.destination: unknown "
		  "field \"cluster\" (known: server, namespace, name)" },
		{ "{\"destination\":{\"namespace\":\"a\"},\"dest_namespace\":\"b\"}",
		  "config.destination.namespace (\"a\") contradicts the flat setting "
		  "(\"b\"): write it once" },
		{ "{\"path\":\"a\\nb\"}", "config.path: must be one line of text without "
		  "control characters" },
		{ "{\"labels\":{\"a\":1}}", "config.labels.a: must be a string (label "
		  "values are text)" },
		{ "{\"kubeconfig\":\"{{ .parameters.k }}\"}", "config.kubeconfig: must be "
		  "written out, not a template (a run parameter must not decide where "
		  "credentials are sent)" },
		{ "{\"kubeconfig\":\"/a\",\"kubeconfig_secret\":\"k\"}", "config: kubeconfig "
		  "and kubeconfig_secret are two ways to name the cluster: give one" },
		{ "{\"operation\":\"sync\"}", "config.operation: \"sync\" is not one of "
		  "create, update, delete, get, wait_for_sync" },
		{ "{\"sync_options\":[\"a b\"]}", "config.sync_options.0: \"a b\" is not a "
		  "sync option (Name=value, no blanks)" },
	};
	struct ac_config c;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(argo(bad[i].config, 0, &c, err, sizeof(err)), INN_EINVAL);
		assert_string_equal(err, bad[i].why);
	}
	assert_int_equal(argo("{\"repo_url\":\"r\"}", 1, &c, err, sizeof(err)),
	                 INN_EINVAL);
	assert_non_null(strstr(err, "config.name: missing"));
	assert_int_equal(argo("{\"name\":\"a\"}", 1, &c, err, sizeof(err)), INN_EINVAL);
	assert_non_null(strstr(err, "config.repo_url: missing"));
	/* two names that differ: ours is used, a warning names the other */
	assert_int_equal(argo("{\"name\":\"a\",\"appName\":\"b\",\"repo_url\":\"r\"}", 1,
	                      &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "a");
	assert_non_null(strstr(warned, "config.appName (\"b\") differs from config.name"));
	ac_config_free(&c);
	release();
}

static void
test_alias_word(void **state)
{
	static const char *const words[] = { "one", "two", NULL };
	char err[256];
	int v = -1;

	(void)state;
	assert_int_equal(pu_alias_word(NULL, words, 1, "f", &v, err, sizeof(err)), 0);
	assert_int_equal(v, -1);
	assert_int_equal(pu_alias_word("two", words, 1, "f", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pu_alias_word("${x}", words, 0, "f", &v, err, sizeof(err)), 0);
	assert_int_equal(pu_alias_word("${x}", words, 1, "f", &v, err, sizeof(err)),
	                 INN_EINVAL);
	assert_string_equal(err, "config.f: \"${x}\" is not one of one, two");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gitea_spellings),
		cmocka_unit_test(test_gitea_refusals),
		cmocka_unit_test(test_argocd_original_configs),
		cmocka_unit_test(test_argocd_refusals),
		cmocka_unit_test(test_alias_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
