"""Models (issue #3 item 4, docs/models.md): the base model and the tenant's fine-tuned models, fine-tune
validation, a fine-tune that calibrates the threshold on sessions labelled through the anomalies workspace
and changes isAnomaly on the next write, a fine-tune failing with too few labels, roles and tenant isolation."""
import json
import time
from datetime import timedelta

import pytest

import evni_testlib as lib

T0 = lib.T0
BASE = "evni-session-engine"
MODEL_FIELDS = {"id", "name", "type", "version", "isBase", "baseModel", "metrics", "status", "createdAt"}
JOB_FIELDS = {"jobId", "status", "baseModelId", "resultModelId", "config", "createdAt", "startedAt", "completedAt",
              "errorMessage"}


@pytest.fixture(scope="module")
def operator(env):
    proc = lib.run_cli("tenant", "create", "--name", "operator-models", "--super-admin", "--db", env.server.db_url)
    assert proc.returncode == 0, proc.stderr
    return env.client(json.loads(proc.stdout)["apiKey"])


def new_tenant(env, operator):
    r = operator.post("/v1/tenants", {"name": "t-" + lib.uid()})
    assert r.status_code == 200, lib.describe(r)
    return env.client(r.json()["apiKey"])


def join(env, admin, role):
    r = admin.post("/v1/members/invitations", {"email": lib.uid("u") + "@example.com", "role": role})
    assert r.status_code == 200, lib.describe(r)
    r = env.anonymous().post(f"/v1/invitations/{r.json()['token']}/accept", {})
    assert r.status_code == 200, lib.describe(r)
    return env.client(r.json()["token"])


def models(api) -> list[dict]:
    r = api.get("/v1/models")
    assert r.status_code == 200, lib.describe(r)
    return r.json()["models"]


def post(api, station, values, day):
    """A session on its own day (no overlap with the others on the connector)."""
    start = T0 + timedelta(days=day)
    vals = values(start)
    return api.create_session({"sessionId": lib.uid(), "chargingStationId": station, "connectorId": "1",
                               "meterValues": vals})


def pit(api, station, day):  # ENERGY_PIT, score ~0.91
    return post(api, station, lambda start: lib.energy_pit_values(start), day)


def decrease(api, station, day):  # KWH_DECREASE, score ~1.0
    return post(api, station, lambda start: lib.kwh_decrease_values(start), day)


def label(api, session_id, status):
    r = api.get("/v1/anomalies", params={"chargingSessionId": session_id, "includeClosed": "true"})
    assert r.status_code == 200, lib.describe(r)
    items = r.json()["content"]
    assert items
    for a in items:
        r = api.put(f"/v1/anomalies/issues/{a['issues'][0]['id']}", {"status": status})
        assert r.status_code == 200, lib.describe(r)


def fine_tune(api, body=None, **fields):
    body = body or {"baseModelId": BASE, "name": "calibrated", "dataSource": {"type": "sessions"}}
    body.update(fields)
    r = api.post("/v1/models/fine-tune", body)
    assert r.status_code == 200, lib.describe(r)
    job = r.json()
    assert set(job) == {"jobId", "status", "baseModelId", "createdAt"}
    assert job["status"] == "queued" and job["baseModelId"] == body["baseModelId"]
    return job["jobId"]


def wait_job(api, job_id, timeout=30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = api.get(f"/v1/models/fine-tune/{job_id}")
        assert r.status_code == 200, lib.describe(r)
        job = r.json()
        assert set(job) == JOB_FIELDS
        if job["status"] in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_base_model_listed_and_detailed(api_a):
    listed = models(api_a)
    base = listed[0]
    assert set(base) == MODEL_FIELDS
    assert base["id"] == BASE and base["isBase"] is True and base["baseModel"] is None
    assert base["type"] == "session_rules"
    assert base["metrics"]["threshold"] == 0.5 and base["metrics"]["macroF1"] > 0.9
    assert sum(1 for m in listed if m["status"] == "active") == 1
    r = api_a.get(f"/v1/models/{BASE}")
    assert r.status_code == 200, lib.describe(r)
    detail = r.json()
    assert set(detail) == MODEL_FIELDS | {"s3Path", "description"}
    assert detail["s3Path"] is None and detail["description"]
    lib.assert_error_body(api_a.get("/v1/models/model_nope"), 404)
    lib.assert_error_body(api_a.get("/v1/models/fine-tune/ftjob_nope"), 404)


@pytest.mark.parametrize("body,loc,type_", [
    ({"name": "n", "dataSource": {"type": "sessions"}}, ["body", "baseModelId"], "missing"),
    ({"baseModelId": BASE, "dataSource": {"type": "sessions"}}, ["body", "name"], "missing"),
    ({"baseModelId": BASE, "name": "n"}, ["body", "dataSource"], "missing"),
    ({"baseModelId": BASE, "name": "n", "dataSource": {"type": "upload"}}, ["body", "dataSource", "type"],
     "value_error"),
    ({"baseModelId": BASE, "name": "n", "dataSource": {"type": "csv"}}, ["body", "dataSource", "type"],
     "literal_error"),
    ({"baseModelId": BASE, "name": "n", "dataSource": {"type": "sessions", "sessionFilter": {"dateFrom": "soon"}}},
     ["body", "dataSource", "sessionFilter", "dateFrom"], "datetime_parsing"),
    ({"baseModelId": BASE, "name": "n", "dataSource": {"type": "sessions", "sessionFilter": {"stationId": "x"}}},
     ["body", "dataSource", "sessionFilter", "stationId"], "extra_forbidden"),
    ({"baseModelId": BASE, "name": "n", "trainingConfig": {"minLabels": 1}, "dataSource": {"type": "sessions"}},
     ["body", "trainingConfig", "minLabels"], None),
    ({"baseModelId": BASE, "name": "n", "trainingConfig": {"epochs": 3}, "dataSource": {"type": "sessions"}},
     ["body", "trainingConfig", "epochs"], "extra_forbidden"),
    ({"baseModelId": "model_nope", "name": "n", "dataSource": {"type": "sessions"}}, ["body", "baseModelId"],
     "value_error"),
])
def test_fine_tune_validation(api_a, body, loc, type_):
    lib.assert_validation_error(api_a.post("/v1/models/fine-tune", body), loc, type_)


def test_upload_is_refused_with_a_clear_message(api_a):
    r = api_a.post("/v1/models/fine-tune", {"baseModelId": BASE, "name": "n", "dataSource": {"type": "upload"}})
    body = lib.assert_validation_error(r, ["body", "dataSource", "type"])
    assert "not supported" in json.dumps(body)


def test_roles(env, operator):
    admin = new_tenant(env, operator)
    viewer = join(env, admin, "viewer")
    member = join(env, admin, "member")
    assert models(viewer)[0]["id"] == BASE
    body = {"baseModelId": BASE, "name": "n", "dataSource": {"type": "sessions"}}
    lib.assert_error_body(member.post("/v1/models/fine-tune", body), 403)
    lib.assert_error_body(viewer.post("/v1/models/fine-tune", body), 403)
    job = fine_tune(admin)
    assert viewer.get(f"/v1/models/fine-tune/{job}").status_code == 200


def test_fine_tune_fails_with_too_few_labels(env, operator):
    api = new_tenant(env, operator)
    station = lib.uid("CS")
    for day in range(3):
        label(api, pit(api, station, day)["sessionId"], "FALSE_POSITIVE")
        label(api, decrease(api, station, 10 + day)["sessionId"], "CONFIRMED")
    api_open = decrease(api, station, 20)  # untriaged: not a label
    assert api_open["isAnomaly"] is True
    job = wait_job(api, fine_tune(api))
    assert job["status"] == "failed", job
    assert job["resultModelId"] is None and job["completedAt"] and job["startedAt"]
    assert "Too few labelled sessions: 6 labelled (3 anomalies, 3 not anomalies)" in job["errorMessage"]
    assert "at least 20" in job["errorMessage"]
    assert job["config"]["trainingConfig"] == {"minLabels": 20}
    # One class only fails too, whatever minLabels says.
    api2 = new_tenant(env, operator)
    for day in range(4):
        label(api2, decrease(api2, station, day)["sessionId"], "CONFIRMED")
    body = {"baseModelId": BASE, "name": "n", "trainingConfig": {"minLabels": 2}, "dataSource": {"type": "sessions"}}
    job = wait_job(api2, fine_tune(api2, body))
    assert job["status"] == "failed" and "4 anomalies, 0 not anomalies" in job["errorMessage"], job
    assert [m["id"] for m in models(api2)] == [BASE] and models(api2)[0]["status"] == "active"


def test_fine_tune_calibrates_the_threshold_and_the_next_write_follows_it(env, operator):
    api = new_tenant(env, operator)
    other = new_tenant(env, operator)
    station = lib.uid("CS")
    # The operator triages: energy pits (score ~0.91) are false positives on this network, register
    # decreases (~1.0) are real. Ten of each.
    pits, decreases = [], []
    for day in range(10):
        s = pit(api, station, day)
        assert s["isAnomaly"] is True and 0.5 < s["anomalyScore"] < 0.99, s
        pits.append(s)
        label(api, s["sessionId"], "FALSE_POSITIVE")
    for day in range(10):
        s = decrease(api, station, 20 + day)
        assert s["isAnomaly"] is True and s["anomalyScore"] > pits[0]["anomalyScore"], s
        decreases.append(s)
        label(api, s["sessionId"], "CONFIRMED")
    # Sessions outside the filter are not read: a station filter on another station finds no labels.
    body = {"baseModelId": BASE, "name": "elsewhere",
            "dataSource": {"type": "sessions", "sessionFilter": {"chargingStationId": "CS-none"}}}
    job = wait_job(api, fine_tune(api, body))
    assert job["status"] == "failed" and "0 labelled" in job["errorMessage"], job

    body = {"baseModelId": BASE, "name": "Q1 triage", "trainingConfig": {"minLabels": 20},
            "dataSource": {"type": "sessions", "sessionFilter": {"chargingStationId": station, "dateFrom": "2026-03-01",
                                                                "dateTo": "2026-12-31"}}}
    job = wait_job(api, fine_tune(api, body))
    assert job["status"] == "completed", job
    assert job["errorMessage"] is None and job["resultModelId"]
    assert job["config"]["dataSource"]["sessionFilter"]["chargingStationId"] == station

    listed = models(api)
    assert [m["status"] for m in listed] == ["inactive", "active"]
    model = listed[1]
    assert model["id"] == job["resultModelId"] and model["isBase"] is False and model["baseModel"] == BASE
    assert model["name"] == "Q1 triage"
    m = model["metrics"]
    threshold = m["threshold"]
    pit_score, decrease_score = pits[0]["anomalyScore"], decreases[0]["anomalyScore"]
    assert pit_score < threshold <= decrease_score, (threshold, pit_score, decrease_score)
    assert m["labelsUsed"] == 20 and m["positiveLabels"] == 10 and m["negativeLabels"] == 10
    assert m["atThreshold"]["f1"] == 1.0 and m["atThreshold"]["precision"] == 1.0
    assert m["atDefaultThreshold"]["threshold"] == 0.5
    assert m["atDefaultThreshold"]["precision"] == 0.5 and m["atDefaultThreshold"]["recall"] == 1.0
    detail = api.get(f"/v1/models/{model['id']}").json()
    assert detail["s3Path"] is None and "calibrated" in detail["description"]

    # The next write follows the new threshold; stored verdicts keep theirs until re-analysed.
    s = pit(api, station, 40)
    assert s["anomalyScore"] == pytest.approx(pit_score) and s["isAnomaly"] is False, s
    assert decrease(api, station, 41)["isAnomaly"] is True
    assert api.session_detail(pits[0]["sessionId"])["isAnomaly"] is True
    # The explanation quotes the tenant's threshold.
    r = api.get(f"/v1/sessions/{s['sessionId']}/explain", params={"lang": "en", "style": "detailed"})
    assert r.status_code == 200, lib.describe(r)
    text = json.dumps(r.json())
    assert "not flagged" in text and f"threshold {threshold:.2f})" in text, text
    # Another tenant keeps the base model's threshold and cannot see this tenant's model or job.
    assert pit(other, station, 40)["isAnomaly"] is True
    assert [x["id"] for x in models(other)] == [BASE]
    lib.assert_error_body(other.get(f"/v1/models/{model['id']}"), 404)
    lib.assert_error_body(other.get(f"/v1/models/fine-tune/{job['jobId']}"), 404)

    # A second fine-tune from the tenant's model replaces it as the active one.
    body = {"baseModelId": model["id"], "name": "again", "dataSource": {"type": "sessions"}}
    job2 = wait_job(api, fine_tune(api, body))
    assert job2["status"] == "completed", job2
    listed = models(api)
    assert [(x["id"], x["status"]) for x in listed] == [
        (BASE, "inactive"), (job2["resultModelId"], "active"), (model["id"], "inactive")]
    assert listed[1]["baseModel"] == BASE
