#!/bin/sh
# lifecycle.sh - the execution lifecycle under attack (hardening review
# HT-12, HT-11, DU-7, DU-5, DU-6, DU-3 and the kill -9 accounting): queued
# executions are cancelled at once and never start, the queue is bounded
# (429 + Retry-After) and holds no thread per execution, SIGTERM keeps the
# API answering while it drains and leaves queued executions pending for the
# next start, and a restart after kill -9 leaves nothing running and runs
# what never started.  Prints TAP.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
fixtures=$INN_TOP_SRCDIR/tests/data/hostile/lifecycle
h_init lifecycle
h_plugin "$INN_TOP_BUILDDIR/tests/plugins/.libs/noop.so"
# the drain's grace is long: the running executions end when the test
# creates their gate file, so the drain lasts as long as the checks need
H_SERVER_YAML="  shutdownGraceSeconds: 60
  maxQueuedExecutions: 5"
H_POLICY_YAML="  maxConcurrentWorkflows: 2"
h_start "$fixtures" || exit 1
U=$(h_key life-user user red)

run() { # WORKFLOW PARAMS-JSON: prints the id ("" when refused)
	api POST /api/workflows/run "$U" -d "{\"workflow\":\"life/$1\",\"parameters\":$2}" | jf id
}
hold() { # TAG SECS
	run hold "{\"marker\":\"$H/m-$1\",\"secs\":\"$2\"}"
}
gated() { # TAG: runs until $H/gate exists (30 s at most)
	run hold "{\"marker\":\"$H/m-$1\",\"gate\":\"$H/gate\"}"
}
wait_status() { # ID WANT [SECS]: until the execution has status WANT
	i=0
	while [ $i -lt $((${3:-30} * 10)) ]; do
		[ "$(h_status "$1" "$U")" = "$2" ] && return 0
		i=$((i + 1)); sleep 0.1
	done
	return 1
}
alive() { kill -0 "$spid" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ]; }
db() { sqlite3 "$H/inn.db" "$1" 2>/dev/null; }
proc() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$spid/status" 2>/dev/null || echo 99999; }

# ---- HT-12: cancel of a queued execution ----------------------------------
r1=$(gated r1)
r2=$(gated r2)
wait_status "$r1" running && wait_status "$r2" running
check "two long executions hold both slots" wait_status "$r2" running 1
q1=$(hold q1 0)
check "a third one waits: pending" [ "$(h_status "$q1" "$U")" = pending ]
body=$(api POST "/api/workflows/$q1/cancel" "$U")
check "HT-12: cancelling the queued execution answers 202" code_is 202
check "HT-12: the answer says it is cancelled (not later: it never started)" \
	[ "$(echo "$body" | jf status)" = cancelled ]
check "HT-12: the server is still alive" alive
check "HT-12: the store records it cancelled at once" [ "$(h_status "$q1" "$U")" = cancelled ]
body=$(api POST "/api/workflows/$q1/cancel" "$U")
check "a second cancel is 409" code_is 409
check "... and tells the truth (cancelled)" sh -c 'echo "$1" | grep -q "is cancelled"' - "$body"
check "the running ones still run" [ "$(h_status "$r1" "$U")" = running ]

# ---- HT-11: a bounded queue ----------------------------------------------
q2=$(hold q2 0); q3=$(hold q3 0); q4=$(hold q4 0); q5=$(hold q5 0); q6=$(hold q6 0)
check "five queued executions are accepted (maxQueuedExecutions: 5)" \
	[ -n "$q2" -a -n "$q3" -a -n "$q4" -a -n "$q5" -a -n "$q6" ]
body=$(api POST /api/workflows/run "$U" -D "$H/hdr" \
	-d "{\"workflow\":\"life/hold\",\"parameters\":{\"marker\":\"$H/m-x\"}}")
check "HT-11: the sixth is refused with 429" code_is 429
check "HT-11: ... a JSON error queue_full" [ "$(echo "$body" | jf error.code)" = queue_full ]
check "HT-11: ... and a Retry-After header" grep -qi '^Retry-After: [0-9]' "$H/hdr"
check "HT-11: the refused one left no execution behind" \
	[ "$(db "select count(*) from executions where params like '%m-x%'")" = 0 ]
check_api "HT-11: a dry run counts too (429)" 429 POST /api/workflows/run "$U" -d '{"workflow":"life/hold","dry_run":true,"parameters":{"marker":"/nonexistent"}}'
check "/metrics shows the 5 queued executions" \
	sh -c 'curl -s "$1/metrics" | grep -q "^innominatus_executions_queued 5\$"' - "$url"
threads=$(proc Threads)
check "HT-11: no thread per queued execution ($threads threads)" [ "${threads:-99999}" -le 8 ]

# ---- DU-5 / DU-6: SIGTERM with running and queued executions ---------------
kill -TERM "$spid"
i=0
while [ $i -lt 50 ] && [ "$(curl -s -m 1 "$url/ready" | jf checks.draining)" != True ]; do
	i=$((i + 1)); sleep 0.1
done
check "DU-6: /ready says draining" [ "$(curl -s -m 5 "$url/ready" | jf checks.draining)" = True ]
check "DU-6: ... with 503" [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/ready")" = 503 ]
check "DU-6: /health answers during the drain" \
	[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/health")" = 200 ]
check "DU-6: reads answer during the drain" [ "$(h_status "$r1" "$U")" = running ]
body=$(api POST /api/workflows/run "$U" -m 5 -d "{\"workflow\":\"life/hold\",\"parameters\":{\"marker\":\"$H/m-d\"}}")
check "DU-6: a new run is refused: 503" code_is 503
check "DU-6: ... with the JSON error draining" [ "$(echo "$body" | jf error.code)" = draining ]
check_api "DU-6: a retry is refused: 503" 503 POST "/api/workflows/$q1/retry" "$U" -m 5
body=$(api POST "/api/workflows/$q3/cancel" "$U" -m 5)
check "a queued execution can be cancelled during the drain" \
	[ "$(echo "$body" | jf status)" = cancelled ]
check "the server is still draining (the loop did not stop)" alive
touch "$H/gate"
wait "$spid"
rc=$?
spid=""
rm -f "$H/gate"
check "the server drained and exited 0 (rc $rc)" [ "$rc" = 0 ]
check "DU-5: the queued executions were never started" \
	[ ! -e "$H/m-q2" -a ! -e "$H/m-q4" -a ! -e "$H/m-q5" -a ! -e "$H/m-q6" ]
check "the running ones finished within the grace and were recorded succeeded" \
	[ "$(db "select status from executions where id in ($r1,$r2)" | sort -u)" = succeeded ]
check "DU-5: the queued ones stay pending in the store" \
	[ "$(db "select status from executions where id in ($q2,$q4,$q5,$q6)" | sort -u)" = pending ]
check "no step is left running" [ "$(db "select count(*) from steps where status='running'")" = 0 ]

# ---- the next start runs what was queued ------------------------------------
h_start "$fixtures" || exit 1
for q in $q2 $q4 $q5 $q6; do h_wait_final "$q" "$U" 30; done
check "DU-5: after the restart the queued ones ran and succeeded" \
	[ "$(db "select status from executions where id in ($q2,$q4,$q5,$q6)" | sort -u)" = succeeded ]
never_ran() { [ ! -e "$H/m-q1" ] && [ ! -e "$H/m-q3" ] &&
	[ "$(db "select status from executions where id in ($q1,$q3)" | sort -u)" = cancelled ]; }
check "... and the ones cancelled while queued never ran" never_ran

# ---- DU-7: the grace ends while executions are still queued -----------------
h_stop TERM
H_SERVER_YAML="  shutdownGraceSeconds: 1
  maxQueuedExecutions: 5"
h_start "$fixtures" || exit 1
s1=$(gated s1); s2=$(gated s2)
wait_status "$s1" running && wait_status "$s2" running
s3=$(hold s3 0)
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=""
check "DU-7: SIGTERM with queued executions past the grace: exit 0, no crash (rc $rc)" [ "$rc" = 0 ]
check "DU-7: the running ones were cancelled after the grace and recorded so" \
	[ "$(db "select status from executions where id in ($s1,$s2)" | sort -u)" = cancelled ]
check "DU-7: the queued one never started and stays pending" \
	[ ! -e "$H/m-s3" -a "$(db "select status from executions where id=$s3")" = pending ]
check "no step is left running" [ "$(db "select count(*) from steps where status='running'")" = 0 ]
h_start "$fixtures" || exit 1
h_wait_final "$s3" "$U" 30
check "DU-7: after the restart it ran" [ -e "$H/m-s3" -a "$(h_status "$s3" "$U")" = succeeded ]

# ---- kill -9 with running, resumable and queued executions ------------------
k1=$(gated k1)
i0=$(run idem '{"ms":30000}')
wait_status "$k1" running && wait_status "$i0" running
i=0
while [ -n "$i0" ] && [ $i -lt 100 ] && [ "$(db "select status from steps where exec_id=$i0 and name='wait'")" != running ]; do
	i=$((i + 1)); sleep 0.1
done
p1=$(hold p1 0)
i1=$(run idem '{"ms":10}')
check "two queued behind them" [ "$(h_status "$p1" "$U")$(h_status "$i1" "$U")" = pendingpending ]
h_stop KILL
h_start "$fixtures" || exit 1
check "after kill -9 no execution is left running for a dead process" \
	[ "$(h_status "$k1" "$U")" = failed ]
check "... and no step row of it stays running" \
	[ "$(db "select count(*) from steps where exec_id=$k1 and status='running'")" = 0 ]
resumed() { case $(db "select status from executions where id=$i0") in pending|running) return 0;; esac; return 1; }
check "the resumable one is pending or running again, not interrupted" resumed
check "... and no interrupted event was recorded for it" \
	[ "$(db "select count(*) from events where exec_id=$i0 and type='execution.interrupted'")" = 0 ]
check "... and it was resumed once" \
	[ "$(db "select count(*) from events where exec_id=$i0 and type='execution.resumed'")" = 1 ]
h_wait_final "$p1" "$U" 30
check "DU-3: the queued non-idempotent one was started after the restart: succeeded" \
	[ "$(h_status "$p1" "$U")" = succeeded ]
check "DU-3: ... and really ran" [ -e "$H/m-p1" ]
h_wait_final "$i1" "$U" 30
check "the queued idempotent one succeeded" [ "$(h_status "$i1" "$U")" = succeeded ]
api POST "/api/workflows/$i0/cancel" "$U" >/dev/null
h_wait_final "$i0" "$U" 30
check "the resumed one can be cancelled and is recorded so" [ "$(h_status "$i0" "$U")" = cancelled ]
check_api "cancelling a final execution is 409" 409 POST "/api/workflows/$k1/cancel" "$U"
h_stop TERM
check "nothing is left running in the store" \
	[ "$(db "select count(*) from executions where status in ('running','pending')")$(db "select count(*) from steps where status='running'")" = 00 ]

# ---- HT-11: 600 queued executions, a bounded number of threads --------------
H_SERVER_YAML="  shutdownGraceSeconds: 1
  maxQueuedExecutions: 1000
  maxQueuedBytes: 262144"
h_start "$fixtures" || exit 1
b1=$(hold b1 30); b2=$(hold b2 30)
wait_status "$b1" running && wait_status "$b2" running
# what queued executions hold is bounded too (maxQueuedBytes: 256 KiB)
note=$(python3 -c 'print("n" * 100000)')
big() { run hold "{\"marker\":\"$H/m-big\",\"note\":\"$note\"}"; }
g1=$(big); g2=$(big); g3=$(big)
check "two queued executions with 100 kB parameters are accepted" [ -n "$g1" -a -n "$g2" ]
check "HT-11: a third is refused with 429 (maxQueuedBytes)" [ -z "$g3" -a "$(cat "$H/code")" = 429 ]
api POST "/api/workflows/$g1/cancel" "$U" >/dev/null
g3=$(big)
check "cancelling a queued one gives its room back" [ -n "$g3" ]
api POST "/api/workflows/$g2/cancel" "$U" >/dev/null
api POST "/api/workflows/$g3/cancel" "$U" >/dev/null
python3 - "$url" "$U" "$H" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
ok = 0
for i in range(600):
    c.request("POST", "/api/workflows/run", json.dumps({"workflow": "life/hold", "parameters": {"marker": sys.argv[3] + "/m-bulk"}}),
              {"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    ok += r.status == 202
open(sys.argv[3] + "/bulk", "w").write(str(ok))
PY
threads=$(proc Threads)
rss=$(proc VmRSS)
echo "# 600 queued executions: $threads threads, RSS $rss kB"
check "600 executions queued (202)" [ "$(cat "$H/bulk")" = 600 ]
check "HT-11: with 600 queued the server has a bounded number of threads ($threads)" \
	[ "${threads:-99999}" -le 8 ]
h_stop TERM
all_pending() { [ ! -e "$H/m-bulk" ] && [ "$(db "select count(*) from executions where status='pending'")" = 600 ]; }
check "the drain left all 600 pending, none started" all_pending
# ---- planning and accounting (attack A71 A74 A59 A24 A53 A84 A85 A32 A43 A75)
# (the 600 bulk executions above are set aside so they do not run first)
db "update executions set status='cancelled' where status='pending'"
H_SERVER_YAML="  shutdownGraceSeconds: 1
  maxQueuedBytes: 262144"
H_POLICY_YAML="  maxConcurrentWorkflows: 2
  maxStepsPerWorkflow: 5"
h_start "$fixtures" || exit 1
specrun() { # RESOURCES-FILE: a run of life/envdir with a Score spec (body in a file)
	python3 -c 'import json,sys; print(json.dumps({"workflow": "life/envdir", "parameters": {"out": sys.argv[2] + "/e-spec"}, "spec": {"apiVersion": "score.dev/v1b1", "metadata": {"name": "lifeapp"}, "containers": {"w": {"image": "x"}}, "resources": json.load(open(sys.argv[1]))}}))' "$1" "$H" > "$H/req"
	api POST /api/workflows/run "$U" -d @"$H/req"
}
resfile() { printf '%s' "$1" > "$H/res"; echo "$H/res"; }
has() { printf '%s' "$1" | grep -q -- "$2"; }
# A71: the state directory follows the effective environment
e1=$(run envdir "{\"out\":\"$H/e1\"}")
e2=$(run envdir "{\"out\":\"$H/e2\",\"environment\":\"dev\"}")
h_wait_final "$e1" "$U" 30; h_wait_final "$e2" "$U" 30
check "A71: both runs record environment dev" [ "$(api GET "/api/workflows/$e1" "$U" | jf parameters.environment)$(api GET "/api/workflows/$e2" "$U" | jf parameters.environment)" = devdev ]
check "A71: the default environment and the given one use the same state dir" \
	[ -s "$H/e1" ] && cmp -s "$H/e1" "$H/e2"
check "A71: ... named after the environment (.../dev/shell)" grep -q '/dev/shell$' "$H/e1"
body=$(specrun "$(resfile "{\"kv\":{\"type\":\"lifekv\",\"params\":{\"name\":\"a\",\"out\":\"$H/e-part\"}}}")")
sp=$(echo "$body" | jf id)
h_wait_final "$sp" "$U" 30
check "A71: a resource part keeps its state under the run's effective environment too" \
	grep -q '/lifeapp/kv/dev/shell$' "$H/e-part"
# A74: maxStepsPerWorkflow bounds the whole planned run; specs are bounded
python3 -c 'import json; print(json.dumps({"r%d" % i: {"type": "lifekv", "params": {"name": "a"}} for i in range(5)}))' > "$H/res"
body=$(specrun "$H/res")
check "A74: 5 resource parts + 1 step > maxStepsPerWorkflow 5: 400" code_is 400
check "A74: ... naming the limit" has "$body" maxStepsPerWorkflow
check "A74: ... and no execution was created" \
	[ "$(db "select count(*) from executions where app='lifeapp'")" = 1 ]
python3 -c 'import json; print(json.dumps({"r%d" % i: {"type": "lifekv", "params": {"name": "a"}} for i in range(150)}))' > "$H/res"
body=$(specrun "$H/res")
check "A74: a spec with 150 resources is refused: 400" code_is 400
check "A74: ... naming the resource limit" has "$body" "resources in one spec"
# A59: undeclared resource params
body=$(specrun "$(resfile '{"kv":{"type":"lifekv","params":{"name":"a","zz":1}}}')")
check "A59: an undeclared resource param is a 400" code_is 400
check "A59: ... naming the resource and the key" has "$body" 'resource \\"kv\\".*\\"zz\\"'
# A24 / A53: parameter values
check_api "A24: a value with a NUL is a 400" 400 POST /api/workflows/run "$U" -d "{\"workflow\":\"life/envdir\",\"parameters\":{\"out\":\"$H/n\\u0000x\"}}"
check "A24: ... and nothing ran" [ ! -e "$H/n" ]
python3 -c 'import json,sys; print(json.dumps({"workflow": "life/hold", "parameters": {"marker": sys.argv[1] + "/m-huge", "note": "b" * 200000}}))' "$H" > "$H/req"
body=$(api POST /api/workflows/run "$U" -d @"$H/req")
check "A53: a 200 KB value is a 400 at submit" code_is 400
check "A53: ... naming the per-value limit" has "$body" "limit of [0-9]* bytes"
# A84: a run that can never fit maxQueuedBytes
python3 -c 'import json,sys; n = "n" * 100000; print(json.dumps({"workflow": "life/hold", "parameters": {"marker": sys.argv[1] + "/m-fat", "note": n, "gate": n, "secs": n}}))' "$H" > "$H/req"
body=$(api POST /api/workflows/run "$U" -d @"$H/req")
check "A84: a run heavier than maxQueuedBytes is 413, not 429" code_is 413
check "A84: ... naming the limit" has "$body" maxQueuedBytes
# A85: a dry run is not retried
dr=$(api POST /api/workflows/run "$U" -d "{\"workflow\":\"life/envdir\",\"dry_run\":true,\"parameters\":{\"out\":\"$H/dry\"}}" | jf id)
i=0; while [ $i -lt 300 ] && [ "$(h_status "$dr" "$U")" != would-run ]; do i=$((i + 1)); sleep 0.1; done
st=$(h_status "$dr" "$U")
body=$(api POST "/api/workflows/$dr/retry" "$U")
check "A85: retrying a dry run ($st) is 409" code_is 409
check "A85: ... saying why" has "$body" "dry run"
# A32: a cancelled step says so
c1=$(hold c1 30)
wait_status "$c1" running
i=0; while [ $i -lt 100 ] && [ ! -e "$H/m-c1" ]; do i=$((i + 1)); sleep 0.1; done
api POST "/api/workflows/$c1/cancel" "$U" >/dev/null
h_wait_final "$c1" "$U" 30
msg=$(api GET "/api/workflows/$c1" "$U" | jf steps.0.message)
check "A32: a cancelled step's message is readable ($msg)" has "$msg" '^cancelled: '
# attack15 #10: three retries of one execution at once make one run
rps=""
for i in 1 2 3; do
	curl -s -o "$H/r$i" -w '%{http_code}' -X POST -H "Authorization: Bearer $U" \
		-d '{}' "$url/api/workflows/$c1/retry" > "$H/r$i.code" &
	rps="$rps $!"
done
wait $rps
codes=$(cat "$H/r1.code" "$H/r2.code" "$H/r3.code" | tr -d '\n' | fold -w3 | sort | tr -d '\n')
check "attack15 #10: 3 concurrent retries of $c1: one 202, two 409 ($codes)" test "$codes" = 202409409
rid=$(for i in 1 2 3; do [ "$(cat "$H/r$i.code")" = 202 ] && jf id < "$H/r$i"; done)
check "attack15 #10: ... the 409s name the retry that runs ($rid)" \
	test "$(for i in 1 2 3; do [ "$(cat "$H/r$i.code")" = 409 ] && jf error.execution < "$H/r$i"; done | sort -u)" = "$rid"
check "attack15 #10: the original says it was retried (retried_by $rid)" \
	test "$(api GET "/api/workflows/$c1" "$U" | jf retried_by)" = "$rid"
api POST "/api/workflows/$rid/cancel" "$U" >/dev/null
h_wait_final "$rid" "$U" 30
# A43 / A75: kill -9 in a two-step run
t1=$(run two "{\"marker\":\"$H/m-t1\",\"gate\":\"$H/gate-t1\"}")
i=0; while [ $i -lt 100 ] && [ ! -e "$H/m-t1" ]; do i=$((i + 1)); sleep 0.1; done
check "A43: every step has a row from the start (2 of 2)" \
	[ "$(api GET "/api/workflows/$t1" "$U" | jf steps | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
check "A75: the run's workspace is under <stateDir>/.runs" \
	sh -c 'ls -d "$1"/state/.runs/innominatus-run-* >/dev/null 2>&1' - "$H"
h_stop KILL
h_start "$fixtures" || exit 1
check "A43: after kill -9 the run is failed" [ "$(h_status "$t1" "$U")" = failed ]
check "A43: step b, never started, is recorded cancelled" \
	[ "$(db "select status from steps where exec_id=$t1 and name='b'")" = cancelled ]
check "A43: ... with a message saying it never started" \
	has "$(db "select message from steps where exec_id=$t1 and name='b'")" "never started"
check "A75: the restart swept the dead run's workspace" \
	[ -z "$(ls -A "$H/state/.runs" 2>/dev/null)" -a -d "$H/state/.runs" ]
h_stop TERM
h_done
