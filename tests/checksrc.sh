#!/bin/sh
# checksrc.sh - the project's source checker (run by make check): bans
# functions that have bitten C projects before (unbounded copies, shell
# command strings, silent number parsing), requires the role comment at
# the top of every source file, and keeps the plugin boundary: no plugin
# includes a server header.  Prints TAP.
top=${INN_TOP_SRCDIR:-$(dirname "$0")/..}
cd "$top" || exit 1
files=$(find server ctl plugins plugin-api tests bench examples -name '*.[ch]' -o -name '*.cc' 2>/dev/null | sort)
n=0
fail=0
echo "1..3"
bad=$(grep -nE '(^|[^_a-zA-Z0-9.>])(sprintf|vsprintf|strcpy|strcat|system|popen|atoi|atol|gets|strtok)[[:space:]]*\(' $files /dev/null |
	grep -vE '^\S+:[0-9]+:\s*(\*|/\*|//)' )
if [ -n "$bad" ]; then
	echo "not ok 1 - banned functions (use snprintf, memcpy with a bound, posix_spawn via host->spawn, strtol, strtok_r):"
	echo "$bad" | sed 's/^/# /'
	fail=1
else
	echo "ok 1 - no banned functions in $(echo $files | wc -w) files"
fi
missing=""
for f in $files; do
	head -n 3 "$f" | grep -qE '^(/\*| \*|//)' || missing="$missing $f"
done
if [ -n "$missing" ]; then
	echo "not ok 2 - files without a role comment at the top:$missing"
	fail=1
else
	echo "ok 2 - every source file opens with its role comment"
fi
# Plugins (and the fixture plugins) see plugin.h and plugins/common only:
# no #include of a path under server/ nor of the bare name of a server
# header (the build's include path would not find it, but say why).
srvh=$(find server -name '*.h' | sed 's|.*/||; s/\./\\./g' | sort -u | tr '\n' '|' | sed 's/|$//')
pfiles=$(find plugins tests/plugins examples/hello-plugin -name '*.[ch]' 2>/dev/null | sort)
leak=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^>\"]*server/[^>\"]*|([^>\"]*/)?($srvh))[>\"]" $pfiles /dev/null)
if [ -n "$leak" ]; then
	echo "not ok 3 - plugins including server headers (a plugin sees plugin-api/ and plugins/common/ only):"
	echo "$leak" | sed 's/^/# /'
	fail=1
else
	echo "ok 3 - no plugin includes a server header ($(echo $pfiles | wc -w) files)"
fi
exit $fail
