"""Probes and metrics (no auth), request ids, keep-alive, --version."""

import socket

import pytest

import evni_testlib as lib


def test_healthz(env):
    r = env.anonymous().get("/healthz")
    assert r.status_code == 200, lib.describe(r)
    assert r.json() == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")


def test_readyz(env):
    r = env.anonymous().get("/readyz")
    assert r.status_code == 200, lib.describe(r)
    assert r.json() == {"status": "ready"}


def test_metrics_prometheus_text(env, api_a, station):
    # Make sure a request, an analysis and a DB transaction have happened before scraping.
    api_a.create_session(lib.clean_ac_session(lib.uid(), station, minutes=10))
    r = env.anonymous().get("/metrics")
    assert r.status_code == 200, lib.describe(r)
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    text = r.text
    for name in (
        "evni_http_requests_total",
        "evni_http_request_duration_seconds_bucket",
        "evni_analyses_total",
        "evni_db_transaction_duration_seconds",
    ):
        assert name in text, f"{name} missing from /metrics:\n{text[:3000]}"
    # Prometheus text format: every non-comment line is `name{labels} value`.
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_and_labels, _, value = line.rpartition(" ")
            assert name_and_labels, line
            float(value)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_ignore_bad_credentials(env, path):
    r = env.client("not-a-key").get(path)
    assert r.status_code == 200, lib.describe(r)


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/v1/sessions"), ("GET", "/v1/sessions/nope-404")],
)
def test_every_response_has_request_id(env, api_a, method, path):
    for client in (env.anonymous(), api_a):
        r = client.request(method, path)
        rid = r.headers.get("X-Request-Id")
        assert rid, f"no X-Request-Id on {method} {path} -> {r.status_code}"


def test_request_id_is_echoed(env, api_a):
    for client, path in ((env.anonymous(), "/healthz"), (api_a, "/v1/sessions"), (api_a, "/v1/sessions/nope"),
                         (env.anonymous(), "/v1/sessions")):
        r = client.get(path, headers={"X-Request-Id": "test-rid-12345"})
        assert r.headers.get("X-Request-Id") == "test-rid-12345", lib.describe(r)
        if r.status_code >= 400:
            assert r.json()["requestId"] == "test-rid-12345"


def test_request_ids_differ(env):
    client = env.anonymous()
    ids = {client.get("/healthz").headers.get("X-Request-Id") for _ in range(5)}
    assert len(ids) == 5


def test_keep_alive_two_requests_on_one_connection(env):
    with socket.create_connection(("127.0.0.1", env.server.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        for _ in range(2):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            length = None
            while True:
                line = reader.readline()
                assert line, "connection closed after the first response"
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
                if name.strip().lower() == "connection":
                    assert value.strip().lower() != "close"
            assert length is not None
            reader.read(length)


def test_version():
    proc = lib.run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    assert "0.1.0" in proc.stdout + proc.stderr


def metric_total(text: str, name: str, **labels) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += float(value)
    return total


def test_metrics_count_requests_and_analyses(env, api_a, station):
    client = env.anonymous()
    before = client.get("/metrics").text
    for _ in range(3):
        api_a.create_session(lib.clean_ac_session(lib.uid(), station, minutes=5))
    after = client.get("/metrics").text
    assert metric_total(after, "evni_http_requests_total") >= metric_total(before, "evni_http_requests_total") + 3
    assert metric_total(after, "evni_analyses_total") >= metric_total(before, "evni_analyses_total") + 3
