#!/bin/sh
# parse.sh - the loaders' cost on big inputs (hardening report IN-8, IN-9):
# a workflow file with a flat 150 000-key mapping (2 MB), a Score spec
# with 68 000 keys (950 KB, what one POST may carry) and a provider with
# 30 000 capabilities plus 100 000 legacy resource types.  Each is loaded
# with innominatus-ctl (validation, or a dry-run of the golden path for the
# spec) and, as a reference, parsed by python3's yaml.load with the libyaml
# C loader (same parser underneath, no checks); prints both times and the
# ratio.  Before the fix the first two took > 60 s and 17 s (O(n^2)
# duplicate-key scan), the provider 119 s.
#
# usage: bench/parse.sh [BUILD_DIR]   (default: ./_build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
ctl="$build/innominatus-ctl"
[ -x "$ctl" ] || { echo "parse.sh: build first ($ctl missing)" >&2; exit 1; }
python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null ||
	{ echo "parse.sh: needs python3 with PyYAML (libyaml) for the reference" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-bench-parse-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/plugins"
chmod 755 "$work" "$work/plugins"
install -m 755 "$build/plugins/shell/.libs/shell.so" "$work/plugins/shell.so"

python3 - "$work" <<'EOF'
import os, sys
w = sys.argv[1]
with open(os.path.join(w, "flat.yaml"), "w") as f:
    f.write("name: flat\nsteps:\n  - name: a\n    type: shell\n    config: {script: \"true\"}\n")
    for i in range(150000):
        f.write("k%06d: %d\n" % (i, i))
with open(os.path.join(w, "spec.yaml"), "w") as f:
    f.write("apiVersion: score.dev/v1b1\nmetadata: {name: big}\ncontainers: {web: {image: x}}\n"
            "extensions:\n")
    for i in range(68000):
        f.write("  k%06d: 1\n" % i)
p = os.path.join(w, "prov")
os.makedirs(os.path.join(p, "workflows"))
with open(os.path.join(p, "workflows", "mk.yaml"), "w") as f:
    f.write("name: mk\nsteps:\n  - {name: a, type: shell, config: {script: \"true\"}}\n")
with open(os.path.join(p, "provider.yaml"), "w") as f:
    f.write("apiVersion: v1\nkind: Provider\nmetadata: {name: bigp}\n"
            "workflows:\n  - {name: mk, file: workflows/mk.yaml, operation: create}\n"
            "capabilities:\n  resourceTypeCapabilities:\n")
    for i in range(30000):
        f.write("    - {type: t%06d, operations: {create: mk}}\n" % i)
    f.write("  resourceTypes:\n")
    for i in range(100000):
        f.write("    - r%06d\n" % i)
EOF

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
ref() { # FILE: python3 libyaml parse time in ms
	python3 -c 'import sys, time, yaml
t = time.perf_counter(); yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)
print(int((time.perf_counter() - t) * 1000))' "$1"
}
row() { # NAME OURS_MS REF_MS
	awk -v n="$1" -v o="$2" -v r="$3" 'BEGIN {
		printf "%-44s %7d ms   python3 yaml (libyaml): %5d ms   ratio %.1fx\n", n, o, r, o / (r > 0 ? r : 1) }'
}

t0=$(now)
"$ctl" test-workflow "$work/flat.yaml" --dry-run --plugin-dir "$work/plugins" \
	--config /dev/null >/dev/null 2>&1 || true
t1=$(now)
row "test-workflow, 150 000-key mapping (2 MB)" "$(ms "$t0" "$t1")" "$(ref "$work/flat.yaml")"

t0=$(now)
(cd "$top" && "$ctl" run --local deploy-app "$work/spec.yaml" --dry-run \
	--goldenpaths workflows/goldenpaths.yaml --providers providers \
	--plugin-dir "$work/plugins" --config /dev/null >/dev/null 2>&1) || true
t1=$(now)
row "dry-run of a 68 000-key Score spec (950 KB)" "$(ms "$t0" "$t1")" "$(ref "$work/spec.yaml")"

t0=$(now)
"$ctl" validate-provider "$work/prov" --plugin-dir "$work/plugins" --config /dev/null \
	>/dev/null 2>&1 || true
t1=$(now)
row "validate-provider, 130 000 resource types" "$(ms "$t0" "$t1")" \
	"$(ref "$work/prov/provider.yaml")"
