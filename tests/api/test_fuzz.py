"""Mutation fuzzing of every documented route: no input may get a 5xx, crash the server or break its error shape.

The operations, their parameters and example bodies come from the server's own /openapi.json, so a new route is
fuzzed as soon as it is documented. Each request mutates the documented example (a value of another type, a key
dropped or added, an extreme number, a long or odd string, deep nesting) or sends raw bytes that are not the JSON
the route expects; path and query parameters get odd values too. The server runs on a database of its own (the
fuzzer changes the organization, creates keys and webhooks), with a fixed seed so a failure is reproducible:
EVNI_FUZZ_SEED and EVNI_FUZZ_ROUNDS override the seed and the requests per operation.
"""

from __future__ import annotations

import copy
import json
import os
import random
from urllib.parse import quote

import pytest

import evni_testlib as lib

SEED = int(os.environ.get("EVNI_FUZZ_SEED", "20261128"))
ROUNDS = int(os.environ.get("EVNI_FUZZ_ROUNDS", "30"))

ODD_STRINGS = [
    "", " ", "null", "0", "-1", "1e309", "NaN", "true", "[]", "{}", "\u0000", "\ud7ff\ue000", "%00", "../../etc/passwd",
    "' OR 1=1 --", "<script>", "x" * 300, "x" * 5000, "2026-13-45T25:61:61Z", "2026-02-30T00:00:00Z",
    "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "1970-01-01T00:00:00+25:00", "\u00e9\u6f22\U0001f50c",
    "Energy.Active.Import.Register", "kWh", "Percent", "AC", "completed", "admin", "https://", "http://127.0.0.1:1/",
]
ODD_NUMBERS = [0, -1, 1, -0.0, 0.5, 2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**20, 1e308, -1e308, 1e-320,
               10_000_000_001, 1000, 1001]


def odd_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(ODD_NUMBERS)
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind in (4, 5):
        return rng.choice(ODD_STRINGS)
    if kind == 6:
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {rng.choice(ODD_STRINGS[:12] + ["value", "timestamp", "id"]): odd_value(rng, depth + 1)
                for _ in range(rng.randrange(4))}
    return [[[[[]]]]]


def containers(node, path=()):
    """Every (container, key) slot of a JSON value."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield node, k
            yield from containers(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield node, i
            yield from containers(v, path + (i,))


def mutate(rng: random.Random, body):
    body = copy.deepcopy(body)
    if body is None or not isinstance(body, (dict, list)) or rng.random() < 0.08:
        return odd_value(rng)
    for _ in range(rng.randint(1, 3)):
        slots = list(containers(body))
        if not slots:
            break
        parent, key = rng.choice(slots)
        op = rng.randrange(6)
        if op <= 2:
            parent[key] = odd_value(rng)
        elif op == 3 and isinstance(parent, dict):
            del parent[key]
        elif op == 3:
            parent.pop(key)
        elif op == 4 and isinstance(parent, dict):
            parent[rng.choice(["extra", "__proto__", "sessionId", "value", "x" * 200])] = odd_value(rng)
        elif isinstance(parent, list):
            parent.extend(copy.deepcopy(parent[: rng.randint(1, 3)]) * rng.randint(1, 50))
    return body


def raw_body(rng: random.Random, example) -> bytes:
    text = json.dumps(example if example is not None else {"a": 1}).encode()
    kind = rng.randrange(7)
    if kind == 0:
        return text[: rng.randrange(max(1, len(text)))]
    if kind == 1:
        b = bytearray(text)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if kind == 2:
        depth = rng.choice([64, 1000, 20000])
        return b"[" * depth + b"]" * depth
    if kind == 3:
        return b'{"a": 1, "a": 2, "sessionId": "dup", "sessionId": "dup2"}'
    if kind == 4:
        return b"\xff\xfe\x00{\x00}"
    if kind == 5:
        return b'{"value": 1e99999, "n": -1e99999, "x": 123456789012345678901234567890}'
    return b""


def param_value(rng: random.Random, real: list[str]) -> str:
    if real and rng.random() < 0.4:
        return rng.choice(real)
    return str(odd_value(rng) if rng.random() < 0.3 else rng.choice(ODD_STRINGS + [str(n) for n in ODD_NUMBERS]))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    db = lib.new_database(workdir)
    tenant = lib.create_tenant(lib.db_url(db), "fuzz")
    server = lib.EvniServer(db, workdir, name="fuzz").start()
    yield server, lib.ApiClient(server.base_url, tenant["apiKey"])
    assert server.stop() == 0, "the fuzzed server did not stop cleanly"


def test_no_input_gets_a_server_error(fuzz_server):
    server, api = fuzz_server
    document = api.get("/openapi.json").json()
    # A real session and station, so that some mutated requests reach deeper than the 404.
    sid = lib.uid("fz")
    example = document["paths"]["/v1/sessions"]["post"]["requestBody"]["content"]["application/json"]["example"]
    created = api.post("/v1/sessions", dict(example, sessionId=sid))
    assert created.status_code in (200, 201), lib.describe(created)
    real = [sid, example["chargingStationId"], "KWH_DECREASE", "1"]

    rng = random.Random(SEED)
    failures = []
    requests_sent = 0
    for template, item in sorted(document["paths"].items()):
        for method, op in sorted(item.items()):
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = op.get("parameters", [])
            body_doc = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            example_body = body_doc.get("example")
            for _ in range(ROUNDS):
                path = template
                for p in params:
                    if p.get("in") == "path":
                        path = path.replace("{" + p["name"] + "}", quote(param_value(rng, real), safe=""))
                query = {p["name"]: param_value(rng, real) for p in params
                         if p.get("in") == "query" and rng.random() < 0.5}
                kwargs = {"params": query}
                if method in ("post", "put", "patch"):
                    if rng.random() < 0.25:
                        kwargs["data"] = raw_body(rng, example_body)
                        kwargs["headers"] = {"Content-Type": rng.choice(
                            ["application/json", "text/plain", "application/json; charset=latin1"])}
                    else:
                        kwargs["data"] = json.dumps(mutate(rng, example_body)).encode()
                        kwargs["headers"] = {"Content-Type": "application/json"}
                r = api.request(method.upper(), path, **kwargs)
                requests_sent += 1
                problem = None
                if r.status_code >= 500:
                    problem = "server error"
                elif r.status_code >= 400 and "json" in r.headers.get("Content-Type", ""):
                    if "detail" not in r.json():
                        problem = "error body without detail"
                if problem:
                    failures.append(f"{problem}: {method.upper()} {path} {query} "
                                    f"body={kwargs.get('data', b'')[:300]!r} -> {lib.describe(r)[:400]}")
    assert requests_sent > 50 * ROUNDS // 2
    assert not failures, f"{len(failures)} of {requests_sent} requests failed:\n" + "\n".join(failures[:20])
    assert server.running, "the server died under fuzzing"
    assert api.get("/healthz").status_code == 200
