#!/bin/sh
# run.sh - real fuzzing with libFuzzer (clang): builds tests/fuzz/fuzz_<target>.c
# with the engine sources under ASan+UBSan and runs it for SECONDS, starting
# from tests/fuzz/corpus/<target>; new inputs go to $TMPDIR/inn-fuzz-<target>/
# corpus (copy the interesting ones, and every crasher once fixed, into the
# project corpus).  make check only replays the corpora (tests/fuzz/replay.c).
#
# usage: tests/fuzz/run.sh TARGET [SECONDS]     TARGET: yaml | tmpl | json | request
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:?usage: run.sh yaml|tmpl|json|request [SECONDS]}
secs=${2:-60}
out=${TMPDIR:-/tmp}/inn-fuzz-$target
mkdir -p "$out/corpus"
command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
srcs=$(ls "$top"/server/core/*.c)
[ "$target" = json ] && srcs="$srcs $top/server/api_body.c"
[ "$target" = request ] && srcs="$srcs $top/server/api_body.c $top/server/http_scan.c"
cp "$top/tests/fuzz/fuzz_config.h" "$out/config.h"   # instead of configure's
clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
	-I"$out" -I"$top/plugin-api" -I"$top/server/core" -I"$top/server" \
	$(pkg-config --cflags json-c yaml-0.1 libpcre2-8) \
	"$top/tests/fuzz/fuzz_$target.c" $srcs \
	$(pkg-config --libs json-c yaml-0.1 libcrypto libpcre2-8) -lpthread -ldl -o "$out/fuzz_$target"
"$out/fuzz_$target" -max_total_time="$secs" -artifact_prefix="$out/" \
	"$out/corpus" "$top/tests/fuzz/corpus/$target"
