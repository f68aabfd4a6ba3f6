#!/bin/sh
# compat_corpus.sh - the original innominatus's own files (../shared/compat,
# or $INN_COMPAT_DIR) under the issue's rule: every provider, workflow,
# golden-path, admin-config and Score file either runs as it did there
# (succeeded) or is refused AT LOAD with file:line:col and a precise reason;
# a file accepted at load that then fails at run time is a failure naming
# it.  Workflows whose step types exist here are RUN with `run --local`
# under the original admin-config.yaml: a resource type's create workflow
# for a Score spec asking for that type (the engine's standard inputs), any
# other workflow as provider/workflow with the standard inputs and values
# derived from the declared types, patterns and allowed values.  Their
# scripts' HTTP calls (Gitea, Keycloak) reach a stand-in the test starts
# (curl's proxy, through the step's $HOME/.curlrc).  Files that need a
# step type no plugin provides must be refused at load naming the type;
# a file of a provider the catalogue leaves out for errors in its other
# files counts as refused at load through its provider, for those errors.
# Ends with a summary: ran, refused at load, accepted-then-failed.  Prints
# TAP; skipped without the folder or python3 with PyYAML.  Its plugins are
# shell, terraform and ansible only: the workflows that need kubernetes,
# argocd-app, gitea-repo (the demo providers) are refused here naming the
# type, and tests/compat_demo.sh loads and runs them with those plugins
# against the stand-ins and a real RGW.
# INN_CORPUS_ADMIN: another admin config than the original's (to try a policy).
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
compat=${INN_COMPAT_DIR:-$src/../shared/compat}
if [ ! -d "$compat/providers" ]; then
	echo "1..0 # SKIP compat folder absent: $compat (set INN_COMPAT_DIR)"
	exit 0
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3 with PyYAML is needed to read the original's files"
	exit 0
fi
compat=$(cd "$compat" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-corpus-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$spid" ] && wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/home" "$dir/cwd"
chmod 755 "$dir/plugins"
for p in shell terraform ansible; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done

# the stand-in for the HTTP services the scripts call (Gitea, Keycloak): a
# small REST store -- a POST to a collection adds the object, a GET of a
# collection (.../repos, .../groups) lists them, any other GET finds an
# object, DELETE succeeds
cat >"$dir/standin.py" <<'PY'
import http.server, json, sys
OBJ = {"id": 7, "name": "standin", "access_token": "standin-token",
       "clone_url": "http://standin/x.git", "ssh_url": "git@standin:x.git"}
store = {}
def dump(o):
    return json.dumps(o, separators=(",", ":")).encode()
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        sys.stderr.write("%s %s -> %d\n" % (self.command, self.path, code))
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            o = json.loads(raw)
            return o if isinstance(o, dict) else {}
        except ValueError:
            return {}
    def key(self):
        return self.path.split("?")[0].rstrip("/")
    def do_GET(self):
        k = self.key()
        if k.rsplit("/", 1)[-1].endswith("s"):
            self.reply(200, dump(store.get(k, [])))
        else:
            self.reply(200, dump(OBJ))
    def do_POST(self):
        o = self.body()
        store.setdefault(self.key(), []).append(dict(o, id="7"))
        self.reply(201, dump(dict(OBJ, **o)))
    def do_PUT(self):
        self.reply(200, dump(dict(OBJ, **self.body())))
    do_PATCH = do_PUT
    def do_DELETE(self):
        self.body()
        self.reply(204)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$dir/standin.py" "$dir/port" 2>"$dir/standin.log" &
spid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
printf 'proxy = "http://127.0.0.1:%s"\n' "$(cat "$dir/port")" >"$dir/home/.curlrc"

INN_CORPUS_DIR=$dir INN_COMPAT=$compat python3 - <<'PY'
import glob, json, os, re, subprocess, sys
import yaml

ctl = os.environ["INN_CTL"]
src = os.environ["INN_TOP_SRCDIR"]
compat = os.environ["INN_COMPAT"]
tmp = os.environ["INN_CORPUS_DIR"]
plugins = os.path.join(tmp, "plugins")
admin = os.environ.get("INN_CORPUS_ADMIN") or os.path.join(compat, "admin-config.yaml")
env = dict(os.environ, HOME=os.path.join(tmp, "home"), TF_CLI_CONFIG_FILE="/dev/null",
           INNOMINATUS_STATE_DIR=os.path.join(tmp, "state"))
for k in ("INNOMINATUS_SERVER", "INNOMINATUS_TOKEN"):
    env.pop(k, None)
APP = "compat-app"

def rel(p):
    return os.path.relpath(p, compat)

def ctl_run(*args, cwd=None, timeout=300):
    try:
        r = subprocess.run([ctl, "--plugin-dir", plugins] + list(args), cwd=cwd or os.path.join(tmp, "cwd"),
                           env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return r.returncode, r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode("utf-8", "replace") + "\n(timed out)"

# the step types that exist here: the plugins' own, and the legacy types
# docs/compat.md maps onto one of them (step-type:X | mapped | Y.so ...)
rc, out = ctl_run("-o", "json", "plugins")
have = set()
for p in json.loads(out)["loaded"]:
    have.update(p["step_types"])
for line in open(os.path.join(src, "docs", "compat.md")):
    m = re.match(r"\| `step-type:([^`]+)` \| mapped \| ([a-z-]+)\.so", line)
    if m and m.group(2) in have:
        have.add(m.group(1))

n = 0
failed = []
summary = {"ran": [], "refused": [], "refused-wrongly": [], "accepted-then-failed": [], "loaded": []}
STD = ("app_name", "resource_name", "resource_type", "bucket_name", "namespace")

def tap(ok, desc, detail=""):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    if not ok:
        last = [l.strip() for l in detail.strip().splitlines() if l.strip()]
        failed.append("%s -- %s" % (desc, last[-1][:200] if last else "?"))
        for l in detail.strip().splitlines()[-8:]:
            print("#   " + l)
    sys.stdout.flush()

def errors_for(out, path):
    """The output's error lines at a position in PATH: file:line:col: error: ..."""
    base = re.escape(os.path.basename(path))
    return [l for l in out.splitlines() if re.search(r"(^|/)%s:\d+:\d+: error: " % base, l)]

def part(doc, key):
    """A workflow file's KEY at the top or under spec: (a name: {...} mapping as a list)."""
    v = doc.get(key) if isinstance(doc, dict) else None
    if v is None and isinstance(doc, dict) and isinstance(doc.get("spec"), dict):
        v = doc["spec"].get(key)
    if isinstance(v, dict):
        v = [dict(d or {}, name=k) for k, d in v.items()]
    return v if isinstance(v, list) else []

def derive(decl):
    """A value of the declared type that meets the pattern, allowed values and min."""
    t = str(decl.get("type", "string"))
    allowed = decl.get("allowed_values") or decl.get("enum")
    if allowed:
        return str(allowed[0])
    if t in ("integer", "int", "number", "float"):
        return str(decl.get("min", 1))
    if t in ("boolean", "bool"):
        return "true"
    if t == "duration":
        return "1h"
    if t in ("object", "map"):
        return "{}"
    if t in ("array", "list"):
        return "[]"
    pat = decl.get("pattern")
    for cand in ("compat-probe", "probe", "a1", "1h", "1", "x"):
        if not pat or re.search(pat, cand):
            return cand
    return "compat-probe"

def standard_inputs(rtype, res="res"):
    return {"app_name": APP, "resource_name": res, "resource_type": rtype or "",
            "bucket_name": "%s-%s" % (APP, res), "namespace": "%s-default" % APP}

LEFT_OUT = r"the catalog has \d+ error\(s\): the providers and golden paths they name are left out"

def judge_run(label, rc, out, provider=None, perrs=()):
    """A run of a file accepted at load must succeed.  When its provider
    has errors in other files (perrs, from validate-provider) and the
    catalogue left the whole provider out, so that the run never started
    (exit 3), the file was refused at load through its provider, for the
    provider's errors: counted as refused, with the first of them."""
    ok = rc == 0 and re.search(r"\bsucceeded\b", out) is not None
    if not ok and perrs and rc == 3 and re.search(LEFT_OUT, out) and \
            not re.search(r"^(Running workflow|Resource \S+ \()", out, re.M):
        summary["refused"].append("%s: through provider %s: %s" % (label, provider, perrs[0]))
        tap(True, "%s: its provider %s is refused at load (%d error(s) in its other files), "
            "so it is too" % (label, provider, len(perrs)))
        return
    if ok:
        summary["ran"].append(label)
    else:
        summary["accepted-then-failed"].append(label)
    tap(ok, "%s: accepted at load, so it must run (exit %d)" % (label, rc), out)

noop = os.path.join(tmp, "noop.yaml")
with open(noop, "w") as f:
    # the main workflow of a Score run: a legacy policy step, as the original's files use
    f.write('name: noop\nsteps:\n  - {name: done, type: policy, config: {script: "echo done"}}\n')

# --- admin configs --------------------------------------------------------
for cfg in [admin] + sorted(glob.glob(os.path.join(compat, "examples", "*admin-config*.yaml"))):
    rc, out = ctl_run("--config", cfg, "plugins", cwd=compat)
    if rc == 0:
        summary["loaded"].append(rel(cfg))
        tap(True, "%s: loads as the admin config" % rel(cfg))
    else:
        errs = errors_for(out, cfg)
        if errs:
            summary["refused"].append("%s: %s" % (rel(cfg), errs[0]))
        tap(bool(errs), "%s: loads, or is refused with file:line:col" % rel(cfg), out)

# --- providers and their workflows ------------------------------------------
provider_dirs = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(compat, "providers", "*", "provider.yaml")))
extra = os.path.join(compat, "examples", "platform.yaml")
if os.path.exists(extra):
    d = os.path.join(tmp, "platform")
    os.makedirs(d, exist_ok=True)
    with open(extra) as f, open(os.path.join(d, "provider.yaml"), "w") as g:
        g.write(f.read())
    provider_dirs.append(d)

for pdir in provider_dirs:
    label = rel(pdir) if pdir.startswith(compat) else "examples/platform.yaml"
    with open(os.path.join(pdir, "provider.yaml")) as f:
        man = yaml.safe_load(f) or {}
    pname = (man.get("metadata") or {}).get("name") or man.get("name")
    rc, vout = ctl_run("--config", admin, "validate-provider", pdir)
    perrs = errors_for(vout, os.path.join(pdir, "provider.yaml"))
    pall = [l for l in vout.splitlines() if re.search(r":\d+:\d+: error: ", l)]
    vague = [l for l in vout.splitlines() if "error:" in l and not re.search(r":\d+:\d+: error: ", l)]
    tap(not vague, "%s: every refusal in it has file:line:col" % label, "\n".join(vague))
    if perrs:
        summary["refused"].append("%s/provider.yaml: %s" % (label, perrs[0]))
    # the create workflow of each resource type
    creates = {}
    caps = man.get("capabilities") or {}
    for c in caps.get("resourceTypeCapabilities") or []:
        wfn = ((c.get("operations") or {}).get("create") or {}).get("workflow")
        if wfn and c.get("type"):
            creates.setdefault(wfn, c["type"])
    entries = man.get("workflows") or []
    for t in caps.get("resourceTypes") or []:
        for e in entries:
            if e.get("operation") == "create" or e.get("category") == "provisioner":
                creates.setdefault(e.get("name"), t)
                break
    for e in entries:
        wname = e.get("name")
        wfile = os.path.normpath(os.path.join(pdir, e.get("file", "")))
        wlabel = "%s/%s" % (label, e.get("file", "").lstrip("./"))
        try:
            with open(wfile) as f:
                doc = yaml.safe_load(f)
        except OSError:
            doc = None
        types = sorted({str(s.get("type")) for s in part(doc, "steps") if isinstance(s, dict)})
        missing = [t for t in types if t not in have]
        errs = errors_for(vout, wfile)
        if missing:
            named = [t for t in missing if any('"%s"' % t in l for l in errs)]
            tap(named == missing, "%s: needs step type(s) %s, refused at load naming them"
                % (wlabel, ", ".join(missing)), "\n".join(errs) or vout)
            summary["refused"].append("%s: %s" % (wlabel, errs[0] if errs else "NOT REFUSED"))
            continue
        rtype = creates.get(wname)
        if errs:
            # every step type exists here: the refusal must be about the file,
            # not about our plugins, our policy or inputs the engine passes
            ours = [l for l in errs if re.search(r"no plugin provides step type|allowedStepTypes", l) or
                    (rtype and re.search(r"references parameters\.(%s)\b.*not declared" % "|".join(STD), l))]
            if ours:
                summary["refused-wrongly"].append("%s: %s" % (wlabel, ours[0]))
            else:
                summary["refused"].append("%s: %s" % (wlabel, errs[0]))
            tap(not ours, "%s: refused at load for a reason in the file itself" % wlabel, "\n".join(ours))
            continue
        decls = [d for d in part(doc, "parameters") if isinstance(d, dict) and d.get("name")]
        if rtype:
            # a resource of that type in a Score spec: the engine passes the standard inputs
            std = standard_inputs(rtype)
            rparams = {d["name"]: derive(d) for d in decls
                       if d.get("required") and "default" not in d and d["name"] not in std}
            spec = os.path.join(tmp, "spec-%s-%s.yaml" % (pname, wname))
            with open(spec, "w") as f:
                yaml.safe_dump({"apiVersion": "score.dev/v1b1", "metadata": {"name": APP},
                                "containers": {"web": {"image": "web:1"}},
                                "resources": {"res": {"type": rtype, "params": rparams}}}, f)
            rc, out = ctl_run("--config", admin, "--providers", pdir, "run", "--local", noop, spec)
            judge_run("%s (create workflow of %s, for a Score spec)" % (wlabel, rtype), rc, out,
                      pname, pall)
        else:
            std = standard_inputs(None)
            args = []
            for d in decls:
                if d["name"] in std:
                    args += ["--param", "%s=%s" % (d["name"], std[d["name"]])]
                elif d.get("required") and "default" not in d:
                    args += ["--param", "%s=%s" % (d["name"], derive(d))]
            rc, out = ctl_run("--config", admin, "--providers", pdir, "run", "--local",
                              "%s/%s" % (pname, wname), *args)
            judge_run("%s (as %s/%s)" % (wlabel, pname, wname), rc, out, pname, pall)

# --- golden-path catalogues ---------------------------------------------------
for gpf in [os.path.join(compat, "goldenpaths.yaml")] + sorted(glob.glob(os.path.join(compat, "examples", "*goldenpaths*.yaml"))):
    with open(gpf) as f:
        gdoc = yaml.safe_load(f) or {}
    gps = (gdoc.get("goldenpaths") or {}) if isinstance(gdoc, dict) else {}
    rc, out = ctl_run("--config", admin, "--providers", os.path.join(tmp, "cwd"), "--goldenpaths", gpf,
                      "list-goldenpaths", cwd=os.path.dirname(gpf))
    errs = errors_for(out, gpf)
    if not gps:
        tap(rc == 0, "%s: an empty catalogue loads" % rel(gpf), out)
        summary["loaded"].append(rel(gpf))
        continue
    for name, g in gps.items():
        mine = [l for l in errs if "goldenpaths.%s" % name in l or '"%s"' % name in l]
        if not mine and isinstance(g, dict):
            wf = os.path.normpath(os.path.join(os.path.dirname(gpf), str(g.get("workflow", ""))))
            mine = [l for l in out.splitlines() if os.path.basename(wf) in l and "error" in l]
        if mine:
            summary["refused"].append("%s#%s: %s" % (rel(gpf), name, mine[0]))
            tap(re.search(r":\d+:\d+: error: ", mine[0]) is not None,
                "%s#%s: refused at load with file:line:col" % (rel(gpf), name), mine[0])
            continue
        args = []
        for k, d in ((g or {}).get("parameters") or {}).items():
            if isinstance(d, dict) and "default" not in d:
                args += ["--param", "%s=%s" % (k, derive(d))]
        rc2, out2 = ctl_run("--config", admin, "--providers", os.path.join(tmp, "cwd"), "--goldenpaths", gpf,
                            "run", "--local", name, *args,
                            cwd=os.path.dirname(gpf))
        judge_run("%s#%s (golden path)" % (rel(gpf), name), rc2, out2)

# --- Score specs ------------------------------------------------------------------
specs = sorted(glob.glob(os.path.join(compat, "examples", "*.yaml")) +
               glob.glob(os.path.join(compat, "providers", "*", "examples", "*.yaml")))
pargs = []
for pdir in provider_dirs:
    if pdir.startswith(compat):
        pargs += ["--providers", pdir]
for spec in specs:
    with open(spec) as f:
        first = next(yaml.safe_load_all(f), None)
    if not isinstance(first, dict) or not str(first.get("apiVersion", "")).startswith("score.dev"):
        continue
    rc, out = ctl_run("--config", admin, *pargs, "run", "--local", noop, spec, "--dry-run")
    if rc != 0:
        # the reason must be about this spec: a position in it, or one of its resources
        names = list((first.get("resources") or {}).keys())
        errs = [l for l in out.splitlines() if re.search(r":\d+:\d+: error: ", l) and
                (re.search(r"(^|/)%s:\d+:\d+: error: " % re.escape(os.path.basename(spec)), l) or
                 any('resource "%s"' % r in l for r in names))]
        ok = rc == 3 and bool(errs)
        if ok:
            summary["refused"].append("%s: %s" % (rel(spec), errs[0]))
        else:
            summary["refused-wrongly"].append("%s: %s" % (rel(spec), out.strip().splitlines()[-1]))
        tap(ok, "%s: Score spec refused at load with file:line:col about it" % rel(spec),
            "\n".join(out.strip().splitlines()[-2:]))
        continue
    rc, out = ctl_run("--config", admin, *pargs, "run", "--local", noop, spec)
    judge_run("%s (Score spec, with its resources)" % rel(spec), rc, out)

print("1..%d" % n)
print("# summary: %d ran, %d refused at load with a reason, %d accepted-then-failed, "
      "%d refused for a reason not in the file, %d loaded (configs, catalogues)"
      % (len(summary["ran"]), len(summary["refused"]), len(summary["accepted-then-failed"]),
         len(summary["refused-wrongly"]), len(summary["loaded"])))
for k in ("ran", "accepted-then-failed", "refused-wrongly", "refused"):
    for x in summary[k]:
        print("# %s: %s" % (k, x))
if failed:
    print("# failing:")
    for x in failed:
        print("#   " + x)
sys.exit(1 if failed else 0)
PY
