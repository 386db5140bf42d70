"""Sessions: create/upsert, detail, replace, append, status, verdicts and the list with its filters."""

from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

import evni_testlib as lib
from evni_testlib import ENERGY, POWER, SOC, T0, mv


# ------------------------------------------------------------------------------------------------------------------
# Create and detail


def test_create_empty_session_is_pending(api_a, station):
    sid = lib.uid()
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "connectorId": "2",
                              "evseId": "NL*ABC*E12345", "metadata": {"site": "depot", "n": 3}})
    lib.assert_session_shape(s)
    assert s["sessionId"] == sid and s["chargingStationId"] == station
    assert s["connectorId"] == "2" and s["evseId"] == "NL*ABC*E12345"
    assert s["metadata"] == {"site": "depot", "n": 3}
    assert s["status"] == "pending"
    assert s["stopReason"] is None
    lib.assert_pending(s)
    d = api_a.session_detail(sid)
    lib.assert_session_shape(d, detail=True)
    assert d["meterValues"] == [] and d["reconstructedSoc"] == [] and d["sorcConfidence"] is None
    assert d["createdAt"] == s["createdAt"]


def test_optional_fields_default_to_null(api_a, station):
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station})
    assert s["connectorId"] is None and s["evseId"] is None and s["stopReason"] is None
    assert s["metadata"] in (None, {})


@pytest.mark.parametrize("n", [1, 2])
def test_fewer_than_three_values_not_analysed(api_a, station, n):
    sid = lib.uid()
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station,
                              "meterValues": lib.energy_values(n)})
    assert s["status"] == "pending"
    lib.assert_pending(s)
    lib.assert_pending(api_a.session_detail(sid))


def test_reference_example_is_soc_decrease(api_a):
    sid = lib.uid("ref")
    body = lib.reference_example(sid, station=lib.uid("CP-NL-AMS"))
    s = api_a.create_session(body)
    lib.assert_session_shape(s)
    assert s["status"] == "active"
    lib.assert_analysed(s, body["meterValues"])
    assert s["isAnomaly"] is True, s
    soc = lib.anomalies_of(s, "SOC_DECREASE")
    assert soc, f"expected SOC_DECREASE: {s['anomalies']}"
    assert max(a["score"] for a in soc) >= 0.5, soc
    assert s["anomalyScore"] >= 0.5
    assert s["socReconstructed"] is False
    # The detail returns the same verdict.
    d = api_a.session_detail(sid)
    for field in ("isAnomaly", "anomalyScore", "anomalyConfidence", "isIncident", "isRecurring", "anomalies",
                  "analyzedAt", "status", "message"):
        assert d[field] == s[field], field


def test_clean_ac_session_is_normal(api_a, station):
    body = lib.clean_ac_session(lib.uid(), station, minutes=90)
    s = api_a.create_session(body)
    assert s["status"] == "active"
    lib.assert_analysed(s, body["meterValues"])
    assert s["isAnomaly"] is False, s
    assert s["anomalies"] == [], s
    assert s["anomalyScore"] < 0.5


def test_kwh_decrease(api_a, station):
    values = lib.kwh_decrease_values()
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    lib.assert_analysed(s, values)
    assert s["isAnomaly"] is True, s
    found = lib.anomalies_of(s, "KWH_DECREASE")
    assert found, s["anomalies"]
    drop = T0 + timedelta(minutes=lib.KWH_DROP_MINUTE)
    assert any(lib.overlaps(a, drop, drop + timedelta(minutes=1)) for a in found), found
    # Bucket units count 15 s slots from the first reading: the drop is near slot 4 * 40 = 160.
    assert any(a["bucketRange"] and a["bucketRange"]["startUnit"] <= 4 * lib.KWH_DROP_MINUTE + 4
               and a["bucketRange"]["endUnit"] >= 4 * lib.KWH_DROP_MINUTE - 4 for a in found), found


@pytest.mark.parametrize("with_offered", [True, False])
def test_energy_pit(api_a, station, with_offered):
    values = lib.energy_pit_values(with_offered=with_offered)
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    lib.assert_analysed(s, values)
    assert s["isAnomaly"] is True, s
    found = lib.anomalies_of(s, "ENERGY_PIT")
    assert found, s["anomalies"]
    pit_start = T0 + timedelta(minutes=lib.PIT_FROM_MINUTE)
    pit_end = T0 + timedelta(minutes=lib.PIT_TO_MINUTE)
    assert any(lib.overlaps(a, pit_start, pit_end) for a in found), found


def test_detail_echoes_meter_values_sorted(api_a, station):
    sid = lib.uid()
    values = [
        mv("2026-02-27T10:30:00Z", 11.1, ENERGY, "kWh"),
        mv("2026-02-27T11:00:00+01:00", 0, ENERGY, "kWh", phase=None, location="Outlet"),  # = 10:00Z
        mv("2026-02-27T10:15:00", "5.5", ENERGY, "kWh", location="Outlet"),  # no offset = UTC, numeric string
        mv("2026-02-27T10:15:00.500Z", 7360, POWER, "W", phase="L1", location="Outlet", reconstructed=True),
        mv("2026-02-27T10:00:00Z", 45, SOC, "Percent", location="EV"),
        mv("2026-02-27T05:15:00.25-05:00", 22.5, "Current.Import", "A", phase="L2"),  # = 10:15:00.250Z
    ]
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values})
    d = api_a.session_detail(sid)
    got = d["meterValues"]
    assert len(got) == len(values)
    for v in got:
        assert {"timestamp", "value", "measurand", "unit", "phase", "location", "reconstructed"} <= v.keys(), v
    # Sorted by timestamp; equal timestamps keep the order they were sent in.
    assert [v["timestamp"] for v in got] == [
        "2026-02-27T10:00:00Z",
        "2026-02-27T10:00:00Z",
        "2026-02-27T10:15:00Z",
        "2026-02-27T10:15:00.250Z",
        "2026-02-27T10:15:00.500Z",
        "2026-02-27T10:30:00Z",
    ]
    assert [(v["measurand"], v["value"]) for v in got] == [
        (ENERGY, 0), (SOC, 45), (ENERGY, 5.5), ("Current.Import", 22.5), (POWER, 7360), (ENERGY, 11.1),
    ]
    assert got[4]["unit"] == "W" and got[4]["phase"] == "L1" and got[4]["reconstructed"] is True
    assert got[1]["unit"] == "Percent" and got[1]["location"] == "EV"
    assert got[2]["value"] == 5.5 and isinstance(got[2]["value"], (int, float))
    assert got[0]["phase"] is None and got[0]["location"] == "Outlet"
    assert got[3]["phase"] == "L2" and got[3]["location"] is None
    assert all(v["reconstructed"] is False for i, v in enumerate(got) if i != 4)
    # One SoC reading only: the overlay is anchored on it (45 % at 10:00) and is not a meter value.
    assert d["socReconstructed"] is True and d["reconstructedSoc"][0] == {"timestamp": "2026-02-27T10:00:00Z",
                                                                          "value": 45}
    assert 0 <= d["sorcConfidence"] <= 1


def test_measurand_and_unit_may_be_omitted_or_null(api_a, station):
    sid = lib.uid()
    values = [{"timestamp": lib.iso(T0 + timedelta(minutes=i)), "value": 1000 * i} for i in range(3)]
    values.append({"timestamp": lib.iso(T0 + timedelta(minutes=3)), "value": 3000, "measurand": None, "unit": None,
                   "phase": None, "location": None})
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values})
    assert s["status"] in ("active", "failed"), s
    got = api_a.session_detail(sid)["meterValues"]
    assert len(got) == 4
    assert all(v["measurand"] is None and v["unit"] is None for v in got), got


def test_unknown_session_is_404(api_a):
    r = api_a.get("/v1/sessions/" + lib.uid("missing"))
    body = lib.assert_error_body(r, 404)
    assert body["detail"] == "Session not found"


def test_session_id_with_special_characters(api_a, station):
    # Percent-encoded in the path; '+' in a path is a plus, not a space.
    sid = lib.uid("sess:2026 02+27#1?x=%")
    api_a.create_session({"sessionId": sid, "chargingStationId": station})
    d = api_a.session_detail(quote(sid, safe=""))
    assert d["sessionId"] == sid
    plus_only = lib.uid("a+b")
    api_a.create_session({"sessionId": plus_only, "chargingStationId": station})
    assert api_a.session_detail(plus_only)["sessionId"] == plus_only
    lib.assert_error_body(api_a.get("/v1/sessions/" + plus_only.replace("+", " ")), 404)


def test_session_id_with_slash(api_a, station):
    """Any string of 1..255 characters is a valid sessionId; one with '/' must be reachable as %2F in the path."""
    sid = lib.uid("tx/2026/02")
    api_a.create_session({"sessionId": sid, "chargingStationId": station})
    path = "/v1/sessions/" + quote(sid, safe="")
    r = api_a.get(path)
    assert r.status_code == 200, lib.describe(r)
    assert r.json()["sessionId"] == sid
    r = api_a.patch(path, {"meterValues": lib.energy_values(3)})
    assert r.status_code == 200, lib.describe(r)


def test_unset_charger_clock_timestamps_accepted(api_a, station):
    """A charger whose clock was not set after boot sends 1970 timestamps: accepted (analysis may flag them)."""
    values = [mv(f"1970-01-01T00:0{i}:00Z", i * 0.1) for i in range(3)]
    r = api_a.post("/v1/sessions", {"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    assert r.status_code == 200, lib.describe(r)


# ------------------------------------------------------------------------------------------------------------------
# Upsert (POST on an existing session)


def test_post_is_idempotent_for_retries(api_a, station):
    sid = lib.uid()
    body = lib.clean_ac_session(sid, station, minutes=20)
    first = api_a.create_session(body)
    second = api_a.create_session(body)
    assert second["createdAt"] == first["createdAt"]
    d = api_a.session_detail(sid)
    assert len(d["meterValues"]) == len(body["meterValues"])
    assert d["isAnomaly"] == first["isAnomaly"] and d["anomalies"] == first["anomalies"]


def test_post_upsert_adds_new_values_and_updates_fields(api_a, station):
    sid = lib.uid()
    values = lib.clean_ac_values(minutes=20)
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values[:30],
                          "metadata": {"v": 1}})
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values[15:],
                              "metadata": {"v": 2}, "stopReason": "EVDisconnected", "evseId": "E-1"})
    assert s["metadata"] == {"v": 2} and s["stopReason"] == "EVDisconnected" and s["evseId"] == "E-1"
    d = api_a.session_detail(sid)
    assert len(d["meterValues"]) == len(values), "overlapping values must not be stored twice"
    # A value at an existing timestamp but with a different reading is not an exact duplicate: it is kept.
    changed = dict(values[0], value=99.0)
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": [changed]})
    assert len(api_a.session_detail(sid)["meterValues"]) == len(values) + 1


def test_post_upsert_without_fields_keeps_them(api_a, station):
    sid = lib.uid()
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "connectorId": "3", "evseId": "E-3",
                          "metadata": {"k": "v"}, "stopReason": "Local"})
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station,
                              "meterValues": lib.energy_values(1)})
    assert s["connectorId"] == "3" and s["evseId"] == "E-3"
    assert s["metadata"] == {"k": "v"} and s["stopReason"] == "Local"


def test_post_with_other_station_conflicts(api_a, station):
    sid = lib.uid()
    body = lib.clean_ac_session(sid, station, minutes=5)
    api_a.create_session(body)
    before = api_a.session_detail(sid)
    other = dict(body, chargingStationId=station + "-other", meterValues=lib.clean_ac_values(10))
    lib.assert_error_body(api_a.post("/v1/sessions", other), 409)
    assert api_a.session_detail(sid) == before


# ------------------------------------------------------------------------------------------------------------------
# PUT (replace) and PATCH (append)


def test_put_replaces_all_values(api_a, station):
    sid = lib.uid()
    api_a.create_session(lib.clean_ac_session(sid, station, minutes=30))
    body = lib.reference_example(sid, station)
    r = api_a.put(f"/v1/sessions/{sid}", {"meterValues": body["meterValues"], "metadata": {"replaced": True},
                                          "stopReason": "Remote"})
    assert r.status_code == 200, lib.describe(r)
    s = r.json()
    lib.assert_session_shape(s)
    lib.assert_analysed(s, body["meterValues"])
    assert lib.anomalies_of(s, "SOC_DECREASE"), s
    assert s["metadata"] == {"replaced": True} and s["stopReason"] == "Remote"
    d = api_a.session_detail(sid)
    assert len(d["meterValues"]) == 9
    assert d["meterValues"][0]["timestamp"] == "2026-02-27T10:00:00Z"


def test_put_with_fewer_than_three_values_clears_verdict(api_a, station):
    sid = lib.uid()
    api_a.create_session(lib.clean_ac_session(sid, station, minutes=10))
    r = api_a.put(f"/v1/sessions/{sid}", {"meterValues": lib.energy_values(2)})
    assert r.status_code == 200, lib.describe(r)
    s = r.json()
    assert s["status"] == "pending"
    lib.assert_pending(s)
    assert len(api_a.session_detail(sid)["meterValues"]) == 2


def test_put_unknown_is_404(api_a):
    r = api_a.put("/v1/sessions/" + lib.uid("missing"), {"meterValues": lib.energy_values(3)})
    lib.assert_error_body(r, 404)


def test_patch_appends_and_triggers_analysis(api_a, station):
    sid = lib.uid()
    values = lib.clean_ac_values(minutes=30)
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values[:2]})
    assert s["status"] == "pending"
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": values[2:3]})
    assert r.status_code == 200, lib.describe(r)
    s = r.json()
    assert s["status"] == "active"
    lib.assert_analysed(s, values[:3])
    first_analysis = s["analyzedAt"]
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": values[3:]})
    assert r.status_code == 200, lib.describe(r)
    s = r.json()
    lib.assert_analysed(s, values)
    assert s["isAnomaly"] is False, s
    assert lib.parse_ts(s["analyzedAt"]) >= lib.parse_ts(first_analysis)
    d = api_a.session_detail(sid)
    assert len(d["meterValues"]) == len(values)


def test_incremental_appends_match_full_analysis(api_a, station):
    """Analysis after many small appends equals analysis of the whole session at once (analysis.md §3)."""
    values = lib.kwh_decrease_values()
    # Two stations, so neither session can see the other (overlap, recurrence).
    whole = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    sid = lib.uid()
    api_a.create_session({"sessionId": sid, "chargingStationId": station + "-inc"})
    for i in range(0, len(values), 10):
        r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": values[i:i + 10]})
        assert r.status_code == 200, lib.describe(r)
    inc = r.json()
    assert inc["isAnomaly"] == whole["isAnomaly"]
    assert inc["anomalyScore"] == pytest.approx(whole["anomalyScore"], abs=1e-9)
    assert inc["anomalyConfidence"] == pytest.approx(whole["anomalyConfidence"], abs=1e-9)
    assert len(inc["anomalies"]) == len(whole["anomalies"]), (inc["anomalies"], whole["anomalies"])
    for a, b in zip(inc["anomalies"], whole["anomalies"]):
        assert (a["category"], a["bucketRange"], a["timeRange"]) == (b["category"], b["bucketRange"], b["timeRange"])
        assert a["score"] == pytest.approx(b["score"], abs=1e-9)
        assert a["confidence"] == pytest.approx(b["confidence"], abs=1e-9)


def test_patch_empty_or_absent_values_change_nothing(api_a, station):
    sid = lib.uid()
    api_a.create_session(lib.clean_ac_session(sid, station, minutes=5))
    before = api_a.session_detail(sid)
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": []})
    assert r.status_code == 200, lib.describe(r)
    assert api_a.session_detail(sid)["meterValues"] == before["meterValues"]
    r = api_a.patch(f"/v1/sessions/{sid}", {"metadata": {"note": "x"}, "stopReason": "Local"})
    assert r.status_code == 200, lib.describe(r)
    assert r.json()["metadata"] == {"note": "x"} and r.json()["stopReason"] == "Local"
    after = api_a.session_detail(sid)
    assert after["meterValues"] == before["meterValues"]
    assert after["anomalies"] == before["anomalies"] and after["isAnomaly"] == before["isAnomaly"]


def test_patch_retry_does_not_store_values_twice(api_a, station):
    sid = lib.uid()
    values = lib.clean_ac_values(minutes=5)
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values})
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": values[-3:]})
    assert r.status_code == 200, lib.describe(r)
    assert len(api_a.session_detail(sid)["meterValues"]) == len(values)


def test_patch_unknown_is_404(api_a):
    r = api_a.patch("/v1/sessions/" + lib.uid("missing"), {"meterValues": lib.energy_values(1)})
    lib.assert_error_body(r, 404)


# ------------------------------------------------------------------------------------------------------------------
# Status


@pytest.mark.parametrize("final", ["completed", "invalid"])
def test_client_final_status_is_sticky(api_a, station, final):
    sid = lib.uid()
    values = lib.clean_ac_values(minutes=10)
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values[:1],
                              "status": final})
    assert s["status"] == final
    # More values and an analysis do not change it, nor does a client "active".
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": values[1:]})
    assert r.status_code == 200 and r.json()["status"] == final, lib.describe(r)
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "status": "active"})
    assert s["status"] == final
    assert api_a.session_detail(sid)["status"] == final


def test_client_active_does_not_force_status(api_a, station):
    sid = lib.uid()
    s = api_a.create_session({"sessionId": sid, "chargingStationId": station, "status": "active",
                              "meterValues": lib.energy_values(1)})
    assert s["status"] == "pending"
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station, "status": "pending",
                              "meterValues": lib.clean_ac_values(5)})
    assert s["status"] == "active"


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_complete_via_put_and_patch(api_a, station, method):
    sid = lib.uid()
    values = lib.clean_ac_values(minutes=10)
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values})
    r = api_a.request(method, f"/v1/sessions/{sid}", json={"meterValues": values, "status": "completed",
                                                            "stopReason": "EVDisconnected"})
    assert r.status_code == 200, lib.describe(r)
    s = r.json()
    assert s["status"] == "completed" and s["stopReason"] == "EVDisconnected"
    lib.assert_analysed(s, values)


# ------------------------------------------------------------------------------------------------------------------
# List


def test_list_item_shape_and_order(api_a, station):
    ids = []
    for i in range(3):
        sid = lib.uid(f"order{i}")
        start = T0 + timedelta(days=i)  # sessions on one connector must not overlap in time
        body = lib.clean_ac_session(sid, station, minutes=5, start=start, evseId=f"E-{i}") if i != 1 else \
            {"sessionId": sid, "chargingStationId": station}
        api_a.create_session(body)
        ids.append(sid)
    page = api_a.list_sessions(chargingStationId=station)
    assert page["pagination"]["totalCount"] == 3
    assert page["pagination"]["page"] == 1
    assert [c["sessionId"] for c in page["content"]] == list(reversed(ids)), "most recently created first"
    for item in page["content"]:
        assert lib.LIST_ITEM_FIELDS <= item.keys(), item
        assert item["chargingStationId"] == station
    by_id = {c["sessionId"]: c for c in page["content"]}
    analysed = by_id[ids[0]]
    assert analysed["status"] == "active" and analysed["isAnomaly"] is False and analysed["anomalyCount"] == 0
    assert analysed["lastAnalyzedAt"] is not None and analysed["evseId"] == "E-0"
    assert analysed["startedAt"] == lib.iso(T0)
    empty = by_id[ids[1]]
    assert empty["status"] == "pending" and empty["isAnomaly"] is None and empty["anomalyScore"] is None
    assert empty["lastAnalyzedAt"] is None and empty["anomalyCount"] == 0
    # Without meter values the session has not started; the date filters then use createdAt (tested below).
    assert empty["startedAt"] in (None, empty["createdAt"])


def test_list_anomaly_count_is_distinct_categories(api_a, station):
    sid = lib.uid()
    s = api_a.create_session(lib.reference_example(sid, station))
    (item,) = api_a.list_sessions(chargingStationId=station)["content"]
    assert item["anomalyCount"] == len({a["category"] for a in s["anomalies"]}) >= 1
    assert item["isAnomaly"] is True and item["anomalyScore"] == s["anomalyScore"]
    assert item["anomalyConfidence"] == s["anomalyConfidence"]
    assert item["startedAt"] == "2026-02-27T10:00:00Z"


def test_list_pagination(api_a, station):
    ids = [api_a.create_session({"sessionId": lib.uid(f"p{i}"), "chargingStationId": station})["sessionId"]
           for i in range(5)]
    newest_first = list(reversed(ids))
    seen = []
    for page_no in (1, 2, 3):
        page = api_a.list_sessions(chargingStationId=station, pageSize=2, page=page_no)
        assert page["pagination"] == {"totalCount": 5, "page": page_no, "size": 2}
        seen += [c["sessionId"] for c in page["content"]]
    assert seen == newest_first
    page = api_a.list_sessions(chargingStationId=station, pageSize=2, page=4)
    assert page["content"] == [] and page["pagination"]["totalCount"] == 5
    page = api_a.list_sessions(chargingStationId=station, pageSize=1000)
    assert len(page["content"]) == 5


def test_list_defaults(api_a):
    page = api_a.list_sessions()
    assert page["pagination"]["page"] == 1 and page["pagination"]["size"] == 50
    assert len(page["content"]) <= 50


def test_list_filters(api_a, station):
    normal = api_a.create_session(lib.clean_ac_session(lib.uid("normal"), station, minutes=30, evseId="EVSE-N"))
    anomalous = api_a.create_session(lib.reference_example(lib.uid("anom"), station))
    pending = api_a.create_session({"sessionId": lib.uid("pending"), "chargingStationId": station,
                                    "evseId": "EVSE-P"})

    def ids(**params):
        return {c["sessionId"] for c in api_a.list_sessions(chargingStationId=station, **params)["content"]}

    assert ids() == {normal["sessionId"], anomalous["sessionId"], pending["sessionId"]}
    assert ids(isAnomaly="true") == {anomalous["sessionId"]}
    assert ids(isAnomaly="false") == {normal["sessionId"]}
    assert ids(evseId="EVSE-N") == {normal["sessionId"]}
    assert ids(evseId="EVSE-P") == {pending["sessionId"]}
    assert ids(minScore=0.5) == {anomalous["sessionId"]}
    assert ids(minScore=0) >= {normal["sessionId"], anomalous["sessionId"]}
    assert pending["sessionId"] not in ids(minScore=0), "a session without a score does not pass minScore"
    conf = anomalous["anomalyConfidence"]
    assert anomalous["sessionId"] in ids(minConfidence=conf)
    if conf < 1.0:
        assert anomalous["sessionId"] not in ids(minConfidence=min(1.0, conf + 0.001))
    assert api_a.list_sessions(chargingStationId=station + "-nobody")["content"] == []


def test_list_date_filters_use_session_start(api_a, station):
    late = datetime(2026, 1, 10, 23, 30, tzinfo=lib.UTC)  # starts late on 10 January
    early = datetime(2026, 1, 12, 0, 0, tzinfo=lib.UTC)
    s_late = api_a.create_session(lib.clean_ac_session(lib.uid("late"), station, minutes=60, start=late))
    s_early = api_a.create_session(lib.clean_ac_session(lib.uid("early"), station, minutes=5, start=early))

    def ids(**params):
        return {c["sessionId"] for c in api_a.list_sessions(chargingStationId=station, **params)["content"]}

    both = {s_late["sessionId"], s_early["sessionId"]}
    assert ids(dateTo="2026-01-10") == {s_late["sessionId"]}, "dateTo as a date includes the whole day"
    assert ids(dateTo="2026-01-09") == set()
    assert ids(dateFrom="2026-01-11") == {s_early["sessionId"]}, "filter on the start, not the end (11 Jan 00:30)"
    assert ids(dateFrom="2026-01-10") == both
    assert ids(dateFrom="2026-01-10T23:30:00Z", dateTo="2026-01-10T23:30:00Z") == {s_late["sessionId"]}
    assert ids(dateFrom="2026-01-10T23:30:01Z") == {s_early["sessionId"]}
    assert ids(dateFrom="2026-01-11T00:30:00+01:00") == both  # = 10 Jan 23:30 UTC
    assert ids(dateFrom="2026-01-11", dateTo="2026-01-12") == {s_early["sessionId"]}
    assert ids(dateFrom="2026-01-13") == set()
    page = api_a.list_sessions(chargingStationId=station)
    starts = {c["sessionId"]: c["startedAt"] for c in page["content"]}
    assert starts == {s_late["sessionId"]: "2026-01-10T23:30:00Z", s_early["sessionId"]: "2026-01-12T00:00:00Z"}


def test_list_date_filter_uses_created_at_without_values(api_a, station):
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station})
    created = lib.parse_ts(s["createdAt"])
    today = created.strftime("%Y-%m-%d")
    ids = {c["sessionId"] for c in api_a.list_sessions(chargingStationId=station, dateFrom=today,
                                                       dateTo=today)["content"]}
    assert ids == {s["sessionId"]}
    day_before = (created - timedelta(days=1)).strftime("%Y-%m-%d")
    day_after = (created + timedelta(days=1)).strftime("%Y-%m-%d")
    assert api_a.list_sessions(chargingStationId=station, dateTo=day_before)["content"] == []
    assert api_a.list_sessions(chargingStationId=station, dateFrom=day_after)["content"] == []


# ------------------------------------------------------------------------------------------------------------------
# Analysis: hard negatives and recurrence (analysis.md §2, §3)


def test_load_management_is_not_an_energy_pit(api_a, station):
    """Power.Offered drops to 0 during the pause: the charger was told to stop (load management)."""
    values = []
    for v in lib.energy_pit_values(with_offered=True):
        minute = int((datetime.fromisoformat(v["timestamp"].replace("Z", "+00:00")) - T0).total_seconds() // 60)
        if v["measurand"] == lib.OFFERED and lib.PIT_FROM_MINUTE < minute < lib.PIT_TO_MINUTE:
            v = dict(v, value=0.0)
        values.append(v)
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    lib.assert_analysed(s, values)
    assert not lib.anomalies_of(s, "ENERGY_PIT"), s["anomalies"]


@pytest.mark.parametrize("pause_min", [1, 2])
def test_short_ev_pause_is_not_an_anomaly(api_a, station, pause_min):
    """An EV-side pause shorter than 3 min (register flat for `pause_min` minutes, power 0 in between) is a hard
    negative (analysis.md §2): no ENERGY_PIT, no anomaly at all. (Pauses from 3 min on may be pits.)"""
    slope = 11.0 / 60
    values, kwh = [], 0.0
    flat_from, flat_to = 30, 30 + pause_min
    for m in range(61):
        ts = T0 + timedelta(minutes=m)
        paused = flat_from < m < flat_to
        if m > 0 and not (flat_from < m <= flat_to):
            kwh += slope
        values += [mv(ts, round(kwh, 3), ENERGY, "kWh"), mv(ts, 0.0 if paused else 11.0, POWER, "kW")]
    s = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    lib.assert_analysed(s, values)
    assert s["isAnomaly"] is False and s["anomalies"] == [], s["anomalies"]


def test_recurring_category_on_same_connector(api_a, station):
    """The same category on the same station+connector in >= 2 other sessions within 30 days -> isRecurring."""
    verdicts = []
    for day in range(3):
        values = lib.kwh_decrease_values(start=T0 + timedelta(days=day))
        verdicts.append(api_a.create_session({"sessionId": lib.uid(f"rec{day}"), "chargingStationId": station,
                                              "connectorId": "1", "meterValues": values}))
    assert all(lib.anomalies_of(v, "KWH_DECREASE") for v in verdicts), verdicts
    assert verdicts[0]["isRecurring"] is False
    assert verdicts[1]["isRecurring"] is False
    assert verdicts[2]["isRecurring"] is True, verdicts[2]
    # Another connector of the same station does not count.
    other = api_a.create_session({"sessionId": lib.uid("rec-other"), "chargingStationId": station, "connectorId": "2",
                                  "meterValues": lib.kwh_decrease_values(start=T0 + timedelta(days=3))})
    assert other["isRecurring"] is False


# ------------------------------------------------------------------------------------------------------------------
# Concurrency: writers racing on one session must neither fail with 5xx nor lose or double values


def run_parallel(fn, n):
    import threading

    results, errors = [None] * n, []

    def worker(i):
        try:
            results[i] = fn(i)
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_concurrent_posts_of_one_new_session(env, station):
    sid = lib.uid("race")
    body = lib.clean_ac_session(sid, station, minutes=20)

    def post(_):
        return env.client(env.a.api_key).post("/v1/sessions", body)

    responses = run_parallel(post, 8)
    assert [r.status_code for r in responses] == [200] * 8, [lib.describe(r) for r in responses if r.status_code != 200]
    d = env.a.client.session_detail(sid)
    assert len(d["meterValues"]) == len(body["meterValues"])
    assert env.a.client.list_sessions(chargingStationId=station)["pagination"]["totalCount"] == 1


def test_concurrent_patches_keep_every_value(env, api_a, station):
    sid = lib.uid("race")
    values = lib.clean_ac_values(minutes=40)  # 123 values
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values[:3]})
    rest = values[3:]
    chunks = [rest[i::8] for i in range(8)]

    def patch(i):
        return env.client(env.a.api_key).patch(f"/v1/sessions/{sid}", {"meterValues": chunks[i]})

    responses = run_parallel(patch, 8)
    assert [r.status_code for r in responses] == [200] * 8, [lib.describe(r) for r in responses if r.status_code != 200]
    d = api_a.session_detail(sid)
    assert len(d["meterValues"]) == len(values)
    lib.assert_analysed(d, values)
    # The verdict after racing appends equals a one-shot analysis of the same values (on another station).
    whole = api_a.create_session({"sessionId": lib.uid(), "chargingStationId": station + "-w", "meterValues": values})
    assert d["isAnomaly"] == whole["isAnomaly"] and d["anomalies"] == whole["anomalies"]
