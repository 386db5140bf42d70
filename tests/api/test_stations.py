"""Stations: registry, aggregates kept in step with session writes, energy timelines, the station model
(issue #5)."""
import json
from datetime import datetime, timedelta, UTC

import pytest

import evni_testlib as lib

DAY0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def operator(env):
    proc = lib.run_cli("tenant", "create", "--name", "operator", "--super-admin", "--db", env.server.db_url)
    assert proc.returncode == 0, proc.stderr
    return env.client(json.loads(proc.stdout)["apiKey"])


@pytest.fixture
def tenant(env, operator):
    """A fresh tenant of its own, so list sorting and paging see only the test's stations."""
    r = operator.post("/v1/tenants", {"name": "t-" + lib.uid()})
    assert r.status_code == 200, lib.describe(r)
    return env.client(r.json()["apiKey"])


def charge(start: datetime, minutes: int = 120, kw: float = 7.4, step_min: int = 15) -> list[dict]:
    return [lib.mv(start + timedelta(minutes=m), round(kw * m / 60, 3)) for m in range(0, minutes + 1, step_min)]


def post(api, sid, station, values, connector="1", **extra):
    body = {"sessionId": sid, "chargingStationId": station, "connectorId": connector, "meterValues": values}
    body.update(extra)
    r = api.post("/v1/sessions", body)
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def get_ok(api, path, **params):
    r = api.get(path, params=params)
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def recomputed(api, station):
    """Station aggregates recomputed from the sessions API."""
    sessions = []
    page = 1
    while True:
        body = api.list_sessions(chargingStationId=station, page=page, pageSize=1000)
        sessions += body["content"]
        if len(sessions) >= body["pagination"]["totalCount"]:
            break
        page += 1
    per_connector = {}
    for s in sessions:
        c = per_connector.setdefault(s["connectorId"], {"total": 0, "anomalous": 0, "scores": []})
        c["total"] += 1
        c["anomalous"] += 1 if s["isAnomaly"] else 0
        if s["anomalyScore"] is not None:
            c["scores"].append(s["anomalyScore"])
    categories = {}
    for s in sessions:
        for a in api.session_detail(s["sessionId"])["anomalies"]:
            key = (s["connectorId"], a["category"])
            categories[key] = categories.get(key, 0) + 1
    scores = [s["anomalyScore"] for s in sessions if s["anomalyScore"] is not None]
    return {
        "total": len(sessions),
        "anomalous": sum(1 for s in sessions if s["isAnomaly"]),
        "max": max(scores) if scores else None,
        "connectors": per_connector,
        "categories": categories,
    }


def assert_consistent(api, station):
    want = recomputed(api, station)
    detail = get_ok(api, f"/v1/stations/{station}")
    assert detail["totalSessions"] == want["total"]
    assert detail["anomalousSessions"] == want["anomalous"]
    assert detail["maxScore"] == pytest.approx(want["max"]) if want["max"] is not None else detail["maxScore"] is None
    listed = get_ok(api, "/v1/stations", ocpp_charging_station_id=station)["content"]
    assert len(listed) == 1 and listed[0]["totalAnomalies"] == want["anomalous"]
    assert listed[0]["totalSessions"] == want["total"]
    connectors = {c["connectorId"]: c for c in get_ok(api, f"/v1/stations/{station}/connectors")["connectors"]}
    for cid, c in want["connectors"].items():
        if cid is None:
            continue
        assert connectors[cid]["totalSessions"] == c["total"], cid
        assert connectors[cid]["anomalousSessions"] == c["anomalous"], cid
        if c["scores"]:
            assert connectors[cid]["maxScore"] == pytest.approx(max(c["scores"]))
    for cid, conn in connectors.items():
        if cid not in want["connectors"]:
            assert conn["totalSessions"] == 0 and conn["anomalousSessions"] == 0
        want_cats = {cat: n for (c, cat), n in want["categories"].items() if c == cid}
        assert conn["anomalyCategories"] == want_cats, cid
    station_cats = {}
    for (_, cat), n in want["categories"].items():
        station_cats[cat] = station_cats.get(cat, 0) + n
    assert detail["anomalyCategories"] == station_cats


def test_registry_detail_and_aggregates(api_a, station):
    clean = post(api_a, lib.uid(), station, lib.clean_ac_values(60), connector="1", evseId="NL*EVN*E1")
    bad = post(api_a, lib.uid(), station, lib.kwh_decrease_values(), connector="2")
    assert bad["isAnomaly"] is True and clean["isAnomaly"] is False
    detail = get_ok(api_a, f"/v1/stations/{station}")
    assert detail["chargingStationId"] == station
    assert detail["totalSessions"] == 2 and detail["anomalousSessions"] == 1
    assert detail["maxScore"] == pytest.approx(bad["anomalyScore"])
    assert detail["lastAnomalyDate"] is not None
    assert detail["anomalyCategories"].get("KWH_DECREASE", 0) >= 1
    assert [c["connectorId"] for c in detail["connectors"]] == ["1", "2"]
    assert detail["connectors"][0]["evseId"] == "NL*EVN*E1"
    assert detail["connectors"][1]["anomalousSessions"] == 1
    conns = get_ok(api_a, f"/v1/stations/{station}/connectors")
    assert conns["chargingStationId"] == station
    assert conns["connectors"][1]["anomalyCategories"].get("KWH_DECREASE", 0) >= 1
    assert conns["connectors"][0]["anomalyCategories"] == {}
    assert station in get_ok(api_a, "/v1/stations/lookup")["items"]
    assert_consistent(api_a, station)


def test_aggregates_follow_upserts_replaces_appends(api_a, station):
    sid = lib.uid()
    post(api_a, sid, station, lib.kwh_decrease_values(), connector="1")
    other = lib.uid()
    later = lib.T0 + timedelta(hours=3)
    post(api_a, other, station, lib.clean_ac_values(30, later), connector="1")
    assert_consistent(api_a, station)
    before = get_ok(api_a, f"/v1/stations/{station}")
    assert before["anomalousSessions"] == 1
    # Replace the anomalous session with clean values: counts fall and the max score is recomputed.
    r = api_a.put(f"/v1/sessions/{sid}", {"meterValues": lib.clean_ac_values(60)})
    assert r.status_code == 200, lib.describe(r)
    after = get_ok(api_a, f"/v1/stations/{station}")
    assert after["anomalousSessions"] == 0 and after["totalSessions"] == 2
    assert after["maxScore"] < before["maxScore"]
    assert after["lastAnomalyDate"] is None
    assert_consistent(api_a, station)
    # Append values that make it anomalous again (a register decrease), then move it to connector 2.
    start = lib.T0 + timedelta(minutes=61)
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": [lib.mv(start, 2.0), lib.mv(start + timedelta(minutes=1), 2.1)]})
    assert r.status_code == 200, lib.describe(r)
    assert_consistent(api_a, station)
    r = api_a.post("/v1/sessions", {"sessionId": sid, "chargingStationId": station, "connectorId": "2"})
    assert r.status_code == 200, lib.describe(r)
    assert_consistent(api_a, station)
    # Upsert with the same values again (a retried POST): nothing changes.
    snapshot = get_ok(api_a, f"/v1/stations/{station}")
    post(api_a, other, station, lib.clean_ac_values(30, later), connector="1")
    again = get_ok(api_a, f"/v1/stations/{station}")
    assert again["totalSessions"] == snapshot["totalSessions"]
    assert again["anomalousSessions"] == snapshot["anomalousSessions"]
    assert_consistent(api_a, station)


def test_metadata_merged_never_lost(api_a, station):
    post(api_a, lib.uid(), station, charge(lib.T0, 30), connector="1",
         metadata={"address": "Keizersgracht 100, Amsterdam", "operator": "FastNed", "site": {"floor": 1}})
    post(api_a, lib.uid(), station, charge(lib.T0 + timedelta(hours=2), 30), connector="2",
         metadata={"maxPowerKw": 22, "currentType": "AC", "phases": 3, "site": {"spot": "B2"}})
    detail = get_ok(api_a, f"/v1/stations/{station}")
    md = detail["metadata"]
    assert md["address"] == "Keizersgracht 100, Amsterdam" and md["operator"] == "FastNed"
    assert md["site"] == {"floor": 1, "spot": "B2"} and md["maxPowerKw"] == 22
    c2 = [c for c in detail["connectors"] if c["connectorId"] == "2"][0]
    assert c2["metadata"] == {"maxPowerKw": 22, "currentType": "AC", "phases": 3}
    c1 = [c for c in detail["connectors"] if c["connectorId"] == "1"][0]
    assert c1["metadata"] is None


def test_list_filters_sorting_paging(tenant):
    stations = {"S-A": 0, "S-B": 1, "S-C": 2}
    for name, n_bad in stations.items():
        post(tenant, lib.uid(), name, lib.clean_ac_values(30))
        for i in range(n_bad):
            post(tenant, lib.uid(), name, lib.kwh_decrease_values(lib.T0 + timedelta(hours=2 + 2 * i)))
    body = get_ok(tenant, "/v1/stations")
    assert [s["chargingStationId"] for s in body["content"]] == ["S-A", "S-B", "S-C"]
    assert body["pagination"] == {"totalCount": 3, "page": 1, "size": 50}
    s = body["content"][1]
    assert s["id"] == "S-B" and s["ocppChargingStationId"] == "S-B" and s["totalAnomalies"] == 1
    desc = get_ok(tenant, "/v1/stations", sortByAnomalies="desc")["content"]
    assert [s["chargingStationId"] for s in desc] == ["S-C", "S-B", "S-A"]
    asc = get_ok(tenant, "/v1/stations", sortByScore="asc")["content"]
    assert asc[0]["chargingStationId"] == "S-A" and asc[0]["aiScore"] <= asc[-1]["aiScore"]
    page2 = get_ok(tenant, "/v1/stations", page=2, pageSize=2)
    assert [s["chargingStationId"] for s in page2["content"]] == ["S-C"]
    assert page2["pagination"] == {"totalCount": 3, "page": 2, "size": 2}
    assert len(get_ok(tenant, "/v1/stations", limit=1)["content"]) == 1
    only = get_ok(tenant, "/v1/stations", ocpp_charging_station_id="S-B")
    assert only["pagination"]["totalCount"] == 1
    # Occurrence bounds filter on the last anomaly date (S-A has none).
    last = get_ok(tenant, "/v1/stations/S-C")["lastAnomalyDate"]
    day = last[:10]
    within = get_ok(tenant, "/v1/stations", occurrenceFrom=day, occurrenceTo=day)["content"]
    assert {s["chargingStationId"] for s in within} == {"S-B", "S-C"}
    assert get_ok(tenant, "/v1/stations", occurrenceFrom="2099-01-01")["content"] == []
    assert get_ok(tenant, "/v1/stations/lookup") == {"items": ["S-A", "S-B", "S-C"]}
    lib.assert_validation_error(tenant.get("/v1/stations", params={"sortByScore": "up"}), ["query", "sortByScore"])
    lib.assert_validation_error(tenant.get("/v1/stations", params={"occurrenceFrom": "nope"}),
                                ["query", "occurrenceFrom"])
    lib.assert_validation_error(tenant.get("/v1/stations", params={"pageSize": 0}), ["query", "pageSize"])


ENDPOINTS = ["", "/connectors", "/energy", "/inference", "/shade-overview", "/anomalies"]


@pytest.mark.parametrize("suffix", ENDPOINTS)
def test_unknown_station_is_404(api_a, suffix):
    lib.assert_error_body(api_a.get(f"/v1/stations/{lib.uid('nope')}{suffix}"), 404)


@pytest.mark.parametrize("suffix", ENDPOINTS)
def test_tenant_isolation(api_a, api_b, station, suffix):
    post(api_a, lib.uid(), station, charge(lib.T0))
    assert api_a.get(f"/v1/stations/{station}{suffix}").status_code == 200
    lib.assert_error_body(api_b.get(f"/v1/stations/{station}{suffix}"), 404)
    assert station not in get_ok(api_b, "/v1/stations/lookup")["items"]
    assert get_ok(api_b, "/v1/stations", ocpp_charging_station_id=station)["content"] == []


def test_energy_spread_over_delivery(api_a, station):
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    post(api_a, lib.uid(), station, charge(start, 120, kw=7.4), connector="1")  # 10:00-12:00
    post(api_a, lib.uid(), station, charge(start + timedelta(minutes=30), 60, kw=11.0), connector="2")  # 10:30-11:30
    body = get_ok(api_a, f"/v1/stations/{station}/energy")
    assert body["chargingStationId"] == station
    assert body["dateTo"] == "2026-03-02T12:00:00Z"
    assert len(body["energyConsumptionStation"]) == 24
    by_hour = {p["timestamp"]: p["energy"] for p in body["energyConsumptionStation"]}
    assert by_hour["2026-03-02T10:00:00Z"] == pytest.approx(7.4 + 5.5, abs=0.01)
    assert by_hour["2026-03-02T11:00:00Z"] == pytest.approx(7.4 + 5.5, abs=0.01)
    assert by_hour["2026-03-02T09:00:00Z"] == 0
    assert body["energyDelivered"] == pytest.approx(14.8 + 11.0, abs=0.01)
    conns = {c["connectorId"]: c["energy"] for c in body["energyConsumptionConnectors"]}
    assert sum(p["energy"] for p in conns["2"]) == pytest.approx(11.0, abs=0.01)
    # dateTo moves the window: the day before holds nothing.
    earlier = get_ok(api_a, f"/v1/stations/{station}/energy", dateTo="2026-03-01")
    assert earlier["energyDelivered"] == 0 and earlier["dateTo"] == "2026-03-02T00:00:00Z"
    lib.assert_validation_error(api_a.get(f"/v1/stations/{station}/energy", params={"dateTo": "x"}),
                                ["query", "dateTo"])
    lib.assert_error_body(api_a.get(f"/v1/stations/{station}/energy", params={"anomalyId": "nope"}), 404)


def test_energy_lists_session_anomalies(api_a, station):
    post(api_a, lib.uid(), station, lib.kwh_decrease_values())
    body = get_ok(api_a, f"/v1/stations/{station}/energy")
    assert body["anomalyOccurrences"], body
    lib.parse_ts(body["anomalyOccurrences"][0])


def test_inference_on_demand_with_little_history(api_a, station):
    day = datetime(2026, 3, 2, tzinfo=UTC)
    post(api_a, lib.uid(), station, charge(day + timedelta(hours=9), 120))
    r = get_ok(api_a, f"/v1/stations/{station}/inference", date="2026-03-02")
    assert r["chargingStationId"] == station and r["day"] == "2026-03-02"
    assert r["isAnomaly"] is False and 0 <= r["anomalyScore"] < 0.5
    d = r["detectionDetails"]
    assert d["anomaly_type"] is None and d["affected_period"] == "2026-03-02"
    assert d["actual_energy_kwh"] == pytest.approx(14.8, abs=0.01) and d["enough_history"] is False
    # Stored: asking again returns the same result; the history lists it.
    assert get_ok(api_a, f"/v1/stations/{station}/inference", date="2026-03-02")["inferenceId"] == r["inferenceId"]
    assert get_ok(api_a, f"/v1/stations/{station}/inference")["inferenceId"] == r["inferenceId"]
    hist = get_ok(api_a, f"/v1/stations/{station}/anomalies")
    assert hist["pagination"]["totalCount"] == 1 and hist["content"][0]["inferenceId"] == r["inferenceId"]
    ov = get_ok(api_a, f"/v1/stations/{station}/shade-overview", date="2026-03-02")
    assert len(ov["energyTimeline"]) == 1440 and ov["anomalyMarkers"] == [] and ov["isAnomaly"] is False
    assert ov["energyTimeline"][0]["timestamp"] == "2026-03-02T00:01:00Z"
    assert ov["energyTimeline"][-1]["timestamp"] == "2026-03-03T00:00:00Z"
    assert ov["energyTimeline"][-1]["cumulativeKwh"] == pytest.approx(14.8, abs=0.01)
    assert ov["energyTimeline"][10 * 60 - 1]["timestamp"] == "2026-03-02T10:00:00Z"
    assert ov["energyTimeline"][10 * 60 - 1]["cumulativeKwh"] == pytest.approx(7.4, abs=0.01)
    lib.assert_validation_error(api_a.get(f"/v1/stations/{station}/inference", params={"date": "bad"}),
                                ["query", "date"])


def test_station_model_finds_outage_and_connector_down(api_a, station):
    # Three weeks of regular use on two connectors: 3 two-hour charges a day on each.
    for d in range(21):
        day = DAY0 + timedelta(days=d)
        for connector in ("1", "2"):
            for hour in (8, 12, 16):
                start = day + timedelta(hours=hour, minutes=10 if connector == "2" else 0)
                post(api_a, f"{station}-{d}-{connector}-{hour}", station, charge(start, 120), connector=connector)
    # Day 21: connector 2 silent all day; day 22: nothing at all; day 23: normal again.
    for hour in (8, 12, 16):
        post(api_a, lib.uid(), station, charge(DAY0 + timedelta(days=21, hours=hour), 120), connector="1")
    for connector in ("1", "2"):
        post(api_a, lib.uid(), station, charge(DAY0 + timedelta(days=23, hours=9), 120), connector=connector)
    normal = get_ok(api_a, f"/v1/stations/{station}/inference", date="2026-01-23")
    assert normal["isAnomaly"] is False, normal
    assert normal["detectionDetails"]["enough_history"] is True
    down = get_ok(api_a, f"/v1/stations/{station}/inference", date="2026-01-26")
    assert down["isAnomaly"] is True and down["detectionDetails"]["anomaly_type"] == "connector_down", down
    assert down["detectionDetails"]["connector_id"] == "2"
    assert 0.5 <= down["anomalyScore"] <= 1
    outage = get_ok(api_a, f"/v1/stations/{station}/inference", date="2026-01-27")
    assert outage["isAnomaly"] is True and outage["detectionDetails"]["anomaly_type"] == "outage", outage
    d = outage["detectionDetails"]
    assert d["actual_energy_kwh"] == 0 and d["expected_energy_kwh"] > 50 and d["affected_period"] == "2026-01-27"
    ov = get_ok(api_a, f"/v1/stations/{station}/shade-overview", date="2026-01-27")
    assert ov["isAnomaly"] is True and ov["anomalyMarkers"] and ov["dayScore"] == outage["anomalyScore"]
    hist = get_ok(api_a, f"/v1/stations/{station}/anomalies", pageSize=2)
    assert hist["pagination"]["totalCount"] == 3
    assert [h["day"] for h in hist["content"]] == ["2026-01-27", "2026-01-26"]
    # The energy view of an anomaly shows its day.
    e = get_ok(api_a, f"/v1/stations/{station}/energy", anomalyId=outage["inferenceId"])
    assert e["dateFrom"] == "2026-01-27T00:00:00Z" and e["energyDelivered"] == 0


def test_uptime_statistic_counts_station_model_outages(tenant):
    """GET /v1/statistics takes its outages from the station model (docs/statistics.md): a whole-day
    connector_down is one port-day out, a whole-day outage every port of the station."""
    station = "UP-" + lib.uid()
    for d in range(21):
        day = DAY0 + timedelta(days=d)
        for connector in ("1", "2"):
            for hour in (8, 12, 16):
                start = day + timedelta(hours=hour, minutes=10 if connector == "2" else 0)
                post(tenant, lib.uid(), station, charge(start, 120), connector=connector)
    for hour in (8, 12, 16):
        post(tenant, f"{station}-down-{hour}", station, charge(DAY0 + timedelta(days=21, hours=hour), 120),
             connector="1")
    for connector in ("1", "2"):
        post(tenant, lib.uid(), station, charge(DAY0 + timedelta(days=23, hours=9), 120), connector=connector)
    params = {"occurrenceFrom": "2026-01-26T00:00:00Z", "occurrenceTo": "2026-01-28T00:00:00Z"}
    before = get_ok(tenant, "/v1/statistics", **params)
    assert before["uptimeBasis"]["outageMinutes"] is None and before["uptimePercentage"] == 100
    assert before["uptimeBasis"]["outageSource"] == "station_model"
    down = get_ok(tenant, f"/v1/stations/{station}/inference", date="2026-01-26")
    outage = get_ok(tenant, f"/v1/stations/{station}/inference", date="2026-01-27")
    assert down["detectionDetails"]["anomaly_type"] == "connector_down", down
    assert outage["detectionDetails"]["anomaly_type"] == "outage", outage
    stats = get_ok(tenant, "/v1/statistics", **params)
    basis = stats["uptimeBasis"]
    assert basis["ports"] == 2
    assert basis["outageMinutes"] == pytest.approx(1 * 1440 + 2 * 1440)
    # 100 × (T·P − O) / (T·P) with T = 2 days in minutes, P = 2 ports.
    assert stats["uptimePercentage"] == pytest.approx(100 * (2880 * 2 - 4320) / (2880 * 2), abs=0.01)
    # Explanations quote the station model's verdict on the session's day once it exists.
    text = get_ok(tenant, f"/v1/sessions/{station}-down-8/explain", lang="en", style="technical", refresh="true")
    assert "2026-01-26" in text["explanation"], text
