/*
 * test_plugin_util.c - what plugins/common (libinnplugin.la) promises the
 * bundled plugins: the duration parser agrees with the engine's, names,
 * the bounded buffer, and the config readers driven by a field table (read
 * through the real host, as a plugin sees its step).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "duration.h"
#include "host.h"
#include "plugin_util.h"

static void
test_duration_agrees_with_the_engine(void **state)
{
	static const char *const texts[] = {
		"90", "0", "500ms", "30s", "5m", "2h", "1h30m", "1h2m3s4ms", "10ms5s",
		"", "s", "5", "5x", "1h30", "-1", "1.5s", "m5", "5 s", "99999999999h",
		"87840h", "87841h", "9223372036854775807", "9223372036854775807ms",
		NULL
	};
	size_t i;

	(void)state;
	for (i = 0; texts[i] != NULL; i++) {
		int64_t a = -7, b = -7;
		int ra = pu_parse_duration_ms(texts[i], &a);
		int rb = inn_parse_duration_ms(texts[i], &b);

		if (ra != rb || a != b)
			fail_msg("\"%s\": plugins %d/%lld, engine %d/%lld", texts[i], ra,
			         (long long)a, rb, (long long)b);
	}
}

static void
test_duration_values(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(pu_parse_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(pu_parse_duration_ms("90", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(pu_parse_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(pu_parse_duration_ms("5m5", &ms), -1);
	assert_int_equal(ms, 250);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(pu_valid_env_name("PATH_2"));
	assert_true(pu_valid_env_name("_x"));
	assert_false(pu_valid_env_name("2x"));
	assert_false(pu_valid_env_name("A-B"));
	assert_false(pu_valid_env_name(""));
	assert_true(pu_valid_name("a-b", "-", 0));
	assert_false(pu_valid_name("a.b", "-", 0));
	assert_true(pu_valid_name("abc", "", 3));
	assert_false(pu_valid_name("abcd", "", 3));
	assert_true(pu_chars_ok("1.a-b_", "-."));
	assert_false(pu_chars_ok("a/b", "-."));
}

static void
test_buffer_is_bounded(void **state)
{
	pu_buf b = PU_BUF_INIT(10);
	char big[600];

	(void)state;
	assert_int_equal(pu_buf_adds(&b, "12345"), 0);
	assert_int_equal(pu_buf_addf(&b, "%d", 678), 0);
	assert_string_equal(b.p, "12345678");
	assert_int_equal(pu_buf_adds(&b, "abc"), INN_ETOOBIG);
	assert_string_equal(b.p, "12345678");
	/* the error sticks */
	assert_int_equal(pu_buf_adds(&b, "9"), INN_ETOOBIG);
	pu_buf_free(&b);

	/* formatted text longer than the internal scratch is not cut */
	b = (pu_buf)PU_BUF_INIT(1000);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pu_buf_addf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, sizeof(big) + 1);
	pu_buf_free(&b);
	assert_null(b.p);
}

/* The config the table below reads. */
struct cfg {
	const char *name;
	int flag;
	const char **items;
	char **env;
	int64_t timeout_ms;
};

static int
no_x(const char *s)
{
	return strchr(s, 'x') == NULL;
}

static const pu_strv_rule items_rule = {
	"must be a list", no_x, "holds an x", 1, 0
};

static const pu_field fields[] = {
	PU_FIELD("name", PU_STRING, struct cfg, name),
	PU_FIELD("flag", PU_BOOL, struct cfg, flag),
	PU_FIELD_STRV("items", struct cfg, items, &items_rule),
	PU_FIELD_OTHER("extra"),
	PU_FIELD("env", PU_ENV, struct cfg, env),
	PU_FIELD("timeout", PU_TIMEOUT, struct cfg, timeout_ms),
	{ NULL, PU_OTHER, 0, NULL }
};

/* The step the last read_cfg read from: a string field of the config is
 * the host's (borrowed for the step's life, as in a plugin's execute), so
 * it is kept until the next read or release(). */
static inn_step *held_step;
static json_object *held_conf;

static void
release(void)
{
	inn_step_free(held_step);
	json_object_put(held_conf);
	held_step = NULL;
	held_conf = NULL;
}

/* Reads config (JSON text) through the real host with the table above;
 * returns the reader's status, the reason in err. */
static int
read_cfg(const char *config, int rendered, struct cfg *c, char *err,
         size_t errlen)
{
	json_object *conf = json_tokener_parse(config);
	inn_step_opts o;
	inn_step *step = NULL;
	int rc;

	release();
	assert_non_null(conf);
	memset(&o, 0, sizeof(o));
	o.type = "test";
	o.name = "test-step";
	o.config = conf;
	assert_int_equal(inn_step_new(&step, &o), 0);
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	rc = pu_config_read(inn_host_table(), step, rendered, fields, c, err,
	                    errlen);
	held_step = step;
	held_conf = conf;
	return rc;
}

/* pu_config_free frees the arrays the table read and clears them. */
static void
cfg_free(struct cfg *c)
{
	pu_config_free(fields, c);
	assert_null(c->items);
	assert_null(c->env);
}

static void
test_config_table(void **state)
{
	struct cfg c;
	char err[512];

	(void)state;
	assert_int_equal(read_cfg("{\"name\":\"n\",\"flag\":true,\"items\":[\"a\","
	                          "\"b\"],\"extra\":{},\"env\":{\"A\":\"1\",\"B\":2,"
	                          "\"C\":false},\"timeout\":\"1m\"}", 1, &c, err,
	                          sizeof(err)), 0);
	assert_string_equal(c.name, "n");
	assert_int_equal(c.flag, 1);
	assert_int_equal(pu_strv_len(c.items), 2);
	assert_string_equal(c.items[1], "b");
	assert_int_equal(pu_strv_len((const char *const *)c.env), 3);
	assert_string_equal(c.env[0], "A=1");
	assert_string_equal(c.env[1], "B=2");
	assert_string_equal(c.env[2], "C=false");
	assert_int_equal(c.timeout_ms, 60000);
	cfg_free(&c);

	/* the unknown-field message lists the table in order */
	assert_int_equal(read_cfg("{\"nmae\":1}", 1, &c, err, sizeof(err)),
	                 INN_EINVAL);
	assert_string_equal(err, "config: unknown field \"nmae\" (known: name, flag, "
	                    "items, extra, env, timeout)");
	assert_int_equal(read_cfg("[1]", 1, &c, err, sizeof(err)), INN_EINVAL);
	assert_string_equal(err, "config: must be an object");
	assert_int_equal(read_cfg("{\"name\":1}", 1, &c, err, sizeof(err)),
	                 INN_EINVAL);
	assert_string_equal(err, "config.name: must be a string");
	assert_int_equal(read_cfg("{\"flag\":\"yes\"}", 1, &c, err, sizeof(err)),
	                 INN_EINVAL);
	assert_string_equal(err, "config.flag: must be true or false");
	/* before rendering a template passes where a value would not */
	assert_int_equal(read_cfg("{\"flag\":\"${p}\",\"items\":[\"${x}\"]}", 0, &c,
	                          err, sizeof(err)), 0);
	cfg_free(&c);
	assert_int_equal(read_cfg("{\"items\":[\"a\",\"box\"]}", 1, &c, err,
	                          sizeof(err)), INN_EINVAL);
	assert_string_equal(err, "config.items.1: \"box\" holds an x");
	assert_null(c.items);
	assert_int_equal(read_cfg("{\"items\":\"a\"}", 1, &c, err, sizeof(err)),
	                 INN_EINVAL);
	assert_string_equal(err, "config.items: must be a list");
	assert_int_equal(read_cfg("{\"env\":{\"A\":\"1\",\"2B\":\"x\"}}", 1, &c,
	                          err, sizeof(err)), INN_EINVAL);
	assert_string_equal(err, "config.env: \"2B\" is not a valid environment "
	                    "variable name");
	assert_null(c.env);
	assert_int_equal(read_cfg("{\"env\":{\"A\":[1]}}", 1, &c, err, sizeof(err)),
	                 INN_EINVAL);
	assert_string_equal(err, "config.env.A: must be a string, number or boolean");
	assert_int_equal(read_cfg("{\"timeout\":\"soon\"}", 1, &c, err,
	                          sizeof(err)), INN_EINVAL);
	assert_non_null(strstr(err, "config.timeout: \"soon\" is not a duration"));
	release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_agrees_with_the_engine),
		cmocka_unit_test(test_duration_values),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_buffer_is_bounded),
		cmocka_unit_test(test_config_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
