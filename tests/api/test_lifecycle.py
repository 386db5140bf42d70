"""The process: tenant CLI, graceful shutdown, persistence across restarts, single-node SQLite lock, logs.

Runs on either backend (see conftest.py); the SQLite-only tests are marked."""

import json
import subprocess
import time

import pytest

import evni_testlib as lib


@pytest.fixture
def fresh(tmp_path):
    """A fresh database with one tenant and a server that is not started yet."""
    db = lib.new_database(tmp_path)
    tenant = lib.create_tenant(lib.db_url(db), "lifecycle")
    server = lib.EvniServer(db, tmp_path, name=f"fresh-{tmp_path.name}")
    yield server, tenant
    server.kill()


@pytest.mark.sqlite_only
def test_tenant_create_cli(tmp_path):
    db = tmp_path / "sub" / "t.db"
    db.parent.mkdir()
    a = lib.create_tenant(lib.sqlite_url(db), "one")
    b = lib.create_tenant(lib.sqlite_url(db), "two")  # an existing, migrated db is reused
    assert a["tenantId"] != b["tenantId"] and a["apiKey"] != b["apiKey"]
    assert db.exists()


@pytest.mark.postgres_only
def test_tenant_create_cli_postgres(tmp_path):
    db = lib.new_database(tmp_path)
    a = lib.create_tenant(db, "one")  # creates the schema
    b = lib.create_tenant(db, "two")  # an existing, migrated database is reused
    assert a["tenantId"] != b["tenantId"] and a["apiKey"] != b["apiKey"]
    assert lib.psql(db, "SELECT count(*) FROM tenants").strip() == "2"
    assert lib.psql(db, "SELECT count(*) FROM schema_migrations").strip() != "0"


@pytest.mark.postgres_only
def test_unreachable_postgres_fails_fast(tmp_path):
    proc = lib.run_cli("migrate", "--db", f"postgresql://evni:wrong@127.0.0.1:{lib.free_port()}/nope")
    assert proc.returncode != 0
    assert "postgresql" in proc.stderr.lower(), proc.stderr


def test_tenant_create_requires_name(tmp_path):
    proc = lib.run_cli("tenant", "create", "--db", lib.sqlite_url(tmp_path / "x.db"))
    assert proc.returncode != 0


def test_sigterm_exits_zero_quickly(fresh):
    server, tenant = fresh
    server.start()
    client = lib.ApiClient(server.base_url, tenant["apiKey"])
    # An idle keep-alive connection must not hold the shutdown up.
    assert client.get("/v1/sessions").status_code == 200
    t = time.monotonic()
    code = server.stop(timeout=10)
    took = time.monotonic() - t
    assert code == 0, f"exit code {code} after SIGTERM"
    assert took < 5, f"graceful shutdown took {took:.1f} s"


def test_sigterm_during_requests(fresh):
    """Requests in flight when SIGTERM arrives complete (or are refused cleanly); exit code is still 0."""
    import threading

    server, tenant = fresh
    server.start()
    client = lib.ApiClient(server.base_url, tenant["apiKey"])
    statuses, errors = [], []

    def load():
        for i in range(200):
            try:
                r = client.post("/v1/sessions", lib.clean_ac_session(lib.uid(), "CS-term", minutes=30,
                                                                     start=lib.T0.replace(day=1 + i % 28)))
                statuses.append(r.status_code)
            except Exception as e:  # connection refused/reset once the server is down
                errors.append(e)
                return

    t = threading.Thread(target=load)
    t.start()
    time.sleep(0.5)
    start = time.monotonic()
    code = server.stop(timeout=10)
    took = time.monotonic() - start
    t.join(30)
    assert code == 0, code
    assert took < 5, f"graceful shutdown took {took:.1f} s"
    assert statuses, "no request completed before the shutdown"
    assert all(s in (200, 503) for s in statuses), statuses


def test_restart_keeps_data(fresh):
    server, tenant = fresh
    server.start()
    client = lib.ApiClient(server.base_url, tenant["apiKey"])
    sid = lib.uid("persist")
    client.create_session(lib.reference_example(sid, "CS-persist"))
    empty = lib.uid("persist-empty")
    client.create_session({"sessionId": empty, "chargingStationId": "CS-persist", "metadata": {"a": [1, 2]}})
    key = client.post("/v1/api-keys", {"name": "survives"}).json()
    before = client.session_detail(sid)
    before_list = client.list_sessions()
    assert server.stop() == 0

    server.start()
    client = lib.ApiClient(server.base_url, tenant["apiKey"])
    assert client.session_detail(sid) == before
    assert client.session_detail(empty)["metadata"] == {"a": [1, 2]}
    assert client.list_sessions() == before_list
    # Keys survive too, created ones and the admin key.
    assert lib.ApiClient(server.base_url, key["key"]).get("/v1/sessions").status_code == 200
    # Appending after the restart continues the stored session.
    r = client.patch(f"/v1/sessions/{sid}", {"meterValues": [lib.mv("2026-02-27T10:45:00Z", 16.5)]})
    assert r.status_code == 200, lib.describe(r)
    assert len(client.session_detail(sid)["meterValues"]) == 10
    assert server.stop() == 0


@pytest.mark.sqlite_only
def test_second_server_on_same_db_refuses(fresh, tmp_path):
    server, tenant = fresh
    server.start()
    second = lib.EvniServer(server.db, tmp_path, name="second")
    proc = second.spawn()
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        second.kill()
        pytest.fail(f"a second evni serve on the same SQLite file kept running; log:\n{second.log_tail()}")
    assert code != 0
    output = (second.log_path.read_text() + second.out_path.read_text()).lower()
    assert "in use" in output, f"the refusal should say the database is in use:\n{output}"
    # The first server is unaffected.
    client = lib.ApiClient(server.base_url, tenant["apiKey"])
    assert client.get("/readyz").status_code == 200
    assert client.get("/v1/sessions").status_code == 200
    assert server.stop() == 0


def test_stderr_is_json_lines(fresh):
    server, tenant = fresh
    server.start()
    client = lib.ApiClient(server.base_url, tenant["apiKey"])
    client.get("/v1/sessions")
    client.get("/v1/sessions/nope")
    lib.ApiClient(server.base_url).get("/v1/sessions")
    assert server.stop() == 0
    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    assert lines, "no log lines on stderr"
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict), line
    text = server.log_path.read_text()
    assert tenant["apiKey"] not in text, "API keys must never be logged"
    if lib.is_postgres_url(server.db):
        password = server.db.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in text, "the database password must never be logged"

