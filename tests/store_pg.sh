#!/bin/sh
# store_pg.sh - the store suite (tests/unit/test_store) on PostgreSQL: a
# private PostgreSQL started with tests/pg/pg.sh in a temporary folder
# (watched by this script's PID, so a killed run leaves no server behind),
# INN_TEST_PG_URL pointing at it (each test makes its own database), and
# only the PostgreSQL tests run (INN_TEST_ONLY_PG=1; the SQLite ones run
# as tests/unit/test_store itself).  Prints cmocka's TAP; exit 77 (skip)
# when PostgreSQL is not installed and INN_REQUIRE_PG is not 1.
src=${INN_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${INN_TOP_BUILDDIR:-$src}
bin="$build/tests/unit/test_store"
[ -x "$bin" ] || { echo "store_pg.sh: $bin is not built" >&2; exit 1; }
if ! grep -q '^#define HAVE_LIBPQ 1' "$build/config.h" 2>/dev/null; then
	echo "1..0 # SKIP built without PostgreSQL (configure --without-postgresql)"
	[ "${INN_REQUIRE_PG:-0}" = 1 ] && exit 1
	exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-store-pg-XXXXXX") || exit 1
cleanup() {
	sh "$src/tests/pg/pg.sh" stop "$dir/pg"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
chmod 755 "$dir"   # as root, the server runs as the user postgres

sh "$src/tests/pg/pg.sh" start "$dir/pg" $$
rc=$?
if [ $rc = 77 ]; then
	echo "1..0 # SKIP PostgreSQL is not installed"
	exit 77
fi
[ $rc = 0 ] || { echo "Bail out! PostgreSQL did not start"; exit 1; }
. "$dir/pg/env"
INN_TEST_PG_URL=$PG_URL INN_TEST_ONLY_PG=1 CMOCKA_MESSAGE_OUTPUT=${CMOCKA_MESSAGE_OUTPUT:-TAP} \
	"$bin"
