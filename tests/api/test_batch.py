"""POST /v1/sessions/batch and GET /v1/sessions/batch/{batch_id} (docs/batch.md): shapes, per-item
validation, whole-request errors (413/422), pagination of results, tenant isolation, and the batch's
sessions being ordinary sessions of the Sessions API."""

from __future__ import annotations

import json
import time

import evni_testlib as lib
from test_validation import send_raw


def submit(api: lib.ApiClient, sessions: list) -> dict:
    r = api.post("/v1/sessions/batch", {"sessions": sessions})
    assert r.status_code == 200, lib.describe(r)
    body = r.json()
    assert set(body) == {"batchId", "totalSessions", "status"}, body
    assert body["totalSessions"] == len(sessions)
    return body


def wait_completed(api: lib.ApiClient, batch_id: str, timeout: float = 60.0, **params) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = api.get(f"/v1/sessions/batch/{batch_id}", params=params)
        assert r.status_code == 200, lib.describe(r)
        body = r.json()
        if body["completedAt"] is not None:
            return body
        assert time.monotonic() < deadline, f"batch not completed in {timeout} s: {body}"
        time.sleep(0.1)


def small_session(session_id: str, station: str, n: int = 6) -> dict:
    return {"sessionId": session_id, "chargingStationId": station, "connectorId": "1",
            "meterValues": lib.energy_values(n)}


def test_batch_shapes_item_errors_and_sessions_api(api_a, station):
    ids = [lib.uid("b") for _ in range(3)]
    sessions = [
        lib.clean_ac_session(ids[0], station),
        {"sessionId": "broken", "chargingStationId": station, "meterValues": [{"timestamp": "yesterday", "value": 1}]},
        lib.clean_ac_session(ids[1], station, start=lib.T0.replace(hour=12)),
        {"sessionId": ids[2], "chargingStationId": station, "connectorId": "2", "meterValues": lib.energy_values(2),
         "metadata": {"fleet": "A"}},
    ]
    accepted = submit(api_a, sessions)
    assert accepted["status"] in ("pending", "processing")
    assert accepted["batchId"]

    done = wait_completed(api_a, accepted["batchId"])
    assert done["batchId"] == accepted["batchId"]
    assert done["status"] == "completed_with_errors"
    assert (done["totalSessions"], done["processedSessions"], done["failedSessions"]) == (4, 4, 1)
    assert (done["page"], done["pageSize"]) == (1, 50)
    assert lib.parse_ts(done["completedAt"]) >= lib.parse_ts(done["createdAt"])
    results = done["results"]
    assert [r["sessionId"] for r in results] == [ids[0], "broken", ids[1], ids[2]]

    failed = results[1]
    assert failed["status"] == "failed" and failed["createdAt"] is None and failed["anomalies"] == []
    assert "body.sessions.1.meterValues.0.timestamp" in failed["message"], failed

    # The written sessions are ordinary sessions: the batch result is what the Sessions API shows.
    for r in (results[0], results[2]):
        lib.assert_analysed(r)
        detail = api_a.session_detail(r["sessionId"])
        for key in ("status", "isAnomaly", "anomalyScore", "analyzedAt", "createdAt", "anomalies"):
            assert detail[key] == r[key], (key, detail, r)
    pending = results[3]
    lib.assert_pending(pending)
    assert pending["metadata"] == {"fleet": "A"} and pending["connectorId"] == "2"
    listed = api_a.list_sessions(chargingStationId=station)
    assert {s["sessionId"] for s in listed["content"]} == set(ids)


def test_results_are_paginated_in_request_order(api_a, station):
    ids = [f"{lib.uid('p')}-{i}" for i in range(7)]
    accepted = submit(api_a, [small_session(i, station) for i in ids])
    wait_completed(api_a, accepted["batchId"])
    seen = []
    for page in (1, 2, 3):
        r = api_a.get(f"/v1/sessions/batch/{accepted['batchId']}", params={"page": page, "pageSize": 3})
        assert r.status_code == 200, lib.describe(r)
        body = r.json()
        assert (body["page"], body["pageSize"]) == (page, 3)
        seen += [x["sessionId"] for x in body["results"]]
    assert seen == ids
    r = api_a.get(f"/v1/sessions/batch/{accepted['batchId']}", params={"page": 4, "pageSize": 3})
    assert r.json()["results"] == []
    for bad in ({"page": 0}, {"pageSize": 1001}, {"page": "x"}):
        r = api_a.get(f"/v1/sessions/batch/{accepted['batchId']}", params=bad)
        lib.assert_validation_error(r, ["query", next(iter(bad))])


def test_whole_request_errors(api_a, station):
    r = api_a.raw("POST", "/v1/sessions/batch", b'{"sessions": [{"sessionId": }]}')
    lib.assert_validation_error(r, ["body", "sessions", 0], "json_invalid")
    r = api_a.raw("POST", "/v1/sessions/batch", b'{"sessions": [')
    lib.assert_validation_error(r, ["body"], "json_invalid")
    r = api_a.raw("POST", "/v1/sessions/batch", b"[]")
    lib.assert_validation_error(r, ["body"], "model_attributes_type")
    lib.assert_validation_error(api_a.post("/v1/sessions/batch", {}), ["body", "sessions"], "missing")
    lib.assert_validation_error(api_a.post("/v1/sessions/batch", {"sessions": []}), ["body", "sessions"], "too_short")
    lib.assert_validation_error(api_a.post("/v1/sessions/batch", {"sessions": {"a": 1}}), ["body", "sessions"],
                                "list_type")
    too_many = {"sessions": [{"sessionId": f"x{i}", "chargingStationId": station} for i in range(10_001)]}
    lib.assert_validation_error(api_a.post("/v1/sessions/batch", too_many), ["body", "sessions"], "too_long")
    # Nothing of the refused requests was stored.
    assert api_a.list_sessions(chargingStationId=station)["content"] == []


def test_413_over_the_batch_limit_and_other_routes_keep_theirs(env, api_a):
    key = env.a.api_key
    for path, length in (("/v1/sessions/batch", (1 << 30) + 1), ("/v1/sessions", (32 << 20) + 1),
                         ("/v1/organization", 10 << 20)):
        method = "PUT" if path == "/v1/organization" else "POST"
        head = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()
        answer = send_raw(env.server.port, head, [b"{" + b" " * 65536])
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:300])


def test_all_invalid_batch_fails_at_once(api_a):
    accepted = submit(api_a, [{"sessionId": "only-id"}, 5])
    assert accepted["status"] == "failed"
    body = api_a.get(f"/v1/sessions/batch/{accepted['batchId']}").json()
    assert body["status"] == "failed" and body["completedAt"] is not None
    assert body["failedSessions"] == 2 and body["results"][1]["sessionId"] == ""


def test_tenant_isolation_and_unknown_batch(api_a, api_b, station):
    sid = lib.uid("iso")
    accepted = submit(api_a, [small_session(sid, station)])
    wait_completed(api_a, accepted["batchId"])
    r = api_b.get(f"/v1/sessions/batch/{accepted['batchId']}")
    lib.assert_error_body(r, 404)
    assert api_b.get(f"/v1/sessions/{sid}").status_code == 404
    lib.assert_error_body(api_a.get("/v1/sessions/batch/batch_nope"), 404)


def test_a_large_body_is_spooled_and_processed(api_a, station):
    # ~6 MB of JSON: more than the 1 MiB default limit of other routes, read through the spool file.
    sessions = [small_session(f"{lib.uid('L')}-{i}", station, n=360) for i in range(150)]
    data = json.dumps({"sessions": sessions}).encode()
    assert len(data) > 4 << 20
    r = api_a.raw("POST", "/v1/sessions/batch", data)
    assert r.status_code == 200, lib.describe(r)
    done = wait_completed(api_a, r.json()["batchId"], timeout=120)
    assert (done["status"], done["processedSessions"], done["failedSessions"]) == ("completed", 150, 0)
    detail = api_a.session_detail(sessions[-1]["sessionId"])
    assert len(detail["meterValues"]) == 360
