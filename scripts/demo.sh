#!/bin/sh
# demo.sh - the README's main job: builds and installs innominatus into
# ./_inst, shows the plugins the shipped admin config lets load and the demo
# providers, then runs the deploy-app golden path for the Score spec in
# examples/score-shop.yaml: its database and bucket are provisioned by their
# providers' workflows, then the app is rendered, deployed and smoke-tested
# (under /tmp/innominatus-demo).
set -e
cd "$(dirname "$0")/.."
sh scripts/build.sh >/dev/null
make -C _build install >/dev/null
ctl="_inst/bin/innominatus-ctl --plugin-dir _inst/lib/innominatus/plugins
	--config examples/admin-config.yaml --providers providers
	--goldenpaths workflows/goldenpaths.yaml"
echo "== innominatus-ctl plugins"
$ctl plugins
echo
echo "== innominatus-ctl list-providers"
$ctl list-providers
echo
echo "== innominatus-ctl list-goldenpaths"
$ctl list-goldenpaths
echo
echo "== innominatus-ctl run --local deploy-app examples/score-shop.yaml"
$ctl run --local deploy-app examples/score-shop.yaml --param environment=dev
