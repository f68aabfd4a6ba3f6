#!/bin/sh
# ctl_git_providers.sh - the admin config's providers[] entries that name a
# git repository, as the guide (git_url, path, ref) and the original
# (type: git, repository, ref) write them: cloned and served by
# innominatus-ctl's local commands and by the server (at start and on
# reload) over real smart HTTP (git http-backend behind
# tests/git_http_server.py); a private repository refused without its
# token and served with it, the token in no output, log, API reply, audit
# entry or store; ssh:// and scp-like URLs accepted, their host key checked
# against known_hosts (tests/ssh_hostkey_server.py: no sshd here); a
# folder path resolved against the config's folder, else the working
# directory as the original did, else an error naming both.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
. "$src/tests/ctl_lib.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-gitp-XXXXXX")
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$dir"' EXIT
mkdir -p "$dir/plugins" "$dir/etc" "$dir/work/team/workflows" "$dir/work/team2/workflows" \
	"$dir/private" "$dir/public" "$dir/cache" "$dir/data"
chmod 755 "$dir" "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
export XDG_CACHE_HOME="$dir/cache"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
unset INNOMINATUS_GIT_TOKEN INNOMINATUS_GIT_SSH_KEY INNOMINATUS_GIT_KNOWN_HOSTS SSH_AUTH_SOCK
token="tok-$$-Zq7Xv93Ks"

printf 'name: your-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/work/team/provider.yaml"
printf 'name: hello\nsteps:\n  - {name: hi, type: shell, config: {script: "echo hello from git"}}\n' \
	>"$dir/work/team/workflows/hello.yaml"
printf 'name: other-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/work/team2/provider.yaml"
printf 'name: wave\nsteps:\n  - {name: w, type: shell, config: {script: "echo wave"}}\n' \
	>"$dir/work/team2/workflows/wave.yaml"
(cd "$dir/work" && git init -q -b main && git add -A && git commit -qm one &&
	git clone -q --bare . "$dir/private/team.git" && git clone -q --bare . "$dir/public/team.git") \
	>/dev/null 2>&1

# start_front NAME ROOT [USER:TOKEN]: a smart-HTTP front on a free port; sets $port
start_front() {
	python3 "$src/tests/git_http_server.py" "$2" "$dir/$1.port" $3 2>"$dir/$1.log" &
	pids="$pids $!"
	i=0
	while [ ! -s "$dir/$1.port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	port=$(cat "$dir/$1.port")
}
start_front public "$dir/public"
pub="http://127.0.0.1:$port/git/team.git"
start_front private "$dir/private" "ci:$token"
priv="http://127.0.0.1:$port/git/team.git"

echo "1..30"
runenv=""
runctl() { # config, then ctl arguments (environment: $runenv); output in $dir/out, exit code in $rc
	cfg=$1
	shift
	env $runenv "$ctl" --plugin-dir "$dir/plugins" --config "$cfg" "$@" >"$dir/out" 2>&1
	rc=$?
	runenv=""
}
CHECK_SHOW="$dir/out"

# 1-2: the guide's spelling and the original's, cloned by the local commands
cat >"$dir/etc/guide.yaml" <<EOF
providers:
  - name: your-team
    git_url: $pub
    path: team
    ref: main
  - name: other-team
    type: git
    category: infrastructure
    repository: $pub
    path: team2
    ref: main
    enabled: true
  - {name: off-team, type: git, repository: http://127.0.0.1:1/none.git, enabled: false}
EOF
runctl "$dir/etc/guide.yaml" list-providers
[ $rc -eq 0 ] && grep -q '^your-team ' "$dir/out" && grep -q '^other-team ' "$dir/out" &&
	ls -d "$dir/cache/innominatus/providers/your-team-"*/.git >/dev/null 2>&1
check "git_url without type and type: git with repository are cloned (into \$XDG_CACHE_HOME/innominatus/providers)" $?
runctl "$dir/etc/guide.yaml" run --local your-team/hello
[ $rc -eq 0 ] && grep -q 'hello from git' "$dir/out"
check "run --local runs a workflow of the cloned provider" $?

# 3-7: a private repository and its token
cat >"$dir/etc/private.yaml" <<EOF
providers:
  - name: public-team
    git_url: $pub
    path: team2
  - name: secret-team
    git_url: $priv
    path: team
    auth: {token_env: INN_TEST_GIT_TOKEN, username: ci}
EOF
runctl "$dir/etc/private.yaml" list-providers
[ $rc -eq 3 ] &&
	grep -q "private.yaml:5:5: error: providers\[1\] (secret-team): git clone of $priv: \$INN_TEST_GIT_TOKEN is not set" "$dir/out" &&
	! grep -q 'public-team' "$dir/out" && ls -d "$dir/cache/innominatus/providers/public-team-"*/.git >/dev/null 2>&1
check "without its token the private entry is an error at its file:line; the other entry is still cloned" $?
runenv="INN_TEST_GIT_TOKEN=not-$token"; runctl "$dir/etc/private.yaml" list-providers
[ $rc -eq 3 ] && grep -q "the server refused the token from \$INN_TEST_GIT_TOKEN" "$dir/out" &&
	! grep -q "$token" "$dir/out"
check "a wrong token is refused, named by where it came from, never shown" $?
runenv="INN_TEST_GIT_TOKEN=$token"; runctl "$dir/etc/private.yaml" run --local your-team/hello
[ $rc -eq 0 ] && grep -q 'hello from git' "$dir/out" && ! grep -q "$token" "$dir/out"
check "with the token the private provider is cloned and its workflow runs" $?
runctl "$dir/etc/private.yaml" list-providers
[ $rc -eq 0 ] && grep -q '^your-team ' "$dir/out" &&
	grep -q "private.yaml:5:5: warning: providers\[1\] (secret-team): git fetch of $priv: .*; the clone fetched before is used" "$dir/out"
check "a fetch that fails (here: no token) keeps the clone fetched before, with a warning" $?
sed "s/    auth: .*//" "$dir/etc/private.yaml" >"$dir/etc/envtoken.yaml"
rm -rf "$dir/cache/innominatus"
runctl "$dir/etc/envtoken.yaml" list-providers
r1=$rc
grep -q "no token is set: set auth.token_env or auth.token_file .* or INNOMINATUS_GIT_TOKEN" "$dir/out"
r2=$?
runenv="INNOMINATUS_GIT_USERNAME=ci INNOMINATUS_GIT_TOKEN=$token"; runctl "$dir/etc/envtoken.yaml" list-providers
[ $r1 -eq 3 ] && [ $r2 -eq 0 ] && [ $rc -eq 0 ] && grep -q '^your-team ' "$dir/out"
check "INNOMINATUS_GIT_TOKEN serves an entry without auth:" $?

# 8: secrets are refused in URLs and in the config
cat >"$dir/etc/bad.yaml" <<EOF
providers:
  - {name: a, git_url: "https://ci:$token@example.org/x.git"}
  - {name: b, git_url: "ssh://git:pw@example.org/x.git"}
  - name: c
    git_url: https://example.org/x.git
    auth: {token: $token}
  - {name: d, type: filesystem, git_url: https://example.org/x.git}
  - {name: e, type: svn, path: x}
EOF
runctl "$dir/etc/bad.yaml" list-providers
[ $rc -eq 3 ] && grep -q 'bad.yaml:2:[0-9]*: error: providers\[0\] (a): git_url must not hold a user name, password or token .*auth.token_env' "$dir/out" &&
	grep -q 'bad.yaml:3:[0-9]*: error: providers\[1\] (b): git_url must not hold a password' "$dir/out" &&
	grep -q 'bad.yaml:6:[0-9]*: error: providers\[2\] (c): auth.token: a secret is never written into the config' "$dir/out" &&
	grep -q 'bad.yaml:7:[0-9]*: error: providers\[3\] (d): type filesystem is a folder' "$dir/out" &&
	grep -q 'bad.yaml:8:[0-9]*: error: providers\[4\] (e): type "svn" is not' "$dir/out" &&
	! grep -q "$token" "$dir/out"
check "a token in the URL or the config is refused at file:line without being echoed" $?

# 9-12: ssh URLs and known hosts
cat >"$dir/etc/ssh.yaml" <<EOF
providers:
  - {name: s1, git_url: "ssh://git@127.0.0.1:1/team.git"}
  - {name: s2, git_url: "git@127.0.0.1:team.git"}
EOF
runctl "$dir/etc/ssh.yaml" list-providers
[ $rc -eq 3 ] && grep -q 'providers\[0\] (s1): git clone of ssh://git@127.0.0.1:1/team.git: failed to connect' "$dir/out" &&
	grep -q 'providers\[1\] (s2): git clone of git@127.0.0.1:team.git: failed to connect' "$dir/out"
check "ssh://git@host/path and git@host:path are accepted and tried" $?
if python3 -c 'import cryptography' 2>/dev/null; then
	python3 "$src/tests/ssh_hostkey_server.py" "$dir/ssh.port" "$dir/ssh.key" 2>"$dir/ssh.log" &
	pids="$pids $!"
	i=0
	while [ ! -s "$dir/ssh.port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	sp=$(cat "$dir/ssh.port")
	: >"$dir/kh_empty"
	cp "$dir/ssh.key" "$dir/kh_plain"
	cp "$dir/ssh.key" "$dir/kh_hashed"
	ssh-keygen -q -H -f "$dir/kh_hashed" >/dev/null 2>&1 || cp "$dir/ssh.key" "$dir/kh_hashed"
	sed "s/ssh-ed25519 .*/ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlGWApmRdSmeIz4HB4pv9nKCrd+GmygaatvsswEtP0D/" \
		"$dir/ssh.key" >"$dir/kh_other"
	for k in empty plain hashed other; do
		printf 'providers:\n  - name: s\n    git_url: ssh://git@127.0.0.1:%s/team.git\n    auth: {known_hosts_file: %s}\n' \
			"$sp" "$dir/kh_$k" >"$dir/etc/kh_$k.yaml"
	done
	runctl "$dir/etc/kh_empty.yaml" list-providers
	[ $rc -eq 3 ] && grep -q "kh_empty.yaml:2:5: error: providers\[0\] (s): git clone of ssh://git@127.0.0.1:$sp/team.git: SSH host \[127.0.0.1\]:$sp is not in the known hosts file $dir/kh_empty; refused. Check the host's key (SHA256:" "$dir/out"
	check "an SSH host missing from known_hosts is refused, with its fingerprint and how to add it" $?
	runctl "$dir/etc/kh_other.yaml" list-providers
	[ $rc -eq 3 ] && grep -q "which is not the key $dir/kh_other:1 has for it; refused" "$dir/out"
	check "an SSH host whose key differs from known_hosts is refused, naming the line" $?
	runctl "$dir/etc/kh_plain.yaml" list-providers
	a=$rc
	cp "$dir/out" "$dir/out.plain"
	sed "s#auth: .*#auth: {}#" "$dir/etc/kh_hashed.yaml" >"$dir/etc/kh_env.yaml"
	runenv="INNOMINATUS_GIT_KNOWN_HOSTS=$dir/kh_hashed"; runctl "$dir/etc/kh_env.yaml" list-providers
	cat "$dir/out.plain" >>"$dir/out"
	[ $a -eq 3 ] && [ $rc -eq 3 ] && ! grep -q 'known hosts\|not the key' "$dir/out" &&
		[ "$(grep -c 'SSH authentication methods\|authentication' "$dir/out")" -ge 2 ]
	check "a known host (plain or hashed line, file from config or INNOMINATUS_GIT_KNOWN_HOSTS) passes the check and goes on to authenticate" $?
else
	for t in 1 2 3; do
		n=$((n + 1))
		echo "ok $n - # SKIP python3 has no cryptography module for the SSH stand-in"
	done
fi

# 13-14: folder paths, the original's rule and ours
mkdir -p "$dir/cwd/providers/local-team/workflows" "$dir/cwd/conf"
printf 'name: local-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/cwd/providers/local-team/provider.yaml"
printf 'name: hi\nsteps:\n  - {name: hi, type: shell, config: {script: "echo hi"}}\n' \
	>"$dir/cwd/providers/local-team/workflows/hi.yaml"
printf 'providers:\n  - {name: local-team, type: filesystem, path: ./providers/local-team, enabled: true}\n' \
	>"$dir/cwd/conf/admin.yaml"
(cd "$dir/cwd" && "$ctl" --plugin-dir "$dir/plugins" --config conf/admin.yaml list-providers) >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^local-team ' "$dir/out" &&
	grep -q "admin.yaml:2:[0-9]*: warning: providers\[0\]: path ./providers/local-team is read from $dir/cwd/providers/local-team, relative to the working directory as the original resolved it" "$dir/out"
check "a path found only relative to the working directory loads (the original's rule), with a warning" $?
(cd "$dir" && "$ctl" --plugin-dir "$dir/plugins" --config cwd/conf/admin.yaml list-providers) >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "admin.yaml:2:[0-9]*: error: providers\[0\] (local-team): path ./providers/local-team: no such folder: not at $dir/cwd/conf/providers/local-team (relative to the config file's folder, this project's rule) nor at $dir/providers/local-team (relative to the working directory, the original's rule)" "$dir/out"
check "a path found nowhere is an error naming both candidates" $?

# hostile servers: a redirect, a changed cache, a server that never answers
# start_evil NAME MODE [TARGET]: tests/git_evil_server.py on a free port; sets $port
start_evil() {
	python3 "$src/tests/git_evil_server.py" "$dir/$1.port" $2 $3 2>"$dir/$1.log" &
	pids="$pids $!"
	i=0
	while [ ! -s "$dir/$1.port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
	port=$(cat "$dir/$1.port")
}
start_evil capture capture
cap=$port
start_evil redirect redirect "http://localhost:$cap"
printf 'providers:\n  - name: r\n    git_url: http://127.0.0.1:%s/git/team.git\n    auth: {token_env: INN_TEST_GIT_TOKEN}\n' \
	"$port" >"$dir/etc/redir.yaml"
runenv="INN_TEST_GIT_TOKEN=$token"; runctl "$dir/etc/redir.yaml" list-providers
[ $rc -eq 3 ] && grep -q 'redir.yaml:2:5: error: providers\[0\] (r): git clone of ' "$dir/out" &&
	! grep -q 'auth=yes' "$dir/capture.log" && ! grep -q "$token" "$dir/out"
check "a redirect to another host gets no credentials (the token goes to the configured host only)" $?
printf 'providers:\n  - name: secret-team\n    git_url: %s\n    path: team\n    auth: {token_env: INN_TEST_GIT_TOKEN, username: ci}\n' \
	"$priv" >"$dir/etc/tamper.yaml"
runenv="INN_TEST_GIT_TOKEN=$token"; runctl "$dir/etc/tamper.yaml" list-providers
for c in "$dir/cache/innominatus/providers/secret-team-"*/.git; do
	c=${c%/.git}
	git -C "$c" remote set-url origin "http://127.0.0.1:$cap/git/team.git"
done
: >"$dir/capture.log"
runenv="INN_TEST_GIT_TOKEN=$token"; runctl "$dir/etc/tamper.yaml" list-providers
[ $rc -eq 0 ] && grep -q '^your-team ' "$dir/out" && [ ! -s "$dir/capture.log" ] &&
	[ "$(git -C "$c" remote get-url origin)" = "$priv" ]
check "a fetch goes to the configured URL, not to the one the cache's clone says" $?
start_evil hang hang
hangport=$port
printf 'providers:\n  - {name: h, git_url: "http://127.0.0.1:%s/x.git"}\n  - {name: p, git_url: "%s", path: team}\n' \
	"$port" "$pub" >"$dir/etc/hang.yaml"
runenv="INNOMINATUS_GIT_TIMEOUT=1x"; runctl "$dir/etc/guide.yaml" list-providers
[ $rc -eq 3 ] && grep -q 'INNOMINATUS_GIT_TIMEOUT="1x": not a number of seconds' "$dir/out"
check "INNOMINATUS_GIT_TIMEOUT that is not a number of seconds is an error" $?
env INNOMINATUS_GIT_TIMEOUT=1 timeout 120 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/etc/hang.yaml" \
	list-providers >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q "hang.yaml:2:5: error: providers\[0\] (h): git clone of http://127.0.0.1:$port/x.git: no answer from the server for 1 s" "$dir/out" &&
	ls -d "$dir/cache/innominatus/providers/p-"*/team >/dev/null 2>&1
check "a git server that never answers fails its entry after INNOMINATUS_GIT_TIMEOUT; the others are served" $?

mkdir -p "$dir/outside/prov/workflows" "$dir/evil/sp" "$dir/evil/ok/workflows"
printf 'name: outsider\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/outside/prov/provider.yaml"
printf 'name: inside\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/evil/ok/provider.yaml"
printf 'name: w\nsteps:\n  - {name: w, type: shell, config: {script: "echo w"}}\n' >"$dir/evil/ok/workflows/w.yaml"
ln -s "$dir/outside/prov" "$dir/evil/linkdir"
ln -s "$dir/outside/prov/provider.yaml" "$dir/evil/sp/provider.yaml"
(cd "$dir/evil" && git init -q -b main && git add -A && git commit -qm evil &&
	git clone -q --bare . "$dir/public/evil.git") >/dev/null 2>&1
printf 'providers:\n  - {name: e1, git_url: "%s"}\n  - {name: e2, git_url: "%s", path: sp}\n' \
	"${pub%team.git}evil.git" "${pub%team.git}evil.git" >"$dir/etc/links.yaml"
runctl "$dir/etc/links.yaml" list-providers
[ $rc -eq 3 ] && grep -q '^linkdir@[0-9a-f]\{12\}: error: a symbolic link out of the provider folder .* not loaded' "$dir/out" &&
	grep -q '^sp/provider.yaml@[0-9a-f]\{12\}: error: provider.yaml is a symbolic link out of its folder' "$dir/out" &&
	! grep -q outsider "$dir/out" && ! grep -q "$dir/cache" "$dir/out"
check "a symbolic link in a clone that leads out of it (a scanned folder, a provider.yaml) is refused, named by its path in the repository and the commit (U11)" $?

printf '%s' "$token" >"$dir/tokfile"
chmod 644 "$dir/tokfile"
printf 'providers:\n  - name: tf-team\n    git_url: %s\n    path: team\n    auth: {token_file: %s, username: ci}\n' \
	"$priv" "$dir/tokfile" >"$dir/etc/tokfile.yaml"
runctl "$dir/etc/tokfile.yaml" list-providers
r1=$rc
grep -q "tokfile.yaml:2:5: error: providers\[0\] (tf-team): git clone of $priv: file $dir/tokfile: mode 0644: group or others may read it; refused (run: chmod 600 $dir/tokfile)" "$dir/out"
r2=$?
chmod 600 "$dir/tokfile"
runctl "$dir/etc/tokfile.yaml" list-providers
[ $r1 -eq 3 ] && [ $r2 -eq 0 ] && [ $rc -eq 0 ] && grep -q '^your-team ' "$dir/out" && ! grep -q "$token" "$dir/out"
check "a token_file that group or others may read is refused with a chmod hint; mode 600 is used" $?
printf 'providers:\n  - {name: d, git_url: "%s", path: team, ref: main}\n  - {name: d, git_url: "%s", path: team2}\n' \
	"$pub" "$pub" >"$dir/etc/dup.yaml"
runctl "$dir/etc/dup.yaml" list-providers
[ $rc -eq 3 ] && grep -q 'dup.yaml:3:[0-9]*: error: providers\[1\] (d): name "d" is already the name of providers\[0\] (line 2): each entry needs its own' "$dir/out"
check "two providers[] entries of one name are an error at the second" $?

mkdir -p "$dir/cache2"
for k in 1 2 3 4 5 6; do
	XDG_CACHE_HOME="$dir/cache2" "$ctl" --plugin-dir "$dir/plugins" --config "$dir/etc/guide.yaml" \
		list-providers >"$dir/conc.$k" 2>&1 &
	eval "cpid$k=\$!"
done
ok=0
for k in 1 2 3 4 5 6; do
	eval "wait \$cpid$k" && grep -q '^your-team ' "$dir/conc.$k" || ok=1
done
[ $ok -eq 0 ] && [ -z "$(ls -d "$dir/cache2/innominatus/providers/"*.new 2>/dev/null)" ]
check "innominatus-ctl runs side by side share the cache: each clone is locked and renamed into place" $?

printf 'providers:\n  - {name: q, git_url: "%s?access_token=%s"}\n  - {name: rh, git_url: "%s", ref: refs/heads/main, path: team}\n  - {name: g, git_url: "%s", path: .git}\n' \
	"$pub" "$token" "$pub" "$pub" >"$dir/etc/low.yaml"
runctl "$dir/etc/low.yaml" list-providers
[ $rc -eq 3 ] && grep -q 'low.yaml:2:[0-9]*: error: providers\[0\] (q): git_url must not hold a query string' "$dir/out" &&
	grep -q 'low.yaml:4:5: error: providers\[2\] (g): path ".git": .git is git.s own folder' "$dir/out" &&
	! grep -q 'providers\[1\]' "$dir/out" && ! grep -q "$token" "$dir/out"
check "a query string in git_url and path .git are refused; ref refs/heads/main is a branch" $?

# 15-19: the server, at start and on reload
server_conf "$dir/etc/server.yaml" "$dir"
cat >>"$dir/etc/server.yaml" <<EOF
providers:
  - name: public-team
    git_url: $pub
    path: team2
  - name: secret-team
    type: git
    repository: $priv
    path: team
    ref: main
    auth: {token_env: INN_TEST_GIT_TOKEN, username: ci}
  - {name: gone-team, git_url: "$pub-gone", path: team}
  - {name: hang-team, git_url: "http://127.0.0.1:$hangport/x.git"}
workflowPolicies:
  allowedStepTypes: [shell]
EOF
mkdir -p "$dir/work/team/workflows"
cat >"$dir/work/team/workflows/peek.yaml" <<'EOF'
name: peek
steps:
  - name: peek
    type: shell
    config:
      script: |
        p=$$
        while [ "$p" -gt 1 ]; do
          if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q '^INN_TEST_GIT_TOKEN=.'; then exit 7; fi
          p=$(awk '{print $4}' "/proc/$p/stat")
        done
        echo no token in the environment of any parent
EOF
(cd "$dir/work" && git add -A && git commit -qm peek && git push -q "$dir/private/team.git" main) \
	>/dev/null 2>&1
key=$("$srvbin" --config "$dir/etc/server.yaml" --create-admin-key ops 2>/dev/null)
: >"$dir/kh_none"
INNOMINATUS_GIT_KNOWN_HOSTS="$dir/kh_none" INN_TEST_GIT_TOKEN="$token" INNOMINATUS_GIT_TIMEOUT=1 \
	"$srvbin" --config "$dir/etc/server.yaml" 2>"$dir/server.log" &
spid=$!
pids="$pids $spid"
url=""
i=0
while [ $i -lt 400 ]; do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$dir/server.log" 2>/dev/null)
	[ -n "$url" ] && curl -sf -o /dev/null "$url/ready" && break
	i=$((i + 1)); sleep 0.05
done
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
"$ctl" list-providers >"$dir/out" 2>&1
cat "$dir/server.log" >>"$dir/out"
grep -q '^your-team ' "$dir/out" && grep -q '^other-team ' "$dir/out" &&
	ls -d "$dir/data/state/_providers/_config/secret-team-"* >/dev/null 2>&1 &&
	grep -q "server.yaml:16:5: error: providers\[2\] (gone-team): git clone of $pub-gone" "$dir/out" &&
	grep -q "server.yaml:17:5: error: providers\[3\] (hang-team): git clone of http://127.0.0.1:$hangport/x.git: no answer from the server for 1 s" "$dir/out"
check "the server clones the config's git entries at start (public and private) and serves them; a failed one (or one that never answers) is an error naming it" $?
"$ctl" run your-team/hello >"$dir/out" 2>&1 && grep -q 'succeeded' "$dir/out"
check "a workflow of the private provider runs through the server" $?
"$ctl" run your-team/peek >"$dir/out" 2>&1 && grep -q 'succeeded' "$dir/out"
check "a step cannot read the git token from the environment of the server or its worker" $?
printf 'name: bye\nsteps:\n  - {name: bye, type: shell, config: {script: "echo bye"}}\n' \
	>"$dir/work/team/workflows/bye.yaml"
(cd "$dir/work" && git add -A && git commit -qm two && git push -q "$dir/private/team.git" main) \
	>/dev/null 2>&1
"$ctl" run your-team/bye >"$dir/out" 2>&1
r1=$?
"$ctl" admin reload >"$dir/out" 2>&1 && "$ctl" run your-team/bye >"$dir/out" 2>&1 &&
	grep -q 'succeeded' "$dir/out" && [ $r1 -ne 0 ]
check "admin reload fetches the private entry's new commit; its new workflow runs" $?
# GET /api/providers says where each comes from: the entry's repository,
# ref and folder, and the commit checked out (the new one after the reload)
for p in your-team other-team; do
	curl -s -H "Authorization: Bearer $key" "$url/api/providers/$p" |
		python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["source"], sort_keys=True))'
done >"$dir/out" 2>&1
cat >"$dir/want" <<EOF
{"commit": "$(git -C "$dir/private/team.git" rev-parse main)", "git_url": "$priv", "path": "team", "ref": "main", "type": "git"}
{"commit": "$(git -C "$dir/public/team.git" rev-parse HEAD)", "git_url": "$pub", "path": "team2", "ref": null, "type": "git"}
EOF
cmp -s "$dir/out" "$dir/want"
check "the config's git providers say their source: repository, ref, folder, the commit checked out" $?
if [ -n "${sp:-}" ]; then
	"$ctl" admin add-provider ssh-team --git-url "ssh://git@127.0.0.1:$sp/team.git" >"$dir/out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q "SSH host \[127.0.0.1\]:$sp is not in the known hosts file $dir/kh_none; refused" "$dir/out"
	check "POST /api/admin/providers takes an ssh:// URL; the server checks its host key (INNOMINATUS_GIT_KNOWN_HOSTS)" $?
else
	n=$((n + 1))
	echo "ok $n - # SKIP python3 has no cryptography module for the SSH stand-in"
fi
: >"$dir/api"
for route in /api/admin/providers /api/admin/audit /api/providers /api/admin/reload; do
	m=GET
	[ "$route" = /api/admin/reload ] && m=POST
	curl -s -X $m -H "Authorization: Bearer $key" "$url$route" >>"$dir/api"
done
kill $spid
wait $spid 2>/dev/null
cat "$dir/server.log" >>"$dir/api"
! grep -q "$token" "$dir/api" "$dir/data/inn.db" "$dir/data/state/_providers/_config/"*/.git/config \
	"$dir/cache/innominatus/providers/"*/.git/config && grep -q 'your-team' "$dir/api"
check "the token is in no server log, API reply, audit entry, store or clone config" $?
exit $fail
