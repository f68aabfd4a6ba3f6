#!/bin/sh
# secrets.sh - hostile replays of the secrets and store findings: a secret
# printed in encoded forms (SE-2, SE-3) or across the 16 KiB log chunk
# boundary (SE-4) must not leak; a Score spec's secret resource parameter
# must not be stored in plain (SE-7); a retry and a crash-recovery resume
# run with the real secret, not "***" (SE-8, DU-2), or are refused when it
# cannot be recovered; the database files never hold a secret in any
# form; the WAL stays bounded under a log flood (ST-1).
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
h_init secrets
fx="$src/tests/data/hostile/secrets"
h_plugin "${INN_FIXTURE_DIR:?}/seclen.so"
h_start "$fx" || { echo "not ok 1 - server starts"; echo "1..1"; exit 1; }
RED=$(h_key red user red)

LEAK='S3cr3t/Val+ue=Zq9!k'
RETRY='Correct-Horse-Battery-55'
SPECPW='SpecPassword-Hunter2-9876'
IDEM='Idempotent-Resume-Secret-77'
REUSE='Reused-Output-Secret-4242'
TOKRES='Resumed-Token-Secret-3131'
ONAME='OutNameSecretQ7W8z'
RESTOK='Resource-Token-Seed-5150'

run() { # JSON body -> id
	api POST /api/workflows/run "$RED" -d "$1" | jf id
}
logs() { # ID -> every log line, one per line
	api GET "/api/workflows/$1/logs?limit=10000" "$RED" > /dev/null
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
lines = d if isinstance(d, list) else (d.get("data") or d.get("lines") or [])
for l in lines: print(l["line"])' "$H/body"
}
final() { h_wait_final "$1" "$RED" 60; h_status "$1" "$RED"; }
# run_logged BODY LOG: runs BODY to its end; sets $id and $st (its final
# status) and puts its log lines in LOG.  retry_logged ID LOG: the same for
# a retry of ID, whose id goes to $rid.
run_logged() { id=$(run "$1"); st=$(final "$id"); logs "$id" > "$2"; }
# wait_log ID LINE: waits (10 s at most) until a log line of ID starts with LINE
wait_log() {
	i=0
	until logs "$1" | grep -q "^$2"; do
		i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
	done
}
# resumed_logged BODY LINE LOG: runs BODY until a log line starts with LINE,
# kills the server (-9) and starts it again; sets $id and $st once the
# resumed run ended, with its log lines in LOG.
resumed_logged() {
	id=$(run "$1")
	wait_log "$id" "$2"
	h_stop KILL
	h_start "$fx"
	st=$(final "$id")
	logs "$id" > "$3"
}
retry_logged() {
	rid=$(api POST "/api/workflows/$1/retry" "$RED" | jf id)
	st=$(final "$rid")
	logs "$rid" > "$2"
}

# The forms of a secret that must never appear: the value, base64 (std and
# url-safe) of it with and without a newline, the part of base64(x+value)
# the value alone decides at each alignment, and percent/JSON encodings.
forms() { # SECRET -> one form per line
	python3 - "$1" <<'EOF'
import base64, json, sys, urllib.parse
s = sys.argv[1]
b = s.encode()
out = {s}
for enc in (base64.b64encode, base64.urlsafe_b64encode):
    for tail in (b"", b"\n", b"\r\n"):
        out.add(enc(b + tail).decode())
    for a in range(3):
        e = enc(b"\0" * a + b).decode()
        lo, hi = -(-8 * a // 6), 8 * (a + len(b)) // 6
        out.add(e[lo + 1:hi - 1])  # the inner part, one character in from each end
out.add(urllib.parse.quote(s))
out.add(urllib.parse.quote(s, safe=""))
out.add(urllib.parse.quote_plus(s))
out.add("".join("%%%02x" % c if chr(c) in "/+=!:" else chr(c) for c in b))
out.add(json.dumps(s)[1:-1])
out.add(json.dumps(s)[1:-1].replace("/", "\\/"))
for f in sorted(out):
    print(f)
EOF
}
# no_form SECRET FILE: none of the forms occurs in FILE's bytes
no_form() {
	forms "$1" > "$H/forms"
	python3 - "$H/forms" "$2" <<'EOF'
import sys
forms = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
data = open(sys.argv[2], "rb").read()
bad = [f for f in forms if f and f.encode() in data]
if bad:
    print("# found:", bad)
sys.exit(1 if bad else 0)
EOF
}

# ---- SE-2, SE-3, SE-4: encoded forms and the chunk boundary ----------------
run_logged "{\"workflow\":\"sec/leak\",\"parameters\":{\"pw\":\"$LEAK\"}}" "$H/leak.log"
check "SE-2/3: the leak workflow ran to its end" \
	sh -c "[ '$st' = succeeded ] && grep -q '^done-leaking' '$H/leak.log'"
check "SE-2/3: what was printed is there, masked (echo|base64, user:secret, quote)" \
	sh -c "grep -q '^echo-b64=\*\*\*' '$H/leak.log' && grep -q '^quote=\*\*\*' '$H/leak.log' &&
	       grep -q '^basic=dXNlcjp\*\*\*' '$H/leak.log'"
check "SE-2/3: no line holds the secret in any form (base64, url-safe, alignments, %xx, JSON)" \
	no_form "$LEAK" "$H/leak.log"
# SE-4: the lines joined without separators: a secret cut in two by a
# chunk boundary would show up whole here
tr -d '\n' < "$H/leak.log" > "$H/leak.joined"
check "SE-4: no secret straddles a 16 KiB log chunk boundary" no_form "$LEAK" "$H/leak.joined"
check "SE-4: the long lines were cut into chunks (the boundary was exercised)" \
	sh -c "[ \$(grep -c '^xxxxxxxx' '$H/leak.log') -ge 5 ]"

# ---- SE-8: retry runs with the real secret -------------------------------
run_logged "{\"workflow\":\"sec/retry\",\"parameters\":{\"pw\":\"$RETRY\",\"marker\":\"$H/retry-ok\"}}" "$H/r1.log"
check "SE-8: the first run fails and saw the 24-byte secret" \
	sh -c "[ '$st' = failed ] && grep -q '^pw-len=24 ' '$H/r1.log'"
check "SE-8: the stored parameters show the secret masked" \
	test "$(api GET "/api/workflows/$id" "$RED" | jf parameters.pw)" = '***'
touch "$H/retry-ok"
retry_logged "$id" "$H/r2.log"
check "SE-8: the retry succeeds" test "$st" = succeeded
check "SE-8: the retry's step saw the same secret (length and hash), not \"***\"" \
	sh -c "[ \"\$(grep '^pw-len=' '$H/r2.log')\" = \"\$(grep '^pw-len=' '$H/r1.log')\" ]"

# a Score spec's secret resource parameter (SE-7), then a retry of that run
spec="{\"apiVersion\":\"score.dev/v1b1\",\"metadata\":{\"name\":\"secapp\"},\"containers\":{\"w\":{\"image\":\"x\"}},\"resources\":{\"s\":{\"type\":\"secretthing\",\"params\":{\"password\":\"$SPECPW\",\"marker\":\"$H/spec-ok\"}}}}"
run_logged "{\"workflow\":\"sec/noop\",\"spec\":$spec}" "$H/s1.log"
check "SE-7: the spec run fails at its resource, which saw the 25-byte password" \
	sh -c "[ '$st' = failed ] && grep -q 'res-pw-len=25 ' '$H/s1.log'"
touch "$H/spec-ok"
retry_logged "$id" "$H/s2.log"
check "SE-8: the retry of a spec run runs the same spec: the resource sees the real password" \
	sh -c "[ '$st' = succeeded ] &&
	       [ \"\$(grep 'res-pw-len=' '$H/s2.log')\" = \"\$(grep 'res-pw-len=' '$H/s1.log')\" ]"

# ---- A73: a retry reuses a step's secret outputs with their real values ----
run_logged "{\"workflow\":\"sec/secreuse\",\"parameters\":{\"pw\":\"$REUSE\",\"marker\":\"$H/reuse-ok\"}}" "$H/u1.log"
check "A73: the first run fails at b, which saw the real 39-byte token and 27-byte plain output" \
	sh -c "[ '$st' = failed ] && grep -q '^b tok-len=39 .* plain-len=27 ' '$H/u1.log'"
touch "$H/reuse-ok"
retry_logged "$id" "$H/u2.log"
api GET "/api/workflows/$rid" "$RED" > "$H/u2.json"
check "A73: the retry succeeds and reused step a (it did not run again)" \
	sh -c "[ '$st' = succeeded ] && python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
a=[s for s in d[\"steps\"] if s[\"name\"]==\"a\"][0]
sys.exit(0 if a[\"status\"]==\"succeeded\" and \"reused\" in (a.get(\"message\") or \"\") else 1)' '$H/u2.json'"
check "A73: b saw the same token and plain output on the retry (length and hash), not \"***\"" \
	sh -c "[ -n \"\$(grep '^b tok-len=' '$H/u1.log')\" ] &&
	       [ \"\$(grep '^b tok-len=' '$H/u2.log')\" = \"\$(grep '^b tok-len=' '$H/u1.log')\" ]"
check "A73: the retry's log shows the reused secret output masked" \
	sh -c "grep -q '^b sees \*\*\* and p-\*\*\*' '$H/u2.log' && ! grep -q 'generated' '$H/u2.log'"
check "A73: the retry's API answer holds no form of the secret or the token" \
	sh -c "! grep -q 'generated' '$H/u2.json'"
check "A73: ... nor of the parameter" no_form "$REUSE" "$H/u2.json"

# a spec resource's secret output reaches the main workflow real, shown masked
spec="{\"apiVersion\":\"score.dev/v1b1\",\"metadata\":{\"name\":\"tokapp\"},\"containers\":{\"w\":{\"image\":\"x\"}},\"resources\":{\"t\":{\"type\":\"tokthing\",\"params\":{\"seed\":\"$RESTOK\"}}}}"
run_logged "{\"workflow\":\"sec/usetok\",\"spec\":$spec}" "$H/rt.log"
api GET "/api/workflows/$id" "$RED" > "$H/rt.json"
api GET "/api/resources" "$RED" > "$H/rt.res"
check "A73: a resource's secret output reaches the main workflow real (32 bytes), shown ***" \
	sh -c "[ '$st' = succeeded ] && grep -q '^use tok-len=32 ' '$H/rt.log' && grep -q '^use sees \*\*\*\$' '$H/rt.log'"
check "A73: the execution and /api/resources hold no form of the resource's token" \
	sh -c "! grep -q 'tok-$RESTOK' '$H/rt.json' '$H/rt.res' '$H/rt.log'"

# ---- A57: an output NAME holding a secret is refused, never shown ----------
id=$(run "{\"workflow\":\"sec/outname\",\"parameters\":{\"pw\":\"$ONAME\"}}")
st=$(final "$id")
api GET "/api/workflows/$id" "$RED" > "$H/on.json"
logs "$id" > "$H/on.log"
check "A57: a step writing an output named after a secret fails, saying why" \
	sh -c "[ '$st' = failed ] && grep -q 'output name' '$H/on.json'"
check "A57: the execution's API answer and log hold no form of the secret" \
	sh -c "! grep -q '$ONAME' '$H/on.json' '$H/on.log'"
api GET "/api/events?limit=1000" "$RED" > "$H/on.events"
check "A57: nor do the events" sh -c "! grep -q '$ONAME' '$H/on.events'"

# ---- DU-2: a resume after kill -9 runs with the real secret ----------------
resumed_logged "{\"workflow\":\"sec/idem\",\"parameters\":{\"pw\":\"$IDEM\"}}" 'seclen len=27' "$H/idem.log"
check "DU-2: the interrupted run was resumed and succeeded" test "$st" = succeeded
check "DU-2: the resumed step saw the real 27-byte secret, never a 3-byte one" \
	sh -c "[ \$(grep -c '^seclen len=27 ' '$H/idem.log') -ge 2 ] && ! grep -q '^seclen len=3 ' '$H/idem.log'"

# ---- A73: a resume after kill -9 reuses a secret output with its real value
resumed_logged "{\"workflow\":\"sec/tokresume\",\"parameters\":{\"pw\":\"$TOKRES\"}}" 'seclen len=34' "$H/tr.log"
api GET "/api/workflows/$id" "$RED" > "$H/tr.json"
check "A73: the interrupted run was resumed and succeeded" test "$st" = succeeded
check "A73: the resumed step got the real 34-byte token of the reused step, never \"***\"" \
	sh -c "[ \$(grep -c '^seclen len=34 ' '$H/tr.log') -ge 2 ] && ! grep -q '^seclen len=3 ' '$H/tr.log'"
check "A73: the resumed run's answer shows the token masked" \
	sh -c "! grep -q 'tok-$TOKRES' '$H/tr.json' && grep -q '\"tok\": *\"\*\*\*\"' '$H/tr.json'"

# ---- F4: a secret output in its own step's lines ---------------------------
# Step a prints the value it makes before and after writing it as a secret
# output: the lines after are masked as they stream, the one before when
# the step ends (in the store); step b's line is masked too.
run_logged "{\"workflow\":\"sec/selfleak\",\"parameters\":{\"marker\":\"$H/self.val\"}}" "$H/self.log"
SELF=$(cat "$H/self.val")
check "F4: the run succeeded and the step made a 41-byte secret output" \
	sh -c "[ '$st' = succeeded ] && [ ${#SELF} -eq 41 ]"
check "F4: GET /logs shows the step's lines before and after it declared the secret, and the next step's, as ***" \
	sh -c "grep -qx 'before: \*\*\*' '$H/self.log' && grep -qx 'after: \*\*\*' '$H/self.log' &&
	       grep -qx 'after2: \*\*\*' '$H/self.log' && grep -qx 'next: \*\*\*' '$H/self.log'"
check "F4: no log line holds the secret output in any form" no_form "$SELF" "$H/self.log"
# run --local prints the lines as they come: from the moment the program
# wrote the secret output they are masked (the line before it cannot be)
"$build/innominatus-ctl" run --local "$fx/sec/workflows/selfleak.yaml" --plugin-dir "$H/plugins" \
	--param "marker=$H/self2.val" > "$H/self2.out" 2>&1
SELF2=$(cat "$H/self2.val")
check "F4: run --local masks the step's own lines after it wrote the secret output, and the next step's" \
	sh -c "grep -q '| after: \*\*\*\$' '$H/self2.out' && grep -q '| after2: \*\*\*\$' '$H/self2.out' &&
	       grep -q '| next: \*\*\*\$' '$H/self2.out' && [ \$(grep -c '$SELF2' '$H/self2.out') -eq 1 ] &&
	       grep -q '| before: $SELF2\$' '$H/self2.out'"

# ---- the database files hold no secret in any form -----------------------
for f in "$H/inn.db" "$H/inn.db-wal"; do
	[ -f "$f" ] || continue
	for s in "$LEAK" "$RETRY" "$SPECPW" "$IDEM" "$REUSE" "tok-$REUSE-generated" "$TOKRES" \
	         "$ONAME" "$RESTOK" "$SELF"; do
		check "SE-7: $(basename "$f") holds no form of a secret (${s%%-*}...)" no_form "$s" "$f"
	done
done

# ---- the key file ----------------------------------------------------------
check "the key file was created next to the store, mode 0600" \
	sh -c "[ \"\$(stat -c %a '$H/inn.db.key')\" = 600 ]"
# a retry when the key was replaced: refused, never run with "***"
# (and a resume, of a run killed mid-step: it fails with the reason)
gid=$(run "{\"workflow\":\"sec/gentok\",\"parameters\":{\"marker\":\"$H/gen-ok\"}}")
final "$gid" > /dev/null
fid=$(run "{\"workflow\":\"sec/retry\",\"parameters\":{\"pw\":\"$RETRY\",\"marker\":\"$H/never\"}}")
final "$fid" > /dev/null
kid=$(run "{\"workflow\":\"sec/idem\",\"parameters\":{\"pw\":\"$IDEM\"}}")
wait_log "$kid" 'seclen len=27'
h_stop KILL
cp "$H/inn.db.key" "$H/key.orig"
head -c 32 /dev/urandom > "$H/inn.db.key"
h_start "$fx"
api POST "/api/workflows/$fid/retry" "$RED" > "$H/body409"
check "SE-8: with another key, a retry is refused with 409 and why" \
	sh -c "[ \$(cat '$H/code') = 409 ] && grep -q 'key' '$H/body409'"
touch "$H/gen-ok"
grid=$(api POST "/api/workflows/$gid/retry" "$RED" | jf id)
st=$(final "$grid")
logs "$grid" > "$H/g2.log"
check "A73: with another key, a step whose secret output cannot be unsealed runs again (the log says so); the next step gets a real token" \
	sh -c "[ '$st' = succeeded ] && grep -q 'step a is run again' '$H/g2.log' && grep -q '^b tok-len=40\$' '$H/g2.log'"
st=$(final "$kid")
logs "$kid" > "$H/k.log"
api GET "/api/workflows/$kid" "$RED" | jf message > "$H/k.msg"
check "DU-2: with another key, the interrupted run is failed with why, not resumed with ***" \
	sh -c "[ '$st' = failed ] && ! grep -q '^seclen len=3 ' '$H/k.log' && grep -q 'key' '$H/k.msg'"
h_stop TERM
cp "$H/key.orig" "$H/inn.db.key"
chmod 644 "$H/inn.db.key"
timeout 20 "$srvbin" --config "$H/conf.yaml" --providers "$fx" 2>"$H/perm.log"
rc=$?
check "a key file group or others may read stops the server from starting" \
	sh -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'secret key file' '$H/perm.log'"
chmod 600 "$H/inn.db.key"

# ---- ST-1: the WAL stays bounded under a log flood ------------------------
h_start "$fx"
id=$(run '{"workflow":"sec/flood","parameters":{"lines":60000}}')
peak=$(h_wal_peak "$id" "$RED")
echo "# WAL peak during a 60000-line flood: $peak bytes"
check "ST-1: the flood ran" test "$(h_status "$id" "$RED")" = succeeded
check "ST-1: the -wal file stayed under 64 MB during the flood" test "$peak" -lt 67108864
h_stop TERM
h_done
