#!/bin/sh
# demo.sh - the README's main job, on a machine with no cluster: installs
# what is needed (scripts/deps.sh, as root), builds and installs innominatus
# into ./_inst, starts a real S3 server (a Ceph RGW: tests/s3/rgw.sh) and
# the server with its embedded SQLite store and the sample platform of
# examples/local (providers that provision with terraform, ansible, git and
# the S3 API), creates an admin key, and then, with innominatus-ctl, deploys
# the Score app examples/local/app.yaml, shows it with its outputs, deploys
# app-v2.yaml (updates and a removed resource), deletes the app, and shows
# that nothing is left: each step's log streams back, and what the
# providers made is shown from the disk and the S3 server themselves.  A
# component that is missing is said, and the resources needing it are left
# out of the spec.  Everything lives in /tmp/innominatus-demo; the servers
# are stopped at the end; with --keep the server stays up afterwards, for
# the dashboard (http://127.0.0.1:PORT/), until Ctrl-C.
set -e
keep=""
case "${1:-}" in
--keep) keep=1 ;;
"") ;;
*) echo "usage: sh scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
top=$PWD
echo "== building and installing into $top/_inst (scripts/build.sh; it installs what is missing with apt)"
sh scripts/build.sh >/dev/null
make -C _build install >/dev/null
start=$(date +%s)

data=/tmp/innominatus-demo
[ -d "$data/rgw" ] && sh tests/s3/rgw.sh stop "$data/rgw"
rm -rf "$data"
mkdir -p "$data"
spid=""
stop_all() {
	rc=$?
	[ $rc -ne 0 ] && printf '\n== the demo stopped: the last command failed (exit %s); the server log is %s\n' \
		"$rc" "$data/server.log" >&2
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -d "$data/rgw" ] && sh "$top/tests/s3/rgw.sh" stop "$data/rgw"
	return 0
}
trap stop_all EXIT
trap 'exit 130' INT TERM
say() { printf '\n== %s\n' "$*"; }
run() { printf '\n$ %s\n' "$*"; "$@"; }

# ---- the components, and what is left out without them ------------------
# skip: TYPE=REASON lines, one per resource type left out
skip=""
nl='
'
skipped() { skip="$skip$1=$2$nl"; }
command -v terraform >/dev/null || skipped config "terraform is not installed (https://developer.hashicorp.com/terraform/install)"
command -v ansible-playbook >/dev/null || skipped sqlite "ansible-playbook is not installed (apt-get install ansible-core)"
command -v sqlite3 >/dev/null || skipped sqlite "sqlite3 is not installed (apt-get install sqlite3)"
rgw=""
if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null; then
	say "starting a Ceph RADOS Gateway (one mon, one memstore OSD) for the s3 resources: tests/s3/rgw.sh"
	if sh tests/s3/rgw.sh start "$data/rgw" $$; then
		rgw="$data/rgw"
		. "$rgw/env"
		echo "S3 server: Ceph RGW $RGW_VERSION at $RGW_URL"
	else
		skipped s3 "the Ceph RGW did not start (see $data/rgw/log/start.log)"
	fi
else
	skipped s3 "no S3 server: radosgw, ceph-mon or ceph-osd is not installed (scripts/deps.sh installs them as root)"
fi

say "the sample platform: examples/local/innominatus.yaml -> $data/innominatus.yaml"
sh examples/local/platform.sh config "$data" $rgw
app=examples/local/app.yaml app2=examples/local/app-v2.yaml
if [ -n "$skip" ]; then
	say "left out of the spec (no step is faked):"
	ifs=$IFS IFS=$nl
	set -f
	sh examples/local/platform.sh spec "$app" "$data/app.yaml" $skip | sed 's/^/  skipped: /'
	[ -n "$rgw" ] || echo "  (s3-team is not in the server's config either: it has no S3 server to make buckets on)"
	sh examples/local/platform.sh spec "$app2" "$data/app-v2.yaml" $skip >/dev/null
	set +f
	IFS=$ifs
	app=$data/app.yaml app2=$data/app-v2.yaml
fi

# ---- the server -----------------------------------------------------------
srv="_inst/bin/innominatus --config $data/innominatus.yaml --plugin-dir _inst/lib/innominatus/plugins"
key=$($srv --create-admin-key demo 2>"$data/key.log") || { cat "$data/key.log"; exit 1; }
$srv --listen 127.0.0.1:0 2>"$data/server.log" &
spid=$!
url=""
i=0
while [ $i -lt 200 ]; do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$data/server.log")
	[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && break
	kill -0 $spid 2>/dev/null || break
	i=$((i + 1)); sleep 0.05
done
[ -n "$url" ] || { cat "$data/server.log"; exit 1; }
say "the server (SQLite store $data/innominatus.db, state $data/state)"
grep -v "refused: step type" "$data/server.log"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
ctl=_inst/bin/innominatus-ctl

# what the providers made, seen from the disk and the S3 server themselves
# (not from innominatus' answers): the config file, the database's schema,
# the repository's commits, the volume's labels, the bucket's settings
show() {
	say "${1:-what is really there now}"
	f=$(find "$data/state" -path '*/files/*.conf' 2>/dev/null | head -1)
	if [ -n "$f" ]; then echo "config file $f:"; sed 's/^/    /' "$f"; fi
	for f in $(find "$data/state" -name '*.sqlite' 2>/dev/null); do
		echo "database $f: tables $(sqlite3 "$f" .tables | tr -s ' \n' ' ')(schema version $(sqlite3 "$f" 'select max(version) from schema_version'))"
	done
	for r in $(find "$data/state" -name '*.git' -type d 2>/dev/null); do
		echo "git repository $r:"; git --git-dir="$r" log --format='    %h %s' 2>/dev/null
	done
	for v in $(find "$data/state" -path '*/shell/volume' -type d 2>/dev/null); do
		echo "volume $v: $(tr '\n' ' ' < "$v/.labels")"
	done
	if [ -n "$rgw" ]; then
		s3() { curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ADMIN_KEY:$RGW_ADMIN_SECRET" \
			-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
		code=$(s3 -I -o /dev/null -w '%{http_code}' "$RGW_URL/shop-assets")
		if [ "$code" = 200 ]; then
			echo "bucket shop-assets on $RGW_URL: versioning $(s3 "$RGW_URL/shop-assets?versioning=" |
				sed -n 's:.*<Status>\(.*\)</Status>.*:\1:p'), tags $(s3 "$RGW_URL/shop-assets?tagging=" |
				sed 's:<Tag><Key>\([^<]*\)</Key><Value>\([^<]*\)</Value></Tag>:\1=\2 :g; s:<[^>]*>::g')"
		else
			echo "bucket shop-assets on $RGW_URL: HEAD answers $code (no such bucket)"
		fi
	fi
	return 0
}

say "1. deploy the app: every resource is provisioned by its provider's create workflow"
run $ctl deploy "$app" -w
run $ctl app shop
show
say "2. deploy a changed spec: changed properties run update workflows, the removed resource its delete workflow"
run $ctl deploy "$app2" -w
run $ctl app shop
show
say "3. delete the app: every resource's delete workflow, in reverse dependency order"
run $ctl delete shop -w
run $ctl apps
show "what is left"
left=$(find "$data/state" -type f ! -path "$data/state/.runs/*")
if [ -z "$left" ]; then
	echo "no file in the state directory $data/state"
else
	echo "files left in $data/state:"; echo "$left" | sed 's/^/    /'
fi
if [ -n "$keep" ]; then
	(umask 077 && printf '%s\n' "$key" > "$data/admin.key")
	say "done in $(( $(date +%s) - start )) s after the build; the server stays up for the dashboard"
	echo "open $url/ in a browser and sign in with the key in $data/admin.key"
	echo "(or open $url/#key=<the key>: the page takes it from the address and wipes it)"
	echo "Ctrl-C stops the server${rgw:+ and the Ceph RGW}"
	trap "exit 0" INT TERM
	wait "$spid" || true
	exit 0
fi
say "done in $(( $(date +%s) - start )) s after the build; stopping the server${rgw:+ and the Ceph RGW}"
echo "(sh scripts/demo.sh --keep leaves the server up, to look at all of it in the dashboard at $url/)"
