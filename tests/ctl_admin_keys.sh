#!/bin/sh
# ctl_admin_keys.sh - U7: `admin list-keys` against a real server (GET
# /api/admin/keys): every key with its role, team and whether it is
# revoked, never a key itself; -o json is the server's {"data": [...]}.
# Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-keys-XXXXXX")
. "$src/tests/ctl_lib.sh"
. "$src/tests/ctl_hello_server.sh"
CHECK_SHOW="$dir/out"
echo "1..3"
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
export HOME="$dir" XDG_CONFIG_HOME=
hello_server "$dir/srv"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
bob=$("$ctl" admin add-key bob --role user --team red 2>/dev/null) &&
	"$ctl" admin add-key carol --role user >/dev/null 2>&1 &&
	"$ctl" admin revoke-key carol >/dev/null 2>&1
check "keys bob (team red) and carol (revoked) are made" $?

"$ctl" admin list-keys >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^NAME  *ROLE  *TEAM  *CREATED  *REVOKED' "$dir/out" &&
	grep -Eq '^ops +admin +- +[0-9-]+ [0-9:]+ +no$' "$dir/out" &&
	grep -Eq '^bob +user +red +[0-9-]+ [0-9:]+ +no$' "$dir/out" &&
	grep -Eq '^carol +user +- +[0-9-]+ [0-9:]+ +yes$' "$dir/out" &&
	! grep -qF "$bob" "$dir/out" && ! grep -qF "$key" "$dir/out"
check "admin list-keys tables every key (name, role, team, created, revoked), no key shown" $?

"$ctl" -o json admin list-keys >"$dir/out" 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; k={x["name"]: x for x in d}; assert set(k)=={"ops","bob","carol"}, k; assert k["carol"]["revoked"] is True and k["bob"]["team"]=="red" and k["ops"]["team"] is None; assert not any("key" in x or "hash" in x for x in d)' "$dir/out"
check "admin list-keys -o json is the server's data: names, teams, revoked, no key or hash" $?
exit $fail
