# server_lib.sh - the setup the server's configuration tests share
# (server_config.sh, server_check_agrees.sh, server_log_safety.sh).
# Sourced with $lib_name set (the scratch folder's name); leaves $src,
# $build, $srvbin, $dir (with plugins/shell.so, providers/ and data/),
# $spid (killed at exit, when set), ctl_lib.sh's check, no INNOMINATUS_*
# variable of the caller's environment (none may change what is tested)
# and CHECK_SHOW=$dir/out.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-${lib_name:?}-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
cp -r "$src/tests/data/standin-providers" "$dir/providers"
spid=""
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; rm -rf "$dir"' EXIT
. "$src/tests/ctl_lib.sh"
for v in $(env | sed -n 's/^\(INNOMINATUS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
CHECK_SHOW="$dir/out"
