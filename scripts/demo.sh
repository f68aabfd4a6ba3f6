#!/bin/sh
# demo.sh - the README's main job: builds and installs innominatus into
# ./_inst, starts the server with its embedded SQLite store and the demo
# providers (examples/innominatus.yaml), creates an admin key, and runs the
# deploy-app golden path for examples/score-shop.yaml through the server
# with innominatus-ctl: the spec's database and bucket are provisioned by
# their providers' workflows, then the app is rendered, deployed and
# smoke-tested (files under /tmp/innominatus-demo).  Stops the server at the end.
set -e
cd "$(dirname "$0")/.."
sh scripts/build.sh >/dev/null
make -C _build install >/dev/null
data=/tmp/innominatus-demo
rm -rf "$data"
mkdir -p "$data"
srv="_inst/bin/innominatus --config examples/innominatus.yaml --db $data/innominatus.db
	--plugin-dir _inst/lib/innominatus/plugins --state-dir $data/state"
key=$($srv --create-admin-key demo)
$srv --listen 127.0.0.1:0 2>"$data/server.log" &
spid=$!
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null' EXIT
url=""
for i in $(seq 1 100); do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$data/server.log")
	[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && break
	sleep 0.05
done
[ -n "$url" ] || { cat "$data/server.log"; exit 1; }
cat "$data/server.log"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
ctl=_inst/bin/innominatus-ctl
echo
echo "== innominatus-ctl list-providers"
$ctl list-providers
echo
echo "== innominatus-ctl list-goldenpaths"
$ctl list-goldenpaths
echo
echo "== innominatus-ctl run deploy-app examples/score-shop.yaml --param environment=dev"
$ctl run deploy-app examples/score-shop.yaml --param environment=dev
echo
echo "== innominatus-ctl list-workflows"
$ctl list-workflows
