#!/bin/sh
# compat_table.sh - keeps docs/compat.md true: every row of its tables (key,
# status, ours, probe) is probed by the kind its key starts with --
# routes against a real server, CLI commands through innominatus-ctl against
# it, file fields and step types through the loaders (test-workflow
# --dry-run, validate-provider, run --local --dry-run, list-providers).
# Rows whose probe is `manual` are TAP SKIP and counted.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
table="$src/docs/compat.md"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-compat-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$spid" ] && wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/fx/providers/probe/workflows" "$dir/fx/tf" "$dir/data"
chmod 755 "$dir/plugins"
for p in shell terraform ansible gitea-repo argocd-app; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
fx="$dir/fx"
# the fixtures the probes lean on: a provider of the resource type "thing",
# a trivial workflow and golden path, a terraform module and a playbook
cat >"$fx/providers/probe/provider.yaml" <<'EOF'
apiVersion: v1
kind: Provider
metadata: {name: probe, version: 1.0.0}
capabilities:
  resourceTypeCapabilities:
    - {type: thing, operations: {create: {workflow: make}}}
workflows:
  - {name: make, file: ./workflows/make.yaml}
EOF
cat >"$fx/providers/probe/workflows/make.yaml" <<'EOF'
name: make
parameters:
  - {name: size, type: string, default: s}
steps:
  - {name: make, type: shell, config: {script: "true"}}
EOF
printf 'name: wf\nsteps:\n  - {name: s, type: shell, config: {script: "echo hello"}}\n' >"$fx/wf.yaml"
cat >"$fx/tf/main.tf" <<'EOF'
variable "name" {
  type    = string
  default = "x"
}
resource "terraform_data" "probe" {
  input = var.name
}
output "id" {
  value = terraform_data.probe.id
}
EOF
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: {msg: probe}\n' >"$fx/play.yml"
printf 'goldenpaths:\n  probe:\n    workflow: ./wf.yaml\n    description: the probe golden path\n' >"$fx/goldenpaths.yaml"
printf 'apiVersion: score.dev/v1b1\nmetadata: {name: probe}\ncontainers: {web: {image: probe:1}}\n' >"$fx/spec.yaml"
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"

# the rows: key, status, ours, probe (tab-separated, backticks of the key
# and the probe cell taken off)
awk -F'|' '/^\| `/ {
	for (i = 2; i <= 5; i++) { gsub(/^ +| +$/, "", $i); if ($i == "") $i = "-" }
	k = $2; gsub(/`/, "", k)
	p = $5; sub(/^`/, "", p); sub(/`$/, "", p)
	printf "%s\t%s\t%s\t%s\n", k, $3, $4, p
}' "$table" >"$dir/rows"
total=$(wc -l <"$dir/rows")
# one row per key, four cells; the status words are the documented ones
bad=$(awk -F'\t' '
	seen[$1]++ { print "duplicate key " $1 }
	$2 != "supported" && $2 != "mapped" && $2 != "not supported" { print $1 ": status \"" $2 "\"" }
	NF != 4 { print $1 ": " NF " cells, not 4" }' "$dir/rows")
if [ -n "$bad" ]; then
	echo "1..1"
	echo "not ok 1 - docs/compat.md rows are well-formed"
	printf '%s\n' "$bad" | sed 's/^/#   /'
	exit 1
fi
if [ "$total" -lt 100 ]; then
	echo "1..1"
	echo "not ok 1 - docs/compat.md has $total rows (the tables were not found)"
	exit 1
fi

# the server the route and CLI rows talk to
server_conf "$dir/srv.yaml" "$dir"
cat >>"$dir/srv.yaml" <<CONF
  goldenpaths: $fx/goldenpaths.yaml
providers:
  - {name: probe, type: filesystem, path: $fx/providers/probe}
CONF
key=$("$build/innominatus" --config "$dir/srv.yaml" --create-admin-key ops)
start_server "$dir/srv.yaml"
# execution 1 and application "probe", so {id} and {name} routes find them
INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" run probe "$fx/spec.yaml" \
	</dev/null >"$dir/seed.out" 2>&1 || sed 's/^/# seed run: /' "$dir/seed.out"

# route_code METHOD PATH: the HTTP status, the body in $dir/body
route_code() {
	p=$(printf '%s' "$2" | sed 's/{id}/1/g; s/{[a-z]*}/probe/g')
	set -- "$1" "$url$p"
	case $1 in
	GET) curl -s --max-time 3 -o "$dir/body" -w '%{http_code}' \
		-H "Authorization: Bearer $key" "$2" ;;
	*) curl -s --max-time 3 -o "$dir/body" -w '%{http_code}' -X "$1" \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		--data '{}' "$2" ;;
	esac
}

# absent CODE: the route is not served (404 or 405 with our JSON error)
absent() {
	case $1 in 404|405) grep -q '"error"' "$dir/body" ;; *) return 1 ;; esac
}

# present CODE: the server answered and the route exists (a 404 for an
# object the route does not find is an answer of the route)
present() {
	case $1 in
	000|405) return 1 ;;
	404) ! grep -q '"message":"no route ' "$dir/body" ;;
	*) return 0 ;;
	esac
}

# probe_route STATUS KEY OURS
probe_route() {
	mp=${2#route:}
	code=$(route_code "${mp%% *}" "${mp#* }")
	echo "$mp -> $code $(head -c 200 "$dir/body")" >"$dir/out"
	case $1 in
	supported) present "$code" ;;
	"not supported") absent "$code" ;;
	mapped)
		to=$(printf '%s' "$3" | sed -n 's/^[^`]*`\([A-Z]* \/[^`]*\)`.*/\1/p')
		[ -n "$to" ] || { echo "no target route in: $3" >>"$dir/out"; return 1; }
		absent "$code" || return 1
		code=$(route_code "${to%% *}" "${to#* }")
		echo "$to -> $code" >>"$dir/out"
		present "$code" ;;
	*) return 1 ;;
	esac
}

# probe_cli STATUS KEY WORDS
probe_cli() {
	leaf=${2#cli:}
	# shellcheck disable=SC2086
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" $3 </dev/null >"$dir/out" 2>&1
	rc=$?
	echo "# exit $rc" >>"$dir/out"
	case $1 in
	"not supported") [ $rc -eq 2 ] && grep -qF -- "$leaf" "$dir/out" ;;
	*) [ $rc -ne 2 ] ;;
	esac
}

# probe_file STATUS KEY PROBE: the row's file through its loader, in $fx
probe_file() {
	kind=${2%%:*}
	leaf=${2#*:}
	leaf=${leaf##*.}
	rm -rf "$fx/pv"
	case $kind in
	step-field|step-type)
		printf 'name: probe\nsteps:\n  - {name: s, %s}\n' "$3" >"$fx/t.yaml"
		set -- "$1" "$2" test-workflow t.yaml --dry-run ;;
	param-type|param-field)
		printf 'name: probe\nparameters:\n  - {name: p, %s}\nsteps:\n  - {name: s, type: shell, config: {script: "true"}}\n' \
			"$3" >"$fx/t.yaml"
		set -- "$1" "$2" test-workflow t.yaml --dry-run ;;
	workflow)
		printf '%s\n' "$3" >"$fx/t.yaml"
		set -- "$1" "$2" test-workflow t.yaml --dry-run ;;
	provider)
		mkdir -p "$fx/pv/workflows"
		cp "$fx/providers/probe/workflows/make.yaml" "$fx/pv/workflows/"
		printf '%s\n' "$3" >"$fx/pv/provider.yaml"
		set -- "$1" "$2" validate-provider pv ;;
	goldenpath)
		printf '%s\n' "$3" >"$fx/t.yaml"
		set -- "$1" "$2" --goldenpaths t.yaml run --local gp --dry-run ;;
	score)
		printf '%s\n' "$3" >"$fx/t.yaml"
		set -- "$1" "$2" --providers providers run --local wf.yaml t.yaml --dry-run ;;
	admin)
		printf '%s\n' "$3" >"$fx/t.yaml"
		set -- "$1" "$2" --config t.yaml list-providers ;;
	*) echo "no probe for the kind \"$kind\"" >"$dir/out"; return 1 ;;
	esac
	status=$1
	shift 2
	(cd "$fx" && TF_CLI_CONFIG_FILE=/dev/null INNOMINATUS_STATE_DIR="$dir/state" \
		"$ctl" --plugin-dir "$dir/plugins" "$@" </dev/null >"$dir/out" 2>&1)
	rc=$?
	echo "# exit $rc" >>"$dir/out"
	quoted=0
	# the name quoted ("namespace") or as a field path (namespace: / .namespace:)
	grep -E 'warning|error' "$dir/out" | grep -qE -- "\"$leaf\"|[ .]$leaf: " && quoted=1
	case $kind:$status in
	admin:"not supported") [ $rc -eq 0 ] ;;
	*:supported) [ $rc -eq 0 ] && [ $quoted -eq 0 ] ;;
	*:mapped) [ $rc -eq 0 ] && ! grep -qF "unknown key \"$leaf\"" "$dir/out" ;;
	*:"not supported") [ $quoted -eq 1 ] ;;
	*) return 1 ;;
	esac
}

echo "1..$total"
manual=0
probed=0
tab=$(printf '\t')
while IFS=$tab read -r k status ours probe; do
	if [ "$probe" = manual ]; then
		manual=$((manual + 1))
		n=$((n + 1))
		echo "ok $n - $k ($status) # SKIP manual: no generic probe"
		continue
	fi
	case $k in
	route:*) probe_route "$status" "$k" "$ours" ;;
	cli:*) probe_cli "$status" "$k" "$probe" ;;
	*) probe_file "$status" "$k" "$probe" ;;
	esac
	rc=$?
	probed=$((probed + 1))
	check "$k: $status" $rc
done <"$dir/rows"
echo "# $total rows: $probed probed, $manual manual (not automated)"
exit $fail
