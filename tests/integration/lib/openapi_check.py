#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check l2x-agent's REST answers against docs/openapi.yaml.

An answer conforms when its path and method match an operation of the
spec (or, for an unknown path or method, a status the spec's
`x-l2x-unmatched` lists), its status is listed for that operation, and its
body is what that response describes: no body where the response has no
content, else JSON valid against the response's schema. Schemas are
OpenAPI 3.0.3 Schema Objects, validated with jsonschema's Draft 4
validator (OpenAPI 3.0 schemas are a Draft 4/5 dialect: boolean
exclusiveMinimum) after two conversions:
  - `nullable: true` beside a `type` adds "null" to that type (3.0.3: only
    beside an explicit type; an `enum` must list null itself);
  - `$ref: '#/components/schemas/X'` (any local JSON pointer) resolves
    within the spec.
`format` is not checked (the spec backs each format with a pattern).
Duplicate keys in a JSON object, NaN and Infinity do not conform either.

Usage:
  openapi_check.py SPEC METHOD PATH STATUS BODYFILE
      One answer. PATH is the concrete request path, e.g.
      /api/v1/switches/dvs-a (a query string or a leading
      https://host:port is dropped); it must lie under the base path of
      the spec's first server (/api/v1). BODYFILE holds the answer's body
      ("-" reads standard input); an empty file means no body.
  openapi_check.py SPEC --log LOGFILE
      Many answers: each non-blank line of LOGFILE is one JSON object
      {"method": "GET", "path": "/api/v1/switches", "status": 200,
       "body": <the answer's JSON body, or null or absent for none>}
      or, for a body kept as text, "bodyText": "<raw body>" instead of
      "body" ("" for none). Prints each line that does not conform.
  openapi_check.py --record LOGFILE METHOD PATH STATUS BODYFILE
      Appends one such line to LOGFILE (for shell tests: curl -o BODYFILE
      -w '%{http_code}'). A body that is not JSON is kept as bodyText.
  openapi_check.py SPEC --lint
      Checks the spec itself: every $ref resolves and has no siblings,
      every operation has an operationId, x-l2x-auth, responses and the
      statuses its kind implies, error answers are Error, path parameters
      match the templates, every schema is a valid Draft 4 schema once
      converted, nullable is used as 3.0.3 means it, and every example
      and default is valid against its schema.
  openapi_check.py SPEC --self-test
      --lint, then hand-written good and bad answers: each good one must
      conform, each bad one must not, with the expected reason.

Exit status: 0 conforms (or self-test passed), 1 does not (a message on
standard output says what: undocumented path, method or status, or the
schema error with its JSON path, e.g. "$.portGroups[0].vlan: 4095 is
greater than the maximum of 4094"), 2 usage error or unreadable spec.

Library use (sys.path.insert to this folder, then import openapi_check):
  spec = openapi_check.Spec.load("docs/openapi.yaml")
  problems = spec.check("GET", "/api/v1/switches", 200, [])  # [] = conforms
  problems = spec.check("DELETE", "/api/v1/switches/a", 204, openapi_check.EMPTY)
  spec.lint()                                                  # [] = good
An Error answer's error.status must also be the answer's HTTP status.
"""

import copy
import json
import re
import sys

# --record (once per answer the scenarios get) only appends a line: it
# skips the two imports, which cost ~0.2 s a call.
if sys.argv[1:2] != ["--record"]:
    import jsonschema
    import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
AUTH_KINDS = ("bearer", "mtls-pinned", "token")


class _Empty:
    """The body of an answer that has none."""

    def __repr__(self):
        return "EMPTY"


EMPTY = _Empty()


class BodyError(ValueError):
    """A body that is not one JSON value."""


def parse_body(text):
    """Body text -> JSON value, or EMPTY for an empty (or blank) body.

    Raises BodyError for text that is not exactly one JSON value, for a
    duplicate key in an object, and for NaN or Infinity."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BodyError("body is not UTF-8: %s" % e) from None
    if text.strip() == "":
        return EMPTY

    def pairs(kv):
        seen = {}
        for k, v in kv:
            if k in seen:
                raise BodyError("duplicate key %s in an object" % json.dumps(k))
            seen[k] = v
        return seen

    def constant(c):
        raise BodyError("%s is not JSON" % c)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise BodyError("body is not JSON: %s" % e) from None


def json_path(parts):
    """A jsonschema error path -> "$.a[0].b"."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p)
    return out


def pointer_get(doc, ref):
    """Resolve a local $ref ("#/a/b") in doc; KeyError if it does not."""
    if not ref.startswith("#"):
        raise KeyError("%s: only local references are supported" % ref)
    node = doc
    frag = ref[1:]
    if frag in ("", "/"):
        return node
    for raw in frag.lstrip("/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            try:
                node = node[int(key)]
            except (ValueError, IndexError):
                raise KeyError("%s: no %s" % (ref, key)) from None
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise KeyError("%s: no %s" % (ref, key))
    return node


def to_json_schema(node):
    """An OpenAPI 3.0 Schema Object (recursively) -> Draft 4 JSON Schema.

    Only `nullable` changes: beside a type it adds "null" to the type.
    Everything else (including OpenAPI's own keywords such as example,
    readOnly or discriminator, which Draft 4 ignores) is kept."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("example", "examples", "default", "enum"):
            out[k] = copy.deepcopy(v)  # values, not schemas
        elif k == "properties" and isinstance(v, dict):
            out[k] = {name: to_json_schema(s) for name, s in v.items()}
        else:
            out[k] = to_json_schema(v)
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    out.pop("nullable", None)
    return out


def _short(value, limit=60):
    s = json.dumps(value, sort_keys=True)
    return s if len(s) <= limit else s[: limit - 3] + "..."


class Spec:
    """One OpenAPI 3.0 document and what is needed to check answers."""

    def __init__(self, doc, source="spec"):
        if not isinstance(doc, dict):
            raise ValueError("%s: not a YAML/JSON mapping" % source)
        self.doc = doc
        self.source = source
        self.base = self._base_path()
        # The converted document: $refs inside it resolve within it.
        self.converted = to_json_schema(
            {"components": doc.get("components", {}), "x-l2x-unmatched": doc.get("x-l2x-unmatched", {})}
        )
        self.routes = []
        for template, item in (doc.get("paths") or {}).items():
            segs = template.strip("/").split("/") if template.strip("/") else []
            regex = "^/" + "/".join(
                "[^/]+" if re.fullmatch(r"\{[^/{}]+\}", s) else re.escape(s) for s in segs
            ) + "$"
            literal = sum(1 for s in segs if not s.startswith("{"))
            self.routes.append((re.compile(regex), literal, template, item))
        # Most literal segments first: /peer/hello before /peer/{x}.
        self.routes.sort(key=lambda r: -r[1])

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        return cls(doc, source=path)

    # ---------------------------------------------------------- lookups
    def _base_path(self):
        servers = self.doc.get("servers") or [{"url": "/"}]
        url = servers[0].get("url", "/")
        m = re.match(r"^[a-z]+://[^/]*(/.*)?$", url)
        path = (m.group(1) or "") if m else url
        return path.rstrip("/")

    def deref(self, node):
        """Follow $ref until a node without one."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise KeyError("%s: reference loop" % ref)
            seen.add(ref)
            node = pointer_get(self.doc, ref)
        return node

    def api_path(self, path):
        """Concrete request path -> path relative to the base, or None."""
        path = re.sub(r"^[a-z]+://[^/]*", "", path)
        path = path.split("?", 1)[0].split("#", 1)[0]
        if self.base:
            if path == self.base:
                return "/"
            if not path.startswith(self.base + "/"):
                return None
            path = path[len(self.base):]
        return path or "/"

    def match(self, path):
        """Relative path -> (template, path item), or (None, None)."""
        for regex, _lit, template, item in self.routes:
            if regex.match(path):
                return template, item
        return None, None

    # ----------------------------------------------------------- checks
    def _pick_response(self, responses, status):
        key = str(status)
        if key in responses:
            return responses[key]
        wild = key[0] + "XX"
        for k in responses:
            if str(k).upper() == wild:
                return responses[k]
        return responses.get("default")

    def validate(self, schema, value):
        """Errors of value against an OpenAPI schema (as in the spec) ->
        list of "$.path: message" strings."""
        root = dict(self.converted)
        root["allOf"] = [to_json_schema(schema)]
        validator = jsonschema.Draft4Validator(root)
        errors = sorted(validator.iter_errors(value), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        return [self._describe(e) for e in errors]

    def _describe(self, err):
        where = json_path(err.absolute_path)
        msg = "%s: %s" % (where, self._message(err))
        detail = self._alternatives(err)
        if detail:
            msg += " (%s)" % "; ".join(detail)
        return msg

    @staticmethod
    def _message(err):
        if err.validator == "additionalProperties" and err.validator_value is False:
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            pats = err.schema.get("patternProperties", {})
            extra = [k for k in extra if not any(re.search(p, k) for p in pats)]
            if extra:
                return "unknown field%s %s" % ("s" if len(extra) > 1 else "", ", ".join(repr(k) for k in extra))
        if err.validator in ("oneOf", "anyOf", "not", "allOf"):
            return "%s does not match %s" % (_short(err.instance), err.validator)
        return err.message

    def _alternatives(self, err):
        """For a failed oneOf/anyOf: what each plausible alternative said.

        An alternative whose very type or enum refused the value (e.g. the
        null branch of a nullable field) is left out when another remains."""
        if err.validator not in ("oneOf", "anyOf") or not err.context:
            return []
        by_alt = {}
        for sub in err.context:
            by_alt.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)

        def shallow_refusal(subs):
            return any(s.validator in ("type", "enum") and not s.relative_path for s in subs)

        keep = {k: v for k, v in by_alt.items() if not shallow_refusal(v)}
        if not keep:
            keep = by_alt
        out = []
        for subs in keep.values():
            for s in subs:
                rel = json_path(list(err.absolute_path) + list(s.relative_path))
                text = "%s: %s" % (rel, self._message(s))
                if text not in out:
                    out.append(text)
        if len(out) > 4:
            out = out[:4] + ["..."]
        return out

    def check(self, method, path, status, body):
        """Problems with one answer ([] when it conforms).

        method: "GET"...; path: the concrete request path; status: int;
        body: the parsed JSON body, or EMPTY for none."""
        try:
            status = int(status)
        except (TypeError, ValueError):
            return ["status %r is not an HTTP status" % (status,)]
        what = "%s %s %d" % (method.upper(), path, status)
        rel = self.api_path(path)
        template, item = (None, None) if rel is None else self.match(rel)
        unmatched = self.doc.get("x-l2x-unmatched") or {}
        # What any request may answer (a manager that does not lead).
        anyone = self._pick_response((unmatched.get("any") or {}).get("responses") or {}, status)
        if anyone is not None:
            response, op_label = anyone, "any request"
        elif item is None:
            responses = (unmatched.get("path") or {}).get("responses") or {}
            response = self._pick_response(responses, status)
            if response is None:
                where = "outside %s" % (self.base or "/") if rel is None else "undocumented path"
                return ["%s: %s (and %d is not what an unknown path answers)" % (what, where, status)]
            template, op_label = "(unknown path)", "an unknown path"
        else:
            op = item.get(method.lower()) if method.lower() in METHODS else None
            if op is None:
                responses = (unmatched.get("method") or {}).get("responses") or {}
                response = self._pick_response(responses, status)
                if response is None:
                    have = ", ".join(m.upper() for m in METHODS if m in item)
                    return [
                        "%s: undocumented method %s for %s (it has %s)"
                        % (what, method.upper(), template, have)
                    ]
                op_label = "a method %s does not have" % template
            else:
                responses = op.get("responses") or {}
                response = self._pick_response(responses, status)
                op_label = "%s %s" % (method.upper(), template)
                if response is None:
                    listed = ", ".join(sorted(str(k) for k in responses))
                    return ["%s: undocumented status %d for %s (it lists %s)" % (what, status, op_label, listed)]
        try:
            response = self.deref(response)
        except KeyError as e:
            return ["%s: the spec's response for %s does not resolve: %s" % (what, op_label, e)]
        content = response.get("content") or {}
        if not content:
            if body is EMPTY:
                return []
            return ["%s: %s answers %d with no body, but got %s" % (what, op_label, status, _short(body))]
        if body is EMPTY:
            return ["%s: %s answers %d with a body, but got none" % (what, op_label, status)]
        media = content.get("application/json")
        if media is None:
            media = next((v for k, v in content.items() if k.endswith("json")), None)
        if media is None:
            return ["%s: %s answers %d with %s, not JSON" % (what, op_label, status, ", ".join(content))]
        schema = media.get("schema")
        if schema is None:
            return []
        problems = ["%s: %s" % (what, e) for e in self.validate(schema, body)]
        if not problems and schema == {"$ref": "#/components/schemas/Error"}:
            said = body["error"]["status"]
            if said != status:
                problems.append("%s: $.error.status: %d, but the answer's status is %d" % (what, said, status))
        return problems

    # ------------------------------------------------------------ lint
    def lint(self):
        """Problems with the spec itself ([] when none)."""
        lint = _Lint(self)
        lint.run()
        return lint.problems


class _Lint:
    def __init__(self, spec):
        self.spec = spec
        self.doc = spec.doc
        self.problems = []

    def bad(self, where, msg):
        self.problems.append("%s: %s" % (where, msg))

    def run(self):
        d = self.doc
        if not str(d.get("openapi", "")).startswith("3.0."):
            self.bad("openapi", "is %r, not 3.0.x" % d.get("openapi"))
        for k in ("title", "version"):
            if not (d.get("info") or {}).get(k):
                self.bad("info", "no %s" % k)
        if not d.get("paths"):
            self.bad("paths", "none")
        self.refs(d, "#")
        self.schemas_in(d, "#")
        self.operations()
        self.unmatched()

    # every $ref resolves, and has no siblings (3.0 ignores them)
    def refs(self, node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                try:
                    pointer_get(self.doc, node["$ref"])
                except KeyError as e:
                    self.bad(where, "$ref does not resolve: %s" % e)
                others = [k for k in node if k != "$ref"]
                if others:
                    self.bad(where, "$ref with siblings %s (OpenAPI 3.0 ignores them; use allOf)" % others)
            for k, v in node.items():
                if k not in ("example", "default", "enum", "examples"):
                    self.refs(v, "%s/%s" % (where, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self.refs(v, "%s/%d" % (where, i))

    # every Schema Object: valid once converted, nullable used right,
    # enum values of its type, required names declared, examples and
    # defaults valid
    def schemas_in(self, node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                w = "%s/%s" % (where, k)
                if k == "schema" or (where == "#/components/schemas"):
                    self.schema(v, w)
                elif k not in ("example", "examples", "default", "enum"):
                    self.schemas_in(v, w)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self.schemas_in(v, "%s/%d" % (where, i))

    def schema(self, s, where):
        if not isinstance(s, dict):
            self.bad(where, "a schema must be a mapping")
            return
        if "$ref" in s:
            return  # checked where it points
        try:
            conv = to_json_schema(s)
            jsonschema.Draft4Validator.check_schema(conv)
        except jsonschema.SchemaError as e:
            self.bad(where, "not a valid schema: %s" % e.message)
            return
        if s.get("nullable") is True:
            if "type" not in s:
                self.bad(where, "nullable without type has no effect in OpenAPI 3.0.3")
            if "enum" in s and None not in s["enum"]:
                self.bad(where, "nullable enum that does not list null refuses null")
        if "enum" in s and "type" in s:
            types = [s["type"]] + (["null"] if s.get("nullable") else [])
            probe = jsonschema.Draft4Validator({"type": types})
            for v in s["enum"]:
                if not probe.is_valid(v):
                    self.bad(where, "enum value %r is not of type %s (YAML 1.1 reads off/on/yes/no as booleans: quote them)" % (v, s["type"]))
        if s.get("additionalProperties") is False:
            props = s.get("properties") or {}
            for r in s.get("required") or []:
                if r not in props:
                    self.bad(where, "required %r is not among its properties" % r)
        for k in ("example", "default"):
            if k in s:
                body = {key: val for key, val in s.items() if key != k}
                for e in self.spec.validate(body, s[k]):
                    self.bad("%s/%s" % (where, k), "does not validate: %s" % e)
        for k, v in s.items():
            w = "%s/%s" % (where, k)
            if k == "properties" and isinstance(v, dict):
                for name, sub in v.items():
                    self.schema(sub, "%s/%s" % (w, name))
            elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
                self.schema(v, w)
            elif k in ("allOf", "anyOf", "oneOf") and isinstance(v, list):
                for i, sub in enumerate(v):
                    self.schema(sub, "%s/%d" % (w, i))

    def media_examples(self, media, where):
        for mt, m in (media or {}).items():
            if "example" in m and "schema" in m:
                for e in self.spec.validate(m["schema"], m["example"]):
                    self.bad("%s/%s/example" % (where, mt), "does not validate: %s" % e)

    def operations(self):
        d = self.doc
        schemes = ((d.get("components") or {}).get("securitySchemes")) or {}
        for req in d.get("security") or []:
            for name in req:
                if name not in schemes:
                    self.bad("#/security", "unknown security scheme %r" % name)
        seen_ids = {}
        for template, item in (d.get("paths") or {}).items():
            pw = "#/paths/%s" % template.replace("~", "~0").replace("/", "~1")
            if not template.startswith("/"):
                self.bad(pw, "path does not start with /")
            names = re.findall(r"\{([^/{}]+)\}", template)
            path_params = self.params(item.get("parameters"), pw)
            ops = [m for m in METHODS if m in item]
            if not ops:
                self.bad(pw, "no operations")
            for m in ops:
                op = item[m]
                w = "%s/%s" % (pw, m)
                params = dict(path_params)
                params.update(self.params(op.get("parameters"), w))
                declared = {n for (n, where_in) in params if where_in == "path"}
                for n in names:
                    if n not in declared:
                        self.bad(w, "path parameter {%s} is not declared" % n)
                for n in declared - set(names):
                    self.bad(w, "path parameter %r is not in the template" % n)
                oid = op.get("operationId")
                if not oid:
                    self.bad(w, "no operationId")
                elif oid in seen_ids:
                    self.bad(w, "operationId %r also at %s" % (oid, seen_ids[oid]))
                else:
                    seen_ids[oid] = w
                if not (op.get("description") or op.get("summary")):
                    self.bad(w, "no summary or description")
                auth = op.get("x-l2x-auth")
                if auth not in AUTH_KINDS:
                    self.bad(w, "x-l2x-auth is %r, not one of %s" % (auth, ", ".join(AUTH_KINDS)))
                security = op.get("security", d.get("security"))
                if auth == "bearer" and not any("bearerAuth" in r for r in security or []):
                    self.bad(w, "x-l2x-auth bearer without bearerAuth security")
                if auth in ("mtls-pinned", "token") and security != []:
                    self.bad(w, "x-l2x-auth %s needs security: []" % auth)
                for req in op.get("security") or []:
                    for name in req:
                        if name not in schemes:
                            self.bad(w, "unknown security scheme %r" % name)
                rb = op.get("requestBody")
                if rb is not None:
                    try:
                        rb = self.spec.deref(rb)
                        self.media_examples(rb.get("content"), w + "/requestBody/content")
                        for mt, media in (rb.get("content") or {}).items():
                            sch = self.spec.deref(media.get("schema") or {})
                            if sch.get("type") == "object" and sch.get("additionalProperties") is not False:
                                self.bad(w, "request body schema (%s) allows unknown fields" % mt)
                    except KeyError:
                        pass  # reported by refs()
                responses = op.get("responses")
                if not responses:
                    self.bad(w, "no responses")
                    continue
                self.responses(responses, w, m, template, rb is not None, auth)

    def params(self, plist, where):
        out = {}
        for i, p in enumerate(plist or []):
            try:
                p = self.spec.deref(p)
            except KeyError:
                continue
            if p.get("in") == "path" and p.get("required") is not True:
                self.bad("%s/parameters/%d" % (where, i), "a path parameter must be required: true")
            out[(p.get("name"), p.get("in"))] = p
        return out

    def responses(self, responses, w, method, template, has_body, auth):
        codes = set()
        for code, r in responses.items():
            rw = "%s/responses/%s" % (w, code)
            code = str(code)
            codes.add(code)
            if not re.fullmatch(r"[1-5][0-9][0-9]|[1-5]XX|default", code):
                self.bad(rw, "not a status code")
                continue
            try:
                r = self.spec.deref(r)
            except KeyError:
                continue
            if not r.get("description"):
                self.bad(rw, "no description")
            content = r.get("content") or {}
            self.media_examples(content, rw + "/content")
            if code == "204" and content:
                self.bad(rw, "204 with content")
            if code[0] == "2" and code != "204" and not content:
                self.bad(rw, "success without content (use 204)")
            if code[0] in "45":
                sch = (content.get("application/json") or {}).get("schema")
                if sch != {"$ref": "#/components/schemas/Error"}:
                    self.bad(rw, "an error answer must be application/json Error")
        if not any(c[0] == "2" for c in codes):
            self.bad(w, "no success status")
        if auth != "token" and "401" not in codes:
            self.bad(w, "no 401 (every operation needs a credential)")
        if auth == "token" and "401" not in codes:
            self.bad(w, "no 401 for a wrong token")
        if has_body:
            for c in ("400", "413"):
                if c not in codes:
                    self.bad(w, "takes a body but does not list %s" % c)
        if auth == "bearer" and method != "get" and "403" not in codes:
            self.bad(w, "writes but does not list 403 (read-only token)")
        if auth == "mtls-pinned" and "403" not in codes:
            self.bad(w, "no 403 (certificate of the wrong kind)")
        if "{" in template and "404" not in codes and method in ("get", "put", "delete"):
            self.bad(w, "addresses one object but does not list 404")

    def unmatched(self):
        u = self.doc.get("x-l2x-unmatched")
        if not isinstance(u, dict):
            self.bad("#/x-l2x-unmatched", "missing: what unknown paths and methods answer")
            return
        for kind in ("path", "method"):
            if not (u.get(kind) or {}).get("responses"):
                self.bad("#/x-l2x-unmatched/%s" % kind, "no responses")


# ------------------------------------------------------------------ log mode
def check_log(spec, lines):
    """Log lines -> (number of answers, [(line number, problem)])."""
    problems = []
    count = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        count += 1
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append((n, "not a JSON line: %s" % e))
            continue
        if not isinstance(rec, dict) or not all(k in rec for k in ("method", "path", "status")):
            problems.append((n, "not an answer record (needs method, path, status, body)"))
            continue
        if "bodyText" in rec:
            try:
                body = parse_body(rec["bodyText"] or "")
            except BodyError as e:
                problems.append((n, "%s %s %s: %s" % (rec["method"], rec["path"], rec["status"], e)))
                continue
        else:
            body = rec.get("body")
            body = EMPTY if body is None else body
        for p in spec.check(str(rec["method"]), str(rec["path"]), rec["status"], body):
            problems.append((n, p))
    return count, problems


def record(logfile, method, path, status, bodyfile):
    """Append one answer record to logfile."""
    raw = _read(bodyfile)
    rec = {"method": method.upper(), "path": path, "status": int(status)}
    try:
        body = parse_body(raw)
        rec["body"] = None if body is EMPTY else body
    except BodyError:
        rec["bodyText"] = raw.decode("utf-8", "replace")
    with open(logfile, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")


def _read(bodyfile):
    if bodyfile == "-":
        return sys.stdin.buffer.read()
    with open(bodyfile, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- self-test
_PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FmZQ==\n-----END CERTIFICATE-----\n"
_TOKEN = "22f5a18a43941af1.0xIoNW0wd9Pdnw60oaVCZLpxM5baXOBJ7EM5gzMIu9A"
_PIN = "sha256//7GVbafCfZU2cIvegf10m7wY/MXyKRvxSE9Lsq/SbovE="
_PSK = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="
_NE = {
    "id": "ne-5001", "name": "web", "switch": "dvs-a", "portGroup": "web", "vlan": 100,
    "destination": {"switch": "dvs-b", "vlan": 100},
    "gateway": "198.19.100.1/24", "gatewaySide": "local", "mssClamp": 1400,
    "tunnelId": 5001, "mesh": "mesh-1", "pair": 1, "role": "initiator", "state": "extending",
    "since": "2026-12-07T10:00:00Z",
}
_NE_PLAIN = _NE.copy()
del _NE_PLAIN["gateway"], _NE_PLAIN["gatewaySide"]
_SWITCH = {"name": "dvs-a", "portGroups": [{"name": "web", "vlan": 100}], "appliances": ["ne-a-1"]}
_COUNTERS = {"rxLan": 1, "txLan": 2, "rxTunnel": 3, "txTunnel": 4, "drops": 9223372036854775807}
_ERR = {"error": {"status": 400, "message": "vlan: 4095 is outside 1..4094", "field": "vlan"}}
_APPL_NEW = {"name": "ne-a-1", "switch": "dvs-a", "health": "enrolled", "enrolledAt": "2026-12-07T10:00:00Z",
             "networks": [], "tunnel": "down"}
_APPL = {"name": "ne-a-1", "switch": "dvs-a", "health": "healthy", "enrolledAt": "2026-12-07T10:00:00Z",
         "uplinkAddress": "198.18.1.20/24", "networks": ["web"], "tunnel": "up", "ikeSa": "established",
         "counters": _COUNTERS, "dataplane": "running", "lastSeenSecondsAgo": 0}
_DESIRED_IDLE = {"generation": 0, "networks": []}
_DESIRED = {
    "generation": 9223372036854775807,
    "uplink": {"address": "198.18.1.20/24", "gateway": "198.18.1.1", "mtu": 1500},
    "peer": {"address": "198.18.2.20", "localId": "ne-a-1", "remoteId": "ne-b-1", "role": "initiator", "psk": _PSK},
    "tunnel": {"encap": "gre", "innerLocal": "169.254.1.3", "innerRemote": "169.254.1.4"},
    "networks": [{"name": "web", "vlan": 100, "tunnelId": 5001, "gateway": "198.19.100.1/24",
                  "gatewaySide": "local", "mssClamp": "auto"},
                 {"name": "db", "vlan": 300, "tunnelId": 5003, "mssClamp": "off"}],
}
_MESH = {
    "id": "mesh-1", "name": "mesh-1", "role": "initiator", "localComputeProfile": "cp-a", "remoteComputeProfile": "cp-b",
    "switches": [{"switch": "dvs-a", "remoteSwitch": "dvs-b", "appliancePairs": 1}],
    "pairs": [{"id": 1, "switch": "dvs-a", "remoteSwitch": "dvs-b",
               "local": {"appliance": "ne-a-1", "uplinkAddress": "198.18.1.20/24", "gateway": "198.18.1.1", "mtu": 1500},
               "remote": {"appliance": "ne-b-1", "uplinkAddress": "198.18.2.20/24"},
               "innerLocal": "169.254.1.3", "innerRemote": "169.254.1.4",
               "state": "deploying", "networks": 0}],
    "created": "2026-12-07T10:00:00Z", "auth": "psk", "state": "down",
}
_PAIRING = {"id": "site-b", "remoteName": "site-b", "url": "https://198.18.12.10:8443", "certificatePin": _PIN,
            "since": "2026-12-07T10:00:00Z", "state": "connected"}
_PEER_NE = dict(_NE, switch="dvs-b", destination={"switch": "dvs-a", "vlan": 100}, gatewaySide="remote",
                role="responder", phase="applied", startedAt=1796637600, reason="")


def _with(obj, path, value):
    """A deep copy of obj with the item at path (list of keys) set, or
    deleted when value is _DEL."""
    out = copy.deepcopy(obj)
    node = out
    for k in path[:-1]:
        node = node[k]
    if value is _DEL:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DEL = object()

# (method, path, status, body, None if it conforms else a substring of the problem)
SELF_TESTS = [
    # --- good answers
    ("POST", "/api/v1/pairingTokens", 201, {"token": _TOKEN, "kind": "site", "expiresAt": "2026-12-07T10:15:00Z"}, None),
    ("POST", "/api/v1/pairingTokens", 500, {"error": {"status": 500, "message": "store: token: Input/output error"}}, None),
    ("POST", "/api/v1/sitePairings", 201, _PAIRING, None),
    ("POST", "/api/v1/sitePairings", 403,
     {"error": {"status": 403, "message": "the remote manager refused: the token was used already", "field": "token"}}, None),
    ("POST", "/api/v1/sitePairings", 502, {"error": {"status": 502, "message": "the remote manager's answer is malformed", "field": "url"}}, None),
    ("GET", "/api/v1/sitePairings", 200, [_with(_PAIRING, ["state"], "disconnected")], None),
    ("GET", "/api/v1/switches", 200, [_SWITCH, {"name": "dvs-b", "portGroups": [], "appliances": []}], None),
    ("GET", "/api/v1/switches/dvs-a", 200, _SWITCH, None),
    ("GET", "https://198.18.0.1:8443/api/v1/switches/dvs-a?x=1", 200, _SWITCH, None),
    ("PUT", "/api/v1/switches/dvs-a", 200, _SWITCH, None),
    ("DELETE", "/api/v1/switches/dvs-a", 204, EMPTY, None),
    ("POST", "/api/v1/switches", 400, _ERR, None),
    ("POST", "/api/v1/switches", 413, {"error": {"status": 413, "message": "body over 65536 bytes"}}, None),
    ("GET", "/api/v1/networkProfiles/u", 200,
     {"name": "u", "rangeStart": "198.18.1.10", "rangeEnd": "198.18.1.50", "prefix": 24, "mtu": 1500}, None),
    ("GET", "/api/v1/networkProfiles/u", 200,
     {"name": "u", "rangeStart": "198.18.1.10", "rangeEnd": "198.18.1.50", "prefix": 24, "mtu": 1500, "gateway": "198.18.1.1"}, None),
    ("GET", "/api/v1/appliances/ne-a-1", 200, _APPL_NEW, None),
    ("GET", "/api/v1/appliances", 200, [_APPL, _with(_with(_APPL, ["health"], "unhealthy"), ["error"], "ike: not running")], None),
    ("DELETE", "/api/v1/appliances/ne-a-1", 204, EMPTY, None),
    ("DELETE", "/api/v1/appliances/ne-a-1", 409,
     {"error": {"status": 409, "message": "appliance 'ne-a-1' is in a service mesh: delete the mesh first"}}, None),
    ("POST", "/api/v1/serviceMeshes", 201, _MESH, None),
    ("GET", "/api/v1/serviceMeshes/mesh-1", 200,
     _with(_with(_with(_MESH, ["role"], "responder"), ["switches"], []), ["pairs", 0, "local", "gateway"], _DEL), None),
    ("POST", "/api/v1/networkExtensions", 201, _NE, None),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE_PLAIN, ["mssClamp"], "off"), None),
    ("GET", "/api/v1/networkExtensions/ne-5001", 200,
     _with(_with(_NE, ["state"], "failed"), ["reason"], "not extended within 60 s: the pair's tunnel is not up"), None),
    ("DELETE", "/api/v1/networkExtensions/ne-5001", 202, _with(_NE, ["state"], "unextending"), None),
    ("DELETE", "/api/v1/networkExtensions/ne-5001", 204, EMPTY, None),
    ("GET", "/api/v1/events", 200, [{"time": "2026-12-07T10:00:00Z", "kind": "switch", "object": "dvs-a", "message": "added with 3 port groups"}], None),
    ("GET", "/api/v1/appliance/desired", 200, _DESIRED_IDLE, None),
    ("GET", "/api/v1/appliance/desired", 200, _DESIRED, None),
    ("PUT", "/api/v1/appliance/status", 204, EMPTY, None),
    ("POST", "/api/v1/enroll", 201, {"site": "site-a", "certificate": _PEM, "mac": "ab" * 32}, None),
    ("POST", "/api/v1/peer/pair", 201, {"name": "site-b", "certificate": _PEM, "mac": "ab" * 32}, None),
    ("GET", "/api/v1/peer/hello", 200, {"name": "site-b"}, None),
    ("GET", "/api/v1/peer/status", 200,
     {"name": "site-b", "pairs": [{"id": 1, "state": "up"}], "extensions": [{"id": "ne-5001", "state": "extended", "held": True}]}, None),
    ("POST", "/api/v1/peer/serviceMeshes", 201, {"pairs": [{"id": 1, "appliance": "ne-b-1", "uplinkAddress": "198.18.2.20/24"}]}, None),
    ("POST", "/api/v1/peer/networkExtensions", 201, _PEER_NE, None),
    ("DELETE", "/api/v1/peer/networkExtensions/ne-5001", 204, EMPTY, None),
    ("GET", "/api/v1/nowhere", 404, {"error": {"status": 404, "message": "no such path: /api/v1/nowhere"}}, None),
    ("POST", "/api/v1/nowhere", 403, {"error": {"status": 403, "message": "this token may only read"}}, None),
    ("PATCH", "/api/v1/switches/dvs-a", 405, {"error": {"status": 405, "message": "PATCH is not allowed here (allowed: GET PUT DELETE )"}}, None),
    ("GET", "/api/v1/peer/serviceMeshes", 404, {"error": {"status": 404, "message": "no such path"}}, None),
    # --- bad answers
    ("GET", "/api/v1/switches/dvs-a", 200, _with(_SWITCH, ["portGroups", 0, "vlan"], 4095), "$.portGroups[0].vlan: 4095 is greater than the maximum of 4094"),
    ("GET", "/api/v1/switches/dvs-a", 200, _with(_SWITCH, ["color"], "red"), "unknown field 'color'"),
    ("GET", "/api/v1/switches/dvs-a", 200, _with(_SWITCH, ["appliances"], _DEL), "'appliances' is a required property"),
    ("GET", "/api/v1/switches/dvs-a", 200, _with(_SWITCH, ["name"], "a" * 32), "$.name: "),
    ("GET", "/api/v1/switches", 201, [], "undocumented status 201"),
    ("GET", "/api/v1/switchez", 200, [], "undocumented path"),
    ("GET", "/api/v2/switches", 200, [], "outside /api/v1"),
    ("PATCH", "/api/v1/switches/dvs-a", 200, _SWITCH, "undocumented method PATCH"),
    ("GET", "/api/v1/switches", 403, {"error": {"status": 403, "message": "no"}}, "undocumented status 403"),
    ("DELETE", "/api/v1/switches/dvs-a", 204, {}, "with no body"),
    ("GET", "/api/v1/switches/dvs-a", 200, EMPTY, "with a body, but got none"),
    ("POST", "/api/v1/switches", 400, {"error": {"status": 400}}, "'message' is a required property"),
    ("POST", "/api/v1/switches", 400, {"message": "bad"}, "unknown field 'message'"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["mssClamp"], 500), "500 is less than the minimum of 536"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["mssClamp"], "on"), "$.mssClamp"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["state"], "extended!"), "$.state"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["gateway"], "198.19.100.1"), "$.gateway"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["gatewaySide"], _DEL), "does not match anyOf"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["gateway"], None), "$.gateway"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["pair"], "pair-1"), "$.pair"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["reason"], ""), "$.reason"),
    ("POST", "/api/v1/networkExtensions", 201, _with(_NE, ["phase"], "applied"), "unknown field 'phase'"),
    ("GET", "/api/v1/networkProfiles/u", 200,
     {"name": "u", "rangeStart": "256.1.1.1", "rangeEnd": "198.18.1.50", "prefix": 24, "mtu": 1500}, "$.rangeStart"),
    ("GET", "/api/v1/networkProfiles/u", 200,
     {"name": "u", "rangeStart": "198.18.1.10", "rangeEnd": "198.18.1.50", "prefix": 24, "mtu": 9217}, "$.mtu"),
    ("GET", "/api/v1/networkProfiles/u", 200,
     {"name": "u", "rangeStart": "198.18.1.10", "rangeEnd": "198.18.1.50", "prefix": 24, "mtu": 1500, "gateway": None}, "$.gateway"),
    ("GET", "/api/v1/appliance/desired", 200, _with(_DESIRED, ["uplink"], {"address": "198.18.1.2/24"}), "'mtu' is a required property"),
    ("GET", "/api/v1/appliance/desired", 200, _with(_DESIRED_IDLE, ["networks"], _DEL), "'networks' is a required property"),
    ("GET", "/api/v1/appliance/desired", 200, _with(_DESIRED_IDLE, ["uplink"], None), "$.uplink"),
    ("GET", "/api/v1/appliance/desired", 200, _with(_DESIRED, ["tunnel"], _DEL), "does not match anyOf"),
    ("GET", "/api/v1/appliance/desired", 200, _with(_DESIRED, ["uplink", "address"], "198.18.1.20"), "$.uplink.address"),
    ("GET", "/api/v1/appliances", 200, [{"name": "ne-a-1"}], "$[0]"),
    ("GET", "/api/v1/appliances", 200, [_with(_APPL, ["uplinkAddress"], "198.18.1.20")], "$[0].uplinkAddress"),
    ("GET", "/api/v1/appliances", 200, [_with(_APPL, ["counters", "drops"], 18446744073709551615)], "$[0].counters.drops"),
    ("GET", "/api/v1/appliances", 200, [_with(_APPL, ["lastSeen"], None)], "unknown field 'lastSeen'"),
    ("GET", "/api/v1/events", 200, [{"time": "yesterday", "kind": "switch", "object": "y", "message": "z"}], "$[0].time"),
    ("GET", "/api/v1/events", 200, [{"time": "2026-12-07T10:00:00.5+01:00", "kind": "switch", "object": "y", "message": "z"}], "$[0].time"),
    ("GET", "/api/v1/events", 200, [{"time": "2026-12-07T10:00:00Z", "kind": "x", "object": "y", "message": "z"}], "$[0].kind"),
    ("POST", "/api/v1/serviceMeshes", 201, _with(_MESH, ["switches", 0, "appliancePairs"], 17), "$.switches[0].appliancePairs"),
    ("POST", "/api/v1/serviceMeshes", 201, _with(_MESH, ["pairs", 0, "psk"], _PSK), "unknown field 'psk'"),
    ("POST", "/api/v1/serviceMeshes", 201, _with(_MESH, ["pairs", 0, "id"], "pair-1"), "$.pairs[0].id"),
    ("POST", "/api/v1/serviceMeshes", 201, _with(_MESH, ["state"], "deploying"), "$.state"),
    ("POST", "/api/v1/serviceMeshes", 201, _with(_MESH, ["auth"], _DEL), "'auth' is a required property"),
    ("DELETE", "/api/v1/serviceMeshes/mesh-1", 502, {"error": {"status": 502, "message": "x"}}, "undocumented status 502"),
    ("POST", "/api/v1/pairingTokens", 201, {"token": _TOKEN, "kind": "site", "expiresAt": "2026-12-07T10:15:00Z", "secret": "x"}, "unknown field 'secret'"),
    ("POST", "/api/v1/pairingTokens", 201, {"token": "abc.def", "kind": "site", "expiresAt": "2026-12-07T10:15:00Z"}, "$.token"),
    ("POST", "/api/v1/pairingTokens", 201, {"token": _TOKEN, "kind": "site", "expiresAt": ""}, "$.expiresAt"),
    ("POST", "/api/v1/sitePairings", 422, {"error": {"status": 422, "message": "x"}}, "undocumented status 422"),
    ("POST", "/api/v1/enroll", 201, {"site": "site-a", "certificate": _PEM}, "'mac' is a required property"),
    ("POST", "/api/v1/enroll", 422, {"error": {"status": 422, "message": "x"}}, "undocumented status 422"),
    ("GET", "/api/v1/sitePairings/sp-1", 200, _with(_PAIRING, ["certificatePin"], "sha256//short"), "$.certificatePin"),
    ("GET", "/api/v1/sitePairings/sp-1", 200, _with(_PAIRING, ["url"], "https://198.18.12.10:8443/"), "$.url"),
    ("GET", "/api/v1/switches/dvs-a", 200, {"name": "dvs-a", "portGroups": [], "appliances": [True]}, "$.appliances[0]"),
    ("GET", "/api/v1/peer/hello", 200, {"name": "site-b", "time": "2026-12-07T10:00:00Z"}, "unknown field 'time'"),
    ("POST", "/api/v1/peer/networkExtensions", 201, _with(_PEER_NE, ["reason"], "x"), "$.reason"),
    ("DELETE", "/api/v1/peer/serviceMeshes/mesh-1", 409, {"error": {"status": 409, "message": "x"}}, "undocumented status 409"),
    ("GET", "/api/v1/nowhere", 200, {}, "undocumented path"),
    ("GET", "/api/v1/switches/x", 404, {"error": {"status": 400, "message": "no switch 'x'"}}, "$.error.status: 400, but"),
]

# (log text, expected number of problems)
SELF_TEST_LOGS = [
    ('{"method":"GET","path":"/api/v1/switches","status":200,"body":[]}\n'
     '\n'
     '{"method":"DELETE","path":"/api/v1/switches/a","status":204,"body":null}\n'
     '{"method":"DELETE","path":"/api/v1/switches/a","status":204}\n'
     '{"method":"DELETE","path":"/api/v1/switches/a","status":204,"bodyText":""}\n', 0),
    ('{"method":"GET","path":"/api/v1/switches","status":200,"body":[]}\n'
     '{"method":"GET","path":"/api/v1/switches","status":200,"body":{}}\n'
     'not json\n'
     '{"method":"GET","path":"/api/v1/switches","status":200,"bodyText":"[] x"}\n'
     '{"method":"GET","path":"/api/v1/switches","status":200,"bodyText":"{\\"a\\":1,\\"a\\":2}"}\n', 4),
]


def _mutations():
    """(what, function breaking a copy of the spec, substring its lint must report)."""
    schemas = lambda d: d["components"]["schemas"]  # noqa: E731
    first_op = lambda d: next(  # noqa: E731
        (t, m) for t, item in d["paths"].items() for m in METHODS if m in item
    )

    def dangling(d):
        t, m = first_op(d)
        d["paths"][t][m]["responses"]["401"] = {"$ref": "#/components/responses/Nope"}

    def no_responses(d):
        t, m = first_op(d)
        d["paths"][t][m]["responses"] = {}

    def nullable_untyped(d):
        schemas(d)["broken"] = {"nullable": True, "allOf": [{"$ref": "#/components/schemas/name"}]}

    def yaml_off(d):
        schemas(d)["broken"] = {"type": "string", "enum": ["auto", False]}

    def bad_example(d):
        schemas(d)["broken"] = {"type": "integer", "maximum": 3, "example": 4}

    def ref_sibling(d):
        schemas(d)["broken"] = {"$ref": "#/components/schemas/name", "description": "x"}

    def open_body(d):
        for item in d["paths"].values():
            for m in METHODS:
                if m in item and "requestBody" in item[m]:
                    item[m]["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
                    return

    def no_401(d):
        t, m = first_op(d)
        d["paths"][t][m]["responses"].pop("401", None)

    def bad_schema(d):
        schemas(d)["broken"] = {"type": "integer", "minimum": "one"}

    def undeclared_param(d):
        d["paths"]["/things/{thing}"] = {"get": {
            "operationId": "x", "summary": "x", "x-l2x-auth": "bearer",
            "responses": {"200": {"description": "x", "content": {"application/json": {"schema": {}}}},
                          "401": {"$ref": "#/components/responses/Unauthorized"},
                          "404": {"$ref": "#/components/responses/NotFound"}}}}

    return [
        ("dangling $ref", dangling, "does not resolve"),
        ("operation without responses", no_responses, "no responses"),
        ("nullable without type", nullable_untyped, "nullable without type"),
        ("YAML off read as false", yaml_off, "enum value False"),
        ("invalid example", bad_example, "example: does not validate"),
        ("$ref with a sibling", ref_sibling, "$ref with siblings"),
        ("request body open to unknown fields", open_body, "allows unknown fields"),
        ("operation without 401", no_401, "no 401"),
        ("invalid schema", bad_schema, "not a valid schema"),
        ("undeclared path parameter", undeclared_param, "{thing} is not declared"),
    ]


def self_test(spec):
    failures = []
    for p in spec.lint():
        failures.append("lint: %s" % p)
    for what, breaks, expect in _mutations():
        doc = copy.deepcopy(spec.doc)
        breaks(doc)
        got = Spec(doc, "broken").lint()
        if not any(expect in g for g in got):
            failures.append("lint missed a broken spec (%s): got %s" % (what, got or "no problem"))
    for method, path, status, body, expect in SELF_TESTS:
        got = spec.check(method, path, status, body)
        label = "%s %s %d" % (method, path, status)
        if expect is None and got:
            failures.append("good answer refused: %s" % "; ".join(got))
        elif expect is not None and not got:
            failures.append("bad answer accepted: %s (expected %r)" % (label, expect))
        elif expect is not None and not any(expect in g for g in got):
            failures.append("bad answer refused for another reason: %s: %s (expected %r)" % (label, "; ".join(got), expect))
    for text, expect in SELF_TEST_LOGS:
        _count, got = check_log(spec, text.splitlines())
        if len(got) != expect:
            failures.append("log with %d problem(s) gave %d: %s" % (expect, len(got), got))
    for text, ok in (("", True), ("  \n", True), ("[1]", True), ("{", False), ("NaN", False), ('{"a":1,"a":1}', False)):
        try:
            parse_body(text)
            good = True
        except BodyError:
            good = False
        if good != ok:
            failures.append("parse_body(%r) %s" % (text, "refused" if ok else "accepted"))
    n = len(SELF_TESTS) + len(SELF_TEST_LOGS) + len(_mutations())
    return n, failures


# ---------------------------------------------------------------------- CLI
def _usage():
    usage = __doc__.split("Usage:", 1)[1].split("Exit status:", 1)[0]
    sys.stderr.write("usage:" + usage)
    return 2


def main(argv):
    if len(argv) == 6 and argv[0] == "--record":
        try:
            record(*argv[1:])
        except (OSError, ValueError) as e:
            sys.stderr.write("openapi_check: %s\n" % e)
            return 2
        return 0
    if len(argv) < 2:
        return _usage()
    try:
        spec = Spec.load(argv[0])
    except (OSError, yaml.YAMLError, ValueError) as e:
        sys.stderr.write("openapi_check: cannot load the spec: %s\n" % e)
        return 2
    if argv[1:] == ["--lint"]:
        problems = spec.lint()
        for p in problems:
            print(p)
        print("%s: %s" % (argv[0], "%d problem(s)" % len(problems) if problems else "ok"))
        return 1 if problems else 0
    if argv[1:] == ["--self-test"]:
        n, failures = self_test(spec)
        for f in failures:
            print("FAIL - %s" % f)
        print("self-test: lint and %d cases, %s" % (n, "%d failure(s)" % len(failures) if failures else "all passed"))
        return 1 if failures else 0
    if len(argv) == 3 and argv[1] == "--log":
        try:
            with open(argv[2], encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            sys.stderr.write("openapi_check: %s\n" % e)
            return 2
        count, problems = check_log(spec, lines)
        for n, p in problems:
            print("%s:%d: %s" % (argv[2], n, p))
        bad_lines = len({n for n, _ in problems})
        print("%s: %d answer(s), %s" % (argv[2], count, "%d do not conform" % bad_lines if problems else "all conform"))
        return 1 if problems else 0
    if len(argv) == 5:
        _spec, method, path, status, bodyfile = argv
        try:
            body = parse_body(_read(bodyfile))
        except OSError as e:
            sys.stderr.write("openapi_check: %s\n" % e)
            return 2
        except BodyError as e:
            print("%s %s %s: %s" % (method.upper(), path, status, e))
            return 1
        problems = spec.check(method, path, status, body)
        for p in problems:
            print(p)
        return 1 if problems else 0
    return _usage()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
