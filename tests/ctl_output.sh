#!/bin/sh
# ctl_output.sh - innominatus-ctl's output options and default server:
# -o yaml prints what -o json prints, read back equal by a YAML 1.1 reader
# (PyYAML) for strings YAML would misread ("yes", "null", "1e3", "-x",
# "a: b", "#", "", multi-line, unicode, control characters); --output is
# -o's long form; --name=VALUE (-o=VALUE, -oVALUE) is --name VALUE.  (The default server: tests/api/routes.sh, the one test
# that listens on port 8081.)  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-output-XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/err"
mkdir -p "$dir/plugins" "$dir/gp"
install -m 755 "${INN_SHELL_SO:?}" "$dir/plugins/shell.so"
echo "1..6"
command -v python3 >/dev/null 2>&1 || { for i in 1 2 3 4 5 6; do echo "ok $i # SKIP python3 is needed"; done; exit 0; }

# golden paths whose descriptions and tags are the awkward strings (JSON
# strings are YAML double-quoted strings, so the file says exactly these;
# YAML spells a character beyond the BMP \UXXXXXXXX, not as a JSON pair)
python3 - "$dir/gp" <<'PY'
import json, sys
awkward = ["yes", "No", "ON", "off", "y", "n", "null", "Null", "~", "", "1e3", "0x1F", "012",
    "1_000", "1:20", ".inf", "3.0", "-1", "+1", "-leading", "- dash", "a: b", "key:",
    "# hash", "a #b", "multi\nline\n", "trailing ", "  leading", "two  spaces",
    "café ✓ 日本 😀", "tab\there", 'quote "x"', "'single'", "[list]", "{map}", "&anchor",
    "*alias", "!tag", "%pct", "@at", "`bt`", "|pipe", ">gt", "?q", "=", "<<", "true",
    "False", "back\\slash", "nel\u0085x", "ls\u2028x", "bom\ufeffx", "del\u007fx",
    "bell\u0007x", "esc\u001bx", "cr\rx", "plain words ok", "_under", "path/to.file-1"]
wf = {"name": "w", "parameters": [
        {"name": "i", "type": "integer", "default": 1000},
        {"name": "f", "type": "number", "default": 1.5},
        {"name": "big", "type": "number", "default": 1e300},
        {"name": "b", "type": "boolean", "default": False},
        {"name": "s", "type": "string", "default": "yes"}],
      "steps": [{"name": "s", "type": "shell", "config": {"script": "true"}}]}
open(sys.argv[1] + "/w.yaml", "w").write(json.dumps(wf))
gps = {}
for i, a in enumerate(awkward):
    gps["gp%d" % i] = {"workflow": "./w.yaml", "description": a, "tags": [a, "t"],
                      "category": a}
open(sys.argv[1] + "/goldenpaths.yaml", "w").write(json.dumps({"goldenpaths": gps}).replace("\\ud83d\\ude00", "\\U0001F600"))
PY
lg() { "$ctl" --plugin-dir "$dir/plugins" --goldenpaths "$dir/gp/goldenpaths.yaml" list-goldenpaths "$@"; }
lg -o json >"$dir/json" 2>"$dir/err"
r1=$?
lg -o yaml >"$dir/yaml" 2>>"$dir/err"
r2=$?
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$dir/json" "$dir/yaml" >>"$dir/err" 2>&1 <<'PY'
import json, sys, yaml
j = json.load(open(sys.argv[1]))
y = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
assert len(j) > 50, len(j)
if j != y:
    for a, b in zip(j, y):
        if a != b:
            print("json:", repr(a)); print("yaml:", repr(b)); break
    sys.exit(1)
PY
	check "-o yaml reads back (PyYAML, YAML 1.1) equal to -o json, awkward strings and numbers included" $(( r1 + r2 + $? ))
else
	# no YAML reader here: the quoting of a few, by hand
	grep -q '^  description: "yes"$' "$dir/yaml" && grep -q '^  description: "1e3"$' "$dir/yaml" &&
		grep -q '^  description: "multi\\nline\\n"$' "$dir/yaml" && grep -q '^  description: ""$' "$dir/yaml"
	check "-o yaml quotes what YAML would misread (no python3-yaml: checked by grep)" $(( r1 + r2 + $? ))
fi
grep -q '^  description: plain words ok$' "$dir/yaml" && grep -q '^  description: "a: b"$' "$dir/yaml" &&
	grep -q '^  description: "café ✓ 日本 😀"$' "$dir/yaml" && grep -q '^  description: "nel\\u0085x"$' "$dir/yaml" &&
	grep -q '^      default: 1.0e+300$\|^      default: 1.0000000000000001e+300$' "$dir/yaml"
check "-o yaml: plain text stays plain, unicode stays readable, NEL is escaped, floats keep a point" $?

lg --output json >"$dir/json2" 2>"$dir/err" && cmp -s "$dir/json" "$dir/json2" &&
	lg --output yaml >"$dir/yaml2" 2>>"$dir/err" && cmp -s "$dir/yaml" "$dir/yaml2"
check "--output is the long form of -o" $?
lg -o xml >"$dir/out" 2>"$dir/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- '-o takes json, yaml or text, not "xml"' "$dir/err"
check "-o xml is a usage error naming the choices" $?

# --name=VALUE, -o=VALUE and -oVALUE (the original's cobra flags took them): as two words
"$ctl" --plugin-dir="$dir/plugins" --goldenpaths="$dir/gp/goldenpaths.yaml" list-goldenpaths \
	--output=yaml >"$dir/yaml3" 2>"$dir/err" && cmp -s "$dir/yaml" "$dir/yaml3" &&
	lg -o=json >"$dir/json3" 2>>"$dir/err" && cmp -s "$dir/json" "$dir/json3" &&
	lg -oyaml >"$dir/yaml4" 2>>"$dir/err" && cmp -s "$dir/yaml" "$dir/yaml4"
check "--plugin-dir=D --goldenpaths=F --output=yaml, -o=json and -oyaml are the two-word forms" $?
env -u INNOMINATUS_SERVER INNOMINATUS_TOKEN=x "$ctl" --server=http://127.0.0.1:1 status 7 \
	>"$dir/out" 2>"$dir/err"
r1=$?
grep -q 'cannot talk to the server at http://127.0.0.1:1' "$dir/err" || r1=no-server
lg --output= >"$dir/out" 2>>"$dir/err"
r2=$?
grep -q -- '--output takes json, yaml or text, not ""' "$dir/err" || r2=no-message
lg --strict=yes >"$dir/out" 2>>"$dir/err"
r3=$?
grep -q 'unknown option --strict=yes' "$dir/err" || r3=no-message
echo "$r1:$r2:$r3" >>"$dir/err"
[ "$r1:$r2:$r3" = 5:2:2 ]
check "--server=URL is the server asked; --output= is a usage error; a flag without a value takes no =" $?

exit $fail
