"""Bearer authentication on every /v1 route, and the API key lifecycle (/v1/api-keys)."""

import time
from datetime import datetime, timedelta

import pytest

import evni_testlib as lib

V1_ROUTES = [
    ("GET", "/v1/sessions"),
    ("POST", "/v1/sessions"),
    ("GET", "/v1/sessions/any-id"),
    ("PUT", "/v1/sessions/any-id"),
    ("PATCH", "/v1/sessions/any-id"),
    ("GET", "/v1/api-keys"),
    ("POST", "/v1/api-keys"),
    ("DELETE", "/v1/api-keys/any-id"),
]


def assert_unauthorized(r):
    lib.assert_error_body(r, 401)
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers


@pytest.mark.parametrize("method,path", V1_ROUTES)
def test_v1_routes_require_a_key(env, method, path):
    # A valid body, so only the missing credentials can be the reason to refuse.
    body = lib.clean_ac_session(lib.uid(), "CS-auth", minutes=3) if method in ("POST", "PUT", "PATCH") else None
    if path == "/v1/api-keys" and method == "POST":
        body = {"name": "k"}
    r = env.anonymous().request(method, path, json=body)
    assert_unauthorized(r)


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "bearer-without-space",
        "Token abc",
        "Bearer not-a-real-key",
        "Bearer evni_0000000000000000000000000000000000000000",
        "Bearer " + "x" * 5000,
    ],
)
def test_malformed_or_unknown_keys_get_401(env, header):
    r = env.anonymous().get("/v1/sessions", headers={"Authorization": header})
    assert_unauthorized(r)


def test_tampered_key_gets_401(env):
    key = env.a.api_key
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert_unauthorized(env.client(tampered).get("/v1/sessions"))
    assert_unauthorized(env.client(key + "x").get("/v1/sessions"))


def test_admin_key_works(api_a):
    r = api_a.get("/v1/sessions")
    assert r.status_code == 200, lib.describe(r)


def create_key(client, **body):
    body.setdefault("name", lib.uid("key"))
    r = client.post("/v1/api-keys", body)
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def list_keys(client):
    r = client.get("/v1/api-keys")
    assert r.status_code == 200, lib.describe(r)
    body = r.json()
    assert isinstance(body.get("items"), list), body
    return body, r.text


def test_create_key_response(env, api_a):
    before = datetime.now(lib.UTC)
    k = create_key(api_a, name="ingest", description="for the CPMS")
    assert {"id", "name", "key", "tenantId", "expiresAt", "createdAt"} <= k.keys(), k
    assert k["name"] == "ingest"
    assert k["tenantId"] == env.a.tenant_id
    assert isinstance(k["key"], str) and len(k["key"]) >= 20
    assert k["key"] != env.a.api_key
    created = lib.parse_ts(k["createdAt"])
    assert before - timedelta(minutes=1) <= created <= datetime.now(lib.UTC) + timedelta(minutes=1)
    expires = lib.parse_ts(k["expiresAt"])
    assert abs(expires - (created + timedelta(days=365))) < timedelta(days=1), k
    # The new key authenticates as the same tenant.
    r = env.client(k["key"]).get("/v1/sessions")
    assert r.status_code == 200, lib.describe(r)


def test_expires_in_days(api_a):
    k = create_key(api_a, expiresInDays=30)
    delta = lib.parse_ts(k["expiresAt"]) - lib.parse_ts(k["createdAt"])
    assert abs(delta - timedelta(days=30)) < timedelta(days=1), k
    k = create_key(api_a, expiresInDays=3650)
    delta = lib.parse_ts(k["expiresAt"]) - lib.parse_ts(k["createdAt"])
    assert abs(delta - timedelta(days=3650)) < timedelta(days=1), k


def test_list_keys_never_shows_secrets(env, api_a):
    k = create_key(api_a, name="listed", description="desc")
    body, text = list_keys(api_a)
    assert k["key"] not in text
    assert env.a.api_key not in text
    for item in body["items"]:
        assert {"id", "name", "description", "tenantId", "createdAt", "expiresAt", "lastUsedAt",
                "revokedAt"} <= item.keys(), item
        for field in item:
            lowered = field.lower()
            assert lowered != "key" and "hash" not in lowered and "secret" not in lowered, item
        assert item["tenantId"] == env.a.tenant_id
    mine = [i for i in body["items"] if i["id"] == k["id"]]
    assert len(mine) == 1
    item = mine[0]
    assert item["name"] == "listed" and item["description"] == "desc"
    assert item["revokedAt"] is None
    assert item["createdAt"] == k["createdAt"] and item["expiresAt"] == k["expiresAt"]


def test_description_defaults_to_empty_string(api_a):
    k = create_key(api_a)
    body, _ = list_keys(api_a)
    (item,) = [i for i in body["items"] if i["id"] == k["id"]]
    assert item["description"] == ""


def test_last_used_at_is_set_on_use(env, api_a):
    k = create_key(api_a)
    body, _ = list_keys(api_a)
    (item,) = [i for i in body["items"] if i["id"] == k["id"]]
    assert item["lastUsedAt"] is None
    r = env.client(k["key"]).get("/v1/sessions")
    assert r.status_code == 200, lib.describe(r)
    body, _ = list_keys(api_a)
    (item,) = [i for i in body["items"] if i["id"] == k["id"]]
    assert item["lastUsedAt"] is not None, item
    used = lib.parse_ts(item["lastUsedAt"])
    assert abs(used - datetime.now(lib.UTC)) < timedelta(minutes=2)


def test_revoke_key(env, api_a):
    k = create_key(api_a)
    client = env.client(k["key"])
    assert client.get("/v1/sessions").status_code == 200
    r = api_a.delete(f"/v1/api-keys/{k['id']}")
    assert r.status_code == 200, lib.describe(r)
    assert r.json() == {}
    # Revocation takes effect at once, also on the connection that already used the key.
    assert_unauthorized(client.get("/v1/sessions"))
    assert_unauthorized(env.client(k["key"]).get("/v1/sessions"))
    body, _ = list_keys(api_a)
    (item,) = [i for i in body["items"] if i["id"] == k["id"]]
    assert item["revokedAt"] is not None
    lib.parse_ts(item["revokedAt"])
    # The admin key is unaffected.
    assert api_a.get("/v1/sessions").status_code == 200


def test_revoke_unknown_key_is_404(api_a):
    lib.assert_error_body(api_a.delete("/v1/api-keys/does-not-exist"), 404)
    lib.assert_error_body(api_a.delete("/v1/api-keys/00000000-0000-0000-0000-000000000000"), 404)


def test_revoke_twice(api_a):
    k = create_key(api_a)
    assert api_a.delete(f"/v1/api-keys/{k['id']}").status_code == 200
    r = api_a.delete(f"/v1/api-keys/{k['id']}")
    assert r.status_code in (200, 404), lib.describe(r)


def test_other_tenant_cannot_see_or_revoke_keys(env, api_a, api_b):
    k = create_key(api_a, name="a-only")
    body_b, text_b = list_keys(api_b)
    assert k["id"] not in [i["id"] for i in body_b["items"]]
    assert all(i["tenantId"] == env.b.tenant_id for i in body_b["items"])
    lib.assert_error_body(api_b.delete(f"/v1/api-keys/{k['id']}"), 404)
    # Still valid for A.
    assert env.client(k["key"]).get("/v1/sessions").status_code == 200
    body_a, _ = list_keys(api_a)
    (item,) = [i for i in body_a["items"] if i["id"] == k["id"]]
    assert item["revokedAt"] is None


def test_key_created_with_another_key_belongs_to_same_tenant(env, api_a):
    k1 = create_key(api_a)
    k2 = create_key(env.client(k1["key"]))
    assert k2["tenantId"] == env.a.tenant_id
    assert env.client(k2["key"]).get("/v1/sessions").status_code == 200


@pytest.mark.parametrize(
    "body,loc,type_",
    [
        ({}, ["body", "name"], "missing"),
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "n" * 101}, ["body", "name"], "string_too_long"),
        ({"name": 5}, ["body", "name"], "string_type"),
        ({"name": "ok", "description": 5}, ["body", "description"], "string_type"),
        ({"name": "ok", "expiresInDays": 0}, ["body", "expiresInDays"], "greater_than_equal"),
        ({"name": "ok", "expiresInDays": 3651}, ["body", "expiresInDays"], "less_than_equal"),
        ({"name": "ok", "expiresInDays": "abc"}, ["body", "expiresInDays"], None),
    ],
)
def test_create_key_validation(api_a, body, loc, type_):
    lib.assert_validation_error(api_a.post("/v1/api-keys", body), loc, type_)


def test_name_length_bounds_accepted(api_a):
    create_key(api_a, name="n")
    create_key(api_a, name="n" * 100)


def test_expired_key_gets_401(env, api_a):
    """Expiry cannot be reached through the API (expiresInDays >= 1), so the test moves expires_at into the past
    in the database directly. Schema-coupled on purpose."""
    k = create_key(api_a, name="to-expire")
    client = env.client(k["key"])
    assert client.get("/v1/sessions").status_code == 200
    lib.execute_sql(
        env.server.db,
        "UPDATE api_keys SET expires_at = ? WHERE id = ?",
        "UPDATE api_keys SET expires_at = to_timestamp(? / 1000.0) WHERE id = ?",
        (int(time.time() * 1000) - 1000, k["id"]),
    )
    # Keys are cached per node for up to 2 s (docs/api.md); a change made behind the server's back
    # is seen after that.
    time.sleep(2.2)
    assert_unauthorized(client.get("/v1/sessions"))
    assert_unauthorized(env.client(k["key"]).get("/v1/sessions"))
