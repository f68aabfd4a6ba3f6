#!/bin/sh
# deps.sh - installs what building and testing innominatus needs on Debian 12
# (run as root; skipped for packages already present).
set -e
pkgs="autoconf automake libtool pkg-config make gcc g++ python3 curl libevent-dev libyaml-dev
libjson-c-dev libgit2-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev libcmocka-dev
libpcre2-dev sqlite3 git python3-yaml python3-cryptography openssl"
# the PostgreSQL store (libpq) and the real PostgreSQL 15 its tests start (tests/pg/pg.sh)
pkgs="$pkgs libpq-dev postgresql-15"
# jq: the original demo providers' scripts parse Gitea's answers with it (tests/compat_demo.sh)
pkgs="$pkgs jq"
# scdoc: the man pages (man/*.scd) are rendered at build time; man-db
# renders them in tests/man_*.sh (col: bsdextrautils); zsh checks the zsh completion
pkgs="$pkgs scdoc man-db zsh bsdextrautils"
# libsystemd: sd_notify (configure --with-systemd); systemd: systemd-analyze
# verifies the unit (tests/install_share.sh)
pkgs="$pkgs libsystemd-dev systemd"
# python3-jsonschema: tests/openapi_validate.sh checks real replies against
# the OpenAPI document
pkgs="$pkgs python3-jsonschema"
# chromium: the dashboard's tests drive Debian's Chromium headless
# (tests/ui.sh, through the npm package playwright-core, which downloads no browser)
pkgs="$pkgs chromium"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q $missing
fi
# node and npm: tests/openapi_client.sh generates a TypeScript client from
# the OpenAPI document (these machines may carry NodeSource's nodejs, which
# holds npm: Debian's only when there is none)
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q nodejs npm
fi
# ansible.so drives ansible-playbook; without it its tests are skipped.
if ! command -v ansible-playbook >/dev/null && [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$missing" ] || apt-get update -q
	apt-get install -y -q --no-install-recommends ansible-core
fi
# minio.so's tests run against a real Ceph RADOS Gateway (tests/s3/rgw.sh:
# one mon, one memstore OSD, radosgw; openssl makes its TLS certificate);
# without them they are skipped.
if ! command -v radosgw >/dev/null && [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$missing" ] || apt-get update -q
	apt-get install -y -q --no-install-recommends ceph-mon ceph-osd radosgw openssl
fi
# tests/standin_kubectl.sh proves the Kubernetes API stand-in with a real
# kubectl (preinstalled here; Debian's kubernetes-client otherwise).
if ! command -v kubectl >/dev/null && [ "$(id -u)" = 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends kubernetes-client ||
		echo "deps.sh: note: no kubectl; tests/standin_kubectl.sh will be skipped" >&2
fi
# terraform is not in Debian; on these machines it is preinstalled.
command -v terraform >/dev/null ||
	echo "deps.sh: note: terraform is not installed; terraform.so's tests will be skipped" >&2
