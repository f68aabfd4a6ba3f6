#!/bin/sh
# rgw.sh - a real S3 server for the tests: a Ceph RADOS Gateway on a tiny
# RADOS cluster (one mon, one memstore OSD, cephx off, no mgr) in a folder
# of its own, on free loopback ports.
#
#   rgw.sh start DIR [PID]  starts it in DIR (created) unless DIR already
#                           holds one that answers; with PID, a watcher
#                           stops it when process PID is gone (a test
#                           killed by -9 leaves nothing behind). Writes
#                           DIR/env (shell assignments, below); exit 0,
#                           1 when it did not come up (DIR/log/ says why),
#                           77 when radosgw/ceph-mon/ceph-osd are missing
#   rgw.sh env DIR          prints DIR/env
#   rgw.sh stop DIR         stops every daemon started in DIR (TERM, then
#                           KILL after 5 s); safe to call twice
#
# RGW_DNS_NAME (default localhost): the gateway's public host name, for a
# gateway behind a proxy (Host headers naming another host are read as a
# bucket name); requests to 127.0.0.1 are path-style whatever it is.
# DIR/env: RGW_URL (http://127.0.0.1:PORT), RGW_TLS_URL (https, a
# self-signed certificate: RGW_CA is its file), RGW_VERSION, and the keys of
# two users: RGW_ADMIN_KEY/RGW_ADMIN_SECRET ("inn-admin": users=* and
# buckets=* admin caps) and RGW_OTHER_KEY/RGW_OTHER_SECRET ("inn-other": a
# plain user, for buckets owned by somebody else).
set -u

die() { echo "rgw.sh: $*" >&2; exit 1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pids of the daemons started in $1 (their pid files)
daemon_pids() {
	for f in "$1"/run/*.pid; do
		[ -f "$f" ] && cat "$f"
	done
}

stop() {
	d=$1
	[ -d "$d/run" ] || return 0
	[ -f "$d/run/watch.pid" ] && kill "$(cat "$d/run/watch.pid")" 2>/dev/null
	rm -f "$d/run/watch.pid"
	pids=$(daemon_pids "$d")
	[ -n "$pids" ] || return 0
	kill $pids 2>/dev/null
	i=0
	while [ $i -lt 50 ]; do
		alive=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1; i=$((i + 1))
	done
	[ -n "$alive" ] && kill -9 $alive 2>/dev/null
	rm -f "$d"/run/*.pid
	return 0
}

answers() {
	[ -f "$1/env" ] || return 1
	u=$(sed -n "s/^RGW_URL='\(.*\)'$/\1/p" "$1/env")
	[ -n "$u" ] && curl -s -o /dev/null --max-time 2 "$u/"
}

start() {
	d=$1 watch=${2:-}
	for p in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool; do
		command -v $p >/dev/null || { echo "rgw.sh: $p not installed (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw)" >&2; exit 77; }
	done
	mkdir -p "$d" || die "cannot create $d"
	d=$(cd "$d" && pwd)
	if answers "$d"; then
		return 0
	fi
	stop "$d"
	rm -rf "$d/mon" "$d/osd0" "$d/rgw" "$d/run" "$d/log" "$d/env" "$d/monmap" \
		"$d/tls.key" "$d/tls.crt"
	mkdir -p "$d/mon" "$d/osd0" "$d/rgw" "$d/run" "$d/log"
	fsid=$(cat /proc/sys/kernel/random/uuid)
	ouuid=$(cat /proc/sys/kernel/random/uuid)
	mport=$(free_port) && rport=$(free_port) && tport=$(free_port) || die "no free port"
	# a self-signed certificate for the TLS port (its own CA)
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$d/tls.key" -out "$d/tls.crt" \
		>/dev/null 2>&1 || die "openssl cannot make a certificate"
	cat > "$d/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mport
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# the OSD is put into the crush map below; letting it do that itself at
# start sends a mon command that, without cephx, races its own fsid and
# can kill it ("mon_cmd_maybe_osd_create fail: 'wrong fsid'")
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 1073741824
run dir = $d/run
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
pid file = $d/run/\$name.pid
keyring = /dev/null
[mon.a]
mon data = $d/mon
[osd.0]
osd data = $d/osd0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rport ssl_endpoint=127.0.0.1:$tport ssl_certificate=$d/tls.crt ssl_private_key=$d/tls.key
rgw data = $d/rgw
rgw dns name = ${RGW_DNS_NAME:-localhost}
CONF
	export CEPH_CONF="$d/ceph.conf"
	log="$d/log/start.log"
	{
		monmaptool --create --add a "v1:127.0.0.1:$mport" --fsid "$fsid" "$d/monmap" &&
		ceph-mon --mkfs -i a --monmap "$d/monmap" &&
		ceph-mon -i a 9>&- &&
		ceph --connect-timeout 20 osd create "$ouuid" &&
		ceph-osd -i 0 --mkfs --osd-uuid "$ouuid" &&
		ceph osd crush add-bucket localhost host &&
		ceph osd crush move localhost root=default &&
		ceph osd crush add osd.0 1.0 host=localhost &&
		ceph-osd -i 0 9>&-
	} >"$log" 2>&1 || { stop "$d"; die "the RADOS cluster did not start (see $log)"; }
	[ -n "$watch" ] && watcher "$d" "$watch"
	i=0
	until ceph osd stat 2>/dev/null | grep -q "1 up"; do
		i=$((i + 1)); [ $i -gt 120 ] && { stop "$d"; die "the OSD did not come up"; }
		sleep 0.5
	done
	radosgw -n client.rgw.a >>"$log" 2>&1 9>&- || { stop "$d"; die "radosgw did not start (see $log)"; }
	i=0
	until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$rport/"; do
		i=$((i + 1)); [ $i -gt 240 ] && { stop "$d"; die "radosgw does not answer on port $rport"; }
		sleep 0.5
	done
	ak=INNADMIN$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	sk=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	ok=INNOTHER$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
	osk=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	{
		radosgw-admin user create --uid=inn-admin --display-name=inn-admin \
			--access-key="$ak" --secret-key="$sk" --caps='users=*;buckets=*' &&
		radosgw-admin user create --uid=inn-other --display-name=inn-other \
			--access-key="$ok" --secret-key="$osk"
	} >>"$log" 2>&1 || { stop "$d"; die "cannot create the users (see $log)"; }
	ver=$(radosgw --version 2>/dev/null | sed -n 's/^ceph version \([^ ]*\) .*(\([a-z]*\)).*/\1 \2/p')
	cat > "$d/env.tmp" <<ENV
RGW_URL='http://127.0.0.1:$rport'
RGW_TLS_URL='https://127.0.0.1:$tport'
RGW_CA='$d/tls.crt'
RGW_VERSION='$ver'
RGW_ADMIN_KEY='$ak'
RGW_ADMIN_SECRET='$sk'
RGW_OTHER_KEY='$ok'
RGW_OTHER_SECRET='$osk'
ENV
	mv "$d/env.tmp" "$d/env"
}

# a background process, in a session of its own (so nothing that ends the
# caller's process group ends it), that stops the cluster in $1 once
# process $2 is gone (or a zombie)
watcher() {
	rm -f "$1/run/watch.pid"
	setsid sh "$self" watch "$1" "$2" </dev/null >/dev/null 2>&1 9>&- &
	i=0
	while [ ! -s "$1/run/watch.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

watch() {
	echo $$ > "$1/run/watch.pid"
	trap '' HUP INT
	while alive "$2" && [ -f "$1/run/watch.pid" ]; do sleep 1; done
	[ -f "$1/run/watch.pid" ] && { rm -f "$1/run/watch.pid"; stop "$1"; }
}

self=$0
case "${1:-}" in
watch) watch "$2" "$3" ;;
start)
	[ $# -ge 2 ] || die "usage: rgw.sh start DIR [PID]"
	# Two clusters starting at once (tests run in parallel) can race for
	# the same free port between free_port and the daemon's bind, and a
	# half-started mon then answers the other cluster ("wrong fsid"):
	# starts take turns (flock), and a failed start is tried again on new
	# ports, at most three times.  The daemons do not inherit the lock (9>&-).
	exec 9>"${TMPDIR:-/tmp}/inn-rgw-start.lock"
	command -v flock >/dev/null && flock 9
	n=1
	while :; do
		(start "$2" "${3:-}")
		rc=$?
		{ [ $rc -eq 0 ] || [ $rc -eq 77 ] || [ $n -ge 3 ]; } && exit $rc
		echo "rgw.sh: start attempt $n failed; trying again on new ports" >&2
		n=$((n + 1))
	done ;;
stop) [ $# -ge 2 ] || die "usage: rgw.sh stop DIR"; stop "$2" ;;
env) [ $# -ge 2 ] || die "usage: rgw.sh env DIR"; cat "$2/env" ;;
*) die "usage: rgw.sh start DIR [PID] | env DIR | stop DIR" ;;
esac
