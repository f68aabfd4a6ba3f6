#!/bin/sh
# pg.sh - a real PostgreSQL 15 for the tests: a private cluster (initdb,
# trust authentication on loopback only) in a folder of its own, on a free
# loopback port; no fsync (test data only).
#
#   pg.sh start DIR [PID]  starts it in DIR (created) unless DIR already
#                          holds one that answers; with PID, a watcher
#                          stops it when process PID is gone (a test
#                          killed by -9 leaves nothing behind).  Writes
#                          DIR/env (below); exit 0, 1 when it did not come
#                          up (DIR/server.log says why), 77 when PostgreSQL
#                          is not installed (set INN_REQUIRE_PG=1 to make
#                          that 1: CI must not skip)
#   pg.sh newdb DIR NAME   creates database NAME (dropped first if it
#                          exists) and prints its URL
#   pg.sh env DIR          prints DIR/env
#   pg.sh stop DIR         stops it (fast shutdown); safe to call twice
#
# DIR/env: PG_PORT, PG_HOST (127.0.0.1), PG_SOCKDIR, PG_URL (the cluster's
# "postgres" database as the superuser postgres), PG_VERSION.  As root the
# server runs as the user postgres (initdb refuses root); as another user,
# as that user.
set -u

die() { echo "pg.sh: $*" >&2; exit 1; }

bindir() {
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

answers() {
	[ -f "$1/env" ] || return 1
	. "$1/env"
	"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null
}

stop() {
	d=$1
	[ -d "$d/data" ] || return 0
	[ -f "$d/watch.pid" ] && kill "$(cat "$d/watch.pid")" 2>/dev/null
	rm -f "$d/watch.pid"
	as_owner "$BIN/pg_ctl" -D "$d/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
	return 0
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg.sh start|newdb|env|stop DIR [...]"
if ! BIN=$(bindir); then
	[ "$cmd" = stop ] && exit 0
	echo "pg.sh: PostgreSQL is not installed (apt-get install postgresql-15)" >&2
	[ "${INN_REQUIRE_PG:-0}" = 1 ] && exit 1
	exit 77
fi

case $cmd in
start)
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	if answers "$dir"; then
		exit 0
	fi
	stop "$dir"
	rm -rf "$dir/data" "$dir/sock"
	mkdir -p "$dir/sock"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "no user postgres (is postgresql-15 installed?)"
		chown postgres "$dir" "$dir/sock"
		# initdb's shell redirects to /dev/null as postgres
		runuser -u postgres -- test -w /dev/null ||
			die "/dev/null is not writable by the user postgres ($(ls -l /dev/null))"
	fi
	as_owner "$BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 \
		--locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	tries=0
	while :; do
		port=$(free_port)
		if as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o \
			"-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off \
			 -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
			start >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		[ $tries -lt 3 ] || { tail -20 "$dir/server.log" >&2; exit 1; }
	done
	ver=$("$BIN/postgres" --version | sed 's/.* //')
	cat >"$dir/env" <<ENV
BIN='$BIN'
PG_HOST=127.0.0.1
PG_PORT=$port
PG_SOCKDIR='$dir/sock'
PG_URL='postgres://postgres@127.0.0.1:$port/postgres'
PG_VERSION='$ver'
ENV
	if [ -n "${3:-}" ]; then
		watched=$3
		(
			trap '' HUP
			while kill -0 "$watched" 2>/dev/null && [ -d "$dir/data" ]; do
				sleep 1
			done
			as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop \
				>/dev/null 2>&1
		) </dev/null >/dev/null 2>&1 &
		echo $! >"$dir/watch.pid"
	fi
	exit 0
	;;
newdb)
	name=${3:-}
	[ -n "$name" ] || die "newdb: no database name"
	answers "$dir" || die "no PostgreSQL answers in $dir (pg.sh start first)"
	"$BIN/psql" -q -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
		-c "CREATE DATABASE \"$name\"" >/dev/null || exit 1
	echo "postgres://postgres@127.0.0.1:$PG_PORT/$name"
	;;
env)
	cat "$dir/env"
	;;
stop)
	[ -f "$dir/env" ] && . "$dir/env"
	stop "$dir"
	;;
*)
	die "unknown command $cmd"
	;;
esac
