#!/bin/sh
# loader.sh - hostile replays for the loaders and templates (hardening
# report IN-11, IN-14, IN-17, IN-18, IJ-3): what innominatus-ctl and the
# server's load log tell a user about a second YAML document, an oversized
# script, a dry-run whose config cannot render, the `list` type, values in
# every quoting context of a shell script, and integers out of range.
# Fixtures: tests/data/hostile/loader/.
. "${INN_TOP_SRCDIR:?}/tests/hostile/lib.sh"
h_init loader
ctl="$build/innominatus-ctl"
fx="$src/tests/data/hostile/loader"
w="$H/work"
mkdir -p "$w"
cd "$w" || exit 1

ctlrun() { # ARGS...: stdout+stderr to $H/out, exit status to $H/rc
	"$ctl" --plugin-dir "$H/plugins" --config /dev/null "$@" > "$H/out" 2>&1
	echo $? > "$H/rc"
}
has() { grep -qF -- "$1" "$H/out"; }
hasnt() { ! grep -qF -- "$1" "$H/out"; }
rc_is() { [ "$(cat "$H/rc")" = "$1" ]; }
rc_not() { [ "$(cat "$H/rc")" != "$1" ]; }

# --- IN-18: a second document is named, file:line, not silently dropped ----
cp -R "$fx/twodoc" "$w/twodoc"
ctlrun test-workflow "$w/twodoc/workflows/hello.yaml"
check "test-workflow: valid, with a warning naming the second document's line" \
	sh -c "grep -qF '$w/twodoc/workflows/hello.yaml:6: warning: a second YAML document is ignored' '$H/out' && [ \$(cat '$H/rc') = 0 ]"
ctlrun validate-provider "$w/twodoc"
check "validate-provider: warns about provider.yaml's second document" \
	has "$w/twodoc/provider.yaml:4: warning: a second YAML document is ignored"
check "validate-provider: and about the workflow file's" \
	has "$w/twodoc/workflows/hello.yaml:6: warning: a second YAML document is ignored"
check "validate-provider: the provider still loads" rc_is 0
h_start "$w/twodoc" || exit 1
check "the server's load log names the second documents" \
	grep -qF "$w/twodoc/provider.yaml:4: warning: a second YAML document is ignored" "$H/server.log"
h_stop

# --- IN-11: a script over the template limit fails validation -------------
python3 -c 'import sys
sys.stdout.write("name: big\nsteps:\n  - name: a\n    type: shell\n    config:\n      script: \"" + "x" * (1 << 20) + "y\"\n")' > big.yaml
ctlrun test-workflow "$w/big.yaml"
check "test-workflow: a 1 MiB + 1 script is an error at its file:line:col" \
	has "$w/big.yaml:6:15: error: step \"a\": config.script: template error: template longer than 1048576 bytes"
check "test-workflow: exit status 3 (invalid)" rc_is 3
ctlrun run --local "$w/big.yaml" --dry-run
check "run --dry-run refuses it too, before anything runs" \
	sh -c "grep -qF 'template longer than 1048576 bytes' '$H/out' && ! grep -q would-run '$H/out'"

# a script is one argument of the shell: Linux takes 128 KiB at most (E2BIG)
python3 -c 'import sys
sys.stdout.write("name: long\nsteps:\n  - name: a\n    type: shell\n    config:\n      script: |\n" + "        : xxxxxxxxxxxxxxxxxxxx\n" * 8000)' > long.yaml
ctlrun test-workflow "$w/long.yaml"
check "test-workflow: a 184 KB script is refused at load, not at exec" \
	sh -c "grep -qF 'config.script: 184000 bytes; a script is passed to the shell as one argument' '$H/out' && [ \$(cat '$H/rc') = 3 ]"

# --- IN-11: a dry-run reports render errors a real run would hit ----------
ctlrun test-workflow "$fx/dryrun.yaml" --dry-run
check "dry-run: a step reading outputs a dry-run does not produce would-run" \
	grep -Eq '^  unknown +shell +would-run \(not simulated: it reads the outputs of step "first", resolved at run time\)' "$H/out"
check "dry-run: a type error in a config is reported as the failure it is" \
	grep -Eq '^  typo +shell +would-fail: env.X: .*is a string' "$H/out"
check "dry-run: exit status says it would fail" rc_not 0
python3 -c 'import sys
v = "v" * 120000
sys.stdout.write("name: huge\nparameters:\n  - {name: chunk, type: string, default: \"" + v + "\"}\n"
  "steps:\n  - name: grow\n    type: shell\n    env:\n      BIG: \"" + "{{ .parameters.chunk }}" * 40 + "\"\n"
  "    config: {script: \"true\"}\n")' > huge.yaml
ctlrun test-workflow "$w/huge.yaml" --dry-run
check "dry-run: a config rendering over the 4 MiB output limit fails, as the run would" \
	sh -c "grep -Eq '^  grow +shell +would-fail: env.BIG: rendered text exceeds 4194304 bytes' '$H/out' && ! grep -q would-run '$H/out'"

# --- IN-17: the README's `list` type ----------------------------------------
ctlrun run --local "$fx/listtype.yaml"
check "type: list is accepted (as array) and renders its value" \
	sh -c "grep -qF '[\"a\",\"b\"]' '$H/out' && [ \$(cat '$H/rc') = 0 ]"

# --- IJ-3: values in single quotes, double quotes, \$( ), here-documents --
for v in 'hi' '$(touch pwn1)' '`touch pwn2`' "it's \"q\" '\$(touch pwn3)'" \
	"x'; touch pwn4; echo '" 'x"; touch pwn5; echo "' '{{ .parameters.msg }} ${parameters.msg}'; do
	ctlrun run --local "$fx/quoting.yaml" -p "msg=$v"
	for ctxt in "S=$v" "D=$v" "two $v and $v end" "C=$v" "H=$v"; do
		check "quoting: value $v printed as written in: ${ctxt%%=*}" \
			grep -qF -- "| $ctxt" "$H/out"
	done
done
check "quoting: no hostile value ran as code" sh -c '! ls pwn* 2>/dev/null | grep -q .'
ctlrun run --local "$fx/quoting.yaml" -p "msg=$(printf 'line1\nline2')"
check "quoting: a newline value keeps its two lines inside single quotes" \
	sh -c "grep -qF '| S=line1' '$H/out' && grep -qF '| line2' '$H/out'"

# --- IN-14: integers out of range are errors, never saturated -------------
for v in 99999999999999999999999 -99999999999999999999999 9223372036854775808; do
	ctlrun run --local "$fx/ints.yaml" -p "secs=$v"
	check "run --local -p secs=$v is refused" \
		sh -c "grep -qF 'parameter \"secs\": \"$v\" is out of the 64-bit integer range' '$H/out' && ! grep -q 'secs=' '$H/out'"
done
printf 'name: y\nparameters: [{name: n, type: integer, default: 99999999999999999999999}]\nsteps:\n  - {name: a, type: shell, timeout: 99999999999999999999h, retries: 4294967297, config: {script: "true"}}\n' > yint.yaml
ctlrun test-workflow "$w/yint.yaml"
check "YAML: an out-of-range integer default is an error" has "yint.yaml:2:48: error: parameters[0].default: 9.9999999999999992e+22 is out of the 64-bit integer range"
check "YAML: an out-of-range timeout is an error" has "yint.yaml:4:37: error: steps[0].timeout:"
check "YAML: an out-of-range retries is an error" has "yint.yaml:4:69: error: steps[0].retries:"
# --- A13/A62: references no run can resolve are load errors, file:line ----
ctlrun test-workflow "$fx/home.yaml"
check "C2: \${HOME} (no dot) is the shell's, not a template: the file is valid" \
	sh -c "grep -qF 'workflow home is valid' '$H/out' && [ \$(cat '$H/rc') = 0 ]"
ctlrun run --local "$fx/home.yaml"
check "C2: the script sees the shell's HOME for \${HOME}" \
	sh -c "grep -qF '| home is $HOME' '$H/out' && [ \$(cat '$H/rc') = 0 ]"
ctlrun run --local "$fx/homeok.yaml"
check "A13: \$\${HOME} and \$HOME are the shell's HOME" \
	sh -c "grep -qF '| home is $HOME and $HOME' '$H/out' && [ \$(cat '$H/rc') = 0 ]"
check "A21: a static working_dir is created in the empty workspace" has "| cwd ends in build/out"
ctlrun test-workflow "$fx/late.yaml"
check "A62: an output of a later step is an error at its file:line" \
	sh -c "grep -qF 'late.yaml:6:15: error: step \"early\": config.script: references steps.late.outputs.x, but step \"late\" does not run before it' '$H/out' && [ \$(cat '$H/rc') = 3 ]"
ctlrun test-workflow "$fx/sibling.yaml"
check "A62: an output of a parallel sibling is an error" \
	has "sibling.yaml:12:15: error: step \"b\": config.script: references steps.a.outputs.x, but step \"a\" does not run before it"

# --- A52: 1000 references to a 3000-byte default are one variable --------
python3 -c 'import sys
sys.stdout.write("name: e2big\nparameters:\n  - {name: m, type: string, default: " + "D" * 3000 + "}\nsteps:\n  - name: a\n    type: shell\n    config:\n      script: |\n" + "        echo ${parameters.m} >/dev/null\n" * 1000 + "        env | grep -c ^INN_T_\n")' > e2big.yaml
ctlrun run --local "$w/e2big.yaml"
check "A52: the run succeeds with one INN_T variable, not 1000 copies (E2BIG)" \
	sh -c "grep -qF '| 1' '$H/out' && [ \$(cat '$H/rc') = 0 ]"
python3 -c 'import sys
sys.stdout.write("name: big1\nparameters:\n  - {name: m, type: string, default: " + "D" * 140000 + "}\nsteps:\n  - name: a\n    type: shell\n    config:\n      script: echo ${parameters.m}\n")' > big1.yaml
ctlrun test-workflow "$w/big1.yaml"
check "A52: a 140000-byte default is an error (one environment string > 128 KiB)" \
	sh -c "grep -qF 'big1.yaml:3:38: error: parameters[0].default: a value is 140000 bytes, more than the limit of 126976 bytes' '$H/out' && [ \$(cat '$H/rc') = 3 ]"

# --- A17: a name over 128 characters names the limit -----------------------
printf 'metadata:\n  name: %s\ncontainers: {}\n' "$(python3 -c 'print("a" * 129)')" > longname.yaml
ctlrun run --local "$fx/homeok.yaml" "$w/longname.yaml"
check "A17: metadata.name of 129 characters: the message names the 128 limit" \
	sh -c "grep -qF 'is 129 characters long; a name has at most 128' '$H/out' && ! grep -qF 'must match' '$H/out'"

# --- A45: an alias bomb in an API spec is refused cheaply, memory returned -
mkdir -p "$w/ab/p/workflows"
printf 'name: p\n' > "$w/ab/p/provider.yaml"
printf 'name: w\nsteps:\n  - {name: a, type: shell, config: {script: "true"}}\n' > "$w/ab/p/workflows/w.yaml"
h_start "$w/ab" || exit 1
python3 -c 'import json
y = "apiVersion: score.dev/v1b1\nmetadata:\n  name: aliasapp\ncontainers:\n  web:\n    image: x\n    a0: &l0 [a,a,a,a,a,a,a,a,a,a]\n"
for i in range(1, 11):
    y += "    a%d: &l%d [%s]\n" % (i, i, ",".join(["*l%d" % (i - 1)] * 10))
print(json.dumps({"workflow": "p/w", "spec": y}))' > bomb.json
rss() { awk '/^VmRSS/ {print $2}' "/proc/$spid/status"; }
r0=$(rss)
api POST /api/workflows/run "$ADMIN" -d @bomb.json > /dev/null
check "A45: the alias bomb is a 400 naming the 100000-node budget" \
	sh -c "[ \$(cat '$H/code') = 400 ] && grep -qF 'more than 100000 nodes' '$H/body'"
for i in 1 2 3 4 5 6 7 8 9 10; do api POST /api/workflows/run "$ADMIN" -d @bomb.json > /dev/null; done
r1=$(rss)
echo "# A45: server RSS ${r0} kB -> ${r1} kB after 11 alias bombs"
if grep -qa -e __asan_init -e AddressSanitizer "/proc/$spid/exe" || grep -q libasan "/proc/$spid/maps"; then
	# ASan keeps freed memory in its quarantine: RSS says nothing there
	h_n=$((h_n + 1)); echo "ok $h_n - A45: RSS after alias bombs # SKIP AddressSanitizer build"
else
	check "A45: eleven alias bombs leave RSS within 30 MB of what it was before" [ $((r1 - r0)) -lt 30000 ]
fi
h_stop
h_done
