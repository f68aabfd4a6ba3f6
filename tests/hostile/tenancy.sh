#!/bin/sh
# tenancy.sh - who may see and change what (hardening review IJ-8, AU-8,
# AU-6, AU-7, AU-12, AU-13): applications of two teams never share state
# (nor do their direct runs, nor prod/eu and prod_eu, nor names longer
# than 64 characters), an application stays with whoever created it, a key
# without a team sees exactly its own runs and events, a resource's
# operations cannot be aimed
# at another team's resources, no user-given path decides where the demo
# providers write, key and team names follow one rule -- and the other
# routes of the same kinds (applications, resources, logs, cancel, retry,
# outputs, the event stream's backlog) keep to the same scoping.  Prints TAP.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
fixtures=$INN_TOP_SRCDIR/tests/data/hostile/tenancy
h_init tenancy
mkdir -p "$H/providers"
cp -r "$fixtures/providers/tenancy" "$INN_TOP_SRCDIR/tests/data/standin-providers/storage-team" "$H/providers/"
chmod -R u+w "$H/providers"
H_SERVER_YAML="  goldenpaths: $fixtures/goldenpaths.yaml"
h_start "$H/providers" || exit 1
RED=$(h_key red-dev user red)
BLUE=$(h_key blue-dev user blue)
LONE=$(h_key lone user)
LONE2=$(h_key lone2 user)

has() { printf '%s' "$1" | grep -q -- "$2"; }
env_name=dev
# spec APP OWNER [RESOURCE-JSON]: a run body for the noop golden path (in
# environment $env_name) whose Score spec asks for resource r1 (a "thing"
# held by OWNER unless RESOURCE-JSON says otherwise)
spec() {
	res=$3
	[ -n "$res" ] || res="{\"type\":\"thing\",\"params\":{\"owner\":\"$2\"}}"
	printf '{"parameters":{"environment":"%s"},"spec":{"apiVersion":"score.dev/v1b1","metadata":{"name":"%s"},"containers":{"w":{"image":"x"}},"resources":{"r1":%s}}}' \
		"$env_name" "$1" "$res"
}
deploy() { # KEY APP OWNER: runs the golden path, prints the id ("" if refused)
	api POST /api/golden-paths/noop/run "$1" -d "$(spec "$2" "$3")" | jf id
}
# waits use the admin key: what a user may see is asserted on its own
final_ok() { # ID: the execution ends succeeded
	h_wait_final "$1" "$ADMIN" && [ "$(h_status "$1" "$ADMIN")" = succeeded ]
}
was() { # ID KEY: the resource part's "was" output (who held the state before)
	api GET "/api/workflows/$1" "$2" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print([s for s in d["steps"] if s["name"]=="r1/make"][0]["outputs"].get("was",""))'
}

# ---- IJ-8: two apps whose names share 64 characters -------------------------
P=$(printf 'a%.0s' $(seq 64))
r=$(deploy "$RED" "${P}red" red-owner)
check "IJ-8: red's app (128-char name family) runs" final_ok "$r"
b=$(deploy "$BLUE" "${P}blue" blue-owner)
check "IJ-8: blue's app with the same first 64 characters runs" final_ok "$b"
check "IJ-8: blue's resource found no earlier state (not red's)" [ "$(was "$b" "$BLUE")" = "" ]
api GET "/api/workflows/$b/logs" "$BLUE" > "$H/blue.log"
check "IJ-8: blue's log never shows red's value" sh -c '! grep -q red-owner "$1"' - "$H/blue.log"
check "IJ-8: each app has its own state directory holding its own owner" sh -c '
	[ "$(cat "$1/state/$2red/r1/dev/shell/owner")" = red-owner ] &&
	[ "$(cat "$1/state/$2blue/r1/dev/shell/owner")" = blue-owner ]' - "$H" "$P"
again=$(deploy "$RED" "${P}red" red-owner)
h_wait_final "$again" "$ADMIN"
check "IJ-8: red's second run finds red's own state (state does persist)" \
	[ "$(was "$again" "$RED")" = red-owner ]
L=$(printf 'b%.0s' $(seq 128))
l1=$(deploy "$RED" "$L" one)
check "IJ-8: a 128-character app name runs" final_ok "$l1"
check "IJ-8: its state directory has the full name" [ -d "$H/state/$L" ]
env_name=$(printf 'e/%.0s' $(seq 60))
l2=$(deploy "$RED" longenv red-one)
env_name=dev
check "IJ-8: an environment whose escaped name is too long for a path component runs" \
	final_ok "$l2"
check "IJ-8: ... its state directory is a prefix plus the SHA-256 of the full name" \
	sh -c 'ls "$1/state/longenv/r1" | grep -qE "^(e%2f)+e?\+[0-9a-f]{64}$"' - "$H"
env_name=prod/eu
e1=$(deploy "$RED" envapp red-one)
final_ok "$e1"
env_name=prod_eu
e2=$(deploy "$RED" envapp red-two)
env_name=dev
h_wait_final "$e2" "$ADMIN"
check "IJ-8: environments prod/eu and prod_eu get different state" [ "$(was "$e2" "$RED")" = "" ]
check "IJ-8: prod/eu is escaped reversibly (prod%2feu), not folded into prod_eu" \
	sh -c '[ -d "$1/state/envapp/r1/prod%2feu" ] && [ -d "$1/state/envapp/r1/prod_eu" ]' - "$H"

# direct runs (no application) of two teams do not share state either
note() { # KEY TEXT: runs tenancy/note, prints what the state held before
	nid=$(api POST /api/workflows/run "$1" -d "{\"workflow\":\"tenancy/note\",\"parameters\":{\"text\":\"$2\"}}" | jf id)
	h_wait_final "$nid" "$ADMIN"
	api GET "/api/workflows/$nid" "$ADMIN" | jf outputs.was
}
note "$RED" red-note >/dev/null
check "IJ-8: a direct run of blue finds no state of red's direct run" [ "$(note "$BLUE" blue-note)" = "" ]
check "IJ-8: nor does a key without a team" [ "$(note "$LONE" lone-note)" = "" ]
check "IJ-8: red's next direct run finds red's own note" [ "$(note "$RED" red-again)" = red-note ]

# ---- AU-8: an admin's application is not adoptable ----------------------------
a=$(deploy "$ADMIN" adminapp admin-owner)
final_ok "$a"
body=$(api POST /api/golden-paths/noop/run "$RED" -d "$(spec adminapp red-owner)")
check "AU-8: red cannot run a spec for the admin's application (400)" code_is 400
check "AU-8: ... and is told it belongs to another team" has "$body" "belongs to another team"
api GET /api/applications "$RED" > "$H/apps"
check "AU-8: red's application list does not show it" sh -c '! grep -q adminapp "$1"' - "$H/apps"
check "AU-8: it still has no team (not re-assigned)" \
	[ "$(api GET /api/applications/adminapp "$ADMIN" | jf team)" = "" ]
check "AU-8: its resource still holds the admin's owner" \
	[ "$(cat "$H/state/adminapp/r1/dev/shell/owner")" = admin-owner ]
body=$(api POST /api/golden-paths/noop/run "$LONE" -d "$(spec adminapp lone)")
check "AU-8: a key without a team cannot adopt it either (400)" code_is 400
rd=$(deploy "$RED" redapp red-owner)
final_ok "$rd"
check_api "AU-8: blue cannot run a spec for red's application (400)" 400 POST /api/golden-paths/noop/run "$BLUE" -d "$(spec redapp blue-owner)"
ad=$(deploy "$ADMIN" redapp red-owner)
final_ok "$ad"
check "AU-8: an admin may act on red's application; it stays red's" \
	[ "$(api GET /api/applications/redapp "$RED" | jf team)" = red ]

# ---- AU-6: a key without a team --------------------------------------------
lo=$(deploy "$LONE" loneapp lone)
check "AU-6: a key without a team runs a spec" final_ok "$lo"
w=$(api POST /api/workflows/run "$LONE" -d '{"workflow":"tenancy/echo"}' | jf id)
h_wait_final "$w" "$ADMIN"
ids_of() { # KEY [CREATOR]: ids of the executions KEY lists (made by CREATOR), sorted
	api GET "/api/workflows?page_size=200" "$1" | python3 -c 'import json,sys
print(" ".join(str(r["id"]) for r in sorted(json.load(sys.stdin)["data"], key=lambda r: r["id"])
               if len(sys.argv) < 2 or r["created_by"] == sys.argv[1]))' $2
}
mine=$(ids_of "$ADMIN" lone)
check "AU-6: it lists exactly its own executions (as an admin sees them)" \
	[ "$(ids_of "$LONE")" = "$mine" ]
check "AU-6: ... which include this spec run and this run" \
	sh -c 'echo " $1 " | grep -q " $2 " && echo " $1 " | grep -q " $3 "' - "$mine" "$lo" "$w"
said=$(api GET "/api/workflows/$w" "$LONE" | jf outputs.said)
check "AU-6: it reads its own execution (200)" code_is 200
check "AU-6: ... with its outputs" [ "$said" = yes ]
check_api "AU-6: ... and its logs" 200 GET "/api/workflows/$w/logs" "$LONE"
check_api "AU-6: it does not see an admin's execution (404)" 404 GET "/api/workflows/$a" "$LONE"
check_api "AU-6: ... nor its logs (404)" 404 GET "/api/workflows/$a/logs" "$LONE"
check_api "AU-6: another key without a team does not see it (404)" 404 GET "/api/workflows/$w" "$LONE2"
check_api "AU-6: a team's key does not see it (404)" 404 GET "/api/workflows/$w" "$RED"
check "AU-6: another key without a team lists nothing" \
	[ "$(api GET /api/workflows "$LONE2" | jf total)" = 0 ]
apps=$(api GET /api/applications "$LONE" | python3 -c 'import json,sys; print(" ".join(a["name"] for a in json.load(sys.stdin)["data"]))')
check "AU-6: its applications are its own only (not the admin's)" [ "$apps" = loneapp ]
check "AU-6: its resources are its own only" \
	[ "$(api GET /api/resources "$LONE" | python3 -c 'import json,sys; print(" ".join(r["app"] for r in json.load(sys.stdin)))')" = loneapp ]
check_api "AU-6: the admin's application is not found for it (404)" 404 GET /api/applications/adminapp "$LONE"
check_api "AU-8: another key without a team cannot adopt its application (400)" 400 POST /api/golden-paths/noop/run "$LONE2" -d "$(spec loneapp lone-two)"
check_api "AU-8: nor can a team (400)" 400 POST /api/golden-paths/noop/run "$RED" -d "$(spec loneapp red-owner)"
lo2=$(deploy "$LONE" loneapp lone)
check "AU-8: the key that created it runs it again" final_ok "$lo2"

# ---- AU-7: the event stream --------------------------------------------------
stream() { # TAG KEY [QUERY]: follow /api/events/stream in the background
	curl -sN --max-time 60 -D "$H/$1.hdr" -H "Authorization: Bearer $2" \
		"$url/api/events/stream$3" > "$H/$1.sse" 2>/dev/null &
	eval "pid_$1=\$!"
	i=0
	while [ $i -lt 100 ] && ! grep -q ' 200' "$H/$1.hdr" 2>/dev/null; do
		i=$((i + 1)); sleep 0.05
	done
}
sse_ids() { # TAG: the execution ids named by the stream's events, sorted, unique
	python3 - "$H/$1.sse" <<'PY'
import json, sys
ids = set()
for block in open(sys.argv[1]).read().split("\n\n"):
    for line in block.splitlines():
        if line.startswith("data: "):
            d = json.loads(line[6:])
            ids.add(d.get("execution"))
print(" ".join(str(i) for i in sorted(ids, key=lambda v: (v is None, v or 0))))
PY
}
wait_sse() { # TAG ID: until the stream carries that execution's finished event
	i=0
	while [ $i -lt 200 ]; do
		grep -q "\"execution\":$2,\"status\":\"succeeded\"" "$H/$1.sse" 2>/dev/null && return 0
		i=$((i + 1)); sleep 0.05
	done
	return 1
}
stream lone "$LONE"
stream red "$RED"
stream admin "$ADMIN"
x_admin=$(api POST /api/workflows/run "$ADMIN" -d '{"workflow":"tenancy/echo"}' | jf id)
h_wait_final "$x_admin" "$ADMIN"
x_lone=$(api POST /api/workflows/run "$LONE" -d '{"workflow":"tenancy/echo"}' | jf id)
h_wait_final "$x_lone" "$ADMIN"
x_red=$(api POST /api/workflows/run "$RED" -d '{"workflow":"tenancy/echo"}' | jf id)
h_wait_final "$x_red" "$ADMIN"
wait_sse lone "$x_lone"; wait_sse red "$x_red"; wait_sse admin "$x_red"
kill "$pid_lone" "$pid_red" "$pid_admin" 2>/dev/null
wait "$pid_lone" "$pid_red" "$pid_admin" 2>/dev/null
check "AU-7: a key without a team gets its own execution's events, and only those" \
	[ "$(sse_ids lone)" = "$x_lone" ]
check "AU-7: a team's key gets its team's events only" [ "$(sse_ids red)" = "$x_red" ]
check "AU-7: an admin gets every execution's events" \
	[ "$(sse_ids admin)" = "$x_admin $x_lone $x_red" ]
check "AU-7: every event names its execution" \
	sh -c '! grep "^data: " "$1" | grep -vq "\"execution\":"' - "$H/admin.sse"
curl -sN --max-time 2 -H "Authorization: Bearer $LONE" "$url/api/events/stream?after=1" \
	> "$H/backlog.sse" 2>/dev/null
cp "$H/backlog.sse" "$H/bl.sse"
check "AU-7: the backlog (after=) of a key without a team is its own executions only" \
	[ "$(sse_ids bl)" = "$(ids_of "$ADMIN" lone)" ]

# ---- AU-12: resource operations and path parameters -----------------------
body=$(api POST /api/workflows/run "$RED" -d '{"workflow":"tenancy/drop-thing"}')
check "AU-12: a user cannot run a resource's delete workflow directly (403)" code_is 403
check "AU-12: ... and is told why" has "$body" "delete operation of resource type"
check "AU-12: ... as a JSON error with code forbidden" [ "$(echo "$body" | jf error.code)" = forbidden ]
check_api "AU-12: nor its create workflow, also without a team (403)" 403 POST /api/workflows/run "$LONE" -d '{"workflow":"tenancy/make-thing","parameters":{"owner":"x"}}'
check_api "AU-12: nor as a dry run (403)" 403 POST /api/workflows/run "$BLUE" -d '{"workflow":"tenancy/drop-thing","dry_run":true}'
check_api "AU-12: nor as the main workflow of a spec run (403)" 403 POST /api/workflows/run "$BLUE" -d "{\"workflow\":\"tenancy/drop-thing\",$(spec blueapp2 x | cut -c2-)"
check_api "AU-12: the demo storage-team delete-bucket is refused to users too (403)" 403 POST /api/workflows/run "$RED" -d '{"workflow":"storage-team/delete-bucket","parameters":{"bucket":"blue-assets"}}'
check "AU-12: red's resource is untouched" [ "$(cat "$H/state/redapp/r1/dev/shell/owner")" = red-owner ]
ad2=$(api POST /api/workflows/run "$ADMIN" -d '{"workflow":"tenancy/drop-thing"}' | jf id)
check "AU-12: an admin may still run it directly" final_ok "$ad2"
api POST /api/golden-paths/noop/run "$RED" -d "$(spec redbucket x "{\"type\":\"s3\",\"params\":{\"bucket\":\"blue-assets\",\"data_dir\":\"$H/evil\"}}")" >/dev/null
check "AU-12: a spec's bucket with a data_dir param is refused (the param is not the provider's: 400)" \
	code_is 400
check "AU-12: nothing was written where the data_dir parameter pointed" [ ! -e "$H/evil" ]
bk=$(api POST /api/golden-paths/noop/run "$RED" -d "$(spec redbucket x "{\"type\":\"s3\",\"params\":{\"bucket\":\"blue-assets\"}}")" | jf id)
check "AU-12: the same spec without it runs" final_ok "$bk"
check "AU-12: the bucket is inside red's application's own state directory" \
	[ -f "$H/state/redbucket/r1/dev/shell/buckets/blue-assets/.bucket" ]

# ---- other routes: cancel, retry, outputs of another team --------------------
check_api "blue cannot cancel red's execution (404)" 404 POST "/api/workflows/$r/cancel" "$BLUE"
check_api "blue cannot retry red's execution (404)" 404 POST "/api/workflows/$r/retry" "$BLUE"
check_api "a key without a team cannot retry an admin's execution (404)" 404 POST "/api/workflows/$a/retry" "$LONE"
check_api "blue cannot read red's execution or its outputs (404)" 404 GET "/api/workflows/$r" "$BLUE"
api GET "/api/resources?app=${P}red" "$BLUE" > "$H/res"
check "blue's resource list for red's app is empty" [ "$(cat "$H/res")" = "[]" ]
api GET "/api/workflows?app=adminapp" "$RED" > "$H/list"
check "red's filtered list does not reveal the admin's executions" [ "$(jf total < "$H/list")" = 0 ]

# ---- AU-13: key names ----------------------------------------------------------
body=$(api POST /api/admin/keys "$ADMIN" -d '{"name":"evil\ninnominatus: fake log line","role":"user"}')
check "AU-13: a key name with a newline is refused (400)" code_is 400
check "AU-13: ... naming the rule" has "$body" "letters, digits"
long=$(python3 -c 'print("k" * 100000)')
printf '{"name":"%s","role":"user"}' "$long" > "$H/long.json"
api POST /api/admin/keys "$ADMIN" --data-binary @"$H/long.json" > "$H/long.out"
check "AU-13: a 100 000-byte name is 400, not 409" code_is 400
check "AU-13: ... saying it is too long" grep -q "too long" "$H/long.out"
check_api "AU-13: a team name with a space is refused (400)" 400 POST /api/admin/keys "$ADMIN" -d '{"name":"ok-name","role":"user","team":"red team"}'
check_api "a team that is not a string does not quietly make a key without a team (400)" 400 POST /api/admin/keys "$ADMIN" -d '{"name":"ok-name","role":"user","team":7}'
check_api "AU-13: a name inside the rule is still created (201)" 201 POST /api/admin/keys "$ADMIN" -d '{"name":"ok.name_2","role":"user","team":"red"}'
api GET /api/admin/audit "$ADMIN" > "$H/audit"
check "AU-13: the audit trail holds no forged line" sh -c '! grep -q "fake log line" "$1"' - "$H/audit"
h_done
