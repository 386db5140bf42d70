"""Per-connector battery capacity history behind the SoC reconstruction (docs/soc_prior.md, issue #4)."""
from datetime import timedelta

import evni_testlib as lib
from evni_testlib import T0

KW = 11.0
SMALL_CAR_KWH = 40.0  # effective capacity of the car that keeps charging at the connector


def ac_values(start, minutes: int, battery_kwh: float, soc0: float, soc_every: int | None,
              kw: float = KW) -> list[dict]:
    """Flat AC charge (11 kW unless told) at 1-minute cadence (no end-of-charge fall-off: the power curve says nothing about the
    battery). SoC reported every `soc_every` minutes; soc_every=None: only at the start."""
    values = []
    for m in range(minutes + 1):
        ts = start + timedelta(minutes=m)
        kwh = round(kw * m / 60, 3)
        values += [lib.mv(ts, kwh, lib.ENERGY, "kWh"), lib.mv(ts, kw, lib.POWER, "kW")]
        if (soc_every is None and m == 0) or (soc_every and m % soc_every == 0):
            values.append(lib.mv(ts, round(soc0 + kwh * 100 / battery_kwh), lib.SOC, "Percent"))
    return values


def history_session(station: str, day: int, connector: str = "1") -> dict:
    return {"sessionId": lib.uid("hist"), "chargingStationId": station, "connectorId": connector,
            "meterValues": ac_values(T0 + timedelta(days=day), 120, SMALL_CAR_KWH, 15 + day, 10)}


# One SoC reading at the start, then 2 h at 11 kW = 22 kWh: on the 40 kWh car 20 % -> 75 %.
TARGET_DAY = 30
TRUTH_END = 20 + 22 * 100 / SMALL_CAR_KWH


def target_session(session_id: str, station: str, connector: str = "1") -> dict:
    return {"sessionId": session_id, "chargingStationId": station, "connectorId": connector,
            "meterValues": ac_values(T0 + timedelta(days=TARGET_DAY), 120, SMALL_CAR_KWH, 20, None)}


def end_soc(detail: dict) -> float:
    assert detail["socReconstructed"] is True, detail
    return detail["reconstructedSoc"][-1]["value"]


def test_learned_capacity_sharpens_the_reconstruction_and_never_crosses_tenants(api_a, api_b, station):
    target = lib.uid("target")
    api_a.create_session(target_session(target, station))
    plain = api_a.session_detail(target)
    error_plain = abs(end_soc(plain) - TRUTH_END)
    assert error_plain > 8  # the typical-EV prior (~60 kWh) underestimates the end SoC of a 40 kWh car

    # Tenant B charges the small car on the same station and connector ids: tenant A's overlay is unchanged.
    for day in range(6):
        api_b.create_session(history_session(station, day))
    unchanged = api_a.session_detail(target)
    assert unchanged["reconstructedSoc"] == plain["reconstructedSoc"]
    assert unchanged["sorcConfidence"] == plain["sorcConfidence"]

    # Tenant A's own sessions with reported SoC on the connector teach it the capacity.
    for day in range(6):
        api_a.create_session(history_session(station, day))
    learned = api_a.session_detail(target)
    error_learned = abs(end_soc(learned) - TRUTH_END)
    assert error_learned < 3, (end_soc(learned), TRUTH_END)
    assert error_learned < error_plain - 5
    assert learned["sorcConfidence"] >= plain["sorcConfidence"]
    # The history is an input of the overlay only: the meter values are as sent.
    assert all(v["measurand"] != "SoC" or v["timestamp"] == lib.iso(T0 + timedelta(days=TARGET_DAY))
               for v in learned["meterValues"])


def test_history_from_appended_sessions_counts_once_completed(api_a, station):
    # Another car (30 kWh, 7.4 kW) on another connector: its sessions grow by PATCH, SoC every 10 minutes, one
    # minute's readings per request (as OCPP MeterValues arrive), then the stop. 2 h at 7.4 kW: 20 % -> 69.3 %.
    small, kw = 30.0, 7.4
    truth = 20 + 2 * kw * 100 / small
    target = lib.uid("target")
    api_a.create_session({"sessionId": target, "chargingStationId": station, "connectorId": "2",
                          "meterValues": ac_values(T0 + timedelta(days=TARGET_DAY), 120, small, 20, None, kw)})
    plain_error = abs(end_soc(api_a.session_detail(target)) - truth)
    assert plain_error > 8
    for day in range(6):
        sid = lib.uid("hist")
        values = ac_values(T0 + timedelta(days=day), 120, small, 15 + day, 10, kw)
        api_a.create_session({"sessionId": sid, "chargingStationId": station, "connectorId": "2",
                              "meterValues": values[:3]})
        by_minute: dict[str, list[dict]] = {}
        for v in values[3:]:
            by_minute.setdefault(v["timestamp"], []).append(v)
        for group in by_minute.values():
            r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": group})
            assert r.status_code == 200, lib.describe(r)
        r = api_a.patch(f"/v1/sessions/{sid}", {"status": "completed", "stopReason": "EVDisconnected"})
        assert r.status_code == 200, lib.describe(r)
    learned_error = abs(end_soc(api_a.session_detail(target)) - truth)
    assert learned_error < 3 and learned_error < plain_error - 5, (learned_error, plain_error)


def test_ev_power_request_picks_the_car_models_history(api_a, station):
    """Metadata evMaxPowerKw (ISO 15118 / OCPP 2.0.1 evMaxPower) keys the history by car model."""
    big_kwh = 90.0
    # The small car (requesting 50 kW) and a big one (requesting 100 kW) take turns on one connector.
    for day in range(8):
        small = day % 2 == 0
        body = {"sessionId": lib.uid("hist"), "chargingStationId": station, "connectorId": "1",
                "metadata": {"evMaxPowerKw": 50 if small else "100"},
                "meterValues": ac_values(T0 + timedelta(days=day), 120, SMALL_CAR_KWH if small else big_kwh,
                                         15 + day, 10)}
        api_a.create_session(body)
    ends = {}
    for request, battery in ((50, SMALL_CAR_KWH), (100, big_kwh)):
        sid = lib.uid("target")
        body = target_session(sid, station)
        body["metadata"] = {"evMaxPowerKw": request}
        body["meterValues"] = ac_values(T0 + timedelta(days=TARGET_DAY), 120, battery, 20, None)
        api_a.create_session(body)
        d = api_a.session_detail(sid)
        assert d["metadata"] == {"evMaxPowerKw": request}
        ends[request] = (end_soc(d), 20 + 22 * 100 / battery)
    for got, truth in ends.values():
        assert abs(got - truth) < 3, ends


def dc_values(start, minutes: int, battery_kwh: float, soc0: float, soc_minutes: list[int],
              kw: float = 80.0) -> list[dict]:
    """Flat DC charge below the taper at 1-minute cadence; SoC reported at the given minutes."""
    values = []
    for m in range(minutes + 1):
        ts = start + timedelta(minutes=m)
        kwh = round(kw * m / 60, 3)
        values += [lib.mv(ts, kwh, lib.ENERGY, "kWh"), lib.mv(ts, kw, lib.POWER, "kW")]
        if m in soc_minutes:
            values.append(lib.mv(ts, round(soc0 + kwh * 100 / battery_kwh), lib.SOC, "Percent"))
    return values


def test_sessions_like_this_one_pick_the_car_among_the_same_peak(api_a, station):
    """docs/soc_prior.md, "Sessions like this one": two cars drawing the same 80 kW at one DC connector, an 80 kWh
    car arriving at ~20 % for half an hour and (more recently) a 40 kWh car topping up from ~60 % for 6 minutes. The
    nearest past sessions by start SoC, energy, span and power find the big car's; the same-peak match alone takes
    the newest, the small car's."""
    connector = "3"
    for day in range(12):
        api_a.create_session({"sessionId": lib.uid("big"), "chargingStationId": station, "connectorId": connector,
                              "meterValues": dc_values(T0 + timedelta(days=day), 30, 80.0, 18 + day % 5,
                                                       [0, 10, 20, 30])})
    for day in range(12, 24):
        api_a.create_session({"sessionId": lib.uid("small"), "chargingStationId": station, "connectorId": connector,
                              "meterValues": dc_values(T0 + timedelta(days=day), 6, 40.0, 58 + day % 5,
                                                       [0, 2, 4, 6])})
    # The big car again, one SoC reading at its start: 40 kWh in 30 min, 20 % -> 70 %.
    target = lib.uid("target")
    api_a.create_session({"sessionId": target, "chargingStationId": station, "connectorId": connector,
                          "meterValues": dc_values(T0 + timedelta(days=TARGET_DAY), 30, 80.0, 20, [0])})
    got = end_soc(api_a.session_detail(target))
    assert abs(got - 70.0) < 4, got
    # The same session with its reading in the middle (the start SoC unknown): the same-peak match, far off.
    mid = lib.uid("target")
    api_a.create_session({"sessionId": mid, "chargingStationId": station, "connectorId": connector,
                          "meterValues": dc_values(T0 + timedelta(days=TARGET_DAY), 30, 80.0, 20, [15])})
    assert abs(end_soc(api_a.session_detail(mid)) - 70.0) > 8
