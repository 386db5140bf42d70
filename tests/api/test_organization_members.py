"""Organization, members, invitations, roles, tenants and the audit log (issue #9)."""
import json
import time

import pytest

import evni_testlib as lib


@pytest.fixture(scope="module")
def operator(env):
    """A super_admin key, made with the CLI on the server's database."""
    proc = lib.run_cli("tenant", "create", "--name", "operator", "--super-admin", "--db", env.server.db_url)
    assert proc.returncode == 0, proc.stderr
    return env.client(json.loads(proc.stdout)["apiKey"])


@pytest.fixture
def tenant(env, operator):
    """A fresh tenant (created over the API by the operator) and its admin client."""
    r = operator.post("/v1/tenants", {"name": "t-" + lib.uid()})
    assert r.status_code == 200, lib.describe(r)
    body = r.json()
    assert set(body) >= {"tenantId", "name", "apiKey", "createdAt"}
    return env.client(body["apiKey"])


def invite(admin, email, role):
    r = admin.post("/v1/members/invitations", {"email": email, "role": role})
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def join(env, admin, email, role):
    inv = invite(admin, email, role)
    r = env.anonymous().post(f"/v1/invitations/{inv['token']}/accept", {})
    assert r.status_code == 200, lib.describe(r)
    body = r.json()
    assert body["email"] == email and body["role"] == role and body["token"]
    return body, env.client(body["token"])


def test_organization_get_and_put(tenant, env):
    org = tenant.get("/v1/organization").json()
    assert org["name"].startswith("t-") and org["timeZone"] == "UTC" and org["updatedAt"] is None
    r = tenant.put("/v1/organization", {"name": "Amsterdam Charging BV", "phone": "+31 20 123 4567",
                                        "address": "Damrak 1, Amsterdam", "taxIdType": "eu_vat",
                                        "taxIdValue": "NL123456789B01", "tariffPerKwh": 0.39, "currency": "EUR",
                                        "timeZone": "Europe/Amsterdam"})
    assert r.status_code == 200, lib.describe(r)
    org2 = r.json()
    assert org2["id"] == org["id"] and org2["tenantId"] == org["tenantId"]
    assert org2["tariffPerKwh"] == 0.39 and org2["currency"] == "EUR" and org2["timeZone"] == "Europe/Amsterdam"
    assert org2["updatedAt"] is not None
    # Absent fields are kept, null clears.
    r = tenant.put("/v1/organization", {"name": "ACB", "phone": None})
    org3 = r.json()
    assert org3["name"] == "ACB" and org3["phone"] is None and org3["currency"] == "EUR"
    assert tenant.get("/v1/organization").json() == org3


@pytest.mark.parametrize("body,loc,type_", [
    ({}, ["body", "name"], "missing"),
    ({"name": ""}, ["body", "name"], "string_too_short"),
    ({"name": "x", "currency": "euro"}, ["body", "currency"], None),
    ({"name": "x", "timeZone": "Mars/Base"}, ["body", "timeZone"], "string_pattern_mismatch"),
    ({"name": "x", "tariffPerKwh": -1}, ["body", "tariffPerKwh"], "greater_than_equal"),
    ({"name": "x", "tariffPerKwh": "cheap"}, ["body", "tariffPerKwh"], "float_type"),
    ({"name": "x", "phone": "call me"}, ["body", "phone"], "string_pattern_mismatch"),
    ({"name": "x", "taxIdType": "EU VAT"}, ["body", "taxIdType"], "string_pattern_mismatch"),
])
def test_organization_validation(tenant, body, loc, type_):
    lib.assert_validation_error(tenant.put("/v1/organization", body), loc, type_)


def test_invitation_flow_and_member_list(env, tenant):
    inv = invite(tenant, "Eng@Example.com", "member")
    assert inv["email"] == "eng@example.com" and inv["role"] == "member" and inv["token"].startswith("evni_inv_")
    members = tenant.get("/v1/members").json()["members"]
    pending = [m for m in members if m["status"] == "pending"]
    assert len(pending) == 1 and pending[0]["invitationId"] == inv["invitationId"]
    assert set(pending[0]) == {"userId", "email", "role", "status", "joinedAt", "invitedAt", "expiresAt",
                               "invitedBy", "invitationId"}
    r = env.anonymous().post(f"/v1/invitations/{inv['token']}/accept", {})
    assert r.status_code == 200, lib.describe(r)
    member = env.client(r.json()["token"])
    # The personal access token works with the member's role: reads and session writes, no admin routes.
    assert member.get("/v1/sessions").status_code == 200
    assert member.post("/v1/sessions", lib.clean_ac_session(lib.uid(), "CP-M", minutes=5)).status_code == 200
    assert member.get("/v1/api-keys").status_code == 403
    # One-time: reuse is refused.
    again = env.anonymous().post(f"/v1/invitations/{inv['token']}/accept", {})
    assert again.status_code == 410, lib.describe(again)
    listed = tenant.get("/v1/members").json()["members"]
    active = [m for m in listed if m["status"] == "active"]
    assert [m["email"] for m in active] == ["eng@example.com"]
    # Viewers and members do not see pending invitations.
    invite(tenant, "later@example.com", "viewer")
    assert all(m["status"] == "active" for m in member.get("/v1/members").json()["members"])
    assert any(m["status"] == "pending" for m in tenant.get("/v1/members").json()["members"])


def test_unknown_invitation_token(env):
    assert env.anonymous().post("/v1/invitations/evni_inv_nope/accept", {}).status_code == 404


def test_expired_invitation_is_refused(env, tenant):
    inv = invite(tenant, "late@example.com", "viewer")
    past_ms = int(time.time() * 1000) - 1000
    lib.execute_sql(env.server.db,
                    "UPDATE invitations SET expires_at = ? WHERE id = ?",
                    "UPDATE invitations SET expires_at = to_timestamp(? / 1000.0) WHERE id = ?",
                    (past_ms, inv["invitationId"]))
    r = env.anonymous().post(f"/v1/invitations/{inv['token']}/accept", {})
    assert r.status_code == 410 and "expired" in r.json()["detail"].lower()
    listed = [m for m in tenant.get("/v1/members").json()["members"] if m.get("invitationId") == inv["invitationId"]]
    assert listed and listed[0]["status"] == "expired"


def test_reinvite_replaces_pending_invitation(env, tenant):
    first = invite(tenant, "twice@example.com", "viewer")
    second = invite(tenant, "twice@example.com", "member")
    assert env.anonymous().post(f"/v1/invitations/{first['token']}/accept", {}).status_code == 404
    r = env.anonymous().post(f"/v1/invitations/{second['token']}/accept", {})
    assert r.status_code == 200 and r.json()["role"] == "member"
    assert tenant.post("/v1/members/invitations", {"email": "twice@example.com", "role": "viewer"}).status_code == 409


def test_role_change_applies_to_tokens(env, tenant):
    m, client = join(env, tenant, "ops@example.com", "viewer")
    assert client.post("/v1/sessions", lib.clean_ac_session(lib.uid(), "CP-R", minutes=5)).status_code == 403
    r = tenant.patch(f"/v1/members/{m['userId']}", {"role": "member"})
    assert r.status_code == 200 and r.json()["role"] == "member"
    assert client.post("/v1/sessions", lib.clean_ac_session(lib.uid(), "CP-R", minutes=5)).status_code == 200
    lib.assert_validation_error(tenant.patch(f"/v1/members/{m['userId']}", {"role": "boss"}), ["body", "role"], "enum")
    assert tenant.patch("/v1/members/nope", {"role": "viewer"}).status_code == 404


def test_remove_member_revokes_tokens(env, tenant):
    m, client = join(env, tenant, "leaver@example.com", "member")
    assert client.get("/v1/sessions").status_code == 200
    assert tenant.delete(f"/v1/members/{m['userId']}").status_code == 200
    assert client.get("/v1/sessions").status_code == 401
    assert tenant.delete(f"/v1/members/{m['userId']}").status_code == 404


def test_last_admin_cannot_be_removed_or_demoted(env, tenant):
    a1, admin1 = join(env, tenant, "admin1@example.com", "admin")
    r = tenant.patch(f"/v1/members/{a1['userId']}", {"role": "member"})
    assert r.status_code == 409, lib.describe(r)
    assert tenant.delete(f"/v1/members/{a1['userId']}").status_code == 409
    a2, _ = join(env, admin1, "admin2@example.com", "admin")
    assert admin1.patch(f"/v1/members/{a2['userId']}", {"role": "member"}).status_code == 200
    assert tenant.delete(f"/v1/members/{a1['userId']}").status_code == 409


def test_roles_cannot_be_escalated(env, tenant):
    r = tenant.post("/v1/members/invitations", {"email": "root@example.com", "role": "super_admin"})
    assert r.status_code == 403
    r = tenant.post("/v1/api-keys", {"name": "root", "role": "super_admin"})
    assert r.status_code == 403
    r = tenant.post("/v1/api-keys", {"name": "ro", "role": "viewer"})
    assert r.status_code == 200 and r.json()["role"] == "viewer"
    viewer = env.client(r.json()["key"])
    assert viewer.get("/v1/sessions").status_code == 200
    assert viewer.post("/v1/sessions", lib.clean_ac_session(lib.uid(), "CP-V")).status_code == 403
    assert viewer.put("/v1/organization", {"name": "x"}).status_code == 403
    assert tenant.post("/v1/tenants", {"name": "nope"}).status_code == 403


def test_invitation_validation(tenant):
    lib.assert_validation_error(tenant.post("/v1/members/invitations", {"role": "viewer"}), ["body", "email"], "missing")
    lib.assert_validation_error(tenant.post("/v1/members/invitations", {"email": "not-an-email", "role": "viewer"}),
                                ["body", "email"], "value_error")
    lib.assert_validation_error(tenant.post("/v1/members/invitations", {"email": "a@b.co"}), ["body", "role"], "missing")
    lib.assert_validation_error(tenant.post("/v1/members/invitations", {"email": "a@b.co", "role": "god"}),
                                ["body", "role"], "enum")


def test_audit_log_records_who_what_when(env, tenant):
    key = tenant.post("/v1/api-keys", {"name": "ci"}).json()
    tenant.delete(f"/v1/api-keys/{key['id']}")
    m, _ = join(env, tenant, "audited@example.com", "viewer")
    tenant.patch(f"/v1/members/{m['userId']}", {"role": "member"})
    tenant.delete(f"/v1/members/{m['userId']}")
    tenant.put("/v1/organization", {"name": "Audited"})
    log = tenant.get("/v1/audit-log", params={"pageSize": 100}).json()
    actions = [e["action"] for e in log["items"]]
    for expected in ["tenant.created", "api_key.created", "api_key.revoked", "member.invited", "member.joined",
                     "member.role_changed", "member.removed", "organization.updated"]:
        assert expected in actions, (expected, actions)
    assert actions[0] == "organization.updated"  # newest first
    entry = next(e for e in log["items"] if e["action"] == "member.role_changed")
    assert entry["targetId"] == m["userId"] and entry["details"] == {"from": "viewer", "to": "member"}
    assert entry["actor"].startswith("api-key:") and entry["at"].endswith("Z")
    assert log["pagination"]["totalCount"] == len(log["items"])
    page = tenant.get("/v1/audit-log", params={"pageSize": 2, "page": 2}).json()
    assert len(page["items"]) == 2 and page["items"][0] == log["items"][2]


def test_team_data_is_isolated(env, tenant, operator):
    other = env.client(operator.post("/v1/tenants", {"name": "other"}).json()["apiKey"])
    m, _ = join(env, tenant, "mine@example.com", "viewer")
    assert other.patch(f"/v1/members/{m['userId']}", {"role": "admin"}).status_code == 404
    assert other.delete(f"/v1/members/{m['userId']}").status_code == 404
    assert all(x["email"] != "mine@example.com" for x in other.get("/v1/members").json()["members"])
    assert all(e["action"] != "member.joined" for e in other.get("/v1/audit-log").json()["items"])
    assert other.get("/v1/organization").json()["id"] != tenant.get("/v1/organization").json()["id"]
