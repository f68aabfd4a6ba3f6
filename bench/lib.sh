# lib.sh - what the server benchmarks (bench/hostile.sh, bench/streams.sh)
# share: the tools they need, a private work folder removed on exit with
# the processes they started ($spid: the server, $lpid: a load client), and
# a plugin folder holding shell.so; and a server started on them.
#
#   bench_init NAME        needs $build; sets $srv and $work
#   bench_start FIX [YAML] a server on a fresh store in $work serving the
#                          providers of FIX/providers (YAML: more server:
#                          lines); sets $key (an admin key), $spid and $url
#   bench_nginx PORT ROOT HTTP SERVER
#                          nginx (2 workers, no access log) on 127.0.0.1:PORT
#                          serving the folder ROOT, with more lines in its
#                          http block (HTTP) and server block (SERVER); its
#                          pid in $work/nginx.pid (the caller stops it)
bench_init() {
	bench_name=$1
	srv="$build/innominatus"
	for t in wrk python3 curl; do
		command -v $t >/dev/null || { echo "$1.sh: $t is needed (apt-get install wrk)" >&2; exit 1; }
	done
	[ -x "$srv" ] || { echo "$1.sh: build first ($srv missing)" >&2; exit 1; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/inn-$1bench-XXXXXX")
	chmod 755 "$work"
	trap bench_cleanup EXIT
	mkdir -p "$work/plugins" "$work/state"
	chmod 755 "$work/plugins"
	install -m 755 "$build/plugins/shell/.libs/shell.so" "$work/plugins/shell.so"
}

bench_cleanup() {
	[ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	sleep 0.2
	rm -rf "$work"
}

bench_start() {
	{
		echo "server:"
		echo "  listen: 127.0.0.1:0"
		echo "  db: $work/inn.db"
		echo "  pluginDir: $work/plugins"
		echo "  stateDir: $work/state"
		if [ -n "${2:-}" ]; then printf '%s\n' "$2"; fi
		echo "workflowPolicies:"
		echo "  allowedStepTypes: [shell]"
	} > "$work/conf.yaml"
	key=$("$srv" --config "$work/conf.yaml" --create-admin-key bench)
	"$srv" --config "$work/conf.yaml" --providers "$1/providers" 2>"$work/server.log" &
	spid=$!
	url=""
	i=0
	while [ $i -lt 200 ] && [ -z "$url" ]; do
		url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/server.log" | tail -1)
		i=$((i + 1)); sleep 0.05
	done
	[ -n "$url" ] || { echo "$bench_name.sh: the server did not start" >&2; exit 1; }
}

bench_nginx() {
	cat > "$work/nginx.conf" <<NGX
user root;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; keepalive_requests 100000;
  $3
  client_body_temp_path $work/ngx; proxy_temp_path $work/ngx; fastcgi_temp_path $work/ngx;
  uwsgi_temp_path $work/ngx; scgi_temp_path $work/ngx;
  server {
    listen 127.0.0.1:$1; root $2;
    $4
  }
}
NGX
	mkdir -p "$work/ngx"
	nginx -c "$work/nginx.conf"
	sleep 0.3
}
