"""SoC reconstruction overlay on GET /v1/sessions/{id} (issue #4)."""
from datetime import timedelta

import pytest

import evni_testlib as lib
from evni_testlib import T0


def test_session_without_soc_gets_a_reconstruction_every_15_minutes(api_a, station):
    sid = lib.uid()
    values = [v for v in lib.clean_ac_values(minutes=90) if v["measurand"] != "SoC"]
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": values})
    d = api_a.session_detail(sid)
    assert d["socReconstructed"] is True
    points = d["reconstructedSoc"]
    assert len(points) >= 6
    times = [lib.parse_ts(p["timestamp"]) for p in points]
    assert times[0] == T0 and times[1] == T0 + timedelta(minutes=15)
    assert all(0 <= p["value"] <= 100 for p in points)
    assert all(b["value"] >= a["value"] for a, b in zip(points, points[1:]))  # energy only rises
    assert 0 <= d["sorcConfidence"] <= 1
    # The overlay is not part of the meter values.
    assert all(v["measurand"] != "SoC" for v in d["meterValues"])


def test_session_with_soc_series_is_not_reconstructed(api_a, station):
    sid = lib.uid()
    api_a.create_session(lib.clean_ac_session(sid, station, minutes=60))
    d = api_a.session_detail(sid)
    assert d["socReconstructed"] is False and d["reconstructedSoc"] == [] and d["sorcConfidence"] is None


def dc_values(minutes: int, soc: dict[int, float], kw: float = 50.0) -> list[dict]:
    """A flat DC charge at `kw` (1-minute cadence, register and power) with SoC readings at the given minutes."""
    values = []
    for m in range(minutes + 1):
        ts = T0 + timedelta(minutes=m)
        values += [lib.mv(ts, round(kw * m / 60, 3), lib.ENERGY, "kWh"), lib.mv(ts, kw, lib.POWER, "kW")]
        if m in soc:
            values.append(lib.mv(ts, soc[m], lib.SOC, "Percent"))
    return values


def test_single_soc_reading_against_the_energy_is_a_soc_jump_with_reduced_confidence(api_a, station):
    """Issue #4 req. 2: without a usable SoC series, SOC_JUMP judges the reconstruction, with reduced confidence."""
    # 100 % reported at the start, then 75 kWh at 50 kW: no plausible battery stays within 100 %.
    sid = lib.uid()
    api_a.create_session({"sessionId": sid, "chargingStationId": station, "meterValues": dc_values(90, {0: 100.0})})
    d = api_a.session_detail(sid)
    assert d["socReconstructed"] is True
    jumps = lib.anomalies_of(d, "SOC_JUMP")
    assert len(jumps) == 1, d["anomalies"]
    jump = jumps[0]
    assert jump["score"] >= 0.5 and d["isAnomaly"] is True
    # The measured SOC_JUMP's confidence (0.75, 0.85 for >= 8 points) times 0.6: below any measured one.
    assert jump["confidence"] == pytest.approx(0.85 * 0.6, abs=1e-9)
    assert d["anomalyConfidence"] < 0.75 and d["isIncident"] is False
    assert lib.parse_ts(jump["timeRange"]["startTimestamp"]) == T0
    assert lib.anomalies_of(d, "SOC_DECREASE") == []
    # The overlay stays an overlay: the meter values are as sent.
    assert sum(1 for v in d["meterValues"] if v["measurand"] == lib.SOC) == 1

    # Sent in appends, the verdict is the same.
    inc = lib.uid()
    values = dc_values(90, {0: 100.0})
    api_a.create_session({"sessionId": inc, "chargingStationId": station + "-inc"})
    for i in range(0, len(values), 40):
        r = api_a.patch(f"/v1/sessions/{inc}", {"meterValues": values[i:i + 40]})
        assert r.status_code == 200, lib.describe(r)
    assert [(a["category"], a["bucketRange"], a["confidence"]) for a in r.json()["anomalies"]] == \
        [(a["category"], a["bucketRange"], a["confidence"]) for a in d["anomalies"]]


def test_sessions_with_measured_soc_are_not_judged_on_the_reconstruction(api_a, station):
    # The same charge with a second reading: a measured series (flat at 100 %), judged by the measured detectors
    # only (their SOC_JUMP bound is a battery under 10 kWh): no finding. The overlay still reconstructs (the series
    # fails its consistency checks), but a session with >= 2 readings is never judged on it.
    sid = lib.uid()
    api_a.create_session({"sessionId": sid, "chargingStationId": station,
                          "meterValues": dc_values(90, {0: 100.0, 90: 100.0})})
    d = api_a.session_detail(sid)
    assert d["socReconstructed"] is True  # method "inconsistent_soc"
    assert d["anomalies"] == [], d["anomalies"]
    # A consistent single reading: reconstructed, no finding.
    ok = lib.uid()
    api_a.create_session({"sessionId": ok, "chargingStationId": station + "-ok",
                          "meterValues": dc_values(48, {0: 30.0})})
    d = api_a.session_detail(ok)
    assert d["socReconstructed"] is True and d["anomalies"] == [], d["anomalies"]
    # A measured SoC jump keeps its measured confidence.
    values = dc_values(60, {}, kw=11.0)
    for m in range(61):
        soc = round(30 + 11 * m / 60 / 0.6) + (15 if m >= 30 else 0)
        values.append(lib.mv(T0 + timedelta(minutes=m), soc, lib.SOC, "Percent"))
    measured = lib.uid()
    api_a.create_session({"sessionId": measured, "chargingStationId": station + "-m", "meterValues": values})
    jumps = lib.anomalies_of(api_a.session_detail(measured), "SOC_JUMP")
    assert len(jumps) == 1 and jumps[0]["confidence"] >= 0.75
