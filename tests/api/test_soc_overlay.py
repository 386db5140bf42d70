"""SoC reconstruction overlay on GET /v1/sessions/{id} (issue #4)."""
from datetime import timedelta

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
