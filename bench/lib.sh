# lib.sh - what the server benchmarks (bench/hostile.sh, bench/streams.sh)
# share: the tools they need, a private work folder removed on exit with
# the processes they started ($spid: the server, $lpid: a load client), and
# a plugin folder holding shell.so.
#
#   bench_init NAME     needs $build; sets $srv and $work
bench_init() {
	srv="$build/innominatus"
	for t in wrk python3 curl; do
		command -v $t >/dev/null || { echo "$1.sh: $t is needed (apt-get install wrk)" >&2; exit 1; }
	done
	[ -x "$srv" ] || { echo "$1.sh: build first ($srv missing)" >&2; exit 1; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/inn-$1bench-XXXXXX")
	chmod 755 "$work"
	trap bench_cleanup EXIT
	mkdir -p "$work/plugins" "$work/state"
	chmod 755 "$work/plugins"
	install -m 755 "$build/plugins/shell/.libs/shell.so" "$work/plugins/shell.so"
}

bench_cleanup() {
	[ -n "${lpid:-}" ] && kill "$lpid" 2>/dev/null
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	sleep 0.2
	rm -rf "$work"
}
