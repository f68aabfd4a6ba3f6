# ctl_lib.sh - what the shell tests of innominatus-ctl (tests/ctl_*.sh,
# tests/e2e_tf_ansible.sh) share: TAP lines and the demo app's Score spec.
#
#   . "$INN_TOP_SRCDIR/tests/ctl_lib.sh"
#   check DESC STATUS      one TAP line: ok when STATUS is 0; on failure
#                          the file $CHECK_SHOW (if set) is shown as comments
#   cart_spec FILE         the demo app "cart": a sqlite db and an s3 bucket
#   server_start CONF LOG  starts $srvbin --config CONF (stderr to LOG) in the
#                          background: $spid, and $url once /ready answers
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

server_start() {
	"$srvbin" --config "$1" 2>"$2" &
	spid=$!
	url=""
	i=0
	while [ $i -lt 200 ]; do
		url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$2")
		[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && break
		i=$((i + 1)); sleep 0.05
	done
}
