#!/bin/sh
# plugins.sh - what a step of the API-speaking plugins costs next to the
# command-line tool a platform team would otherwise script, against the
# same server in the same run:
#
#   kubernetes.so  one step server-side applying N ConfigMaps (one YAML
#                  stream) with `innominatus-ctl run --local`, against
#                  `kubectl apply --server-side -f` of the same file; both
#                  talk HTTPS with a client certificate to the Kubernetes
#                  API stand-in (tests/standins/kube_apiserver.py), which
#                  serves both the same way, so the ratio is the clients'
#                  difference (process start, discovery, requests).
#   minio.so       (when radosgw is installed) one step creating a bucket
#                  with versioning and tags, against curl doing the same
#                  three signed S3 requests, both against a real Ceph RGW.
#
# Prints the best of ROUNDS (default 5) for each and the ratios; no target
# is asserted.  usage: bench/plugins.sh [BUILD_DIR]   (default ./_build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
ctl="$build/innominatus-ctl"
n=${N:-50}
rounds=${ROUNDS:-5}
[ -x "$ctl" ] || { echo "plugins.sh: build first ($ctl missing)" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "plugins.sh: kubectl is needed" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-pbench-XXXXXX")
rgw=""
cleanup() {
	[ -n "${kube_pid:-}" ] && kill "$kube_pid" 2>/dev/null
	[ -n "$rgw" ] && sh "$top/tests/s3/rgw.sh" stop "$rgw" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir -m 755 "$work/plugins"
for p in kubernetes minio; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$work/plugins/$p.so"
done
INN_TOP_SRCDIR=$top
. "$top/tests/standins/kube_lib.sh"

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
# best A B: the smaller of two millisecond figures (empty A: B)
best() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }

# ---- kubernetes.so vs kubectl --------------------------------------------
kube_start "$work/k" --gen-certs "$work/certs" >/dev/null ||
	{ echo "plugins.sh: the Kubernetes stand-in did not start" >&2; exit 1; }
kubectl --kubeconfig "$kube_config" create namespace bench >/dev/null
i=1
: > "$work/cms.yaml"
while [ $i -le "$n" ]; do
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d, namespace: bench}\ndata: {k: "v%d"}\n' $i $i >> "$work/cms.yaml"
	i=$((i + 1))
done
cat > "$work/kube.yaml" <<EOF
name: bench-kube
steps:
  - name: apply
    type: kubernetes
    config:
      kubeconfig: $kube_config
      manifest_path: cms.yaml
EOF
cp "$work/cms.yaml" "$work/kcms.yaml"
kp=""
kr=""
r=1
while [ $r -le "$rounds" ]; do
	t0=$(now)
	"$ctl" run --local "$work/kube.yaml" --plugin-dir "$work/plugins" --config /dev/null \
		>/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	t1=$(now)
	kubectl --kubeconfig "$kube_config" apply --server-side --field-manager bench \
		--force-conflicts -f "$work/kcms.yaml" >/dev/null
	t2=$(now)
	kp=$(best "$kp" "$(ms "$t0" "$t1")")
	kr=$(best "$kr" "$(ms "$t1" "$t2")")
	r=$((r + 1))
done
echo "kubernetes.so: server-side apply of $n ConfigMaps in one step: ${kp} ms (best of $rounds)"
echo "kubectl apply --server-side of the same file:          ${kr} ms"
echo "ratio kubernetes.so / kubectl: $(ratio "$kp" "$kr")"

# ---- minio.so vs curl ----------------------------------------------------
if ! command -v radosgw >/dev/null; then
	echo "minio.so: skipped (radosgw is not installed: apt-get install ceph-mon ceph-osd radosgw)"
	exit 0
fi
rgw="$work/rgw"
sh "$top/tests/s3/rgw.sh" start "$rgw" $$ >/dev/null ||
	{ echo "plugins.sh: Ceph RGW did not start" >&2; exit 1; }
. "$rgw/env"
printf '%s' "$RGW_ADMIN_SECRET" > "$work/s3secret"
chmod 600 "$work/s3secret"
mp=""
mr=""
r=1
while [ $r -le "$rounds" ]; do
	cat > "$work/s3.yaml" <<EOF
name: bench-s3
steps:
  - name: bucket
    type: minio
    config:
      endpoint: $RGW_URL
      access_key: $RGW_ADMIN_KEY
      secret_key_secret: s3
      bucket: bench-p-$r
      versioning: true
      tags: {team: bench}
EOF
	t0=$(now)
	"$ctl" run --local "$work/s3.yaml" --plugin-dir "$work/plugins" --config /dev/null \
		--secret "s3=@$work/s3secret" >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	t1=$(now)
	for q in "" "?versioning=" "?tagging="; do
		case $q in
		"") body="" ;;
		"?versioning=") body='<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' ;;
		*) body='<Tagging><TagSet><Tag><Key>team</Key><Value>bench</Value></Tag></TagSet></Tagging>' ;;
		esac
		md5=$(printf '%s' "$body" | openssl dgst -md5 -binary | base64)
		sha=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
		curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" \
			--user "$RGW_ADMIN_KEY:$RGW_ADMIN_SECRET" -X PUT \
			-H "x-amz-content-sha256: $sha" -H "Content-MD5: $md5" \
			-H "Content-Type: application/xml" --data-binary "$body" \
			"$RGW_URL/bench-c-$r$q"
	done
	t2=$(now)
	mp=$(best "$mp" "$(ms "$t0" "$t1")")
	mr=$(best "$mr" "$(ms "$t1" "$t2")")
	r=$((r + 1))
done
echo "minio.so: create a bucket with versioning and tags in one step: ${mp} ms (best of $rounds)"
echo "curl, the same three signed requests:                       ${mr} ms"
echo "ratio minio.so / curl: $(ratio "$mp" "$mr")"
