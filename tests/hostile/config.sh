#!/bin/sh
# config.sh - where the server keeps things (hardening review A12, A55, A40,
# A76): a config with relative paths, started from another folder, puts
# the store and the state under the config's folder and steps can write
# to $INNOMINATUS_STATE_DIR; git provider clones live where no
# application's state can be (an app called "providers" with a resource
# named like a source keeps its state through the source's removal and a
# failed add); a key given an empty team is refused; `innominatus-ctl run`
# keeps following across a server restart.  Prints TAP.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
ctl=$build/innominatus-ctl
h_init config
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t \
	GIT_COMMITTER_EMAIL=t@example.org
mkdir -p "$H/etc/providers" "$H/elsewhere"
cp -r "$INN_TOP_SRCDIR/tests/data/hostile/tenancy/providers/tenancy" "$H/etc/providers/"
mkdir -p "$H/etc/providers/life/workflows"   # hold and make-kv (provider.yaml's create): shell steps only
cp "$INN_TOP_SRCDIR/tests/data/hostile/lifecycle/life/provider.yaml" "$H/etc/providers/life/"
cp "$INN_TOP_SRCDIR/tests/data/hostile/lifecycle/life/workflows/hold.yaml" \
	"$INN_TOP_SRCDIR/tests/data/hostile/lifecycle/life/workflows/make-kv.yaml" \
	"$H/etc/providers/life/workflows/"
cp "$INN_TOP_SRCDIR/tests/data/hostile/tenancy/goldenpaths.yaml" \
	"$INN_TOP_SRCDIR/tests/data/hostile/tenancy/noop.yaml" "$H/etc/"
chmod -R u+w "$H/etc"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# every path relative: to the config's folder ($H/etc), never to the cwd
cat > "$H/etc/conf.yaml" <<EOF
server:
  listen: 127.0.0.1:$port
  db: ./inn.db
  pluginDir: ../plugins
  stateDir: ./state
  goldenpaths: goldenpaths.yaml
providers:
  - {name: tenancy, type: filesystem, path: providers/tenancy}
  - {name: life, type: filesystem, path: ./providers/life}
workflowPolicies:
  allowedStepTypes: [shell]
EOF

# starts the server from $H/elsewhere with the config given relative to it
c_start() {
	: > "$H/server.log"
	(cd "$H/elsewhere" && exec "$srvbin" --config ../etc/conf.yaml) 2>>"$H/server.log" &
	spid=$!
	url="http://127.0.0.1:$port"
	i=0
	while [ $i -lt 300 ]; do
		curl -sf -o /dev/null "$url/ready" && return 0
		kill -0 "$spid" 2>/dev/null || break
		i=$((i + 1)); sleep 0.05
	done
	echo "# the server did not start:"; sed 's/^/# /' "$H/server.log"
	return 1
}
ADMIN=$(cd "$H/elsewhere" && "$srvbin" --config ../etc/conf.yaml --create-admin-key root-admin)
c_start || exit 1
code_is() { # STATUS: the last reply had it (else its body goes to the log)
	[ "$(cat "$H/code")" = "$1" ] && return 0
	echo "# HTTP $(cat "$H/code"): $(head -c 600 "$H/body")"
	return 1
}
final_ok() { h_wait_final "$1" "$ADMIN" && [ "$(h_status "$1" "$ADMIN")" = succeeded ]; }

# ---- A12: relative paths in the config ----------------------------------------
check "A12: the store is created beside the config, not in the cwd" \
	sh -c '[ -f "$1/etc/inn.db" ] && [ ! -e "$1/elsewhere/inn.db" ]' - "$H"
check "A12: the server logs the resolved (absolute) state dir" \
	grep -q "state $H/etc/state" "$H/server.log"
n=$(api POST /api/workflows/run "$ADMIN" -d '{"workflow":"tenancy/note","parameters":{"text":"hello"}}' | jf id)
check "A12: a step writing to \$INNOMINATUS_STATE_DIR succeeds" final_ok "$n"
check "A12: ... and its file lands under the config folder's state dir" \
	sh -c '[ -n "$(find "$1/etc/state" -name note 2>/dev/null)" ] && [ ! -e "$1/elsewhere/state" ]' - "$H"

# ---- A40: a given team must be a team name -----------------------------------
api POST /api/admin/keys "$ADMIN" -d '{"name":"tk","role":"user","team":""}' >/dev/null
check "A40: an empty team is refused (400)" code_is 400
k=$(api POST /api/admin/keys "$ADMIN" -d '{"name":"tk","role":"user"}')
check "A40: omitting team makes a key without a team" \
	[ "$(cat "$H/code")" = 201 ] && [ "$(printf '%s' "$k" | jf key)" != "" ] &&
	[ "$(printf '%s' "$k" | jf team)" = "" ]

# ---- A76: run keeps following while the server restarts ---------------------
INNOMINATUS_TOKEN=$ADMIN "$ctl" --server "$url" run life/hold --param "marker=$H/marker" \
	--param "gate=$H/gate" > "$H/ctl.out" 2> "$H/ctl.err" &
cpid=$!
i=0
while [ ! -e "$H/marker" ] && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.05; done
h_stop KILL
# wait (bounded) until the CLI found the server gone once more after the
# lost stream (a refused reconnect), or gave up
i=0
while [ "$(grep -c "ended early" "$H/ctl.err")" -lt 2 ] && kill -0 "$cpid" 2>/dev/null &&
	[ $i -lt 600 ]; do
	i=$((i + 1)); sleep 0.05
done
: > "$H/gate"
c_start || exit 1
wait "$cpid"
crc=$?
id=$(sed -n 's/^Execution \([0-9]*\) submitted.*/\1/p' "$H/ctl.err")
h_wait_final "$id" "$ADMIN"
st=$(h_status "$id" "$ADMIN")
case $st in succeeded) want=0 ;; cancelled|timed_out) want=4 ;; *) want=1 ;; esac
check "A76: run reconnects after the restart and exits as the run ended ($st)" [ "$crc" = "$want" ]
check "A76: it said it was reconnecting" grep -q "reconnecting in" "$H/ctl.err"
check "A76: it printed the final status" grep -q "$st" "$H/ctl.out" "$H/ctl.err"
sed 's/^/# ctl: /' "$H/ctl.err" | tail -5

# ---- A55: provider clones and application state ------------------------------
# a server of its own with absolute paths (lib.sh), so A12 cannot hide it
h_stop
ADMIN=""
H_SERVER_YAML="  goldenpaths: $H/etc/goldenpaths.yaml"
h_start "$H/etc/providers" || exit 1
BLUE=$(h_key blue-dev user blue)
mkdir -p "$H/repo/p1/workflows" "$H/repo/p2"
printf 'name: gitp\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$H/repo/p1/provider.yaml"
printf 'name: hi\nsteps:\n  - {name: hi, type: shell, config: {script: "echo hi"}}\n' \
	> "$H/repo/p1/workflows/hi.yaml"
printf 'name: broken\nversion: 1.0.0\nworkflows_dir: nowhere\nbad: [\n' > "$H/repo/p2/provider.yaml"
(cd "$H/repo" && git init -q -b main && git add -A && git commit -qm one) >/dev/null 2>&1
spec() { # OWNER: blue's app "providers" with a resource named like the source
	printf '{"parameters":{"environment":"dev"},"spec":{"apiVersion":"score.dev/v1b1","metadata":{"name":"providers"},"containers":{"w":{"image":"x"}},"resources":{"gitp":{"type":"thing","params":{"owner":"%s"}}}}}' "$1"
}
was() { # ID: who held the resource's state before this run
	api GET "/api/workflows/$1" "$ADMIN" | python3 -c 'import json,sys
d=json.load(sys.stdin)
print([s for s in d["steps"] if s["name"]=="gitp/make"][0]["outputs"].get("was",""))'
}
api POST /api/admin/providers "$ADMIN" -d "{\"name\":\"gitp\",\"git_url\":\"file://$H/repo\",\"path\":\"p1\"}" >/dev/null
check "A55: the admin adds git source gitp" code_is 201
b=$(api POST /api/golden-paths/noop/run "$BLUE" -d "$(spec blue-owner)" | jf id)
check "A55: blue deploys app \"providers\" with resource \"gitp\"" final_ok "$b"
check "A55: the clone and blue's state are apart" sh -c '
	for d in "$1"/state/*/; do [ -d "$d/gitp/.git" ] && clone=$d; done
	[ -n "$clone" ] && [ -f "$1/state/providers/gitp/dev/shell/owner" ] &&
	[ ! -e "$clone/gitp/dev" ]' - "$H"
api DELETE /api/admin/providers/gitp "$ADMIN" >/dev/null
check "A55: the admin removes gitp" code_is 200
api POST /api/admin/providers "$ADMIN" -d "{\"name\":\"gitq\",\"git_url\":\"file://$H/repo\",\"path\":\"p2\"}" >/dev/null
check "A55: a broken source gitq is refused (400)" code_is 400
api POST /api/admin/providers "$ADMIN" -d "{\"name\":\"gitp\",\"git_url\":\"file://$H/repo\",\"path\":\"p1\"}" >/dev/null
check "A55: gitp is added again" code_is 201
b2=$(api POST /api/golden-paths/noop/run "$BLUE" -d "$(spec blue-owner)" | jf id)
h_wait_final "$b2" "$ADMIN"
check "A55: blue's state survived the removal and the failed add" [ "$(was "$b2")" = blue-owner ]

h_stop
h_done
