#!/bin/sh
# demo.sh - the README's main job: builds and installs innominatus into
# ./_inst and shows the step plugins it loads under the shipped admin
# config.  (Grows into the server running a golden path as the engine and
# server land.)
set -e
cd "$(dirname "$0")/.."
sh scripts/build.sh
make -C _build install >/dev/null
echo "== innominatus-ctl plugins --config examples/admin-config.yaml"
_inst/bin/innominatus-ctl plugins --plugin-dir _inst/lib/innominatus/plugins \
	--config examples/admin-config.yaml
