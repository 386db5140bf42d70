"""Crash test of batch processing (docs/batch.md): a 5,000-session batch, `kill -9` of the server while
its jobs run, a restart on the same database; every session must be written and analysed exactly once
and the batch must complete with one `batch.completed` event.

The event is observed through the server's log: LoggedEventSink logs each published event once its
transaction committed, so the line can appear a moment after GET shows the batch completed."""

from __future__ import annotations

import sqlite3
import time

import evni_testlib as lib
from test_batch import wait_completed

N = 5000


def db_rows(db, sql: str) -> list[tuple]:
    if lib.is_postgres_url(db):
        out = lib.psql(lib.db_url(db), sql)
        return [tuple(line.split("|")) for line in out.splitlines() if line]
    with sqlite3.connect(str(db)) as c:
        return [tuple(str(v) for v in row) for row in c.execute(sql).fetchall()]


def completed_events(tmp_path, batch_id: str) -> list[str]:
    logs = "".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("crash-*.log")))
    return [line for line in logs.splitlines() if "event batch.completed tenant=" in line and batch_id in line]


def test_kill_9_mid_batch_loses_nothing_and_analyses_once(tmp_path):
    db = lib.new_database(tmp_path)
    tenant = lib.create_tenant(lib.db_url(db), "crash-tenant")
    server = lib.EvniServer(db, tmp_path, name="crash").start()
    api = lib.ApiClient(server.base_url, tenant["apiKey"])
    station = lib.uid("CRASH")
    sessions = [{"sessionId": f"crash-{i:05d}", "chargingStationId": f"{station}-{i % 50}", "connectorId": "1",
                 "meterValues": lib.energy_values(4, start=lib.T0.replace(hour=i % 20))} for i in range(N)]
    r = api.post("/v1/sessions/batch", {"sessions": sessions}, timeout=120)
    assert r.status_code == 200, lib.describe(r)
    batch_id = r.json()["batchId"]

    # Let the workers get part of the way, then kill -9.
    deadline = time.monotonic() + 120
    processed = 0
    while processed < N // 10:
        assert time.monotonic() < deadline, "batch made no progress"
        processed = api.get(f"/v1/sessions/batch/{batch_id}").json()["processedSessions"]
        time.sleep(0.02)
    server.kill()
    assert processed < N, "the batch completed before the kill: the test proves nothing"

    # Restart on the same database: the claimed slices' leases expire and the work resumes.
    server.start()
    api = lib.ApiClient(server.base_url, tenant["apiKey"])
    done = wait_completed(api, batch_id, timeout=180)
    assert (done["status"], done["totalSessions"], done["processedSessions"], done["failedSessions"]) == (
        "completed", N, N, 0), done

    rows = db_rows(db, "SELECT count(*), count(DISTINCT session_id), min(analysis_version), max(analysis_version), "
                       "min(value_count), max(value_count), min(next_chunk), max(next_chunk) FROM sessions "
                       f"WHERE tenant_id = '{tenant['tenantId']}'")
    assert rows == [(str(N), str(N), "1", "1", "4", "4", "1", "1")], rows
    chunks = db_rows(db, f"SELECT count(*) FROM meter_chunks WHERE tenant_id = '{tenant['tenantId']}'")
    assert chunks == [(str(N),)], chunks
    pending = db_rows(db, f"SELECT count(*) FROM batch_items WHERE batch_id = '{batch_id}' AND state <> 'done'")
    assert pending == [("0",)], pending

    # batch.completed was published exactly once, by the run that completed the batch.
    # The line is written after the commit that GET already sees: wait for it, then let a duplicate show.
    deadline = time.monotonic() + 10
    while not completed_events(tmp_path, batch_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    events = completed_events(tmp_path, batch_id)
    assert len(events) == 1, events
    assert server.stop() == 0
