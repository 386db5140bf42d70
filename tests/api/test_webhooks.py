"""Webhooks, events and deliveries (issue #7; docs/webhooks.md).

Deliveries go to a real receiver on loopback (http.server in a thread), so the servers of these tests
run with --allow-private-webhooks, short retry delays and a short job poll interval.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import evni_testlib as lib

HOOK_ARGS = ("--allow-private-webhooks", "--job-poll-ms", "100", "--webhook-retry-base-ms", "300",
             "--webhook-disable-after", "4", "--webhook-timeout-ms", "3000")


# ------------------------------------------------------------------------------------------------------------------
# A receiver


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records every request and answers with scripted statuses
    (then 200). stop()/start() take it down and up again on the same port."""

    def __init__(self, port: int | None = None):
        self.port = port or lib.free_port()
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answers for the next requests, then 200
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in
                                                                             self.headers.items()},
                                              "body": body, "status": status, "at": time.time()})
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver says no")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str | None = None, event_type: str | None = None) -> list[dict]:
        with self.lock:
            out = [r for r in self.requests if path is None or r["path"] == path]
        if event_type:
            out = [r for r in out if json.loads(r["body"])["type"] == event_type]
        return out

    def wait_for(self, count: int = 1, path: str | None = None, event_type: str | None = None,
                 timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(path, event_type)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"receiver got {len(self.received(path, event_type))} of {count} "
                             f"{event_type or 'requests'} on {path or 'any path'} within {timeout} s")


def verify(request: dict, secret: str, tolerance_s: int = 300) -> list[str]:
    """Checks the Evni-Signature header as a receiver would; returns the v1 values that match `secret`."""
    header = request["headers"]["evni-signature"]
    parts = [p.split("=", 1) for p in header.split(",")]
    t = int(next(v for k, v in parts if k == "t"))
    assert abs(time.time() - t) < tolerance_s
    expected = hmac.new(secret.encode(), f"{t}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return [v for k, v in parts if k == "v1" and hmac.compare_digest(v, expected)]


# ------------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def hooks_server(tmp_path_factory):
    """A server of its own that allows loopback webhooks, with short retry delays."""
    workdir = tmp_path_factory.mktemp("webhooks")
    db = lib.new_database(workdir)
    server = lib.EvniServer(db, workdir, name="webhooks",
                            extra_args=HOOK_ARGS + ("--secret-key-file", str(workdir / "evni-secret.key"))).start()
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """A server with the default target rules (https, public addresses only)."""
    workdir = tmp_path_factory.mktemp("webhooks-strict")
    db = lib.new_database(workdir)
    server = lib.EvniServer(db, workdir, name="webhooks-strict",
                            extra_args=("--secret-key-file", str(workdir / "evni-secret.key"))).start()
    yield server
    assert server.stop() == 0


@pytest.fixture
def api_a(strict_server):
    return lib.ApiClient(strict_server.base_url, lib.create_tenant(strict_server.db_url, "a-" + lib.uid())["apiKey"])


@pytest.fixture
def api_b(strict_server):
    return lib.ApiClient(strict_server.base_url, lib.create_tenant(strict_server.db_url, "b-" + lib.uid())["apiKey"])


@pytest.fixture
def admin(hooks_server):
    """A fresh tenant's admin client on the webhooks server."""
    tenant = lib.create_tenant(hooks_server.db_url, "hooks-" + lib.uid())
    return lib.ApiClient(hooks_server.base_url, tenant["apiKey"])


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def create_hook(client, url, events, **extra):
    r = client.post("/v1/webhooks", {"url": url, "events": events, **extra})
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def wait_delivery(client, hook_id, predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        detail = client.get(f"/v1/webhooks/{hook_id}").json()
        for d in detail["recentDeliveries"]:
            if predicate(d):
                return detail, d
        time.sleep(0.1)
    raise AssertionError(f"no matching delivery within {timeout} s: {detail}")


# ------------------------------------------------------------------------------------------------------------------
# Management (a server with the default rules: no private targets allowed)


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/evni",   # plain http
    "https://127.0.0.1/hook",          # loopback
    "https://localhost:8443/hook",
    "https://10.1.2.3/hook",           # private
    "https://192.168.1.20/hook",
    "https://169.254.169.254/latest",  # link-local (cloud metadata)
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "ftp://hooks.example.com/",
    "not a url",
    "https://user:pw@hooks.example.com/",
])
def test_create_refuses_non_https_and_private_targets(api_a, url):
    r = api_a.post("/v1/webhooks", {"url": url, "events": ["session.analyzed"]})
    lib.assert_validation_error(r, ["body", "url"])


def test_create_validates_events(api_a):
    url = "https://hooks.example.com/evni"
    lib.assert_validation_error(api_a.post("/v1/webhooks", {"url": url, "events": []}), ["body", "events"])
    lib.assert_validation_error(api_a.post("/v1/webhooks", {"url": url, "events": ["session.exploded"]}),
                                ["body", "events"])
    lib.assert_validation_error(api_a.post("/v1/webhooks", {"url": url, "events": [3]}), ["body", "events", 0])
    lib.assert_validation_error(api_a.post("/v1/webhooks", {"url": url}), ["body", "events"])
    lib.assert_validation_error(api_a.post("/v1/webhooks", {"events": ["session.analyzed"]}), ["body", "url"])


def test_crud_list_filter_and_no_secret_in_reads(api_a, api_b):
    a = create_hook(api_a, "https://hooks.example.com/a", ["batch.completed"], description="first")
    b = create_hook(api_a, "https://hooks.example.com/b", ["station.anomaly", "batch.completed"])
    assert a["secret"].startswith("whsec_") and a["secret"] != b["secret"]
    assert a["enabled"] is True and a["failureCount"] == 0 and a["disabledAt"] is None
    assert a["description"] == "first" and b["description"] is None

    listed = api_a.get("/v1/webhooks").json()
    ids = [w["id"] for w in listed["content"]]
    assert a["id"] in ids and b["id"] in ids
    assert all("secret" not in w for w in listed["content"])
    only_station = api_a.get("/v1/webhooks", params={"events": "station.anomaly"}).json()
    assert [w["id"] for w in only_station["content"]] == [b["id"]]
    either = api_a.get("/v1/webhooks", params=[("events", "station.anomaly"), ("events", "batch.completed")]).json()
    assert {a["id"], b["id"]} <= {w["id"] for w in either["content"]}
    lib.assert_validation_error(api_a.get("/v1/webhooks", params={"events": "nope"}), ["query", "events"])

    detail = api_a.get(f"/v1/webhooks/{a['id']}").json()
    assert "secret" not in detail and detail["recentDeliveries"] == []

    r = api_a.patch(f"/v1/webhooks/{a['id']}", {"url": "https://hooks.example.com/a2", "events": ["incident.created"],
                                                "description": None, "enabled": False})
    assert r.status_code == 200, lib.describe(r)
    patched = r.json()
    assert patched["url"].endswith("/a2") and patched["events"] == ["incident.created"]
    assert patched["description"] is None and patched["enabled"] is False and "secret" not in patched
    lib.assert_validation_error(api_a.patch(f"/v1/webhooks/{a['id']}", {"url": "http://hooks.example.com"}),
                                ["body", "url"])

    # Another tenant sees none of it.
    assert api_b.get(f"/v1/webhooks/{a['id']}").status_code == 404
    assert api_b.delete(f"/v1/webhooks/{a['id']}").status_code == 404
    assert a["id"] not in [w["id"] for w in api_b.get("/v1/webhooks").json()["content"]]

    assert api_a.delete(f"/v1/webhooks/{a['id']}").status_code == 200
    assert api_a.get(f"/v1/webhooks/{a['id']}").status_code == 404
    assert api_a.delete(f"/v1/webhooks/{b['id']}").status_code == 200


def test_viewer_reads_but_cannot_manage(api_a):
    r = api_a.post("/v1/api-keys", {"name": "viewer-" + lib.uid(), "role": "viewer"})
    assert r.status_code == 200, lib.describe(r)
    viewer = lib.ApiClient(api_a.base_url, r.json()["key"])
    assert viewer.get("/v1/webhooks").status_code == 200
    r = viewer.post("/v1/webhooks", {"url": "https://hooks.example.com/v", "events": ["batch.completed"]})
    assert r.status_code == 403


# ------------------------------------------------------------------------------------------------------------------
# Delivery


def test_test_event_is_signed_and_recorded(admin, receiver):
    hook = create_hook(admin, receiver.url("/signed"), ["session.analyzed"])
    r = admin.post(f"/v1/webhooks/{hook['id']}/test", {})
    assert r.status_code == 200, lib.describe(r)
    queued = r.json()
    assert queued["status"] == "pending"
    req = receiver.wait_for(1, "/signed")[0]
    assert len(verify(req, hook["secret"])) == 1
    assert not verify(req, "whsec_wrong")
    event = json.loads(req["body"])
    assert event["type"] == "webhook.test" and event["data"]["webhookId"] == hook["id"]
    assert req["headers"]["evni-event-id"] == event["id"] == queued["eventId"]
    assert req["headers"]["evni-delivery-id"] == queued["deliveryId"]
    assert req["headers"]["evni-event-type"] == "webhook.test"
    assert req["headers"]["content-type"] == "application/json"
    _, d = wait_delivery(admin, hook["id"], lambda d: d["id"] == queued["deliveryId"] and d["status"] == "delivered")
    assert d["httpStatus"] == 200 and d["attemptCount"] == 1 and d["completedAt"] and d["eventType"] == "webhook.test"


def test_rotation_signs_with_both_secrets_during_grace(admin, receiver):
    hook = create_hook(admin, receiver.url("/rotate"), ["session.analyzed"])
    r = admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", {})
    assert r.status_code == 200, lib.describe(r)
    rotated = r.json()
    assert rotated["secret"] != hook["secret"] and rotated["id"] == hook["id"]
    assert "secret" not in admin.get(f"/v1/webhooks/{hook['id']}").json()
    admin.post(f"/v1/webhooks/{hook['id']}/test", {})
    req = receiver.wait_for(1, "/rotate")[0]
    v1 = [p for p in req["headers"]["evni-signature"].split(",") if p.startswith("v1=")]
    assert len(v1) == 2
    assert verify(req, rotated["secret"]) == [v1[0][3:]]  # the new secret signs first
    assert verify(req, hook["secret"]) == [v1[1][3:]]     # the old one still signs


def test_session_writes_fire_subscribed_events_only(admin, receiver):
    analyzed = create_hook(admin, receiver.url("/analyzed"), ["session.analyzed"])
    anomalies = create_hook(admin, receiver.url("/anomalies"), ["anomaly.detected", "anomaly.resolved"])
    create_hook(admin, receiver.url("/batches"), ["batch.completed"])
    sid = lib.uid()
    station = lib.uid("CS")
    s = admin.create_session(lib.reference_example(sid, station))
    assert s["isAnomaly"] is True, s
    categories = sorted({a["category"] for a in s.get("anomalies", [])}) if s.get("anomalies") else None

    got = receiver.wait_for(1, "/analyzed")
    event = json.loads(got[0]["body"])
    assert event["type"] == "session.analyzed" and event["tenantId"]
    assert event["data"]["sessionId"] == sid and event["data"]["stationId"] == station
    assert event["data"]["isAnomaly"] is True and event["data"]["anomalyCount"] >= 1
    assert len(verify(got[0], analyzed["secret"])) == 1

    # One anomaly.detected per category, each its own delivery job: wait for all of them, not the first one.
    detected = receiver.wait_for(len(event["data"]["categories"]), "/anomalies", "anomaly.detected")
    cats = sorted(json.loads(r["body"])["data"]["category"] for r in detected)
    assert cats == sorted(event["data"]["categories"]), (cats, event)
    if categories:
        assert cats == categories
    assert all(len(verify(r, anomalies["secret"])) == 1 for r in detected)

    # Replacing the values with a clean charge resolves the anomalies, and is analysed again.
    r = admin.put(f"/v1/sessions/{sid}", {"chargingStationId": station, "connectorId": "1",
                                           "meterValues": lib.clean_ac_values(60)})
    assert r.status_code == 200, lib.describe(r)
    assert r.json()["isAnomaly"] is False, r.json()
    resolved = receiver.wait_for(len(cats), "/anomalies", "anomaly.resolved")
    assert sorted(json.loads(r["body"])["data"]["category"] for r in resolved) == cats
    receiver.wait_for(2, "/analyzed")
    time.sleep(0.5)
    assert receiver.received("/batches") == []  # not subscribed to session events
    assert len(receiver.received("/analyzed")) == 2
    # One event id per event, the same in the header and the body.
    for req in receiver.received():
        assert req["headers"]["evni-event-id"] == json.loads(req["body"])["id"]


def test_no_events_for_disabled_webhooks_or_other_tenants(admin, hooks_server, receiver):
    hook = create_hook(admin, receiver.url("/disabled"), ["session.analyzed"])
    assert admin.patch(f"/v1/webhooks/{hook['id']}", {"enabled": False}).json()["enabled"] is False
    other = lib.create_tenant(hooks_server.db_url, "other-" + lib.uid())
    other_client = lib.ApiClient(hooks_server.base_url, other["apiKey"])
    other_client.create_session(lib.clean_ac_session(lib.uid(), lib.uid("CS")))
    admin.create_session(lib.clean_ac_session(lib.uid(), lib.uid("CS")))
    time.sleep(1.0)
    assert receiver.received("/disabled") == []


def test_retries_after_failed_answers(admin, receiver):
    receiver.statuses = [500, 503]
    hook = create_hook(admin, receiver.url("/flaky"), ["session.analyzed"])
    queued = admin.post(f"/v1/webhooks/{hook['id']}/test", {}).json()
    got = receiver.wait_for(3, "/flaky")
    assert [r["status"] for r in got] == [500, 503, 200]
    assert {r["headers"]["evni-delivery-id"] for r in got} == {queued["deliveryId"]}
    assert {r["headers"]["evni-event-id"] for r in got} == {queued["eventId"]}
    assert [r["headers"]["evni-delivery-attempt"] for r in got] == ["1", "2", "3"]
    assert len({r["body"] for r in got}) == 1  # the payload is frozen
    assert got[2]["at"] - got[1]["at"] >= 0.1 and got[1]["at"] - got[0]["at"] >= 0.1  # backoff
    detail, d = wait_delivery(admin, hook["id"], lambda d: d["status"] == "delivered")
    assert d["attemptCount"] == 3 and d["httpStatus"] == 200 and d["error"] is None
    assert detail["failureCount"] == 0  # reset by the success


def test_consecutive_failures_disable_the_webhook(admin, receiver):
    receiver.statuses = [500] * 20
    hook = create_hook(admin, receiver.url("/broken"), ["session.analyzed"])
    admin.post(f"/v1/webhooks/{hook['id']}/test", {})
    receiver.wait_for(4, "/broken")  # --webhook-disable-after 4
    detail, d = wait_delivery(admin, hook["id"], lambda d: d["status"] == "failed")
    assert detail["enabled"] is False and detail["disabledAt"] and detail["failureCount"] >= 4
    assert d["httpStatus"] == 500 and d["attemptCount"] == 4 and "disabled" in d["error"]
    time.sleep(1.0)
    assert len(receiver.received("/broken")) == 4  # no attempt after the disable
    # Events are no longer delivered to it.
    admin.create_session(lib.clean_ac_session(lib.uid(), lib.uid("CS")))
    time.sleep(0.8)
    assert len(receiver.received("/broken")) == 4
    # Enabling it again starts a fresh count.
    enabled = admin.patch(f"/v1/webhooks/{hook['id']}", {"enabled": True}).json()
    assert enabled["enabled"] is True and enabled["disabledAt"] is None and enabled["failureCount"] == 0
    listed = [w for w in admin.get("/v1/webhooks").json()["content"] if w["id"] == hook["id"]][0]
    assert listed["enabled"] is True


def test_delete_removes_deliveries(admin, receiver):
    hook = create_hook(admin, receiver.url("/deleted"), ["session.analyzed"])
    admin.post(f"/v1/webhooks/{hook['id']}/test", {})
    receiver.wait_for(1, "/deleted")
    assert admin.delete(f"/v1/webhooks/{hook['id']}").status_code == 200
    assert admin.get(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert admin.post(f"/v1/webhooks/{hook['id']}/test", {}).status_code == 404
    assert admin.post(f"/v1/webhooks/{hook['id']}/rotate-secret", {}).status_code == 404


def test_pending_delivery_survives_a_restart(tmp_path):
    db = lib.new_database(tmp_path)
    tenant = lib.create_tenant(lib.db_url(db), "restart")
    args = HOOK_ARGS + ("--secret-key-file", str(tmp_path / "evni-secret.key"))
    server = lib.EvniServer(db, tmp_path, name="restart", extra_args=args).start()
    receiver = Receiver()  # not listening yet: connections are refused
    try:
        client = lib.ApiClient(server.base_url, tenant["apiKey"])
        hook = create_hook(client, receiver.url("/later"), ["session.analyzed"])
        s = client.create_session(lib.clean_ac_session(lib.uid(), lib.uid("CS")))
        _, d = wait_delivery(client, hook["id"], lambda d: d["attemptCount"] >= 1)
        assert d["status"] == "pending" and d["httpStatus"] is None and d["error"], d
        assert server.stop() == 0

        receiver.start()
        server.start()
        client = lib.ApiClient(server.base_url, tenant["apiKey"])
        got = receiver.wait_for(1, "/later", timeout=20)
        event = json.loads(got[0]["body"])
        assert event["type"] == "session.analyzed" and event["data"]["sessionId"] == s["sessionId"]
        assert len(verify(got[0], hook["secret"])) == 1  # the secret survived the restart, sealed
        _, d2 = wait_delivery(client, hook["id"], lambda x: x["id"] == d["id"] and x["status"] == "delivered")
        assert d2["attemptCount"] >= 2
    finally:
        receiver.stop()
        assert server.stop() == 0
