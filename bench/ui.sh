#!/bin/sh
# ui.sh - the dashboard's weight and speed, against references in the same run:
#   - every asset of ui/ as the server sends it (gzip) and the total
#     (target: under 150 KB compressed);
#   - wrk -t2 -c64 -d5s on GET / and GET /ui/app.js (gzip), and on nginx
#     serving the same files and the same gzip bytes (gzip_static); prints
#     the ratios;
#   - the first page usable in headless Chromium: from the navigation's
#     start to the executions table in the page (a server with 200
#     executions; signed in through #key=), 15 loads with the browser's
#     cache emptied before each (a user opening the dashboard in a running
#     browser), median and worst (target: under 200 ms on loopback); the
#     same page through nginx serving the same bytes (the API proxied to
#     the server) as the reference.
# Needs: wrk, nginx (apt-get install wrk nginx-light), curl, node, chromium,
# and the browser tests' npm packages (make check TESTS=tests/ui_frame.sh
# installs them under BUILD_DIR/tests/ui).
#
# usage: bench/ui.sh [BUILD_DIR]   (default: ./_build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
build=$(cd "$build" && pwd)
srv="$build/innominatus"
for t in wrk nginx curl node python3; do
	command -v $t >/dev/null || { echo "ui.sh: $t is needed (apt-get install wrk nginx-light nodejs chromium)" >&2; exit 1; }
done
[ -x "$srv" ] || { echo "ui.sh: build first ($srv missing)" >&2; exit 1; }
[ -f "$build/tests/ui/node_modules/playwright-core/package.json" ] ||
	{ echo "ui.sh: run make check TESTS=tests/ui_frame.sh in $build first (it installs playwright-core)" >&2; exit 1; }
. "$top/bench/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-uibench-XXXXXX")
chmod 755 "$work"
spid=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$work/plugins" "$work/prov/bench/workflows" "$work/www"
chmod 755 "$work/plugins"
install -m 755 "$build/plugins/shell/.libs/shell.so" "$work/plugins/shell.so"
printf 'name: bench\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$work/prov/bench/provider.yaml"
printf 'name: echo\nsteps:\n  - {name: a, type: shell, config: {script: "echo hi"}}\n' > "$work/prov/bench/workflows/echo.yaml"
key=$("$srv" --db "$work/inn.db" --config /dev/null --create-admin-key bench)
port=$(free_port)
"$srv" --db "$work/inn.db" --listen "127.0.0.1:$port" --plugin-dir "$work/plugins" \
	--providers "$work/prov" --config /dev/null --state-dir "$work/state" --access-log false 2>"$work/server.log" &
spid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do sleep 0.02; done
base="http://127.0.0.1:$port"
i=0
while [ $i -lt 200 ]; do
	curl -sf -o /dev/null -H "Authorization: Bearer $key" -d '{"workflow":"bench/echo"}' "$base/api/workflows/run"
	i=$((i + 1))
done

# the assets: ui/ as the server sends it
total=0 totalz=0
echo "assets (raw -> gzip as sent):"
for f in $(cd "$top" && find ui -type f ! -name embed.sh | sort); do
	case $f in ui/index.html) u=/ ;; *) u=/$f ;; esac
	mkdir -p "$work/www/$(dirname "$f")"
	curl -sf -o "$work/www/$f" "$base$u"
	curl -sf -H 'Accept-Encoding: gzip' -o "$work/www/$f.gz" "$base$u"
	raw=$(wc -c < "$work/www/$f")
	z=$(curl -sf -H 'Accept-Encoding: gzip' "$base$u" | wc -c)
	total=$((total + raw)) totalz=$((totalz + z))
	printf '  %-28s %7d -> %6d bytes\n' "$u" "$raw" "$z"
done
awk -v t="$total" -v z="$totalz" 'BEGIN {
	printf "all assets: %d bytes, %d gzip (%.1f KB; target < 150 KB): %s\n", t, z, z / 1024, z < 150 * 1024 ? "met" : "MISSED" }'

# nginx: the same files and gzip copies (gzip_static), the API proxied to the server
nport=$(free_port)
cp "$work/www/ui/index.html" "$work/www/index.html"
cp "$work/www/ui/index.html.gz" "$work/www/index.html.gz"
bench_nginx "$nport" "$work/www" "include /etc/nginx/mime.types; gzip_static on;" \
	"location /api/ { proxy_pass http://127.0.0.1:$port; proxy_buffering off; proxy_http_version 1.1; }"
rps() { wrk -t2 -c64 -d5s "$@" | awk '/Requests\/sec/ {print $2}'; }
for u in / /ui/app.js; do
	a=$(rps -H 'Accept-Encoding: gzip' "$base$u")
	b=$(rps -H 'Accept-Encoding: gzip' "http://127.0.0.1:$nport$u")
	awk -v u="$u" -v a="$a" -v b="$b" 'BEGIN {
		printf "GET %s (gzip): %.0f req/s; nginx, same bytes: %.0f req/s; ratio %.2fx\n", u, a, b, a / b }'
done

# the first page usable, in Chromium
cat > "$work/load.mjs" <<'JS'
import {createRequire} from 'node:module';
const require = createRequire(process.env.MODS + '/package.json');
const {chromium} = require('playwright-core');
const [,, base, ref, key] = process.argv;
const browser = await chromium.launch({executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync']});
// one tab, its cache emptied before each load; the time is read on the
// page's own clock when the table appears (an observer installed before
// the page's scripts, outside its CSP), not when a poll notices it
const ctx = await browser.newContext();
const page = await ctx.newPage();
const cdp = await ctx.newCDPSession(page);
await cdp.send('Network.enable');
await page.addInitScript(() => {
	new MutationObserver((_, obs) => {
		if (document.querySelector('[data-page="executions"] tbody tr')) {
			window.__usable = performance.now();
			obs.disconnect();
		}
	}).observe(document, {childList: true, subtree: true});
});
async function load(url) {
	await cdp.send('Network.clearBrowserCache');
	await page.goto('about:blank');
	await page.goto(url + '/#key=' + encodeURIComponent(key), {waitUntil: 'commit'});
	await page.waitForFunction(() => window.__usable !== undefined);
	const ms = await page.evaluate(() => window.__usable);
	await page.evaluate(() => sessionStorage.clear());
	return ms;
}
function stats(a) { const s = [...a].sort((x, y) => x - y); return {med: s[s.length >> 1], max: s[s.length - 1]}; }
const runs = {server: [], nginx: []};
await load(base); await load(ref);   // warm: the server's first requests, the browser's caches of itself
for (let i = 0; i < 15; i++) { runs.server.push(await load(base)); runs.nginx.push(await load(ref)); }
const a = stats(runs.server), b = stats(runs.nginx);
console.log(`first page usable (navigation to the executions table in the page, 15 loads, cache emptied): median ${a.med.toFixed(0)} ms, ` +
	`worst ${a.max.toFixed(0)} ms (target < 200 ms): ${a.max < 200 ? 'met' : a.med < 200 ? 'met at the median' : 'MISSED'}`);
console.log(`  nginx serving the same bytes (API proxied): median ${b.med.toFixed(0)} ms, worst ${b.max.toFixed(0)} ms; ` +
	`ratio of medians ${(b.med / a.med).toFixed(2)}x`);
await browser.close();
JS
MODS="$build/tests/ui" node "$work/load.mjs" "$base" "http://127.0.0.1:$nport" "$key"
