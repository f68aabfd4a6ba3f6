#!/bin/sh
# man_plugin.sh - innominatus-plugin(7) cannot drift from the ABI: every
# name of plugin.h a plugin author uses (macros, enum constants and tags,
# types, struct fields, the entry point) is in the page, the page names the
# header's ABI version, its EXAMPLE is examples/hello-plugin/hello.c as it
# is (that file is built and loaded by tests/ctl_plugins.sh), and the
# rendered page shows no warning with man -l.  Prints TAP.
src=${INN_TOP_SRCDIR:?}
page=$src/man/innominatus-plugin.7.scd
hdr=$src/plugin-api/innominatus/plugin.h
built=${INN_TOP_BUILDDIR:?}/man/innominatus-plugin.7
# a build from the tarball finds the rendered page in the source tree
[ -s "$built" ] || built=${INN_TOP_SRCDIR:?}/man/innominatus-plugin.7
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-manp-XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
echo "1..5"

# the names of plugin.h, one a line
python3 - "$hdr" > "$dir/names" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)      # comments
names = set()
for m in re.finditer(r"^#define\s+(\w+)", text, re.M):
    if m.group(1) != "INNOMINATUS_PLUGIN_H":
        names.add(m.group(1))
for m in re.finditer(r"^\s*(INN_\w+)\s*=", text, re.M):     # enum constants
    names.add(m.group(1))
for m in re.finditer(r"\benum\s+(\w+)\s*\{", text):        # enum tags
    names.add(m.group(1))
for m in re.finditer(r"typedef\s+struct\s+(\w+)\s*(\{(.*?)\})?\s*(\w+)\s*;", text, re.S):
    names.add(m.group(4))
    body = m.group(3) or ""
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        f = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)          # function pointer
        if f is None:
            f = re.search(r"(\w+)\s*(\[[^]]*\])?\s*$", decl)
        names.add(f.group(1))
for m in re.finditer(r"typedef\s+[^;{]*?\(\s*\*\s*(\w+)\s*\)", text):
    names.add(m.group(1))                                  # function types
for m in re.finditer(r"\b(inn_plugin_describe_v\d+)\s*\(", text):
    names.add(m.group(1))
if len(names) < 90:
    sys.exit("plugin.h parsed into %d names only: the parser needs a look" % len(names))
print("\n".join(sorted(names)))
PY
rc=$?
[ $rc -eq 0 ]; check "plugin.h parses into its names ($(wc -l < "$dir/names") of them)" $?

: > "$dir/missing"
while read -r name; do
	grep -q "\\b$name\\b" "$page" || echo "$name" >> "$dir/missing"
done < "$dir/names"
CHECK_SHOW=$dir/missing
[ -s "$dir/names" ] && [ ! -s "$dir/missing" ]
check "every macro, constant, type, field and entry point of plugin.h is in the page" $?

CHECK_SHOW=
major=$(sed -n 's/^#define INN_PLUGIN_ABI_MAJOR \([0-9]*\).*/\1/p' "$hdr")
minor=$(sed -n 's/^#define INN_PLUGIN_ABI_MINOR \([0-9]*\).*/\1/p' "$hdr")
grep -q "describes plugin ABI $major\\.$minor (\\*INN_PLUGIN_ABI_MAJOR\\* $major,\$" "$page" &&
	grep -q "^\\*INN_PLUGIN_ABI_MINOR\\* $minor)" "$page"
check "the page describes the header's ABI $major.$minor" $?

# the first literal block after "# EXAMPLE" is the example plugin
awk '/^# EXAMPLE$/ { ex = 1; next } ex && /^```$/ { if (in_block) exit; in_block = 1; next }
     in_block { print }' "$page" > "$dir/example.c"
diff -u "$src/examples/hello-plugin/hello.c" "$dir/example.c" > "$dir/diff"
rc=$?
CHECK_SHOW=$dir/diff
[ $rc -eq 0 ] && [ -s "$dir/example.c" ]
check "the page's EXAMPLE is examples/hello-plugin/hello.c, unchanged" $?

CHECK_SHOW=$dir/warn
if command -v man > /dev/null; then
	MANWIDTH=80 man -l --warnings "$built" 2> "$dir/warn" > "$dir/page.txt"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$dir/warn" ] && grep -q 'inn_plugin_describe_v1' "$dir/page.txt"
	check "the page renders with MANWIDTH=80 man -l --warnings without a warning" $?
else
	echo "man is missing (apt-get install man-db): cannot render the page" > "$dir/warn"
	check "the page renders with MANWIDTH=80 man -l --warnings without a warning" 1
fi
exit $fail
