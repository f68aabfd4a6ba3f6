#!/bin/sh
# ctl_plugins.sh - `innominatus-ctl plugins` as a user runs it: against an
# installed-style plugin directory with shell.so and a fixture the policy
# refuses, in text and JSON, plus --version/--help and the exit codes.
# Prints TAP.
ctl=${INN_CTL:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-ctl-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/plugins"
chmod 755 "$dir/plugins"
cp "$INN_SHELL_SO" "$dir/plugins/shell.so"
cp "$INN_FIXTURE_DIR/good.so" "$dir/plugins/good.so"
chmod 755 "$dir/plugins/"*.so
printf 'workflowPolicies:\n  allowedStepTypes:\n    - shell\n' > "$dir/admin-config.yaml"
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..8"
out=$("$ctl" --version); rc=$?
echo "$out" | grep -q "^innominatus-ctl [0-9].* (plugin ABI 1\.2)$"; check "--version prints version and ABI" $(( rc + $? ))
"$ctl" --help | grep -q "plugins"; check "--help lists the plugins command" $?
out=$(cd "$dir" && "$ctl" plugins --plugin-dir "$dir/plugins"); rc=$?
echo "$out" | sed 's/^/# /'
echo "$out" | grep -qE '^  shell +[0-9.]+ +1\.2 +cancellable +shell$'; check "shell.so is listed as loaded (default ./admin-config.yaml)" $(( rc + $? ))
echo "$out" | grep -q 'good.so: step type "good" is not in workflowPolicies.allowedStepTypes'; check "the refused plugin is explained" $?
out=$("$ctl" -o json plugins --plugin-dir "$dir/plugins" --config "$dir/admin-config.yaml")
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [p["type"] for p in d["loaded"]]==["shell"], d; assert d["refused"][0]["file"]=="good.so"; assert d["loaded"][0]["config_schema"]["type"]=="object"'
check "-o json gives loaded, refused and the config schema" $?
"$ctl" plugins --plugin-dir "$dir/plugins" --config "$dir/missing.yaml" 2>"$dir/err"; rc=$?
[ $rc -eq 3 ] && grep -q "missing.yaml" "$dir/err"; check "an explicit missing --config exits 3 naming the file" $?
"$ctl" bogus 2>/dev/null; rc=$?
[ $rc -eq 2 ]; check "an unknown command exits 2" $?
mkdir "$dir/hello" && chmod 755 "$dir/hello" && cp "$INN_HELLO_SO" "$dir/hello/hello.so" && chmod 755 "$dir/hello/hello.so"
out=$("$ctl" plugins --plugin-dir "$dir/hello" --config "$dir/admin-config.yaml" 2>&1)
echo "$out" | grep -q 'hello.so: step type "hello" is not in workflowPolicies.allowedStepTypes'
r1=$?
printf 'workflowPolicies:\n  allowedStepTypes: [hello]\n' > "$dir/hello.yaml"
"$ctl" plugins --plugin-dir "$dir/hello" --config "$dir/hello.yaml" | grep -qE '^  hello +1\.0\.0 +1\.2 +idempotent +hello$'
check "the README's example plugin builds and loads (once allowed)" $(( r1 + $? ))
exit $fail
