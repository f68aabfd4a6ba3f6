#!/bin/sh
# checksrc.sh - the project's source checker (run by make check): bans
# functions that have bitten C projects before (unbounded copies, shell
# command strings, silent number parsing), requires the role comment at
# the top of every source file, keeps the plugin boundary (no plugin
# includes a server header) and the layout of the text (tabs indent, no
# trailing blanks, spaces only to align a continued line).  Prints TAP.
top=${INN_TOP_SRCDIR:-$(dirname "$0")/..}
cd "$top" || exit 1
files=$(find server ctl plugins plugin-api tests bench examples -name '*.[ch]' -o -name '*.cc' 2>/dev/null | sort)
n=0
fail=0
echo "1..4"
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
# Layout: code is indented with tabs (STYLE.md); spaces may only follow
# the tabs to align a continued line (arguments, conditions) or a comment's
# " *"; no line ends in a blank.  A line that begins with spaces must
# continue the line before it (which does not end a statement or block).
fmt=$(awk '
	FNR == 1 { prev = ""; incomment = 0 }
	/[ \t]+$/ { print FILENAME ":" FNR ": trailing blank" }
	/^\t* +\t/ { print FILENAME ":" FNR ": a space before a tab in the indentation" }
	/^ +[^ *]/ && !incomment && (prev ~ /[;{}]$/ || prev ~ /^$/ || (prev ~ /^#/ && prev !~ /\\$/)) {
		print FILENAME ":" FNR ": indented with spaces (indent with tabs)"
	}
	{
		line = $0
		if (line ~ /\/\*/ && line !~ /\*\//) incomment = 1
		else if (line ~ /\*\//) incomment = 0
		prev = line
	}' $files /dev/null)
if [ -n "$fmt" ]; then
	echo "not ok 4 - layout (tabs indent; spaces only align a continued line; no trailing blanks):"
	echo "$fmt" | sed 's/^/# /'
	fail=1
else
	echo "ok 4 - every source file is laid out with tabs"
fi
exit $fail
