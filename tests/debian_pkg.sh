#!/bin/bash
# debian_pkg.sh - the Debian packages as an administrator meets them (TAP):
# builds them with dpkg-buildpackage in a copy of the tree, runs lintian,
# installs them on this machine, checks what landed where, starts the
# server the way its systemd unit would (no systemd as PID 1 here: the
# unit's ExecStart, User, WorkingDirectory, Environment and UMask are read
# from the installed unit, and a stand-in notify socket listens), reloads
# and stops it, builds and loads an out-of-tree plugin against
# libinnominatus-plugin-dev, then purges everything and checks nothing is
# left.  Run as root by .ci/run (not by make check: it installs packages).
#
#   bash tests/debian_pkg.sh [SRCDIR]
# Environment: INN_DEB_OUT=DIR keeps the build there (default: a temp dir);
#   INN_DEB_NOCHECK=1 builds with DEB_BUILD_OPTIONS=nocheck.
set -u
src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
n=0
fail=0
PKGS="innominatus innominatus-ctl innominatus-data innominatus-plugins-core
innominatus-plugins-infra libinnominatus-plugin-dev"

check() { # DESC STATUS [FILE shown on failure]
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		fail=1
		if [ -n "${3:-}" ] && [ -f "$3" ]; then tail -40 "$3" | sed 's/^/# /'; fi
	fi
}
note() { sed 's/^/# /'; }
finish() {
	echo "1..$n"
	exit $fail
}

# --- what the test needs: fail (not skip) when it is missing ---------------
missing=""
for c in dpkg-buildpackage lintian systemd-analyze python3 man pkg-config gcc curl \
	setpriv apt-get git; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
[ "$(id -u)" = 0 ] || missing="$missing (root)"
if [ -n "$missing" ]; then
	check "prerequisites present:$missing" 1
	finish
fi
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
plugindir=/usr/lib/$ma/innominatus/plugins

# a previous run that stopped half-way may have left the packages installed
dpkg --purge $PKGS >/dev/null 2>&1

work=${INN_DEB_OUT:-$(mktemp -d /tmp/inn-deb.XXXXXX)}
rm -rf "$work/innominatus-0.1.0"
mkdir -p "$work/innominatus-0.1.0"
tree=$work/innominatus-0.1.0
run=$(mktemp -d /tmp/inn-debrun.XXXXXX)
chmod 0755 "$run"
spid="" lpid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	rm -rf "$run"
	[ -n "${INN_DEB_OUT:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# --- build ------------------------------------------------------------------
# the tracked files as they are in the work tree (a fresh clone in CI)
(cd "$src" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$tree"
check "source tree copied" $?
opts="parallel=$(nproc)"
[ -n "${INN_DEB_NOCHECK:-}" ] && opts="$opts nocheck"
(cd "$tree" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
check "dpkg-buildpackage -us -uc -b ($opts)" $? "$work/build.log"
changes=$(ls "$work"/innominatus_0.1.0-1_*.changes 2>/dev/null | head -1)
debs=""
for p in $PKGS; do
	d=$(ls "$work/${p}_0.1.0-1_"*.deb 2>/dev/null | head -1)
	[ -n "$d" ] && debs="$debs $d"
done
[ "$(echo $debs | wc -w)" = 6 ] && [ -n "$changes" ]
check "six packages and a .changes built" $?
if [ -z "$changes" ]; then finish; fi
grep -E '^(PASS|FAIL|ERROR|# (TOTAL|PASS|FAIL)):?' "$work/build.log" | note

# --- lintian -----------------------------------------------------------------
lintian --info --display-level '>=warning' "$changes" >"$work/lintian.log" 2>&1
grep -q '^E: ' "$work/lintian.log"
[ $? = 1 ]
check "lintian: no error" $? "$work/lintian.log"
grep -E '^(W|E): ' "$work/lintian.log" | sort -u | note

# --- install -----------------------------------------------------------------
apt-get install -y -q --no-install-recommends $debs >"$work/install.log" 2>&1
check "apt-get install of the six packages" $? "$work/install.log"
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'
	check "$p installed" $?
done

unit=/lib/systemd/system/innominatus.service
conf=/etc/innominatus/innominatus.yaml
[ -f "$unit" ]
check "the unit is $unit" $?
grep -qx "$conf" /var/lib/dpkg/info/innominatus.conffiles 2>/dev/null
check "$conf is a conffile" $?
[ -L /etc/systemd/system/multi-user.target.wants/innominatus.service ]
check "the unit is enabled (multi-user.target)" $?
systemd-analyze verify "$unit" >"$work/verify.log" 2>&1
check "systemd-analyze verify $unit" $? "$work/verify.log"
systemd-analyze security --offline=yes "$unit" >"$work/security.log" 2>&1
score=$(sed -n 's/.*Overall exposure level for innominatus.service: \([0-9.]*\).*/\1/p' \
	"$work/security.log")
echo "# systemd-analyze security: exposure ${score:-?} (0 best, 10 worst)"
awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 <= 2.0) }'
check "systemd-analyze security: exposure at most 2.0 (is ${score:-?})" $? "$work/security.log"

nso=$(ls "$plugindir"/*.so 2>/dev/null | wc -l)
[ "$nso" = 8 ]
check "8 plugins in $plugindir (found $nso)" $?
innominatus-ctl plugins >"$work/plugins.log" 2>&1
grep -q "Plugin directory: *$plugindir" "$work/plugins.log" && grep -q 'Loaded (8)' "$work/plugins.log"
check "innominatus-ctl plugins loads all 8 from the compiled-in directory" $? "$work/plugins.log"
[ "$(pkg-config --variable=plugindir innominatus-plugin)" = "$plugindir" ]
check "innominatus-plugin.pc: plugindir is $plugindir" $?

for page in innominatus.8 innominatus-ctl.1 innominatus.yaml.5 innominatus-plugin.7; do
	sec=${page##*.}
	f=/usr/share/man/man$sec/$page.gz
	out=$(MANWIDTH=80 man -l --warnings "$f" 2>&1 >/dev/null)
	[ -f "$f" ] && [ -z "$out" ] && [ -n "$(MANWIDTH=80 man -l "$f" 2>/dev/null)" ]
	check "man -l $f renders without warnings" $?
	[ -n "$out" ] && echo "$out" | head -5 | note
done

bc=/usr/share/bash-completion/completions/innominatus-ctl
zc=/usr/share/zsh/vendor-completions/_innominatus-ctl
[ -s "$bc" ] && bash -n "$bc"
check "bash completion $bc is there and parses" $?
if command -v zsh >/dev/null; then
	[ -s "$zc" ] && zsh -n "$zc"
	check "zsh completion $zc is there and parses" $?
else
	[ -s "$zc" ]
	check "zsh completion $zc is there (no zsh to parse it)" $?
fi
innominatus-ctl completion bash 2>/dev/null | cmp -s - "$bc"
check "the bash completion is what innominatus-ctl completion bash prints" $?

# every sample of the source tree is in /usr/share/innominatus, same layout
(cd "$src" && git ls-files examples/innominatus.yaml examples/admin-config.yaml \
	examples/dev-team-app.yaml examples/local examples/hello-plugin providers workflows \
	demo) >"$work/share.want"
lost=0
while read -r f; do
	[ -f "/usr/share/innominatus/$f" ] || { echo "missing: /usr/share/innominatus/$f"; lost=1; }
done <"$work/share.want" >"$work/share.log"
[ $lost = 0 ] && [ -s "$work/share.want" ]
check "every example, demo provider and golden path is in /usr/share/innominatus" $? "$work/share.log"

u=$(getent passwd innominatus)
uid=$(echo "$u" | cut -d: -f3)
[ -n "$u" ] && [ "$uid" -lt 1000 ] && [ "$(echo "$u" | cut -d: -f7)" = /usr/sbin/nologin ]
check "system user innominatus (uid ${uid:-none}, no login shell)" $?
[ "$(stat -c %U:%a /var/lib/innominatus 2>/dev/null)" = innominatus:750 ]
check "/var/lib/innominatus belongs to innominatus, mode 0750" $?

# --- the server as its unit starts it ------------------------------------------
# unit_get KEY: the value of KEY= in the [Service] section (last one wins)
unit_get() {
	awk -v k="$1" '/^\[/ { s = ($0 == "[Service]") } s && index($0, k "=") == 1 {
		v = substr($0, length(k) + 2) } END { print v }' "$unit"
}
exec_start=$(unit_get ExecStart)
exec_reload=$(unit_get ExecReload)
user=$(unit_get User)
group=$(unit_get Group)
wdir=$(unit_get WorkingDirectory)
umask_v=$(unit_get UMask)
envs=$(awk '/^\[/ { s = ($0 == "[Service]") } s && /^Environment=/ {
	print substr($0, 13) }' "$unit")
echo "# ExecStart=$exec_start User=$user Group=$group WorkingDirectory=$wdir UMask=$umask_v"
[ -n "$exec_start" ] && [ -n "$user" ] && [ -n "$wdir" ]
check "the unit names ExecStart, User and WorkingDirectory" $?
# the port the installed config listens on
listen=$(sed -n 's/^  listen: *\([^ #]*\).*/\1/p' "$conf" | head -1)
port=${listen##*:}
echo "# configured listen: $listen"
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
	check "port $port is free for the test" 1
	finish
fi

notify=$run/notify
python3 "$src/tests/notify_listen.py" "$run/notify.sock" "$notify" 120 &
lpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q LISTENING "$notify" 2>/dev/null; do i=$((i + 1)); sleep 0.05; done
# the unit's command, its words split as systemd does for these simple values
read -r -a argv <<<"$exec_start"
env_args=()
while read -r e; do [ -n "$e" ] && env_args+=("$e"); done <<<"$envs"
(
	cd "$wdir" || exit 1
	umask "${umask_v:-0022}"
	exec setpriv --reuid="$user" --regid="${group:-$user}" --init-groups \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 NOTIFY_SOCKET="$run/notify.sock" "${env_args[@]}" "${argv[@]}"
) >"$run/server.log" 2>&1 &
spid=$!
ok=1
for i in $(seq 1 200); do
	if curl -sf -o /dev/null --max-time 2 "http://$listen/ready"; then ok=0; break; fi
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
check "the server started as the unit would answers /ready (200) on $listen" $ok "$run/server.log"
for i in $(seq 1 50); do grep -q '^READY=1' "$notify" && break; sleep 0.1; done
grep -q '^READY=1' "$notify"
check "READY=1 arrives on \$NOTIFY_SOCKET" $? "$run/server.log"
[ "$(stat -c %U "$wdir/innominatus.db" 2>/dev/null)" = "$user" ] &&
	[ "$(stat -c %a "$wdir/innominatus.db" 2>/dev/null)" = 600 ]
check "the store $wdir/innominatus.db is the service user's, mode 0600" $?
# the dashboard is in the packaged binary: served at / with its CSP
curl -s -D "$run/ui.h" -o "$run/ui.html" --max-time 5 "http://$listen/"
grep -qi '^content-type: text/html' "$run/ui.h" && grep -qi '^content-security-policy: .*script-src .self.' "$run/ui.h" &&
	grep -q '<script type="module" src="/ui/app.js">' "$run/ui.html" &&
	curl -sf -o /dev/null --max-time 5 "http://$listen/ui/app.js"
check "the installed server serves the dashboard (/ as HTML with a CSP, /ui/app.js)" $? "$run/ui.h"

# ExecReload with $MAINPID
reload=${exec_reload//\$MAINPID/$spid}
reload=${reload//\$\{MAINPID\}/$spid}
ready_before=$(grep -c '^READY=1' "$notify")
read -r -a rargv <<<"$reload"
"${rargv[@]}"
check "ExecReload ($exec_reload) runs" $?
for i in $(seq 1 50); do
	[ "$(grep -c '^READY=1' "$notify")" -gt "$ready_before" ] && break
	sleep 0.1
done
grep -q '^RELOADING=1' "$notify" && [ "$(grep -c '^READY=1' "$notify")" -gt "$ready_before" ]
check "the reload says RELOADING=1 then READY=1" $? "$run/server.log"
curl -sf -o /dev/null --max-time 5 "http://$listen/ready" && kill -0 "$spid"
check "after SIGHUP the server still serves /ready" $? "$run/server.log"
kill -TERM "$spid"
rc=124
for i in $(seq 1 600); do
	if ! kill -0 "$spid" 2>/dev/null; then wait "$spid"; rc=$?; break; fi
	sleep 0.1
done
spid=""
[ $rc = 0 ]
check "SIGTERM stops it cleanly (exit $rc)" $? "$run/server.log"
grep -q '^STOPPING=1' "$notify"
check "STOPPING=1 arrives on \$NOTIFY_SOCKET" $?
echo "# notify messages:"; note <"$notify"
kill "$lpid" 2>/dev/null; lpid=""

# --- an out-of-tree plugin against libinnominatus-plugin-dev -------------------
mkdir -p "$run/plug"
gcc -Wall -Wextra -shared -fPIC $(pkg-config --cflags innominatus-plugin) \
	-o "$run/plug/hello.so" /usr/share/innominatus/examples/hello-plugin/hello.c \
	>"$run/plug.log" 2>&1
check "the example plugin builds with pkg-config --cflags innominatus-plugin" $? "$run/plug.log"
innominatus-ctl plugins --plugin-dir "$run/plug" >"$run/plug.log" 2>&1 &&
	grep -q 'Loaded (1)' "$run/plug.log" && grep -qw hello "$run/plug.log"
check "innominatus-ctl plugins --plugin-dir loads it" $? "$run/plug.log"

# --- purge ---------------------------------------------------------------------
dpkg --purge $PKGS >"$work/purge.log" 2>&1
check "dpkg --purge of the six packages" $? "$work/purge.log"
left=""
for p in /etc/innominatus /var/lib/innominatus /usr/lib/$ma/innominatus /usr/share/innominatus \
	/usr/include/innominatus "$unit" /etc/systemd/system/multi-user.target.wants/innominatus.service \
	/usr/bin/innominatus /usr/bin/innominatus-ctl; do
	[ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
[ -z "$left" ]
check "nothing is left after purge${left:+ (left:$left)}" $?
gone=0
for p in $PKGS; do
	dpkg -L "$p" >/dev/null 2>&1 && gone=1
	ls /var/lib/dpkg/info/"$p".* /var/lib/dpkg/info/"$p":*.* >/dev/null 2>&1 && gone=1
done
[ $gone = 0 ]
check "dpkg knows none of the packages any more (dpkg -L, info files)" $?
owned=$(find / -xdev \( -path /proc -o -path /sys \) -prune -o -user innominatus -print 2>/dev/null |
	head -5)
[ -z "$owned" ]
check "no file belongs to the user innominatus any more${owned:+: $owned}" $?
# Debian keeps system users on purge (their uid is not handed out again)
getent passwd innominatus >/dev/null && echo "# the system user innominatus is kept, as Debian does"
finish
