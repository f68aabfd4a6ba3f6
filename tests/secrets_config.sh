#!/bin/sh
# secrets_config.sh - the admin config's secrets: and stepDefaults: as a
# platform team uses them: a secret from a file and one from the
# environment reach a shell step (${secrets.x}, {{ .secrets.x }}) and are
# masked in its log and config; a secret file group or others may read is
# refused (the server does not start; run --local exits 3), a missing one
# names file and key; a secret nobody configured is a clear step error;
# --secret / --secret-env of run --local; stepDefaults merged under a
# step's config (the step's own keys win) and shown in the rendered config
# and GET /api/plugins; a config with several problems reports each.
# Through run --local and through the server.
# Prints TAP.
ctl=${INN_CTL:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-secconf-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/prov/workflows"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..23"

FILEVAL='file-Secret-7c1e!'
ENVVAL='env-Secret-93ab$'
printf '%s\n' "$FILEVAL" > "$dir/a.txt"
chmod 600 "$dir/a.txt"
secrets_block() {
	cat <<CONF
workflowPolicies:
  allowedStepTypes: [shell]
secrets:
  a: {file: a.txt}
  b: {env: SEC_B}
stepDefaults:
  shell:
    env: {FROM_DEFAULT: dflt-value}
    shell: sh
CONF
}
secrets_block > "$dir/admin.yaml"
cat > "$dir/prov/provider.yaml" <<'P'
name: sec-team
version: 1.0.0
workflows_dir: workflows
P
cat > "$dir/prov/workflows/use.yaml" <<WF
name: use
parameters:
  - {name: tag, type: string, default: x}
steps:
  - name: one
    type: shell
    config:
      script: |
        echo "a=\${secrets.a} b={{ .secrets.b }} d=\$FROM_DEFAULT"
        printf %s "\${secrets.a}" > "$dir/out-a-{{ .parameters.tag }}"
        printf %s "{{ .secrets.b }}" > "$dir/out-b-{{ .parameters.tag }}"
  - name: own
    type: shell
    depends_on: [one]
    config:
      env: {MINE: step-own}
      script: 'echo "mine=\$MINE d=\${FROM_DEFAULT:-unset}"'
WF
cat > "$dir/prov/workflows/missing.yaml" <<'WF'
name: missing
steps:
  - name: uses-nope
    type: shell
    config:
      script: echo "${secrets.vault-token}"
WF
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }

# ---- run --local ------------------------------------------------------------
SEC_B=$ENVVAL c -o json run --local "$dir/prov/workflows/use.yaml" --param tag=local >"$dir/out" 2>"$dir/err"
rc=$?
CHECK_SHOW="$dir/err"
[ $rc -eq 0 ] && [ "$(cat "$dir/out-a-local")" = "$FILEVAL" ] && [ "$(cat "$dir/out-b-local")" = "$ENVVAL" ]
check "run --local: a secret from a file (newline stripped) and one from the environment reach the script" $?
python3 - "$dir/out" "$FILEVAL" "$ENVVAL" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text and sys.argv[3] not in text, "a secret value in the output"
one, own = d["steps"]
assert one["config"]["env"]["FROM_DEFAULT"] == "dflt-value", one["config"]
assert one["config"]["shell"] == "sh", one["config"]
assert own["config"]["env"] == {"MINE": "step-own"}, own["config"]
PY
check "run --local: stepDefaults show in the rendered config; a step's own env wins whole (shallow merge); no secret in the output" $?
SEC_B=$ENVVAL c run --local "$dir/prov/workflows/use.yaml" --param tag=local2 >"$dir/out" 2>&1
CHECK_SHOW="$dir/out"
grep -q 'a=\*\*\* b=\*\*\* d=dflt-value' "$dir/out" && grep -q 'mine=step-own d=unset' "$dir/out" &&
	! grep -q "$FILEVAL" "$dir/out" && ! grep -qF "$ENVVAL" "$dir/out"
check "run --local: the step log shows both secrets masked and the default's value" $?

c -o json plugins >"$dir/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sh=[p for p in d["loaded"] if p["type"]=="shell"][0]; assert sh["step_defaults"]=={"env":{"FROM_DEFAULT":"dflt-value"},"shell":"sh"}, sh' "$dir/out"
check "innominatus-ctl plugins -o json shows a type's stepDefaults" $?
c run --local "$dir/prov/workflows/missing.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'secret "vault-token" is not configured (admin-config.yaml secrets:)' "$dir/out"
check "a secret nobody configured is a step error naming it (exit 1)" $?

printf '%s\n' other > "$dir/loose.txt"
chmod 644 "$dir/loose.txt"
c run --local "$dir/prov/workflows/missing.yaml" --secret "vault-token=@$dir/loose.txt" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "secret vault-token: file $dir/loose.txt: mode 0644: group or others may read it; refused (run: chmod 600 $dir/loose.txt)" "$dir/out"
check "--secret with a 0644 file is refused with the mode and a chmod hint (exit 3)" $?
chmod 600 "$dir/loose.txt"
c run --local "$dir/prov/workflows/missing.yaml" --secret "vault-token=@$dir/loose.txt" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'uses-nope.*\*\*\*' "$dir/out" && ! grep -q 'other' "$dir/out"
check "--secret NAME=@FILE supplies a secret (masked in the log)" $?
mkfifo "$dir/fifo"
timeout 20 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/prov/workflows/missing.yaml" --secret "vault-token=@$dir/fifo" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "file $dir/fifo: it is not a regular file" "$dir/out"
check "--secret with a FIFO is refused at once (not a regular file), never blocks" $?
ln -s "$dir/loose.txt" "$dir/link.txt"
c run --local "$dir/prov/workflows/missing.yaml" --secret "vault-token=@$dir/link.txt" >"$dir/out" 2>&1
check "a symbolic link to a 0600 file is followed (as Kubernetes mounts secrets)" $?
VT=vt-value c run --local "$dir/prov/workflows/missing.yaml" --secret-env vault-token=VT >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ! grep -q 'vt-value' "$dir/out"
check "--secret-env NAME=VAR supplies a secret from the environment" $?

# a secret of the admin config that cannot be read: run --local warns, a
# step using it fails naming file and key
secrets_block > "$dir/admin2.yaml"
printf '  c: {file: %s/nothere.txt}\n' "$dir" >> "$dir/admin2.yaml"
sed -i 's/^stepDefaults:/secrets2: {}\nstepDefaults:/' "$dir/admin2.yaml"
python3 - "$dir/admin2.yaml" "$dir" <<'PY'
import sys
p, d = sys.argv[1], sys.argv[2]
t = open(p).read().replace("secrets2: {}\n", "").replace("  c: {file: %s/nothere.txt}\n" % d, "")
t = t.replace("  b: {env: SEC_B}\n", "  b: {env: SEC_B}\n  c: {file: %s/nothere.txt}\n" % d)
t += "  kubernetes: {kubeconfig: /etc/kube/config}\n"
open(p, "w").write(t)
PY
printf 'name: usec\nsteps:\n  - {name: s, type: shell, config: {script: "echo ${secrets.c}"}}\n' > "$dir/usec.yaml"
SEC_B=x "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin2.yaml" run --local "$dir/usec.yaml" >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 1 ] && grep -q "warning: .*admin2.yaml:[0-9]*:[0-9]*: secrets.c: file $dir/nothere.txt: No such file or directory" "$dir/out" &&
	grep -q "secret \"c\" is unavailable: .*secrets.c: file $dir/nothere.txt: No such file" "$dir/out"
check "run --local: an unreadable admin secret is a warning, and the step that uses it fails naming file and key" $?
grep -q 'admin2.yaml:[0-9]*:[0-9]*: warning: stepDefaults.kubernetes: no plugin for step type "kubernetes" is loaded' "$dir/out"
check "stepDefaults of a type no plugin serves is a warning naming the key" $?

# a value written in the config, a bad name, stepDefaults not a mapping:
# refused at file:line:col
printf 'secrets:\n  vault-token: s3cr3t-in-config\n' > "$dir/bad1.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bad1.yaml" plugins >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 3 ] && grep -q 'bad1.yaml:2:16: secrets.vault-token: write {file: PATH} or {env: VARIABLE} (a secret.s value is never written in the config)' "$dir/out"
check "a secret's value written in the admin config is refused at its file:line:col" $?
printf 'secrets:\n  "bad name!": {env: X}\nstepDefaults:\n  shell: [x]\n' > "$dir/bad2.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bad2.yaml" plugins >"$dir/out" 2>&1
rc=$?
printf 'stepDefaults:\n  shell: [x]\n' > "$dir/bad3.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bad3.yaml" plugins >>"$dir/out" 2>&1
rc3=$?
[ $rc -eq 3 ] && [ $rc3 -eq 3 ] && grep -q "bad2.yaml:2:3: secrets.bad name!: a secret name is letters" "$dir/out" &&
	grep -q 'bad3.yaml:2:10: stepDefaults.shell: must be a mapping of config keys' "$dir/out"
check "a bad secret name and a stepDefaults entry that is no mapping are refused at file:line:col" $?

# several problems at once: every one is reported (file:line:col and key),
# by the CLI and by the server, not only the first; a good entry is not
multi_block() {
	cat <<CONF
secrets:
  s644: {file: loose.txt}
  smiss: {file: nothere.txt}
  sboth: {file: a.txt, env: X}
  "bad name!": {file: a.txt}
  sscalar: "literal-value"
  good: {file: a.txt}
stepDefaults:
  shell: [x]
stepPolicies:
  "9x": {a: b}
CONF
}
chmod 644 "$dir/loose.txt"
multi_block > "$dir/multi.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/multi.yaml" run --local "$dir/usec.yaml" >"$dir/out" 2>&1
rc=$?
multi_expect() {
	grep -q "7 problems in $1:" "$2" &&
	grep -q "multi.yaml:2:3: secrets.s644: file $dir/loose.txt: mode 0644" "$2" &&
	grep -q "multi.yaml:3:3: secrets.smiss: file $dir/nothere.txt: No such file or directory" "$2" &&
	grep -q 'multi.yaml:4:10: secrets.sboth: write {file: PATH} or {env: VARIABLE}' "$2" &&
	grep -q 'multi.yaml:5:3: secrets.bad name!: a secret name is letters' "$2" &&
	grep -q 'multi.yaml:6:12: secrets.sscalar: write {file: PATH}' "$2" &&
	grep -q 'multi.yaml:9:10: stepDefaults.shell: must be a mapping of config keys' "$2" &&
	grep -q "multi.yaml:11:3: stepPolicies: a key must be a step type's name" "$2" &&
	! grep -q 'secrets.good' "$2"
}
CHECK_SHOW="$dir/out"
[ $rc -eq 3 ] && multi_expect "$dir/multi.yaml" "$dir/out"
check "run --local: a config with several problems reports every one (file:line:col, key), exit 3" $?
server_conf "$dir/multisrv.yaml" "$dir"
multi_block >> "$dir/multisrv.yaml"
timeout 20 "$srvbin" --config "$dir/multisrv.yaml" 2>"$dir/multi.log"
rc=$?
CHECK_SHOW="$dir/multi.log"
python3 - "$dir/multi.log" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
# the server's config has 5 lines of server: first
t = re.sub(r"multisrv\.yaml:(\d+):", lambda m: "multi.yaml:%d:" % (int(m.group(1)) - 5), t)
open(sys.argv[1], "w").write(t)
PY
[ $rc -eq 3 ] && multi_expect "$dir/multisrv.yaml" "$dir/multi.log"
check "the server does not start on it and reports every problem the same way" $?
chmod 600 "$dir/loose.txt"

# ---- the server ---------------------------------------------------------------
mk_conf() {
	server_conf "$1" "$dir"
	printf 'providers:\n  - {name: sec-team, type: filesystem, path: %s/prov}\n' "$dir" >> "$1"
	secrets_block >> "$1"
}
mk_conf "$dir/srv.yaml"
cp "$dir/a.txt" "$dir/a.keep"
chmod 644 "$dir/a.txt"
SEC_B=$ENVVAL timeout 20 "$srvbin" --config "$dir/srv.yaml" 2>"$dir/perm.log"
rc=$?
CHECK_SHOW="$dir/perm.log"
[ $rc -eq 3 ] && grep -q "srv.yaml:[0-9]*:[0-9]*: secrets.a: file $dir/a.txt: mode 0644: group or others may read it; refused" "$dir/perm.log" &&
	grep -q "cannot be read: not starting" "$dir/perm.log"
check "the server refuses to start on a 0644 secret file, naming file and key (exit 3)" $?
chmod 600 "$dir/a.txt"
SEC_B= timeout 20 "$srvbin" --config "$dir/srv.yaml" 2>"$dir/env.log"
rc=$?
[ $rc -eq 3 ] && grep -q 'secrets.b: $SEC_B is not set (or empty) in the environment' "$dir/env.log"
check "the server refuses to start when a secret's variable is not set" $?

key=$(SEC_B=x "$srvbin" --config "$dir/srv.yaml" --create-admin-key ops 2>/dev/null)
SEC_B=$ENVVAL start_server "$dir/srv.yaml" "$dir/server.log"
CHECK_SHOW="$dir/server.log"
pid_env=$(tr '\0' '\n' < /proc/$spid/environ | grep -c "$ENVVAL")
[ -n "$url" ] && [ "$pid_env" = 0 ]
check "the server starts; the secret's variable is wiped from its environment" $?
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
"$ctl" run sec-team/use --param tag=srv >"$dir/out" 2>&1
rc=$?
"$ctl" -o json status 1 >"$dir/status" 2>&1
CHECK_SHOW="$dir/out"
[ $rc -eq 0 ] && [ "$(cat "$dir/out-a-srv" 2>/dev/null)" = "$FILEVAL" ] &&
	[ "$(cat "$dir/out-b-srv" 2>/dev/null)" = "$ENVVAL" ] &&
	grep -q 'a=\*\*\* b=\*\*\* d=dflt-value' "$dir/out" &&
	! grep -qF "$FILEVAL" "$dir/out" "$dir/status" "$dir/server.log" &&
	! grep -qF "$ENVVAL" "$dir/out" "$dir/status" "$dir/server.log"
check "through the server: both secrets reach the step, masked in logs, status and the server's log" $?
sqlite3 "$dir/data/inn.db" .dump > "$dir/dump" 2>/dev/null || python3 -c '
import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
for l in c.iterdump(): print(l)' "$dir/data/inn.db" > "$dir/dump"
! grep -qF "$FILEVAL" "$dir/dump" && ! grep -qF "$ENVVAL" "$dir/dump" && [ -s "$dir/dump" ]
check "no secret value in the store" $?
"$ctl" run sec-team/missing >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'secret "vault-token" is not configured (admin-config.yaml secrets:)' "$dir/out"
check "through the server: an unconfigured secret is a clear step error" $?
curl -sf -H "Authorization: Bearer $key" "$url/api/plugins" > "$dir/plugins.json"
python3 - "$dir/plugins.json" "$FILEVAL" "$ENVVAL" <<'PY'
import json, sys
t = open(sys.argv[1]).read()
assert sys.argv[2] not in t and sys.argv[3] not in t
d = json.loads(t)
items = d["plugins"] if isinstance(d, dict) else d
sh = [p for p in items if p.get("type") == "shell"][0]
assert sh["step_defaults"] == {"env": {"FROM_DEFAULT": "dflt-value"}, "shell": "sh"}, sh.get("step_defaults")
PY
check "GET /api/plugins shows a type's stepDefaults (never a secret value)" $?
exit $fail
