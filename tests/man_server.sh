#!/bin/sh
# man_server.sh - innominatus(8) and innominatus.yaml(5) against the
# server's settings table (innominatus --list-settings, the source of its
# flags, variables, config keys and --help): every flag is documented in
# innominatus(8), every config key with its variable in
# innominatus.yaml(5), and everything the pages document exists.  Both
# pages render without warnings.  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
p8="$src/man/innominatus.8.scd"
p5="$src/man/innominatus.yaml.5.scd"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-man-XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
command -v man >/dev/null || { echo "Bail out! man is needed (apt-get install man-db)"; exit 1; }
echo "1..8"

"$srvbin" --list-settings >"$dir/list" 2>"$dir/out"
[ $? -eq 0 ] && [ "$(grep -c '^setting	--' "$dir/list")" -ge 15 ]
check "innominatus --list-settings lists the settings table" $?

# every flag (but the hidden listing) in innominatus(8) and in --help
"$srvbin" --help >"$dir/help"
: >"$dir/out"
cut -f2 "$dir/list" | grep -v '^--list-settings$' | while read -r f; do
	grep -q "^\*$f\*" "$p8" || echo "innominatus.8: no entry for $f" >>"$dir/out"
	grep -qE -- "^  $f( |$)" "$dir/help" || echo "--help: no $f" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "every flag of the table has an entry in innominatus(8) and a line in --help" $?

# every flag the page documents exists
: >"$dir/out"
grep -o '^\*--[a-z-]*\*' "$p8" | tr -d '*' | sort -u | while read -r f; do
	cut -f2 "$dir/list" | grep -qx -- "$f" || echo "innominatus.8 documents $f: no such option" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "every option innominatus(8) documents exists" $?

# every config key with its variable and flag in innominatus.yaml(5), the
# variables in innominatus(8)
: >"$dir/out"
awk -F'\t' '$1 == "setting"' "$dir/list" | while IFS='	' read -r kind flag key env type def; do
	grep -q "\*$env\*" "$p8" || echo "innominatus.8: no $env" >>"$dir/out"
	[ "$key" = "-" ] && continue
	line=$(grep "^\*$key\* " "$p5")
	[ -n "$line" ] || { echo "innominatus.yaml.5: no entry for $key" >>"$dir/out"; continue; }
	echo "$line" | grep -q "\*$env\*" || echo "innominatus.yaml.5: $key without $env" >>"$dir/out"
	echo "$line" | grep -q -- "\*$flag\*" || echo "innominatus.yaml.5: $key without $flag" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "every config key has an entry in innominatus.yaml(5) with its variable and flag" $?

# every server: key and variable the pages document exists
: >"$dir/out"
grep -o '^\*server\.[A-Za-z]*\*' "$p5" | tr -d '*' | sort -u | while read -r k; do
	cut -f3 "$dir/list" | grep -qx "$k" || echo "innominatus.yaml.5 documents $k: no such key" >>"$dir/out"
done
cat "$p8" "$p5" | grep -o 'INNOMINATUS_[A-Z_]*' | sort -u | while read -r v; do
	cut -f4 "$dir/list" | grep -qx "$v" && continue
	# the git credentials are read by the providers' code, not the table
	grep -q "\"$v\"" "$src/server/providers_conf.c" ||
		echo "a page documents $v: no such variable" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "every server: key and INNOMINATUS_ variable the pages document exists" $?

# the signals and the exit statuses the page promises
grep -q '^\*SIGHUP\*' "$p8" && grep -q '^\*SIGTERM\*' "$p8" && grep -q '^# EXIT STATUS' "$p8"
check "innominatus(8) documents SIGHUP, SIGTERM and the exit statuses" $?

for page in innominatus.8 innominatus.yaml.5; do
	f="$build/man/$page"
	[ -s "$f" ] || f="$src/man/$page"
	MANWIDTH=80 man -l --warnings "$f" >"$dir/render" 2>"$dir/out"
	[ $? -eq 0 ] && [ ! -s "$dir/out" ] && [ -s "$dir/render" ]
	check "man -l renders $page without warnings" $?
done
exit $fail
