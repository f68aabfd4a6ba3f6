# plugin_lib.sh - what the shell tests of the service plugins
# (tests/gitea_repo.sh, tests/argocd_app.sh) share.  Source it after
# setting INN_CTL, INN_TOP_SRCDIR and INN_TOP_BUILDDIR; it sources
# tests/ctl_lib.sh (check, server_conf, start_server).
#
#   pt_setup TAG PLUGIN...   a fresh $dir (removed at exit, with every pid in
#                            $pids and the server), $dir/plugins holding the
#                            built PLUGINs; sets $ctl $src $bld $compat
#   c ARGS...                innominatus-ctl with those plugins and
#                            $dir/admin.yaml (the test writes it)
#   pt_dead_port             a loopback port nothing listens on
#   pt_server PROVIDER WF    starts the build's server on $dir/srv with
#                            $dir/admin.yaml's policy, secrets and step
#                            defaults and one provider PROVIDER whose one
#                            workflow is the file WF (named after it); sets
#                            $url and $key (an admin key); 1 if it did not
#                            start (its log is then shown)
#   pt_server_stop           stops it
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
bld=${INN_TOP_BUILDDIR:?}
compat=${INN_COMPAT_DIR:-$src/../shared/compat}
pids=""
spid=""
. "$src/tests/ctl_lib.sh"

pt_cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$dir"
}

pt_setup() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-$1-XXXXXX")
	shift
	trap pt_cleanup EXIT
	mkdir "$dir/plugins"
	chmod 755 "$dir" "$dir/plugins"
	for p in "$@"; do
		install -m 755 "$bld/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
	done
}

c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }

pt_dead_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pt_server() {
	server_conf "$dir/srv.yaml" "$dir/srv"
	mkdir -p "$dir/srv/data" "$dir/p/$1/workflows"
	chmod 700 "$dir/srv" "$dir/srv/data"
	cp -r "$dir/plugins" "$dir/srv/plugins"
	printf 'name: %s\nversion: 1.0.0\nworkflows_dir: workflows\n' "$1" > "$dir/p/$1/provider.yaml"
	cp "$2" "$dir/p/$1/workflows/"
	sed -n '/^workflowPolicies:/,$p' "$dir/admin.yaml" >> "$dir/srv.yaml"
	printf 'providers:\n  - {name: %s, type: filesystem, path: %s}\n' "$1" "$dir/p/$1" >> "$dir/srv.yaml"
	key=$("$bld/innominatus" --config "$dir/srv.yaml" --create-admin-key ops 2>>"$dir/server.log")
	start_server "$dir/srv.yaml" "$dir/server.log" && return 0
	sed 's/^/# /' "$dir/server.log"
	return 1
}

pt_server_stop() {
	kill "$spid"
	wait "$spid" 2>/dev/null
	spid=""
}
