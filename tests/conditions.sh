#!/bin/sh
# conditions.sh - step conditions as the original innominatus wrote them
# (compat finding C3), through `innominatus-ctl run --local`, `test-workflow`
# and a real server: if and when together, `when: on_failure` cleanup that
# runs only after a failure (and the run still fails), `if: $X == yes` read
# against the step's env, `unless:`, skip reasons, load errors with
# file:line:col, and what a dry-run says.  Prints TAP.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
h_init conditions
ctl=${INN_CTL:?}
printf 'workflowPolicies:\n  allowedStepTypes: [shell]\n' > "$H/admin.yaml"
c() { "$ctl" --plugin-dir "$H/plugins" --config "$H/admin.yaml" "$@" > "$H/out" 2>&1; rc=$?; }
has() { grep -q -- "$1" "$H/out" || { sed 's/^/# /' "$H/out"; return 1; }; }
hasnt() { ! grep -q -- "$1" "$H/out" || { sed 's/^/# /' "$H/out"; return 1; }; }

w=$H/prov/cond/workflows
mkdir -p "$w"
printf 'name: cond\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$H/prov/cond/provider.yaml"
cat > "$w/when-if.yaml" <<'WF'
name: when-if
steps:
  - {name: deploy, type: shell, if: "true", when: on_success, config: {script: echo deployed}}
WF
cat > "$w/when-kw.yaml" <<'WF'
name: when-kw
steps: [{name: ok, type: shell, config: {script: "true"}}, {name: cleanup, type: shell, when: on_failure, config: {script: echo cleanup-ran}}]
WF
cat > "$w/if-env.yaml" <<'WF'
name: if-env
steps: [{name: a, type: shell, if: $X == yes, env: {X: "no"}, config: {script: echo ran-a}},
        {name: b, type: shell, if: $X == yes, env: {X: "yes"}, config: {script: echo ran-b}}]
WF
cat > "$w/unless.yaml" <<'WF'
name: unless
steps: [{name: tests, type: shell, unless: "true", config: {script: echo tests-ran}}]
WF
cat > "$w/fails.yaml" <<'WF'
name: fails
steps:
  - {name: provision, type: shell, config: {script: "echo provisioned"}}
  - {name: deploy, type: shell, config: {script: "echo deploying; exit 4"}}
  - {name: smoke, type: shell, config: {script: echo smoke-ran}}
  - {name: cleanup, type: shell, when: on_failure, config: {script: echo cleanup-ran}}
  - {name: notify, type: shell, when: always, if: deploy.failed, config: {script: echo notify-ran}}
  - {name: celebrate, type: shell, when: on_success, config: {script: echo celebrate-ran}}
WF

# C3: a step with both if and when is read, not refused
c run --local "$w/when-if.yaml"
check "C3: if and when on one step both apply (run --local)" eval \
	'[ $rc -eq 0 ] && has "deploy  *| deployed" && has "Workflow when-if succeeded"'
# C3: when: on_failure does not run when nothing failed
c run --local "$w/when-kw.yaml"
check "C3: when: on_failure is skipped when no step failed, saying why" eval \
	'[ $rc -eq 0 ] && hasnt cleanup-ran &&
	 has "cleanup  *skipped: condition false: when: on_failure, and no earlier step failed"'
# C3: if: $X == yes compares the step's env, not a non-empty string
c run --local "$w/if-env.yaml"
check "C3: if: \$X == yes reads the step's env" eval \
	'[ $rc -eq 0 ] && hasnt ran-a && has "b  *| ran-b" &&
	 has "a  *skipped: condition false: if: \"\$X == yes\" is false (\"no\" == \"yes\")"'
# C3: unless is a condition, not an unknown key
c run --local "$w/unless.yaml"
check "C3: unless: true skips the step; no unknown-key warning" eval \
	'[ $rc -eq 0 ] && hasnt tests-ran && hasnt "unknown key" &&
	 has "tests  *skipped: condition false: unless: \"true\" is true"'
# a failure: the cleanup runs, the run still fails and names the step
c run --local "$w/fails.yaml"
check "a failed step runs the on_failure cleanup and always steps; the run fails" eval \
	'[ $rc -ne 0 ] && has "cleanup  *| cleanup-ran" && has "notify  *| notify-ran" &&
	 hasnt smoke-ran && hasnt celebrate-ran &&
	 has "Workflow fails failed: step \"deploy\" failed"'
c test-workflow "$w/fails.yaml" --dry-run
check "the dry-run says the cleanup runs only if an earlier step fails" eval \
	'[ $rc -eq 0 ] && has "cleanup .*would-run only if an earlier step fails (when: on_failure)"'

# unreadable conditions are load errors naming file:line:col
cat > "$H/bad.yaml" <<'WF'
name: bad
steps:
  - {name: a, type: shell, config: {script: "true"}}
  - {name: b, type: shell, when: on_sucess, config: {script: "true"}}
  - {name: c, type: shell, if: nosuch.success, config: {script: "true"}}
  - {name: d, type: shell, unless: '$V matches ([a-z', config: {script: "true"}}
  - {name: e, type: shell, if: a.succeeded and b, config: {script: "true"}}
WF
c test-workflow "$H/bad.yaml"
check "bad conditions are refused with file:line:col (exit 3)" eval \
	'[ $rc -eq 3 ] &&
	 has "bad.yaml:4:34: error: step \"b\": when: \"on_sucess\" is not a when keyword" &&
	 has "bad.yaml:5:32: error: step \"c\": if: \"nosuch.success\": there is no step \"nosuch\"" &&
	 has "bad.yaml:6:36: error: step \"d\": unless: matches: pattern \"(\[a-z\" is not a Go regular expression" &&
	 has "bad.yaml:7:32: error: step \"e\": if: cannot read \"a.succeeded and b\""'

# a condition reading an output no step set (skipped, or not reported)
# reads it unresolved, as the original did: the reference stays as text
cat > "$w/unset.yaml" <<'WF'
name: unset
variables: {MODE: "off"}
steps:
  - {name: first, type: shell, config: {script: "echo hi"}}
  - {name: a, type: shell, if: "$MODE == on", config: {script: "echo out=1 >> $INNOMINATUS_OUTPUT"}}
  - {name: c1, type: shell, depends_on: [a], if: "$a.out == 1", config: {script: echo c1-ran}}
  - {name: c2, type: shell, if: "${steps.first.outputs.x} == 1", config: {script: echo c2-ran}}
  - {name: c3, type: shell, if: "$a.out != 1", config: {script: echo c3-ran}}
  - {name: c4, type: shell, unless: "$a.out", config: {script: echo c4-ran}}
WF
c run --local "$w/unset.yaml"
check "a condition on an output that is not set is false, naming it; the run goes on" eval \
	'[ $rc -eq 0 ] && hasnt c1-ran && hasnt c2-ran && has "c3  *| c3-ran" && hasnt c4-ran &&
	 has "c1  *skipped: condition false: if: \"\$a.out == 1\" is false (\"\$a.out\" == \"1\"; \$a.out: steps.a.outputs.out is not set)" &&
	 has "c2  *skipped: condition false: .*steps.first.outputs.x is not set" &&
	 has "c4  *skipped: condition not met: unless: \"\$a.out\" reads a step output that is not set"'
c test-workflow "$w/unset.yaml" --dry-run
check "the dry-run says so too when it knows the step is skipped" eval \
	'[ $rc -eq 0 ] && has "c1 .*skipped: condition false: .*steps.a.outputs.out is not set"'

# one meaning of "an earlier step failed": the steps this one waits for
cat > "$w/par.yaml" <<'WF'
name: par
steps:
  - {name: a, type: shell, parallel: true, config: {script: "exit 1"}}
  - {name: b, type: shell, parallel: true, config: {script: "true"}}
  - {name: c, type: shell, depends_on: [b], when: on_failure, config: {script: echo c-ran}}
  - {name: e, type: shell, depends_on: [b], when: on_success, config: {script: echo e-ran}}
WF
c run --local --parallel 1 "$w/par.yaml"  # one runner: a fails before b starts
check "skip reasons agree on which failure a step sees" eval \
	'[ $rc -ne 0 ] && hasnt c-ran && hasnt e-ran &&
	 has "c  *skipped: condition false: when: on_failure, and no earlier step failed (of those it waits for); step \"a\" failed, but this step does not wait for it" &&
	 has "e  *skipped: the run stopped after step \"a\" failed" &&
	 hasnt "an earlier step failed"'

# when, unless, if: the original's order; the first part that skips is named
cat > "$w/order.yaml" <<'WF'
name: order
steps: [{name: o, type: shell, if: "false", unless: "true", config: {script: echo o-ran}}]
WF
c run --local "$w/order.yaml"
check "conditions are checked when, unless, if: the skip names unless" eval \
	'[ $rc -eq 0 ] && hasnt o-ran && has "o  *skipped: condition false: unless: \"true\" is true"'

# a dry-run decides every part it can: a known false part skips the step
# even when another part reads what a dry-run does not know
cat > "$w/dry-mix.yaml" <<'WF'
name: dry-mix
variables: {M: "on"}
steps:
  - {name: ok1, type: shell, config: {script: "echo ok1"}}
  - {name: s3, type: shell, when: on_success, if: "$M == on", unless: "ok1.failed", config: {script: "true"}}
  - {name: s4, type: shell, if: "$M == off", unless: "ok1.failed", config: {script: "true"}}
  - {name: s6, type: shell, when: on_failure, if: "$M == off", config: {script: "true"}}
WF
c test-workflow "$w/dry-mix.yaml" --dry-run
check "dry-run: a known false part wins over a part it cannot know" eval \
	'[ $rc -eq 0 ] &&
	 has "s3 .*would-run if its condition holds; unless: \"ok1.failed\" reads the result of a step" &&
	 has "s4 .*skipped: condition false: if: \"\$M == off\" is false" &&
	 has "s6 .*skipped: condition false: if: \"\$M == off\" is false"'

# matches reads Go's RE2 syntax: what RE2 refuses is a load error
cat > "$H/re.yaml" <<'WF'
name: re
steps:
  - {name: r1, type: shell, if: "abc matches a(?=b)", config: {script: "true"}}
  - {name: r2, type: shell, if: 'aa matches (a)\1', config: {script: "true"}}
  - {name: r3, type: shell, if: "x matches (?R)?x", config: {script: "true"}}
  - {name: r4, type: shell, if: "x matches (*NO_START_OPT)x", config: {script: "true"}}
WF
c test-workflow "$H/re.yaml"
check "matches: lookaround, backreferences, recursion and verbs are load errors" eval \
	'[ $rc -eq 3 ] &&
	 has "re.yaml:3:33: error: step \"r1\": if: matches: pattern \"a(?=b)\" is not a Go regular expression: (?=: lookaround" &&
	 has "re.yaml:4:33: error: .*backreferences are not supported" &&
	 has "re.yaml:5:33: error: .*(?R: this group is not supported" &&
	 has "re.yaml:6:33: error: .*PCRE verbs"'
cat > "$w/re-var.yaml" <<'WF'
name: re-var
variables: {P: "(a)\\1"}
steps: [{name: r, type: shell, if: "aa matches $P", config: {script: echo r-ran}}]
WF
c run --local "$w/re-var.yaml"
check "matches: a pattern from a variable is checked at run, with the reason" eval \
	'[ $rc -ne 0 ] && hasnt r-ran &&
	 has "r  *failed: if: matches: pattern \"(a).1\" (from a value) is not a Go regular expression: .1: backreferences"'

# what is wrong with an expression is said; $1 is a warning
cat > "$H/msg.yaml" <<'WF'
name: msg
steps:
  - {name: a, type: shell, if: 1.5, config: {script: "true"}}
  - {name: b, type: shell, if: "a.contains(", config: {script: "true"}}
  - {name: c, type: shell, if: "$1 == a", config: {script: "true"}}
WF
c test-workflow "$H/msg.yaml"
check "messages say what is wrong: a number, an unclosed method, \$1" eval \
	'[ $rc -eq 3 ] &&
	 has "msg.yaml:3:32: error: step \"a\": if: \"1.5\" is a number, not a condition" &&
	 has "msg.yaml:4:32: error: step \"b\": if: cannot read \"a.contains(\": a method is written A.contains(B)" &&
	 has "msg.yaml:5:32: warning: step \"c\": if: \$1 is a positional parameter, which is never set here" &&
	 hasnt "is not a step status"'

# the same rules through the server
h_start "$H/prov" || { h_done; }
U=$(h_key cond-user user red)
srv_run() { # WORKFLOW [DRY]: runs cond/WORKFLOW on the server (DRY: true for a
             # dry-run), its execution into $H/exec.json once it is over
	id=$(api POST /api/workflows/run "$U" -d "{\"workflow\":\"cond/$1\",\"dry_run\":${2:-false}}" | jf id)
	i=0
	while [ $i -lt 300 ]; do
		s=$(h_status "$id" "$U")
		{ h_is_final "$s" || [ "$s" = would-run ]; } && break
		i=$((i + 1)); sleep 0.1
	done
	api GET "/api/workflows/$id" "$U" > "$H/exec.json"
}
exec_is() { # PYTHON: asserts on d (the execution) and st (step -> (status, message))
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
st = {s["name"]: (s["status"], s.get("message") or "") for s in d["steps"]}
exec(sys.argv[2])' "$H/exec.json" "$1"
}
srv_run fails
check "server: the cleanup ran after the failure and the execution failed" exec_is '
assert d["status"] == "failed", d
assert st["deploy"][0] == "failed", st
assert st["cleanup"][0] == "succeeded", st
assert st["notify"][0] == "succeeded", st
assert st["celebrate"][0] == "skipped", st
'
srv_run if-env
check "server: a skipped step says which condition was false" exec_is '
assert d["status"] == "succeeded", d
assert st["a"] == ("skipped", "skipped: condition false: if: \"$X == yes\" is false (\"no\" == \"yes\")"), st
assert st["b"][0] == "succeeded", st
'
srv_run unset
check "server: a condition on an output that is not set skips the step, naming it" exec_is '
assert d["status"] == "succeeded", d
assert st["c1"][0] == "skipped" and "$a.out: steps.a.outputs.out is not set" in st["c1"][1], st
assert st["c3"][0] == "succeeded", st
'
srv_run fails true
check "server: a dry-run says the cleanup runs only if an earlier step fails" exec_is '
assert d["status"] == "would-run", d
assert st["cleanup"] == ("would-run", "would-run only if an earlier step fails (when: on_failure); a dry-run cannot tell"), st
assert st["notify"][0] == "would-run" and "deploy.failed" in st["notify"][1], st
'
h_done
