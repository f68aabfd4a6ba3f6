/*
 * runs_expire.c - the TTL reaper: on a timer of the event loop, every
 * application whose time to live ran out (and whose earlier TTL deletion,
 * if it failed, is due for its retry) gets a deletion submitted on behalf
 * of its team, logged and audited -- on one replica at a time (the store's
 * lock "reaper").  It sits above runs.c (it submits) and
 * runs_deploy.c (which keeps the retry table).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "runs_int.h"
#include "server.h"

int
inn_runs_reap_expired(inn_server *srv)
{
	inn_app_row *apps = NULL;
	size_t n = 0, i;
	int64_t now = inn_wall_ms();
	int count = 0;
	static int said;  /* the loop thread's */

	/* one replica at a time reaps (the store's lock; always this one on
	 * a store only this process uses) */
	if (inn_store_lock_try(srv->store, "reaper") != 1)
		return 0;
	if (!said && inn_store_shared(srv->store)) {
		char me[INN_REPLICA_ID_MAX + 1];

		inn_replica_me(srv, me);
		fprintf(stderr, "innominatus: replica %s runs the TTL reaper\n", me);
	}
	said = 1;
	if (inn_store_app_list(srv->store, NULL, NULL, NULL, &apps, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		json_object *summary = NULL, *det;
		int64_t id = 0;
		inn_caller sys;
		inn_diag d;
		int rc;

		if (apps[i].expires_ms <= 0 || apps[i].expires_ms > now ||
		    (apps[i].status != NULL && strcmp(apps[i].status, "deleting") == 0) ||
		    !inn_runs_reap_due(srv, apps[i].name, now))
			continue;
		inn_diag_init(&d);
		/* the system deletes it, on behalf of its team (who sees it) */
		memset(&sys, 0, sizeof(sys));
		snprintf(sys.p.name, sizeof(sys.p.name), "system");
		snprintf(sys.p.role, sizeof(sys.p.role), "admin");
		snprintf(sys.p.team, sizeof(sys.p.team), "%s", apps[i].team ? apps[i].team : "");
		sys.admin = 1;
		pthread_mutex_lock(&srv->reap_lock);
		srv->reap_current = apps[i].name;
		pthread_mutex_unlock(&srv->reap_lock);
		rc = inn_runs_deploy_submit(srv, &sys, apps[i].name, NULL, NULL, 0, 0, &d, &summary,
		                            &id);
		pthread_mutex_lock(&srv->reap_lock);
		srv->reap_current = NULL;
		pthread_mutex_unlock(&srv->reap_lock);
		inn_diag_free(&d);
		json_object_put(summary);
		if (rc == INN_RUNS_CONFLICT)
			continue;   /* a deployment runs: the next round */
		det = json_object_new_object();
		json_object_object_add(det, "expires_ms", json_object_new_int64(apps[i].expires_ms));
		if (rc == 0) {
			json_object_object_add(det, "execution", json_object_new_int64(id));
			fprintf(stderr, "innominatus: application %s: its TTL ran out; deleting it "
			        "(execution %lld)\n", apps[i].name, (long long)id);
			count++;
		} else {
			json_object_object_add(det, "error", json_object_new_string(inn_error_last()));
			/* not again every round: retried later, with a backoff */
			inn_store_app_update(srv->store, apps[i].name, "failed", NULL, -1, -1);
			inn_runs_reap_failed(srv, apps[i].name, 0, inn_error_last(), 1);
		}
		inn_store_audit(srv->store, "system", "application.expired", apps[i].name, det);
		json_object_put(det);
	}
	inn_app_rows_free(apps, n);
	return count;
}
