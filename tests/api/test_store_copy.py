"""`evni store copy` (issue #8): SQLite to PostgreSQL and back, with real databases.

A store is populated through the API on SQLite (two tenants, organization, API keys, a revoked key, members,
a pending invitation, sessions with meter values in several chunks and verdicts, the audit log) and copied to
PostgreSQL while its server keeps running. A server on PostgreSQL then serves everything identically, keys
still authenticate (the revoked one does not) and the pending invitation can be accepted; copied back to a
fresh SQLite file the tables are the same as the original's. Re-runs copy nothing twice, complete an
interrupted copy, catch up with later writes, report rows only the target has (and delete them on request),
and a source with a newer schema is refused before the target is touched.

Needs the PostgreSQL test cluster, so it runs in the api_tests_pg pass; every test copies into a database of
its own.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

import evni_testlib as lib

pytestmark = pytest.mark.postgres_only

# Tables and the columns holding JSON (PostgreSQL respaces and reorders jsonb, so they compare parsed).
JSON_COLUMNS = {("sessions", "metadata"), ("audit_log", "details")}
# Servers started on a copy leave its job queue alone (their workers would change the copied rows).
NO_JOBS = ("--job-workers", "0")


# ------------------------------------------------------------------------------------------------------------------
# Helpers


def store_copy(source: str, target: str, *extra: str, expect_ok: bool = True) -> dict:
    """Runs `evni store copy`; returns the JSON summary (stdout). Asserts the exit code matches `expect_ok`."""
    proc = lib.run_cli("store", "copy", "--from", source, "--to", target, *extra, timeout=300)
    assert (proc.returncode == 0) == expect_ok, f"store copy exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    summary = json.loads(proc.stdout)
    assert summary["ok"] is expect_ok, summary
    assert [t["table"] for t in summary["tables"]] == [
        "tenants", "organizations", "members", "api_keys", "invitations", "audit_log", "stations", "connectors",
        "sessions", "meter_chunks", "session_anomalies", "connector_soc_priors", "connector_power_observations",
        "session_explanations", "session_questions", "anomaly_records", "anomaly_score_points", "anomaly_issue_history", "session_measurements",
        "sessions_to_measure",
        "data_quality_snapshots", "jobs", "webhooks", "webhook_deliveries", "batches", "batch_items",
        "station_category_counts", "station_days", "models", "model_fine_tunes"], summary
    for t in summary["tables"]:
        assert t["sourceRows"] == t["copied"] + t["updated"] + t["skipped"], t
        assert len(t["checksum"]) == 64 and len(t["targetChecksum"]) == 64, t
    return summary


def tables(summary: dict) -> dict:
    return {t["table"]: t for t in summary["tables"]}


def new_pg_database(tmp_path) -> str:
    url = lib.new_database(tmp_path)
    assert lib.is_postgres_url(url)
    return url


def sqlite_clone(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite file (the backup API), e.g. to change it without touching the original."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def pg_count(url: str, table: str) -> int:
    return int(lib.psql(url, f"SELECT count(*) FROM {table}").strip())


def sqlite_count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def sqlite_tables(path: Path) -> dict:
    """Every table of a SQLite store (but schema_migrations) as sorted rows, JSON columns parsed."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name <> 'schema_migrations' ORDER BY name")]
        out = {}
        for name in names:
            cur = conn.execute(f"SELECT * FROM {name}")
            columns = [d[0] for d in cur.description]
            rows = []
            for row in cur.fetchall():
                rows.append(tuple(json.loads(v) if (name, c) in JSON_COLUMNS and v is not None else v
                                  for c, v in zip(columns, row)))
            out[name] = (columns, sorted(rows, key=repr))
        return out
    finally:
        conn.close()


def api_snapshot(base_url: str, keys: dict) -> dict:
    """What each tenant's admin key reads through the API: sessions (list and detail with meter values and
    verdicts), API keys (without lastUsedAt, which reading itself updates), organization, members, audit log,
    models."""
    out = {}
    for name, key in keys.items():
        c = lib.ApiClient(base_url, key)
        listed = c.list_sessions(pageSize=1000)
        assert listed["pagination"]["totalCount"] == len(listed["content"]), "more than one page"
        details = {s["sessionId"]: c.session_detail(s["sessionId"]) for s in listed["content"]}
        api_keys = c.get("/v1/api-keys").json()["items"]
        for k in api_keys:
            k.pop("lastUsedAt", None)
        audit = c.get("/v1/audit-log", params={"pageSize": 1000}).json()
        out[name] = {
            "sessions": listed,
            "details": details,
            "apiKeys": api_keys,
            "organization": c.get("/v1/organization").json(),
            "members": c.get("/v1/members").json(),
            "audit": audit,
            "models": c.get("/v1/models").json(),
        }
    return out


# ------------------------------------------------------------------------------------------------------------------
# The source store, populated through the API on SQLite


def populate(server: lib.EvniServer, operator_key: str) -> dict:
    """Fills the store through the API; returns the keys and tokens the tests use."""
    operator = lib.ApiClient(server.base_url, operator_key)
    tenants = {}
    for name in ("copy-a", "copy-b"):
        r = operator.post("/v1/tenants", {"name": name})
        assert r.status_code == 200, lib.describe(r)
        tenants[name] = r.json()["apiKey"]
    a = lib.ApiClient(server.base_url, tenants["copy-a"])
    b = lib.ApiClient(server.base_url, tenants["copy-b"])

    r = a.put("/v1/organization", {"name": "Copy BV", "phone": "+31 20 123 4567", "address": "Damrak 1",
                                   "taxIdType": "eu_vat", "taxIdValue": "NL123456789B01", "tariffPerKwh": 0.39,
                                   "currency": "EUR", "timeZone": "Europe/Amsterdam"})
    assert r.status_code == 200, lib.describe(r)
    ingest = a.post("/v1/api-keys", {"name": "ingest", "role": "member", "description": "CPMS"}).json()
    revoked = a.post("/v1/api-keys", {"name": "old"}).json()
    assert a.delete(f"/v1/api-keys/{revoked['id']}").status_code == 200
    inv = a.post("/v1/members/invitations", {"email": "eng@example.com", "role": "viewer"}).json()
    joined = lib.ApiClient(server.base_url).post(f"/v1/invitations/{inv['token']}/accept", {}).json()
    assert a.patch(f"/v1/members/{joined['userId']}", {"role": "member"}).status_code == 200
    pending = a.post("/v1/members/invitations", {"email": "later@example.com", "role": "admin"}).json()

    # A webhook (sealed secret) subscribed to session events: the sessions below queue deliveries (jobs).
    r = a.post("/v1/webhooks", {"url": "https://hooks.example.com/copy", "events": ["session.analyzed"],
                                "description": "copy"})
    assert r.status_code == 200, lib.describe(r)

    station = lib.uid("CS-copy")
    # A verdict with an anomaly, metadata and EVSE.
    ref = lib.reference_example(lib.uid("ref"), station)
    ref.update({"evseId": "NL*ABC*E1", "metadata": {"b": 1.5, "a": [1, "x", None], "nested": {"k": True}}})
    a.create_session(ref)
    kwh = lib.uid("kwh")
    a.create_session({"sessionId": kwh, "chargingStationId": station, "connectorId": "2",
                      "meterValues": lib.kwh_decrease_values(), "stopReason": "EVDisconnected"})
    # Several chunks: a session grown by appends (incremental analysis state), one replaced by PUT.
    grown = lib.uid("grown")
    values = lib.clean_ac_values(30)
    a.create_session({"sessionId": grown, "chargingStationId": station, "connectorId": "1",
                      "meterValues": values[:9]})
    for i in range(9, len(values), 15):
        r = a.patch(f"/v1/sessions/{grown}", {"meterValues": values[i:i + 15]})
        assert r.status_code == 200, lib.describe(r)
    # Reported SoC rising > 5 points: a capacity estimate in the connector's SoC prior history.
    a.create_session(lib.clean_ac_session(lib.uid("soc"), station, minutes=60, connectorId="3"))
    replaced = lib.uid("put")
    a.create_session(lib.clean_ac_session(replaced, station, minutes=10))
    r = a.put(f"/v1/sessions/{replaced}", {"meterValues": lib.energy_pit_values()})
    assert r.status_code == 200, lib.describe(r)
    a.create_session({"sessionId": lib.uid("pending"), "chargingStationId": station,
                      "meterValues": lib.energy_values(2)})
    # A cached explanation and a logged question (explain and ask).
    assert a.get(f"/v1/sessions/{ref['sessionId']}/explain", params={"lang": "pl"}).status_code == 200
    assert a.post(f"/v1/sessions/{ref['sessionId']}/ask", {"question": "Dlaczego SoC spadł?"}).status_code == 200
    # A station model result (station_days).
    r = a.get(f"/v1/stations/{station}/inference", params={"date": "2026-03-02"})
    assert r.status_code == 200, lib.describe(r)
    # The other tenant, with a session id that tenant A also uses.
    b.create_session(lib.reference_example(ref["sessionId"], station))
    # Anomalies workspace: an issue change (history), and the statistics job's measurements and snapshots.
    item = a.get("/v1/anomalies", params={"chargingPointId": station}).json()["content"][0]
    r = a.put(f"/v1/anomalies/issues/{item['issues'][0]['id']}", {"status": "IN_PROGRESS", "assignedTo": "x@y.z"})
    assert r.status_code == 200, lib.describe(r)
    # Models: a fine-tune on two labelled sessions stores a tenant model (models, model_fine_tunes).
    for session_id, status in ((kwh, "CONFIRMED"), (replaced, "FALSE_POSITIVE")):
        for rec in a.get("/v1/anomalies", params={"chargingSessionId": session_id}).json()["content"]:
            r = a.put(f"/v1/anomalies/issues/{rec['issues'][0]['id']}", {"status": status})
            assert r.status_code == 200, lib.describe(r)
    r = a.post("/v1/models/fine-tune", {"baseModelId": "evni-session-engine", "name": "copy",
                                        "trainingConfig": {"minLabels": 2}, "dataSource": {"type": "sessions"}})
    assert r.status_code == 200, lib.describe(r)
    job_url = f"/v1/models/fine-tune/{r.json()['jobId']}"
    deadline = time.monotonic() + 20
    while a.get(job_url).json()["status"] != "completed":
        assert time.monotonic() < deadline, a.get(job_url).json()
        time.sleep(0.2)
    deadline = time.monotonic() + 20
    while True:
        stats = a.get("/v1/statistics").json()
        if stats["dataQuality"] and stats["revenueBasis"]["measuredSessions"] == stats["totalSessions"]:
            break
        assert time.monotonic() < deadline, stats
        time.sleep(0.3)
    return {
        "keys": {"operator": operator_key, "a": tenants["copy-a"], "b": tenants["copy-b"]},
        "ingest": ingest["key"],
        "revoked": revoked["key"],
        "member_token": joined["token"],
        "pending_token": pending["token"],
    }


# The periodic tasks whose first run (5 s after start) adds a row: each claims a lease row in `jobs`
# (jobs/schedule_claim.h). statistics.data_quality's first run (2 s) is awaited by populate().
FIRST_RUN_TASKS = ("jobs.purge", "stations.daily_model")


def wait_for_first_scheduled_runs(server: lib.EvniServer, timeout: float = 30.0, tasks=FIRST_RUN_TASKS) -> None:
    """Waits until the server's periodic tasks each ran once, so that they change no more rows: a copy started
    earlier (populate() takes ~3 s in a debug build, longer under ASan) would miss the lease rows they insert
    into `jobs` before the server stops, and a catch-up copy would find queue rows the first copied gone from the
    source (left in the target as extra rows, so the checksums would not match)."""
    deadline = time.monotonic() + timeout
    while True:
        log = server.log_path.read_text(errors="replace")
        missing = [t for t in tasks if f"scheduled task {t} ran" not in log]
        if not missing:
            return
        assert time.monotonic() < deadline, f"no first run of {missing} within {timeout} s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A populated SQLite store, its API snapshot and the first copy to PostgreSQL, made while the SQLite server
    was running (it is stopped afterwards, so the file no longer changes)."""
    workdir = tmp_path_factory.mktemp("store-copy")
    path = workdir / "source.db"
    proc = lib.run_cli("tenant", "create", "--name", "operator", "--super-admin", "--db", lib.sqlite_url(path))
    assert proc.returncode == 0, proc.stderr
    operator_key = json.loads(proc.stdout)["apiKey"]
    server = lib.EvniServer(path, workdir, name="sqlite-source", extra_args=("--statistics-interval", "1")).start()
    try:
        creds = populate(server, operator_key)
        wait_for_first_scheduled_runs(server)
        snapshot = api_snapshot(server.base_url, creds["keys"])
        pg = new_pg_database(workdir)
        summary = store_copy(lib.sqlite_url(path), pg)  # the server is still running
    finally:
        assert server.stop() == 0
    return {"path": path, "url": lib.sqlite_url(path), "workdir": workdir, "snapshot": snapshot, "pg": pg,
            "summary": summary, **creds}


# ------------------------------------------------------------------------------------------------------------------
# Tests


def test_first_copy_copies_every_row_of_every_table(source):
    summary = source["summary"]
    assert summary["schemaVersion"] >= 2 and summary["to"].startswith("postgresql://") and "***" in summary["to"]
    for name, t in tables(summary).items():
        if name in ("batches", "batch_items"):  # no batch in the populated store
            continue
        if name == "sessions_to_measure":  # a queue the data-quality job (every second here) empties
            continue
        assert t["sourceRows"] > 0, f"the populated store has no {name} rows: the test misses a table"
        assert t["copied"] == t["sourceRows"] == t["targetRows"], t
        assert t["updated"] == t["skipped"] == t["extra"] == t["deleted"] == 0, t
        assert t["checksumMatch"] and t["checksum"] == t["targetChecksum"], t
    for name, t in tables(summary).items():
        assert pg_count(source["pg"], name) == sqlite_count(source["path"], name) == t["sourceRows"], name


def test_postgres_server_serves_the_copy_identically(source, tmp_path):
    server = lib.EvniServer(source["pg"], tmp_path, name="pg-copy",
                            extra_args=NO_JOBS).start()
    try:
        assert api_snapshot(server.base_url, source["keys"]) == source["snapshot"]
        # Keys still authenticate, with their roles; the revoked one does not.
        ingest = lib.ApiClient(server.base_url, source["ingest"])
        assert ingest.get("/v1/sessions").status_code == 200
        assert ingest.get("/v1/api-keys").status_code == 403  # member, not admin
        lib.assert_error_body(lib.ApiClient(server.base_url, source["revoked"]).get("/v1/sessions"), 401)
        member = lib.ApiClient(server.base_url, source["member_token"])
        assert member.get("/v1/members").status_code == 200
        # The pending invitation (stored hashed) is still valid.
        r = lib.ApiClient(server.base_url).post(f"/v1/invitations/{source['pending_token']}/accept", {})
        assert r.status_code == 200, lib.describe(r)
        assert r.json()["role"] == "admin"
        # New rows get ids after the copied ones (the PostgreSQL sequences were advanced).
        a = lib.ApiClient(server.base_url, source["keys"]["a"])
        sid = lib.uid("after")
        a.create_session(lib.clean_ac_session(sid, lib.uid("CS"), minutes=5))
        assert a.session_detail(sid)["isAnomaly"] is False
        assert a.get("/v1/audit-log").json()["items"][0]["action"] == "member.joined"
    finally:
        assert server.stop() == 0


def test_copy_back_to_sqlite_gives_the_same_tables(source, tmp_path):
    pg = new_pg_database(tmp_path)
    there = store_copy(source["url"], pg)
    back_path = tmp_path / "back.db"
    back = store_copy(pg, lib.sqlite_url(back_path))
    for t_there, t_back in zip(there["tables"], back["tables"]):
        assert t_back["copied"] == t_back["sourceRows"] == t_there["sourceRows"], t_back
        assert t_back["checksum"] == t_there["checksum"], (t_there, t_back)  # the same canonical rows
    assert sqlite_tables(back_path) == sqlite_tables(source["path"])
    server = lib.EvniServer(back_path, tmp_path, name="sqlite-back",
                            extra_args=NO_JOBS).start()
    try:
        assert api_snapshot(server.base_url, source["keys"]) == source["snapshot"]
    finally:
        assert server.stop() == 0
    # And again: nothing doubles.
    again = store_copy(pg, lib.sqlite_url(back_path))
    for t in again["tables"]:
        assert t["copied"] == t["updated"] == 0 and t["skipped"] == t["sourceRows"] == t["targetRows"], t


def test_rerun_copies_nothing_twice(source, tmp_path):
    pg = new_pg_database(tmp_path)
    first = store_copy(source["url"], pg)
    again = store_copy(source["url"], pg)
    for t1, t2 in zip(first["tables"], again["tables"]):
        assert t2["copied"] == t2["updated"] == t2["extra"] == 0, t2
        assert t2["skipped"] == t2["sourceRows"] == t1["sourceRows"] == t2["targetRows"], t2
        assert t2["checksum"] == t1["checksum"]
        assert pg_count(pg, t2["table"]) == t1["sourceRows"]


def test_rerun_completes_an_interrupted_copy(source, tmp_path):
    """An interrupted copy leaves whole tables or batches missing (parents are copied first): here the last
    sessions, most meter value chunks and every anomaly; and one row changed since. A re-run completes it."""
    pg = new_pg_database(tmp_path)
    store_copy(source["url"], pg)
    lib.psql(pg, "DELETE FROM session_anomalies; "
                 "DELETE FROM meter_chunks WHERE session_pk > (SELECT min(pk) FROM sessions); "
                 "DELETE FROM sessions WHERE pk > (SELECT max(pk) - 2 FROM sessions); "
                 "UPDATE organizations SET name = 'stale' WHERE name = 'Copy BV'")
    missing = {name: sqlite_count(source["path"], name) - pg_count(pg, name)
               for name in ("sessions", "meter_chunks", "session_anomalies")}
    assert all(n > 0 for n in missing.values()), missing
    summary = tables(store_copy(source["url"], pg))
    for name, n in missing.items():
        assert summary[name]["copied"] == n, summary[name]
    assert summary["organizations"]["updated"] == 1
    assert summary["tenants"]["skipped"] == summary["tenants"]["sourceRows"]
    server = lib.EvniServer(pg, tmp_path, name="pg-resumed",
                            extra_args=NO_JOBS).start()
    try:
        assert api_snapshot(server.base_url, source["keys"]) == source["snapshot"]
    finally:
        assert server.stop() == 0


def test_rows_only_in_the_target_are_reported_and_deleted_on_request(source, tmp_path):
    pg = new_pg_database(tmp_path)
    store_copy(source["url"], pg)
    lib.psql(pg, "INSERT INTO tenants (id, name, created_at) VALUES ('stray', 'not in the source', now()); "
                 "INSERT INTO audit_log (tenant_id, at, actor, action, target_type, target_id) "
                 "VALUES ('stray', now(), 'x', 'y', 'z', 'w')")
    summary = tables(store_copy(source["url"], pg, expect_ok=False))
    assert summary["tenants"]["extra"] == 1 and not summary["tenants"]["checksumMatch"]
    assert summary["audit_log"]["extra"] == 1 and not summary["audit_log"]["checksumMatch"]
    assert summary["sessions"]["checksumMatch"]
    assert pg_count(pg, "tenants") == sqlite_count(source["path"], "tenants") + 1  # left alone
    exact = tables(store_copy(source["url"], pg, "--delete-extra"))
    assert exact["tenants"]["deleted"] == 1 and exact["audit_log"]["deleted"] == 1
    assert all(t["checksumMatch"] and t["copied"] == 0 for t in exact.values())
    assert pg_count(pg, "tenants") == sqlite_count(source["path"], "tenants")


def test_copy_while_the_source_is_written_then_catch_up(source, tmp_path):
    """The SQLite source keeps serving writes during the copy: the copy reads one snapshot (consistent, its
    checksums match), later writes are not in it, and a second run copies just those."""
    path = sqlite_clone(source["path"], tmp_path / "busy.db")
    server = lib.EvniServer(path, tmp_path, name="sqlite-busy").start()
    # The data-quality job takes the sessions it measured off `sessions_to_measure`: run between the two copies,
    # it would leave the first copy's queue rows in the target as rows the source no longer has (extra rows,
    # so the checksums would not match). Its first run comes 2 s after start, the next one 300 s later. (The
    # clone's other periodic tasks find their slots claimed by the source server and do not run.)
    wait_for_first_scheduled_runs(server, tasks=("statistics.data_quality",))
    a = lib.ApiClient(server.base_url, source["keys"]["a"])
    station = lib.uid("CS-busy")
    stop = threading.Event()
    written = []
    errors = []

    def writer():
        try:
            while not stop.is_set():
                sid = lib.uid("busy")
                a.create_session(lib.clean_ac_session(sid, station, minutes=5))
                written.append(sid)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def wait_for_writes(n):
        deadline = time.monotonic() + 30
        while len(written) <= n and not errors and time.monotonic() < deadline:
            time.sleep(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        pg = new_pg_database(tmp_path)
        wait_for_writes(0)
        during = tables(store_copy(lib.sqlite_url(path), pg))
        wait_for_writes(len(written))  # at least one write after the copy's snapshot
        stop.set()
        thread.join(60)
    finally:
        stop.set()
        assert server.stop() == 0
    assert not errors, errors
    assert written, "no write happened during the copy"
    total = sqlite_count(path, "sessions")
    assert during["sessions"]["sourceRows"] < total
    after = tables(store_copy(lib.sqlite_url(path), pg))
    assert after["sessions"]["copied"] == total - during["sessions"]["sourceRows"]
    assert after["sessions"]["skipped"] == during["sessions"]["sourceRows"]
    assert pg_count(pg, "sessions") == total and pg_count(pg, "meter_chunks") == sqlite_count(path, "meter_chunks")


def test_refuses_a_source_with_a_newer_schema_before_touching_the_target(source, tmp_path):
    path = sqlite_clone(source["path"], tmp_path / "future.db")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)")
    conn.close()
    pg = new_pg_database(tmp_path)
    proc = lib.run_cli("store", "copy", "--from", lib.sqlite_url(path), "--to", pg)
    assert proc.returncode == 1 and proc.stdout == "", proc
    assert "newer" in proc.stderr and "9999" in proc.stderr, proc.stderr
    assert lib.psql(pg, "SELECT to_regclass('schema_migrations') IS NULL").strip() == "t"  # not even migrated


def test_refuses_the_same_database_and_a_missing_source(source, tmp_path):
    proc = lib.run_cli("store", "copy", "--from", source["url"], "--to", source["url"])
    assert proc.returncode == 1 and "same database" in proc.stderr, proc
    missing = tmp_path / "missing.db"
    proc = lib.run_cli("store", "copy", "--from", lib.sqlite_url(missing), "--to", lib.sqlite_url(tmp_path / "t.db"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr, proc
    assert not missing.exists()
