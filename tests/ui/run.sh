#!/bin/sh
# run.sh NAME - runs the dashboard's browser test tests/ui/NAME.test.mjs
# (TAP).  The npm packages (playwright-core, axe-core) are pinned in
# package-lock.json and installed once under the build tree; Chromium is
# Debian's (/usr/bin/chromium, scripts/deps.sh installs it).
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
name=${1:?}
for tool in node npm; do
	command -v "$tool" >/dev/null 2>&1 || { echo "Bail out! $tool is needed (apt-get install nodejs npm)"; exit 1; }
done
[ -x "${INN_CHROMIUM:-/usr/bin/chromium}" ] ||
	{ echo "Bail out! Chromium is needed (apt-get install chromium; scripts/deps.sh does it)"; exit 1; }
mods="$build/tests/ui"
mkdir -p "$mods"
# one install at a time (make check -j runs the ui tests side by side)
lock="$mods/.npm-lock"
i=0
until mkdir "$lock" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "Bail out! $lock is held for 10 minutes"; exit 1; }
	sleep 1
done
trap 'rmdir "$lock" 2>/dev/null' EXIT
if ! cmp -s "$src/tests/ui/package-lock.json" "$mods/package-lock.json" ||
   [ ! -f "$mods/node_modules/playwright-core/package.json" ] || [ ! -f "$mods/node_modules/axe-core/axe.min.js" ]; then
	if [ "$(cd "$src" && pwd -P)" != "$(cd "$build" && pwd -P)" ]; then
		cp "$src/tests/ui/package.json" "$src/tests/ui/package-lock.json" "$mods/"
		chmod u+w "$mods/package.json" "$mods/package-lock.json"
	fi
	if ! (cd "$mods" && npm ci --no-audit --no-fund --prefer-offline) >"$mods/npm.log" 2>&1; then
		echo "Bail out! npm ci failed (is the npm registry, $(npm config get registry), reachable?):"
		tail -20 "$mods/npm.log" | sed 's/^/# /'
		exit 1
	fi
fi
rmdir "$lock"
trap - EXIT
INN_UI_MODULES="$mods" exec node "$src/tests/ui/$name.test.mjs"
