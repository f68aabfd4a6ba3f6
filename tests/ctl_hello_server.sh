# ctl_hello_server.sh - sourced by the ctl tests that need a real server
# with something small to run (tests/ctl_completion.sh,
# tests/ctl_findings.sh, tests/ctl_admin_keys.sh), after tests/ctl_lib.sh:
#   hello_server DIR   the build's server on a free loopback port with the
#                      shell plugin, the repository's golden paths and a
#                      provider hello-team (workflow greet: echo hi), state
#                      under DIR; sets $key (an admin key), $url, $spid
#                      (kill it at the end); 1 when it did not start
hello_server() {
	mkdir -p "$1/plugins" "$1/etc" "$1/data" "$1/hello/workflows"
	chmod 755 "$1" "$1/plugins"
	install -m 755 "${INN_SHELL_SO:?}" "$1/plugins/shell.so"
	printf 'name: hello-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$1/hello/provider.yaml"
	printf 'name: greet\nsteps:\n  - {name: hi, type: shell, config: {script: "echo hi"}}\n' \
		>"$1/hello/workflows/greet.yaml"
	server_conf "$1/etc/innominatus.yaml" "$1"
	cat >>"$1/etc/innominatus.yaml" <<CONF
  goldenpaths: ${INN_TOP_SRCDIR:?}/workflows/goldenpaths.yaml
providers:
  - {name: hello-team, type: filesystem, path: $1/hello}
workflowPolicies:
  allowedStepTypes: [shell]
CONF
	key=$("${INN_TOP_BUILDDIR:?}/innominatus" --config "$1/etc/innominatus.yaml" \
		--create-admin-key ops) || return 1
	start_server "$1/etc/innominatus.yaml" "$1/server.log" ||
		{ sed 's/^/# /' "$1/server.log"; return 1; }
}
