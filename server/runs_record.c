/*
 * runs_record.c - what a running workflow of an execution reports, made
 * durable and public: each step state and log line goes to the store (a
 * step's real outputs sealed beside the masked ones, its earlier log lines
 * scrubbed once a secret output is known) and to the event sink; a run
 * slot is one running workflow of an execution (a resource part, a phase
 * workflow or the main one), so a cancel reaches every slot.  A step
 * starts only while this replica holds the execution (inn_runs_fence);
 * once it does not, nothing more of it is written.  Below both
 * runs.c (executions) and runs_deploy.c (deployments), which call it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "host.h"
#include "runs_int.h"
#include "server.h"
#include "utf8_out.h"

/* ---- a step's real outputs, sealed for a retry or a resume --------------- */

/* When the stored (masked) outputs of a step differ from the real ones:
 * {"outputs": real, "mask": [its secret values]} sealed (malloc'd), so a
 * retry or resume reuses the step with the real values.  NULL when nothing
 * was masked, or it cannot be sealed (then the step is run again). */
static char *
seal_outputs(struct run_slot *slot, const inn_step_result *sr)
{
	json_object *o, *mask;
	const char *text;
	char *sealed = NULL;
	size_t len;

	struct active_run *ar = slot->ar;

	if (sr->outputs_real == NULL || json_object_equal(sr->outputs, sr->outputs_real) ||
	    ar->srv->secretbox == NULL)
		return NULL;
	o = json_object_new_object();
	mask = json_object_new_array();
	inn_masker_collect(inn_run_masker(slot->run), sr->outputs_real, mask);
	json_object_object_add(o, "outputs", json_object_get(sr->outputs_real));
	json_object_object_add(o, "mask", mask);
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (text == NULL || inn_secretbox_seal(ar->srv->secretbox, text, len, &sealed) != 0)
		sealed = NULL;
	json_object_put(o);
	return sealed;
}

/* ---- engine callbacks ---------------------------------------------------- */

/* Hands an event of the execution (id: its store id) to the server's
 * event sink (main.c wires the SSE hub; none before serving). */
void
inn_runs_publish(struct active_run *ar, const char *kind, int64_t id, json_object *data)
{
	if (ar->srv->on_event != NULL)
		ar->srv->on_event(ar->srv, kind, ar->id, id, ar->team, ar->created_by, data);
}

/* inn_store_logs_scrub's fn: the line masked with the run's values. */
static char *
scrub_line(void *ud, const char *line, size_t len)
{
	return inn_masker_apply(ud, line, len, NULL);
}

/* Whether ar may no longer write: another replica took it, or this
 * replica's last lease renewal has run out (another may adopt it any
 * moment; cluster.c). */
static int
run_gone(struct active_run *ar)
{
	int64_t until = atomic_load(&ar->srv->lease_valid_until);

	if (atomic_load(&ar->lost))
		return 1;
	if (until > 0 && inn_now_ms() > until) {
		atomic_store(&ar->lost, 1);
		return 1;
	}
	return 0;
}

static void
on_step_state(void *ud, size_t idx, const char *step, inn_state st, int attempt,
              const char *msg)
{
	struct run_slot *slot = ud;
	struct active_run *ar = slot->ar;
	inn_server *srv = ar->srv;
	const inn_step_result *sr = inn_run_step(slot->run, idx);
	inn_step_row row;
	json_object *data;
	char type[64], name[512];
	int64_t ev = 0;
	int tx;

	/* another replica took the execution over: nothing more is written,
	 * and a step about to start does not start (the run is cancelled) */
	if (run_gone(ar) || (st == INN_STATE_RUNNING && inn_runs_fence(ar) != 0))
		return;
	snprintf(name, sizeof(name), "%s%s", slot->prefix, step);
	step = name;
	/* a step that started is in its first attempt (the engine counts
	 * attempts once it runs the plugin): what recovery shows after a crash */
	if (st == INN_STATE_RUNNING && attempt < 1)
		attempt = 1;
	memset(&row, 0, sizeof(row));
	row.idx = slot->idx_base + (int)idx;
	row.name = (char *)step;
	row.type = slot->wf->steps[idx].type;
	row.status = (char *)inn_state_name(st);
	row.attempts = attempt;
	row.message = (char *)msg;
	row.started_ms = sr ? sr->started_ms : 0;
	row.ended_ms = inn_state_is_final(st) ? inn_wall_ms() : 0;
	row.outputs = st == INN_STATE_SUCCEEDED && sr ? sr->outputs : NULL;
	row.sealed_outputs = row.outputs != NULL ? seal_outputs(slot, sr) : NULL;
	/* the step row and its event in one commit */
	tx = inn_store_begin(srv->store) == 0;
	inn_store_step_put(srv->store, ar->id, &row);
	if (inn_state_is_final(st) && row.started_ms > 0) {
		int64_t ms = row.ended_ms - row.started_ms;
		static const int64_t bounds[] = INN_STEP_BUCKET_BOUNDS;
		size_t b;

		atomic_fetch_add(&srv->m_step_ms_sum, ms);
		atomic_fetch_add(&srv->m_step_count, 1);
		for (b = 0; b < INN_STEP_BUCKETS && ms > bounds[b]; b++)
			;
		atomic_fetch_add(&srv->m_step_bucket[b], 1);
	}
	data = json_object_new_object();
	json_object_object_add(data, "execution", json_object_new_int64(ar->id));
	json_object_object_add(data, "step", json_object_new_string(step));
	json_object_object_add(data, "status", json_object_new_string(row.status));
	json_object_object_add(data, "attempt", json_object_new_int(attempt));
	if (msg != NULL)
		json_object_object_add(data, "message", json_object_new_string(msg));
	snprintf(type, sizeof(type), "step.%s", row.status);
	inn_store_event_add(srv->store, type, ar->id, ar->team, data, &ev);
	if (tx)
		inn_store_commit(srv->store);
	/* A secret output is known only now: the step's lines stored before
	 * (printed before it declared it, or before the program's output was
	 * read) are masked in the store too.  Live followers saw them already. */
	if (inn_state_is_final(st) && sr != NULL && sr->outputs_real != NULL &&
	    !json_object_equal(sr->outputs, sr->outputs_real))
		inn_store_logs_scrub(srv->store, ar->id, step, scrub_line,
		                     inn_run_masker(slot->run), NULL);
	inn_runs_publish(ar, type, ev, data);
	json_object_put(data);
	free(row.sealed_outputs);
}

static void
on_log(void *ud, const char *step, int level, int stream, const char *line, size_t len)
{
	struct run_slot *slot = ud;
	struct active_run *ar = slot->ar;
	json_object *data;
	int64_t seq = 0, ts = inn_wall_ms();
	/* the line as valid UTF-8: raw bytes a step printed and NUL become
	 * U+FFFD (a NUL no longer cuts the rest of the line off) */
	char *copy = inn_utf8_dup(line, len), name[512];

	snprintf(name, sizeof(name), "%s%s", slot->prefix, step);
	step = name;
	if (copy == NULL)
		return;
	if (run_gone(ar)) {
		free(copy);
		return;
	}
	/* published as GET .../logs gives it back: the same members, the same ts */
	if (inn_store_log_append_at(ar->srv->store, ar->id, step, level, stream, copy, ts,
	                            &seq) == 0) {
		data = json_object_new_object();
		json_object_object_add(data, "seq", json_object_new_int64(seq));
		json_object_object_add(data, "step", json_object_new_string(step));
		json_object_object_add(data, "level", json_object_new_int(level));
		json_object_object_add(data, "stream", json_object_new_int(stream));
		json_object_object_add(data, "line", json_object_new_string(copy));
		json_object_object_add(data, "ts", json_object_new_int64(ts));
		inn_runs_publish(ar, "log", seq, data);
		json_object_put(data);
	}
	free(copy);
}

inn_state
inn_runs_slot_run(struct active_run *ar, struct run_slot *slot, const inn_workflow *wf,
                  const inn_run_opts *ro_in, int idx_base, const char *prefix, char *why,
                  size_t whylen)
{
	inn_run_opts ro = *ro_in;
	inn_run *run = NULL;
	struct run_slot **pp;
	inn_state st;

	slot->ar = ar;
	slot->wf = wf;
	slot->run = NULL;
	slot->idx_base = idx_base;
	snprintf(slot->prefix, sizeof(slot->prefix), "%s", prefix);
	ro.events.step_state = on_step_state;
	ro.events.log = on_log;
	ro.events.ud = slot;
	if (inn_run_new(&run, ar->srv->engine, wf, &ro) != 0) {
		snprintf(why, whylen, "%s", inn_error_last());
		return INN_STATE_FAILED;
	}
	slot->run = run;
	pthread_mutex_lock(&ar->srv->runs_lock);
	slot->next = ar->slots;
	ar->slots = slot;
	if (ar->cancel_requested)
		inn_run_cancel(run);
	pthread_mutex_unlock(&ar->srv->runs_lock);
	inn_run_execute(run);
	pthread_mutex_lock(&ar->srv->runs_lock);
	for (pp = &ar->slots; *pp != NULL; pp = &(*pp)->next)
		if (*pp == slot) {
			*pp = slot->next;
			break;
		}
	pthread_mutex_unlock(&ar->srv->runs_lock);
	st = inn_run_state(run);
	snprintf(why, whylen, "%s", inn_run_message(run) ? inn_run_message(run) : "");
	return st;
}

int
inn_runs_fence(struct active_run *ar)
{
	inn_server *srv = ar->srv;
	int rc = inn_store_exec_fence(srv->store, ar->me, ar->id);

	if (rc == 0)
		return 0;
	if (rc != INN_STORE_LOST)
		return 0;   /* the store failed to answer: the lease decides (cluster.c) */
	if (!atomic_exchange(&ar->lost, 1))
		fprintf(stderr, "innominatus: execution %lld: replica %s no longer holds it; "
		        "stopping it here (another replica accounts for it)\n",
		        (long long)ar->id, ar->me);
	pthread_mutex_lock(&srv->runs_lock);
	ar->cancel_requested = 1;
	inn_runs_cancel_slots(ar);
	pthread_mutex_unlock(&srv->runs_lock);
	return INN_STORE_LOST;
}

void
inn_runs_cancel_slots(struct active_run *ar)
{
	struct run_slot *sl;

	for (sl = ar->slots; sl != NULL; sl = sl->next)
		inn_run_cancel(sl->run);
}
