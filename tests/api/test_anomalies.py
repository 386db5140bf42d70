"""Anomalies workspace (issue #6): records per session and category kept in step with re-analysis, lists with
every filter, aggregates by connector and session, detail, the issue workflow, the category catalogue,
roles and tenant isolation."""
import json
from datetime import datetime, timedelta, timezone

import pytest

import evni_testlib as lib

T0 = lib.T0
T1 = T0 + timedelta(days=1)
NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def operator(env):
    proc = lib.run_cli("tenant", "create", "--name", "operator-anomalies", "--super-admin", "--db", env.server.db_url)
    assert proc.returncode == 0, proc.stderr
    return env.client(json.loads(proc.stdout)["apiKey"])


def new_tenant(env, operator):
    r = operator.post("/v1/tenants", {"name": "t-" + lib.uid()})
    assert r.status_code == 200, lib.describe(r)
    return env.client(r.json()["apiKey"])


def join(env, admin, email, role):
    r = admin.post("/v1/members/invitations", {"email": email, "role": role})
    assert r.status_code == 200, lib.describe(r)
    r = env.anonymous().post(f"/v1/invitations/{r.json()['token']}/accept", {})
    assert r.status_code == 200, lib.describe(r)
    return env.client(r.json()["token"])


def decrease(api, station, connector="1", evse=None, start=T0, sid=None):
    body = {"sessionId": sid or lib.uid(), "chargingStationId": station, "connectorId": connector,
            "meterValues": lib.kwh_decrease_values(start)}
    if evse:
        body["evseId"] = evse
    return api.create_session(body)


def pit(api, station, connector="2", evse=None, start=T1):
    body = {"sessionId": lib.uid(), "chargingStationId": station, "connectorId": connector,
            "meterValues": lib.energy_pit_values(start)}
    if evse:
        body["evseId"] = evse
    return api.create_session(body)


def anomalies(api, **params):
    r = api.get("/v1/anomalies", params=params)
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def categories_of(session):
    return sorted({a["category"] for a in session["anomalies"]})


def one(api, session_id, category):
    items = [a for a in anomalies(api, chargingSessionId=session_id, includeClosed="true")["content"]
             if a["anomalyTypeId"] == category]
    assert len(items) == 1, items
    return items[0]


def test_category_catalogue(api_a):
    r = api_a.get("/v1/anomalies/categories")
    assert r.status_code == 200, lib.describe(r)
    items = r.json()["items"]
    assert len(items) == 14
    ids = {c["id"] for c in items}
    assert {"KWH_DECREASE", "ENERGY_PIT", "METER_RESET", "SESSION_OVERLAP", "DATA_GAP"} <= ids
    for c in items:
        assert c["name"] and c["description"] and 0 < c["maxScore"] <= 1


def test_record_per_category_follows_reanalysis(api_a, station):
    s = decrease(api_a, station)
    cats = categories_of(s)
    assert "KWH_DECREASE" in cats
    listed = anomalies(api_a, chargingSessionId=s["sessionId"])
    assert listed["pagination"]["totalCount"] == len(cats)
    assert sorted(a["anomalyTypeId"] for a in listed["content"]) == cats
    a = one(api_a, s["sessionId"], "KWH_DECREASE")
    assert a["anomalyType"] == "kWh decrease" and a["chargingPointId"] == station
    assert a["ocppChargingStationId"] == station and a["connectorId"] == "1"
    assert a["chargingSessionId"] == s["sessionId"] and a["closedAt"] is None
    found = lib.anomalies_of(s, "KWH_DECREASE")
    assert a["aiRiskScore"] == pytest.approx(max(x["score"] for x in found))
    # Occurrence: when the fault happened (meter time); first detection and last update: when analysed.
    assert lib.parse_ts(a["dateOfAnomalyOccurrence"]) == min(lib.parse_ts(x["timeRange"]["startTimestamp"])
                                                             for x in found)
    detected = lib.parse_ts(a["firstDetectionDate"])
    assert abs((detected - datetime.now(timezone.utc)).total_seconds()) < 120
    assert a["dateOfLastUpdate"] == a["firstDetectionDate"]
    assert len(a["issues"]) == 1 and a["issues"][0]["statusName"] == "OPEN" and a["issues"][0]["assignedTo"] is None

    # Clean values: the anomaly is closed, not left dangling.
    r = api_a.put(f"/v1/sessions/{s['sessionId']}", {"meterValues": lib.clean_ac_values()})
    assert r.status_code == 200 and r.json()["anomalies"] == [], lib.describe(r)
    assert anomalies(api_a, chargingSessionId=s["sessionId"])["pagination"]["totalCount"] == 0
    closed = one(api_a, s["sessionId"], "KWH_DECREASE")
    assert closed["id"] == a["id"] and closed["closedAt"] is not None
    assert lib.parse_ts(closed["dateOfLastUpdate"]) >= lib.parse_ts(a["dateOfLastUpdate"])

    # The fault again: the same record and issue reopen.
    r = api_a.put(f"/v1/sessions/{s['sessionId']}", {"meterValues": lib.kwh_decrease_values()})
    assert r.status_code == 200, lib.describe(r)
    again = one(api_a, s["sessionId"], "KWH_DECREASE")
    assert again["id"] == a["id"] and again["closedAt"] is None
    assert again["issues"][0]["id"] == a["issues"][0]["id"]
    assert again["firstDetectionDate"] == a["firstDetectionDate"]

    d = api_a.get(f"/v1/anomalies/sessions/{s['sessionId']}/categories/KWH_DECREASE/details").json()
    scores = [p["riskScore"] for p in d["riskScoreTimeline"]]
    assert len(scores) == 3 and scores[1] == 0 and scores[0] > 0 and scores[2] > 0, d["riskScoreTimeline"]


def test_list_filters_and_sorts(env, operator):
    api = new_tenant(env, operator)
    st1, st2 = lib.uid("CS"), lib.uid("CS")
    s1 = decrease(api, st1, connector="1", evse="E-1")
    s2 = pit(api, st1, connector="2", evse="E-2")
    s3 = decrease(api, st2, connector="1", evse="E-3", start=T1 + timedelta(days=1))
    all_items = anomalies(api, pageSize=100)["content"]
    total = len(all_items)
    assert total == sum(len(categories_of(s)) for s in (s1, s2, s3))

    def ids(**params):
        return sorted(a["id"] for a in anomalies(api, pageSize=100, **params)["content"])

    def expected(pred):
        return sorted(a["id"] for a in all_items if pred(a))

    assert ids(anomalyType="KWH_DECREASE") == expected(lambda a: a["anomalyTypeId"] == "KWH_DECREASE")
    both = expected(lambda a: a["anomalyTypeId"] in ("KWH_DECREASE", "ENERGY_PIT"))
    assert ids(anomalyType=["KWH_DECREASE", "ENERGY_PIT"]) == both
    assert ids(anomalyType="KWH_DECREASE,ENERGY_PIT") == both
    assert ids(connectorId="2") == expected(lambda a: a["connectorId"] == "2")
    assert ids(chargingSessionId=s3["sessionId"]) == expected(lambda a: a["chargingSessionId"] == s3["sessionId"])
    assert ids(chargingPointId=st2) == expected(lambda a: a["chargingPointId"] == st2)
    assert ids(chargingPointId=[st1, st2]) == expected(lambda a: True)
    assert ids(ocpp_charging_station_id=st1) == expected(lambda a: a["chargingPointId"] == st1)
    assert ids(evseId=["E-1", "E-3"]) == expected(lambda a: a["evseId"] in ("E-1", "E-3"))
    # Occurrence bounds: s1 occurs on T0's day, s2 on T1's, s3 the day after.
    day = lambda d: lib.iso(d)[:10]
    assert ids(occurrenceFrom=day(T1), occurrenceTo=day(T1)) == expected(
        lambda a: a["chargingSessionId"] == s2["sessionId"])
    assert ids(occurrenceTo=day(T0)) == expected(lambda a: a["chargingSessionId"] == s1["sessionId"])
    assert ids(updateFrom=lib.iso(NOW - timedelta(hours=1))) == expected(lambda a: True)
    assert ids(updateFrom=lib.iso(NOW + timedelta(days=1))) == []
    assert ids(updateTo=lib.iso(NOW - timedelta(days=1))) == []
    scores = [a["aiRiskScore"] for a in anomalies(api, pageSize=100, sortByScore="desc")["content"]]
    assert scores == sorted(scores, reverse=True)
    scores = [a["aiRiskScore"] for a in anomalies(api, pageSize=100, sortByScore="asc")["content"]]
    assert scores == sorted(scores)
    # Default order: newest occurrence first.
    occ = [a["dateOfAnomalyOccurrence"] for a in anomalies(api, pageSize=100)["content"]]
    assert occ == sorted(occ, reverse=True)
    # Pagination: pageSize and its alias limit.
    p = anomalies(api, pageSize=1, page=2)
    assert len(p["content"]) == 1 and p["pagination"] == {"totalCount": total, "page": 2, "size": 1}
    assert anomalies(api, limit=2)["pagination"]["size"] == 2
    # Issue status and assignee filters.
    target = next(a for a in all_items if a["chargingSessionId"] == s1["sessionId"])
    r = api.put(f"/v1/anomalies/issues/{target['issues'][0]['id']}",
                {"status": "IN_PROGRESS", "assignedTo": "ops@example.com"})
    assert r.status_code == 200, lib.describe(r)
    assert ids(anomalyIssuesStatus="IN_PROGRESS") == [target["id"]]
    assert len(ids(anomalyIssuesStatus=["OPEN", "IN_PROGRESS"])) == total
    assert ids(assignedTo="ops@example.com") == [target["id"]]
    assert ids(assignedTo="OPS@example.com") == [target["id"]]
    assert ids(assignedTo="nobody@example.com") == []


@pytest.mark.parametrize("params,loc,type_", [
    ({"anomalyType": "NOT_A_CATEGORY"}, ["query", "anomalyType"], "enum"),
    ({"sortByScore": "up"}, ["query", "sortByScore"], "enum"),
    ({"anomalyIssuesStatus": "DONE"}, ["query", "anomalyIssuesStatus"], "enum"),
    ({"occurrenceFrom": "yesterday"}, ["query", "occurrenceFrom"], "datetime_parsing"),
    ({"updateTo": "2026-13-45"}, ["query", "updateTo"], "datetime_parsing"),
    ({"pageSize": 0}, ["query", "pageSize"], None),
    ({"assignedTo": "me"}, ["query", "assignedTo"], "value_error"),
])
def test_list_validation(api_a, params, loc, type_):
    lib.assert_validation_error(api_a.get("/v1/anomalies", params=params), loc, type_)


@pytest.mark.parametrize("path,params,loc", [
    ("/v1/anomalies/connectors", {"sortBy": "score_desc"}, ["query", "sortBy"]),
    ("/v1/anomalies/sessions", {"sortBy": "newest"}, ["query", "sortBy"]),
    ("/v1/anomalies/sessions", {"anomalyType": "X"}, ["query", "anomalyType"]),
    ("/v1/anomalies/connectors", {"occurrenceTo": "x"}, ["query", "occurrenceTo"]),
])
def test_group_validation(api_a, path, params, loc):
    lib.assert_validation_error(api_a.get(path, params=params), loc)


def test_aggregates_by_connector_and_session(env, operator):
    api = new_tenant(env, operator)
    st = lib.uid("CS")
    s1 = decrease(api, st, connector="1", evse="E-1")
    s2 = decrease(api, st, connector="1", evse="E-1", start=T1)
    s3 = pit(api, st, connector="2", start=T1 + timedelta(days=2))
    n1, n2, n3 = (len(categories_of(s)) for s in (s1, s2, s3))

    r = api.get("/v1/anomalies/connectors")
    assert r.status_code == 200, lib.describe(r)
    body = r.json()
    assert body["pagination"]["totalCount"] == 2
    by = {c["connectorId"]: c for c in body["content"]}
    assert by["1"]["anomalyCount"] == n1 + n2 and by["2"]["anomalyCount"] == n3
    assert by["1"]["chargingPointId"] == st and by["1"]["evseId"] == "E-1" and by["1"]["id"] == f"{st}/1"
    assert {t["id"] for t in by["1"]["anomalyTypes"]} == set(categories_of(s1)) | set(categories_of(s2))
    assert lib.parse_ts(by["1"]["lastUpdate"]) >= lib.parse_ts(by["1"]["detectionDate"])
    counts = [c["anomalyCount"] for c in api.get("/v1/anomalies/connectors", params={"sortBy": "count_asc"})
              .json()["content"]]
    assert counts == sorted(counts)
    only = api.get("/v1/anomalies/connectors", params={"connectorId": "2"}).json()
    assert [c["connectorId"] for c in only["content"]] == ["2"]
    pits = api.get("/v1/anomalies/connectors", params={"anomalyType": "ENERGY_PIT"}).json()
    assert [c["connectorId"] for c in pits["content"]] == ["2"]
    day1 = api.get("/v1/anomalies/connectors", params={"occurrenceFrom": lib.iso(T0)[:10],
                                                         "occurrenceTo": lib.iso(T0)[:10]}).json()
    assert [(c["connectorId"], c["anomalyCount"]) for c in day1["content"]] == [("1", n1)]

    r = api.get("/v1/anomalies/sessions", params={"sortBy": "count_desc"})
    body = r.json()
    assert body["pagination"]["totalCount"] == 3
    counts = [s["anomalyCount"] for s in body["content"]]
    assert counts == sorted(counts, reverse=True)
    by = {s["chargingSessionId"]: s for s in body["content"]}
    assert by[s3["sessionId"]]["anomalyCount"] == n3 and by[s3["sessionId"]]["id"] == s3["sessionId"]
    assert by[s3["sessionId"]]["aiRiskScore"] == pytest.approx(s3["anomalyScore"])
    assert by[s1["sessionId"]]["chargingPointId"] == st
    scores = [s["aiRiskScore"] for s in api.get("/v1/anomalies/sessions", params={"sortBy": "score_asc"})
              .json()["content"]]
    assert scores == sorted(scores)
    one_s = api.get("/v1/anomalies/sessions", params={"chargingSessionId": s2["sessionId"]}).json()
    assert [s["chargingSessionId"] for s in one_s["content"]] == [s2["sessionId"]]
    page = api.get("/v1/anomalies/sessions", params={"pageSize": 2, "page": 2}).json()
    assert len(page["content"]) == 1 and page["pagination"] == {"totalCount": 3, "page": 2, "size": 2}


def test_detail(api_a, api_b, station):
    s = decrease(api_a, station, evse="E-9")
    path = f"/v1/anomalies/sessions/{s['sessionId']}/categories/KWH_DECREASE/details"
    r = api_a.get(path)
    assert r.status_code == 200, lib.describe(r)
    d = r.json()
    assert d["sessionId"] == s["sessionId"] and d["chargingPointId"] == station and d["evseId"] == "E-9"
    assert d["connectorId"] == "1" and d["detectionLevel"] == "session"
    assert d["anomalyCategory"]["id"] == "KWH_DECREASE" and d["anomalyCategory"]["maxScore"] == 1
    # One merged point per timestamp with energy (kWh) and power (kW) together.
    values = lib.kwh_decrease_values()
    assert len(d["meterValues"]) == len(values) // 2
    first = d["meterValues"][0]
    assert first["timestamp"] == values[0]["timestamp"] and first["energy"] == pytest.approx(values[0]["value"])
    assert first["power"] == pytest.approx(7.4) and first["stateOfCharge"] is None
    found = lib.anomalies_of(s, "KWH_DECREASE")
    assert d["currentRiskScore"] == pytest.approx(max(a["score"] for a in found))
    assert len(d["riskScoreTimeline"]) == 1 and d["riskScoreTimeline"][0]["riskScore"] == d["currentRiskScore"]
    assert len(d["anomalyPeriods"]) == len(found)
    assert d["anomalyPeriod"]["start"] == min(a["timeRange"]["startTimestamp"] for a in found)
    assert d["anomalyPeriod"]["end"] == max(a["timeRange"]["endTimestamp"] for a in found)
    assert d["firstDetectionDate"] == d["lastUpdateDate"] and d["closedAt"] is None
    assert len(d["issues"]) == 1 and d["issues"][0]["statusName"] == "OPEN" and d["issues"][0]["history"] == []

    for bad in (f"/v1/anomalies/sessions/{s['sessionId']}/categories/NOT_A_CATEGORY/details",
                f"/v1/anomalies/sessions/{s['sessionId']}/categories/SOC_JUMP/details",
                "/v1/anomalies/sessions/no-such-session/categories/KWH_DECREASE/details"):
        lib.assert_error_body(api_a.get(bad), 404)
    lib.assert_error_body(api_b.get(path), 404)  # another tenant's session


def test_issue_workflow(env, operator):
    admin = new_tenant(env, operator)
    member = join(env, admin, f"m-{lib.uid()}@example.com", "member")
    viewer = join(env, admin, f"v-{lib.uid()}@example.com", "viewer")
    s = decrease(admin, lib.uid("CS"))
    a = one(admin, s["sessionId"], "KWH_DECREASE")
    issue = a["issues"][0]["id"]
    url = f"/v1/anomalies/issues/{issue}"

    # Viewers read but do not change issues.
    assert viewer.get("/v1/anomalies").status_code == 200
    lib.assert_error_body(viewer.put(url, {"status": "IN_PROGRESS"}), 403)
    # Refused transitions and bad bodies.
    lib.assert_validation_error(member.put(url, {"status": "RESOLVED"}), ["body", "status"], "invalid_transition")
    lib.assert_validation_error(member.put(url, {"status": "DONE"}), ["body", "status"], "enum")
    lib.assert_validation_error(member.put(url, {}), ["body", "status"], "missing")
    lib.assert_validation_error(member.put(url, {"status": "OPEN", "assignedTo": "not an email"}),
                                ["body", "assignedTo"], "value_error")
    # 'me' needs a member's token: the tenant's admin API key has no email.
    lib.assert_validation_error(admin.put(url, {"status": "IN_PROGRESS", "assignedTo": "me"}),
                                ["body", "assignedTo"], "value_error")
    lib.assert_error_body(member.put("/v1/anomalies/issues/iss_nope", {"status": "OPEN"}), 404)
    lib.assert_error_body(env.b.client.put(url, {"status": "IN_PROGRESS"}), 404)  # another tenant

    # OPEN -> IN_PROGRESS assigned to 'me' -> CONFIRMED (an incident) -> RESOLVED -> OPEN, unassigned.
    r = member.put(url, {"status": "IN_PROGRESS", "assignedTo": "me"})
    assert r.status_code == 200, lib.describe(r)
    email = r.json()["assignedTo"]
    assert email.startswith("m-") and r.json()["statusName"] == "IN_PROGRESS" and r.json()["id"] == issue
    assert [x["id"] for x in member.get("/v1/anomalies", params={"assignedTo": "me"}).json()["content"]] == [a["id"]]
    r = member.put(url, {"status": "CONFIRMED"})
    assert r.status_code == 200 and r.json()["assignedTo"] == email, lib.describe(r)
    assert admin.session_detail(s["sessionId"])["isIncident"] is True
    # A re-analysis keeps the operator's confirmation.
    r = admin.patch(f"/v1/sessions/{s['sessionId']}",
                    {"meterValues": [lib.mv(T0 + timedelta(minutes=81), 12.0)]})
    assert r.status_code == 200, lib.describe(r)
    assert admin.session_detail(s["sessionId"])["isIncident"] is True
    lib.assert_validation_error(member.put(url, {"status": "FALSE_POSITIVE"}), ["body", "status"],
                                "invalid_transition")
    assert member.put(url, {"status": "RESOLVED"}).status_code == 200
    r = admin.put(url, {"status": "OPEN", "assignedTo": None})
    assert r.status_code == 200 and r.json()["assignedTo"] is None, lib.describe(r)
    # Same status, new assignee only.
    r = admin.put(url, {"status": "OPEN", "assignedTo": "Lead@Example.com"})
    assert r.json()["assignedTo"] == "lead@example.com"
    assert admin.put(url, {"status": "FALSE_POSITIVE"}).status_code == 200

    d = admin.get(f"/v1/anomalies/sessions/{s['sessionId']}/categories/KWH_DECREASE/details").json()
    history = d["issues"][0]["history"]
    steps = [(h["fromStatus"], h["toStatus"]) for h in history]
    assert steps == [("OPEN", "IN_PROGRESS"), ("IN_PROGRESS", "CONFIRMED"), ("CONFIRMED", "RESOLVED"),
                     ("RESOLVED", "OPEN"), ("OPEN", "OPEN"), ("OPEN", "FALSE_POSITIVE")]
    assert history[0]["actor"] == email and history[0]["toAssignee"] == email
    assert history[3]["actor"].startswith("api-key:") and history[3]["toAssignee"] is None
    assert history[4]["toAssignee"] == "lead@example.com"
    assert d["issues"][0]["statusName"] == "FALSE_POSITIVE"  # kept as a label
    fp = admin.get("/v1/anomalies", params={"anomalyIssuesStatus": "FALSE_POSITIVE"}).json()
    assert [x["id"] for x in fp["content"]] == [a["id"]]


def test_tenant_isolation(api_a, api_b, station):
    s = decrease(api_a, station)
    assert anomalies(api_a, chargingSessionId=s["sessionId"])["pagination"]["totalCount"] >= 1
    assert anomalies(api_b, chargingSessionId=s["sessionId"])["pagination"]["totalCount"] == 0
    assert anomalies(api_b, chargingPointId=station)["content"] == []
    sessions_b = api_b.get("/v1/anomalies/sessions", params={"chargingSessionId": s["sessionId"]}).json()
    assert sessions_b["content"] == []


def test_anonymous_is_401(env):
    for path in ("/v1/anomalies", "/v1/anomalies/connectors", "/v1/anomalies/sessions", "/v1/anomalies/categories",
                 "/v1/statistics"):
        lib.assert_error_body(env.anonymous().get(path), 401)
