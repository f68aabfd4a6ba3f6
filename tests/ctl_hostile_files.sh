#!/bin/sh
# ctl_hostile_files.sh - what the ctl writes on disk, against the hostile
# findings of issue 14: generators run in parallel on one provider all end
# up listed (1); new provider/workflow refuse a folder, workflows/ or
# provider.yaml that is a symbolic link (16), a provider.yaml that is a
# pipe or a folder, and keep CRLF line ends (17); admin export refuses a
# symbolic link to a file or to nothing, writes through a device or a
# pipe, creates its file 0600 and takes -o json as the mistake it is (2,
# 20); revoke-key, delete, app and remove-provider refuse ".", ".." and ""
# before any request (18).  Prints TAP.
ctl=${INN_CTL:?}
top=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-hfiles-XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..16"
mkdir "$dir/plugins" && chmod 755 "$dir/plugins"
for so in "$top"/plugins/*/.libs/*.so; do cp "$so" "$dir/plugins/"; done
chmod 755 "$dir/plugins/"*.so
c() { "$ctl" --plugin-dir "$dir/plugins" "$@"; }
cd "$dir" || exit 1
CHECK_SHOW=out

# ---- 1: ten generators at once on one provider ----------------------------------
c new provider prov >out 2>&1
i=1; pids=
while [ $i -le 10 ]; do
	c new workflow "w$i" --dir prov >"out.$i" 2>&1 &
	pids="$pids $!"; i=$((i + 1))
done
ok=0
for p in $pids; do wait "$p" || ok=1; done
i=1
while [ $i -le 10 ]; do
	grep -q "^  - name: \"w$i\"" prov/provider.yaml || { ok=1; echo "# w$i not listed"; }
	i=$((i + 1))
done
cp prov/provider.yaml out
check "1: ten new workflow --dir PROV at once all succeed and all are listed" $ok
c validate-provider prov >out 2>&1 && grep -q 'valid, 11 workflow' out
check "1: and validate-provider sees all eleven workflows" $?
ls -a prov >out; ! grep -q 'provider.yaml.new' out
check "1: no temporary file is left beside provider.yaml" $?

# ---- 16: symbolic links ------------------------------------------------------------
mkdir elsewhere && ln -s elsewhere lnk
c new provider p --dir lnk >out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'lnk is a symbolic link' out && [ -z "$(ls elsewhere)" ]
check "16: new provider --dir LINK is refused (exit 3), nothing written through it" $?
c new provider p3 --dir p3 >out 2>&1 && rm -r p3/workflows && ln -s ../elsewhere p3/workflows &&
	cp p3/provider.yaml p3.before
c new workflow y --dir p3 >out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'p3/workflows is a symbolic link' out && [ -z "$(ls elsewhere)" ] &&
	cmp -s p3.before p3/provider.yaml
check "16: new workflow into a provider whose workflows/ is a link is refused (exit 3)" $?
c new provider p4 --dir p4 >out 2>&1 && mv p4/provider.yaml real.yaml &&
	ln -s ../real.yaml p4/provider.yaml && cp real.yaml real.before
c new workflow y --dir p4 >out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'provider.yaml is a symbolic link' out && cmp -s real.before real.yaml &&
	[ -L p4/provider.yaml ] && [ ! -e p4/workflows/y.yaml ]
check "16: a provider.yaml that is a link is refused (exit 3), its target unchanged" $?
c new workflow y --dir lnk >out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'lnk is a symbolic link' out && [ -z "$(ls elsewhere)" ]
check "16: new workflow --dir LINK is refused (exit 3)" $?

# ---- 17: provider.yaml that is no file; CRLF ---------------------------------------
mkdir p5 && mkfifo p5/provider.yaml
c new workflow y --dir p5 >out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'provider.yaml is a device, pipe or socket' out && [ ! -e p5/y.yaml ]
check "17: a provider.yaml that is a pipe is an error (exit 3), no loose y.yaml" $?
mkdir -p p6/provider.yaml
c new workflow y --dir p6 >out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'provider.yaml is a folder' out && [ ! -e p6/y.yaml ]
check "17: a provider.yaml that is a folder is an error (exit 3)" $?
c new provider p7 --dir p7 >out 2>&1 && sed 's/$/\r/' p7/provider.yaml >p7.crlf &&
	cat p7.crlf >p7/provider.yaml
c new workflow y --dir p7 >out 2>&1; rc=$?
total=$(wc -l <p7/provider.yaml); crlf=$(grep -c "$(printf '\r')\$" p7/provider.yaml)
[ $rc -eq 0 ] && [ "$total" -gt 0 ] && [ "$total" = "$crlf" ] &&
	grep -q "^  - name: \"y\"$(printf '\r')\$" p7/provider.yaml
check "17: lines added to a CRLF provider.yaml end in CRLF too" $?

# ---- 2, 20: admin export -o -------------------------------------------------------
db="$dir/store.db"
"$top/innominatus" --db "$db" --migrate >out 2>&1 || sed 's/^/# /' out
ln -s victim.txt dangling; echo keep >victim2.txt; ln -s victim2.txt tofile
c admin export --db "$db" -o dangling >out 2>&1; rc1=$?
c admin export --db "$db" -o tofile >out2 2>&1; rc2=$?
cat out2 >>out
[ $rc1 -eq 3 ] && [ $rc2 -eq 3 ] && [ ! -e victim.txt ] && [ "$(cat victim2.txt)" = keep ] &&
	grep -q 'symbolic link' out
check "2: export -o LINK (to nothing, to a file) is refused (exit 3), nothing written" $?
umask 022
rm -f new.json; c admin export --db "$db" -o new.json >out 2>&1 &&
	[ "$(stat -c %a new.json)" = 600 ]
check "2: export creates its file mode 0600 whatever the umask" $?
mkfifo pipe; ln -s pipe topipe
# the reader gives up after 10 s should the export never open the pipe
timeout 10 cat topipe >piped.json & rp=$!
c admin export --db "$db" -o topipe >out 2>&1; rc=$?
wait $rp
[ $rc -eq 0 ] && [ -p pipe ] && grep -q innominatus-store piped.json
check "2: export -o LINK-TO-A-PIPE writes through it (the pipe stays a pipe)" $?
c admin export --db "$db" -o json >out 2>&1; rc=$?
[ $rc -eq 3 ] && [ ! -e json ] && grep -q -- '-o ./json' out
check "20: export -o json is refused with a hint (-o is the file, not a format)" $?

# ---- 20: a step's output on a terminal shows ESC and BEL, never sends them ----------
cat >esc.yaml <<'YAML'
name: esc
steps:
  - name: t
    type: shell
    config:
      script: printf 'a\033]0;pwned\007b\n'
YAML
if command -v script >/dev/null 2>&1; then
	script -qc "\"$ctl\" --plugin-dir \"$dir/plugins\" run --local esc.yaml" /dev/null >out 2>&1
	grep -q 'a\\e\]0;pwned^Gb' out && ! grep -q "$(printf '\007')" out
else
	echo "# script (util-linux) is needed"; false
fi
check "20: a log line with ESC/BEL shows on a terminal as \\e and ^G (nothing sent raw)" $?

# ---- 18: names that would be another URL path -------------------------------------
ok=0
for a in "admin revoke-key .." "admin revoke-key ." "admin revoke-key ''" "delete .." \
	"app ." "admin remove-provider .."; do
	eval "INNOMINATUS_SERVER=http://127.0.0.1:9 INNOMINATUS_TOKEN=k \"\$ctl\" $a" >out 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -q 'is no .* name (' out || { ok=1; echo "# $a: exit $rc"; sed 's/^/# /' out; }
done
: >out
check "18: revoke-key ..|.|'', delete .., app ., remove-provider .. are usage errors naming the rule" $ok
exit $fail
