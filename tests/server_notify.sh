#!/bin/sh
# server_notify.sh - the server under a service manager (systemd's
# Type=notify, sd_notify(3)): a listener on $NOTIFY_SOCKET gets READY=1
# once the server serves, RELOADING=1 then READY=1 around a SIGHUP reload,
# STOPPING=1 at SIGTERM.  The reload reads the config file again: a
# provider folder added to providers[] is served after it, one read from
# another folder says so in its source; a config that no longer parses is
# refused, logged, and the catalog in use is kept.
# Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
command -v python3 >/dev/null || { echo "1..0 # python3 is needed (apt-get install python3)"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-notify-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
cp -r "$src/tests/data/standin-providers" "$dir/providers"
spid="" lpid=""
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; [ -n "$lpid" ] && kill $lpid 2>/dev/null;
	rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
for v in $(env | sed -n 's/^\(INNOMINATUS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
CHECK_SHOW="$dir/server.log"

# the listener: one line per datagram, its lines joined with "|"
python3 - "$dir/notify.sock" "$dir/notes" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2] + ".ready", "w"):
    pass
while True:
    msg = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(msg.replace("\n", "|") + "\n")
PY
lpid=$!
i=0
while [ ! -e "$dir/notes.ready" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
: >"$dir/notes"

conf="$dir/conf.yaml"
write_conf() { # the provider folders of providers[]
	server_conf "$conf" "$dir"
	echo "providers:" >>"$conf"
	for p in "$@"; do
		echo "  - {name: $p, type: filesystem, path: providers/$p}" >>"$conf"
	done
	printf 'workflowPolicies:\n  allowedStepTypes: [shell]\n' >>"$conf"
}
# waits until the listener has n datagrams
notes() {
	i=0
	while [ "$(grep -c . "$dir/notes")" -lt "$1" ] && [ $i -lt 200 ]; do
		i=$((i + 1)); sleep 0.05
	done
	[ "$(grep -c . "$dir/notes")" -ge "$1" ]
}
providers() {
	curl -s -H "Authorization: Bearer $key" "$url/api/providers" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); d=d["data"] if isinstance(d, dict) else d; print(" ".join(sorted(p["name"] for p in d)))'
}

echo "1..10"
write_conf storage-team
key=$("$srvbin" --config "$conf" --create-admin-key ops)
NOTIFY_SOCKET="$dir/notify.sock" start_server "$conf" "$dir/server.log"
notes 1 && sed -n 1p "$dir/notes" | grep -q "^READY=1|STATUS=serving 1 providers"
check "READY=1 with a STATUS once the server serves its catalog" $?

write_conf storage-team database-team
kill -HUP "$spid"
notes 3
sed -n 2p "$dir/notes" | grep -q "^RELOADING=1|MONOTONIC_USEC=[0-9][0-9]*|" &&
	sed -n 3p "$dir/notes" | grep -q "^READY=1"
check "SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1" $?
[ "$(providers)" = "database-team storage-team" ]
check "the reload served the provider folder added to the config file" $?
grep -q "catalog reloaded by SIGHUP (2 providers)" "$dir/server.log"
check "the reload is logged" $?

printf 'providers: [\n' >>"$conf"
kill -HUP "$spid"
notes 5
[ "$(providers)" = "database-team storage-team" ] &&
	grep -q "error innominatus: SIGHUP: reload refused, the catalog in use is kept: $conf:" \
	"$dir/server.log" && sed -n 5p "$dir/notes" | grep -q "^READY=1"
check "a config that does not parse: reload refused and logged, the old catalog kept" $?

write_conf storage-team database-team gone-team
kill -HUP "$spid"
notes 7
[ "$(providers)" = "database-team storage-team" ] &&
	grep -q "SIGHUP: reload refused (1 problem(s)" "$dir/server.log"
check "a provider folder that does not exist: reload refused and logged" $?

# a FIFO in place of the config file: refused without reading it (a read
# would block the reload for good, and the drain with it)
mv "$conf" "$conf.good"
mkfifo "$conf"
kill -HUP "$spid"
notes 9
[ "$(providers)" = "database-team storage-team" ] &&
	grep -q "SIGHUP: reload refused, the catalog in use is kept: $conf: not a regular file" \
	"$dir/server.log" && sed -n 9p "$dir/notes" | grep -q "^READY=1"
check "a FIFO in place of the config file: reload refused, READY=1, old catalog served" $?
rm -f "$conf"
mv "$conf.good" "$conf"
write_conf storage-team
kill -HUP "$spid"
notes 11
[ "$(providers)" = "storage-team" ] && sed -n 11p "$dir/notes" | grep -q "^READY=1"
check "after the FIFO, a good config reloads" $?

# the provider read from another folder: its source says the new one
source_path() {
	curl -s -H "Authorization: Bearer $key" "$url$1" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join(p["source"]["type"] + ":" + p["source"]["path"] for p in (d if isinstance(d, list) else [d])))'
}
was=$(source_path /api/providers)
mkdir "$dir/moved"
cp -r "$dir/providers/storage-team" "$dir/moved/"
sed -i "s|path: providers/storage-team|path: $dir/moved/storage-team|" "$conf"
kill -HUP "$spid"
notes 13
now="filesystem:$(cd "$dir/moved/storage-team" && pwd -P)"
[ "$was" = "filesystem:$(cd "$dir/providers/storage-team" && pwd -P)" ] &&
	[ "$(source_path /api/providers)" = "$now" ] &&
	[ "$(source_path /api/providers/storage-team)" = "$now" ]
check "a provider read from another folder after a reload: /api/providers and /api/providers/NAME say the new folder (was $was)" $?

kill -TERM "$spid"
wait "$spid"
rc=$?
spid=""
notes 14
[ $rc -eq 0 ] && sed -n 14p "$dir/notes" | grep -q "^STOPPING=1"
check "SIGTERM: STOPPING=1, and the server exits (0)" $?
exit $fail
