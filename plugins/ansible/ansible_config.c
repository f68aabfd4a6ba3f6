/*
 * ansible_config.c - ansible.so's step config: the field table and the
 * checks that tie fields together (playbook or playbook_content, the
 * confined playbook_base, inventory as a string or a list, extra_vars
 * names).
 */
#include <stdlib.h>
#include <string.h>

#include "ansible_int.h"

/* An element of tags, skip_tags or an inventory list: joined with commas
 * on the command line, so non-empty and without ','. */
static int
list_item_ok(const char *s)
{
	return s[0] != '\0' && strchr(s, ',') == NULL;
}

static const pu_strv_rule list_rule = {
	"must be a list of strings", list_item_ok,
	"must be non-empty and hold no ','", 1, 0
};

/* The fields in the order the unknown-field message lists them; inventory
 * and extra_vars are read below. */
static const pu_field config_fields[] = {
	PU_FIELD("playbook", PU_STRING, struct ansible_config, playbook),
	PU_FIELD("playbook_base", PU_STRING, struct ansible_config, playbook_base),
	PU_FIELD("playbook_content", PU_STRING, struct ansible_config,
	         playbook_content),
	PU_FIELD_OTHER("inventory"),
	PU_FIELD_OTHER("extra_vars"),
	PU_FIELD_STRV("tags", struct ansible_config, tags, &list_rule),
	PU_FIELD_STRV("skip_tags", struct ansible_config, skip_tags, &list_rule),
	PU_FIELD("check", PU_BOOL, struct ansible_config, check),
	PU_FIELD("diff", PU_BOOL, struct ansible_config, diff),
	PU_FIELD("become", PU_BOOL, struct ansible_config, become),
	PU_FIELD("vault_password_secret", PU_STRING, struct ansible_config,
	         vault_secret),
	PU_FIELD("limit", PU_STRING, struct ansible_config, limit),
	PU_FIELD("env", PU_ENV, struct ansible_config, env),
	PU_FIELD("timeout", PU_TIMEOUT, struct ansible_config, timeout_ms),
	{ NULL, PU_OTHER, 0, NULL }
};

void
ans_config_free(struct ansible_config *c)
{
	pu_config_free(config_fields, c);
	free(c->inventory_list);
	memset(c, 0, sizeof(*c));
}

/* Checks config.extra_vars: an object whose keys are variable names (or,
 * before rendering, a template that will become one). */
static int
check_extra_vars(const inn_host *host, const inn_step *step, int rendered,
                 char *err, size_t errlen)
{
	const char *s;
	size_t n, i;
	int t = host->input_type(step, "extra_vars");

	if (!rendered && t == INN_VALUE_STRING &&
	    host->input_string(step, "extra_vars", &s) == 0 && pu_is_template(s))
		return 0;
	if (t != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.extra_vars: must be an object of "
		                 "variable: value");
	n = host->input_count(step, "extra_vars");
	for (i = 0; i < n; i++) {
		const char *key = host->input_key(step, "extra_vars", i);

		if (key != NULL && !pu_valid_env_name(key))
			return pu_refuse(err, errlen, "config.extra_vars: \"%s\" is not a valid "
			                 "ansible variable name ([A-Za-z_][A-Za-z0-9_]*)", key);
	}
	return 0;
}

/* Reads config.inventory: a string (hosts "a,b," or an inventory path) or
 * a list of hosts. */
static int
read_inventory(const inn_host *host, const inn_step *step, int rendered,
               struct ansible_config *c, char *err, size_t errlen)
{
	int t = host->input_type(step, "inventory");

	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t == INN_VALUE_STRING) {
		host->input_string(step, "inventory", &c->inventory);
		if ((rendered || !pu_is_template(c->inventory)) && c->inventory[0] == '\0')
			return pu_refuse(err, errlen, "config.inventory: must not be empty");
		return 0;
	}
	if (t == INN_VALUE_ARRAY) {
		int rc = pu_read_strv(host, step, "inventory", rendered, &list_rule,
		                      &c->inventory_list, err, errlen);

		if (rc == 0 && c->inventory_list[0] == NULL)
			return pu_refuse(err, errlen, "config.inventory: the list of hosts is "
			                 "empty");
		return rc;
	}
	return pu_refuse(err, errlen, "config.inventory: must be a string (\"host1,"
	                 "host2,\" or an inventory path) or a list of hosts");
}

int
ans_config_read(const inn_host *host, const inn_step *step, int rendered,
                struct ansible_config *c, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (host->input_type(step, "") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config: must be an object with \"playbook\" "
		                 "or \"playbook_content\"");
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err,
	    errlen)) != 0)
		goto fail;
	if ((c->playbook != NULL) == (c->playbook_content != NULL)) {
		rc = pu_refuse(err, errlen, "config: needs exactly one of \"playbook\" (a "
		               "path) or \"playbook_content\" (the playbook itself)");
		goto fail;
	}
	if (c->playbook_base != NULL && c->playbook == NULL) {
		rc = pu_refuse(err, errlen, "config.playbook_base: only applies to "
		               "\"playbook\"");
		goto fail;
	}
	/* the folder a playbook is confined to is the provider's choice, never
	 * a value a user's parameter renders into (IJ-9) */
	if (c->playbook_base != NULL && !rendered && pu_is_template(c->playbook_base)) {
		rc = pu_refuse(err, errlen, "config.playbook_base: must be written out, "
		               "not rendered from a template (it is the folder the playbook "
		               "is confined to)");
		goto fail;
	}
	if (c->playbook_base != NULL && (rendered || !pu_is_template(c->playbook_base)) &&
	    c->playbook_base[0] != '/') {
		rc = pu_refuse(err, errlen, "config.playbook_base: \"%s\" must be an "
		               "absolute path", c->playbook_base);
		goto fail;
	}
	if (c->playbook != NULL && (rendered || !pu_is_template(c->playbook))) {
		if (c->playbook[0] == '\0') {
			rc = pu_refuse(err, errlen, "config.playbook: must not be empty");
			goto fail;
		}
		if (c->playbook[0] != '/' && pu_has_dotdot(c->playbook)) {
			rc = pu_refuse(err, errlen, "config.playbook: \"%s\" must stay inside "
			               "its base folder (no \"..\")", c->playbook);
			goto fail;
		}
	}
	if (c->playbook_content != NULL && c->playbook_content[0] == '\0') {
		rc = pu_refuse(err, errlen, "config.playbook_content: must not be empty");
		goto fail;
	}
	if (c->vault_secret != NULL && c->vault_secret[0] == '\0') {
		rc = pu_refuse(err, errlen, "config.vault_password_secret: must name a "
		               "secret");
		goto fail;
	}

	if ((rc = read_inventory(host, step, rendered, c, err, errlen)) != 0)
		goto fail;
	if (host->input_type(step, "extra_vars") != INN_VALUE_ABSENT) {
		if ((rc = check_extra_vars(host, step, rendered, err, errlen)) != 0)
			goto fail;
		c->has_extra_vars = 1;
	}
	return 0;
fail:
	ans_config_free(c);
	return rc;
}

