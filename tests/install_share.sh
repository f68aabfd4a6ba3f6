#!/bin/sh
# install_share.sh - `make install` as a user from a tarball meets it (TAP):
# the samples (examples, demo providers, golden paths, demo manifests) land
# under pkgdatadir with the tree's layout, a default config under
# sysconfdir that a second install keeps when the admin changed it, the
# systemd unit verifies, the completion files are there, and uninstall
# removes the default config only while it is unchanged.
set -u
top=${INN_TOP_BUILDDIR:?} srcdir=${INN_TOP_SRCDIR:?}
. "$srcdir/tests/ctl_lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/inn-inst.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
d=$tmp/root
vars() { make -s --no-print-directory -C "$top" -f Makefile -f - inn-print-vars <<'EOF'
inn-print-vars:
	@echo "pkgdatadir=$(pkgdatadir)"; echo "sysconfdir=$(sysconfdir)"
	@echo "unitdir=$(systemdsystemunitdir)"; echo "datadir=$(datadir)"
	@echo "bindir=$(bindir)"; echo "localstatedir=$(localstatedir)"
EOF
}
eval "$(vars)"

make -C "$top" install DESTDIR="$d" >"$tmp/install.log" 2>&1
CHECK_SHOW=$tmp/install.log check "make install DESTDIR=..." $?

# the samples: every file of the tree's examples, providers, workflows and
# demo folders is installed
lost=0
for f in $(cd "$srcdir" && find examples providers workflows demo -type f | sort); do
	[ -f "$d$pkgdatadir/$f" ] || { echo "# missing: $pkgdatadir/$f"; lost=1; }
done
check "examples, demo providers, golden paths and demo manifests are in $pkgdatadir" $lost
[ -x "$d$pkgdatadir/examples/local/platform.sh" ]
check "examples/local/platform.sh keeps its execute bit" $?
# examples/innominatus.yaml's ../providers and ../workflows resolve there
grep -q 'path: \.\./providers/container-team' "$d$pkgdatadir/examples/innominatus.yaml" &&
	[ -f "$d$pkgdatadir/providers/container-team/provider.yaml" ]
check "the installed examples/innominatus.yaml finds the installed demo providers" $?

conf=$d$sysconfdir/innominatus/innominatus.yaml
[ -f "$conf" ] && ! grep -q '@[a-z]*@' "$conf"
check "a default config $sysconfdir/innominatus/innominatus.yaml, paths filled in" $?

# the state folder of the default config, private to the service
st=$d$localstatedir/lib/innominatus
[ -d "$st" ] && [ "$(stat -c %a "$st")" = 750 ]
check "make install creates $localstatedir/lib/innominatus (mode 0750)" $?

# the installed default config starts as installed: the file unchanged,
# the port and the plugins (staged, not yet in $pkglibdir) given in the
# environment, and its db: and stateDir: moved to the staged copy of the
# state folder make install created (a test writes nothing outside its
# own folder): the store and the state folder are created in it
mkdir -p "$tmp/plugins"
cp "$(find "$d" -name shell.so | head -1)" "$tmp/plugins/"
for v in $(env | sed -n 's/^\(INNOMINATUS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export INNOMINATUS_LISTEN=127.0.0.1:0 INNOMINATUS_PLUGIN_DIR=$tmp/plugins
export INNOMINATUS_DB=$st/innominatus.db INNOMINATUS_STATE_DIR=$st/state
if start_server "$conf" "$tmp/server.log"; then r=0; else r=1; fi
[ $r = 0 ] && [ -f "$st/innominatus.db" ]
CHECK_SHOW=$tmp/server.log check "the installed default config starts a server that answers /ready" $?
[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
unset INNOMINATUS_LISTEN INNOMINATUS_PLUGIN_DIR INNOMINATUS_DB INNOMINATUS_STATE_DIR
# the store is the admin's, never an installed file: gone before uninstall's checks
rm -rf "$st"/innominatus.db* "$st/state"

unit=$d$unitdir/innominatus.service
if command -v systemd-analyze >/dev/null; then
	# verified as installed, but with ExecStart pointing at the staged
	# binary: the prefix's own bindir may hold no innominatus yet
	sed "s|^ExecStart=$bindir/|ExecStart=$d$bindir/|" "$unit" >"$tmp/innominatus.service"
	systemd-analyze verify --man=no "$tmp/innominatus.service" >"$tmp/verify.log" 2>&1
	r=$?
else
	echo "# systemd-analyze missing (apt-get install systemd)" >"$tmp/verify.log"; r=1
fi
CHECK_SHOW=$tmp/verify.log check "systemd-analyze verify $unitdir/innominatus.service" $r
grep -qx "ExecStart=$bindir/innominatus --config $sysconfdir/innominatus/innominatus.yaml" "$unit"
check "the unit starts $bindir/innominatus with the installed config" $?

[ -s "$d$datadir/bash-completion/completions/innominatus-ctl" ] &&
	[ -s "$d$datadir/zsh/vendor-completions/_innominatus-ctl" ]
check "bash and zsh completion installed" $?

# an admin's config survives a second install; uninstall keeps it
echo "# changed by the admin" >>"$conf"
make -C "$top" install DESTDIR="$d" >"$tmp/install2.log" 2>&1 &&
	tail -1 "$conf" | grep -q 'changed by the admin'
CHECK_SHOW=$tmp/install2.log check "a second make install keeps a changed config" $?
make -C "$top" uninstall DESTDIR="$d" >"$tmp/uninstall.log" 2>&1 && [ -f "$conf" ]
CHECK_SHOW=$tmp/uninstall.log check "make uninstall keeps a changed config" $?
rm -f "$conf"
make -C "$top" install DESTDIR="$d" >/dev/null 2>&1 &&
	make -C "$top" uninstall DESTDIR="$d" >/dev/null 2>&1 && [ ! -e "$conf" ] &&
	[ -z "$(find "$d" -type f)" ]
check "make uninstall removes an unchanged default config and every installed file" $?
echo "1..$n"
exit $fail
