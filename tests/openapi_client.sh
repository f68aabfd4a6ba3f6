#!/bin/sh
# openapi_client.sh - the OpenAPI document makes a working client: a
# server of this build serves /api/openapi.json; openapi-typescript (npm)
# generates the client's types from it, tsc --strict checks
# tests/openapi-client/client.ts against them, and node runs it against
# the server with openapi-fetch: it lists the providers, runs a golden
# path, polls it to the end and reads its logs.  The npm packages are
# pinned (tests/openapi-client/package-lock.json) and installed once under
# the build tree (tests/openapi-client/node_modules), npm's cache in
# $HOME/.npm: later runs need no network.  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-openapi-client-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/err"

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "Bail out! $tool is needed (apt-get install nodejs npm)"
		exit 1
	fi
done

# the pinned packages, installed when the lock file changed
mods="$build/tests/openapi-client"
mkdir -p "$mods"
if ! cmp -s "$src/tests/openapi-client/package-lock.json" "$mods/package-lock.json" ||
   [ ! -x "$mods/node_modules/.bin/openapi-typescript" ]; then
	if [ "$(cd "$src" && pwd -P)" != "$(cd "$build" && pwd -P)" ]; then
		cp "$src/tests/openapi-client/package.json" \
		   "$src/tests/openapi-client/package-lock.json" "$mods/"
		chmod u+w "$mods/package.json" "$mods/package-lock.json"
	fi
	if ! (cd "$mods" && npm ci --no-audit --no-fund --prefer-offline) >"$dir/npm.log" 2>&1; then
		echo "Bail out! npm ci failed (is the npm registry, $(npm config get registry)," \
		     "reachable? its cache is $HOME/.npm):"
		sed 's/^/# /' "$dir/npm.log" | tail -20
		exit 1
	fi
fi
check "the pinned client generator is installed" 0

# a server with a golden path whose step prints lines
mkdir -p "$dir/plugins" "$dir/data" "$dir/providers/docs/workflows"
install -m 755 "${INN_SHELL_SO:?}" "$dir/plugins/shell.so"
cat >"$dir/providers/docs/provider.yaml" <<'YAML'
name: docs
version: 1.0.0
description: The generated client's test provider
workflows_dir: workflows
YAML
cat >"$dir/providers/docs/workflows/greet.yaml" <<'YAML'
name: greet
description: Greets twice
parameters:
  - {name: who, type: string, default: world}
steps:
  - name: greet
    type: shell
    config:
      shell: sh
      script: |
        echo "hello {{ .parameters.who }}"
        echo "bye {{ .parameters.who }}"
YAML
cat >"$dir/gp.yaml" <<'YAML'
goldenpaths:
  greet:
    workflow: docs/greet
    description: Greets someone
YAML
server_conf "$dir/conf.yaml" "$dir"
"$build/innominatus" --db "$dir/data/inn.db" --create-admin-key client >"$dir/key" 2>"$dir/err"
check "an admin key is made" $?
key=$(cat "$dir/key")
if start_server "$dir/conf.yaml" "$dir/server.log" --providers "$dir/providers" \
   --goldenpaths "$dir/gp.yaml"; then
	check "the server starts" 0
else
	CHECK_SHOW="$dir/server.log" check "the server starts" 1
	echo "1..$n"
	exit 1
fi

# the client: generated from the live document, type-checked, compiled
mkdir "$dir/client"
cp "$src/tests/openapi-client/client.ts" "$dir/client/"
ln -s "$mods/node_modules" "$dir/client/node_modules"
printf '{"type": "module"}\n' >"$dir/client/package.json"
"$mods/node_modules/.bin/openapi-typescript" "$url/api/openapi.json" \
	-o "$dir/client/api.d.ts" >"$dir/err" 2>&1
check "openapi-typescript generates a client from $url/api/openapi.json" $?
grep -q '"/api/golden-paths/{name}/run"' "$dir/client/api.d.ts" &&
	grep -q 'runGoldenPath' "$dir/client/api.d.ts"
check "the client knows the routes and their operationIds" $?
(cd "$dir/client" && "$mods/node_modules/.bin/tsc" --strict --noEmitOnError \
	--target es2022 --module nodenext --moduleResolution nodenext --skipLibCheck false \
	client.ts) >"$dir/err" 2>&1
check "tsc --strict compiles the client against the generated types" $?

# run it
(cd "$dir/client" && node client.js "$url" "$key" greet docs) >"$dir/out" 2>"$dir/err"
check "the client runs to its end" $?
CHECK_SHOW="$dir/out"
grep -qx 'providers docs' "$dir/out"
check "it lists the providers" $?
grep -qx 'parameters who' "$dir/out"
check "it reads the golden path's parameters" $?
grep -q '^submitted [0-9][0-9]* pending$' "$dir/out"
check "it runs the golden path (202, pending)" $?
grep -qx 'status succeeded' "$dir/out" && grep -qx 'steps greet:succeeded' "$dir/out"
check "it polls the execution to its end: succeeded" $?
grep -qx 'log greet hello docs' "$dir/out" && grep -qx 'log greet bye docs' "$dir/out"
check "it reads the execution's logs" $?
grep -qx 'error 404 not_found' "$dir/out"
check "an error reply reaches it as the Error schema" $?
echo "1..$n"
exit $fail
