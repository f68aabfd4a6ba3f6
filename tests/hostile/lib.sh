# lib.sh - the harness the hostile suite (tests/hostile/*.sh) shares: a
# private work folder, a real `innominatus` server on a free loopback port
# with its own SQLite store, keys of several teams, and TAP output.  Each
# script replays attacks from the hardening review against the running
# server and asserts what a user would notice.
#
#   . "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
#   h_init NAME                     work folder $H, plugins dir with shell.so
#   h_plugin FILE.so                 add a plugin (mode 0755) to $H/plugins
#   H_SERVER_YAML / H_POLICY_YAML    extra lines for server: / workflowPolicies:
#   h_start [PROVIDERS_DIR]         start the server; sets $url, $spid
#   h_stop [SIG]                    stop it (default TERM) and wait
#   h_key NAME ROLE [TEAM]          create a key as admin, print it
#   api METHOD PATH KEY [curl args] print the body; $H/code has the status
#   jf FIELD < json                 print a top-level (or a.b) field
#   check DESC CMD...               one TAP line (ok if CMD succeeds)
#   code_is STATUS                  the last api reply had this HTTP status
#   check_api DESC STATUS METHOD PATH KEY [curl args]
#                                   one TAP line: the request is answered STATUS
#   h_wait_final ID KEY [SECS]      wait until the execution is final
#   h_is_final STATUS               STATUS is a final execution status
#   h_wal_peak ID KEY               wait for the execution's end; print the
#                                   largest size the store's -wal file had
#   h_small_quarantine              under ASan, a small freed-memory quarantine
#   h_py ARGS... <<'PY'             python3 runs the script after the helpers
#                                   in H_PY (read_all, read_until_close,
#                                   health_from)
#   h_done                          print the plan and exit 0/1
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
H=""
spid=""
url=""
ADMIN=""
h_n=0
h_fail=0
H_SERVER_YAML=${H_SERVER_YAML:-}
H_POLICY_YAML=${H_POLICY_YAML:-}

h_cleanup() {
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null
	[ -n "$H" ] && [ -z "${H_KEEP:-}" ] && rm -rf "$H"
}

h_init() {
	H=$(mktemp -d "${TMPDIR:-/tmp}/inn-hostile-$1-XXXXXX")
	chmod 755 "$H"
	mkdir -p "$H/plugins" "$H/state"
	chmod 755 "$H/plugins"
	install -m 755 "${INN_SHELL_SO:?}" "$H/plugins/shell.so"
	trap h_cleanup EXIT
}

h_plugin() {
	install -m 755 "$1" "$H/plugins/$(basename "$1")"
}

h_config() {
	{
		echo "server:"
		echo "  listen: 127.0.0.1:0"
		echo "  db: $H/inn.db"
		echo "  pluginDir: $H/plugins"
		echo "  stateDir: $H/state"
		if [ -n "$H_SERVER_YAML" ]; then printf '%s\n' "$H_SERVER_YAML"; fi
		echo "workflowPolicies:"
		echo "  allowedStepTypes: [$(ls "$H/plugins" | sed 's/\.so$//' | paste -sd, -)]"
		if [ -n "$H_POLICY_YAML" ]; then printf '%s\n' "$H_POLICY_YAML"; fi
	} > "$H/conf.yaml"
}

# h_start [PROVIDERS_DIR]: starts the server (creating the admin key on the
# first start) and waits for /ready.
h_start() {
	h_config
	if [ -z "$ADMIN" ]; then
		ADMIN=$("$srvbin" --config "$H/conf.yaml" --create-admin-key root-admin) || return 1
	fi
	: > "$H/server.log"
	"$srvbin" --config "$H/conf.yaml" ${1:+--providers "$1"} 2>>"$H/server.log" &
	spid=$!
	url=""
	i=0
	while [ $i -lt 300 ]; do
		url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$H/server.log" | tail -1)
		[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && return 0
		kill -0 "$spid" 2>/dev/null || break
		i=$((i + 1)); sleep 0.05
	done
	echo "# the server did not start:"; sed 's/^/# /' "$H/server.log"
	return 1
}

h_stop() {
	[ -n "$spid" ] || return 0
	kill -"${1:-TERM}" "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=""
}

api() { # METHOD PATH KEY [curl args...]
	h_m=$1 h_p=$2 h_k=$3
	shift 3
	curl -s -o "$H/body" -w '%{http_code}' -X "$h_m" ${h_k:+-H "Authorization: Bearer $h_k"} \
		"$url$h_p" "$@" > "$H/code"
	cat "$H/body"
}

jf() { # FIELD (dotted) of the JSON on stdin; empty when absent
	python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else (v[int(k)] if isinstance(v, list) and k.isdigit() and int(k) < len(v) else None)
    if v is None: break
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))' "$1" 2>/dev/null
}

h_key() { # NAME ROLE [TEAM]
	api POST /api/admin/keys "$ADMIN" -d "{\"name\":\"$1\",\"role\":\"$2\"${3:+,\"team\":\"$3\"}}" | jf key
}

h_status() { api GET "/api/workflows/$1" "$2" | jf status; }

h_is_final() { # STATUS
	case $1 in
	succeeded|failed|cancelled|timed_out|interrupted) return 0 ;;
	esac
	return 1
}

h_wait_final() { # ID KEY [SECS]
	i=0
	while [ $i -lt $((${3:-30} * 10)) ]; do
		h_is_final "$(h_status "$1" "$2")" && return 0
		i=$((i + 1)); sleep 0.1
	done
	return 1
}

h_wal_peak() { # ID KEY
	h_peak=0
	while :; do
		h_w=$(stat -c %s "$H/inn.db-wal" 2>/dev/null || echo 0)
		[ "$h_w" -gt "$h_peak" ] && h_peak=$h_w
		h_is_final "$(h_status "$1" "$2")" && break
		sleep 0.2
	done
	echo "$h_peak"
}

# under ASan (CI), freed memory waits in a quarantine of up to 256 MB: keep it
# small so that memory checks measure the server, not the quarantine
h_small_quarantine() {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=16"
	export ASAN_OPTIONS
}

# Python helpers for h_py scripts: read_all(s), everything the peer sends on
# socket s until it closes; read_until_close(s), the same but what arrived
# before an error too; health_from(url, ip), the status line of GET /health
# sent from source address ip (or the error in words).
H_PY='import socket, sys, threading, time, urllib.parse
def read_all(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return out
def read_until_close(s):
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    return out
def health_from(url, ip):
    u = urllib.parse.urlparse(url)
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=5, source_address=(ip, 0))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return read_all(s).split(b"\r\n")[0].decode("latin-1")
    except OSError as e:
        return str(e)
'
h_py() { # ARGS... < SCRIPT
	python3 -c "$H_PY$(cat)" "$@"
}

code_is() { [ "$(cat "$H/code")" = "$1" ]; }

check_api() { # DESC STATUS METHOD PATH KEY [curl args...]
	h_cd=$1 h_cs=$2
	shift 2
	api "$@" >/dev/null
	check "$h_cd" code_is "$h_cs"
}

check() { # DESC CMD...
	h_d=$1
	shift
	h_n=$((h_n + 1))
	if "$@"; then echo "ok $h_n - $h_d"; else echo "not ok $h_n - $h_d"; h_fail=1; fi
}

h_done() {
	echo "1..$h_n"
	exit $h_fail
}
