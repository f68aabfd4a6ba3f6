#!/usr/bin/env python3
"""openapi_validate.py - checks /api/openapi.json and the replies the API
tests recorded (tests/api/test_api.c, INN_API_RECORD) against it.

    openapi_validate.py DOC.json API.c RECORD_DIR [FIRST]

DOC.json is the document a real server served, API.c the route table's
source (server/api.c: every route of it must be in the document) and
RECORD_DIR the replies, one JSON file each: {method, path, status,
content_type, body}.  Prints TAP (numbered after FIRST, when given, and
ending with the plan of all); exits 1 when any check failed.

The document is checked for its structure (an OpenAPI 3.1 subset written
here: the official meta-schema is not packaged), every schema in it as a
JSON Schema 2020-12, every $ref resolving, unique camelCase operationIds,
declared tags.  Each recorded reply is matched to its operation the way
the server matches routes, its status must be one the operation declares
and its JSON body must validate against that status's schema; the data of
the event stream's events against the Event schema.  Finally a reply made
wrong on purpose, and a status no operation declares, must be refused.
"""
import glob
import json
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError as e:
    print("Bail out! python3-jsonschema (>= 4.18, with python3-referencing) is "
          "needed: apt-get install python3-jsonschema (%s)" % e)
    sys.exit(1)

n = 0
failed = False


def check(desc, ok, detail=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    if not ok:
        failed = True
        if detail:
            for line in str(detail).splitlines()[:30]:
                print("# " + line)
    return ok


# ---- the document's structure: a subset of OpenAPI 3.1, as we use it -------

STR = {"type": "string"}
SCHEMA_OBJ = {"type": ["object", "boolean"]}
MEDIA = {"type": "object", "required": ["schema"],
         "properties": {"schema": SCHEMA_OBJ}}
CONTENT = {"type": "object", "minProperties": 1,
           "propertyNames": {"pattern": r"^[a-z]+/[a-z0-9.+-]+$"},
           "additionalProperties": MEDIA}
OAS_SUBSET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["openapi", "info", "paths", "components"],
    "properties": {
        "openapi": {"type": "string", "pattern": r"^3\.1\.\d+$"},
        "info": {"type": "object", "required": ["title", "version"],
                 "properties": {"title": STR, "version": STR, "description": STR}},
        "security": {"type": "array", "items": {
            "type": "object", "additionalProperties": {"type": "array"}}},
        "tags": {"type": "array", "items": {
            "type": "object", "required": ["name"],
            "properties": {"name": STR, "description": STR}}},
        "paths": {
            "type": "object",
            "propertyNames": {"pattern": "^/"},
            "additionalProperties": {
                "type": "object",
                "propertyNames": {"enum": ["get", "put", "post", "delete", "options",
                                           "head", "patch", "trace"]},
                "additionalProperties": {"$ref": "#/$defs/operation"}}},
        "components": {
            "type": "object",
            "required": ["schemas", "securitySchemes"],
            "properties": {
                "schemas": {"type": "object", "additionalProperties": SCHEMA_OBJ},
                "securitySchemes": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["type"],
                    "properties": {"type": {"enum": ["apiKey", "http", "mutualTLS",
                                                     "oauth2", "openIdConnect"]}}}}}},
    },
    "$defs": {
        "operation": {
            "type": "object",
            "required": ["operationId", "responses", "tags", "summary"],
            "properties": {
                "operationId": {"type": "string", "pattern": "^[a-z][A-Za-z0-9]*$"},
                "tags": {"type": "array", "minItems": 1, "items": STR},
                "summary": STR,
                "security": {"type": "array"},
                "parameters": {"type": "array", "items": {
                    "type": "object", "required": ["name", "in", "schema"],
                    "properties": {"name": STR,
                                   "in": {"enum": ["query", "header", "path", "cookie"]},
                                   "required": {"type": "boolean"},
                                   "description": STR, "schema": SCHEMA_OBJ},
                    "if": {"properties": {"in": {"const": "path"}}},
                    "then": {"required": ["required"],
                             "properties": {"required": {"const": True}}}}},
                "requestBody": {"type": "object", "required": ["content"],
                                "properties": {"content": CONTENT,
                                               "required": {"type": "boolean"}}},
                "responses": {
                    "type": "object", "minProperties": 1,
                    "propertyNames": {"pattern": "^[1-5][0-9][0-9]$"},
                    "additionalProperties": {
                        "type": "object", "required": ["description"],
                        "properties": {"description": STR, "content": CONTENT}}},
            }},
    },
}


def walk(node, fn, where="#"):
    """Calls fn(node, where) on every dict of node."""
    if isinstance(node, dict):
        fn(node, where)
        for k, v in node.items():
            walk(v, fn, where + "/" + k.replace("~", "~0").replace("/", "~1"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, fn, "%s/%d" % (where, i))


def pointer(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def schemas_in(doc):
    """Every schema object of the document: components and inline ones."""
    out = [("#/components/schemas/" + k, v)
           for k, v in doc.get("components", {}).get("schemas", {}).items()]

    def find(node, where):
        if "schema" in node and isinstance(node["schema"], (dict, bool)):
            out.append((where + "/schema", node["schema"]))
    walk(doc.get("paths", {}), find, "#/paths")
    return out


def table_routes(api_c):
    with open(api_c) as f:
        text = f.read()
    return [(m.lower(), p) for m, p in
            re.findall(r'\{ EVHTTP_REQ_([A-Z]+), "(/[^"]*)"', text)]


# ---- replies to operations -------------------------------------------------

def operations(doc):
    """(method, template, regex, op) in the server's order: the table's."""
    ops = []
    for path, item in doc["paths"].items():
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        for method, op in item.items():
            ops.append((method, path, re.compile(rx), op))
    return ops


def route_of(ops, method, path):
    """A concrete path is matched before the templated ones (OpenAPI 3.1
    "Path Templating Matching"; the server does the same): GET
    /api/workflows/run is not execution "run"."""
    literal = any(template == path for _, template, _, _ in ops)
    for m, template, rx, op in ops:
        if literal and template != path:
            continue
        if m == method.lower() and rx.match(path):
            return template, op
    return None, None


def validator(doc, schema):
    """A 2020-12 validator of schema, its "#/components/..." references
    resolved in doc: the schema is put in a copy of the document, which is
    registered under one URN, and referred to there."""
    doc2 = dict(doc)
    doc2["__schema__"] = schema
    resource = Resource.from_contents(doc2, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:innominatus:openapi", resource)
    return Draft202012Validator({"$ref": "urn:innominatus:openapi#/__schema__"},
                                registry=registry)


def errors_of(doc, schema, value):
    v = validator(doc, schema)
    errs = sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path))
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(body)",
                        e.message[:300]) for e in errs]


def check_reply(doc, ops, rec):
    """None when the reply agrees with the document, else why not; and its
    (template, method) when it has an operation."""
    path = rec["path"].split("?", 1)[0]
    template, op = route_of(ops, rec["method"], path)
    if op is None:
        return "no operation for %s %s" % (rec["method"], path), None
    key = (rec["method"].lower(), template)
    status = str(rec["status"])
    resp = op["responses"].get(status)
    if resp is None:
        return ("status %s is not one %s %s declares (%s)" %
                (status, rec["method"], template, ", ".join(sorted(op["responses"])))), key
    media = (rec.get("content_type") or "").split(";")[0].strip()
    content = resp.get("content")
    if content is None:
        return (None if rec["body"] == "" else
                "%s %s %s: a body where none is declared" % (rec["method"], template,
                                                             status)), key
    if media not in content:
        return ("%s %s %s: content type %r is not one of %s" %
                (rec["method"], template, status, media, sorted(content))), key
    schema = content[media]["schema"]
    if media == "application/json":
        try:
            body = json.loads(rec["body"])
        except ValueError as e:
            return "%s %s %s: not JSON: %s" % (rec["method"], template, status, e), key
        errs = errors_of(doc, schema, body)
        if errs:
            return ("%s %s %s (%s): the body does not match its schema:\n%s" %
                    (rec["method"], rec["path"], status, json.dumps(schema)[:200],
                     "\n".join(errs[:10]))), key
    elif media == "text/event-stream" and template == "/api/events/stream":
        ev_schema = {"$ref": "#/components/schemas/Event"}
        for data in re.findall(r"^data: (.*)$", rec["body"], re.M):
            errs = errors_of(doc, ev_schema, json.loads(data))
            if errs:
                return "an event's data: %s\n%s" % (data[:200], "\n".join(errs)), key
    return None, key


def main():
    global n
    if len(sys.argv) not in (4, 5):
        print("usage: openapi_validate.py DOC.json API.c RECORD_DIR [FIRST]", file=sys.stderr)
        return 2
    if len(sys.argv) == 5:
        n = int(sys.argv[4])
    with open(sys.argv[1]) as f:
        doc = json.load(f)

    # -- the document
    v = Draft202012Validator(OAS_SUBSET)
    errs = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:200])
            for e in v.iter_errors(doc)]
    check("the document has OpenAPI 3.1's structure", not errs, "\n".join(errs[:20]))
    routes = table_routes(sys.argv[2])
    missing = [(m, p) for m, p in routes if m not in doc.get("paths", {}).get(p, {})]
    check("every route of the table (%d) is in the document" % len(routes),
          len(routes) > 20 and not missing, missing)
    nops = sum(len(item) for item in doc["paths"].values())
    check("the document has no operation the table lacks", nops == len(routes),
          "%d operations, %d routes" % (nops, len(routes)))
    refs, bad_refs, invalid = [], [], []

    def see(node, where):
        if isinstance(node.get("$ref"), str):
            refs.append(node["$ref"])
            if not node["$ref"].startswith("#/") or pointer(doc, node["$ref"]) is None:
                bad_refs.append("%s: %s" % (where, node["$ref"]))
        if "x-invalid-schema" in node:
            invalid.append("%s: %s" % (where, node["x-invalid-schema"]))
    walk(doc, see)
    check("every $ref (%d) resolves" % len(refs), refs and not bad_refs, bad_refs)
    check("no schema of the route table failed to parse", not invalid, invalid)
    bad_schemas = []
    for where, s in schemas_in(doc):
        try:
            Draft202012Validator.check_schema(s)
        except jsonschema.exceptions.SchemaError as e:
            bad_schemas.append("%s: %s" % (where, e.message[:200]))
    check("every schema is a valid JSON Schema 2020-12", not bad_schemas, bad_schemas)
    # a description split at a ';' of its own made a parameter of its tail
    bad_names = sorted("%s %s: %r" % (m.upper(), path, prm.get("name"))
                       for path, item in doc["paths"].items() for m, op in item.items()
                       for prm in op.get("parameters", [])
                       if not re.match(r"^[A-Za-z_][A-Za-z0-9_.\-]*$", str(prm.get("name"))))
    check("every parameter's name is a name (letters, digits, _ . -)", not bad_names, bad_names)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    check("operationIds are unique", len(ids) == len(set(ids)),
          sorted(i for i in ids if ids.count(i) > 1))
    declared = {t["name"] for t in doc.get("tags", [])}
    undeclared = sorted({t for item in doc["paths"].values() for op in item.values()
                         for t in op.get("tags", []) if t not in declared})
    check("every operation's tag is declared", not undeclared, undeclared)
    public = sorted(p for p, item in doc["paths"].items() for op in item.values()
                    if op.get("security") == [])
    check("the public routes say so (security: []), the others need the bearer key",
          set(public) == {"/health", "/ready", "/metrics", "/api/openapi.json"} and
          doc.get("security") == [{"bearer": []}], public)
    no_error = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for st, resp in op["responses"].items():
                if int(st) >= 400 and not any(
                        "Error" in json.dumps(m["schema"])
                        for m in resp.get("content", {}).values()):
                    no_error.append("%s %s %s" % (method, path, st))
    check("every error response is an Error", not no_error, no_error)

    # -- the replies
    ops = operations(doc)
    files = sorted(glob.glob(sys.argv[3] + "/*.json"))
    bad, seen, n_ok = [], set(), 0
    unrouted = 0
    for fn in files:
        with open(fn) as f:
            rec = json.load(f)
        why, key = check_reply(doc, ops, rec)
        if key is None:
            # a path no route has (404) or a method it does not take (405):
            # the server's error body all the same
            unrouted += 1
            try:
                errs = errors_of(doc, {"$ref": "#/components/schemas/Error"},
                                 json.loads(rec["body"]))
            except ValueError as e:
                errs = [str(e)]
            if rec["status"] not in (404, 405) or errs:
                bad.append("%s: %s %s %s\n%s" % (fn, rec["method"], rec["path"],
                                                 rec["status"], "\n".join(errs)))
            continue
        seen.add(key)
        if why is None:
            n_ok += 1
        else:
            bad.append("%s: %s" % (fn, why))
    check("%d recorded replies, each of %d operations, agree with the document "
          "(%d more were of no route: 404/405 Error bodies)" %
          (n_ok, len(seen), unrouted), files and not bad, "\n".join(bad[:15]))
    print("# %d responses validated over %d operations (of %d in the document)" %
          (n_ok, len(seen), nops))
    never = sorted("%s %s" % (m.upper(), p) for m, p in
                   {(m, p) for m, p, rx, op in ops} - seen)
    if never:
        print("# operations no recorded reply exercised: " + ", ".join(never))

    # -- it can fail: a reply made wrong, and a status nobody declares
    good = None
    for fn in files:
        with open(fn) as f:
            rec = json.load(f)
        if rec["method"] == "GET" and re.match(r"^/api/workflows/\d+$", rec["path"]) \
                and rec["status"] == 200:
            good = rec
            break
    check("a recorded GET /api/workflows/{id} reply is there to spoil", good is not None)
    if good is not None:
        body = json.loads(good["body"])
        spoiled = []
        for change in ("drop status", "id as text", "an extra member",
                       "a step without attempts"):
            b = json.loads(json.dumps(body))
            if change == "drop status":
                del b["status"]
            elif change == "id as text":
                b["id"] = str(b["id"])
            elif change == "an extra member":
                b["surprise"] = 1
            else:
                del b["steps"][0]["attempts"]
            rec = dict(good, body=json.dumps(b))
            why, _ = check_reply(doc, ops, rec)
            if why is None:
                spoiled.append(change)
        check("a reply made wrong (status dropped, id as text, an extra member, a "
              "step without attempts) is refused", not spoiled,
              "accepted: %s" % spoiled)
        why, _ = check_reply(doc, ops, dict(good, status=418))
        check("a status the operation does not declare (418) is refused",
              why is not None and "418" in why, why)
        why, _ = check_reply(doc, ops, dict(good, content_type="text/html"))
        check("a content type the operation does not declare is refused", why is not None)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
