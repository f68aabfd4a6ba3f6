#!/bin/sh
# compat_params.sh - the original innominatus's parameter rules, replayed
# through `innominatus-ctl run --local` and a real server's API (findings
# C1, C4, C5, C7 of the compatibility review): a provider's create workflow
# gets the engine's standard inputs (app_name, resource_name, resource_type,
# bucket_name, namespace), patterns are Go RE2 syntax (\d, (?i), refused
# backreferences, a catastrophic pattern bounded), durations take days and
# weeks, golden-path parameters are declarations of the golden path's
# workflow (defaults, types, bounds, patterns reach the run).  When
# ../shared/compat is there, its example goldenpaths.yaml loads too.
. "${INN_TOP_SRCDIR:?}/tests/hostile/lib.sh"
h_init params
ctl="$build/innominatus-ctl"
w="$H/work"
mkdir -p "$w/p/workflows" "$w/gp"
cd "$w" || exit 1

ctlrun() { # ARGS...: stdout+stderr to $H/out, exit status to $H/rc
	"$ctl" --plugin-dir "$H/plugins" --config "$H/admin.yaml" "$@" > "$H/out" 2>&1
	echo $? > "$H/rc"
}
has() { grep -qF -- "$1" "$H/out"; }
rc_is() { [ "$(cat "$H/rc")" = "$1" ]; }
printf 'workflowPolicies:\n  allowedStepTypes: [shell]\n' > "$H/admin.yaml"

# --- fixtures: C1's provider (one create workflow declares the standard
# inputs, the other reads them undeclared), a Score spec, C7's golden paths
cat > p/provider.yaml <<'EOF'
apiVersion: v1
kind: Provider
metadata: {name: p, version: 1.0.0}
capabilities:
  resourceTypeCapabilities:
    - {type: thing, operations: {create: {workflow: make-thing}}}
    - {type: other, operations: {create: {workflow: make-other}}}
workflows:
  - {name: make-thing, file: ./workflows/make-thing.yaml, operation: create}
  - {name: make-other, file: ./workflows/make-other.yaml, operation: create}
EOF
cat > p/workflows/make-thing.yaml <<'EOF'
name: make-thing
parameters:
  - {name: app_name, type: string, required: true}
  - {name: resource_name, type: string, required: true}
steps:
  - {name: make, type: shell, config: {script: 'echo "{{ .parameters.resource_name }} for {{ .parameters.app_name }}"'}}
EOF
cat > p/workflows/make-other.yaml <<'EOF'
name: make-other
steps:
  - name: make
    type: shell
    config:
      script: 'echo "bucket={{ .parameters.bucket_name }} ns={{ .parameters.namespace }} type={{ .parameters.resource_type }}"'
EOF
cat > spec.yaml <<'EOF'
apiVersion: score.dev/v1b1
metadata: {name: shop}
containers: {web: {image: nginx}}
resources: {db: {type: thing}, files: {type: other}}
EOF
printf 'name: noop\nsteps:\n  - {name: n, type: shell, config: {script: "true"}}\n' > noop.yaml
cat > gp/goldenpaths.yaml <<'EOF'
goldenpaths:
  hello:
    workflow: ./hello.yaml
    parameters:
      who: {type: string, default: world}
      times: {type: int, default: "2", min: 1, max: 3}
      ttl: {type: duration, default: 7d, pattern: '^\d+[dw]$'}
  noop: {workflow: ./noop.yaml}
  older:
    workflow: ./hello.yaml
    required_params: [who]
    optional_params: {times: "1", ttl: 2w}
  typed:
    workflow: ./typed.yaml
    parameters:
      extra: {type: string, default: hi}
      pw: {type: secret, default: abcdef}
  legacy-typed:
    workflow: ./typed.yaml
    required_params: [i]
    optional_params: {extra: x}
EOF
cat > gp/typed.yaml <<'EOF'
name: typed
parameters:
  - {name: d, type: duration, default: 1m}
  - {name: b, type: boolean, default: "off"}
  - {name: i, type: integer, default: 1}
steps:
  - name: guarded
    type: shell
    if: "{{ .parameters.b }}"
    config: {script: 'echo GUARDED'}
  - name: show
    type: shell
    config: {script: 'echo "d={{ .parameters.d }} b={{ .parameters.b }} i={{ .parameters.i }} extra={{ .parameters.extra }}"'}
EOF
cp noop.yaml gp/noop.yaml
cat > gp/hello.yaml <<'EOF'
name: hello
steps:
  - name: greet
    type: shell
    config: {script: 'echo "hello {{ .parameters.who }} x{{ .parameters.times }} ttl={{ .parameters.ttl }}"'}
EOF
cat > pattern.yaml <<'EOF'
name: pattern
parameters:
  - {name: ttl, type: string, pattern: '^\d+[hmd]$', default: "2h"}
  - {name: env, type: string, pattern: '(?i)^prod$', default: PROD}
steps:
  - {name: show, type: shell, config: {script: 'echo "ttl=${parameters.ttl} env=${parameters.env}"'}}
EOF

# --- C1: run --local gives a resource's create workflow the standard inputs
ctlrun run --local noop.yaml spec.yaml --providers p
check "C1 run --local: declared standard inputs reach the create workflow" has "db for shop"
check "C1 run --local: undeclared ones are readable, bucket_name <app>-<resource>, namespace <app>-default" \
	has "bucket=shop-files ns=shop-default type=other"
check "C1 run --local: the run succeeds" rc_is 0
ctlrun run --local p/make-other --providers p
check "C1: a direct run of that workflow is told to give them (exit 3)" \
	sh -c "grep -qF 'parameter \"resource_type\": is required (a standard input' '$H/out' && [ \$(cat '$H/rc') = 3 ]"
ctlrun test-workflow "$w/p/workflows/make-other.yaml"
check "C1: the file alone still names each undeclared reference with file:line:col" \
	has "$w/p/workflows/make-other.yaml:6:15: error: step \"make\": config.script: references parameters.bucket_name, which is not declared in parameters"
printf 'name: gp-reads\nsteps:\n  - {name: s, type: shell, config: {script: "echo {{ .parameters.app_name }}"}}\n' > gp/reads.yaml
ctlrun test-workflow "$w/gp/reads.yaml"
check "C1: a workflow outside a provider may not read app_name undeclared" \
	sh -c "grep -qF 'references parameters.app_name, which is not declared' '$H/out' && [ \$(cat '$H/rc') = 3 ]"

# --- C4: Go RE2 patterns --------------------------------------------------
ctlrun run --local pattern.yaml --param ttl=12h
check "C4: ^\\d+[hmd]\$ takes 12h (\\d is a digit), (?i) takes PROD" has "ttl=12h env=PROD"
ctlrun run --local pattern.yaml --param ttl=dh
check "C4: ... and refuses dh" \
	sh -c "grep -qF 'parameter \"ttl\": \"dh\" does not match the pattern ^\\d+[hmd]\$' '$H/out' && [ \$(cat '$H/rc') = 3 ]"
ctlrun run --local pattern.yaml --param env=staging-prod
check "C4: the search is unanchored like Go's MatchString, anchors count" has 'does not match the pattern (?i)^prod$'
printf 'name: br\nparameters:\n  - {name: v, pattern: "(a)\\\\1"}\nsteps:\n  - {name: s, type: shell, config: {script: "echo ${parameters.v}"}}\n' > br.yaml
ctlrun test-workflow "$w/br.yaml"
check "C4: a backreference (RE2 has none) is refused at load with file:line:col" \
	sh -c "grep -qF '$w/br.yaml:3:24: error: parameters[0].pattern: not a valid regular expression (Go RE2 syntax): \\1: backreferences are not supported' '$H/out' && [ \$(cat '$H/rc') = 3 ]"
check "C4: ... and only that: no cascade of 'not declared' at its references" \
	sh -c "! grep -q 'not declared' '$H/out'"
printf 'name: cat\nparameters:\n  - {name: v, pattern: "^(\\\\w+\\\\s?)*$"}\nsteps:\n  - {name: s, type: shell, config: {script: "true"}}\n' > cat.yaml
long=$(python3 -c 'print("a" * 5000 + "!")')
ctlrun run --local cat.yaml --param "v=$long"
check "C4: a catastrophic pattern is bounded: an error naming the parameter" \
	sh -c "grep -qF 'parameter \"v\": \"aaaa' '$H/out' && grep -qF 'matching its pattern gave up' '$H/out' && [ \$(cat '$H/rc') = 3 ]"

# --- C5: durations in days and weeks ----------------------------------------
printf 'name: d\nparameters:\n  - {name: ttl, type: duration, default: "7d"}\nsteps:\n  - {name: s, type: shell, config: {script: "echo ttl=${parameters.ttl}"}}\n' > d.yaml
ctlrun run --local d.yaml
check "C5: a duration default of 7d loads and runs" has "ttl=7d"
ctlrun run --local d.yaml --param ttl=1w
check "C5: 1w is a duration" has "ttl=1w"
ctlrun run --local d.yaml --param ttl=1h30m
check "C5: 1h30m still is" has "ttl=1h30m"
ctlrun run --local d.yaml --param ttl=1d12h
check "C5: 1d12h is not (the original refused it too)" has '"1d12h" is not a duration'

# --- C7: golden-path parameters reach the run ------------------------------
ctlrun run --local hello --goldenpaths gp/goldenpaths.yaml
check "C7 run --local: the golden path's defaults reach the workflow" has "hello world x2 ttl=7d"
ctlrun run --local hello --goldenpaths gp/goldenpaths.yaml --param who=you --param times=3
check "C7 run --local: a given value wins" has "hello you x3 ttl=7d"
ctlrun run --local hello --goldenpaths gp/goldenpaths.yaml --param times=4
check "C7 run --local: the golden path's max is enforced" has 'parameter "times": "4" is more than the maximum 3'
ctlrun run --local hello --goldenpaths gp/goldenpaths.yaml --param nosuch=1
check "C7 run --local: a name declared nowhere is refused" has 'workflow "hello" has no parameter "nosuch"'
ctlrun run --local older --goldenpaths gp/goldenpaths.yaml
check "C7: the older form's required_params are required" has 'parameter "who": is required'
ctlrun run --local older --goldenpaths gp/goldenpaths.yaml --param who=old
check "C7: ... and its optional_params are defaults" has "hello old x1 ttl=2w"

# --- the attack on the golden-path join and the conversions ----------------
ctlrun list-goldenpaths --goldenpaths gp/goldenpaths.yaml
check "a golden path adding a parameter to a workflow with 3 of its own loads (it crashed)" \
	sh -c "[ \$(cat '$H/rc') = 0 ] && grep -q '^typed ' '$H/out'"
ctlrun -o json list-goldenpaths --goldenpaths gp/goldenpaths.yaml
check "list-goldenpaths -o json: a secret's default is ***" \
	sh -c "grep -qF '\"***\"' '$H/out' && ! grep -q abcdef '$H/out'"
ctlrun run --local typed --goldenpaths gp/goldenpaths.yaml
check "a boolean default \"off\" is false: the guarded step is skipped" \
	sh -c "grep -qF 'd=1m b=false i=1 extra=hi' '$H/out' && ! grep -q GUARDED '$H/out'"
ctlrun run --local typed --goldenpaths gp/goldenpaths.yaml --param d=90 --param b=1
check "--param d=90 (seconds) and b=1 are taken" has "d=90 b=true"
ctlrun run --local typed --goldenpaths gp/goldenpaths.yaml --param "i= 5"
check "--param i=' 5' is not an integer (as through the API)" has 'parameter "i": " 5" is not an integer'
ctlrun run --local legacy-typed --goldenpaths gp/goldenpaths.yaml --param i=x
check "required_params keeps the workflow's type of i" has 'parameter "i": "x" is not an integer'
printf 'name: s\nparameters:\n  - {name: pw, type: secret}\nsteps:\n  - {name: s, type: shell, config: {script: "true"}}\n' > sec.yaml
ctlrun -o json run --local sec.yaml --param pw=ab
check "run -o json: a 2-byte secret parameter is ***" \
	sh -c "grep -qF '\"pw\":\"***\"' '$H/out' && ! grep -qF '\"pw\":\"ab\"' '$H/out'"
python3 -c 'print("goldenpaths:\n  big:\n    workflow: ./hello.yaml\n    parameters:\n      times: {type: int}\n      ttl: {type: duration}\n      who: {type: string, default: \"" + "x" * 130000 + "\"}")' > gp/big.yaml
ctlrun list-goldenpaths --goldenpaths gp/big.yaml
check "a golden-path default over the value limit is refused at load with file:line:col" \
	has "gp/big.yaml:7:36: error: goldenpaths.big.parameters.who.default: a value is 130000 bytes, more than the limit of 126976 bytes"
check "... once: no 'not declared' cascade, no 130 KB echo" \
	sh -c "! grep -q 'not declared' '$H/out' && [ \$(wc -c < '$H/out') -lt 2000 ]"
printf 'name: pat\nparameters:\n  - {name: v, pattern: "^(?:a|b)+$"}\nsteps:\n  - {name: s, type: shell, config: {script: "echo ok"}}\n' > pat.yaml
ctlrun run --local pat.yaml --param "v=$(python3 -c 'print("a" * 9000)')"
check "a linear pattern decides a 9000-byte value" rc_is 0

# --- the same through the server's API -------------------------------------
H_SERVER_YAML="  goldenpaths: $w/gp/goldenpaths.yaml"
h_start "$w/p" || exit 1
id=$(api POST /api/golden-paths/hello/run "$ADMIN" -d '{"parameters": {"who": "api"}}' | jf id)
h_wait_final "$id" "$ADMIN"
api GET "/api/workflows/$id/logs?after=0" "$ADMIN" > "$H/out"
check "C7 server: the golden path's defaults and the given value reach the run" has "hello api x2 ttl=7d"
check_api "C7 server: a value against the golden path's pattern is a 400" 400 \
	POST /api/golden-paths/hello/run "$ADMIN" -d '{"parameters": {"ttl": "2h"}}'
check "C7 server: ... naming the parameter" grep -qF 'parameter \"ttl\": \"2h\" does not match' "$H/body"
api GET /api/golden-paths "$ADMIN" > "$H/out"
check "server: GET /api/golden-paths shows a secret default as ***" \
	sh -c "grep -qF '\"***\"' '$H/out' && ! grep -q abcdef '$H/out'"
id=$(api POST /api/golden-paths/typed/run "$ADMIN" -d '{"parameters": {"d": 90, "b": 1}}' | jf id)
h_wait_final "$id" "$ADMIN"
api GET "/api/workflows/$id/logs?after=0" "$ADMIN" > "$H/out"
check "server: JSON 90 for a duration and 1 for a boolean are taken, as --param's" has "d=90 b=true"
check_api "server: \" 5\" for an integer is a 400, as with --param" 400 \
	POST /api/golden-paths/typed/run "$ADMIN" -d '{"parameters": {"i": " 5"}}'
spec=$(python3 -c 'import json; print(json.dumps({"spec": open("spec.yaml").read()}))')
id=$(api POST /api/golden-paths/noop/run "$ADMIN" -d "$spec" | jf id)
h_wait_final "$id" "$ADMIN"
check "C1 server: the run with the provider's create workflows succeeds" \
	[ "$(h_status "$id" "$ADMIN")" = succeeded ]
api GET "/api/workflows/$id/logs?after=0" "$ADMIN" > "$H/out"
check "C1 server: declared standard inputs reach the create workflow" has "db for shop"
check "C1 server: undeclared ones are readable" has "bucket=shop-files ns=shop-default type=other"
h_stop

# --- the original's example golden paths -----------------------------------
compat=${INN_COMPAT_DIR:-$src/../shared/compat}
if [ -f "$compat/examples/goldenpaths.yaml" ]; then
	ctlrun list-goldenpaths --goldenpaths "$compat/examples/goldenpaths.yaml"
	check "the original's goldenpaths.yaml: no parameter declaration is refused (patterns, 7d, min/max)" \
		sh -c "! grep -q 'parameters\\.' '$H/out'"
else
	echo "ok $((h_n + 1)) # SKIP ../shared/compat is absent"
	h_n=$((h_n + 1))
fi
h_done
