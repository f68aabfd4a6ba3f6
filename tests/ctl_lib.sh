# ctl_lib.sh - what the shell tests of innominatus-ctl (tests/ctl_*.sh,
# tests/e2e_tf_ansible.sh) share: TAP lines and the demo app's Score spec.
#
#   . "$INN_TOP_SRCDIR/tests/ctl_lib.sh"
#   check DESC STATUS      one TAP line: ok when STATUS is 0; on failure
#                          the file $CHECK_SHOW (if set) is shown as comments
#   cart_spec FILE         the demo app "cart": a sqlite db and an s3 bucket
#   server_conf FILE DIR   a test server's config (below)
#   start_server CONF [LOG [ARG...]]
#                          starts the build's innominatus with CONF (and
#                          ARGs) in the background (pid in $spid, stderr in
#                          LOG (default CONF.log), emptied first), waits
#                          until /ready answers; sets $url; 1 if it did not
#   exit $fail             at the end: 1 when any check failed
n=0
fail=0
CHECK_SHOW=${CHECK_SHOW:-}

check() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		fail=1
		if [ -n "$CHECK_SHOW" ]; then sed 's/^/# /' "$CHECK_SHOW"; fi
	fi
}

# server_conf FILE DIR: a server config's server: block -- any port on the
# loopback, its store, plugins (DIR/plugins) and state under DIR; append
# more server: keys indented, then the config's other sections
server_conf() {
	cat >"$1" <<CONF
server:
  listen: 127.0.0.1:0
  db: $2/data/inn.db
  pluginDir: $2/plugins
  stateDir: $2/data/state
CONF
}

cart_spec() {
	cat > "$1" <<SPEC
apiVersion: score.dev/v1b1
metadata: {name: cart}
containers: {web: {image: cart:1}}
resources:
  db: {type: sqlite, params: {database: cart}}
  assets: {type: s3, params: {bucket: cart-assets}}
SPEC
}

start_server() {
	conf=$1 log=${2:-$1.log}
	shift; [ $# -gt 0 ] && shift
	: >"$log"
	"${INN_TOP_BUILDDIR:?}/innominatus" --config "$conf" "$@" 2>"$log" &
	spid=$!
	url=""
	i=0
	while [ $i -lt 200 ]; do
		url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log")
		[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && return 0
		i=$((i + 1)); sleep 0.05
	done
	return 1
}
