#!/bin/sh
# containment.sh - hostile replays of the process-containment findings
# (CR-6, CR-8, CR-9, CR-11, descriptor exhaustion) with the evil.so fixture
# plugin, and of IJ-9 (paths rendered from a user's parameters) with the
# ansible and terraform plugins, against a running server.  Each check
# asserts what a user (or the host's operator) would notice.
. "${INN_TOP_SRCDIR:?}/tests/hostile/lib.sh"

h_init containment
fx=${INN_FIXTURE_DIR:?}
h_plugin "$fx/evil.so"
have_plugin() { [ -f "$build/plugins/$1/.libs/$1.so" ]; }
for p in ansible terraform; do
	have_plugin $p && h_plugin "$build/plugins/$p/.libs/$p.so"
done
cp -R "$src/tests/data/hostile/containment" "$H/providers"
chmod -R u+w "$H/providers"
if ! have_plugin ansible || ! have_plugin terraform; then
	rm -rf "$H/providers/paths-team"
fi
H_POLICY_YAML="  stepMemoryLimit: 256Mi"
h_start "$H/providers" || { echo "1..0 # SKIP the server did not start"; exit 1; }
RED=$(h_key red-user user red)

skip() { h_n=$((h_n + 1)); echo "ok $h_n - $1 # SKIP $2"; }
# leftover processes this script started (by pid, never by name)
mine=""
cleanup_mine() { for p in $mine; do kill -9 "$p" 2>/dev/null; done; }
trap 'cleanup_mine; h_cleanup' EXIT

run() { # WORKFLOW PARAMS_JSON -> prints the execution id
	api POST /api/workflows/run "$RED" -d "{\"workflow\":\"$1\",\"parameters\":$2}" | jf id
}
logs() { api GET "/api/workflows/$1/logs?limit=1000" "$RED"; }
info() { api GET "/api/workflows/$1" "$RED"; }
status_is() { [ "$(h_status "$1" "$RED")" = "$2" ]; }
says() { # ID TEXT: the execution or its logs say TEXT
	{ info "$1"; logs "$1"; } | grep -F -q -- "$2"
}
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ]; }
# "worker pid W forked C" from the step log of ID (waits up to 10 s)
forked() {
	i=0
	while [ $i -lt 100 ]; do
		l=$(logs "$1" | grep -o 'worker pid [0-9]* forked [0-9]*' | head -1)
		[ -n "$l" ] && { echo "$l" | sed 's/worker pid \([0-9]*\) forked \([0-9]*\)/\1 \2/'; return 0; }
		i=$((i + 1)); sleep 0.1
	done
	return 1
}
gone() { # not running: dead, or a zombie waiting for init
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
not_zombie() { [ ! -e "/proc/$1" ] || ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
no_defunct_children() {
	[ -z "$(ps -o stat= --ppid "$1" 2>/dev/null | grep Z)" ]
}
procs_with() { # the pids of processes whose command line is exactly "sleep MARKER"
	for d in /proc/[0-9]*; do
		c=$(tr '\0' ' ' 2>/dev/null < "$d/cmdline") 2>/dev/null
		[ "$c" = "sleep $1 " ] && echo "${d#/proc/}"
	done
}

# ---- CR-6: a forked child that exits is reaped, no zombie stays ----------
id=$(run evil-team/zombie '{}')
h_wait_final "$id" "$RED" 20
set -- $(forked "$id") 0 0
wpid=$1 child=$2
check "CR-6 the zombie step succeeded" status_is "$id" succeeded
check "CR-6 the plugin's exited child was reaped (no <defunct> under the worker)" \
	not_zombie "$child"
check "CR-6 the worker has no defunct children" no_defunct_children "$wpid"
check "CR-11 workers run with oom_score_adj above the server's" \
	[ "$(cat "/proc/$wpid/oom_score_adj" 2>/dev/null || echo 0)" -gt "$(cat "/proc/$spid/oom_score_adj")" ]

# ---- no descriptor of the server or the protocol reaches a step ---------
check "the worker holds no descriptor of the server's store" \
	eval "! ls -l /proc/$wpid/fd 2>/dev/null | grep -q 'inn\.db'"
id=$(run evil-team/fd-list '{}')
h_wait_final "$id" "$RED" 20
check "a step program inherits only stdin, stdout and stderr" \
	eval "[ \"\$(logs $id | grep -o '\"line\":\"[0-9]*\"' | tr -d '\n')\" = '\"line\":\"0\"\"line\":\"1\"\"line\":\"2\"' ]"

# ---- CR-8: double-forked daemons do not survive their step ---------------
m1="40$$1.5" m2="40$$2.5"
id=$(run evil-team/daemon "{\"m1\":\"$m1\",\"m2\":\"$m2\"}")
h_wait_final "$id" "$RED" 30
left1=$(procs_with "$m1") left2=$(procs_with "$m2")
mine="$mine $left1 $left2"
check "CR-8 the daemon steps succeeded" status_is "$id" succeeded
check "CR-8 the plugin's double-forked daemon is gone after its step" [ -z "$left1" ]
check "CR-8 the shell step's double-forked daemon is gone after its step" [ -z "$left2" ]
check "CR-8 the step log says a process left behind was killed" \
	says "$id" "killed 1 process left behind by the step"

# ---- CR-9: a worker killed while its fork holds the socket ---------------
id=$(run evil-team/orphan '{}')
set -- $(forked "$id") 0 0
wpid=$1 child=$2
mine="$mine $child"
[ "$wpid" -gt 1 ] && kill -9 "$wpid"
# wall-clock bound (h_wait_final counts polls, which are slow on a busy
# machine): the step deadline is 60 s, the fork holds the socket for 120 s
end=$(($(date +%s) + 20))
while [ "$(date +%s)" -lt $end ] && status_is "$id" running; do sleep 0.2; done
check "CR-9 the step fails within 20 s of the kill (step deadline 60 s)" status_is "$id" failed
check "CR-9 the message names the real cause: killed by signal 9" says "$id" "killed by signal 9"
check "CR-9 the fork that held the worker's socket is gone" gone "$child"
check "CR-9 the server still answers /health" healthy

# ---- CR-11: a per-step memory limit (stepMemoryLimit: 256Mi) -------------
id=$(run evil-team/oom '{"mb":512}')
h_wait_final "$id" "$RED" 30
if grep -q "not enforced in this AddressSanitizer build" "$H/server.log"; then
	skip "CR-11 a plugin step over the memory limit fails" "AddressSanitizer build"
	skip "CR-11 a program over the memory limit fails" "AddressSanitizer build"
else
	check "CR-11 a plugin step allocating 512 MiB under a 256 MiB limit fails" \
		status_is "$id" failed
	check "CR-11 ... with a message naming the limit" \
		says "$id" "exceeded its memory limit (256 MiB"
	id=$(run evil-team/oom-shell '{"mb":512}')
	h_wait_final "$id" "$RED" 30
	check "CR-11 a program a shell step runs cannot allocate 512 MiB either" \
		status_is "$id" failed
	check "CR-11 ... and says so (MemoryError)" says "$id" "MemoryError"
fi
check "CR-11 the server is unaffected (/health)" healthy
id=$(run evil-team/oom '{"mb":32}')
h_wait_final "$id" "$RED" 30
check "CR-11 a step within the limit still succeeds afterwards" status_is "$id" succeeded

# ---- a shell working_dir does not follow a planted symbolic link out ------
id=$(run evil-team/cwd-link '{}')
h_wait_final "$id" "$RED" 30
check "a shell working_dir that leads out of the workspace through a link is refused" \
	says "$id" "leads out of the workspace; refused"
check "... and the step never ran in /etc" eval "! logs $id | grep -q '\"line\":\"/etc\"'"

# ---- descriptor exhaustion inside a worker fails the step only -----------
id=$(run evil-team/fds '{}')
h_wait_final "$id" "$RED" 30
check "a plugin that exhausts its descriptors fails its step" status_is "$id" failed
id=$(run evil-team/oom-shell '{"mb":1}')
h_wait_final "$id" "$RED" 30
check "... and the next step (a program, with pipes) runs normally" status_is "$id" succeeded

# ---- IJ-9: paths rendered from a user's parameters stay confined ---------
# a fresh server: these checks must not depend on the workers above
h_stop
h_start "$H/providers" || exit 1
if [ -d "$H/providers/paths-team" ]; then
	pt="$H/providers/paths-team"
	ln -s /etc/passwd "$pt/playbooks/link.yml"
	for pb in /etc/shadow /etc/passwd "$pt/playbooks/link.yml" playbooks/link.yml \
	    "$pt/../../../../etc/passwd"; do
		id=$(run paths-team/ans "{\"pb\":\"$pb\"}")
		h_wait_final "$id" "$RED" 60
		check "IJ-9 ansible playbook=$pb is refused" status_is "$id" failed
		check "IJ-9 ... and no line of the file reaches the log" \
			eval "! { info $id; logs $id; } | grep -q 'root:'"
	done
	id=$(run paths-team/ans '{"pb":"/etc/shadow"}')
	h_wait_final "$id" "$RED" 60
	check "IJ-9 ... the refusal says why" says "$id" "is outside the provider folder"
	id=$(run paths-team/ans-inv '{"inv":"/etc/shadow"}')
	h_wait_final "$id" "$RED" 60
	check "IJ-9 ansible inventory=/etc/shadow is refused" says "$id" "config.inventory"
	check "IJ-9 ... and no line of it reaches the log" \
		eval "! { info $id; logs $id; } | grep -q 'root:'"
	for d in /etc /; do
		id=$(run paths-team/tf "{\"dir\":\"$d\"}")
		h_wait_final "$id" "$RED" 60
		check "IJ-9 terraform working_dir=$d is refused" \
			says "$id" "is outside the provider folder"
	done
	for p in /etc/evil.tfstate ../../../../../tmp/evil.tfstate; do
		id=$(run paths-team/tf-backend "{\"p\":\"$p\"}")
		h_wait_final "$id" "$RED" 60
		check "IJ-9 terraform backend_config.path=$p is refused" \
			says "$id" "config.backend_config.path"
	done
	if command -v ansible-playbook >/dev/null 2>&1; then
		for pb in playbooks/ok.yml "$pt/playbooks/ok.yml"; do
			id=$(run paths-team/ans "{\"pb\":\"$pb\"}")
			h_wait_final "$id" "$RED" 120
			check "IJ-9 a playbook inside the provider folder still runs ($pb)" \
				status_is "$id" succeeded
		done
	else
		skip "IJ-9 a playbook inside the provider folder still runs" "no ansible-playbook"
	fi
	if command -v terraform >/dev/null 2>&1; then
		id=$(run paths-team/tf "{\"dir\":\"$pt/tf/ok\"}")
		h_wait_final "$id" "$RED" 120
		check "IJ-9 a module inside the provider folder still plans" status_is "$id" succeeded
	else
		skip "IJ-9 a module inside the provider folder still plans" "no terraform"
	fi
else
	skip "IJ-9 ansible and terraform paths" "ansible.so / terraform.so not built"
fi
check "the server is still healthy at the end" healthy

# ---- a stepMemoryLimit that is no size is refused at start ---------------
h_stop
H_POLICY_YAML="  stepMemoryLimit: 12Q"
h_config
timeout 10 "$srvbin" --config "$H/conf.yaml" > "$H/bad.log" 2>&1
check "stepMemoryLimit: 12Q is refused at start, naming the field" \
	grep -q 'workflowPolicies.stepMemoryLimit.*"12Q" is not a size' "$H/bad.log"
h_done
