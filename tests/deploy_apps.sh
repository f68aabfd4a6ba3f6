#!/bin/sh
# deploy_apps.sh - Score deployments through POST/GET/DELETE
# /api/applications against a real server and store: two providers (their
# create/update/delete workflows make and remove real files under a temp
# dir), one resource depending on another's output, the independent ones
# provisioned concurrently, an update, a resource removed from the spec,
# the phases in order, every problem of a bad spec in one 400, 409, another
# team's 404, the app deleted (nothing left), and kill -9 during a
# deployment (nothing stuck after the restart).  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-deploy-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/prov/files-team/workflows" "$dir/prov/dirs-team/workflows" \
	"$dir/prov/ops-team/workflows" "$dir/out"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
out="$dir/out"
spid=""
. "$src/tests/ctl_lib.sh"
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; [ -z "$KEEP" ] && rm -rf "$dir"' EXIT

# files-team: type "file" -- create writes $out/<name>.txt (after waiting,
# bounded, for the peer's start marker when given one), update rewrites
# it, delete removes it.  dirs-team: type "folder" -- create makes
# $out/<name>.d, delete removes it.  ops-team: phase workflows that append
# to $out/phases.log.
cat > "$dir/prov/files-team/provider.yaml" <<EOF
name: files-team
version: 1.0.0
workflows_dir: workflows
capabilities:
  resourceTypeCapabilities:
    - type: file
      operations:
        create: {workflow: make-file}
        update: {workflow: change-file}
        delete: {workflow: remove-file}
EOF
cat > "$dir/prov/files-team/workflows/make-file.yaml" <<EOF
name: make-file
parameters:
  - {name: resource_name, type: string}
  - {name: content, type: string, default: hello}
  - {name: peer, type: string, default: ""}
steps:
  - name: write
    type: shell
    config:
      script: |
        touch "$out/started-\${parameters.resource_name}"
        if [ -n "\${parameters.peer}" ]; then
          i=0
          while [ ! -e "$out/started-\${parameters.peer}" ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
          [ -e "$out/started-\${parameters.peer}" ] && touch "$out/overlap-\${parameters.resource_name}"
        fi
        printf '%s\n' "\${parameters.content}" > "$out/\${parameters.resource_name}.txt"
        echo "path=$out/\${parameters.resource_name}.txt" >> "\$INNOMINATUS_OUTPUT"
        echo "phase-log resource \${parameters.resource_name}" >> "$out/phases.log"
outputs:
  path: "\${steps.write.outputs.path}"
EOF
cat > "$dir/prov/files-team/workflows/change-file.yaml" <<EOF
name: change-file
parameters:
  - {name: resource_name, type: string}
  - {name: content, type: string, default: hello}
  - {name: peer, type: string, default: ""}
steps:
  - name: rewrite
    type: shell
    config:
      script: |
        printf '%s\n' "\${parameters.content}" > "$out/\${parameters.resource_name}.txt"
        echo "updated \${parameters.resource_name}" >> "$out/updates.log"
        echo "path=$out/\${parameters.resource_name}.txt" >> "\$INNOMINATUS_OUTPUT"
outputs:
  path: "\${steps.rewrite.outputs.path}"
EOF
cat > "$dir/prov/files-team/workflows/remove-file.yaml" <<EOF
name: remove-file
parameters:
  - {name: resource_name, type: string}
steps:
  - name: remove
    type: shell
    config:
      script: rm -f "$out/\${parameters.resource_name}.txt" "$out/started-\${parameters.resource_name}" "$out/overlap-\${parameters.resource_name}"
EOF
cat > "$dir/prov/dirs-team/provider.yaml" <<EOF
name: dirs-team
version: 1.0.0
workflows_dir: workflows
capabilities:
  resourceTypeCapabilities:
    - type: folder
      operations:
        create: {workflow: make-folder}
        delete: {workflow: remove-folder}
EOF
cat > "$dir/prov/dirs-team/workflows/make-folder.yaml" <<EOF
name: make-folder
parameters:
  - {name: resource_name, type: string}
  - {name: peer, type: string, default: ""}
  - {name: hold, type: string, default: "0"}
steps:
  - name: mkdir
    type: shell
    config:
      script: |
        touch "$out/started-\${parameters.resource_name}"
        if [ -n "\${parameters.peer}" ]; then
          i=0
          while [ ! -e "$out/started-\${parameters.peer}" ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
          [ -e "$out/started-\${parameters.peer}" ] && touch "$out/overlap-\${parameters.resource_name}"
        fi
        sleep "\${parameters.hold}"
        mkdir -p "$out/\${parameters.resource_name}.d"
        echo "dir=$out/\${parameters.resource_name}.d" >> "\$INNOMINATUS_OUTPUT"
        echo "phase-log resource \${parameters.resource_name}" >> "$out/phases.log"
outputs:
  dir: "\${steps.mkdir.outputs.dir}"
EOF
cat > "$dir/prov/dirs-team/workflows/remove-folder.yaml" <<EOF
name: remove-folder
parameters:
  - {name: resource_name, type: string}
steps:
  - name: rmdir
    type: shell
    config:
      script: rm -rf "$out/\${parameters.resource_name}.d" "$out/started-\${parameters.resource_name}" "$out/overlap-\${parameters.resource_name}"
EOF
for ph in pre-deployment:first_deployment deployment:product_deployment post-deployment:product_deployment; do
	p=${ph%%:*} t=${ph#*:}
	cat > "$dir/prov/dirs-team/workflows/on-$p.yaml" <<EOF
name: on-$p
phase: $p
triggers: [$t]
steps:
  - name: note
    type: shell
    config:
      script: echo "phase-log $p" >> "$out/phases.log"
EOF
done
mkdir -p "$dir/prov/keys-team/workflows"
cat > "$dir/prov/keys-team/provider.yaml" <<EOF
name: keys-team
version: 1.0.0
workflows_dir: workflows
capabilities:
  resourceTypeCapabilities:
    - type: secretkey
      operations:
        create: {workflow: make-key}
        delete: {workflow: drop-key}
EOF
cat > "$dir/prov/keys-team/workflows/make-key.yaml" <<EOF
name: make-key
steps:
  - name: gen
    type: shell
    config:
      secret_outputs: [tok]
      script: |
        tok=\$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\\\n')
        printf '%s' "\$tok" > "$out/k.secret"
        echo "tok=\$tok" >> "\$INNOMINATUS_OUTPUT"
outputs:
  token: "\${steps.gen.outputs.tok}"
EOF
cat > "$dir/prov/keys-team/workflows/drop-key.yaml" <<EOF
name: drop-key
steps:
  - name: drop
    type: shell
    config: {script: 'rm -f "$out/k.secret"'}
EOF
cat >> "$dir/prov/keys-team/provider.yaml" <<EOF
    - type: mark
      operations:
        create: {workflow: make-mark}
EOF
cat > "$dir/prov/keys-team/workflows/make-mark.yaml" <<EOF
name: make-mark
steps:
  - name: mark
    type: shell
    config: {script: 'echo marked'}
EOF
rmdir "$dir/prov/ops-team/workflows" "$dir/prov/ops-team"
server_conf "$dir/conf.yaml" "$dir"
mkdir -p "$dir/data"
api() { # method path key [body-file]
	if [ -n "$4" ]; then
		curl -s -X "$1" -H "Authorization: Bearer $3" --data-binary "@$4" "$url$2"
	else
		curl -s -X "$1" -H "Authorization: Bearer $3" "$url$2"
	fi
}
code() { # method path key [body-file]: the HTTP status
	if [ -n "$4" ]; then
		curl -s -o "$dir/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
			--data-binary "@$4" "$url$2"
	else
		curl -s -o "$dir/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" "$url$2"
	fi
}
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_exec() { # id: prints its final status
	i=0
	while [ $i -lt 600 ]; do
		s=$(api GET "/api/workflows/$1" "$RED" | jq_ 'd["status"]')
		case $s in pending|running) ;; *) echo "$s"; return;; esac
		i=$((i + 1)); sleep 0.1
	done
	echo timeout
}
start() {
	start_server "$dir/conf.yaml" "$dir/server.log" --providers "$dir/prov"
}
echo "1..45"
ADMIN=$("$srvbin" --config "$dir/conf.yaml" --create-admin-key ops)
start || { echo "Bail out! the server did not start"; cat "$dir/server.log"; exit 1; }
mkkey() { # NAME TEAM
	printf '{"name":"%s","role":"user","team":"%s"}' "$1" "$2" > "$dir/k.json"
	api POST /api/admin/keys "$ADMIN" "$dir/k.json" | jq_ 'd["key"]'
}
RED=$(mkkey red-dev red)
BLUE=$(mkkey blue-dev blue)
CHECK_SHOW="$dir/server.log"

# 1: two independent resources of two providers (they wait for each
# other's start marker: only concurrent parts both see it), one depending
# on another's output
cat > "$dir/shop.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: shop}
containers:
  web:
    image: shop:1
    variables:
      NOTES: "\${resources.notes.path}"
      DATA: "\${resources.data.dir}"
resources:
  notes: {type: file, params: {content: v1, peer: data}}
  data: {type: folder, params: {peer: notes}}
  index: {type: file, params: {content: "\${resources.data.dir}"}}
EOF
api POST /api/applications "$RED" "$dir/shop.yaml" > "$dir/r1"
id1=$(jq_ 'd["id"]' < "$dir/r1")
[ "$(jq_ '" ".join(o["resource"]+":"+o["op"] for o in d["operations"])' < "$dir/r1")" = \
	"notes:create data:create index:create" ]
check "POST /api/applications plans create for every resource" $?
[ "$(jq_ '",".join(o["depends_on"][0] if o["depends_on"] else "-" for o in d["operations"])' < "$dir/r1")" = "-,-,data" ]
check "index depends on data (it reads its output)" $?
[ "$(wait_exec "$id1")" = succeeded ]; check "the deployment succeeded" $?
api GET /api/applications/shop "$RED" > "$dir/g1"
[ "$(jq_ '" ".join(r["name"]+":"+r["status"] for r in d["resources"])' < "$dir/g1")" = \
	"data:active index:active notes:active" ]
check "every resource is active" $?
[ -f "$out/notes.txt" ] && [ -d "$out/data.d" ] && [ "$(cat "$out/index.txt")" = "$out/data.d" ]
check "the workflows made the files; index got data's output" $?
[ -e "$out/overlap-notes" ] && [ -e "$out/overlap-data" ]
check "notes and data ran concurrently (each saw the other's start marker)" $?
[ "$(jq_ 'd["containers"]["web"]["variables"]["NOTES"]' < "$dir/g1")" = "$out/notes.txt" ] &&
	[ "$(jq_ 'len(d["unresolved"])' < "$dir/g1")" = 0 ]
check "GET resolves the containers' placeholders from the outputs" $?
[ "$(jq_ 'd["status"]' < "$dir/g1")" = active ]; check "the application is active" $?
grep -o 'phase-log [a-z-]*' "$out/phases.log" | sed 's/phase-log //' | uniq > "$dir/order"
[ "$(head -1 "$dir/order")" = pre-deployment ] && [ "$(tail -2 "$dir/order" | tr '\n' ' ')" = "deployment post-deployment " ] &&
	[ "$(grep -c resource "$dir/order")" -ge 1 ]
check "phases in order: pre-deployment, the resources, deployment, post-deployment" $?
api GET "/api/workflows/$id1" "$RED" > "$dir/e1"
python3 - "$dir/e1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = [s["name"] for s in sorted(d["steps"], key=lambda s: s["started_ms"] or 0)]
pre = [i for i, n in enumerate(names) if n.startswith("pre-deployment:")]
res = [i for i, n in enumerate(names) if "/" in n and ":" not in n.split("/")[0]]
dep = [i for i, n in enumerate(names) if n.startswith("deployment:")]
post = [i for i, n in enumerate(names) if n.startswith("post-deployment:")]
assert pre and res and dep and post, names
assert max(pre) < min(res) and max(res) < min(dep) and max(dep) < min(post), names
PY
check "the execution's steps: pre < resources < deployment < post" $?
api GET /api/applications "$RED" > "$dir/l1"
[ "$(jq_ '[(a["name"], a["status"], a["resources"], a["last_execution"]["kind"]) for a in d["data"]]' < "$dir/l1")" = \
	"[('shop', 'active', 3, 'deploy')]" ]
check "GET /api/applications lists it with its status, resources and last execution" $?

# 2: a changed property: the update workflow runs; the rest is kept
sed 's/content: v1/content: v2/' "$dir/shop.yaml" > "$dir/shop2.yaml"
: > "$out/phases.log"
api POST /api/applications "$RED" "$dir/shop2.yaml" > "$dir/r2"
[ "$(jq_ '" ".join(o["resource"]+":"+o["op"] for o in d["operations"])' < "$dir/r2")" = \
	"notes:update data:keep index:keep" ]
check "a changed param plans update; the others keep" $?
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/r2")")" = succeeded ] && [ "$(cat "$out/notes.txt")" = v2 ] &&
	grep -q "updated notes" "$out/updates.log"
check "the update workflow ran" $?
! grep -q pre-deployment "$out/phases.log"
check "first_deployment phases run only on the first deployment" $?

# 3: a resource gone from the spec is deleted
grep -v 'index:' "$dir/shop2.yaml" > "$dir/shop3.yaml"
api POST /api/applications "$RED" "$dir/shop3.yaml" > "$dir/r3"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/r3")")" = succeeded ] && [ ! -e "$out/index.txt" ]
check "a resource removed from the spec is deleted (its file is gone)" $?
[ "$(api GET /api/applications/shop "$RED" | jq_ '[r["status"] for r in d["resources"] if r["name"] == "index"][0]')" = terminated ]
check "its record says terminated" $?

# 4: every problem of a bad spec in one 400
cat > "$dir/brief0.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: brief0}
containers: {web: {image: x}}
resources:
  b0: {type: folder}
EOF
cat > "$dir/bad.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: Bad_Name}
containers:
  web: {variables: {A: b}}
resources:
  x: {type: no-such-type}
EOF
[ "$(code POST /api/applications "$RED" "$dir/bad.yaml")" = 400 ] &&
	[ "$(jq_ 'd["error"]["code"]' < "$dir/body")" = invalid_spec ] &&
	[ "$(jq_ 'len(d["error"]["details"])' < "$dir/body")" = 3 ]
check "bad name, missing image, unknown type: one 400 with 3 details" $?
[ "$(jq_ 'min(e["line"] for e in d["error"]["details"])' < "$dir/body")" -ge 1 ]
check "each detail has its line" $?
# a name refused by the character check hides nothing: a bad resource
# name, an unknown type, a param and a container reading an output the
# create workflow does not declare
cat > "$dir/bad2.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: "Bad_2!"}
containers:
  web: {image: x, variables: {P: "\${resources.data.nokey}", Q: "\${resources.data.dir}"}}
resources:
  "r/../x": {type: folder}
  u: {type: no-such-type}
  data: {type: folder}
  f: {type: file, params: {content: "\${resources.data.nokey}"}}
EOF
[ "$(code POST /api/applications "$RED" "$dir/bad2.yaml")" = 400 ] &&
	[ "$(jq_ 'd["error"]["message"]' < "$dir/body")" = "5 problems in the spec" ] &&
	[ "$(jq_ 'min(e["line"] for e in d["error"]["details"])' < "$dir/body")" -ge 1 ]
check "a bad app name beside four other problems: one 400 lists all 5, each with its line" $?
jq_ '"\n".join(e["message"] for e in d["error"]["details"])' < "$dir/body" > "$dir/msgs"
grep -q '^metadata.name: "Bad_2!" must match' "$dir/msgs" &&
	grep -q 'resource name "r/../x" must match' "$dir/msgs" &&
	grep -q '^resource "u": no provider offers type "no-such-type"' "$dir/msgs" &&
	grep -q '^resource "f": params.content references resources.data.nokey, but resource "data" gets its outputs from workflow "make-folder", which declares only name, type and: dir$' "$dir/msgs" &&
	grep -q '^containers.web: references resources.data.nokey' "$dir/msgs" &&
	[ "$(jq_ '[e["line"] for e in d["error"]["details"] if e["message"].startswith("containers.web")][0]' < "$dir/body")" = 4 ]
check "the details name the app name, the resource name, the type and both missing outputs (the container's at its line)" $?
# the spec's limits: at the first resource past them; an alias bomb at
# the key whose value explodes
{ printf 'apiVersion: score.dev/v1b1\nmetadata: {name: many}\ncontainers: {web: {image: x}}\nresources:\n'
  i=0; while [ $i -le 100 ]; do printf '  r%d: {type: folder}\n' $i; i=$((i + 1)); done; } > "$dir/many.yaml"
[ "$(code POST /api/applications "$RED" "$dir/many.yaml")" = 400 ] &&
	[ "$(jq_ '[(e["line"], e["message"]) for e in d["error"]["details"]][0]' < "$dir/body")" = \
	  "(105, '101 resources, more than the limit of 100 resources in one spec (this is resource 101)')" ]
check "101 resources: the limit's problem at the 101st" $?
{ printf 'apiVersion: score.dev/v1b1\nmetadata: {name: bomb}\ncontainers: {web: {image: x}}\n'
  printf 'a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n'
  i=1; while [ $i -le 6 ]; do
	j=$((i - 1))
	printf 'a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n' $i $i $j $j $j $j $j $j $j $j $j $j
	i=$((i + 1)); done; } > "$dir/bomb.yaml"
[ "$(code POST /api/applications "$RED" "$dir/bomb.yaml")" = 400 ] &&
	[ "$(jq_ 'd["error"]["details"][0]["line"]' < "$dir/body")" -ge 5 ] &&
	jq_ 'd["error"]["details"][0]["message"]' < "$dir/body" | grep -q 'expands to more than'
check "an alias bomb: its problem at the key that expands too far" $?
# the query: dry_run is true/false/1/0, given once; no unknown names
[ "$(code POST "/api/applications?dry_run=yes" "$RED" "$dir/brief0.yaml")" = 400 ] &&
	jq_ 'd["error"]["message"]' < "$dir/body" | grep -q 'dry_run takes true, false, 1 or 0, not "yes"'
check "?dry_run=yes: 400 naming the value" $?
[ "$(code POST "/api/applications?dryrun=true" "$RED" "$dir/brief0.yaml")" = 400 ] &&
	jq_ 'd["error"]["message"]' < "$dir/body" | grep -q 'unknown parameter "dryrun" (this route takes dry_run, ttl'
check "?dryrun=true: 400 naming it and the known ones" $?
[ "$(code POST "/api/applications?dry_run=true&dry_run=false" "$RED" "$dir/brief0.yaml")" = 400 ] &&
	jq_ 'd["error"]["message"]' < "$dir/body" | grep -q 'dry_run is given twice'
check "dry_run given twice: 400" $?
[ "$(code POST "/api/applications?ttl=99999999999h" "$RED" "$dir/brief0.yaml")" = 400 ] &&
	jq_ 'd["error"]["message"]' < "$dir/body" | grep -q 'too large: a ttl is at most 2562047h'
check "?ttl=99999999999h: too large, with the limit" $?
[ "$(code DELETE "/api/applications/shop?dry_run=maybe" "$RED")" = 400 ] &&
	[ "$(code DELETE "/api/applications/shop?force=1" "$RED")" = 400 ] &&
	[ "$(code GET "/api/applications/brief0" "$RED")" = 404 ] && [ ! -e "$out/b0.d" ]
check "DELETE refuses a bad dry_run and unknown names too; none of these deployed" $?
# an output a create workflow without declared outputs lacks: the part
# fails at run time, its message names the resource once
cat > "$dir/mark.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: marks}
containers: {web: {image: x}}
resources:
  m: {type: mark}
  mf: {type: file, params: {content: "\${resources.m.nokey}"}}
EOF
api POST /api/applications "$RED" "$dir/mark.yaml" > "$dir/rm"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/rm")")" = failed ] &&
	api GET /api/applications/marks "$RED" |
	jq_ '[r["message"] for r in d["resources"] if r["name"] == "mf"][0]' > "$dir/mfmsg" &&
	grep -q '^resource "mf": params.content: ' "$dir/mfmsg" && ! grep -q 'resource "mf": resource' "$dir/mfmsg"
check "a part failing on a missing output names its resource once" $?
api DELETE /api/applications/marks "$RED" > "$dir/dm"
wait_exec "$(jq_ 'd["id"]' < "$dir/dm")" > /dev/null

# 5: 409 while one is pending or running; another team sees nothing
sed 's/peer: notes}/peer: notes, hold: "3"}/; s/content: v2/content: v3/' "$dir/shop3.yaml" > "$dir/shop4.yaml"
api POST /api/applications "$RED" "$dir/shop4.yaml" > "$dir/r4"
[ "$(code POST /api/applications "$RED" "$dir/shop3.yaml")" = 409 ] &&
	[ "$(jq_ 'd["error"]["code"]' < "$dir/body")" = conflict ]
check "a second deployment while one runs: 409 conflict" $?
[ "$(code GET /api/applications/shop "$BLUE")" = 404 ] && [ "$(code DELETE /api/applications/shop "$BLUE")" = 404 ]
check "another team: 404 on GET and DELETE" $?
[ "$(code POST /api/applications "$BLUE" "$dir/shop3.yaml")" = 403 ]
check "another team deploying the same name: 403" $?
wait_exec "$(jq_ 'd["id"]' < "$dir/r4")" > /dev/null

# 6: dry run stores and runs nothing
[ "$(code POST "/api/applications?dry_run=true" "$RED" "$dir/shop.yaml")" = 200 ] &&
	cp "$dir/body" "$dir/dry" &&
	[ "$(jq_ '" ".join(o["resource"]+":"+o["op"] for o in d["operations"])' < "$dir/dry")" = \
	  "notes:update data:update index:create" ] && [ ! -e "$out/index.txt" ]
check "dry_run=true: the plan, 200, nothing runs" $?

# 7: DELETE tears everything down
api DELETE /api/applications/shop "$RED" > "$dir/d1"
[ "$(jq_ 'd["status"]' < "$dir/d1")" = pending ] &&
	[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/d1")")" = succeeded ]
check "DELETE /api/applications/shop: 202, the deletion succeeds" $?
[ -z "$(ls "$out" | grep -v '\.log$')" ]; check "nothing is left in the output dir" $?
[ "$(code GET /api/applications/shop "$RED")" = 404 ] &&
	[ "$(api GET "/api/workflows?app=shop" "$RED" | jq_ 'd["total"]')" -ge 5 ]
check "GET is 404 after; its executions stay listed" $?

# 8: a secret output: the dependent resource gets the real value; the
# API, the logs and the store only ever hold it masked
cat > "$dir/keys.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: keys}
containers: {web: {image: keys:1, variables: {TOKEN: "\${resources.k.token}"}}}
resources:
  k: {type: secretkey}
  kf: {type: file, params: {content: "\${resources.k.token}"}}
EOF
api POST /api/applications "$RED" "$dir/keys.yaml" > "$dir/r7"
id7=$(jq_ 'd["id"]' < "$dir/r7")
[ "$(wait_exec "$id7")" = succeeded ] && tok=$(cat "$out/k.secret") && [ ${#tok} -ge 24 ] &&
	[ "$(cat "$out/kf.txt")" = "$tok" ]
check "a resource gets another's secret output real" $?
api GET /api/applications/keys "$RED" > "$dir/g7"
api GET /api/resources "$RED" > "$dir/res7"
api GET "/api/workflows/$id7" "$RED" > "$dir/e7"
api GET "/api/workflows/$id7/logs" "$RED" > "$dir/l7"
[ "$(jq_ '[r["outputs"]["token"] for r in d["resources"] if r["name"] == "k"][0]' < "$dir/g7")" = "***" ] &&
	[ "$(jq_ 'd["containers"]["web"]["variables"]["TOKEN"]' < "$dir/g7")" = "***" ] &&
	! grep -q "$tok" "$dir/g7" "$dir/res7" "$dir/e7" "$dir/l7" &&
	! grep -qa "$tok" "$dir/data/inn.db" "$dir/data/inn.db-wal"
check "the secret output is *** in the API; no form of it in the logs or the store" $?
api DELETE /api/applications/keys "$RED" > "$dir/d7"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/d7")")" = succeeded ] && [ ! -e "$out/k.secret" ]
check "the app with the secret is deleted" $?

# 9: a TTL: the server deletes the application when it expires
cat > "$dir/brief.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: brief}
containers: {web: {image: brief:1}}
resources:
  tmp: {type: folder}
EOF
api POST "/api/applications?ttl=1s" "$RED" "$dir/brief.yaml" > "$dir/r6"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/r6")")" = succeeded ] && [ -d "$out/tmp.d" ] &&
	[ "$(api GET /api/applications/brief "$RED" | jq_ 'd["expires_ms"] > 0')" = True ]
check "?ttl=1s: deployed, with its expiry" $?
i=0
while [ "$(code GET /api/applications/brief "$RED")" != 404 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(code GET /api/applications/brief "$RED")" = 404 ] && [ ! -e "$out/tmp.d" ]
check "when it expired the server deleted it and its resources" $?
api GET /api/admin/audit "$ADMIN" | grep -q '"application.expired"'
check "the expiry is in the audit trail" $?

# 10: a cancel reaches every running part
cat > "$dir/slowc.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: slowc}
containers: {web: {image: slowc:1}}
resources:
  c1: {type: folder, params: {hold: "30", peer: c2}}
  c2: {type: folder, params: {hold: "30", peer: c1}}
EOF
api POST /api/applications "$RED" "$dir/slowc.yaml" > "$dir/r8"
id8=$(jq_ 'd["id"]' < "$dir/r8")
i=0
while { [ ! -e "$out/overlap-c1" ] || [ ! -e "$out/overlap-c2" ]; } && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
api POST "/api/workflows/$id8/cancel" "$RED" > /dev/null
[ "$(wait_exec "$id8")" = cancelled ] && [ ! -e "$out/c1.d" ] && [ ! -e "$out/c2.d" ] &&
	[ "$(api GET /api/applications/slowc "$RED" | jq_ '" ".join(r["status"] for r in d["resources"])')" = "failed failed" ]
check "cancelling the deployment stops both running parts; their resources are failed" $?

# 11: kill -9 during a deployment: after the restart nothing is stuck
cat > "$dir/slow.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: slow}
containers: {web: {image: slow:1}}
resources:
  big: {type: folder, params: {hold: "30"}}
EOF
api POST /api/applications "$RED" "$dir/slow.yaml" > "$dir/r5"
id5=$(jq_ 'd["id"]' < "$dir/r5")
i=0
while [ ! -e "$out/started-big" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(api GET /api/resources?app=slow "$RED" | jq_ 'd[0]["status"]')" = provisioning ]
check "while its workflow runs the resource is provisioning" $?
kill -9 $spid; wait $spid 2>/dev/null; spid=""
start || { echo "Bail out! no restart"; exit 1; }
[ "$(api GET "/api/workflows/$id5" "$RED" | jq_ 'd["status"]')" = failed ]
check "after kill -9 and a restart the deployment is failed" $?
api GET /api/applications/slow "$RED" > "$dir/g5"
[ "$(jq_ 'd["resources"][0]["status"]' < "$dir/g5")" = failed ] &&
	jq_ 'd["resources"][0]["message"]' < "$dir/g5" | grep -q "interrupted" &&
	[ "$(jq_ 'd["status"]' < "$dir/g5")" = failed ]
check "its resource is failed (interrupted), not stuck provisioning; the app failed" $?
kill -TERM $spid; wait $spid; spid=""
exit $fail
