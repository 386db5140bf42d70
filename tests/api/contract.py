"""Contract checks: every response the API tests receive through `ApiClient` must match the OpenAPI
document the same server publishes at /openapi.json.

For each response: the operation is found from (method, path) the way the router finds it (literal
segments before parameters); the status must be documented for that operation (apart from the
transport-level answers any route can give: 400, 405, 413, 431); a JSON body must validate against
the documented schema (JSON Schema 2020-12, Debian's python3-jsonschema).

Set EVNI_CONTRACT=0 to switch the checks off while debugging.
"""

from __future__ import annotations

import json
import os
import re
import threading
from urllib.parse import urlsplit

import jsonschema
import requests

ENABLED = os.environ.get("EVNI_CONTRACT", "1") != "0"

# Answers the transport gives to any route (body over the limit, unparsable target, header too large) or
# the router gives to a known path with another method: their body is the standard Error.
TRANSPORT_STATUSES = {400, 405, 413, 431}

_lock = threading.Lock()
_contracts: dict[str, "Contract"] = {}


class ContractError(AssertionError):
    pass


class Contract:
    def __init__(self, document: dict):
        self.document = document
        self.resolver = jsonschema.RefResolver.from_schema(document)
        self.routes = []  # (params count, regex, template)
        for template in document["paths"]:
            regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            self.routes.append((template.count("{"), re.compile(regex), template))
        self.routes.sort(key=lambda r: r[0])  # literal routes win, as in Api::Match
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}

    def validator(self, schema: dict) -> jsonschema.Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        v = self._validators.get(key)
        if v is None:
            v = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
            self._validators[key] = v
        return v

    def operation(self, method: str, path: str) -> tuple[str | None, dict | None]:
        """(template, operation) for a request; (template, None) when the path is known but not the method."""
        known_path = None
        for _, regex, template in self.routes:
            if regex.match(path):
                op = self.document["paths"][template].get(method.lower())
                if op is not None:
                    return template, op
                known_path = known_path or template
        return known_path, None

    def check(self, r: requests.Response) -> None:
        method = r.request.method
        path = urlsplit(r.request.url).path
        template, op = self.operation(method, path)
        where = f"{method} {path} -> {r.status_code}"
        if op is None:
            # Unknown route (404) or known path with another method (405): the standard error body.
            self.validate_json(r, {"$ref": "#/components/schemas/Error"}, f"{where} (no such operation)")
            return
        spec = op["responses"].get(str(r.status_code))
        if spec is None:
            if r.status_code in TRANSPORT_STATUSES:
                self.validate_json(r, {"$ref": "#/components/schemas/Error"}, where)
                return
            raise ContractError(
                f"{where}: status {r.status_code} is not documented for {method} {template} in /openapi.json "
                f"(documented: {sorted(op['responses'])}); document it in src/api/openapi_<resource>.cpp"
            )
        content = spec.get("content")
        if not content:
            return
        if "application/json" in content:
            schema = content["application/json"].get("schema")
            if schema is not None:
                self.validate_json(r, schema, f"{where} ({method} {template})")
        else:
            got = r.headers.get("Content-Type", "").split(";")[0].strip()
            documented = {c.split(";")[0].strip() for c in content}
            if got == "application/json":
                raise ContractError(f"{where}: JSON answer, but the document says {sorted(documented)}")

    def validate_json(self, r: requests.Response, schema: dict, where: str) -> None:
        content_type = r.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            raise ContractError(f"{where}: expected a JSON body, got Content-Type {content_type!r}")
        try:
            body = r.json()
        except ValueError as e:
            raise ContractError(f"{where}: body is not JSON: {e}: {r.text[:500]}") from None
        errors = sorted(self.validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}" for e in errors[:10]]
            raise ContractError(
                f"{where}: response does not match its schema in /openapi.json:\n" + "\n".join(lines)
                + f"\nbody: {r.text[:1500]}"
            )


def contract_for(base_url: str) -> Contract:
    """The contract a server publishes, fetched once per server."""
    with _lock:
        c = _contracts.get(base_url)
        if c is None:
            r = requests.get(base_url + "/openapi.json", timeout=30)
            if r.status_code != 200:
                raise ContractError(f"GET {base_url}/openapi.json -> {r.status_code}: {r.text[:500]}")
            c = Contract(r.json())
            _contracts[base_url] = c
        return c


def check_response(base_url: str, r: requests.Response) -> None:
    """Raises ContractError when `r` does not match the document of the server at `base_url`."""
    if ENABLED:
        contract_for(base_url).check(r)
