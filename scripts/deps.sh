#!/bin/sh
# deps.sh - installs what building and testing innominatus needs on Debian 12
# (run as root; skipped for packages already present).
set -e
pkgs="autoconf automake libtool pkg-config make gcc g++ python3 libevent-dev libyaml-dev
libjson-c-dev libgit2-dev libsqlite3-dev libcurl4-openssl-dev libcmocka-dev"
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
