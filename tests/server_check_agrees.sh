#!/bin/sh
# server_check_agrees.sh - innominatus --check-config tells what a start
# will do (issue 14, hostile findings 2, 3, 15, 16): for each config below,
# --check-config exits 0 exactly when a real start (a free port) reaches
# /ready; configs that start with warnings show them as "...: warning:"
# lines.  Prints TAP.
lib_name=agree
. "${INN_TOP_SRCDIR:?}/tests/server_lib.sh"

# conf NAME [server: lines...] -- then the body on stdin (other sections)
conf() {
	name=$1; shift
	rm -rf "$dir/data"; mkdir -p "$dir/data"
	{
		echo "server:"
		echo "  listen: 127.0.0.1:0"
		echo "  pluginDir: $dir/plugins"
		echo "  stateDir: $dir/data/state"
		has_db=0
		for l in "$@"; do echo "  $l"; case $l in db:*) has_db=1;; esac; done
		[ $has_db = 1 ] || echo "  db: $dir/data/inn.db"
		cat
	} >"$dir/$name.yaml"
}

# start_or_exit CONF LOG: 0 once /ready answers, 1 once the server exited
start_or_exit() {
	: >"$2"
	"$srvbin" --config "$1" 2>"$2" &
	spid=$!
	i=0
	while [ $i -lt 400 ]; do
		url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$2")
		[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && return 0
		kill -0 "$spid" 2>/dev/null || { wait "$spid"; spid=""; return 1; }
		i=$((i + 1)); sleep 0.05
	done
	return 1
}

# agree NAME WANT(0 starts / 1 does not) [grep pattern in the check's output]
agree() {
	rm -rf "$dir/data"; mkdir -p "$dir/data"
	[ -n "$PREP" ] && eval "$PREP"
	"$srvbin" --check-config --config "$dir/$1.yaml" >"$dir/check.out" 2>&1
	crc=$?
	rm -rf "$dir/data"; mkdir -p "$dir/data"
	[ -n "$PREP" ] && eval "$PREP"
	if start_or_exit "$dir/$1.yaml" "$dir/start.log"; then srun=0; else srun=1; fi
	[ -n "$spid" ] && { kill -9 "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=""; }
	{ echo "== check (exit $crc)"; cat "$dir/check.out"; echo "== start"; cat "$dir/start.log"; } >"$dir/out"
	ok=1
	[ "$crc" -eq "$srun" ] && [ "$srun" -eq "$2" ] && ok=0
	if [ $ok = 0 ] && [ -n "$3" ]; then grep -q -- "$3" "$dir/check.out" || ok=1; fi
	# a failed start leaves no new store behind (12)
	if [ $ok = 0 ] && [ "$srun" = 1 ] && ls "$dir"/data/*.db >/dev/null 2>&1; then ok=1; fi
	check "$1: --check-config exit $crc, a start $( [ $srun = 0 ] && echo starts || echo fails) (want $2)" $ok
}
echo "1..23"
PROV="providers:
  - {name: storage-team, type: filesystem, path: providers/storage-team}"

printf '%s\nworkflowPolicies:\n  allowedStepTypes: [shell]\n' "$PROV" | conf good
agree good 0 "^config OK: "

printf '%s\nworkflowPolicies:\n  allowedStepTypes: "*"\n' "$PROV" | conf star
agree star 0 "^config OK"

printf '%s\nworkflowPolicies:\n  allowedStepTypes: shell\n' "$PROV" | conf scalar-type
agree scalar-type 0 "^config OK"

# a plugin the policy refuses: the start skips it
printf '%s\nworkflowPolicies:\n  allowedStepTypes: [terraform]\n' "$PROV" | conf refused-plugin
agree refused-plugin 0 "warning: plugin .* refused"

# a garbage .so: skipped by the start
printf 'not an ELF\n' >"$dir/plugins/junk.so"; chmod 755 "$dir/plugins/junk.so"
printf '%s\n' "$PROV" | conf junk-plugin
agree junk-plugin 0 "warning: "
rm -f "$dir/plugins/junk.so"

# golden paths: missing, a folder -- the start goes on without them
printf '%s\n' "$PROV" | conf gp-missing "goldenpaths: $dir/nowhere.yaml"
agree gp-missing 0 "warning: .*nowhere.yaml"
mkdir -p "$dir/gpdir"
printf '%s\n' "$PROV" | conf gp-dir "goldenpaths: $dir/gpdir"
agree gp-dir 0 "warning: .*gpdir"

# a broken provider file: the start serves without it
mkdir -p "$dir/broken/workflows"
printf 'apiVersion: v1\nkind: Provider\nmetadata:\n  name: broken\nworkflows:\n  - {name: w, file: ./workflows/none.yaml}\n' \
	>"$dir/broken/provider.yaml"
printf 'providers:\n  - {name: broken, type: filesystem, path: %s/broken}\n' "$dir" | conf broken-provider
agree broken-provider 0 "warning: "

# the store's folder is created when the one above it exists
printf '%s\n' "$PROV" | conf db-new-folder "db: $dir/data/new/inn.db"
agree db-new-folder 0

# --- configs that do not start ---
printf '%s\n' "$PROV" | conf db-is-dir "db: $dir/data"
agree db-is-dir 1 "is a directory"

printf '0123456789\n' >"$dir/short.key"; chmod 600 "$dir/short.key"
printf '%s\n' "$PROV" | conf key-size "secretKeyFile: $dir/short.key"
agree key-size 1 "32 bytes"

PREP=': >"$dir/data/state"'
printf '%s\n' "$PROV" | conf state-file
agree state-file 1 "not a folder"
PREP=""

printf '%s\n' "$PROV" | conf bad-host
sed -i 's/^  listen: .*/  listen: no-such-host.invalid:0/' "$dir/bad-host.yaml"
agree bad-host 1 "cannot be resolved"

printf '%s\n' "$PROV" | conf no-plugins
sed -i "s|^  pluginDir: .*|  pluginDir: $dir/nowhere|" "$dir/no-plugins.yaml"
agree no-plugins 1

# --- a config that is no regular file (15) ---
mkfifo "$dir/fifo.yaml"
timeout 10 "$srvbin" --check-config --config "$dir/fifo.yaml" >"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "fifo.yaml: not a regular file" "$dir/out"
check "--config a FIFO: refused, not read (no hang)" $?
timeout 10 "$srvbin" --check-config --config "$dir" >"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "^$dir: is a directory" "$dir/out"
check "--config a folder: FILE: is a directory" $?

# --- keys nobody reads (5) ---
printf 'provders:\n  - {name: x, type: filesystem, path: providers/storage-team}\nworkflowPolicies:\n  maxStepsPerWorkfow: 3\n' |
	conf typo
agree typo 0 "typo.yaml:[0-9]*: warning: provders: unknown key, ignored (did you mean providers?)"
grep -q "typo.yaml:[0-9]*: warning: workflowPolicies.maxStepsPerWorkfow: unknown key, ignored (did you mean maxStepsPerWorkflow?)" \
	"$dir/check.out" && grep -q "warning: provders: unknown key, ignored (did you mean providers?)" "$dir/start.log"
check "a typo in a key: a warning at file:line with did-you-mean, at --check-config and at the start" $?
ok=0
for c in /work/shared/compat/admin-config.yaml /work/shared/compat/examples/admin-config.yaml \
	"$src/examples/innominatus.yaml" "$src/examples/admin-config.yaml"; do
	[ -f "$c" ] || continue
	"$srvbin" --check-config --config "$c" >"$dir/out" 2>&1
	grep -q "unknown key" "$dir/out" && ok=1
done
check "the original's admin configs and the examples: no unknown-key noise" $ok
"$srvbin" --check-config --config /proc/self/status --plugin-dir "$dir/plugins" >"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "no config: none of server:" "$dir/out"
check "--config /proc/self/status: no config, a problem (exit 1)" $?
: >"$dir/empty.yaml"
"$srvbin" --check-config --config "$dir/empty.yaml" --plugin-dir "$dir/plugins" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q "empty.yaml: warning: the file is empty: every setting has its default" "$dir/out" &&
	"$srvbin" --check-config --config /dev/null --plugin-dir "$dir/plugins" >"$dir/out" 2>&1 &&
	! grep -q "warning" "$dir/out"
check "an empty config file: a warning, every setting its default (exit 0); /dev/null: silently none" $?

# --- every problem of the admin sections, each a line of the count (4) ---
printf 'server:\n  pluginDir: %s/plugins\nsecrets:\n  a: 3\n  b: [1]\nstepDefaults:\n  "9x": {}\n' "$dir" >"$dir/multi.yaml"
"$srvbin" --check-config --config "$dir/multi.yaml" >"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "^3 problem(s)$" "$dir/out" &&
	[ "$(grep -c "^$dir/multi.yaml:[0-9]*:[0-9]*: " "$dir/out")" -eq 3 ] &&
	! grep -q "problems in" "$dir/out"
check "three problems in the admin sections: three file:line lines, counted 3" $?

# --- workflowPolicies' bad fields do not hide each other or the others ---
printf 'server:\n  pluginDir: %s/plugins\nworkflowPolicies:\n  maxWorkflowDuration: forever\n  stepMemoryLimit: 12Q\n  maxStepsPerWorkflow: lots\nsecrets:\n  c: lit\n' "$dir" >"$dir/wp.yaml"
"$srvbin" --check-config --config "$dir/wp.yaml" >"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "^4 problem(s)$" "$dir/out" &&
	grep -q "^$dir/wp.yaml:4:[0-9]*: workflowPolicies.maxWorkflowDuration: " "$dir/out" &&
	grep -q "^$dir/wp.yaml:5:[0-9]*: workflowPolicies.stepMemoryLimit: " "$dir/out" &&
	grep -q "^$dir/wp.yaml:6:[0-9]*: workflowPolicies.maxStepsPerWorkflow: " "$dir/out" &&
	grep -q "^$dir/wp.yaml:8:[0-9]*: secrets.c: " "$dir/out"
check "three bad workflowPolicies fields and a bad secret: four file:line lines, counted 4" $?
exit $fail
