#!/bin/sh
# run.sh - make check: load the built @@NAME@@.so the way the server does
# (a plugin directory the user owns, no group/world write, an admin config
# allowing the step type), then run tests/workflow.yaml with it in-process.
set -u
ctl=${INNOMINATUS_CTL:-}
so=${PLUGIN_SO:?}
wf=${TEST_WORKFLOW:?}
if [ -z "$ctl" ] || [ ! -x "$ctl" ]; then
	echo "innominatus-ctl not found: install it, or ./configure INNOMINATUS_CTL=/path/to/innominatus-ctl" >&2
	exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/@@NAME@@-check-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/plugins" && chmod 755 "$dir/plugins" &&
cp "$so" "$dir/plugins/@@NAME@@.so" && chmod 755 "$dir/plugins/@@NAME@@.so" || exit 1
printf 'workflowPolicies:\n  allowedStepTypes: ["@@NAME@@"]\n' > "$dir/admin-config.yaml"
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin-config.yaml" "$@"; }

fail=0
if c plugins > "$dir/plugins.txt" 2>&1 && grep -q '^  @@NAME@@ ' "$dir/plugins.txt"; then
	echo "ok: @@NAME@@.so loads"
else
	echo "FAIL: @@NAME@@.so does not load:"; cat "$dir/plugins.txt"; fail=1
fi
if c -o json run --local "$wf" --param message=checked > "$dir/run.json" 2> "$dir/run.err" &&
   grep -q '"message": *"checked"' "$dir/run.json"; then
	echo "ok: the workflow ran and published message=checked"
else
	echo "FAIL: the workflow did not run as expected:"; cat "$dir/run.json" "$dir/run.err"
	fail=1
fi
if c --dry-run run --local "$wf" > "$dir/dry.txt" 2>&1; then
	echo "ok: dry-run succeeds"
else
	echo "FAIL: dry-run:"; cat "$dir/dry.txt"; fail=1
fi
exit $fail
