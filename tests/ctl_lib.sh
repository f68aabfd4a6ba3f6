# ctl_lib.sh - what the shell tests of innominatus-ctl (tests/ctl_*.sh,
# tests/e2e_tf_ansible.sh) share: TAP lines and the demo app's Score spec.
#
#   . "$INN_TOP_SRCDIR/tests/ctl_lib.sh"
#   check DESC STATUS [BRANCH]
#                          one TAP line: ok when STATUS is 0; on failure
#                          the file $CHECK_SHOW (if set) is shown as comments.
#                          BRANCH: a branch still to merge delivers it -- the
#                          line is a TAP TODO and does not fail the script
#   cart_spec FILE         the demo app "cart": a sqlite db and an s3 bucket
#   server_conf, start_server  a test server's config and its start (below)
#   exit $fail             at the end: 1 when any check failed
n=0
fail=0
CHECK_SHOW=${CHECK_SHOW:-}

check() {
	n=$((n + 1))
	todo=${3:+ # TODO pending $3}
	if [ "$2" = 0 ]; then
		echo "ok $n - $1$todo"
	else
		echo "not ok $n - $1$todo"
		[ -z "$todo" ] && fail=1
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

# start_server CONFIG: the server (the build's) on CONFIG in the background,
# its stderr in CONFIG.log; sets spid and url once /ready answers
start_server() {
	"${INN_TOP_BUILDDIR:?}/innominatus" --config "$1" 2>"$1.log" &
	spid=$!
	url=""
	i=0
	while [ $i -lt 200 ]; do
		url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$1.log")
		[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && break
		i=$((i + 1)); sleep 0.05
	done
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
