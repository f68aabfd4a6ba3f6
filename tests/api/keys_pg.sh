#!/bin/sh
# keys_pg.sh - GET /api/admin/keys on a PostgreSQL store (tests/api/test_api
# covers SQLite): a private PostgreSQL (tests/pg/pg.sh, watched by this
# script's PID), a server of this build on it, keys made, one revoked, the
# list read back: every key with its role, team (null for none), creation
# and revocation, never the key; a user key gets 403.  Prints TAP; exit 77
# (skip) when PostgreSQL is not installed and INN_REQUIRE_PG is not 1.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
if ! grep -q '^#define HAVE_LIBPQ 1' "$build/config.h" 2>/dev/null; then
	echo "1..0 # SKIP built without PostgreSQL (configure --without-postgresql)"
	[ "${INN_REQUIRE_PG:-0}" = 1 ] && exit 1
	exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-keys-pg-XXXXXX") || exit 1
spid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	sh "$src/tests/pg/pg.sh" stop "$dir/pg"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
chmod 755 "$dir"   # as root, the server runs as the user postgres
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/err"

sh "$src/tests/pg/pg.sh" start "$dir/pg" $$
rc=$?
if [ $rc = 77 ]; then
	echo "1..0 # SKIP PostgreSQL is not installed"
	exit 77
fi
[ $rc = 0 ] || { echo "Bail out! PostgreSQL did not start"; exit 1; }
db=$(sh "$src/tests/pg/pg.sh" newdb "$dir/pg" keys) || { echo "Bail out! no database"; exit 1; }

mkdir -p "$dir/plugins" "$dir/data"
cat >"$dir/conf.yaml" <<CONF
server:
  listen: 127.0.0.1:0
  db: "$db"
  pluginDir: $dir/plugins
  stateDir: $dir/data/state
  secretKeyFile: $dir/data/seal.key
CONF
"$build/innominatus" --config "$dir/conf.yaml" --create-admin-key root >"$dir/key" 2>"$dir/err"
check "an admin key is made in PostgreSQL" $?
admin=$(cat "$dir/key")
if start_server "$dir/conf.yaml" "$dir/server.log"; then
	check "the server starts on PostgreSQL" 0
else
	CHECK_SHOW="$dir/server.log" check "the server starts on PostgreSQL" 1
	echo "1..$n"
	exit 1
fi

api() { # METHOD PATH KEY [BODY]: the body to $dir/out, prints the status
	if [ $# -gt 3 ]; then
		curl -s -o "$dir/out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
		     -H 'Content-Type: application/json' --data "$4" "$url$2"
	else
		curl -s -o "$dir/out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" "$url$2"
	fi
}
[ "$(api POST /api/admin/keys "$admin" '{"name":"dev","role":"user","team":"red"}')" = 201 ]
check "a user key is made" $?
user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$dir/out")
[ "$(api POST /api/admin/keys "$admin" '{"name":"old","role":"admin","team":"blue"}')" = 201 ] &&
	[ "$(api DELETE /api/admin/keys/old "$admin")" = 200 ]
check "another key is made and revoked" $?
CHECK_SHOW="$dir/out"
[ "$(api GET /api/admin/keys "$admin")" = 200 ]
check "GET /api/admin/keys answers 200" $?
python3 - "$dir/out" "$user" "$admin" >"$dir/err" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
keys = {k["name"]: k for k in doc["data"]}
want = {
    "dev": {"role": "user", "team": "red", "revoked": False},
    "old": {"role": "admin", "team": "blue", "revoked": True},
    "root": {"role": "admin", "team": None, "revoked": False},
}
assert sorted(keys) == ["dev", "old", "root"], sorted(keys)
for name, w in want.items():
    k = keys[name]
    assert sorted(k) == ["created_ms", "name", "revoked", "role", "team"], k
    for f, v in w.items():
        assert k[f] == v and type(k[f]) is type(v), (name, f, k[f])
    assert isinstance(k["created_ms"], int) and k["created_ms"] > 0, k
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text and sys.argv[3] not in text and "inn_" not in text
PY
CHECK_SHOW="$dir/err" check "it lists every key, live and revoked, role, team (null: none), never a key" $?
CHECK_SHOW="$dir/out"
[ "$(api GET /api/admin/keys "$user")" = 403 ] && grep -q '"code":"forbidden"' "$dir/out"
check "a user key gets 403" $?
echo "1..$n"
exit $fail
