#!/bin/sh
# openapi_validate.sh - /api/openapi.json against the server's real
# replies: the API test suite (tests/api/test_api) runs with INN_API_RECORD
# and writes every reply it got; a server of this build serves the
# document; tests/openapi_validate.py checks the document (OpenAPI 3.1
# structure, every route of server/api.c's table, every $ref, every schema
# a JSON Schema 2020-12) and every recorded reply against the schema of
# its operation and status (python3-jsonschema), and that a reply made
# wrong is refused.  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-openapi-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"

if ! python3 -c 'import jsonschema, referencing' 2>"$dir/py"; then
	echo "Bail out! python3-jsonschema is needed (apt-get install python3-jsonschema):" \
	     "$(tail -1 "$dir/py")"
	exit 1
fi

# the API tests, recording
mkdir "$dir/rec"
if INN_API_RECORD="$dir/rec" "$build/tests/api/test_api" >"$dir/api.log" 2>&1; then
	check "the API tests pass while recording" 0
else
	CHECK_SHOW="$dir/api.log" check "the API tests pass while recording" 1
fi
[ "$(ls "$dir/rec" | wc -l)" -gt 100 ]
check "the API tests recorded their replies" $?

# the document, from a real server
server_conf "$dir/conf.yaml" "$dir"
mkdir -p "$dir/plugins" "$dir/data"
if start_server "$dir/conf.yaml" "$dir/server.log" &&
   curl -sf -o "$dir/openapi.json" "$url/api/openapi.json"; then
	check "a server serves /api/openapi.json" 0
else
	CHECK_SHOW="$dir/server.log" check "a server serves /api/openapi.json" 1
	echo "1..$n"
	exit 1
fi
kill "$spid"
wait "$spid" 2>/dev/null
spid=""

# the checks proper, numbered after ours
python3 "$src/tests/openapi_validate.py" "$dir/openapi.json" "$src/server/api.c" \
	"$dir/rec" "$n" || fail=1
exit $fail
