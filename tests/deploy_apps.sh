#!/bin/sh
# deploy_apps.sh - Score deployments through POST/GET/DELETE
# /api/applications against a real server and store: two providers (their
# create/update/delete workflows make and remove real files under a temp
# dir), one resource depending on another's output, the independent ones
# provisioned concurrently, an update, a resource removed from the spec,
# the phases in order, every problem of a bad spec in one 400, 409, another
# team's 404, the app deleted (nothing left), a provider's create workflow
# run with a spec (the provisioning of that type's resources, by a user),
# and kill -9 during a deployment (nothing stuck after the restart).
# Prints TAP.
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
  - {name: note, type: string, default: ""}
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
      script: |
        if [ -e "$dir/faildelete" ]; then echo "delete failing on purpose"; exit 1; fi
        rm -rf "$out/\${parameters.resource_name}.d" "$out/started-\${parameters.resource_name}" "$out/overlap-\${parameters.resource_name}"
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
# a golden path whose workflow declares a ttl (as workflows/ephemeral-env.yaml)
mkdir -p "$dir/gp"
cat > "$dir/gp/eph.yaml" <<EOF
name: eph
parameters:
  - {name: ttl, type: duration, default: 2h}
steps:
  - {name: say, type: shell, config: {script: 'echo "ttl \${parameters.ttl}"'}}
EOF
printf 'goldenpaths:\n  eph: {workflow: ./eph.yaml}\n' > "$dir/gp/goldenpaths.yaml"
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
	start_server "$dir/conf.yaml" "$dir/server.log" --providers "$dir/prov" \
		--goldenpaths "$dir/gp/goldenpaths.yaml"
}
echo "1..63"
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
python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    print(s["name"], " ".join(s["depends_on"]) or "-")' "$dir/e1" > "$dir/deps" 2>&1
cat > "$dir/deps.want" <<EOF
pre-deployment:on-pre-deployment/note -
notes/write pre-deployment:on-pre-deployment/note
data/mkdir pre-deployment:on-pre-deployment/note
index/write data/mkdir
deployment:on-deployment/note notes/write index/write
post-deployment:on-post-deployment/note deployment:on-deployment/note
EOF
cmp -s "$dir/deps" "$dir/deps.want"
CHECK_SHOW="$dir/deps" check "each step's depends_on: the phases in turn, the resources after them, index after data, deployment after the last resources" $?
CHECK_SHOW="$dir/server.log"
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
	jq_ 'd["error"]["message"]' < "$dir/body" | grep -q 'is more than the longest time to live, 365d'
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
[ -d "$dir/data/state" ] && [ ! -e "$dir/data/state/shop" ]
check "nothing of the app is left in the state directory, not even empty folders" $?

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

# 10: a resource type's create workflow run with a spec that asks for that
# type is the provisioning of those resources of the user's app (no main
# run, the spec's other resources untouched); params of its own are
# refused, and without a spec it stays the admins'
cat > "$dir/memo.json" <<EOF
{"workflow": "files-team/make-file", "spec": {"apiVersion": "score.dev/v1b1", "metadata": {"name": "memo"},
  "containers": {"web": {"image": "memo:1"}},
  "resources": {"memo": {"type": "file", "params": {"content": "from-spec"}},
                "box": {"type": "folder"}}}}
EOF
c=$(code POST /api/workflows/run "$RED" "$dir/memo.json")
idm=$(jq_ 'd.get("id", "")' < "$dir/body")
[ "$c" = 202 ] && [ "$(wait_exec "$idm")" = succeeded ] &&
	[ "$(cat "$out/memo.txt")" = from-spec ] && [ ! -e "$out/box.d" ] &&
	[ "$(api GET "/api/workflows/$idm" "$RED" | jq_ '" ".join(s["name"] for s in d["steps"])')" = "memo/write" ]
check "a user runs files-team/make-file with a spec asking for a file: that resource is provisioned from the spec (its only step memo/write), the folder untouched" $?
[ "$(api GET /api/applications/memo "$RED" | jq_ '" ".join(r["name"]+":"+r["status"] for r in d["resources"])')" = "memo:active" ]
check "... the app is the user's team's, with that one resource active" $?
cat > "$dir/memo-p.json" <<EOF
{"workflow": "files-team/make-file", "parameters": {"content": "mine"}, "spec": {"apiVersion": "score.dev/v1b1", "metadata": {"name": "memo"},
  "containers": {"web": {"image": "memo:1"}}, "resources": {"memo": {"type": "file"}}}}
EOF
[ "$(code POST /api/workflows/run "$RED" "$dir/memo-p.json")" = 400 ] &&
	grep -q 'params come from the spec' "$dir/body" && [ "$(cat "$out/memo.txt")" = from-spec ]
check "... with parameters of its own it is refused (400: the params come from the spec)" $?
cat > "$dir/memo2.json" <<EOF
{"workflow": "files-team/make-file", "spec": {"apiVersion": "score.dev/v1b1", "metadata": {"name": "memo2"},
  "containers": {"web": {"image": "memo:1"}},
  "resources": {"note": {"type": "file", "params": {"content": "\${resources.shelf.dir}"}},
                "shelf": {"type": "folder"}, "spare": {"type": "folder"}}}}
EOF
c=$(code POST /api/workflows/run "$RED" "$dir/memo2.json")
idm=$(jq_ 'd.get("id", "")' < "$dir/body")
[ "$c" = 202 ] && [ "$(wait_exec "$idm")" = succeeded ] &&
	[ "$(cat "$out/note.txt")" = "$out/shelf.d" ] && [ -d "$out/shelf.d" ] && [ ! -e "$out/spare.d" ]
check "... a file that reads a folder's output: the folder it depends on is provisioned first, the spare one not" $?
printf '{"workflow": "files-team/make-file", "parameters": {"resource_name": "memo", "content": "direct"}}' > "$dir/memo-d.json"
[ "$(code POST /api/workflows/run "$RED" "$dir/memo-d.json")" = 403 ] &&
	[ "$(cat "$out/memo.txt")" = from-spec ]
check "... and without a spec a user may not run it (403)" $?

# 11: a cancel reaches every running part
# 9b: a golden path's ttl parameter follows the same rule as ?ttl=: a
# negative or zero one is a 400 before anything runs, and run --local
# refuses it (exit 3) with the same words
printf 'apiVersion: score.dev/v1b1\nmetadata: {name: ephx}\ncontainers: {web: {image: e:1}}\n' > "$dir/ephx.yaml"
printf '{"parameters": {"ttl": "-1h"}, "spec": {"apiVersion": "score.dev/v1b1", "metadata": {"name": "ephx"}, "containers": {"web": {"image": "e:1"}}}}' > "$dir/eph-neg.json"
sed 's/"-1h"/"0s"/' "$dir/eph-neg.json" > "$dir/eph-zero.json"
sed 's/"-1h"/"2h"/' "$dir/eph-neg.json" > "$dir/eph-2h.json"
[ "$(code POST "/api/applications?ttl=-1h" "$RED" "$dir/ephx.yaml")" = 400 ] &&
	grep -qF 'ttl \"-1h\" is not a positive duration' "$dir/body" &&
	[ "$(code POST /api/golden-paths/eph/run "$RED" "$dir/eph-neg.json")" = 400 ] &&
	grep -qF 'parameter \"ttl\": \"-1h\" is not a positive duration' "$dir/body" &&
	[ "$(code POST /api/golden-paths/eph/run "$RED" "$dir/eph-zero.json")" = 400 ] &&
	grep -qF '\"0s\" is not a positive duration' "$dir/body" &&
	[ "$(code GET /api/applications/ephx "$RED")" = 404 ]
check "a golden path's ttl -1h or 0s: 400 as ?ttl=-1h is, nothing runs or is stored" $?
"$INN_CTL" --plugin-dir "$dir/plugins" run --local "$dir/gp/eph.yaml" "$dir/ephx.yaml" \
	-p ttl=-1h > "$dir/eph-local" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -qF 'parameter "ttl": "-1h" is not a positive duration' "$dir/eph-local" &&
	! grep -q 'ttl -1h' "$dir/eph-local"
check "run --local with ttl=-1h: exit 3, the same message, nothing ran" $?
api POST /api/golden-paths/eph/run "$RED" "$dir/eph-2h.json" > "$dir/r-eph"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/r-eph")")" = succeeded ] &&
	[ "$(api GET /api/applications/ephx "$RED" | jq_ '7190000 < d["expires_ms"] - d["created_ms"] < 7300000')" = True ]
check "a golden path's ttl=2h sets the app's expiry 2h ahead" $?

# 9c: a TTL deletion that fails keeps the expiry shown, is marked failed
# with its reason, and is retried (with a backoff) until it succeeds
cat > "$dir/stuck.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: stuck}
containers: {web: {image: stuck:1}}
resources:
  box: {type: folder}
EOF
touch "$dir/faildelete"
api POST "/api/applications?ttl=1s" "$RED" "$dir/stuck.yaml" > "$dir/r9"
wait_exec "$(jq_ 'd["id"]' < "$dir/r9")" > /dev/null
i=0
while ! api GET /api/applications/stuck "$RED" | grep -q expiry_failed && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
api GET /api/applications/stuck "$RED" > "$dir/g9"
[ "$(jq_ 'd["status"]' < "$dir/g9")" = failed ] && [ "$(jq_ 'd["expires_ms"] > 0' < "$dir/g9")" = True ] &&
	jq_ 'd["expiry_failed"]["message"]' < "$dir/g9" | grep -q 'remove-folder' &&
	[ "$(jq_ 'd["expiry_failed"]["attempts"] >= 1 and d["expiry_failed"]["retry_ms"] > d["expires_ms"]' < "$dir/g9")" = True ] &&
	grep -q 'application stuck: its TTL deletion failed (attempt 1, execution [0-9]*): .*retried in 4s' "$dir/server.log" &&
	api GET /api/admin/audit "$ADMIN" | grep -q '"application.expire_failed"'
check "a failed TTL deletion: the app is failed, its expiry kept, the reason and the retry shown, logged, audited" $?
INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$RED" "$INN_CTL" app stuck > "$dir/ctl9" 2>&1
grep -q '^Application stuck: failed (team red, expires [0-9]' "$dir/ctl9" &&
	grep -q '^Its TTL deletion failed (attempt [0-9]*): .*remove-folder.*; retried at ' "$dir/ctl9"
check "innominatus-ctl app shows the expiry and why its deletion failed" $?
rm -f "$dir/faildelete"
i=0
while [ "$(code GET /api/applications/stuck "$RED")" != 404 ] && [ $i -lt 400 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(code GET /api/applications/stuck "$RED")" = 404 ] && [ ! -e "$out/box.d" ]
check "once its delete workflow works the retry deletes it" $?
sed 's/name: stuck/name: stuck2/' "$dir/stuck.yaml" > "$dir/stuck2.yaml"
touch "$dir/faildelete"
api POST "/api/applications?ttl=1s" "$RED" "$dir/stuck2.yaml" > "$dir/r10"
wait_exec "$(jq_ 'd["id"]' < "$dir/r10")" > /dev/null
i=0
while ! api GET /api/applications/stuck2 "$RED" | grep -q expiry_failed && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
rm -f "$dir/faildelete"
api POST /api/applications "$RED" "$dir/stuck2.yaml" > "$dir/r11"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/r11")")" = succeeded ] &&
	api GET /api/applications/stuck2 "$RED" > "$dir/g11" &&
	[ "$(jq_ 'd["status"] == "active" and d["expires_ms"] is None and "expiry_failed" not in d' < "$dir/g11")" = True ] &&
	grep -q 'application stuck2: execution [0-9]* (a deployment by red-dev) takes over from its failed TTL deletion; it no longer expires' "$dir/server.log"
check "a user's deploy takes over from a failed TTL deletion: active, no expiry, no retry" $?
api DELETE /api/applications/stuck2 "$RED" > "$dir/d11"
wait_exec "$(jq_ 'd["id"]' < "$dir/d11")" > /dev/null

# 9d: a deletion that fails on b: a (which waits for b's deletion) never
# ran, so it keeps its state and fingerprint; a redeploy keeps it
cat > "$dir/fd.yaml" <<EOF
apiVersion: score.dev/v1b1
metadata: {name: fd}
containers: {web: {image: fd:1}}
resources:
  a: {type: file, params: {content: fd}}
  b: {type: folder, params: {note: "\${resources.a.path}"}}
EOF
api POST /api/applications "$RED" "$dir/fd.yaml" > "$dir/r12"
wait_exec "$(jq_ 'd["id"]' < "$dir/r12")" > /dev/null
touch "$dir/faildelete"
api DELETE /api/applications/fd "$RED" > "$dir/d12"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/d12")")" = failed ] &&
	api GET /api/applications/fd "$RED" > "$dir/g12" &&
	[ "$(jq_ '" ".join(r["name"]+":"+r["status"] for r in d["resources"])' < "$dir/g12")" = "a:active b:failed" ] &&
	jq_ '[r["message"] for r in d["resources"] if r["name"] == "a"][0]' < "$dir/g12" |
	grep -q 'its deletion waits for b, whose deletion failed; it was not deleted' &&
	[ -f "$out/a.txt" ]
check "a failed deletion of b: a, which never ran, stays active, saying it waits for b" $?
rm -f "$dir/faildelete"
[ "$(code POST "/api/applications?dry_run=true" "$RED" "$dir/fd.yaml")" = 200 ] &&
	[ "$(jq_ '[o["op"] for o in d["operations"] if o["resource"] == "a"][0]' < "$dir/body")" = keep ]
check "a redeploy keeps a (no update that never ran is 'failed')" $?
api DELETE /api/applications/fd "$RED" > "$dir/d13"
[ "$(wait_exec "$(jq_ 'd["id"]' < "$dir/d13")")" = succeeded ] && [ ! -e "$out/a.txt" ]
check "then the deletion succeeds" $?

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

# 12: kill -9 during a deployment: after the restart nothing is stuck
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
[ "$(api GET "/api/workflows/$id5" "$RED" | jq_ '[(s["status"], s["attempts"]) for s in d["steps"] if s["name"] == "big/mkdir"][0]')" = "('failed', 1)" ]
check "the interrupted step had started: failed in attempt 1" $?
api GET /api/applications/slow "$RED" > "$dir/g5"
[ "$(jq_ 'd["resources"][0]["status"]' < "$dir/g5")" = failed ] &&
	jq_ 'd["resources"][0]["message"]' < "$dir/g5" | grep -q "interrupted" &&
	[ "$(jq_ 'd["status"]' < "$dir/g5")" = failed ]
check "its resource is failed (interrupted), not stuck provisioning; the app failed" $?
kill -TERM $spid; wait $spid; spid=""
exit $fail
