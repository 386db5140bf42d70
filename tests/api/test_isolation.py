"""Tenant isolation: a tenant never sees, changes or lists another tenant's sessions."""

import evni_testlib as lib


def make_a_session(api_a, station):
    sid = lib.uid("iso")
    api_a.create_session(lib.reference_example(sid, station))
    return sid, api_a.session_detail(sid)


def test_other_tenant_cannot_read(api_a, api_b, station):
    sid, _ = make_a_session(api_a, station)
    body = lib.assert_error_body(api_b.get(f"/v1/sessions/{sid}"), 404)
    assert body["detail"] == "Session not found"


def test_other_tenant_cannot_replace_or_append(api_a, api_b, station):
    sid, before = make_a_session(api_a, station)
    lib.assert_error_body(api_b.put(f"/v1/sessions/{sid}", {"meterValues": lib.energy_values(3),
                                                            "status": "invalid"}), 404)
    lib.assert_error_body(api_b.patch(f"/v1/sessions/{sid}", {"meterValues": lib.energy_values(3),
                                                              "metadata": {"owned": "by B"}}), 404)
    lib.assert_error_body(api_b.patch(f"/v1/sessions/{sid}", {"status": "completed"}), 404)
    assert api_a.session_detail(sid) == before


def test_same_session_id_in_two_tenants_is_two_sessions(api_a, api_b, station):
    sid, before = make_a_session(api_a, station)
    # B uses the same id on another station: no 409, B gets its own session.
    b_values = lib.clean_ac_values(minutes=20)
    r = api_b.post("/v1/sessions", {"sessionId": sid, "chargingStationId": station + "-B", "meterValues": b_values,
                                    "metadata": {"tenant": "B"}, "status": "completed"})
    assert r.status_code == 200, lib.describe(r)
    b = r.json()
    assert b["chargingStationId"] == station + "-B" and b["status"] == "completed"
    assert b["isAnomaly"] is False and b["createdAt"] is not None
    b_detail = api_b.session_detail(sid)
    assert len(b_detail["meterValues"]) == len(b_values)
    assert b_detail["metadata"] == {"tenant": "B"}
    # A's session is unchanged.
    assert api_a.session_detail(sid) == before
    # And B changing its copy leaves A's alone.
    r = api_b.put(f"/v1/sessions/{sid}", {"meterValues": lib.energy_values(3)})
    assert r.status_code == 200, lib.describe(r)
    assert api_a.session_detail(sid) == before


def test_same_session_id_same_station_in_two_tenants(api_a, api_b, station):
    sid, before = make_a_session(api_a, station)
    r = api_b.post("/v1/sessions", {"sessionId": sid, "chargingStationId": station})
    assert r.status_code == 200, lib.describe(r)
    assert r.json()["status"] == "pending"
    assert api_a.session_detail(sid) == before


def test_lists_show_only_own_sessions(env, api_a, api_b, station):
    a_ids = {make_a_session(api_a, station)[0] for _ in range(2)}
    b_only = lib.uid("b-only")
    api_b.create_session({"sessionId": b_only, "chargingStationId": station})
    a_list = api_a.list_sessions(chargingStationId=station)
    assert {c["sessionId"] for c in a_list["content"]} == a_ids
    assert a_list["pagination"]["totalCount"] == 2
    b_list = api_b.list_sessions(chargingStationId=station)
    assert {c["sessionId"] for c in b_list["content"]} == {b_only}
    assert b_list["pagination"]["totalCount"] == 1
    # Unfiltered, B's whole list never contains A's session ids.
    b_all = api_b.list_sessions(pageSize=1000)
    assert not a_ids & {c["sessionId"] for c in b_all["content"]}


def test_key_created_by_b_sees_only_b(env, api_a, api_b, station):
    sid, _ = make_a_session(api_a, station)
    r = api_b.post("/v1/api-keys", {"name": "b-extra"})
    assert r.status_code == 200, lib.describe(r)
    assert r.json()["tenantId"] == env.b.tenant_id
    b2 = env.client(r.json()["key"])
    lib.assert_error_body(b2.get(f"/v1/sessions/{sid}"), 404)
    assert b2.list_sessions(chargingStationId=station)["content"] == []
