# kube_lib.sh - starting the Kubernetes STAND-IN (tests/standins/kube_apiserver.py)
# from a shell test.  Source it after setting INN_TOP_SRCDIR:
#
#   . "$INN_TOP_SRCDIR/tests/standins/kube_lib.sh"
#   kube_start DIR [ARG...]   starts the stand-in (its files in DIR: port,
#                             kubeconfig, stand-in.log, stderr) with ARGs
#                             (see kube_apiserver.py --help); waits for the
#                             port; sets $kube_pid, $kube_url, $kube_config
#                             (a kubeconfig for it); returns 1 if it did not
#                             come up (its stderr is then on our stderr).
#                             kube_start itself passes --port 0, --port-file,
#                             --write-kubeconfig DIR/kubeconfig and --log
#                             DIR/stand-in.log (one JSON line per request):
#                             do not pass those again
#   kube_stop                 kills the stand-in started last (by its pid)
#
# With --gen-certs DIR2 among ARGs the server speaks HTTPS with client
# certificates and $kube_config carries the CA and the client certificate.
# The stand-in exits by itself when the shell that started it exits.
kube_start() {
	_kd=$1
	shift
	mkdir -p "$_kd"
	rm -f "$_kd/port"
	python3 "${INN_TOP_SRCDIR:?}/tests/standins/kube_apiserver.py" --port 0 \
		--port-file "$_kd/port" --write-kubeconfig "$_kd/kubeconfig" \
		--log "$_kd/stand-in.log" "$@" 2>"$_kd/stderr" &
	kube_pid=$!
	_ki=0
	while [ ! -s "$_kd/port" ] && [ $_ki -lt 300 ]; do
		if ! kill -0 "$kube_pid" 2>/dev/null; then break; fi
		_ki=$((_ki + 1)); sleep 0.05
	done
	if [ ! -s "$_kd/port" ]; then
		cat "$_kd/stderr" >&2
		return 1
	fi
	kube_config="$_kd/kubeconfig"
	kube_url=$(sed -n 's/^ *server: //p' "$kube_config")
	return 0
}

kube_stop() {
	if [ -n "${kube_pid:-}" ]; then
		kill "$kube_pid" 2>/dev/null
		wait "$kube_pid" 2>/dev/null
		kube_pid=""
	fi
}
