#!/usr/bin/env python3
# kube_apiserver.py - a STAND-IN Kubernetes API server for the tests: the
# real wire protocol (discovery, CRUD, server-side apply with field
# ownership, watch, Status errors, bearer tokens, TLS client certificates)
# over an in-memory store, so real kubectl and the plugins' libcurl client
# talk to it unchanged.  Not a Kubernetes: no scheduler, no pods running,
# no OpenAPI schema validation; "controllers" are rules from a file.
# Python 3 stdlib + python3-yaml (+ python3-cryptography for --gen-certs).
# Run with --help for the options (that text is its documentation).
import argparse
import base64
import copy
import datetime
import http.server
import json
import os
import random
import re
import socket
import socketserver
import ssl
import string
import sys
import threading
import time
import urllib.parse
import uuid

import yaml

HELP = """STAND-IN Kubernetes API server (for tests; not a real Kubernetes).

Serves the real API wire protocol over an in-memory store:
  discovery   /version /api /api/v1 /apis /apis/<g> /apis/<g>/<v> (legacy
              discovery: APIVersions, APIGroupList, APIResourceList with
              shortNames, categories, subresources); /healthz /livez /readyz;
              /openapi/v3 is a minimal document (every write takes
              fieldValidation, so kubectl's default --validate=strict asks the
              server, which accepts it but has no schemas to enforce);
              /openapi/v2 is an empty document (kubectl 1.27 and older load it
              and then skip client-side validation).
  kinds       core/v1 Namespace Secret ConfigMap ServiceAccount Service Pod
              PersistentVolumeClaim PersistentVolume Endpoints Event Node
              ResourceQuota LimitRange; apps/v1 Deployment StatefulSet
              ReplicaSet DaemonSet; batch/v1 Job CronJob; autoscaling/v2
              HorizontalPodAutoscaler; policy/v1 PodDisruptionBudget;
              rbac.authorization.k8s.io/v1 Role RoleBinding ClusterRole
              ClusterRoleBinding; networking.k8s.io/v1 Ingress NetworkPolicy;
              apiextensions.k8s.io/v1 CustomResourceDefinition (only Deployment,
              StatefulSet, Pod, Job, Namespace and CRDs have built-in
              controllers).
              Writing a CRD serves its group/versions/kind at once (discovery
              updates); deleting it stops serving them and deletes their
              objects.
  verbs       GET object, LIST (labelSelector: = == != in notin exists !key;
              fieldSelector metadata.name / metadata.namespace), WATCH
              (?watch=true, chunked JSON events, resourceVersion,
              timeoutSeconds), POST (201; 409 AlreadyExists; generateName),
              PUT (409 Conflict on a stale metadata.resourceVersion),
              PATCH application/merge-patch+json,
              application/strategic-merge-patch+json (merge keys for the
              usual lists, $patch/$setElementOrder/$retainKeys handled
              approximately; refused with 415 for custom resources like the
              real server), application/json-patch+json (add remove replace
              move copy test), application/apply-patch+yaml (SERVER-SIDE
              APPLY: creates when missing, fieldManager required,
              managedFields per manager, 409 Conflict naming the other
              manager and field unless force=true; containers, env, ports,
              volumes, volumeMounts, imagePullSecrets and conditions are
              associative lists keyed as in the real schemas, other lists
              atomic), DELETE
              (DeleteOptions body read, preconditions.uid checked; 404 when
              missing; metadata.finalizers honoured: see --finalizer-ms; a
              namespace deletes its objects at once; ownerReferences are
              garbage collected),
              dryRun=All on every write (nothing stored, the would-be object
              returned), subresources /status (kinds that have one) and
              /scale (Deployment, StatefulSet: kubectl scale).  Manager
              "kubectl" gets the real server's last-applied handling: moving
              from client-side to server-side apply takes the fields of the
              last-applied-configuration without a conflict.  kubectl get's
              Table requests get a NAME/AGE Table.
  bodies      JSON or YAML; protobuf (what kubectl create sends) only for
              Namespace, ConfigMap, Secret, ServiceAccount, otherwise 415
              (so `kubectl create deployment` fails: use apply); over 3 MiB:
              413; ConfigMap/Secret data over 1 MiB: 422.
  metadata    uid, resourceVersion (one global counter), creationTimestamp,
              generation (bumped when anything but metadata/status changes),
              namespace must exist (404 like the real server), names checked
              as DNS-1123 (422 Invalid Status), Secret data must be base64
              (400 as the real decoder), stringData merged into data.
  errors      real Status objects: kind Status, apiVersion v1, status
              Failure, message, reason, code, details (conflict and
              validation messages worded as the real server's).  Plain HTTP
              sent to the TLS port gets Go's "400 Client sent an HTTP request
              to an HTTPS server".
  built-in controllers  Deployments/StatefulSets get status (replicas,
              readyReplicas, availableReplicas, observedGeneration,
              conditions Available/Progressing True) --ready-ms after each
              write; Pods become Running with Ready True and Jobs Complete
              (succeeded 1) --ready-ms after creation; Namespaces are Active;
              CRDs are Established.

Options:
  --port N              port to listen on (0: any free port; default 0)
  --port-file F         write the bound port to F (after listening)
  --bind ADDR           address (default 127.0.0.1)
  --token T[=USER]      accept "Authorization: Bearer T" as USER (default
                        user "admin"); repeatable.  With --token and/or
                        --client-ca, a request without valid credentials gets
                        401 Unauthorized; with neither, everyone is
                        "system:anonymous" and allowed.
  --forbid USER         USER authenticates, may read discovery, but every
                        request on a resource gets 403 Forbidden worded as
                        the real RBAC authorizer words it; repeatable
  --tls-cert F --tls-key F   serve HTTPS with this certificate
  --client-ca F         verify TLS client certificates against F; the
                        certificate's CN is the user (a certificate from
                        another CA fails the TLS handshake; the real server
                        answers 401 instead)
  --gen-certs DIR       write DIR/ca.pem ca-key.pem server.pem server-key.pem
                        (SAN 127.0.0.1, ::1, localhost) client.pem client-key.pem
                        (CN --client-cn, O system:masters) and serve HTTPS
                        with them (client certificates from that CA accepted)
                        unless --tls-cert is given.  Existing files in DIR are
                        reused.  Needs python3-cryptography.
  --gen-only            with --gen-certs: write the files and exit
  --client-cn NAME      CN of the generated client certificate
                        (default "innominatus-test")
  --write-kubeconfig F  after listening, write a kubeconfig for this server:
                        cluster "standin", user "standin", context "standin"
                        (current), namespace "default"; the CA, the client
                        certificate/key (inline *-data) when --gen-certs is
                        used, and the first --token
  --kubeconfig-auth cert|token|both
                        which credentials that kubeconfig carries (default:
                        cert with --gen-certs, else token).  Note: kubectl
                        1.32 sends no bearer token over plain HTTP; test
                        tokens over TLS (--gen-certs)
  --kubeconfig-paths    in that kubeconfig use file paths
                        (certificate-authority, client-certificate,
                        client-key) instead of inline base64 *-data
  --crd-file F          preload CustomResourceDefinitions from F (YAML
                        stream or JSON object/list); repeatable.  See
                        tests/standins/crds.yaml (postgresql.acid.zalan.do,
                        applications.argoproj.io, vaultauths,
                        vaultstaticsecrets and vaultconnections
                        .secrets.hashicorp.com)
  --objects F           preload any objects from F (YAML stream/JSON)
  --controller-file F   status rules for custom (or any) kinds, JSON list:
      [{"kind": "postgresql", "group": "acid.zalan.do",   (group optional)
        "after_ms": 300,               delay after each write of the object
        "set": {"status": {"PostgresClusterStatus": "Running"}},
                                       merged into the object (status too)
        "create": [ {...object template...},
                    {"for_each": ".spec.users", "object": {...}} ]}]
      Templates may use {{name}} {{namespace}} {{uid}} {{random}} (24 random
      alphanumerics) {{.a.b}} (a value of the triggering object) and, with
      for_each over a map (its keys) or a list, {{key}} and {{key_dns}} (the
      key with "_" turned into "-").  Created objects carry an
      ownerReference to the triggering object (deleted with it) and are
      only created when missing.  tests/standins/kube_controllers.json has
      the Zalando postgres rule the original's database-team waits for.
  --ready-ms N          delay of the built-in Deployment/StatefulSet/Pod/Job
                        status (default 200; -1: never ready)
  --finalizer-ms N      an object deleted while it has metadata.finalizers
                        keeps a deletionTimestamp until an update empties
                        them (as on a real server whose controller is
                        away); with N >= 0 the stand-in empties them N ms
                        after the delete (default -1: never)
  --hang-path PREFIX    requests whose path starts with PREFIX are read and
                        never answered (repeatable)
  --garbage-path PREFIX answer 200 with a non-JSON body (repeatable)
  --close-path PREFIX   send headers and half a body, then close (repeatable)
  --fail-path PREFIX=CODE   answer a Status with CODE (e.g. 500, 503, 429: with
                        details.retryAfterSeconds 1) after authentication
                        (repeatable)
  --slow-ms N           delay every answer by N ms
  --log F               append one JSON line per request: time, method, path,
                        query (raw), params (first values), content_type,
                        user, status (0 for a hang); never the Authorization
                        header
  --log-bodies          also log the request body ("body", text)
  --pid-watch PID       exit when PID is gone (the parent is always watched)

Exit: on SIGTERM/SIGINT, or when the parent process (or --pid-watch) dies.
From a shell test: tests/standins/kube_lib.sh (kube_start DIR ARGS sets
$kube_config, $kube_url, $kube_pid); tests/standin_kubectl.sh shows each
feature working with the real kubectl.
"""

# ---------------------------------------------------------------- helpers


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def age(ts):
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if s < 120:
        return "%ds" % max(s, 0)
    if s < 7200:
        return "%dm" % (s // 60)
    return "%dh" % (s // 3600)


class NoTimestampLoader(yaml.SafeLoader):
    """YAML as the API server reads it: no timestamp/date conversion."""


NoTimestampLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_docs(text):
    text = text.strip()
    if text.startswith("{") or text.startswith("["):
        try:
            d = json.loads(text)
            return d if isinstance(d, list) else [d]
        except ValueError:
            pass
    out = []
    for d in yaml.load_all(text, Loader=NoTimestampLoader):
        if d is None:
            continue
        if isinstance(d, dict) and d.get("kind", "").endswith("List") and "items" in d:
            out.extend(d["items"])
        else:
            out.append(d)
    return out


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        Exception.__init__(self, message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details


def status_obj(code, reason, message, details=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason, "code": code}
    if details:
        st["details"] = details
    return st


def not_found(plural, name, group=""):
    d = {"name": name, "kind": plural}
    if group:
        d["group"] = group
    res = plural + ("." + group if group else "")
    return ApiError(404, "NotFound", '%s "%s" not found' % (res, name), d)


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


def no_route():
    """404 for a path the API does not serve (not a missing object)."""
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def unsupported_media(types, note=""):
    return ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                    "format - accepted media types include: %s%s" % (", ".join(types), note))


def invalid(kind, name, group, causes):
    # causes: list of (field, message); the message names Kind.group as the real one
    gk = kind + "." + group if group else kind
    msg = "%s \"%s\" is invalid: %s" % (gk, name, ", ".join(
        "%s: %s" % (f, m) for f, m in causes)) if len(causes) == 1 else \
        "%s \"%s\" is invalid: [%s]" % (gk, name, ", ".join(
            "%s: %s" % (f, m) for f, m in causes))
    d = {"name": name, "kind": kind,
         "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f}
                    for f, m in causes]}
    if group:
        d["group"] = group
    return ApiError(422, "Invalid", msg, d)


DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def name_problem(name, rule):
    if rule == "label":
        if len(name) > 63:
            return "must be no more than 63 characters"
        if not DNS1123_LABEL.match(name):
            return ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric "
                    "character (e.g. 'my-name',  or '123-abc', regex used for validation "
                    "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
    elif rule == "dns1035":
        if len(name) > 63:
            return "must be no more than 63 characters"
        if not DNS1035_LABEL.match(name):
            return ("a DNS-1035 label must consist of lower case alphanumeric characters "
                    "or '-', start with an alphabetic character, and end with an "
                    "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used "
                    "for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
    else:
        if len(name) > 253:
            return "must be no more than 253 characters"
        if not DNS1123_SUB.match(name):
            return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                    "characters, '-' or '.', and must start and end with an alphanumeric "
                    "character (e.g. 'example.com', regex used for validation is "
                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return None


# ---------------------------------------------------------------- resources


class Res:
    """One served resource (group, version, plural)."""

    def __init__(self, group, version, plural, singular, kind, namespaced, short=(),
                 status_sub=False, name_rule="subdomain", generation=False, crd=False,
                 verbs=None, categories=()):
        self.group, self.version, self.plural = group, version, plural
        self.singular, self.kind, self.namespaced = singular, kind, namespaced
        self.short = list(short)
        self.status_sub = status_sub
        self.name_rule = name_rule
        self.generation = generation
        self.crd = crd
        self.categories = list(categories)
        self.verbs = verbs or ["create", "delete", "deletecollection", "get", "list",
                               "patch", "update", "watch"]

    @property
    def gv(self):
        return self.group + "/" + self.version if self.group else self.version

    def resource_list_entry(self):
        e = {"name": self.plural, "singularName": self.singular,
             "namespaced": self.namespaced, "kind": self.kind, "verbs": self.verbs}
        if self.short:
            e["shortNames"] = self.short
        if self.categories:
            e["categories"] = self.categories
        return e


BUILTIN = [
    Res("", "v1", "namespaces", "namespace", "Namespace", False, ["ns"], True, "label",
        verbs=["create", "delete", "get", "list", "patch", "update", "watch"]),
    Res("", "v1", "secrets", "secret", "Secret", True),
    Res("", "v1", "configmaps", "configmap", "ConfigMap", True, ["cm"]),
    Res("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ["sa"]),
    Res("", "v1", "services", "service", "Service", True, ["svc"], True, "dns1035",
        categories=["all"]),
    Res("", "v1", "pods", "pod", "Pod", True, ["po"], True, categories=["all"]),
    Res("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim",
        True, ["pvc"], True),
    Res("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", False, ["pv"],
        True),
    Res("", "v1", "endpoints", "endpoints", "Endpoints", True, ["ep"]),
    Res("", "v1", "events", "event", "Event", True, ["ev"]),
    Res("", "v1", "nodes", "node", "Node", False, ["no"], True),
    Res("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", True, ["quota"], True),
    Res("", "v1", "limitranges", "limitrange", "LimitRange", True, ["limits"]),
    Res("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ["rs"], True,
        generation=True, categories=["all"]),
    Res("apps", "v1", "daemonsets", "daemonset", "DaemonSet", True, ["ds"], True,
        generation=True, categories=["all"]),
    Res("batch", "v1", "jobs", "job", "Job", True, [], True, generation=True,
        categories=["all"]),
    Res("batch", "v1", "cronjobs", "cronjob", "CronJob", True, ["cj"], True, generation=True,
        categories=["all"]),
    Res("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
        "HorizontalPodAutoscaler", True, ["hpa"], True, categories=["all"]),
    Res("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget",
        True, ["pdb"], True, generation=True),
    Res("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", True,
        ["netpol"], generation=True),
    Res("apps", "v1", "deployments", "deployment", "Deployment", True, ["deploy"], True,
        generation=True, categories=["all"]),
    Res("apps", "v1", "statefulsets", "statefulset", "StatefulSet", True, ["sts"], True,
        generation=True, categories=["all"]),
    Res("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True),
    Res("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", True),
    Res("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", False),
    Res("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
        "ClusterRoleBinding", False),
    Res("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", True, ["ing"], True,
        generation=True),
    Res("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
        "CustomResourceDefinition", False, ["crd", "crds"], True, generation=True),
]

# fields of metadata the server owns; never part of a manager's field set
META_SERVER = ("name", "namespace", "uid", "resourceVersion", "generation",
               "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
               "deletionGracePeriodSeconds")

# strategic merge patch: list field -> merge key (first present wins)
SMP_KEYS = {"ports": ("containerPort", "port"), "volumeMounts": ("mountPath",),
            "conditions": ("type",), "volumeDevices": ("devicePath",),
            "hostAliases": ("ip",), "imagePullSecrets": ("name",), "env": ("name",),
            "containers": ("name",), "initContainers": ("name",),
            "ephemeralContainers": ("name",), "volumes": ("name",),
            "tolerations": ("key",), "topologySpreadConstraints": ("topologyKey",),
            "subsets": (), "rules": ()}


# ---------------------------------------------------------------- field sets


# Server-side apply treats these lists as associative (keyed by the first of
# these fields every element has), as the real schemas' listType=map do;
# every other list is atomic.
SSA_KEYS = {"containers": ("name",), "initContainers": ("name",),
            "ephemeralContainers": ("name",), "volumes": ("name",), "env": ("name",),
            "imagePullSecrets": ("name",), "volumeMounts": ("mountPath",),
            "volumeDevices": ("devicePath",), "ports": ("containerPort", "port"),
            "conditions": ("type",)}


def assoc_key(field, items):
    keys = SSA_KEYS.get(field)
    if not keys or not isinstance(items, list) or not items or \
            not all(isinstance(x, dict) for x in items):
        return None
    for k in keys:
        vals = [json.dumps(x.get(k)) for x in items]
        if all(isinstance(x.get(k), (str, int)) for x in items) and \
                len(set(vals)) == len(vals):
            return k
    return None


def elem_id(key, el):
    """A path element naming a list element by its key: ("k", '{"name":"web"}')."""
    return ("k", json.dumps({key: el[key]}, separators=(",", ":"), sort_keys=True))


def leaves(obj, status_sub, prefix=()):
    """Set of field paths (tuples) of obj's leaves: map keys are strings,
    elements of associative lists are elem_id tuples, other lists atoms."""
    out = set()
    if not isinstance(obj, dict):
        return out
    for k, v in obj.items():
        if not prefix and k in ("apiVersion", "kind"):
            continue
        if not prefix and k == "status" and status_sub:
            continue
        if prefix == ("metadata",) and k in META_SERVER:
            continue
        p = prefix + (k,)
        ak = assoc_key(k, v) if isinstance(v, list) else None
        if isinstance(v, dict) and v:
            out |= leaves(v, status_sub, p)
        elif ak:
            for el in v:
                out |= leaves(el, status_sub, p + (elem_id(ak, el),))
        else:
            out.add(p)
    return out


def status_leaves(obj):
    st = obj.get("status")
    return leaves({"status": st}, False) if isinstance(st, dict) else set()


def find_elem(lst, eid):
    kd = json.loads(eid[1])
    for i, x in enumerate(lst):
        if isinstance(x, dict) and all(x.get(a) == b for a, b in kd.items()):
            return i
    return None


def get_path(obj, path):
    cur = obj
    for k in path:
        if isinstance(k, tuple):
            i = find_elem(cur, k) if isinstance(cur, list) else None
            if i is None:
                return (False, None)
            cur = cur[i]
        elif not isinstance(cur, dict) or k not in cur:
            return (False, None)
        else:
            cur = cur[k]
    return (True, cur)


def del_path(obj, path):
    """Removes a field (or a list element, or an element whose key field
    goes), then the maps and lists this emptied below the top sections."""
    parents = []
    cur = obj
    for k in path[:-1]:
        if isinstance(k, tuple):
            i = find_elem(cur, k) if isinstance(cur, list) else None
            if i is None:
                return
            parents.append((cur, i))
            cur = cur[i]
        else:
            if not isinstance(cur, dict) or k not in cur:
                return
            parents.append((cur, k))
            cur = cur[k]
    last = path[-1]
    if isinstance(last, tuple):
        i = find_elem(cur, last) if isinstance(cur, list) else None
        if i is not None:
            del cur[i]
    elif isinstance(cur, dict):
        cur.pop(last, None)
        if len(path) >= 2 and isinstance(path[-2], tuple) and \
                last in json.loads(path[-2][1]) and parents:
            lst, i = parents.pop()
            del lst[i]
    for parent, k in reversed(parents[1:]):
        if parent[k] in ({}, []):
            del parent[k]
        else:
            break


def path_str(p):
    """A field path as the real server prints it: .spec.containers[name="web"].image"""
    out = ""
    for e in p:
        if isinstance(e, tuple):
            kd = json.loads(e[1])
            out += "[" + ",".join("%s=%s" % (a, json.dumps(b)) for a, b in kd.items()) + "]"
        else:
            out += "." + e
    return out


def path_sort_key(p):
    return [e if isinstance(e, str) else "k:" + e[1] for e in p]


def fields_to_v1(paths):
    root = {}
    for p in sorted(paths, key=path_sort_key):
        cur = root
        for i, k in enumerate(p):
            key = "f:" + k if isinstance(k, str) else "k:" + k[1]
            if key not in cur:
                cur[key] = {}
            cur = cur[key]
            if i < len(p) - 1 and "." not in cur:
                cur["."] = {}
    # top-level sections carry no "." (as the real server writes them)
    for v in root.values():
        v.pop(".", None)
    return root


def v1_to_fields(fv, prefix=()):
    out = set()
    if not isinstance(fv, dict) or not fv:
        return {prefix} if prefix else out
    sub = False
    for k, v in fv.items():
        if k == ".":
            continue
        sub = True
        if k.startswith("f:"):
            out |= v1_to_fields(v, prefix + (k[2:],))
            continue
        if k.startswith("k:"):
            try:
                kd = json.loads(k[2:])
            except ValueError:
                kd = None
            if isinstance(kd, dict) and len(kd) == 1:
                eid = ("k", json.dumps(kd, separators=(",", ":"), sort_keys=True))
                out |= v1_to_fields(v, prefix + (eid,))
                continue
        # another list element form (v:, i:, a multi-field key): the list is our atom
        if prefix:
            out.add(prefix)
    if not sub and prefix:
        out.add(prefix)
    return out


def overlap(p, q):
    n = min(len(p), len(q))
    return p[:n] == q[:n]


def deep_merge(base, patch):
    """JSON merge patch (RFC 7386)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = deep_merge(out.get(k), v)
    return out


def smp_merge(base, patch, field=None):
    """Strategic merge patch, approximately as the real server does it."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        p = {k: v for k, v in patch.items() if not k.startswith("$")}
        return copy.deepcopy(p)
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", "$patch"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list):
                out[f] = [x for x in out[f] if x not in v]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            m = smp_merge(out.get(k), v, k)
            if m is None:
                out.pop(k, None)
            else:
                out[k] = m
        elif isinstance(v, list):
            out[k] = smp_list(out.get(k), v, k)
        else:
            out[k] = copy.deepcopy(v)
    if isinstance(retain, list):
        for k in list(out.keys()):
            if k not in retain:
                del out[k]
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list) and isinstance(v, list):
                out[f] = order_like(out[f], v, f)
    return out


def merge_key(field, items):
    dicts = [x for x in items if isinstance(x, dict)]
    if not dicts or len(dicts) != len(items):
        return None
    for key in SMP_KEYS.get(field, ("name",)):
        if all(key in x for x in dicts):
            return key
    return None


def smp_list(base, patch, field):
    if not isinstance(base, list):
        base = []
    key = merge_key(field, patch)
    if field not in SMP_KEYS or key is None:
        return [x for x in copy.deepcopy(patch)
                if not (isinstance(x, dict) and x.get("$patch") == "delete")]
    out = copy.deepcopy(base)
    for el in patch:
        idx = next((i for i, b in enumerate(out)
                    if isinstance(b, dict) and b.get(key) == el.get(key)), None)
        if el.get("$patch") == "delete":
            if idx is not None:
                del out[idx]
            continue
        if idx is None:
            out.append(smp_merge({}, el, field))
        else:
            out[idx] = smp_merge(out[idx], el, field)
    return out


def order_like(items, order, field):
    key = merge_key(field, order) if order else None
    if key is None:
        return items
    pos = {json.dumps(o.get(key)): i for i, o in enumerate(order)}
    return sorted(items, key=lambda x: pos.get(json.dumps(
        x.get(key) if isinstance(x, dict) else None), len(pos)))


def json_pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request("the server rejected our request due to an error in our request")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def jp_resolve(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, dict):
            if p not in cur:
                raise ApiError(422, "Invalid", "doc is missing path: /%s" % "/".join(parts))
            cur = cur[p]
        elif isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise ApiError(422, "Invalid", "doc is missing path: /%s" % "/".join(parts))
        else:
            raise ApiError(422, "Invalid", "doc is missing path: /%s" % "/".join(parts))
    return cur


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")

    def parent(parts):
        if not parts:
            raise ApiError(422, "Invalid", "cannot patch the document root")
        return jp_resolve(doc, parts[:-1]), parts[-1]

    def put(parts, value, replace):
        par, last = parent(parts)
        if isinstance(par, dict):
            if replace and last not in par:
                raise ApiError(422, "Invalid", "replace operation does not apply: doc is "
                               "missing key: /%s" % "/".join(parts))
            par[last] = value
        elif isinstance(par, list):
            if last == "-":
                par.append(value)
                return
            try:
                i = int(last)
            except ValueError:
                raise ApiError(422, "Invalid", "invalid index %r" % last)
            if replace:
                if i >= len(par):
                    raise ApiError(422, "Invalid", "index out of range")
                par[i] = value
            else:
                if i > len(par):
                    raise ApiError(422, "Invalid", "index out of range")
                par.insert(i, value)
        else:
            raise ApiError(422, "Invalid", "doc is missing path: /%s" % "/".join(parts))

    def remove(parts):
        par, last = parent(parts)
        try:
            if isinstance(par, dict):
                return par.pop(last)
            return par.pop(int(last))
        except (KeyError, ValueError, IndexError):
            raise ApiError(422, "Invalid", "remove operation does not apply: doc is missing "
                           "path: /%s" % "/".join(parts))

    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request("invalid JSON patch operation")
        kind, parts = op["op"], json_pointer(op["path"])
        if kind == "add":
            put(parts, copy.deepcopy(op.get("value")), False)
        elif kind == "replace":
            put(parts, copy.deepcopy(op.get("value")), True)
        elif kind == "remove":
            remove(parts)
        elif kind == "test":
            if jp_resolve(doc, parts) != op.get("value"):
                raise ApiError(422, "Invalid", "the server rejected our request due to an "
                               "error in our request: testing value /%s failed"
                               % "/".join(parts))
        elif kind in ("move", "copy"):
            src = json_pointer(op.get("from", ""))
            v = copy.deepcopy(jp_resolve(doc, src))
            if kind == "move":
                remove(src)
            put(parts, v, False)
        else:
            raise bad_request("Unexpected kind: %s" % kind)
    return doc


# ---------------------------------------------------------------- selectors


def parse_label_selector(sel):
    reqs = []
    if not sel:
        return reqs
    # split on commas outside parentheses
    parts, depth, cur = [], 0, ""
    for ch in sel:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p:
            continue
        m = re.match(r"^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$", p)
        if m:
            vals = [v.strip() for v in m.group(3).split(",") if v.strip()]
            reqs.append((m.group(1), m.group(2), vals))
        elif "!=" in p:
            k, v = p.split("!=", 1)
            reqs.append((k.strip(), "!=", [v.strip()]))
        elif "==" in p:
            k, v = p.split("==", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif "=" in p:
            k, v = p.split("=", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif p.startswith("!"):
            reqs.append((p[1:].strip(), "!", []))
        elif re.match(r"^[A-Za-z0-9./_-]+$", p):
            reqs.append((p, "exists", []))
        else:
            raise bad_request('unable to parse requirement: found \'%s\', expected: '
                              'identifier' % p)
    return reqs


def label_match(reqs, labels):
    labels = labels or {}
    for k, op, vals in reqs:
        has = k in labels
        v = labels.get(k)
        if op == "=" and v != vals[0]:
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "in" and (not has or v not in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
    return True


def parse_field_selector(sel):
    reqs = []
    if not sel:
        return reqs
    for p in sel.split(","):
        p = p.strip()
        if not p:
            continue
        neg = "!=" in p
        k, v = p.split("!=" if neg else ("==" if "==" in p else "="), 1)
        k = k.strip()
        if k not in ("metadata.name", "metadata.namespace"):
            raise bad_request('"%s" is not a known field selector: only "metadata.name", '
                              '"metadata.namespace"' % k)
        reqs.append((k, neg, v.strip()))
    return reqs


def field_match(reqs, obj):
    md = obj.get("metadata", {})
    for k, neg, v in reqs:
        have = md.get(k.split(".", 1)[1], "")
        if (have == v) == neg:
            return False
    return True


# ---------------------------------------------------------------- the store


class Store:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 1
        self.res = {}        # (group, version, plural) -> Res
        self.objs = {}       # (group, plural, ns, name) -> object (stored version-less)
        self.events = []     # (rv, group, plural, ns, type, obj)
        self.rules = []
        for r in BUILTIN:
            self.res[(r.group, r.version, r.plural)] = r
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            with self.lock:
                self.store_new(self.find("", "v1", "namespaces"), {
                    "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, "", None)

    # -- resource lookup
    def find(self, group, version, plural):
        return self.res.get((group, version, plural))

    def groups(self):
        """[(group, [versions])] in insertion order, core excluded."""
        out = {}
        for (g, v, _p) in self.res:
            if g:
                out.setdefault(g, [])
                if v not in out[g]:
                    out[g].append(v)
        return list(out.items())

    def by_kind(self, api_version, kind):
        g, _, v = api_version.rpartition("/")
        for r in self.res.values():
            if r.group == g and r.version == v and r.kind == kind:
                return r
        return None

    # -- events
    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def emit(self, r, ns, typ, obj):
        self.events.append((int(obj["metadata"]["resourceVersion"]), r.group, r.plural, ns,
                            typ, copy.deepcopy(obj)))
        if len(self.events) > 20000:
            del self.events[:5000]
        self.cond.notify_all()

    # -- object bookkeeping
    def key(self, r, ns, name):
        return (r.group, r.plural, ns if r.namespaced else "", name)

    def get(self, r, ns, name):
        o = self.objs.get(self.key(r, ns, name))
        return self.out(r, o) if o is not None else None

    def out(self, r, o):
        o = copy.deepcopy(o)
        o["apiVersion"] = r.gv
        o["kind"] = r.kind
        return o

    def check_ns(self, r, ns):
        if r.namespaced and ("", "namespaces", "", ns) not in self.objs:
            raise not_found("namespaces", ns)

    def validate(self, r, obj, name):
        causes = []
        prob = name_problem(name, r.name_rule) if name else None
        if not name:
            causes.append(("metadata.name", "Required value: name or generateName is required"))
        elif prob:
            causes.append(("metadata.name", 'Invalid value: "%s": %s' % (name, prob)))
        md = obj.get("metadata", {})
        for fld in ("labels", "annotations"):
            v = md.get(fld)
            if v is not None and not isinstance(v, dict):
                raise bad_request("%s in version \"%s\" cannot be handled as a %s: json: cannot "
                                  "unmarshal into Go struct field ObjectMeta.metadata.%s of "
                                  "type map[string]string" % (r.kind, r.version, r.kind, fld))
            for lk, lv in (v or {}).items():
                if not isinstance(lv, str):
                    raise bad_request("%s in version \"%s\" cannot be handled as a %s: json: "
                                      "cannot unmarshal %s into Go struct field ObjectMeta."
                                      "metadata.%s of type string" % (
                                          r.kind, r.version, r.kind,
                                          type(lv).__name__, fld))
                if fld == "labels" and (len(lv) > 63 or not re.match(
                        r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", lv)):
                    causes.append(("metadata.labels", 'Invalid value: "%s": a valid label must '
                                   "be an empty string or consist of alphanumeric characters, "
                                   "'-', '_' or '.', and must start and end with an "
                                   "alphanumeric character" % lv))
        if r.kind in ("Secret", "ConfigMap"):
            for fld in ("data", "stringData", "binaryData"):
                for k, v in (obj.get(fld) or {}).items():
                    if not CONFIG_KEY.match(k) or len(k) > 253:
                        causes.append(("%s[%s]" % ("data" if fld == "stringData" else fld, k),
                                       'Invalid value: "%s": a valid config key must consist '
                                       "of alphanumeric characters, '-', '_' or '.' (e.g. "
                                       "'key.name',  or 'KEY_NAME',  or 'key-name', regex used "
                                       "for validation is '[-._a-zA-Z0-9]+')" % k))
                    if not isinstance(v, str):
                        raise bad_request("%s in version \"v1\" cannot be handled as a %s: "
                                          "json: cannot unmarshal %s into Go struct field "
                                          "%s.%s of type %s" % (
                                              r.kind, r.kind, type(v).__name__, r.kind, fld,
                                              "[]uint8" if fld != "stringData" else "string"))
        if r.kind in ("Secret", "ConfigMap"):
            size = sum(len(k) + len(v) for fld in ("data", "stringData", "binaryData")
                       for k, v in (obj.get(fld) or {}).items() if isinstance(v, str))
            if size > MAX_DATA:
                causes.append(("data", "Too long: must have at most %d bytes" % MAX_DATA))
        if r.kind == "CustomResourceDefinition":
            causes += self.crd_problems(obj, name)
        if causes:
            raise invalid(r.kind, name, r.group, causes)

    def normalize(self, r, obj):
        """What the real server's decoding does to a written object."""
        if r.kind == "Secret":
            data = dict(obj.get("data") or {})
            for k, v in data.items():
                try:
                    base64.b64decode(v.encode("ascii"), validate=True)
                except (ValueError, UnicodeEncodeError):
                    raise bad_request("Secret in version \"v1\" cannot be handled as a Secret: "
                                      "illegal base64 data at input byte 0")
            for k, v in (obj.pop("stringData", None) or {}).items():
                data[k] = base64.b64encode(v.encode("utf-8")).decode("ascii")
            if data:
                obj["data"] = data
            if "type" not in obj:
                obj["type"] = "Opaque"
        if r.kind == "Namespace":
            obj.setdefault("metadata", {}).setdefault("labels", {})[
                "kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        if r.kind == "Service":
            obj.setdefault("spec", {}).setdefault("type", "ClusterIP")
            obj["spec"].setdefault("clusterIP", "10.96.%d.%d" % (
                random.randint(0, 255), random.randint(1, 254)))
        if r.kind in ("Deployment", "StatefulSet"):
            obj.setdefault("spec", {}).setdefault("replicas", 1)

    # -- writes; all under self.lock; 'commit' False for dry runs
    def store_new(self, r, obj, ns, manager, commit=True, op="Update"):
        md = obj.setdefault("metadata", {})
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + "".join(
                random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        name = md.get("name", "")
        if r.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        self.validate(r, obj, name)
        self.normalize(r, obj)
        if self.key(r, ns, name) in self.objs:
            raise ApiError(409, "AlreadyExists", '%s%s "%s" already exists' % (
                r.plural, "." + r.group if r.group else "", name),
                {"name": name, "group": r.group, "kind": r.plural} if r.group else
                {"name": name, "kind": r.plural})
        if r.namespaced:
            self.check_ns(r, ns)
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_iso()
        if r.generation or r.crd:
            md["generation"] = 1
        if r.status_sub and r.kind not in ("Namespace", "CustomResourceDefinition") and \
                manager != "standin-preload":
            obj.pop("status", None)   # status is the controllers' (a create resets it)
        if manager and "managedFields" not in md:
            fs = leaves(obj, r.status_sub)
            md["managedFields"] = [mf_entry(manager, op, r.gv, fs)] if fs else []
        if "managedFields" in md and not md["managedFields"]:
            md.pop("managedFields")
        obj["apiVersion"], obj["kind"] = r.gv, r.kind
        if r.kind == "CustomResourceDefinition":
            obj["status"] = self.crd_status(obj)
        if not commit:
            md.pop("resourceVersion", None)
            return obj
        md["resourceVersion"] = self.next_rv()
        self.objs[self.key(r, ns, name)] = copy.deepcopy(obj)
        self.emit(r, ns, "ADDED", obj)
        self.after_write(r, obj)
        return obj

    def store_update(self, r, old, new, manager, commit=True, sub=None, op="Update",
                     managed=None, mf_sub=""):
        """new replaces old; managed: explicit manager map from SSA or None."""
        ns = old["metadata"].get("namespace", "")
        name = old["metadata"]["name"]
        md = new.setdefault("metadata", {})
        if md.get("name", name) != name:
            raise bad_request("the name of the object (%s) does not match the name on the "
                              "URL (%s)" % (md.get("name"), name))
        if r.namespaced and md.get("namespace", ns) != ns:
            raise bad_request("the namespace of the provided object does not match the "
                              "namespace sent on the request")
        md["name"] = name
        if r.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        for k in ("uid", "creationTimestamp", "deletionTimestamp",
                  "deletionGracePeriodSeconds"):
            if k in old["metadata"]:
                md[k] = old["metadata"][k]
        if sub == "status":
            # only the status changes through /status
            keep = copy.deepcopy(old)
            if "status" in new:
                keep["status"] = new["status"]
            else:
                keep.pop("status", None)
            keep["metadata"]["managedFields"] = md.get("managedFields",
                                                       old["metadata"].get("managedFields"))
            new, md = keep, keep["metadata"]
        elif r.status_sub:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        self.validate(r, new, name)
        if r.group == "apps" and sub is None:
            osel = (old.get("spec") or {}).get("selector")
            nsel = (new.get("spec") or {}).get("selector")
            if osel != nsel:
                raise invalid(r.kind, name, r.group, [(
                    "spec.selector", "Invalid value: %s: field is immutable"
                    % json.dumps(nsel, sort_keys=True))])
        self.normalize(r, new)
        if r.kind in ("Secret", "ConfigMap") and old.get("immutable") is True:
            for fld in ("immutable", "data", "binaryData"):
                if old.get(fld) != new.get(fld):
                    raise invalid(r.kind, name, r.group, [(
                        fld, "Forbidden: field is immutable when `immutable` is set")])
        if r.kind == "CustomResourceDefinition":
            new["status"] = self.crd_status(new)
        if r.generation or r.crd:
            gen = old["metadata"].get("generation", 1)

            def body(o):
                return {k: v for k, v in o.items()
                        if k not in ("metadata", "status", "apiVersion", "kind")}
            md["generation"] = gen + 1 if body(old) != body(new) else gen
        # field ownership
        if managed is None:
            explicit = md.get("managedFields")
            if explicit is not None and explicit != old["metadata"].get("managedFields"):
                managed = parse_managed(explicit)
            else:
                managed = parse_managed(old["metadata"].get("managedFields"))
                if sub == "status":
                    before, after = status_leaves(old), status_leaves(new)
                else:
                    before, after = leaves(old, r.status_sub), leaves(new, r.status_sub)
                changed = set(p for p in after
                              if get_path(old, p) != get_path(new, p))
                for m in managed.values():
                    if (m["subresource"] or None) == sub or sub is None:
                        m["fields"] = set(p for p in m["fields"]
                                          if p not in changed and (p in after or
                                                                   p not in before))
                if changed and manager:
                    mk = (manager, op, sub or mf_sub)
                    ent = managed.setdefault(mk, {"apiVersion": r.gv, "fields": set(),
                                                  "subresource": sub or mf_sub})
                    ent["fields"] |= changed
                    ent["time"] = now_iso()
        md["managedFields"] = render_managed(managed)
        if not md["managedFields"]:
            md.pop("managedFields")
        new["apiVersion"], new["kind"] = r.gv, r.kind
        md.pop("resourceVersion", None)
        if strip_for_compare(old) == strip_for_compare(new):
            return self.out(r, old)   # a no-op write keeps its resourceVersion
        if not commit:
            md["resourceVersion"] = old["metadata"]["resourceVersion"]
            return new
        md["resourceVersion"] = self.next_rv()
        self.objs[self.key(r, ns, name)] = copy.deepcopy(new)
        self.emit(r, ns, "MODIFIED", new)
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            return self.delete(r, ns, name, force=True)   # the last finalizer went
        if sub is None:
            self.after_write(r, new)
        return new

    def delete(self, r, ns, name, commit=True, force=False):
        """Deletes an object (and what it owns); one with finalizers only gets
        a deletionTimestamp (it goes when an update empties its finalizers)
        unless force (a namespace or owner going takes it at once)."""
        k = self.key(r, ns, name)
        o = self.objs.get(k)
        if o is None:
            raise not_found(r.plural, name, r.group)
        o = self.out(r, o)
        if o["metadata"].get("finalizers") and not force and r.kind != "Namespace":
            if not commit or o["metadata"].get("deletionTimestamp"):
                return o
            o["metadata"]["deletionTimestamp"] = now_iso()
            o["metadata"]["deletionGracePeriodSeconds"] = 0
            o["metadata"]["resourceVersion"] = self.next_rv()
            self.objs[k] = copy.deepcopy(o)
            self.emit(r, ns, "MODIFIED", o)
            if self.opts.finalizer_ms >= 0:
                self.later(self.opts.finalizer_ms, self.finish_finalizers, r, o)
            return o
        if not commit:
            return o
        del self.objs[k]
        o["metadata"]["resourceVersion"] = self.next_rv()
        self.emit(r, ns, "DELETED", o)
        uid = o["metadata"]["uid"]
        if r.kind == "Namespace":
            for kk in [kk for kk in self.objs if kk[2] == name]:
                rr = self.res_for_key(kk)
                if rr:
                    self.delete(rr, name, kk[3], force=True)
                else:
                    del self.objs[kk]
        if r.kind == "CustomResourceDefinition":
            self.unserve_crd(o)
        # garbage collection of dependents
        for kk, dep in list(self.objs.items()):
            if any(ref.get("uid") == uid for ref in
                   dep.get("metadata", {}).get("ownerReferences") or []):
                rr = self.res_for_key(kk)
                if rr and kk in self.objs:
                    self.delete(rr, kk[2], kk[3], force=True)
        return o

    def finish_finalizers(self, r, cur):
        """--finalizer-ms: the finalizers' controllers are done."""
        if cur["metadata"].get("deletionTimestamp"):
            new = copy.deepcopy(cur)
            new["metadata"].pop("finalizers", None)
            self.store_update(r, cur, new, None)

    def res_for_key(self, k):
        for r in self.res.values():
            if r.group == k[0] and r.plural == k[1]:
                return r
        return None

    # -- CRDs
    def crd_problems(self, obj, name):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        causes = []
        if not spec.get("group"):
            causes.append(("spec.group", "Required value"))
        if not names.get("plural"):
            causes.append(("spec.names.plural", "Required value"))
        if not names.get("kind"):
            causes.append(("spec.names.kind", "Required value"))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(("spec.scope", 'Unsupported value: "%s": supported values: '
                           '"Cluster", "Namespaced"' % spec.get("scope", "")))
        vers = spec.get("versions")
        if not isinstance(vers, list) or not vers:
            causes.append(("spec.versions", "Invalid value: null: must have exactly one "
                           "version marked as storage version"))
        if names.get("plural") and spec.get("group") and \
                name != "%s.%s" % (names["plural"], spec["group"]):
            causes.append(("metadata.name", 'Invalid value: "%s": must be spec.names.plural+'
                           '"."+spec.group' % name))
        return causes

    def crd_status(self, obj):
        names = dict(obj["spec"]["names"])
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")
        t = now_iso()
        return {"acceptedNames": names,
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                     "message": "no conflicts found", "lastTransitionTime": t},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                     "message": "the initial names have been accepted",
                     "lastTransitionTime": t}],
                "storedVersions": [v["name"] for v in obj["spec"]["versions"]
                                   if v.get("storage")] or [obj["spec"]["versions"][0]["name"]]}

    def serve_crd(self, obj):
        spec = obj["spec"]
        g, names = spec["group"], spec["names"]
        self.unserve_crd(obj, keep_objects=True)
        for v in spec["versions"]:
            if not v.get("served", True):
                continue
            self.res[(g, v["name"], names["plural"])] = Res(
                g, v["name"], names["plural"], names.get("singular", names["kind"].lower()),
                names["kind"], spec["scope"] == "Namespaced", names.get("shortNames", []),
                "status" in (v.get("subresources") or {}), crd=True,
                categories=names.get("categories", []))

    def unserve_crd(self, obj, keep_objects=False):
        g, p = obj["spec"]["group"], obj["spec"]["names"]["plural"]
        for k in [k for k in self.res if k[0] == g and k[2] == p]:
            del self.res[k]
        if not keep_objects:
            for k in [k for k in self.objs if k[0] == g and k[1] == p]:
                del self.objs[k]

    # -- controllers
    def after_write(self, r, obj):
        if r.kind == "CustomResourceDefinition":
            self.serve_crd(obj)
        if r.kind in ("Deployment", "StatefulSet") and r.group == "apps" and \
                self.opts.ready_ms >= 0:
            self.later(self.opts.ready_ms, self.make_ready, r, obj)
        if ((r.kind == "Pod" and not r.group) or (r.kind == "Job" and r.group == "batch")) \
                and self.opts.ready_ms >= 0:
            self.later(self.opts.ready_ms, self.make_done, r, obj)
        for rule in self.rules:
            if rule.get("kind") == r.kind and rule.get("group", r.group) == r.group:
                self.later(int(rule.get("after_ms", 0)), self.run_rule, r, obj, rule)

    def later(self, ms, fn, r, obj, *args):
        ref = (r.group, r.version, r.plural, obj["metadata"].get("namespace", ""),
               obj["metadata"]["name"], obj["metadata"]["uid"])
        t = threading.Timer(ms / 1000.0, self.fire, (fn, ref) + args)
        t.daemon = True
        t.start()

    def fire(self, fn, ref, *args):
        with self.lock:
            r = self.find(ref[0], ref[1], ref[2])
            if r is None:
                return
            cur = self.get(r, ref[3], ref[4])
            if cur is None or cur["metadata"]["uid"] != ref[5]:
                return
            try:
                fn(r, cur, *args)
            except ApiError as e:
                sys.stderr.write("kube stand-in: controller: %s\n" % e.message)

    def make_done(self, r, cur):
        """Pods run and are Ready; Jobs complete (the kubelet's and the job
        controller's part, as far as status goes)."""
        st = copy.deepcopy(cur.get("status") or {})
        t = now_iso()
        if r.kind == "Pod":
            if st.get("phase") == "Running":
                return
            conts = ((cur.get("spec") or {}).get("containers") or [])
            st.update({"phase": "Running", "podIP": "10.244.0.%d" % random.randint(2, 254),
                       "hostIP": "10.0.0.1", "startTime": t,
                       "conditions": [{"type": ty, "status": "True", "lastProbeTime": None,
                                       "lastTransitionTime": t}
                                      for ty in ("Initialized", "Ready", "ContainersReady",
                                                 "PodScheduled")],
                       "containerStatuses": [
                           {"name": c.get("name", ""), "image": c.get("image", ""),
                            "ready": True, "started": True, "restartCount": 0,
                            "state": {"running": {"startedAt": t}}}
                           for c in conts if isinstance(c, dict)]})
        else:
            if st.get("succeeded"):
                return
            st.update({"startTime": t, "completionTime": t, "succeeded": 1, "ready": 0,
                       "conditions": [
                           {"type": "SuccessCriteriaMet", "status": "True",
                            "lastProbeTime": t, "lastTransitionTime": t},
                           {"type": "Complete", "status": "True", "lastProbeTime": t,
                            "lastTransitionTime": t}]})
        new = copy.deepcopy(cur)
        new["status"] = st
        self.store_update(r, cur, new, None, sub="status")

    def make_ready(self, r, cur):
        n = (cur.get("spec") or {}).get("replicas", 1)
        st = copy.deepcopy(cur.get("status") or {})
        t = now_iso()
        st.update({"observedGeneration": cur["metadata"].get("generation", 1),
                   "replicas": n, "readyReplicas": n, "availableReplicas": n,
                   "updatedReplicas": n})
        if r.kind == "StatefulSet":
            st["currentReplicas"] = n
        else:
            old_c = {c.get("type"): c for c in st.get("conditions") or []}
            if all(old_c.get(ty, {}).get("status") == "True"
                   for ty in ("Available", "Progressing")):
                st["conditions"] = [old_c["Available"], old_c["Progressing"]]
            else:
                st["conditions"] = [
                    {"type": "Available", "status": "True",
                     "reason": "MinimumReplicasAvailable",
                     "message": "Deployment has minimum availability.",
                     "lastUpdateTime": t, "lastTransitionTime": t},
                    {"type": "Progressing", "status": "True",
                     "reason": "NewReplicaSetAvailable",
                     "message": 'ReplicaSet "%s-5d4c7f9b8" has successfully progressed.'
                     % cur["metadata"]["name"], "lastUpdateTime": t, "lastTransitionTime": t}]
        if st == cur.get("status"):
            return
        new = copy.deepcopy(cur)
        new["status"] = st
        self.store_update(r, cur, new, None, sub="status")

    def run_rule(self, r, cur, rule):
        if rule.get("set"):
            new = deep_merge(cur, render(rule["set"], cur, None))
            if new != cur:
                self.store_update(r, cur, new, None, sub="status" if r.status_sub and set(
                    rule["set"]) == {"status"} else None)
        ns = cur["metadata"].get("namespace", "")
        for item in rule.get("create") or []:
            tmpl = item.get("object") if "object" in item else item
            keys = [None]
            if item.get("for_each"):
                ok, coll = get_path(cur, tuple(x for x in item["for_each"].split(".") if x))
                coll = coll if ok else None
                keys = list(coll.keys()) if isinstance(coll, dict) else \
                    [str(x) for x in coll] if isinstance(coll, list) else []
            for key in keys:
                o = render(tmpl, cur, key)
                rr = self.by_kind(o.get("apiVersion", ""), o.get("kind", ""))
                if rr is None:
                    sys.stderr.write("kube stand-in: controller: no kind %s %s\n"
                                     % (o.get("apiVersion"), o.get("kind")))
                    continue
                ons = o.get("metadata", {}).get("namespace") or ns
                if self.get(rr, ons, o.get("metadata", {}).get("name", "")) is not None:
                    continue
                o.setdefault("metadata", {}).setdefault("ownerReferences", [{
                    "apiVersion": r.gv, "kind": r.kind, "name": cur["metadata"]["name"],
                    "uid": cur["metadata"]["uid"], "controller": True,
                    "blockOwnerDeletion": True}])
                self.store_new(rr, o, ons, "standin-controller")


def render(tmpl, obj, key):
    def sub(s):
        def one(m):
            w = m.group(1).strip()
            if w == "name":
                return obj["metadata"]["name"]
            if w == "namespace":
                return obj["metadata"].get("namespace", "")
            if w == "uid":
                return obj["metadata"]["uid"]
            if w == "random":
                return "".join(random.SystemRandom().choice(
                    string.ascii_letters + string.digits) for _ in range(24))
            if w == "key":
                return key or ""
            if w == "key_dns":
                return (key or "").replace("_", "-")
            if w.startswith("."):
                ok, v = get_path(obj, tuple(x for x in w.split(".") if x))
                return "" if not ok else v if isinstance(v, str) else json.dumps(v)
            return m.group(0)
        return re.sub(r"\{\{([^}]*)\}\}", one, s)
    if isinstance(tmpl, dict):
        return {sub(k): render(v, obj, key) for k, v in tmpl.items()}
    if isinstance(tmpl, list):
        return [render(v, obj, key) for v in tmpl]
    if isinstance(tmpl, str):
        return sub(tmpl)
    return copy.deepcopy(tmpl)


def strip_for_compare(o):
    o = copy.deepcopy(o)
    md = o.get("metadata", {})
    md.pop("resourceVersion", None)
    for m in md.get("managedFields") or []:
        m.pop("time", None)
    return o


def mf_entry(manager, op, gv, fields, sub=""):
    e = {"manager": manager, "operation": op, "apiVersion": gv, "time": now_iso(),
         "fieldsType": "FieldsV1", "fieldsV1": fields_to_v1(fields)}
    if sub:
        e["subresource"] = sub
    return e


def parse_managed(mfs):
    out = {}
    for m in mfs or []:
        if not isinstance(m, dict):
            continue
        k = (m.get("manager", ""), m.get("operation", "Update"), m.get("subresource", ""))
        out[k] = {"apiVersion": m.get("apiVersion", ""), "time": m.get("time", now_iso()),
                  "fields": v1_to_fields(m.get("fieldsV1") or {}),
                  "subresource": m.get("subresource", "")}
    return out


def render_managed(managed):
    out = []
    for (mgr, op, sub), m in managed.items():
        if not m["fields"]:
            continue
        e = mf_entry(mgr, op, m["apiVersion"], m["fields"], sub)
        e["time"] = m.get("time") or now_iso()
        out.append(e)
    return out


# ---------------------------------------------------------------- protobuf
# kubectl create sends built-in kinds as application/vnd.kubernetes.protobuf
# (the "k8s\0" envelope around runtime.Unknown) and does not fall back to
# JSON on 415; these few schemas cover what kubectl create makes of
# Namespace, ConfigMap, Secret and ServiceAccount.  Other kinds: 415.

def pb_fields(buf):
    i, out = 0, []
    while i < len(buf):
        key, i = pb_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = pb_varint(buf, i)
        elif wt == 2:
            n, i = pb_varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise bad_request("protobuf: unsupported wire type %d" % wt)
        out.append((num, v))
    return out


def pb_varint(buf, i):
    shift = res = 0
    while True:
        if i >= len(buf):
            raise bad_request("protobuf: truncated")
        b = buf[i]
        i += 1
        res |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return res, i


def pb_map(v, as_bytes=False):
    k = val = None
    for num, x in pb_fields(v):
        if num == 1:
            k = x.decode("utf-8")
        elif num == 2:
            val = base64.b64encode(x).decode("ascii") if as_bytes else x.decode("utf-8")
    return k, val if val is not None else ""


PB_META = {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"),
           11: ("labels", "m"), 12: ("annotations", "m"), 14: ("finalizers", "ls")}
PB_KINDS = {
    "Namespace": {1: ("metadata", PB_META), 2: ("spec", {1: ("finalizers", "ls")})},
    "ConfigMap": {1: ("metadata", PB_META), 2: ("data", "m"), 3: ("binaryData", "mb"),
                  4: ("immutable", "b")},
    "Secret": {1: ("metadata", PB_META), 2: ("data", "mb"), 3: ("type", "s"),
               4: ("stringData", "m"), 5: ("immutable", "b")},
    "ServiceAccount": {1: ("metadata", PB_META), 4: ("automountServiceAccountToken", "b")},
}


def pb_message(buf, schema):
    out = {}
    for num, v in pb_fields(buf):
        if num not in schema:
            continue
        name, typ = schema[num]
        if isinstance(typ, dict):
            sub = pb_message(v, typ)
            if sub or name == "metadata":
                out[name] = sub
        elif typ == "s":
            if v:   # gogo-protobuf writes empty optional strings; JSON omits them
                out[name] = v.decode("utf-8")
        elif typ == "b":
            out[name] = bool(v)
        elif typ == "ls":
            out.setdefault(name, []).append(v.decode("utf-8"))
        elif typ in ("m", "mb"):
            k, val = pb_map(v, typ == "mb")
            out.setdefault(name, {})[k] = val
    return out


def pb_decode(body, r):
    if not body.startswith(b"k8s\x00"):
        raise bad_request("provided data does not appear to be a protobuf message, expected "
                          "prefix [107 56 115 0]")
    tm, raw = {}, b""
    for num, v in pb_fields(body[4:]):
        if num == 1:
            tm = pb_message(v, {1: ("apiVersion", "s"), 2: ("kind", "s")})
        elif num == 2:
            raw = v
    schema = PB_KINDS.get(tm.get("kind") or r.kind)
    if schema is None:
        raise unsupported_media(("application/json", "application/yaml"),
                                " (the stand-in decodes protobuf only for %s)"
                                % ", ".join(sorted(PB_KINDS)))
    obj = pb_message(raw, schema)
    obj["apiVersion"] = tm.get("apiVersion") or r.gv
    obj["kind"] = tm.get("kind") or r.kind
    return obj


# ---------------------------------------------------------------- HTTP


PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/apply-patch+yaml", "application/strategic-merge-patch+json")
FAIL_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                409: "Conflict", 410: "Expired", 422: "Invalid", 429: "TooManyRequests",
                500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
MAX_BODY = 3 * 1024 * 1024     # the real server's request body limit
MAX_DATA = 1024 * 1024         # ConfigMap/Secret data limit


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-standin"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        http.server.BaseHTTPRequestHandler.setup(self)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(10)
            first = socket.socket.recv(self.connection, 1, socket.MSG_PEEK)
            if first and first != b"\x16":
                # not a TLS handshake: answer as Go's net/http does
                socket.socket.sendall(self.connection, b"HTTP/1.0 400 Bad Request\r\n\r\n"
                                      b"Client sent an HTTP request to an HTTPS server.\n")
                raise ConnectionAbortedError("plain HTTP on the TLS port")
            self.connection.do_handshake()
            self.connection.settimeout(None)

    def handle(self):
        try:
            http.server.BaseHTTPRequestHandler.handle(self)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass

    # -- plumbing
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
                if len(out) > MAX_BODY:
                    self.close_connection = True
                    raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: "
                                   "limit is %d" % MAX_BODY)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self.rfile.read(n)
            raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is "
                           "%d" % MAX_BODY)
        return self.rfile.read(n) if n > 0 else b""

    def send_raw(self, code, ctype, data, headers=(), length=None):
        """One answer; length: a Content-Length that lies (--close-path)."""
        self.status_sent = code
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, code, obj, ctype="application/json", headers=()):
        self.send_raw(code, ctype, json.dumps(obj).encode("utf-8"), headers)

    def send_error_status(self, e):
        ra = (e.details or {}).get("retryAfterSeconds")
        self.send_json(e.code, status_obj(e.code, e.reason, e.message, e.details),
                       headers=[("Retry-After", str(ra))] if ra else ())

    def log_request_line(self, status, body):
        f = self.server.opts.log
        if not f:
            return
        path, _, query = self.path.partition("?")
        rec = {"time": now_iso(), "method": self.command, "path": path, "query": query,
               "params": {k: v[0] for k, v in urllib.parse.parse_qs(query).items()},
               "content_type": self.headers.get("Content-Type", ""),
               "user": getattr(self, "user", None), "status": status}
        if self.server.opts.log_bodies:
            rec["body"] = body.decode("utf-8", "replace")
        with self.server.log_lock:
            with open(f, "a") as fh:
                fh.write(json.dumps(rec) + "\n")

    def authenticate(self):
        o = self.server.opts
        self.user = None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            self.user = v
            if self.user is not None:
                return True   # x509 comes first in the real server's union of authenticators
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            if tok in o.tokens:
                self.user = o.tokens[tok]
            elif o.tokens or o.client_ca:
                self.user = None
                return False
        if self.user is None:
            if o.tokens or o.client_ca:
                return False
            self.user = "system:anonymous"
        return True

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def dispatch(self):
        opts = self.server.opts
        self.status_sent = 0
        self.user = None
        try:
            body = self.read_body()
        except ApiError as e:
            self.close_connection = True
            self.send_error_status(e)
            self.log_request_line(e.code, b"")
            return
        except ValueError:
            self.close_connection = True
            self.send_error_status(bad_request("malformed request body framing"))
            return
        path = self.path.partition("?")[0]
        if any(path.startswith(p) for p in opts.hang_path):
            self.authenticate()
            self.log_request_line(0, body)
            while not self.server.stopping:
                time.sleep(0.5)
            return
        if opts.slow_ms:
            time.sleep(opts.slow_ms / 1000.0)
        try:
            if any(path.startswith(p) for p in opts.garbage_path):
                self.authenticate()
                return self.send_raw(200, "application/json", b"<html>this is not JSON\x00\xff")
            if any(path.startswith(p) for p in opts.close_path):
                self.authenticate()
                self.send_raw(200, "application/json", b'{"kind":"Status","apiVersion":"v1","met',
                              length=4096)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if not self.authenticate():
                raise ApiError(401, "Unauthorized", "Unauthorized")
            for prefix, code in opts.fail_path:
                if path.startswith(prefix):
                    reason = FAIL_REASONS.get(code, "InternalError")
                    e = ApiError(code, reason, "injected by the stand-in (--fail-path): %s"
                                 % reason, {"retryAfterSeconds": 1} if code in (429, 503)
                                 else None)
                    raise e
            self.route(path, body)
        except ApiError as e:
            self.send_error_status(e)
        except (ConnectionError, BrokenPipeError):
            self.close_connection = True
        except Exception as e:  # a stand-in bug: answer like an apiserver panic
            import traceback
            traceback.print_exc()
            self.send_error_status(ApiError(500, "InternalError",
                                            "Internal error occurred: %s" % e))
        finally:
            self.log_request_line(self.status_sent, body)

    def forbidden(self, r, ns, name, sub, q):
        """403 worded as the real RBAC authorizer words it."""
        verb = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}.get(self.command, "get")
        if self.command == "GET" and name is None:
            verb = "watch" if q.get("watch") in ("true", "1") else "list"
        if self.command == "DELETE" and name is None:
            verb = "deletecollection"
        res = r.plural + ("/" + sub if sub else "")
        msg = '%s%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"' % (
            res, ' "%s"' % name if name else "", self.user, verb, res, r.group)
        msg += ' in the namespace "%s"' % ns if ns else " at the cluster scope"
        d = {"kind": r.plural}
        if name:
            d["name"] = name
        if r.group:
            d["group"] = r.group
        return ApiError(403, "Forbidden", msg, d)

    # -- routing
    def route(self, path, body):
        st = self.server.store
        q = {k: v[0] for k, v in urllib.parse.parse_qs(
            self.path.partition("?")[2], keep_blank_values=True).items()}
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")] \
            if path.strip("/") else []
        if path in ("/version", "/version/"):
            return self.send_json(200, {
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-standin",
                "gitCommit": "0000000000000000000000000000000000000000",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64"})
        if path in ("/healthz", "/livez", "/readyz"):
            return self.send_raw(200, "text/plain; charset=utf-8", b"ok")
        with st.lock:
            if parts and parts[0] == "openapi":
                return self.openapi(parts[1:])
            if parts == ["api"]:
                return self.send_json(200, {
                    "kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "127.0.0.1:6443"}]})
            if parts == ["apis"]:
                groups = []
                for g, vers in st.groups():
                    gv = [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in vers]
                    groups.append({"name": g, "versions": gv, "preferredVersion": gv[0]})
                return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                            "groups": groups})
            if parts == ["api", "v1"] or (len(parts) == 3 and parts[0] == "apis"):
                g, v = ("", "v1") if parts[0] == "api" else (parts[1], parts[2])
                rs = [r for r in st.res.values() if r.group == g and r.version == v]
                if not rs:
                    raise ApiError(404, "NotFound", "the server could not find the "
                                   "requested resource")
                lst = []
                for r in rs:
                    lst.append(r.resource_list_entry())
                    if r.status_sub:
                        lst.append({"name": r.plural + "/status", "singularName": "",
                                    "namespaced": r.namespaced, "kind": r.kind,
                                    "verbs": ["get", "patch", "update"]})
                    if r.kind in ("Deployment", "StatefulSet"):
                        lst.append({"name": r.plural + "/scale", "singularName": "",
                                    "namespaced": True, "group": "autoscaling",
                                    "version": "v1", "kind": "Scale",
                                    "verbs": ["get", "patch", "update"]})
                return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                            "groupVersion": rs[0].gv, "resources": lst})
            if len(parts) == 2 and parts[0] == "apis":
                for g, vers in st.groups():
                    if g == parts[1]:
                        gv = [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in vers]
                        return self.send_json(200, {"kind": "APIGroup", "apiVersion": "v1",
                                                    "name": g, "versions": gv,
                                                    "preferredVersion": gv[0]})
            if parts and parts[0] == "api" and len(parts) >= 3 and parts[1] == "v1":
                return self.resource("", "v1", parts[2:], q, body)
            if parts and parts[0] == "apis" and len(parts) >= 4:
                return self.resource(parts[1], parts[2], parts[3:], q, body)
        raise no_route()

    def openapi(self, rest):
        """A minimal OpenAPI v3: enough for kubectl to see that every PATCH/POST
        takes fieldValidation (so it validates server-side and needs no
        schema); no SMP request body is listed, so kubectl's client-side
        apply uses its built-in patch metadata.  /openapi/v2: empty."""
        st = self.server.store
        if rest == ["v2"]:
            # kubectl before 1.28 loads v2 eagerly; an empty document (as protobuf:
            # zero bytes) makes its client-side validation skip every kind
            if "protobuf" in self.headers.get("Accept", ""):
                return self.send_raw(
                    200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", b"")
            return self.send_json(200, {"swagger": "2.0", "info": {
                "title": "Kubernetes (stand-in)", "version": "v1.32.0"}, "paths": {},
                "definitions": {}})
        gvs = {}
        for r in st.res.values():
            gvs.setdefault(("api/v1" if not r.group else "apis/%s/%s" % (r.group, r.version)),
                           []).append(r)
        if rest == ["v3"]:
            paths = {}
            for gv, rs in sorted(gvs.items()):
                h = "%016X" % (abs(hash(tuple(sorted(x.plural for x in rs)))) % (1 << 64))
                paths[gv] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (gv, h)}
            return self.send_json(200, {"paths": paths})
        gv = "/".join(rest[1:])
        if not rest or rest[0] != "v3" or gv not in gvs:
            raise no_route()
        params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for n in ("dryRun", "fieldManager", "fieldValidation", "pretty")]
        paths, schemas = {}, {}
        for r in gvs[gv]:
            gvk = {"group": r.group, "version": r.version, "kind": r.kind}
            sname = "%s.%s.%s" % (r.group or "io.k8s.api.core", r.version, r.kind)
            schemas[sname] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                              "x-kubernetes-group-version-kind": [gvk]}
            ref = {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/" + sname}}}}

            def op(action, extra=()):
                return {"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
                        "parameters": params + list(extra), "requestBody": ref,
                        "responses": {"200": {"description": "OK"}}}
            base = "/%s%s/%s" % (gv, "/namespaces/{namespace}" if r.namespaced else "",
                                 r.plural)
            paths[base] = {"post": op("post"), "get": op("list")}
            force = [{"name": "force", "in": "query", "schema": {"type": "boolean"}}]
            patch = op("patch", force)
            patch["requestBody"] = {"content": {
                "application/apply-patch+yaml": {"schema": {"type": "object"}},
                "application/json-patch+json": {"schema": {"type": "object"}},
                "application/merge-patch+json": {"schema": {"type": "object"}}}}
            paths[base + "/{name}"] = {"get": op("get"), "put": op("put"), "patch": patch,
                                       "delete": op("delete")}
        return self.send_json(200, {"openapi": "3.0.0",
                                    "info": {"title": "Kubernetes (stand-in)",
                                             "version": "v1.32.0"},
                                    "paths": paths, "components": {"schemas": schemas}})

    def resource(self, group, version, rest, q, body):
        st = self.server.store
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3 and not (
                len(rest) == 3 and rest[2] in ("status", "finalize")):
            ns, rest = rest[1], rest[2:]
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3:
            raise no_route()
        r = st.find(group, version, plural)
        if r is None:
            raise no_route()
        if sub is not None and not (sub == "status" and r.status_sub) and \
                not (sub == "finalize" and r.kind == "Namespace") and \
                not (sub == "scale" and r.kind in ("Deployment", "StatefulSet")):
            raise no_route()
        if sub == "finalize":
            sub = None
        if r.namespaced and ns is None and name is not None:
            raise no_route()
        if not r.namespaced and ns is not None:
            raise no_route()
        if self.user in self.server.opts.forbid:
            raise self.forbidden(r, ns, name, sub, q)
        dry = q.get("dryRun")
        if dry is not None and dry != "All":
            raise bad_request('dryRun: Unsupported value: "%s": supported values: "All"' % dry)
        commit = dry is None
        if sub == "scale" and r.kind in ("Deployment", "StatefulSet") and name:
            return self.scale(r, ns or "", name, q, body, commit)
        m = self.command
        if m == "GET" and name is None:
            if q.get("watch") in ("true", "1"):
                return self.watch(r, ns, q)
            return self.list(r, ns, q)
        if m == "GET":
            o = st.get(r, ns or "", name)
            if o is None:
                raise not_found(r.plural, name, r.group)
            return self.send_obj(200, r, o, q)
        if m == "POST" and name is None:
            if r.namespaced and ns is None:
                raise no_route()
            obj = self.decode(r, body, "application/json")
            self.check_kind(r, obj)
            bns = (obj.get("metadata") or {}).get("namespace")
            if r.namespaced and bns and bns != ns:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            if (obj.get("metadata") or {}).get("managedFields") == []:
                obj["metadata"].pop("managedFields")
            o = st.store_new(r, obj, ns or "", self.manager(q), commit)
            return self.send_json(201, o)
        if name is None and m == "DELETE":
            return self.delete_collection(r, ns, q, commit)
        if name is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                           "on the requested resource")
        if m == "PUT":
            obj = self.decode(r, body, "application/json")
            self.check_kind(r, obj)
            old = st.get(r, ns or "", name)
            if old is None:
                raise not_found(r.plural, name, r.group)
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise self.conflict_modified(r, name)
            o = st.store_update(r, old, obj, self.manager(q), commit, sub)
            return self.send_json(200, o)
        if m == "PATCH":
            return self.patch(r, ns or "", name, sub, q, body, commit)
        if m == "DELETE":
            if body:
                try:
                    opts = json.loads(body)
                except ValueError:
                    raise bad_request("couldn't get version/kind; json parse error")
                if not isinstance(opts, dict):
                    raise bad_request("DeleteOptions must be an object")
                pre = (opts.get("preconditions") or {})
                cur = st.get(r, ns or "", name)
                if cur is not None and pre.get("uid") and pre["uid"] != cur["metadata"]["uid"]:
                    raise ApiError(409, "Conflict", "Precondition failed: UID in precondition: "
                                   "%s, UID in object meta: %s" % (pre["uid"],
                                                                   cur["metadata"]["uid"]))
            o = st.delete(r, ns or "", name, commit)
            if o["metadata"].get("deletionTimestamp") and r.kind != "Namespace":
                return self.send_json(200, o)   # waiting for its finalizers
            if r.kind == "Namespace":
                o["status"] = {"phase": "Terminating"}
                o["metadata"]["deletionTimestamp"] = now_iso()
                o["spec"] = {"finalizers": ["kubernetes"]}
                return self.send_json(200, o)
            return self.send_json(200, {
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": dict({"name": name, "kind": r.plural, "uid": o["metadata"]["uid"]},
                                **({"group": r.group} if r.group else {}))})
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                       "the requested resource")

    def scale(self, r, ns, name, q, body, commit):
        """The scale subresource (autoscaling/v1 Scale), as kubectl scale uses it."""
        st = self.server.store
        old = st.get(r, ns, name)
        if old is None:
            raise not_found(r.plural, name, r.group)

        def as_scale(o):
            md = o["metadata"]
            sel = ",".join("%s=%s" % kv for kv in sorted(
                ((o.get("spec") or {}).get("selector") or {}).get("matchLabels", {}).items()))
            return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {k: md[k] for k in ("name", "namespace", "uid",
                                                    "resourceVersion", "creationTimestamp")
                                 if k in md},
                    "spec": {"replicas": (o.get("spec") or {}).get("replicas", 1)},
                    "status": {"replicas": (o.get("status") or {}).get("replicas", 0),
                               "selector": sel}}
        cur = as_scale(old)
        if self.command == "GET":
            return self.send_json(200, cur)
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            doc = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            raise bad_request("error decoding patch: invalid character looking for beginning "
                              "of value")
        if self.command == "PUT":
            new = doc
        elif self.command == "PATCH" and ctype == "application/json-patch+json":
            new = json_patch(cur, doc)
        elif self.command == "PATCH" and isinstance(doc, dict):
            new = deep_merge(cur, doc)
        else:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                           "the requested resource")
        reps = (new.get("spec") or {}).get("replicas") if isinstance(new, dict) else None
        if not isinstance(reps, int) or reps < 0:
            raise invalid("Scale", name, "autoscaling", [(
                "spec.replicas", "Invalid value: %s: must be greater than or equal to 0"
                % json.dumps(reps))])
        obj = copy.deepcopy(old)
        obj.setdefault("spec", {})["replicas"] = reps
        o = st.store_update(r, old, obj, self.manager(q), commit, mf_sub="scale")
        self.send_json(200, as_scale(o))

    def conflict_modified(self, r, name):
        res = r.plural + ("." + r.group if r.group else "")
        return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object '
                        "has been modified; please apply your changes to the latest version "
                        "and try again" % (res, name),
                        {"name": name, "group": r.group, "kind": r.plural})

    def manager(self, q):
        fm = q.get("fieldManager")
        if fm:
            if len(fm) > 128:
                raise invalid("", "", "", [("fieldManager", "Too long: may not be more "
                                            "than 128 bytes")])
            return fm
        ua = self.headers.get("User-Agent", "unknown")
        return ua.split("/", 1)[0][:128]

    def check_kind(self, r, obj):
        if not isinstance(obj, dict):
            raise bad_request("the object provided is unrecognized (must be of type %s)"
                              % r.kind)
        if obj.get("kind") and obj["kind"] != r.kind:
            raise bad_request("the object provided is unrecognized (must be of type %s): "
                              "kind %s" % (r.kind, obj["kind"]))
        av = obj.get("apiVersion")
        if av and av != r.gv:
            g = av.rpartition("/")[0]
            if g != r.group:
                raise bad_request("the API version in the data (%s) does not match the "
                                  "expected API version (%s)" % (av, r.gv))

    def decode(self, r, body, ctype_default, yaml_ok=False):
        ctype = self.headers.get("Content-Type", ctype_default)
        if "protobuf" in ctype:
            return pb_decode(body, r)
        if "cbor" in ctype:
            raise unsupported_media(("application/json", "application/yaml"))
        text = body.decode("utf-8", "replace")
        if not text.strip():
            raise bad_request("the body of the request was in an unknown format - accepted "
                              "media types include: application/json, application/yaml")
        try:
            return json.loads(text)
        except ValueError:
            pass
        ctype = self.headers.get("Content-Type", ctype_default)
        if yaml_ok or "yaml" in ctype:
            try:
                d = yaml.load(text, Loader=NoTimestampLoader)
            except yaml.YAMLError as e:
                raise bad_request("error converting YAML to JSON: %s" % str(e).replace(
                    "\n", " "))
            if not isinstance(d, dict):
                raise bad_request("the body of the request was in an unknown format")
            return d
        raise bad_request("couldn't get version/kind; json parse error: invalid character "
                          "looking for beginning of value")

    # -- list / watch / table
    def matches(self, q):
        lsel = parse_label_selector(q.get("labelSelector", ""))
        fsel = parse_field_selector(q.get("fieldSelector", ""))
        return lambda o: label_match(lsel, o.get("metadata", {}).get("labels")) and \
            field_match(fsel, o)

    def list(self, r, ns, q):
        st = self.server.store
        ok = self.matches(q)
        items = []
        for k in sorted(st.objs):
            if k[0] == r.group and k[1] == r.plural and (ns is None or k[2] == ns):
                o = st.out(r, st.objs[k])
                if ok(o):
                    items.append(o)
        if self.wants_table():
            return self.send_table(r, items, str(st.rv), q)
        self.send_json(200, {"kind": r.kind + "List", "apiVersion": r.gv,
                             "metadata": {"resourceVersion": str(st.rv)}, "items": items})

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def send_obj(self, code, r, o, q):
        if self.wants_table():
            return self.send_table(r, [o], o["metadata"]["resourceVersion"], q)
        self.send_json(code, o)

    def send_table(self, r, items, rv, q):
        full = q.get("includeObject") == "Object"
        rows = []
        for o in items:
            obj = o if full else {"kind": "PartialObjectMetadata",
                                  "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}
            rows.append({"cells": [o["metadata"]["name"],
                                   age(o["metadata"].get("creationTimestamp"))],
                         "object": obj})
        self.send_json(200, {
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0,
                 "description": "Name must be unique within a namespace."},
                {"name": "Age", "type": "string", "format": "", "priority": 0,
                 "description": "CreationTimestamp is a timestamp representing the server "
                 "time when this object was created."}],
            "rows": rows})

    def watch(self, r, ns, q):
        st = self.server.store
        ok = self.matches(q)
        try:
            timeout = min(float(q.get("timeoutSeconds", "1800")), 1800)
        except ValueError:
            raise bad_request("invalid timeoutSeconds")
        deadline = time.time() + timeout
        start = q.get("resourceVersion", "")
        initial = []
        if start in ("", "0"):
            for k in sorted(st.objs):
                if k[0] == r.group and k[1] == r.plural and (ns is None or k[2] == ns):
                    o = st.out(r, st.objs[k])
                    if ok(o):
                        initial.append({"type": "ADDED", "object": o})
            since = st.rv
        else:
            try:
                since = int(start)
            except ValueError:
                raise bad_request("invalid resourceVersion")
            if st.events and since < st.events[0][0] - 1 and since < st.rv:
                raise ApiError(410, "Expired", "too old resource version: %d (%d)"
                               % (since, st.events[0][0]))
        self.status_sent = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.close_connection = True

        def chunk(ev):
            data = (json.dumps(ev) + "\n").encode("utf-8")
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        try:
            st.lock.release()
            try:
                for ev in initial:
                    chunk(ev)
            finally:
                st.lock.acquire()
            while time.time() < deadline and not self.server.stopping:
                evs = [e for e in st.events if e[0] > since and e[1] == r.group and
                       e[2] == r.plural and (ns is None or e[3] == ns)]
                if st.events:
                    since = max(since, st.events[-1][0])
                send = []
                for e in evs:
                    o = copy.deepcopy(e[5])
                    o["apiVersion"] = r.gv
                    if ok(o):
                        send.append({"type": e[4], "object": o})
                if send:
                    st.lock.release()
                    try:
                        for ev in send:
                            chunk(ev)
                    finally:
                        st.lock.acquire()
                st.cond.wait(min(1.0, max(0.0, deadline - time.time())))
            st.lock.release()
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            finally:
                st.lock.acquire()
        except (ConnectionError, BrokenPipeError, OSError, ssl.SSLError):
            pass

    def delete_collection(self, r, ns, q, commit):
        st = self.server.store
        ok = self.matches(q)
        items = []
        for k in sorted(st.objs):
            if k[0] == r.group and k[1] == r.plural and (ns is None or k[2] == ns) and \
                    k in st.objs:
                o = st.out(r, st.objs[k])
                if ok(o):
                    items.append(st.delete(r, k[2], k[3], commit))
        self.send_json(200, {"kind": r.kind + "List", "apiVersion": r.gv,
                             "metadata": {"resourceVersion": str(st.rv)}, "items": items})

    # -- patch
    def patch(self, r, ns, name, sub, q, body, commit):
        st = self.server.store
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype == "application/apply-patch+yaml":
            return self.apply(r, ns, name, sub, q, body, commit)
        old = st.get(r, ns, name)
        if ctype == "application/json-patch+json":
            try:
                ops = json.loads(body.decode("utf-8", "replace"))
            except ValueError:
                raise bad_request("error decoding patch: invalid character looking for "
                                  "beginning of value")
            if old is None:
                raise not_found(r.plural, name, r.group)
            new = json_patch(old, ops)
        elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            try:
                p = json.loads(body.decode("utf-8", "replace"))
            except ValueError:
                raise bad_request("error decoding patch: invalid character looking for "
                                  "beginning of value")
            if ctype.startswith("application/strategic") and r.crd:
                raise unsupported_media(PATCH_TYPES[:3])
            if old is None:
                raise not_found(r.plural, name, r.group)
            if not isinstance(p, dict):
                raise bad_request("error decoding patch: a merge patch must be an object")
            new = deep_merge(old, p) if ctype == "application/merge-patch+json" else \
                smp_merge(old, p)
        else:
            raise unsupported_media(PATCH_TYPES)
        self.check_kind(r, new)
        rv = (new.get("metadata") or {}).get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise self.conflict_modified(r, name)
        o = st.store_update(r, old, new, self.manager(q), commit, sub)
        self.send_json(200, o)

    def apply(self, r, ns, name, sub, q, body, commit):
        st = self.server.store
        mgr = q.get("fieldManager")
        if not mgr:
            raise ApiError(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: "
                           "fieldManager: Required value: is required for apply patch",
                           {"group": "meta.k8s.io", "kind": "PatchOptions",
                            "causes": [{"reason": "FieldValueRequired",
                                        "message": "Required value: is required for apply "
                                        "patch", "field": "fieldManager"}]})
        force = q.get("force") in ("true", "1")
        cfg = self.decode(r, body, "application/apply-patch+yaml", yaml_ok=True)
        if not cfg.get("apiVersion") or not cfg.get("kind"):
            raise bad_request("error decoding YAML: Object 'Kind' is missing in '%s'"
                              % json.dumps(cfg)[:200])
        self.check_kind(r, cfg)
        md = cfg.get("metadata")
        if not isinstance(md, dict):
            raise bad_request("metadata must be an object")
        if md.get("managedFields"):
            raise bad_request("metadata.managedFields must be nil")
        if md.get("name") and md["name"] != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL "
                              "(%s)" % (md["name"], name))
        if r.namespaced and md.get("namespace") and md["namespace"] != ns:
            raise bad_request("the namespace of the provided object does not match the "
                              "namespace sent on the request")
        # stringData applies as data (so ownership is of data keys)
        if r.kind == "Secret" and cfg.get("stringData"):
            cfg = copy.deepcopy(cfg)
            data = cfg.setdefault("data", {})
            for k, v in cfg.pop("stringData").items():
                if isinstance(v, str):
                    data[k] = base64.b64encode(v.encode("utf-8")).decode("ascii")
        rv = md.get("resourceVersion")
        old = st.get(r, ns, name)
        on_status = sub == "status"
        fields = status_leaves(cfg) if on_status else leaves(cfg, r.status_sub)
        mk = (mgr, "Apply", sub or "")
        if old is None:
            if sub:
                raise not_found(r.plural, name, r.group)
            obj = copy.deepcopy(cfg)
            obj.setdefault("metadata", {})["name"] = name
            obj["metadata"].pop("resourceVersion", None)
            obj["metadata"]["managedFields"] = [mf_entry(mgr, "Apply", r.gv, fields)] \
                if fields else []
            o = st.store_new(r, obj, ns, mgr, commit)
            return self.send_json(201, o)
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise self.conflict_modified(r, name)
        managed = parse_managed(old["metadata"].get("managedFields"))
        conflicts = []
        for (om, oop, osub), ent in managed.items():
            if (om, oop, osub) == mk:
                continue
            for qp in sorted(ent["fields"], key=path_sort_key):
                for p in fields:
                    if not overlap(p, qp):
                        continue
                    short = p if len(p) <= len(qp) else qp
                    if get_path(old, short) != get_path(cfg, short):
                        conflicts.append((om, qp, (om, oop, osub)))
                        break
        if conflicts and not force and mgr == "kubectl":
            # the real server's lastAppliedManager: kubectl moving from client-side to
            # server-side apply may take the fields of its last-applied-configuration
            allowed = last_applied_fields(old, r.status_sub)
            if all(any(overlap(qp, a) for a in allowed) for _m, qp, _k in conflicts):
                force = True
        if conflicts and not force:
            raise apply_conflict(conflicts, managed)
        for _m, qp, key in conflicts:
            managed[key]["fields"].discard(qp)
        prev = managed.get(mk, {}).get("fields", set())
        new = copy.deepcopy(old)
        owned_by_others = set()
        for key, ent in managed.items():
            if key != mk:
                owned_by_others |= ent["fields"]
        for p in sorted(prev - fields, key=lambda x: (-len(x), path_sort_key(x))):
            if not any(overlap(p, o2) for o2 in owned_by_others) and \
                    not any(overlap(p, f) for f in fields):
                del_path(new, p)
        if on_status:
            new["status"] = deep_merge(new.get("status") or {}, cfg.get("status") or {})
        else:
            c2 = copy.deepcopy(cfg)
            c2.pop("status", None) if r.status_sub else None
            c2.get("metadata", {}).pop("resourceVersion", None)
            new = apply_merge(new, c2)
        managed[mk] = {"apiVersion": r.gv, "fields": fields, "time": now_iso(),
                       "subresource": sub or ""}
        # a field now set by this manager to a new value leaves the others
        for key, ent in managed.items():
            if key != mk:
                ent["fields"] = set(p for p in ent["fields"] if not any(
                    overlap(p, f) and get_path(old, p) != get_path(new, p) for f in fields))
        ann = (new.get("metadata") or {}).get("annotations") or {}
        if mgr == "kubectl" and LAST_APPLIED in ann and not on_status:
            # and its lastAppliedUpdater: the annotation follows the applied config
            la = copy.deepcopy(cfg)
            ((la.get("metadata") or {}).get("annotations") or {}).pop(LAST_APPLIED, None)
            ann[LAST_APPLIED] = json.dumps(la, separators=(",", ":"), sort_keys=True) + "\n"
        o = st.store_update(r, old, new, mgr, commit, sub, "Apply", managed)
        self.send_json(200, o)


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def last_applied_fields(obj, status_sub):
    ann = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        return leaves(json.loads(ann), status_sub) if ann else set()
    except (ValueError, AttributeError):
        return set()


def print_manager(key, ent):
    """A manager as the real server names it in conflicts (printManager)."""
    mgr, op, sub = key
    s = '"%s"' % mgr
    if sub:
        s += ' with subresource "%s"' % sub
    if op == "Update":
        s += " using %s at %s" % (ent.get("apiVersion", ""), ent.get("time", now_iso()))
    return s


def apply_conflict(conflicts, managed):
    """409 Conflict exactly as the real server words it (getConflictMessage)."""
    path = path_str
    causes = [{"reason": "FieldManagerConflict",
               "message": "conflict with %s" % print_manager(key, managed[key]),
               "field": path(qp)} for _m, qp, key in conflicts]
    if len(conflicts) == 1:
        _m, qp, key = conflicts[0]
        msg = "Apply failed with 1 conflict: conflict with %s: %s" % (
            print_manager(key, managed[key]), path(qp))
    else:
        by = {}
        for _m, qp, key in conflicts:
            by.setdefault(key, []).append(path(qp))
        lines = []
        for key in sorted(by, key=lambda k: json.dumps(k)):
            lines.append("conflicts with %s:" % print_manager(key, managed[key]))
            lines += ["- %s" % p for p in by[key]]
        msg = "Apply failed with %d conflicts: %s" % (len(conflicts), "\n".join(lines))
    return ApiError(409, "Conflict", msg, {"causes": causes})


def apply_merge(base, cfg):
    """Merge an apply configuration: maps recurse, associative lists merge
    by key, everything else replaces."""
    if not isinstance(cfg, dict) or not isinstance(base, dict):
        return copy.deepcopy(cfg)
    out = copy.deepcopy(base)
    for k, v in cfg.items():
        ak = assoc_key(k, v) if isinstance(v, list) else None
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and v:
            out[k] = apply_merge(out.get(k) if isinstance(out.get(k), dict) else {}, v)
        elif ak and isinstance(out.get(k), list) and assoc_key(k, out[k]) == ak:
            lst = out[k]
            for el in v:
                i = find_elem(lst, elem_id(ak, el))
                if i is None:
                    lst.append(copy.deepcopy(el))
                else:
                    lst[i] = apply_merge(lst[i], el)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        pass


# ---------------------------------------------------------------- certs


def gen_certs(d, cn):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress
    os.makedirs(d, exist_ok=True)
    names = ["ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "client.pem",
             "client-key.pem"]
    if all(os.path.exists(os.path.join(d, n)) for n in names):
        return
    now = datetime.datetime.now(datetime.timezone.utc)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def write(name, data, mode=0o644):
        p = os.path.join(d, name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    def pem_key(k):
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())

    def build(subject, issuer, pub, signer, ca, eku=None, san=None):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
             .public_key(pub).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            b = b.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        else:
            b = b.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        if san:
            b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return b.sign(signer, hashes.SHA256())

    ca_key = key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-standin-ca")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    sk = key()
    srv = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]),
                ca_name, sk.public_key(), ca_key, False, [ExtendedKeyUsageOID.SERVER_AUTH],
                [x509.DNSName("localhost"), x509.DNSName("kubernetes.default.svc"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.IPAddress(ipaddress.ip_address("::1"))])
    ck = key()
    cli = build(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
                           x509.NameAttribute(NameOID.COMMON_NAME, cn)]),
                ca_name, ck.public_key(), ca_key, False, [ExtendedKeyUsageOID.CLIENT_AUTH])
    pem = serialization.Encoding.PEM
    write("ca.pem", ca.public_bytes(pem))
    write("ca-key.pem", pem_key(ca_key), 0o600)
    write("server.pem", srv.public_bytes(pem))
    write("server-key.pem", pem_key(sk), 0o600)
    write("client.pem", cli.public_bytes(pem))
    write("client-key.pem", pem_key(ck), 0o600)


def write_kubeconfig(opts, url):
    user = {}
    cluster = {"server": url}
    auth = opts.kubeconfig_auth or ("cert" if opts.gen_certs else "token")
    if opts.gen_certs:
        d = os.path.abspath(opts.gen_certs)

        def b64(n):
            with open(os.path.join(d, n), "rb") as f:
                return base64.b64encode(f.read()).decode("ascii")
        if opts.kubeconfig_paths:
            cluster["certificate-authority"] = os.path.join(d, "ca.pem")
        else:
            cluster["certificate-authority-data"] = b64("ca.pem")
        if auth in ("cert", "both") and opts.kubeconfig_paths:
            user["client-certificate"] = os.path.join(d, "client.pem")
            user["client-key"] = os.path.join(d, "client-key.pem")
        elif auth in ("cert", "both"):
            user["client-certificate-data"] = b64("client.pem")
            user["client-key-data"] = b64("client-key.pem")
    elif opts.tls_cert:
        cluster["certificate-authority"] = os.path.abspath(opts.tls_cert)
    if opts.token and auth in ("token", "both"):
        user["token"] = opts.token[0].split("=", 1)[0]
    kc = {"apiVersion": "v1", "kind": "Config", "current-context": "standin",
          "clusters": [{"name": "standin", "cluster": cluster}],
          "users": [{"name": "standin", "user": user}],
          "contexts": [{"name": "standin", "context": {
              "cluster": "standin", "user": "standin", "namespace": "default"}}],
          "preferences": {}}
    tmp = opts.write_kubeconfig + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(yaml.safe_dump(kc, default_flow_style=False, sort_keys=False))
    os.rename(tmp, opts.write_kubeconfig)


# ---------------------------------------------------------------- main


def preload(store, files, what):
    for f in files:
        with open(f) as fh:
            docs = load_docs(fh.read())
        for d in docs:
            if not isinstance(d, dict):
                sys.exit("kube stand-in: %s: not an object" % f)
            if what == "crd" and d.get("kind") != "CustomResourceDefinition":
                sys.exit("kube stand-in: %s: %s is not a CustomResourceDefinition"
                         % (f, d.get("kind")))
            r = store.by_kind(d.get("apiVersion", ""), d.get("kind", ""))
            if r is None:
                sys.exit("kube stand-in: %s: no kind %s in %s" % (f, d.get("kind"),
                                                                  d.get("apiVersion")))
            ns = (d.get("metadata") or {}).get("namespace") or "default"
            try:
                with store.lock:
                    store.store_new(r, d, ns if r.namespaced else "", "standin-preload")
            except ApiError as e:
                sys.exit("kube stand-in: %s: %s" % (f, e.message))


def watch_parent(ppid, extra, srv):
    while True:
        time.sleep(0.5)
        gone = os.getppid() != ppid
        if extra:
            try:
                os.kill(extra, 0)
            except ProcessLookupError:
                gone = True
            except PermissionError:
                pass
        if gone:
            srv.stopping = True
            os._exit(0)


def main():
    ap = argparse.ArgumentParser(
        prog="kube_apiserver.py", description=HELP.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
    ap.add_argument("-h", "--help", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--forbid", action="append", default=[])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--gen-certs")
    ap.add_argument("--gen-only", action="store_true")
    ap.add_argument("--client-cn", default="innominatus-test")
    ap.add_argument("--write-kubeconfig")
    ap.add_argument("--kubeconfig-paths", action="store_true")
    ap.add_argument("--kubeconfig-auth", choices=("cert", "token", "both"))
    ap.add_argument("--crd-file", action="append", default=[])
    ap.add_argument("--objects", action="append", default=[])
    ap.add_argument("--controller-file", action="append", default=[])
    ap.add_argument("--ready-ms", type=int, default=200)
    ap.add_argument("--finalizer-ms", type=int, default=-1)
    ap.add_argument("--hang-path", action="append", default=[])
    ap.add_argument("--garbage-path", action="append", default=[])
    ap.add_argument("--close-path", action="append", default=[])
    ap.add_argument("--fail-path", action="append", default=[])
    ap.add_argument("--slow-ms", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--log-bodies", action="store_true")
    ap.add_argument("--pid-watch", type=int, default=0)
    opts = ap.parse_args()
    if opts.help:
        sys.stdout.write(HELP)
        return 0
    ppid = os.getppid()
    if opts.gen_certs:
        gen_certs(opts.gen_certs, opts.client_cn)
        if opts.gen_only:
            return 0
        if not opts.tls_cert:
            opts.tls_cert = os.path.join(opts.gen_certs, "server.pem")
            opts.tls_key = os.path.join(opts.gen_certs, "server-key.pem")
            opts.client_ca = opts.client_ca or os.path.join(opts.gen_certs, "ca.pem")
    if bool(opts.tls_cert) != bool(opts.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if opts.client_ca and not opts.tls_cert:
        ap.error("--client-ca needs --tls-cert/--tls-key (or --gen-certs)")
    fails = []
    for f in opts.fail_path:
        prefix, _, code = f.rpartition("=")
        if not prefix or not code.isdigit() or not 400 <= int(code) <= 599:
            ap.error("--fail-path wants PREFIX=CODE (a 4xx/5xx code): %s" % f)
        fails.append((prefix, int(code)))
    opts.fail_path = fails
    toks = {}
    for t in opts.token:
        tok, _, user = t.partition("=")
        toks[tok] = user or "admin"
    opts.tokens = toks
    store = Store(opts)
    for f in opts.controller_file:
        with open(f) as fh:
            rules = json.load(fh)
        store.rules.extend(rules if isinstance(rules, list) else [rules])
    preload(store, opts.crd_file, "crd")
    preload(store, opts.objects, "obj")
    srv = Server((opts.bind, opts.port), Handler)
    srv.opts, srv.store, srv.stopping = opts, store, False
    srv.log_lock = threading.Lock()
    scheme = "http"
    if opts.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
        ctx.set_alpn_protocols(["http/1.1"])
        if opts.client_ca:
            ctx.load_verify_locations(opts.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
        scheme = "https"
    port = srv.server_address[1]
    if opts.write_kubeconfig:
        write_kubeconfig(opts, "%s://%s:%d" % (scheme, opts.bind, port))
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, opts.port_file)
    threading.Thread(target=watch_parent, args=(ppid, opts.pid_watch, srv),
                     daemon=True).start()
    import signal
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
