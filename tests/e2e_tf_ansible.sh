#!/bin/sh
# e2e_tf_ansible.sh - a provider workflow for a Score spec's resource that
# applies real terraform, hands its outputs (one of them sensitive) to a
# real ansible playbook, and destroys everything again -- with the secret in
# no log line.  Skipped when terraform or ansible-playbook is missing.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
for t in terraform ansible-playbook; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-e2e-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/plugins"
chmod 755 "$dir" "$dir/plugins"
for p in terraform ansible shell; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
printf 'workflowPolicies:\n  allowedStepTypes: [terraform, ansible, shell]\n' > "$dir/admin.yaml"
cat > "$dir/spec.yaml" <<SPEC
apiVersion: score.dev/v1b1
metadata: {name: shop}
containers: {web: {image: shop:1}}
resources:
  web: {type: webapp-infra, params: {name: shop-web, config_path: "$dir/app.conf"}}
SPEC
cat > "$dir/main.yaml" <<'WF'
name: deploy
steps:
  - name: announce
    type: shell
    config:
      script: echo "url=${resources.web.endpoint}" >> "$INNOMINATUS_OUTPUT"
outputs:
  url: "${steps.announce.outputs.url}"
WF
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..5"
TF_CLI_CONFIG_FILE=/dev/null INNOMINATUS_STATE_DIR="$dir/state" "$ctl" --plugin-dir "$dir/plugins" \
	--config "$dir/admin.yaml" --providers "$src/tests/data/e2e" \
	run --local "$dir/main.yaml" "$dir/spec.yaml" >"$dir/out" 2>&1
rc=$?
tail -8 "$dir/out" | sed 's/^/# /'
[ $rc -eq 0 ]; check "the resource's workflow applies, configures and destroys (exit 0)" $?
grep -q '^endpoint=https://shop-web.internal:8443$' "$dir/app.conf" 2>/dev/null &&
	pw=$(sed -n 's/^password=//p' "$dir/app.conf") && [ -n "$pw" ]
check "ansible wrote terraform's outputs, the sensitive one included" $?
[ -n "${pw:-}" ] && ! grep -qF "$pw" "$dir/out"
check "the sensitive output appears in no log line" $?
st=$(find "$dir/state" -name terraform.tfstate | head -1)
[ -n "$st" ] && python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s.get("resources", []) == [], s["resources"]' "$st"
check "after destroy the state holds no resources" $?
grep -q '^  url: https://shop-web.internal:8443$' "$dir/out"
check "the app's workflow sees the resource's outputs" $?
exit $fail
