"""Bad input: always 4xx (never 5xx), the documented validation shape, and the session is left untouched."""

import json
import socket
import threading
from datetime import timedelta

import pytest

import evni_testlib as lib
from evni_testlib import T0


@pytest.fixture
def existing(api_a, station):
    """An analysed session; each test checks it is byte-for-byte the same after the bad request."""
    sid = lib.uid("victim")
    body = lib.clean_ac_session(sid, station, minutes=10, metadata={"keep": True}, stopReason="Local")
    api_a.create_session(body)
    before = api_a.session_detail(sid)

    class Existing:
        session_id = sid
        chargingStationId = station
        create_body = body

        @staticmethod
        def assert_unchanged():
            assert api_a.session_detail(sid) == before, "a rejected request changed the session"

    return Existing


def valid_values(n=5):
    return lib.clean_ac_values(minutes=n)


def with_bad_value(index=3, **bad):
    values = valid_values()
    values[index] = dict(values[index], **bad)
    return values


def omit(d, key):
    return {k: v for k, v in d.items() if k != key}


# (id, body builder (session id, station) -> JSON-able body, loc, type)
POST_CASES = [
    ("missing sessionId", lambda sid, cs: {"chargingStationId": cs}, ["body", "sessionId"], "missing"),
    ("sessionId number", lambda sid, cs: {"sessionId": 12345, "chargingStationId": cs}, ["body", "sessionId"],
     "string_type"),
    ("sessionId empty", lambda sid, cs: {"sessionId": "", "chargingStationId": cs}, ["body", "sessionId"],
     "string_too_short"),
    ("sessionId too long", lambda sid, cs: {"sessionId": "s" * 256, "chargingStationId": cs}, ["body", "sessionId"],
     "string_too_long"),
    ("missing station", lambda sid, cs: {"sessionId": sid}, ["body", "chargingStationId"], "missing"),
    ("station null", lambda sid, cs: {"sessionId": sid, "chargingStationId": None}, ["body", "chargingStationId"],
     "string_type"),
    ("station too long", lambda sid, cs: {"sessionId": sid, "chargingStationId": "c" * 256},
     ["body", "chargingStationId"], "string_too_long"),
    ("connectorId too long", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "connectorId": "1" * 256},
     ["body", "connectorId"], "string_too_long"),
    ("evseId number", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "evseId": 7}, ["body", "evseId"],
     "string_type"),
    ("value abc", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "meterValues": with_bad_value(value="abc")},
     ["body", "meterValues", 3, "value"], "float_type"),
    ("value -1", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "meterValues": with_bad_value(value=-1)},
     ["body", "meterValues", 3, "value"], "greater_than_equal"),
    ("value 1e11", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "meterValues": with_bad_value(value=1e11)},
     ["body", "meterValues", 3, "value"], "less_than_equal"),
    ("value string -1", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                         "meterValues": with_bad_value(value="-1")},
     ["body", "meterValues", 3, "value"], "greater_than_equal"),
    # null for a required field: "missing" or "float_type" are both fair answers.
    ("value null", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "meterValues": with_bad_value(value=None)},
     ["body", "meterValues", 3, "value"], None),
    ("value bool", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "meterValues": with_bad_value(value=True)},
     ["body", "meterValues", 3, "value"], "float_type"),
    ("value NaN string", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                          "meterValues": with_bad_value(value="NaN")},
     ["body", "meterValues", 3, "value"], None),
    ("value Infinity string", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                               "meterValues": with_bad_value(value="Infinity")},
     ["body", "meterValues", 3, "value"], None),
    ("missing value", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                       "meterValues": [omit(v, "value") if i == 3 else v
                                                       for i, v in enumerate(valid_values())]},
     ["body", "meterValues", 3, "value"], "missing"),
    ("missing timestamp", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                           "meterValues": [omit(v, "timestamp") if i == 0 else v
                                                           for i, v in enumerate(valid_values())]},
     ["body", "meterValues", 0, "timestamp"], "missing"),
    ("timestamp yesterday", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                             "meterValues": with_bad_value(timestamp="yesterday")},
     ["body", "meterValues", 3, "timestamp"], "datetime_parsing"),
    ("timestamp out of range", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                                "meterValues": with_bad_value(timestamp="2026-13-45T99:00:00Z")},
     ["body", "meterValues", 3, "timestamp"], "datetime_parsing"),
    ("timestamp Feb 30", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                          "meterValues": with_bad_value(timestamp="2026-02-30T10:00:00Z")},
     ["body", "meterValues", 3, "timestamp"], "datetime_parsing"),
    ("timestamp number", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                          "meterValues": with_bad_value(timestamp=1772438400)},
     ["body", "meterValues", 3, "timestamp"], None),
    ("measurand number", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                          "meterValues": with_bad_value(measurand=5)},
     ["body", "meterValues", 3, "measurand"], "string_type"),
    ("reconstructed string", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                              "meterValues": with_bad_value(reconstructed="yes")},
     ["body", "meterValues", 3, "reconstructed"], "bool_type"),
    ("meter value not object", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                                "meterValues": valid_values()[:3] + [42]},
     ["body", "meterValues", 3], None),
    ("meterValues object", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs,
                                            "meterValues": {"timestamp": lib.iso(T0), "value": 1}},
     ["body", "meterValues"], "list_type"),
    ("metadata string", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "metadata": "x"},
     ["body", "metadata"], "dict_type"),
    ("metadata list", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "metadata": [1]},
     ["body", "metadata"], "dict_type"),
    ("status running", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "status": "running"},
     ["body", "status"], "enum"),
    ("status failed", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "status": "failed"},
     ["body", "status"], "enum"),
    ("stopReason number", lambda sid, cs: {"sessionId": sid, "chargingStationId": cs, "stopReason": 3},
     ["body", "stopReason"], "string_type"),
]


@pytest.mark.parametrize("case", POST_CASES, ids=[c[0] for c in POST_CASES])
def test_post_validation(api_a, existing, case):
    _, build, loc, type_ = case
    r = api_a.post("/v1/sessions", build(existing.session_id, existing.chargingStationId))
    lib.assert_validation_error(r, loc, type_)
    existing.assert_unchanged()


def test_validation_reports_every_bad_field(api_a, existing):
    values = with_bad_value(1, value=-5)
    values[4] = dict(values[4], timestamp="nope")
    r = api_a.post("/v1/sessions", {"sessionId": existing.session_id, "chargingStationId": 7,
                                    "meterValues": values})
    lib.assert_validation_error(r, ["body", "chargingStationId"], "string_type")
    lib.assert_validation_error(r, ["body", "meterValues", 1, "value"], "greater_than_equal")
    lib.assert_validation_error(r, ["body", "meterValues", 4, "timestamp"], "datetime_parsing")
    existing.assert_unchanged()


@pytest.mark.parametrize(
    "data,type_",
    [
        (b"this is not json", "json_invalid"),
        (b'{"sessionId": "x", ', "json_invalid"),
        (b"", "json_invalid"),
        (b"\xff\xfe\x00garbage", "json_invalid"),
        (b"[]", "model_attributes_type"),
        (b'[{"sessionId": "x", "chargingStationId": "y"}]', "model_attributes_type"),
        (b'"a string"', "model_attributes_type"),
        (b"42", "model_attributes_type"),
        (b"null", "model_attributes_type"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_body_not_a_json_object(api_a, existing, method, data, type_):
    path = "/v1/sessions" if method == "POST" else f"/v1/sessions/{existing.session_id}"
    r = api_a.raw(method, path, data)
    lib.assert_validation_error(r, ["body"], type_)
    existing.assert_unchanged()


def test_duplicate_keys_or_trailing_garbage(api_a, existing):
    r = api_a.raw("POST", "/v1/sessions", json.dumps({"sessionId": existing.session_id,
                                                      "chargingStationId": existing.chargingStationId}) + " xyz")
    lib.assert_validation_error(r, ["body"], "json_invalid")
    existing.assert_unchanged()


def test_deeply_nested_json_is_rejected_not_crashing(env, api_a, existing):
    depth = 100000
    data = b'{"sessionId": "x", "chargingStationId": "y", "metadata": ' + b"[" * depth + b"]" * depth + b"}"
    r = api_a.raw("POST", "/v1/sessions", data)
    assert 400 <= r.status_code < 500, lib.describe(r)
    assert env.anonymous().get("/healthz").status_code == 200
    existing.assert_unchanged()


def test_bad_value_at_index_3_is_atomic_on_post_put_patch(api_a, existing):
    bad = with_bad_value(3, value="abc")
    for method, path, body in (
        ("POST", "/v1/sessions", {"sessionId": existing.session_id, "chargingStationId": existing.chargingStationId,
                                  "meterValues": bad, "metadata": {"changed": True}}),
        ("PUT", f"/v1/sessions/{existing.session_id}", {"meterValues": bad, "metadata": {"changed": True}}),
        ("PATCH", f"/v1/sessions/{existing.session_id}", {"meterValues": bad, "stopReason": "Remote"}),
    ):
        r = api_a.request(method, path, json=body)
        lib.assert_validation_error(r, ["body", "meterValues", 3, "value"], "float_type")
        existing.assert_unchanged()


PUT_CASES = [
    ("empty meterValues", {"meterValues": []}, ["body", "meterValues"], "too_short"),
    ("missing meterValues", {"metadata": {}}, ["body", "meterValues"], "missing"),
    ("meterValues null", {"meterValues": None}, ["body", "meterValues"], None),  # missing or list_type
    ("status active", {"meterValues": valid_values(), "status": "active"}, ["body", "status"], "enum"),
    ("status pending", {"meterValues": valid_values(), "status": "pending"}, ["body", "status"], "enum"),
    ("value too big", {"meterValues": with_bad_value(value=10000000001)}, ["body", "meterValues", 3, "value"],
     "less_than_equal"),
    ("metadata string", {"meterValues": valid_values(), "metadata": "x"}, ["body", "metadata"], "dict_type"),
]


@pytest.mark.parametrize("case", PUT_CASES, ids=[c[0] for c in PUT_CASES])
def test_put_validation(api_a, existing, case):
    _, body, loc, type_ = case
    lib.assert_validation_error(api_a.put(f"/v1/sessions/{existing.session_id}", body), loc, type_)
    existing.assert_unchanged()


PATCH_CASES = [
    ("status running", {"status": "running"}, ["body", "status"], "enum"),
    ("status active", {"status": "active"}, ["body", "status"], "enum"),
    ("meterValues object", {"meterValues": {"a": 1}}, ["body", "meterValues"], "list_type"),
    ("bad timestamp", {"meterValues": with_bad_value(timestamp="2026-13-45T99:00:00Z")},
     ["body", "meterValues", 3, "timestamp"], "datetime_parsing"),
    ("value negative", {"meterValues": with_bad_value(value=-0.001)}, ["body", "meterValues", 3, "value"],
     "greater_than_equal"),
    ("metadata number", {"metadata": 1}, ["body", "metadata"], "dict_type"),
]


@pytest.mark.parametrize("case", PATCH_CASES, ids=[c[0] for c in PATCH_CASES])
def test_patch_validation(api_a, existing, case):
    _, body, loc, type_ = case
    lib.assert_validation_error(api_a.patch(f"/v1/sessions/{existing.session_id}", body), loc, type_)
    existing.assert_unchanged()


def test_value_bounds_inclusive(api_a, station):
    values = [lib.mv(T0, 0), lib.mv(T0.replace(minute=1), 10000000000), lib.mv(T0.replace(minute=2), "10000000000")]
    r = api_a.post("/v1/sessions", {"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values})
    assert r.status_code == 200, lib.describe(r)


def test_field_length_bounds_inclusive(api_a):
    sid = "s" * 255
    r = api_a.post("/v1/sessions", {"sessionId": sid[:-12] + lib.uid("")[-12:], "chargingStationId": "c" * 255,
                                    "connectorId": "1" * 255, "evseId": "e" * 255})
    assert r.status_code == 200, lib.describe(r)


# ------------------------------------------------------------------------------------------------------------------
# Query parameters of GET /v1/sessions

QUERY_CASES = [
    ({"pageSize": "0"}, ["query", "pageSize"], "greater_than_equal"),
    ({"pageSize": "1001"}, ["query", "pageSize"], "less_than_equal"),
    ({"pageSize": "100000"}, ["query", "pageSize"], "less_than_equal"),
    ({"pageSize": "abc"}, ["query", "pageSize"], "int_parsing"),
    ({"pageSize": "1.5"}, ["query", "pageSize"], "int_parsing"),
    ({"page": "0"}, ["query", "page"], "greater_than_equal"),
    ({"page": "-1"}, ["query", "page"], "greater_than_equal"),
    ({"page": "x"}, ["query", "page"], "int_parsing"),
    ({"page": "99999999999999999999999"}, ["query", "page"], None),
    ({"minScore": "abc"}, ["query", "minScore"], "float_parsing"),
    ({"minScore": "1.5"}, ["query", "minScore"], "less_than_equal"),
    ({"minScore": "-0.1"}, ["query", "minScore"], "greater_than_equal"),
    ({"minConfidence": "2"}, ["query", "minConfidence"], "less_than_equal"),
    ({"minConfidence": "nan"}, ["query", "minConfidence"], None),
    ({"isAnomaly": "maybe"}, ["query", "isAnomaly"], "bool_parsing"),
    ({"dateFrom": "yesterday"}, ["query", "dateFrom"], None),
    ({"dateTo": "2026-13-45"}, ["query", "dateTo"], None),
]


@pytest.mark.parametrize("params,loc,type_", QUERY_CASES, ids=[",".join(f"{k}={v}" for k, v in c[0].items())
                                                               for c in QUERY_CASES])
def test_list_query_validation(api_a, params, loc, type_):
    lib.assert_validation_error(api_a.get("/v1/sessions", params=params), loc, type_)


def test_list_query_bounds_accepted(api_a):
    for params in ({"pageSize": "1"}, {"pageSize": "1000"}, {"minScore": "0"}, {"minScore": "1"},
                   {"minConfidence": "0.5"}, {"isAnomaly": "true"}, {"isAnomaly": "false"}):
        r = api_a.get("/v1/sessions", params=params)
        assert r.status_code == 200, lib.describe(r)


# ------------------------------------------------------------------------------------------------------------------
# Body size limit


def send_raw(port: int, head: bytes, body_chunks, timeout: float = 30.0) -> bytes:
    """Sends a request over a raw socket while a reader thread collects whatever the server answers, so an
    early 413 followed by a close is still seen. Returns the bytes received."""
    received = bytearray()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def reader():
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
                if b"\r\n\r\n" in received:
                    head_end = received.index(b"\r\n\r\n")
                    headers = received[:head_end].decode(errors="replace").lower()
                    length = 0
                    for line in headers.split("\r\n"):
                        if line.startswith("content-length:"):
                            length = int(line.split(":", 1)[1])
                    if len(received) >= head_end + 4 + length:
                        break
        except OSError:
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        sock.sendall(head)
        for chunk in body_chunks:
            if not t.is_alive() and received:
                break  # the server has answered already
            sock.sendall(chunk)
    except OSError:
        pass  # the server closed the connection after answering early
    t.join(timeout)
    sock.close()
    return bytes(received)


def test_body_over_limit_is_413(env, api_a, existing):
    size = 40 * 1024 * 1024
    prefix = json.dumps({"sessionId": existing.session_id, "chargingStationId": existing.chargingStationId,
                         "metadata": {"pad": ""}})[:-3].encode()  # ... "pad": "
    suffix = b'"}}'
    pad = size - len(prefix) - len(suffix)
    chunk = b"x" * (1024 * 1024)

    def chunks():
        yield prefix
        left = pad
        while left > 0:
            yield chunk[: min(left, len(chunk))]
            left -= len(chunk)
        yield suffix

    head = (f"POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {env.a.api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n").encode()
    response = send_raw(env.server.port, head, chunks())
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), f"expected 413, got {response[:500]!r}"
    body = json.loads(response.split(b"\r\n\r\n", 1)[1] or b"{}")
    assert "detail" in body and "code" in body, body
    # The server is fine afterwards and the session untouched.
    assert env.anonymous().get("/healthz").status_code == 200
    existing.assert_unchanged()


def test_body_under_limit_is_accepted(api_a, station):
    """A large but allowed body (~2.5 MiB: a 24 h session at 10 s cadence, 25 920 values) is processed normally."""
    values = []
    for i in range(8640):
        ts = lib.iso(T0 + timedelta(seconds=10 * i))
        kwh = round(7.4 * i / 360, 4)
        values += [lib.mv(ts, kwh), lib.mv(ts, 7.4, lib.POWER, "kW"), lib.mv(ts, round(20 + kwh / 3, 3), lib.SOC, "%")]
    body = {"sessionId": lib.uid(), "chargingStationId": station, "meterValues": values}
    data = json.dumps(body)
    assert len(data) > 2 * 1024 * 1024
    r = api_a.raw("POST", "/v1/sessions", data)
    assert r.status_code == 200, lib.describe(r)
    assert len(api_a.session_detail(body["sessionId"])["meterValues"]) == len(values)


def test_nul_characters_are_refused_with_422(api_a, station):
    """Text is stored without NUL characters (PostgreSQL refuses them): a clear 422, never a 500."""
    sid = lib.uid()
    r = api_a.post("/v1/sessions", {"sessionId": "bad\u0000id", "chargingStationId": station})
    lib.assert_validation_error(r, ["body", "sessionId"], "string_pattern_mismatch")
    r = api_a.post("/v1/sessions", {"sessionId": sid, "chargingStationId": station, "metadata": {"k": "v\u0000"}})
    lib.assert_validation_error(r, ["body", "metadata"], "string_pattern_mismatch")
    r = api_a.post("/v1/sessions", {"sessionId": sid, "chargingStationId": station,
                                    "meterValues": [lib.mv("2026-02-27T10:00:00Z", 1, unit="k\u0000Wh")]})
    lib.assert_validation_error(r, ["body", "meterValues", 0, "unit"], "string_pattern_mismatch")
