#!/bin/sh
# main_job.sh - the README's main job (scripts/demo.sh) as a test: the
# sample platform of examples/local (examples/local/platform.sh) on a real
# server with a real Ceph RGW, its Score app deployed, changed and deleted
# with innominatus-ctl, and what a user sees asserted -- every resource
# active with its outputs and the containers' placeholders resolved, the
# config file, the SQLite database, the git repository, the volume and the
# bucket really there (the bucket checked with curl's own SigV4 signing,
# not through innominatus), the update changing each of them, the removed
# resource deleted, and after the app's deletion no file in the state
# directory, no bucket and no bucket user.  Without Ceph the s3 resource is
# left out, as the demo does; skipped without terraform, ansible-playbook
# or sqlite3.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
for t in terraform ansible-playbook sqlite3 git; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-mainjob-XXXXXX")
spid=""
cleanup() {
	[ -n "$spid" ] && kill $spid 2>/dev/null && wait $spid 2>/dev/null
	[ -d "$dir/rgw" ] && sh "$src/tests/s3/rgw.sh" stop "$dir/rgw"
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 755 "$dir"
mkdir "$dir/plugins"
chmod 755 "$dir/plugins"
for p in shell terraform ansible minio; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
. "$src/tests/ctl_lib.sh"

# ---- the platform: an S3 server when Ceph is installed --------------------
rgw="" skip=""
if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null; then
	sh "$src/tests/s3/rgw.sh" start "$dir/rgw" $$
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "1..1"
		tail -20 "$dir/rgw/log/start.log" 2>/dev/null | sed 's/^/# /'
		check "a Ceph RGW starts for the test" 1
		exit 1
	fi
	[ $rc -eq 0 ] && rgw="$dir/rgw"
fi
if [ -n "$rgw" ]; then
	. "$rgw/env"
	echo "# S3 server: Ceph RGW $RGW_VERSION at $RGW_URL"
	echo "1..30"
else
	skip="s3=no S3 server"
	echo "# no Ceph RGW here: the s3 resource is left out (as scripts/demo.sh does)"
	echo "1..23"
fi
sh "$src/examples/local/platform.sh" config "$dir/data" $rgw
sh "$src/examples/local/platform.sh" spec "$src/examples/local/app.yaml" "$dir/app.yaml" ${skip:+"$skip"} >/dev/null &&
sh "$src/examples/local/platform.sh" spec "$src/examples/local/app-v2.yaml" "$dir/app-v2.yaml" ${skip:+"$skip"} >/dev/null ||
	{ echo "Bail out! platform.sh spec failed"; exit 1; }
conf=$dir/data/innominatus.yaml
state=$dir/data/state
key=$("$build/innominatus" --config "$conf" --plugin-dir "$dir/plugins" --create-admin-key t 2>"$dir/key.log")
if ! start_server "$conf" "$dir/server.log" --plugin-dir "$dir/plugins" --listen 127.0.0.1:0; then
	sed 's/^/# /' "$dir/key.log" "$dir/server.log"
	echo "Bail out! the server did not start"
	exit 1
fi
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"

# s3 ARGS...: a request to the RGW signed with the admin's keys by curl
s3() {
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ADMIN_KEY:$RGW_ADMIN_SECRET" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
s3_code() { s3 -I -o /dev/null -w '%{http_code}' "$RGW_URL$1"; }
# app: GET /api/applications/shop into $dir/app.json; its HTTP status
app() {
	curl -s -o "$dir/app.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
		"$url/api/applications/shop"
}
# py CODE: python3 with the app (a) loaded from $dir/app.json, resources by
# name in r; exit status of CODE's assertions
py() {
	python3 - "$dir/app.json" "$1" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in a.get("resources", [])}
exec(sys.argv[2])
PY
}
out() { py "print(r['$1']['outputs']['$2'])" 2>/dev/null; }
sqlv() { sqlite3 "$1" 'select max(version) from schema_version' 2>/dev/null; }
CHECK_SHOW="$dir/out"

# ---- 0. the providers -----------------------------------------------------------
: >"$dir/out"
r=0
for p in config-team database-team source-team storage-team ${rgw:+s3-team}; do
	"$ctl" --plugin-dir "$dir/plugins" --config "$conf" validate-provider \
		"$src/examples/local/providers/$p" >>"$dir/out" 2>&1 || r=1
	grep -q "^provider $p [0-9.]*: valid, 3 workflow(s)" "$dir/out" || r=1
done
check "each provider of the sample passes validate-provider (create, update, delete)" $r

# ---- 1. deploy --------------------------------------------------------------
"$ctl" deploy "$dir/app.yaml" -w >"$dir/out" 2>&1
rc=$?; cp "$dir/out" "$dir/ctl1.out"
check "deploy app.yaml -w exits 0" $rc
code=$(app)
names="db settings source uploads${rgw:+ assets}"
{ cat "$dir/app.json"; echo; } >"$dir/out"
[ "$code" = 200 ] && py "
assert a['status'] == 'active', a['status']
assert sorted(r) == sorted('$names'.split()), sorted(r)
for x in r.values():
    assert x['status'] == 'active', (x['name'], x['status'])
assert r['db']['outputs']['dsn'].startswith('sqlite://')
assert r['settings']['outputs']['path'].endswith('/settings.conf')
assert r['source']['outputs']['url'].startswith('file://')
assert r['uploads']['outputs']['path']
"
check "the app is active, each of its resources active with its outputs" $?
py "
assert 'db' in r['settings']['depends_on'], r['settings']['depends_on']
v = a['containers']['web']['variables']
assert v['DATABASE_URL'] == r['db']['outputs']['dsn'], v
assert v['CONFIG_FILE'] == r['settings']['outputs']['path'], v
assert v['SOURCE_REPO'] == r['source']['outputs']['url'], v
assert not a.get('unresolved'), a.get('unresolved')
"
check "the containers' placeholders are resolved from the outputs; settings depends on db" $?
db=$(out db path) conf_file=$(out settings path) repo=$(out source path) vol=$(out uploads path)
dsn=$(out db dsn)
{ cat "$conf_file"; } >"$dir/out" 2>&1
grep -qx "database_url = $dsn" "$conf_file" && grep -qx 'log_level = info' "$conf_file" &&
	grep -qx 'checkout_v2 = off' "$conf_file"
check "terraform rendered the config file, with the database's DSN in it" $?
case "$conf_file$db$repo$vol" in "$state"/*"$state"/*"$state"/*"$state"/*) r=0 ;; *) r=1 ;; esac
check "the file, the database, the repository and the volume are in the server's state directory" $r
[ "$(sqlv "$db")" = 1 ] && [ "$(sqlite3 "$db" .tables | tr -s ' \n' ' ')" = "items schema_version " ]
check "ansible made the SQLite database at schema version 1" $?
[ "$(git --git-dir="$repo" rev-list --count HEAD 2>/dev/null)" = 1 ] &&
	git --git-dir="$repo" show HEAD:README.md 2>/dev/null | grep -qx "The shop's storefront."
check "the git repository holds one commit with the README" $?
grep -qx 'tier=hot' "$vol/.labels" 2>/dev/null
check "the volume's directory holds its labels" $?
if [ -n "$rgw" ]; then
	[ "$(s3_code /shop-assets)" = 200 ] &&
		s3 "$RGW_URL/shop-assets?versioning=" | grep -q '<Status>Enabled</Status>' &&
		s3 "$RGW_URL/shop-assets?tagging=" | grep -q '<Key>owner</Key><Value>shop-team</Value>'
	check "the bucket shop-assets exists on the RGW, versioned, tagged owner=shop-team" $?
	py "
o = r['assets']['outputs']
assert o['bucket'] == 'shop-assets' and o['endpoint'] == '$RGW_URL', o
assert o['secret_key'] == '***' and o['access_key'] == '***', o
assert a['containers']['web']['variables']['ASSETS_BUCKET'] == 'shop-assets'
"
	check "the bucket's outputs: endpoint and name, its keys shown as ***" $?
	# an object in the bucket: the delete must empty it first
	printf 'hello\n' > "$dir/obj"
	[ "$(s3 -X PUT --data-binary @"$dir/obj" -o /dev/null -w '%{http_code}' \
		"$RGW_URL/shop-assets/hello.txt")" = 200 ]
	check "an object can be written to the bucket" $?
fi

# ---- 2. deploy the changed spec -----------------------------------------------
"$ctl" deploy "$dir/app-v2.yaml" -w >"$dir/out" 2>&1
rc=$?; cp "$dir/out" "$dir/ctl2.out"
check "deploy app-v2.yaml -w exits 0" $rc
for x in db settings source ${rgw:+assets}; do
	grep -Eq "^  $x +update " "$dir/out" || echo "no update of $x" >>"$dir/out"
done
grep -Eq '^  uploads +delete +volume +storage-team +delete-volume' "$dir/out" &&
	! grep -q '^no update of' "$dir/out"
check "its plan: an update of each changed resource, the removed volume's delete" $?
code=$(app)
{ cat "$dir/app.json"; echo; } >"$dir/out"
# the removed resource is listed terminated (or no longer listed)
[ "$code" = 200 ] && py "
assert a['status'] == 'active', a['status']
live = sorted(n for n, x in r.items() if n != 'uploads')
assert live == sorted('$names'.replace('uploads', '').split()), sorted(r)
for n in live:
    assert r[n]['status'] == 'active', (n, r[n]['status'])
assert 'uploads' not in r or r['uploads']['status'] == 'terminated', r['uploads']
assert r['db']['outputs']['schema_version'] in ('3', 3), r['db']['outputs']
"
check "the app is active, its other resources active, the volume terminated; the database at version 3" $?
grep -qx 'log_level = debug' "$conf_file" 2>/dev/null && grep -qx 'checkout_v2 = on' "$conf_file" &&
	grep -qx "database_url = $dsn" "$conf_file"
check "the update rendered the config file again" $?
[ "$(sqlv "$db")" = 3 ] && [ "$(sqlite3 "$db" .tables | tr -s ' \n' ' ')" = "audit items schema_version tags " ]
check "the update migrated the database to schema version 3" $?
[ "$(git --git-dir="$repo" rev-list --count HEAD 2>/dev/null)" = 2 ] &&
	git --git-dir="$repo" show HEAD:README.md | grep -qx "The shop's storefront, now with checkout v2."
check "the update committed the changed README" $?
[ ! -e "$vol" ]
check "the removed volume's directory is gone" $?
if [ -n "$rgw" ]; then
	s3 "$RGW_URL/shop-assets?tagging=" | grep -q '<Key>owner</Key><Value>platform-team</Value>' &&
		[ "$(s3_code /shop-assets/hello.txt)" = 200 ]
	check "the update retagged the bucket (owner=platform-team), its object kept" $?
fi
curl -s -H "Authorization: Bearer $key" "$url/api/resources?app=shop" >"$dir/out"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rs = d.get("data", d) if isinstance(d, dict) else d
u = [x for x in rs if x.get("name") == "uploads"]
assert not u or all(x["status"] == "terminated" for x in u), u
' "$dir/out"
check "GET /api/resources shows no live uploads resource" $?

# ---- 3. delete --------------------------------------------------------------
"$ctl" delete shop -w >"$dir/out" 2>&1
rc=$?; cp "$dir/out" "$dir/ctl3.out"
check "delete shop -w exits 0" $rc
[ "$(app)" = 404 ]
check "the app is gone (GET /api/applications/shop: 404)" $?
"$ctl" apps >"$dir/out" 2>&1 && ! grep -q '^ *shop ' "$dir/out"
check "apps no longer lists it" $?
find "$state" -type f ! -path "$state/.runs/*" >"$dir/out"
[ ! -s "$dir/out" ]
check "no file is left in the state directory" $?
[ ! -e "$conf_file" ] && [ ! -e "$db" ] && [ ! -e "$repo" ]
check "the config file, the database and the repository are gone" $?
if [ -n "$rgw" ]; then
	[ "$(s3_code /shop-assets)" = 404 ]
	check "the bucket is gone from the RGW (HEAD: 404)" $?
	[ "$(s3 -o /dev/null -w '%{http_code}' "$RGW_URL/admin/user?uid=inn-app-shop-assets")" = 404 ]
	check "the bucket's RGW user is gone" $?
fi
curl -s -H "Authorization: Bearer $key" "$url/api/workflows?app=shop" >"$dir/out"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rs = d.get("data", d) if isinstance(d, dict) else d
kinds = sorted(x.get("kind") for x in rs)
assert kinds.count("deploy") == 2 and kinds.count("delete") == 1, kinds
assert all(x["status"] == "succeeded" for x in rs), [(x["id"], x["status"]) for x in rs]
' "$dir/out"
check "its executions remain listed: two deployments and a deletion, all succeeded" $?
if [ -n "$rgw" ]; then
	! grep -qF -e "$RGW_ADMIN_SECRET" "$dir/server.log" "$dir"/ctl*.out "$dir/app.json" &&
		! grep -qF -e "$RGW_ADMIN_SECRET" "$dir/data/innominatus.db"
	check "the S3 secret key is in no log and not in the store" $?
fi
exit $fail
