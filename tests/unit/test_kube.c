/*
 * test_kube.c - pu_kube without a server: the YAML reader's typing (what
 * kubectl would send for the same text), manifest streams, kubeconfig and
 * in-cluster connection settings, the discovery matcher on canned
 * APIResourceLists (kinds, plurals, short names, CRDs, subresources), the
 * allowed_namespaces guard and how objects are named in messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pu_kube_int.h"
#include "testutil.h"

/* ---- a host with what pu_kube_open calls ---------------------------- */

static char masked[8][256];
static int nmasked;

static void
h_log(inn_step *step, int level, const char *fmt, ...)
{
	(void)step; (void)level; (void)fmt;
}

static void
h_mask(inn_step *step, const char *v)
{
	(void)step;
	if (nmasked < 8)
		snprintf(masked[nmasked++], sizeof masked[0], "%s", v);
}

static inn_host host;

static void
host_init(void)
{
	memset(&host, 0, sizeof host);
	host.struct_size = sizeof host;
	host.abi_major = INN_PLUGIN_ABI_MAJOR;
	host.abi_minor = INN_PLUGIN_ABI_MINOR;
	host.log = h_log;
	host.mask = h_mask;
	nmasked = 0;
}

/* ---- YAML ------------------------------------------------------------ */

static json_object *
yaml1(const char *text)
{
	json_object *docs = NULL, *d;
	char err[256] = "";

	if (pu_kube_yaml_parse(text, strlen(text), &docs, err, sizeof err) != 0)
		fail_msg("parse: %s", err);
	assert_int_equal(json_object_array_length(docs), 1);
	d = json_object_get(json_object_array_get_idx(docs, 0));
	json_object_put(docs);
	return d;
}

static const char *
plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void
test_yaml_scalar_typing(void **state)
{
	json_object *o;

	(void)state;
	o = yaml1("a: 42\nb: -7\nc: 0x1f\nd: 010\ne: 1.5\nf: 1.10\ng: 1e3\n"
	          "h: yes\ni: off\nj: True\nk: ~\nl: null\nm:\nn: \"true\"\no: '42'\n"
	          "p: !!str 42\nq: 1.2.3\nr: 12Mi\ns: \"\"\nt: y\nu: 9223372036854775808\n"
	          "v: |\n  line1\n  line2\nw: 0b101\nx: .5\n");
	assert_string_equal(plain(o),
	    "{\"a\":42,\"b\":-7,\"c\":31,\"d\":8,\"e\":1.5,\"f\":1.10,\"g\":1000,"
	    "\"h\":true,\"i\":false,\"j\":true,\"k\":null,\"l\":null,\"m\":null,"
	    "\"n\":\"true\",\"o\":\"42\",\"p\":\"42\",\"q\":\"1.2.3\",\"r\":\"12Mi\","
	    "\"s\":\"\",\"t\":true,\"u\":9223372036854775808,"
	    "\"v\":\"line1\\nline2\\n\",\"w\":5,\"x\":0.5}");
	json_object_put(o);
}

static void
test_yaml_anchors_merge_and_stream(void **state)
{
	json_object *docs = NULL, *o;
	char err[256];
	const char *text = "# comment only\n---\n---\nbase: &b {x: 1, y: 2}\n"
	                   "use:\n  <<: *b\n  y: 3\nlist: &l [1, 2]\nagain: *l\n"
	                   "...\n---\nsecond: doc\n";

	(void)state;
	assert_int_equal(pu_kube_yaml_parse(text, strlen(text), &docs, err, sizeof err), 0);
	assert_int_equal(json_object_array_length(docs), 2);
	o = json_object_array_get_idx(docs, 0);
	assert_string_equal(plain(o), "{\"base\":{\"x\":1,\"y\":2},\"use\":{\"y\":3,"
	                    "\"x\":1},\"list\":[1,2],\"again\":[1,2]}");
	assert_string_equal(plain(json_object_array_get_idx(docs, 1)),
	                    "{\"second\":\"doc\"}");
	json_object_put(docs);
}

/* B09: a quoted or tagged "<<" is a string key, never a merge key. */
static void
test_yaml_quoted_merge_key_is_a_key(void **state)
{
	json_object *docs = NULL;
	char err[256];
	const char *text = "data:\n  \"<<\": {k2: injected}\n  k1: v\n"
	                   "sq: {'<<': {k3: x}}\n"
	                   "meta:\n  !!str <<: {namespace: kube-system}\n";

	(void)state;
	assert_int_equal(pu_kube_yaml_parse(text, strlen(text), &docs, err, sizeof err), 0);
	assert_int_equal(json_object_array_length(docs), 1);
	assert_string_equal(plain(json_object_array_get_idx(docs, 0)),
	                    "{\"data\":{\"<<\":{\"k2\":\"injected\"},\"k1\":\"v\"},"
	                    "\"sq\":{\"<<\":{\"k3\":\"x\"}},"
	                    "\"meta\":{\"<<\":{\"namespace\":\"kube-system\"}}}");
	json_object_put(docs);
}

static void
test_yaml_errors_name_document_and_line(void **state)
{
	json_object *docs = NULL;
	char err[256], *bomb;
	size_t i, n;
	int rc;

	(void)state;
	rc = pu_kube_yaml_parse("a: 1\n---\nb: 1\nb: 2\n", 18, &docs, err, sizeof err);
	assert_int_equal(rc, INN_EINVAL);
	assert_null(docs);
	assert_string_equal(err, "document 2, line 4: duplicate key \"b\"");
	rc = pu_kube_yaml_parse("a: [1,\n", 7, &docs, err, sizeof err);
	assert_int_equal(rc, INN_EINVAL);
	assert_non_null(strstr(err, "document 1, line"));
	rc = pu_kube_yaml_parse("a: *nope\n", 9, &docs, err, sizeof err);
	assert_int_equal(rc, INN_EINVAL);
	assert_non_null(strstr(err, "unknown alias"));
	rc = pu_kube_yaml_parse("a: !!int abc\n", 13, &docs, err, sizeof err);
	assert_int_equal(rc, INN_EINVAL);
	/* a billion laughs: every level doubles the nodes */
	n = 64 * 40 + 64;
	bomb = malloc(n);
	assert_non_null(bomb);
	i = (size_t)snprintf(bomb, n, "a0: &a0 [x, x]\n");
	for (rc = 1; rc < 40; rc++)
		i += (size_t)snprintf(bomb + i, n - i, "a%d: &a%d [*a%d, *a%d]\n", rc, rc,
		                      rc - 1, rc - 1);
	rc = pu_kube_yaml_parse(bomb, i, &docs, err, sizeof err);
	free(bomb);
	assert_int_equal(rc, INN_EINVAL);
	assert_non_null(strstr(err, "nodes (aliases expanded)"));
	/* nesting */
	bomb = malloc(1000);
	assert_non_null(bomb);
	memset(bomb, '[', 999);
	bomb[999] = '\0';
	rc = pu_kube_yaml_parse(bomb, 999, &docs, err, sizeof err);
	free(bomb);
	assert_int_equal(rc, INN_EINVAL);
}

static void
test_manifests(void **state)
{
	json_object *objs = NULL;
	char err[256];
	const char *ok = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n"
	                 "  kind: ConfigMap\n  metadata: {name: a}\n"
	                 "---\n# nothing\n---\napiVersion: apps/v1\nkind: Deployment\n"
	                 "metadata:\n  name: web\n  namespace: demo\n";
	const char *gen = "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: x-\n";
	const char *scalar = "just text\n";

	(void)state;
	assert_int_equal(pu_kube_parse_manifests(ok, strlen(ok), &objs, err, sizeof err), 0);
	assert_int_equal(json_object_array_length(objs), 2);
	assert_string_equal(pu_kube_path_str(json_object_array_get_idx(objs, 1),
	                                     "metadata.namespace"), "demo");
	assert_string_equal(pu_kube_path_str(json_object_array_get_idx(objs, 0),
	                                     "{.metadata.name}"), "a");
	json_object_put(objs);
	assert_int_equal(pu_kube_parse_manifests(gen, strlen(gen), &objs, err, sizeof err),
	                 INN_EINVAL);
	assert_non_null(strstr(err, "generateName cannot be applied"));
	assert_int_equal(pu_kube_parse_manifests(scalar, strlen(scalar), &objs, err,
	                                         sizeof err), INN_EINVAL);
	assert_non_null(strstr(err, "document 1: not a mapping"));
}

static void
test_b64_and_paths(void **state)
{
	json_object *o;
	char *out;
	size_t n;

	(void)state;
	assert_int_equal(pu_kube_b64decode("aGVs\nbG8=", &out, &n), 0);
	assert_string_equal(out, "hello");
	assert_int_equal(n, 5);
	free(out);
	assert_int_equal(pu_kube_b64decode("a-_b", &out, &n), 0);
	free(out);
	assert_int_equal(pu_kube_b64decode("ab$c", &out, &n), -1);
	assert_int_equal(pu_kube_b64decode("a", &out, &n), -1);
	o = yaml1("status:\n  conditions:\n  - {type: Ready, status: \"True\"}\n"
	          "  replicas: 3\n");
	assert_string_equal(pu_kube_path_str(o, "{.status.conditions[0].type}"), "Ready");
	assert_string_equal(pu_kube_path_str(o, "status.conditions.0.status"), "True");
	assert_string_equal(pu_kube_path_str(o, ".status.replicas"), "3");
	assert_null(pu_kube_path_str(o, "{.status.nope}"));
	assert_null(pu_kube_path_str(o, "{.status.conditions[5]}"));
	json_object_put(o);
}

/* ---- kubeconfig ---------------------------------------------------------- */

static char *tmp;

static pu_kube *
open_ok(const pu_kube_opts *o)
{
	pu_kube *k = NULL;
	char err[512] = "";

	if (pu_kube_open(&host, NULL, o, &k, err, sizeof err) != 0)
		fail_msg("open: %s", err);
	return k;
}

static void
test_kubeconfig_file(void **state)
{
	pu_kube_opts o;
	pu_kube *k;
	char path[512], tokfile[512];

	(void)state;
	host_init();
	tmp = tu_mkdtemp("kube");
	snprintf(path, sizeof path, "%s/config", tmp);
	snprintf(tokfile, sizeof tokfile, "%s/tok", tmp);
	assert_int_equal(tu_write(tokfile, "file-token\n"), 0);
	assert_int_equal(tu_write(path,
	    "apiVersion: v1\nkind: Config\ncurrent-context: one\n"
	    "clusters:\n"
	    "- name: c1\n  cluster:\n    server: https://10.0.0.1:6443/\n"
	    "    certificate-authority-data: LS0tLS1CRUdJTg==\n"
	    "- name: c2\n  cluster:\n    server: https://[::1]:6443\n"
	    "    certificate-authority: certs/ca.pem\n    insecure-skip-tls-verify: true\n"
	    "users:\n"
	    "- name: u1\n  user:\n    token: abc123\n"
	    "- name: u2\n  user:\n    tokenFile: tok\n"
	    "    client-certificate: /abs/client.crt\n    client-key: client.key\n"
	    "- name: u3\n  user:\n    exec: {command: aws}\n"
	    "contexts:\n"
	    "- name: one\n  context: {cluster: c1, user: u1, namespace: team-a}\n"
	    "- name: two\n  context: {cluster: c2, user: u2}\n"
	    "- name: three\n  context: {cluster: c1, user: u3}\n"
	    "- name: four\n  context: {cluster: nope, user: u1}\n"), 0);
	memset(&o, 0, sizeof o);
	o.kubeconfig = path;
	k = open_ok(&o);
	assert_string_equal(pu_kube_server(k), "https://10.0.0.1:6443");
	assert_string_equal(pu_kube_namespace(k), "team-a");
	assert_string_equal(k->ca_pem, "-----BEGIN");
	assert_null(k->ca_file);
	assert_string_equal(k->token, "abc123");
	assert_int_equal(k->insecure, 0);
	assert_int_equal(nmasked, 1);
	assert_string_equal(masked[0], "abc123");
	pu_kube_close(k);

	o.context = "two";
	o.ns_override = "other";
	k = open_ok(&o);
	assert_string_equal(pu_kube_server(k), "https://[::1]:6443");
	assert_string_equal(pu_kube_namespace(k), "other");
	snprintf(path, sizeof path, "%s/certs/ca.pem", tmp);
	assert_string_equal(k->ca_file, path);
	snprintf(path, sizeof path, "%s/client.key", tmp);
	assert_string_equal(k->key_file, path);
	assert_string_equal(k->cert_file, "/abs/client.crt");
	assert_string_equal(k->token, "file-token");
	assert_int_equal(k->insecure, 1);
	pu_kube_close(k);
	tu_rmrf_free(tmp);
}

static void
open_err(const pu_kube_opts *o, int want_rc, const char *want)
{
	pu_kube *k = NULL;
	char err[512] = "";

	assert_int_equal(pu_kube_open(&host, NULL, o, &k, err, sizeof err), want_rc);
	assert_null(k);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void
test_kubeconfig_refusals(void **state)
{
	pu_kube_opts o;
	char path[512];
	const char *base = "apiVersion: v1\ncurrent-context: one\nclusters:\n"
	                   "- name: c1\n  cluster: {server: https://h:1}\n"
	                   "users:\n- name: u3\n  user:\n    exec: {command: aws}\n"
	                   "- name: u4\n  user: {tokenFile: rel/tok}\n"
	                   "contexts:\n- name: one\n  context: {cluster: c1, user: u3}\n"
	                   "- name: four\n  context: {cluster: nope}\n"
	                   "- name: five\n  context: {cluster: c1, user: u4}\n";

	(void)state;
	host_init();
	memset(&o, 0, sizeof o);
	o.kubeconfig_yaml = base;
	open_err(&o, INN_EINVAL, "exec or auth-provider plugin");
	o.context = "four";
	open_err(&o, INN_EINVAL, "its cluster \"nope\" is not in the kubeconfig");
	o.context = "zzz";
	open_err(&o, INN_EINVAL, "context \"zzz\": no such context");
	o.context = "five";
	open_err(&o, INN_EINVAL, "relative path \"rel/tok\" in a kubeconfig given as text");
	o.context = NULL;
	o.kubeconfig_yaml = "current-context: c\nclusters: [{name: k, cluster: {server: "
	                    "https://h, insecure-skip-tls-verify: \"false\"}}]\n"
	                    "contexts: [{name: c, context: {cluster: k}}]\n";
	open_err(&o, INN_EINVAL, "insecure-skip-tls-verify must be true or false");
	o.kubeconfig_yaml = "current-context: c\nclusters: [{name: k, cluster: {server: "
	                    "file:///etc/passwd}}]\ncontexts: [{name: c, context: {cluster: k}}]\n";
	open_err(&o, INN_EINVAL, "server \"file:///etc/passwd\" is not an http(s) URL");
	o.kubeconfig_yaml = "a: [1,\n";
	open_err(&o, INN_EINVAL, "kubeconfig (text): bad YAML: document 1, line");
	o.kubeconfig_yaml = NULL;
	tmp = tu_mkdtemp("kube");
	snprintf(path, sizeof path, "%s/missing", tmp);
	o.kubeconfig = path;
	open_err(&o, INN_ENOTFOUND, "cannot read it");
	tu_rmrf_free(tmp);
}

static void
test_in_cluster(void **state)
{
	pu_kube *k;
	char p[512];

	(void)state;
	host_init();
	tmp = tu_mkdtemp("kubesa");
	assert_int_equal(tu_write(tu_path(tmp, "token"), "sa-token\n"), 0);
	assert_int_equal(tu_write(tu_path(tmp, "ca.crt"), "PEM"), 0);
	assert_int_equal(tu_write(tu_path(tmp, "namespace"), "apps\n"), 0);
	setenv("INN_TEST_KUBE_SA_DIR", tmp, 1);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "8443", 1);
	setenv("HOME", tmp, 1);
	unsetenv("KUBECONFIG");
	k = open_ok(NULL);
	assert_string_equal(pu_kube_server(k), "https://[fd00::1]:8443");
	assert_string_equal(pu_kube_namespace(k), "apps");
	assert_string_equal(k->token, "sa-token");
	snprintf(p, sizeof p, "%s/ca.crt", tmp);
	assert_string_equal(k->ca_file, p);
	pu_kube_close(k);
	unsetenv("KUBERNETES_SERVICE_HOST");
	open_err(NULL, INN_ENOTFOUND, "no kubeconfig");
	unsetenv("INN_TEST_KUBE_SA_DIR");
	tu_rmrf_free(tmp);
}

/* ---- discovery ------------------------------------------------------------- */

static const char core_v1[] =
	"{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
	"{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\","
	"\"shortNames\":[\"po\"]},"
	"{\"name\":\"pods/status\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\"},"
	"{\"name\":\"namespaces\",\"singularName\":\"namespace\",\"namespaced\":false,"
	"\"kind\":\"Namespace\",\"shortNames\":[\"ns\"]},"
	"{\"name\":\"secrets\",\"singularName\":\"secret\",\"namespaced\":true,"
	"\"kind\":\"Secret\"}]}";
static const char acid_v1[] =
	"{\"kind\":\"APIResourceList\",\"groupVersion\":\"acid.zalan.do/v1\",\"resources\":["
	"{\"name\":\"postgresqls\",\"singularName\":\"postgresql\",\"namespaced\":true,"
	"\"kind\":\"postgresql\",\"shortNames\":[\"pg\"]},"
	"{\"name\":\"postgresqls/status\",\"namespaced\":true,\"kind\":\"postgresql\"}]}";

static void
test_discovery_match(void **state)
{
	json_object *core = json_tokener_parse(core_v1), *acid = json_tokener_parse(acid_v1);
	pu_kube_res r;

	(void)state;
	assert_int_equal(pk_match(core, "v1", "Pod", 1, &r), 0);
	assert_string_equal(r.plural, "pods");
	assert_int_equal(r.namespaced, 1);
	assert_int_equal(pk_match(core, "v1", "pod", 1, &r), -1);   /* kinds are exact */
	assert_int_equal(pk_match(core, "v1", "po", 0, &r), 0);
	assert_string_equal(r.kind, "Pod");
	assert_int_equal(pk_match(core, "v1", "NS", 0, &r), 0);
	assert_string_equal(r.plural, "namespaces");
	assert_int_equal(r.namespaced, 0);
	assert_int_equal(pk_match(core, "v1", "Secrets", 0, &r), 0);
	assert_string_equal(r.kind, "Secret");
	assert_int_equal(pk_match(core, "v1", "pods/status", 0, &r), -1);
	assert_int_equal(pk_match(core, "v1", "status", 0, &r), -1);
	assert_int_equal(pk_match(acid, "acid.zalan.do/v1", "postgresql", 1, &r), 0);
	assert_string_equal(r.plural, "postgresqls");
	assert_string_equal(r.group_version, "acid.zalan.do/v1");
	assert_int_equal(pk_match(acid, "acid.zalan.do/v1", "pg", 0, &r), 0);
	assert_int_equal(pk_match(acid, "acid.zalan.do/v1", "Deployment", 0, &r), -1);
	json_object_put(core);
	json_object_put(acid);
}

static void
test_ns_guard_and_desc(void **state)
{
	static const char *const allowed[] = { "team-*", "kdemo", NULL };
	static const char *const any[] = { "*", NULL };
	static const pu_kube_res cm = { "v1", "ConfigMap", "configmaps", 1 };
	static const pu_kube_res ns = { "v1", "Namespace", "namespaces", 0 };
	static const pu_kube_res cr = { "rbac.authorization.k8s.io/v1", "ClusterRole",
	                                "clusterroles", 0 };
	char err[256], d[128];

	(void)state;
	/* no limit set: anything, a cluster-scoped kind too */
	assert_int_equal(pu_kube_ns_allowed(NULL, &cr, NULL, "admin", err, sizeof err), 0);
	assert_int_equal(pu_kube_ns_allowed(allowed, &cm, "team-a", "x", err, sizeof err), 0);
	assert_int_equal(pu_kube_ns_allowed(allowed, &cm, "kdemo", "x", err, sizeof err), 0);
	assert_int_equal(pu_kube_ns_allowed(allowed, &cm, "kube-system", "x", err, sizeof err),
	                 INN_EINVAL);
	assert_string_equal(err, "namespace \"kube-system\" is not in "
	                    "config.allowed_namespaces");
	/* a pattern is the whole name: "team-*" is not "team" nor "kdemo2" */
	assert_int_equal(pu_kube_ns_allowed(allowed, &cm, "team", "x", err, sizeof err),
	                 INN_EINVAL);
	assert_int_equal(pu_kube_ns_allowed(allowed, &cm, "kdemo2", "x", err, sizeof err),
	                 INN_EINVAL);
	assert_int_equal(pu_kube_ns_allowed(allowed, &cm, NULL, "x", err, sizeof err),
	                 INN_EINVAL);
	/* a Namespace is held by its own name, whatever namespace is passed */
	assert_int_equal(pu_kube_ns_allowed(allowed, &ns, "kube-system", "team-b", err,
	                                    sizeof err), 0);
	assert_int_equal(pu_kube_ns_allowed(allowed, &ns, "team-a", "default", err,
	                                    sizeof err), INN_EINVAL);
	assert_string_equal(err, "namespace \"default\" is not in config.allowed_namespaces");
	/* any other cluster-scoped kind, even under "*" */
	assert_int_equal(pu_kube_ns_allowed(any, &cm, "kube-system", "x", err, sizeof err), 0);
	assert_int_equal(pu_kube_ns_allowed(any, &cr, "team-a", "admin", err, sizeof err),
	                 INN_EINVAL);
	assert_string_equal(err, "config.allowed_namespaces is set, and ClusterRole is "
	                    "cluster-scoped");

	pu_kube_desc(d, sizeof d, "Namespace", "default", "team-dry", 0);
	assert_string_equal(d, "Namespace team-dry");
	pu_kube_desc(d, sizeof d, "ConfigMap", "kdemo", "web", 1);
	assert_string_equal(d, "ConfigMap kdemo/web");
	pu_kube_desc(d, sizeof d, "ConfigMap", "kdemo", NULL, 1);
	assert_string_equal(d, "ConfigMap kdemo/*");
	pu_kube_desc(d, sizeof d, "ConfigMap", NULL, "web", 1);
	assert_string_equal(d, "ConfigMap web");
	pu_kube_desc(d, sizeof d, "ConfigMap", "kdemo", "a\nnamespace: b", 1);
	assert_string_equal(d, "ConfigMap kdemo/a namespace: b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_scalar_typing),
		cmocka_unit_test(test_yaml_anchors_merge_and_stream),
		cmocka_unit_test(test_yaml_quoted_merge_key_is_a_key),
		cmocka_unit_test(test_yaml_errors_name_document_and_line),
		cmocka_unit_test(test_manifests),
		cmocka_unit_test(test_b64_and_paths),
		cmocka_unit_test(test_kubeconfig_file),
		cmocka_unit_test(test_kubeconfig_refusals),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_discovery_match),
		cmocka_unit_test(test_ns_guard_and_desc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
