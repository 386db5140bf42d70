"""GET /v1/statistics (issue #6) on a constructed data set whose figures the test computes by hand from the meter
values it sends (docs/statistics.md defines each field). A server of its own runs the statistics.data_quality job
every second."""
import time
from datetime import datetime, timedelta, timezone

import pytest

import evni_testlib as lib

T0 = lib.T0
LEAK_CATEGORIES = {"KWH_DECREASE", "METER_RESET", "STUCK_REGISTER", "ENERGY_POWER_MISMATCH"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("statistics")
    db = lib.new_database(workdir)
    tenants = [lib.create_tenant(lib.db_url(db), name) for name in ("stats-a", "stats-b")]
    srv = lib.EvniServer(db, workdir, name="statistics", extra_args=("--statistics-interval", "1")).start()
    # Right after start the job has not run yet (its first run is 2 s after start).
    first = lib.ApiClient(srv.base_url, tenants[0]["apiKey"]).get("/v1/statistics")
    yield srv, [lib.ApiClient(srv.base_url, t["apiKey"]) for t in tenants], first
    assert srv.stop() == 0


def series(values, measurand):
    return [(lib.parse_ts(v["timestamp"]), v["value"]) for v in values if v.get("measurand") == measurand]


def expected_energy(values):
    """(register delta, delivered estimate) as docs/statistics.md defines them."""
    energy = series(values, lib.ENERGY)
    delta = energy[-1][1] - energy[0][1]
    increments = sum(max(0.0, b[1] - a[1]) for a, b in zip(energy, energy[1:]))
    power = series(values, lib.POWER)
    integral = sum((b[0] - a[0]).total_seconds() / 3600 * (a[1] + b[1]) / 2 for a, b in zip(power, power[1:]))
    return delta, max(increments, integral)


def wait_for_measurements(api, sessions, after, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        s = api.get("/v1/statistics").json()
        dq = s["dataQuality"]
        if (dq and lib.parse_ts(dq["computedAt"]) > after and s["revenueBasis"]["measuredSessions"] == sessions):
            return s
        assert time.monotonic() < deadline, f"statistics.data_quality did not catch up: {s}"
        time.sleep(0.3)


def test_statistics_on_a_constructed_data_set(server):
    srv, (api, other), first = server
    assert first.status_code == 200, lib.describe(first)
    assert first.json()["dataQuality"] is None
    assert first.json()["totalSessions"] == 0 and first.json()["uptimePercentage"] == 100

    r = api.put("/v1/organization", {"name": "Stats BV", "tariffPerKwh": 0.4, "currency": "EUR"})
    assert r.status_code == 200, lib.describe(r)
    # s1: a register decrease, its own tariff; s2: clean, a total cost; s3: an energy pit, the organization's
    # tariff, on another station a day later.
    v1 = lib.kwh_decrease_values()
    v2 = lib.clean_ac_values(60)
    v3 = lib.energy_pit_values(T0 + timedelta(days=1))
    s1 = api.create_session({"sessionId": "s1", "chargingStationId": "CS-A", "connectorId": "1", "meterValues": v1,
                             "metadata": {"tariffPerKwh": 0.5}})
    s2 = api.create_session({"sessionId": "s2", "chargingStationId": "CS-A", "connectorId": "2", "meterValues": v2,
                             "metadata": {"totalCost": 5.0}})
    s3 = api.create_session({"sessionId": "s3", "chargingStationId": "CS-B", "connectorId": "1", "meterValues": v3})
    written = datetime.now(timezone.utc)
    assert s1["anomalies"] and not s2["anomalies"] and s3["anomalies"], (s1, s2, s3)

    stats = wait_for_measurements(api, 3, written)

    d1, delivered1 = expected_energy(v1)
    d3, _ = expected_energy(v3)
    revenue = {"s1": d1 * 0.5, "s2": 5.0, "s3": d3 * 0.4}
    anomalous = [s for s in (s1, s2, s3) if s["anomalies"]]
    cats = {s["sessionId"]: {a["category"] for a in s["anomalies"]} for s in (s1, s2, s3)}
    leak = 0.0
    if cats["s1"] & LEAK_CATEGORIES:
        leak += (delivered1 - d1) * 0.5
    assert leak > 0  # the register fell 3 kWh while 7.4 kW kept flowing

    assert stats["totalSessions"] == 3
    assert stats["totalRevenue"] == pytest.approx(sum(revenue.values()))
    assert stats["revenueAtRisk"] == pytest.approx(sum(revenue[s["sessionId"]] for s in anomalous))
    assert stats["revenueLeakEstimate"] == pytest.approx(leak)
    total = sum(len(c) for c in cats.values())
    assert stats["totalAnomaliesCount"] == total
    assert stats["activeAnomaliesCount"] == total
    assert stats["sessionsWithAnomaliesCount"] == len(anomalous)
    assert stats["chargingStationsWithAnomaliesCount"] == len({s["chargingStationId"] for s in anomalous})
    assert stats["connectorsWithAnomaliesCount"] == len({(s["chargingStationId"], s["connectorId"])
                                                         for s in anomalous})
    assert stats["uptimePercentage"] == 100 and stats["uptimeDelta"] == 0
    assert stats["uptimeBasis"]["ports"] == 3 and stats["uptimeBasis"]["outageMinutes"] is None
    assert stats["revenueBasis"]["defaultTariffPerKwh"] == 0.4 and stats["revenueBasis"]["currency"] == "EUR"
    assert stats["revenueBasis"]["unpricedSessions"] == 0 and stats["revenueBasis"]["note"] is None

    # ranges: the sessions started in March 2026, so the last 7 and 30 days hold none of them.
    assert stats["ranges"]["all"]["totalSessions"] == 3
    assert stats["ranges"]["all"]["totalRevenue"] == pytest.approx(stats["totalRevenue"])
    assert stats["ranges"]["all"]["totalAnomaliesCount"] == total
    for window in ("7d", "30d"):
        assert stats["ranges"][window]["totalSessions"] == 0
        assert stats["ranges"][window]["totalAnomaliesCount"] == 0

    dq = stats["dataQuality"]["all"]
    assert dq["sessions"] == 3 and dq["notMeasured"] == 0
    assert dq["withReconstructedSoc"] == 2  # s1 and s3 report no SoC
    assert dq["withMissingMeasurands"] == 0 and dq["withDuplicates"] == 0 and dq["withInvalidTimestamps"] == 0
    assert dq["withGaps"] == sum(1 for c in cats.values() if "DATA_GAP" in c)
    assert dq["percentages"]["reconstructedSoc"] == pytest.approx(200 / 3)
    assert stats["dataQuality"]["7d"]["sessions"] == 0

    # A period: sessions by start, anomalies by occurrence.
    day2 = lib.iso(T0 + timedelta(days=1))[:10]
    p = api.get("/v1/statistics", params={"occurrenceFrom": day2, "occurrenceTo": day2}).json()
    assert p["totalSessions"] == 1
    assert p["totalRevenue"] == pytest.approx(revenue["s3"])
    assert p["totalAnomaliesCount"] == len(cats["s3"])
    assert p["chargingStationsWithAnomaliesCount"] == 1
    assert p["uptimeBasis"]["periodFrom"] == day2 + "T00:00:00Z"
    lib.assert_validation_error(api.get("/v1/statistics", params={"occurrenceFrom": "soon"}),
                                ["query", "occurrenceFrom"], "datetime_parsing")
    lib.assert_validation_error(api.get("/v1/statistics", params={"occurrenceFrom": "2026-03-05",
                                                                  "occurrenceTo": "2026-03-01"}),
                                ["query", "occurrenceFrom"])

    # Issues closed as false positives are no longer active.
    item = api.get("/v1/anomalies", params={"chargingSessionId": "s3"}).json()["content"][0]
    r = api.put(f"/v1/anomalies/issues/{item['issues'][0]['id']}", {"status": "FALSE_POSITIVE"})
    assert r.status_code == 200, lib.describe(r)
    after = api.get("/v1/statistics").json()
    assert after["activeAnomaliesCount"] == total - 1 and after["totalAnomaliesCount"] == total

    # Tenant isolation, and a session that has energy but no price at all.
    assert other.get("/v1/statistics").json()["totalSessions"] == 0
    other.create_session({"sessionId": "x1", "chargingStationId": "CS-X", "connectorId": "1", "meterValues": v2})
    o = wait_for_measurements(other, 1, datetime.now(timezone.utc))
    assert o["totalSessions"] == 1 and o["totalRevenue"] == 0
    assert o["revenueBasis"]["unpricedSessions"] == 1 and "tariff" in o["revenueBasis"]["note"]
    assert api.get("/v1/statistics").json()["totalSessions"] == 3


def test_statistics_roles(server, env):
    # Viewers may read statistics; the shared server's tenant starts with an admin key.
    r = env.a.client.get("/v1/statistics")
    assert r.status_code == 200, lib.describe(r)
    body = r.json()
    assert set(body["ranges"]) == {"7d", "30d", "all"}
