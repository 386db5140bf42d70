"""Per-connector limits learned from history (docs/analysis.md "Learned connector limits", issue #3 item 2):
without metadata maxPowerKw, POWER_OVER_LIMIT holds power to a rating learned from the connector's own sessions
(>= 5 of them), with reduced confidence; metadata always wins; thin history falls back to the physical bounds."""
from datetime import timedelta

import evni_testlib as lib
from evni_testlib import T0

CURRENT = "Current.Import"


def ac_values(start, minutes: int, kw: float, phases: int) -> list[dict]:
    """A flat AC charge at 1-minute cadence: register, power and the per-phase currents."""
    values = []
    for m in range(minutes + 1):
        ts = start + timedelta(minutes=m)
        values += [lib.mv(ts, round(kw * m / 60, 3), lib.ENERGY, "kWh"), lib.mv(ts, kw, lib.POWER, "kW")]
        for p in range(phases):
            values.append(lib.mv(ts, round(kw * 1000 / 230 / phases, 1), CURRENT, "A", phase=f"L{p + 1}"))
    return values


def session(station: str, connector: str, day: int, kw: float, phases: int, **extra) -> dict:
    body = {"sessionId": lib.uid("lim"), "chargingStationId": station, "connectorId": connector,
            "meterValues": ac_values(T0 + timedelta(days=day), 60, kw, phases)}
    body.update(extra)
    return body


def over_limit(s: dict) -> list[dict]:
    return lib.anomalies_of(s, "POWER_OVER_LIMIT")


def test_learned_rating_flags_a_faster_session_with_reduced_confidence(api_a, api_b, station):
    # Connector 1: six sessions of a ~7 kW single-phase car (learned rating 11 kW); connector 2: only two.
    for day in range(6):
        s = api_a.create_session(session(station, "1", day, 7.2 if day % 2 else 6.9, 1))
        assert over_limit(s) == [], s["anomalies"]
    for day in range(2):
        api_a.create_session(session(station, "2", day, 7.0, 1))

    fast = api_a.create_session(session(station, "1", 10, 30.0, 3))
    found = over_limit(fast)
    assert found, fast["anomalies"]
    assert found[0]["confidence"] <= 0.6, found  # an inference from history, not a rating
    assert fast["isIncident"] is False
    detail = api_a.session_detail(fast["sessionId"])
    assert over_limit(detail) == found

    # Two sessions of history: the physical bound (44 kW AC) holds.
    thin = api_a.create_session(session(station, "2", 10, 30.0, 3))
    assert over_limit(thin) == [], thin["anomalies"]

    # Another tenant's history on the same station and connector ids is not used.
    other = api_b.create_session(session(station, "1", 10, 30.0, 3))
    assert over_limit(other) == [], other["anomalies"]


def test_metadata_rating_overrides_the_learned_one(api_a, station):
    for day in range(6):
        api_a.create_session(session(station, "1", day, 7.0, 1))
    # The connector is rated 50 kW: a 30 kW session is fine although its history never saw more than 7 kW.
    rated = api_a.create_session(session(station, "1", 10, 30.0, 3, metadata={"maxPowerKw": 50}))
    assert over_limit(rated) == [], rated["anomalies"]
    # Rated 22 kW: over it, with the confidence of a metadata rating.
    tight = api_a.create_session(session(station, "1", 11, 30.0, 3, metadata={"maxPowerKw": 22}))
    found = over_limit(tight)
    assert found and found[0]["confidence"] >= 0.75, tight["anomalies"]


def test_rating_widens_once_the_connector_delivered_more_twice(api_a, station):
    for day in range(5):
        api_a.create_session(session(station, "1", day, 11.0, 3))  # learned rating 22 kW
    # A 22 kW car on a connector that only served 11 kW cars: within the generous learned rating.
    first = api_a.create_session(session(station, "1", 6, 22.0, 3))
    assert over_limit(first) == [], first["anomalies"]
    # 30 kW: over 1.1 x 22 kW. One faster session does not widen the rating (the second highest sustained peak
    # counts), two do: after the 22 kW and the 30 kW sessions the rating is 43 kW and 30 kW is no longer flagged.
    flagged = [bool(over_limit(api_a.create_session(session(station, "1", 7 + i, 30.0, 3)))) for i in range(2)]
    assert flagged == [True, False], flagged
