#!/bin/sh
# man_ctl.sh - innominatus-ctl(1) against the program's own command table:
# every option spelling (the hidden --list-options), every command and
# subcommand (__complete commands / subcommands) is in the page, and every
# option the page names exists; the page renders with man -l and no
# warnings at 80 columns.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
page="$build/man/innominatus-ctl.1"
# a build from the tarball finds the rendered page in the source tree
[ -s "$page" ] || page="$src/man/innominatus-ctl.1"
scd="$src/man/innominatus-ctl.1.scd"
for t in man col; do
	command -v $t >/dev/null 2>&1 ||
		{ echo "1..1"; echo "not ok 1 - $t is needed (man-db, bsdextrautils)"; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-manctl-XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/missing"
echo "1..6"

[ -s "$page" ] && MANWIDTH=80 man -l --warnings "$page" >"$dir/page80" 2>"$dir/missing" &&
	[ ! -s "$dir/missing" ] && [ -s "$dir/page80" ]
check "man -l --warnings renders innominatus-ctl(1) with no warnings at 80 columns" $?

# wide, so that no word is broken at a line's end
MANWIDTH=400 man -l "$page" 2>/dev/null | col -b >"$dir/page"
"$ctl" --list-options >"$dir/opts" && [ "$(wc -l <"$dir/opts")" -gt 30 ]
check "--list-options lists the option spellings of the table" $?

: >"$dir/missing"
while read -r o; do
	grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$dir/page" || echo "$o" >>"$dir/missing"
done <"$dir/opts"
[ ! -s "$dir/missing" ]
check "every option of the table is in the page" $?

: >"$dir/missing"
"$ctl" __complete commands >"$dir/cmds"
while read -r c; do
	grep -qE "^ +$c( |\$)" "$dir/page" || echo "$c" >>"$dir/missing"
	for s in $("$ctl" __complete subcommands "$c"); do
		# "completion bash|zsh" names both
		grep -qE "^ +$c ([a-z-]+[|])*$s([|]| |\$)" "$dir/page" || echo "$c $s" >>"$dir/missing"
	done
done <"$dir/cmds"
[ "$(wc -l <"$dir/cmds")" -gt 20 ] && [ ! -s "$dir/missing" ]
check "every command and subcommand of the table has its entry in the page" $?

# the other way: each option the page's source names is one the program knows
: >"$dir/missing"
grep -oE -- '(^|[^A-Za-z0-9/-])--[a-z][a-z-]*[a-z]' "$scd" | sed 's/^[^-]*//' | sort -u |
while read -r o; do
	grep -qx -- "$o" "$dir/opts" || echo "$o" >>"$dir/missing"
done
grep -oE -- '\*-[A-Za-z]\*' "$scd" | tr -d '*' | sort -u | while read -r o; do
	grep -qx -- "$o" "$dir/opts" || echo "$o" >>"$dir/missing"
done
[ ! -s "$dir/missing" ]
check "every option the page names exists (--list-options)" $?

: >"$dir/missing"
"$ctl" --help >"$dir/help"
while read -r o; do
	grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$dir/help" || echo "$o" >>"$dir/missing"
done <"$dir/opts"
[ ! -s "$dir/missing" ]
check "--help names every option of the table too" $?
exit $fail
