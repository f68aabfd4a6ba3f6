#!/bin/sh
# ctl_new.sh - the generators as a user meets them: `innominatus-ctl new
# provider` gives a provider that validates and runs, `new workflow --type T`
# a workflow for each step type that validates (listed in provider.yaml in a
# provider folder), `new plugin` an out-of-tree project that builds against
# the SDK as `make install` installs it, passes its own make check, and
# loads into the installed innominatus-ctl; and the refusals.  Prints TAP.
ctl=${INN_CTL:?}
top=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-new-XXXXXX")
trap 'rm -rf "$dir"' EXIT
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..30"
# the sub-makes must not inherit this make's variables (TESTS=..., -j)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# every bundled plugin, in a directory the loader accepts
mkdir "$dir/plugins" && chmod 755 "$dir/plugins"
for so in "$top"/plugins/*/.libs/*.so; do cp "$so" "$dir/plugins/"; done
chmod 755 "$dir/plugins/"*.so
c() { "$ctl" --plugin-dir "$dir/plugins" "$@"; }
cd "$dir" || exit 1
types="shell kubernetes terraform ansible vault-setup minio"

# --- new provider --------------------------------------------------------------
c new provider team-a > out 2>&1; rc=$?
CHECK_SHOW=out
[ $rc -eq 0 ] && [ -f team-a/provider.yaml ] && [ -f team-a/README.md ] &&
	[ -f team-a/workflows/hello.yaml ]
check "new provider writes provider.yaml, README.md and an example workflow" $?
c validate-provider team-a > out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q 'provider team-a .*valid, 1 workflow' out
check "the generated provider passes validate-provider as generated" $?
c -o json run --local team-a/workflows/hello.yaml --param who=tester --param times=2 \
	> out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '"greeting": *"hello, tester"' out
check "its example workflow runs with run --local and publishes its output" $?
c --dry-run run --local team-a/workflows/hello.yaml > out 2>&1
check "and dry-runs" $?
c run --local team-a/workflows/hello.yaml --param times=9 > out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'times' out
check "its typed parameters refuse a value out of range (times=9, exit 3)" $?

# --- new workflow: in the provider folder, one per step type ------------------------
ok=0
for t in $types; do
	c new workflow "wf-$t" --type "$t" --dir team-a > out 2>&1 || { ok=1; cat out; }
	[ -f "team-a/workflows/wf-$t.yaml" ] &&
		grep -q "^  - name: \"wf-$t\"\$" team-a/provider.yaml &&
		grep -q "^    file: ./workflows/wf-$t.yaml\$" team-a/provider.yaml || ok=1
done
CHECK_SHOW=team-a/provider.yaml
check "new workflow --type T --dir PROVIDER writes workflows/NAME.yaml and lists it" $ok
c validate-provider team-a > out 2>&1; rc=$?
CHECK_SHOW=out
[ $rc -eq 0 ] && grep -q 'valid, 7 workflow' out
check "the provider with a workflow of each step type still validates" $?
grep -q '^      #   secret_key_secret: string, required$' team-a/workflows/wf-minio.yaml &&
	grep -q '^      #   errexit: boolean, default true$' team-a/workflows/wf-shell.yaml &&
	grep -q '^      # exactly one of: working_dir | module$' team-a/workflows/wf-terraform.yaml
check "the config fields in the comments come from each plugin's schema" $?
grep -q '^  - name: count$' team-a/workflows/wf-shell.yaml &&
	grep -q '^    type: integer$' team-a/workflows/wf-shell.yaml &&
	grep -q '^    type: boolean$' team-a/workflows/wf-shell.yaml
check "the workflow declares typed parameters" $?

# other manifest shapes: a simple-form provider reads workflows_dir; a flow list
# cannot be edited safely
mkdir -p simple/flows && printf 'name: simple\nworkflows_dir: flows\n' > simple/provider.yaml
c new workflow w1 --dir simple > out 2>&1 && [ -f simple/flows/w1.yaml ] &&
	c validate-provider simple > out 2>&1 && grep -q 'valid, 1 workflow' out
CHECK_SHOW=out
check "in a simple-form provider the workflow goes to its workflows_dir and validates" $?
mkdir flow && printf 'apiVersion: v1\nkind: Provider\nmetadata: {name: flow}\nworkflows: []\n' \
	> flow/provider.yaml && cp flow/provider.yaml flow.before
c new workflow w1 --dir flow > out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'provider.yaml:4: workflows is not a block list' out &&
	[ ! -e flow/workflows/w1.yaml ] && cmp -s flow.before flow/provider.yaml
check "a workflows list in flow style is left alone, said with file:line (exit 3)" $?

# --- new workflow: outside a provider, each type on its own ---------------------------
mkdir plain
ok=0
for t in $types; do
	c new workflow "x-$t" --type "$t" --dir plain > out 2>&1 &&
		c test-workflow "plain/x-$t.yaml" > out 2>&1 || { ok=1; echo "# $t:"; sed 's/^/#   /' out; }
done
check "each step type's workflow passes test-workflow as generated (plain folder)" $ok
c -o json run --local plain/x-shell.yaml --param message=hi --param count=2 > out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '"said": *"hi"' out
check "the shell workflow runs with run --local" $?
(cd plain && c new workflow default-type > ../out 2>&1) && grep -q '^    type: shell$' plain/default-type.yaml
check "without --type or --dir: a shell workflow in the current folder" $?
mkdir empty && chmod 755 empty
"$ctl" --plugin-dir "$dir/empty" new workflow x-noplugin --type minio --dir plain > out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q 'minio.so not loaded' out && grep -q 'plugins -o json' plain/x-noplugin.yaml
check "a plugin that cannot be loaded: the workflow is written without the field list, said" $?

# --- refusals -----------------------------------------------------------------------
c new provider team-a > out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'team-a exists and is not empty' out
check "new provider into a non-empty folder is refused (exit 3)" $?
c new provider 'bad name;rm' > out 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'is no provider name' out && [ ! -e 'bad name;rm' ]
check "a bad provider name is refused (exit 2), nothing written" $?
c new plugin My_Plugin > out 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'is no plugin name' out && [ ! -e My_Plugin ]
check "a bad plugin name is refused (exit 2)" $?
c new workflow w --type helm --dir plain > out 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'unknown --type "helm"' out && [ ! -e plain/w.yaml ]
check "an unknown --type is refused (exit 2)" $?
cp team-a/provider.yaml before.yaml
c new workflow wf-shell --dir team-a > out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'already lists a workflow "wf-shell"' out && cmp -s before.yaml team-a/provider.yaml
check "a workflow the provider already lists is refused (exit 3), provider.yaml unchanged" $?
c new workflow x-shell --dir plain > out 2>&1; rc=$?
[ $rc -eq 3 ] && grep -q 'refusing to overwrite' out
check "an existing workflow file is not overwritten (exit 3)" $?
c new bogus thing > out 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q 'new has no subcommand "bogus"' out
check "an unknown kind is refused (exit 2)" $?

# --- new plugin: an out-of-tree project against the installed SDK -------------------------
for tool in autoreconf libtoolize pkg-config make cc; do
	command -v $tool > /dev/null || echo "# missing $tool: the plugin project cannot be built"
done
make -C "$top" install DESTDIR="$dir/root" > install.log 2>&1
rc=$?
pc=$(find "$dir/root" -name innominatus-plugin.pc | head -n 1)
CHECK_SHOW=install.log
[ $rc -eq 0 ] && [ -n "$pc" ]
check "make install of innominatus (DESTDIR) installs the SDK" $?
sdk=$(dirname "$(dirname "$(dirname "$pc")")")    # PREFIX of PREFIX/lib/pkgconfig
ictl=$sdk/bin/innominatus-ctl
"$ictl" new plugin my-step --dir "$dir/my-step" > out 2>&1; rc=$?
CHECK_SHOW=out
[ $rc -eq 0 ] && [ -f my-step/configure.ac ] && [ -f my-step/src/my-step.c ] &&
	grep -q 'PKG_CHECK_MODULES(\[INNOMINATUS_PLUGIN\], \[innominatus-plugin\])' my-step/configure.ac &&
	grep -q '^my_step_la_SOURCES = src/my-step.c$' my-step/Makefile.am
check "new plugin writes the project (configure.ac, Makefile.am, src/NAME.c)" $?
# the installed .pc names the configured prefix: --define-prefix makes it
# the one it was installed under (a staged install, as a package builds)
(cd my-step && autoreconf -fi && ./configure PKG_CONFIG_PATH="$sdk/lib/pkgconfig" \
	PKG_CONFIG="pkg-config --define-prefix" && make) > build.log 2>&1; rc=$?
CHECK_SHOW=build.log
[ $rc -eq 0 ] && [ -f my-step/.libs/my-step.so ] && grep -q "^plugindir = $sdk/lib/innominatus/plugins\$" my-step/Makefile
check "autoreconf -fi && ./configure PKG_CONFIG_PATH=... && make builds it against the SDK" $?
(cd my-step && make check) > check.log 2>&1; rc=$?
CHECK_SHOW=check.log
[ $rc -eq 0 ] && grep -q '^PASS: tests/run.sh' check.log
check "its make check passes (it loads the .so with innominatus-ctl and runs a workflow)" $?
# a name YAML 1.1 reads as something else (null, a boolean) is quoted
# wherever the project's YAML holds it
"$ictl" new plugin null --dir "$dir/null" > out 2>&1 &&
	(cd null && autoreconf -fi && ./configure PKG_CONFIG_PATH="$sdk/lib/pkgconfig" \
	PKG_CONFIG="pkg-config --define-prefix" && make && make check) > null.log 2>&1; rc=$?
CHECK_SHOW=null.log
[ $rc -eq 0 ] && grep -q '^PASS: tests/run.sh' null.log
check "new plugin null builds and its make check passes (the name quoted in its YAML)" $?
(cd my-step && make install DESTDIR="$dir/pinst") > pinst.log 2>&1; rc=$?
CHECK_SHOW=pinst.log
[ $rc -eq 0 ] && [ -f "$dir/pinst$sdk/lib/innominatus/plugins/my-step.so" ] &&
	[ ! -e "$dir/pinst$sdk/lib/innominatus/plugins/my-step.la" ]
check "its make install puts my-step.so (and nothing else) into the SDK's plugindir" $?
mkdir pl && chmod 755 pl && cp "$dir/pinst$sdk/lib/innominatus/plugins/my-step.so" pl/ &&
	cp "$dir/plugins/shell.so" pl/ && chmod 755 pl/*.so
printf 'workflowPolicies:\n  allowedStepTypes: [shell, my-step]\n' > admin.yaml
"$ictl" plugins --plugin-dir "$dir/pl" --config admin.yaml > out 2>&1; rc=$?
CHECK_SHOW=out
[ $rc -eq 0 ] && grep -qE '^  my-step +0\.1\.0 +1\.[0-9]+ +dry-run,idempotent,cancellable +my-step$' out
check "the installed innominatus-ctl loads it (plugins --plugin-dir)" $?
cat > use.yaml <<'EOF'
name: use-my-step
steps:
  - name: say
    type: my-step
    config:
      message: "made by ${parameters.who}"
      repeat: 3
  - name: after
    type: shell
    config:
      script: echo "got=$GOT" >> "$INNOMINATUS_OUTPUT"
      env:
        GOT: "${steps.say.outputs.message}"
parameters:
  - name: who
    type: string
outputs:
  got: "${steps.after.outputs.got}"
EOF
"$ictl" --plugin-dir "$dir/pl" --config admin.yaml -o json run --local use.yaml --param who=ctl_new \
	> out 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q '"got": *"made by ctl_new"' out
check "a workflow using its step type runs (run --local) and passes its output on" $?
exit $fail
