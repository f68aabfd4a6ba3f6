#!/bin/sh
# platform.sh - sets up the no-cluster sample platform of examples/local for
# scripts/demo.sh (the README's main job) and tests/main_job.sh:
#
#   platform.sh config DATA [RGW_DIR]
#       writes DATA/innominatus.yaml: examples/local/innominatus.yaml with
#       its provider paths made absolute (its db and state dir stay relative:
#       DATA/innominatus.db, DATA/state).  With RGW_DIR (a Ceph RGW started by
#       tests/s3/rgw.sh, its DIR/env), the S3 section points at that gateway
#       and its admin user's keys go to DATA/s3/ (mode 0600); without it,
#       s3-team and the S3 section are left out.
#   platform.sh spec IN OUT [TYPE=REASON]...
#       copies the Score spec IN to OUT, leaving out its resources of each
#       TYPE (a component they need is missing here: REASON says which), the
#       resources whose params read one left out, and the container
#       variables that read any of them; prints one line per resource left
#       out: "RESOURCE (TYPE): REASON"
#
# Exit 0, or 1 with the reason on stderr.
set -u
die() { echo "platform.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd) || die "cannot find examples/local"

config() {
	data=$1 rgw=${2:-}
	mkdir -p "$data" || die "cannot create $data"
	out="$data/innominatus.yaml"
	if [ -n "$rgw" ]; then
		[ -f "$rgw/env" ] || die "$rgw/env: no S3 server there (tests/s3/rgw.sh start $rgw)"
		RGW_URL="" RGW_ADMIN_KEY="" RGW_ADMIN_SECRET=""
		. "$rgw/env"
		[ -n "$RGW_URL" ] && [ -n "$RGW_ADMIN_KEY" ] && [ -n "$RGW_ADMIN_SECRET" ] ||
			die "$rgw/env lacks RGW_URL or the admin keys"
		mkdir -p "$data/s3" && chmod 700 "$data/s3" || die "cannot create $data/s3"
		(umask 077 && printf '%s\n' "$RGW_ADMIN_KEY" > "$data/s3/access-key" &&
			printf '%s\n' "$RGW_ADMIN_SECRET" > "$data/s3/secret-key") ||
			die "cannot write the S3 keys to $data/s3"
		{
			echo "# written by examples/local/platform.sh from $here/innominatus.yaml:"
			echo "# provider paths made absolute, the S3 server: the Ceph RGW in $rgw"
			sed -e "s|path: providers/|path: $here/providers/|" \
			    -e "s|^    endpoint: http://127.0.0.1:7480\$|    endpoint: $RGW_URL|" \
			    -e "s|goldenpaths: goldenpaths.yaml|goldenpaths: $here/goldenpaths.yaml|" \
			    "$here/innominatus.yaml"
		} > "$out.tmp" || die "cannot write $out"
		grep -q "endpoint: $RGW_URL\$" "$out.tmp" || die "no S3 endpoint line in $here/innominatus.yaml"
	else
		{
			echo "# written by examples/local/platform.sh from $here/innominatus.yaml:"
			echo "# provider paths made absolute; no S3 server, so no s3-team and no S3 section"
			sed -e "s|path: providers/|path: $here/providers/|" \
			    -e "s|goldenpaths: goldenpaths.yaml|goldenpaths: $here/goldenpaths.yaml|" \
			    -e '/name: s3-team/d' -e '/^# --- the S3 server/,$d' \
			    "$here/innominatus.yaml"
		} > "$out.tmp" || die "cannot write $out"
	fi
	mv "$out.tmp" "$out"
}

spec() {
	python3 - "$@" <<'PY' || die "cannot copy the spec $1 to $2"
import re, sys, yaml
src, dst = sys.argv[1], sys.argv[2]
why = dict(a.split("=", 1) for a in sys.argv[3:])
with open(src) as f:
    spec = yaml.safe_load(f)
res = spec.get("resources") or {}
gone = {}
for n, r in res.items():
    if (r or {}).get("type") in why:
        gone[n] = "%s (%s): %s" % (n, r["type"], why[r["type"]])
def reads(x, names):
    if not names:
        return False
    pat = re.compile(r"\$\{resources\.(%s)\." % "|".join(map(re.escape, names)))
    return pat.search(yaml.safe_dump(x)) is not None
more = True
while more:
    more = False
    for n, r in res.items():
        if n not in gone and reads((r or {}).get("params"), list(gone)):
            gone[n] = "%s (%s): it reads the outputs of a resource left out" % (n, r["type"])
            more = True
for n in gone:
    del res[n]
for c in (spec.get("containers") or {}).values():
    v = c.get("variables") or {}
    for k in [k for k, x in v.items() if reads(x, list(gone))]:
        del v[k]
with open(dst, "w") as f:
    f.write("# %s without %s\n" % (src, ", ".join(gone.values()) or "changes"))
    yaml.safe_dump(spec, f, sort_keys=False)
for line in gone.values():
    print(line)
PY
}

case "${1:-}" in
config) [ $# -ge 2 ] || die "usage: platform.sh config DATA [RGW_DIR]"; config "$2" "${3:-}" ;;
spec) [ $# -ge 3 ] || die "usage: platform.sh spec IN OUT [TYPE=REASON]..."; shift; spec "$@" ;;
*) die "usage: platform.sh config DATA [RGW_DIR] | spec IN OUT [TYPE=REASON]..." ;;
esac
