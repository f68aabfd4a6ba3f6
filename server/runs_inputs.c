/*
 * runs_inputs.c - what an execution's inputs become in the store, and
 * back.  The executions row keeps its parameters and Score spec with every
 * secret value masked (what the API shows); when masking changed them, the
 * real ones are sealed with the server's key (secretbox.c) into
 * sealed_inputs, so a retry or a crash-recovery resume runs with exactly
 * the inputs the first run had.  When they cannot be unsealed (the key
 * file was replaced or lost, or the row predates sealing), the retry or
 * resume is refused with the reason: it never runs with "***".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exec.h"
#include "mask.h"
#include "runs_inputs.h"
#include "secretbox.h"

void
inn_json_mask(inn_masker *m, json_object *o)
{
	size_t i, n;

	if (o == NULL)
		return;
	switch (json_object_get_type(o)) {
	case json_type_string: {
		size_t mlen = 0;
		char *masked = inn_masker_apply(m, json_object_get_string(o),
		                                (size_t)json_object_get_string_len(o), &mlen);

		if (masked != NULL)
			json_object_set_string_len(o, masked, (int)mlen);
		free(masked);
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			inn_json_mask(m, json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			inn_json_mask(m, v);
		}
		break;
	}
	default:
		break;
	}
}

int
inn_json_has_mask(json_object *o)
{
	size_t i, n;

	if (o == NULL)
		return 0;
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strstr(json_object_get_string(o), INN_MASK_TEXT) != NULL;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (inn_json_has_mask(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (inn_json_has_mask(v))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int
inn_runs_inputs_seal(inn_secretbox *box, json_object *stored_params, json_object *stored_spec,
                     json_object *params, json_object *spec, char **sealed)
{
	json_object *o;
	const char *text;
	size_t len;
	int rc;

	*sealed = NULL;
	if (!inn_json_has_mask(stored_params) && !inn_json_has_mask(stored_spec))
		return 0;
	if (box == NULL)
		return inn_error_set(INN_ERROR, "no key to seal secret values with");
	o = json_object_new_object();
	json_object_object_add(o, "params", params ? json_object_get(params)
	                                           : json_object_new_object());
	if (spec != NULL)
		json_object_object_add(o, "spec", json_object_get(spec));
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	rc = text != NULL ? inn_secretbox_seal(box, text, len, sealed)
	                  : inn_error_set(INN_ENOMEM, "out of memory");
	json_object_put(o);
	return rc;
}

int
inn_runs_inputs_open(inn_secretbox *box, const inn_exec_row *row, json_object **params,
                     json_object **spec)
{
	json_object *o = NULL, *v;
	char *plain = NULL;
	size_t len = 0;
	int rc;

	*params = NULL;
	*spec = NULL;
	if (row->sealed_inputs == NULL) {
		/* nothing was masked, or the row was stored before inputs were
		 * sealed: then its secrets are lost */
		if (inn_json_has_mask(row->params) || inn_json_has_mask(row->spec))
			return inn_error_set(INN_EINVAL, "execution %lld was stored with its secret "
			                     "values masked and no sealed copy of them; it cannot run "
			                     "again with the same inputs: start a new run",
			                     (long long)row->id);
		*params = inn_json_copy(row->params);
		*spec = inn_json_copy(row->spec);
		return 0;
	}
	if (box == NULL)
		return inn_error_set(INN_EINVAL, "execution %lld: no key to unseal its secret "
		                     "values", (long long)row->id);
	if ((rc = inn_secretbox_unseal(box, row->sealed_inputs, &plain, &len)) != 0)
		return inn_error_set(rc, "execution %lld: its secret values cannot be recovered: %s",
		                     (long long)row->id, inn_error_last());
	o = json_tokener_parse(plain);
	memset(plain, 0, len);
	free(plain);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return inn_error_set(INN_EINVAL, "execution %lld: its sealed inputs are not JSON",
		                     (long long)row->id);
	}
	if (json_object_object_get_ex(o, "params", &v))
		*params = json_object_get(v);
	if (json_object_object_get_ex(o, "spec", &v))
		*spec = json_object_get(v);
	json_object_put(o);
	return 0;
}

/* Replaces, in o, the value of every secret parameter of wf by "***"
 * (whatever its length) and registers the value with m; an unset one (null)
 * stays null: there is nothing to hide. */
static void
secret_params_out(const inn_workflow *wf, json_object *o, json_object *given,
                  inn_masker *m)
{
	json_object *v;
	size_t j;

	for (j = 0; j < wf->nparams; j++) {
		const inn_param *p = &wf->params[j];

		if (p->type == NULL || strcmp(p->type, "secret") != 0)
			continue;
		if (m != NULL && json_object_object_get_ex(given, p->name, &v))
			inn_masker_add(m, json_object_get_string(v));
		if (o != NULL && json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, p->name, &v) && v != NULL)
			json_object_object_add(o, p->name, json_object_new_string(INN_MASK_TEXT));
	}
}

int
inn_runs_inputs_store(inn_secretbox *box, const inn_workflow *wf, const inn_deploy *plan,
                      json_object *completed, json_object *resolved, json_object *params,
                      json_object *spec, inn_exec_row *row)
{
	inn_masker *m = NULL;
	json_object *res = NULL, *r, *rparams, *mask;
	size_t i;
	int rc;

	row->params = inn_json_copy(resolved);
	row->spec = inn_json_copy(spec);
	if ((rc = inn_masker_new(&m)) != 0 ||
	    (wf != NULL && (rc = inn_params_mask_secrets(wf, resolved, m)) != 0))
		goto out;
	if (completed != NULL && json_object_object_get_ex(completed, INN_COMPLETED_MASK, &mask) &&
	    json_object_is_type(mask, json_type_array))
		for (i = 0; i < json_object_array_length(mask); i++)
			inn_masker_add(m, json_object_get_string(json_object_array_get_idx(mask, i)));
	if (wf != NULL)
		secret_params_out(wf, row->params, NULL, NULL);
	if (row->spec != NULL)
		json_object_object_get_ex(row->spec, "resources", &res);
	for (i = 0; i < inn_deploy_nparts(plan); i++) {
		const inn_deploy_part *rp = inn_deploy_part_at(plan, i);

		rparams = NULL;
		if (rp->wf == NULL)
			continue;
		if (res != NULL && json_object_object_get_ex(res, rp->name, &r))
			json_object_object_get_ex(r, "params", &rparams);
		secret_params_out(rp->wf, rparams, rp->params, m);
	}
	inn_json_mask(m, row->params);
	inn_json_mask(m, row->spec);
	rc = inn_runs_inputs_seal(box, row->params, row->spec, params, spec, &row->sealed_inputs);
out:
	inn_masker_free(m);
	return rc;
}
