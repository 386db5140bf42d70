"""Helpers for the black-box API tests: start the real `evni` binary, talk to it over HTTP, build sessions.

Only the Python standard library and python3-requests (Debian) are used.
"""

from __future__ import annotations

import glob
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

import contract

BINARY = os.environ.get("EVNI_BINARY") or "/work/main/build/debug/src/app/evni"
STARTUP_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 60.0

UTC = timezone.utc

# Every server started by the tests, so a failing test can show the logs of the servers it used.
SERVERS: list["EvniServer"] = []


# ------------------------------------------------------------------------------------------------------------------
# Processes


# The server's start-up line "evni <version> listening on <host>:<port> (database ...)".
LISTENING = re.compile(r"listening on [^ ]+:(\d+) ")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_url(path: Path) -> str:
    return f"sqlite://{Path(path).resolve()}"


# ------------------------------------------------------------------------------------------------------------------
# Databases: the suite runs on SQLite (default) or, with EVNI_TEST_BACKEND=postgres, on the PostgreSQL test
# cluster whose base URL (postgresql://user:pass@host:port/) is in the file named by EVNI_PG_URL_FILE
# (scripts/pg-test-cluster.sh; CTest starts one for the api_tests_pg run).

BACKEND = os.environ.get("EVNI_TEST_BACKEND", "sqlite")
assert BACKEND in ("sqlite", "postgres"), f"EVNI_TEST_BACKEND must be sqlite or postgres, not {BACKEND!r}"


def is_postgres_url(db) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def db_url(db) -> str:
    """The --db URL of a database returned by new_database (a SQLite file path or a PostgreSQL URL)."""
    return db if is_postgres_url(db) else sqlite_url(db)


def pg_base_url() -> str:
    path = os.environ.get("EVNI_PG_URL_FILE")
    assert path, "EVNI_TEST_BACKEND=postgres needs EVNI_PG_URL_FILE (see scripts/pg-test-cluster.sh)"
    return Path(path).read_text().strip()


def psql_binary() -> str:
    found = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]
    assert found, "psql not found (Debian package postgresql-client)"
    return found if isinstance(found, str) else found[0]


def psql(url: str, sql: str) -> str:
    """Runs `sql` with psql on `url`; returns the unaligned, tuples-only output."""
    proc = subprocess.run([psql_binary(), url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, f"psql failed ({proc.returncode}): {sql}\n{proc.stderr}"
    return proc.stdout


def new_database(workdir: Path):
    """A fresh, empty database on the configured backend: a SQLite file path in `workdir`, or the URL of a new
    PostgreSQL database in the test cluster (thrown away with the cluster)."""
    if BACKEND == "sqlite":
        return Path(workdir) / "evni.db"
    base = pg_base_url()
    name = f"evni_api_{uuid.uuid4().hex[:12]}"
    psql(base + "postgres", f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    return base + name


def sql_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def execute_sql(db, sqlite_sql: str, postgres_sql: str, params: tuple = ()) -> None:
    """Changes a database behind the server's back (for states the API cannot reach, e.g. expiry). The two
    statements use `?` placeholders; timestamps differ per dialect (SQLite: epoch ms; PostgreSQL: timestamptz)."""
    if is_postgres_url(db):
        parts = postgres_sql.split("?")
        assert len(parts) == len(params) + 1, "one parameter per ?"
        sql = parts[0] + "".join(sql_literal(p) + rest for p, rest in zip(params, parts[1:]))
        psql(db, sql)
        return
    import sqlite3

    conn = sqlite3.connect(db, timeout=10)
    try:
        with conn:
            conn.execute(sqlite_sql, params)
    finally:
        conn.close()


def run_cli(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout)


def create_tenant(db_url: str, name: str) -> dict:
    """`evni tenant create`: returns {"tenantId", "apiKey"} parsed from the one JSON line on stdout."""
    proc = run_cli("tenant", "create", "--name", name, "--db", db_url)
    assert proc.returncode == 0, f"tenant create failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"tenant create must print exactly one line, got:\n{proc.stdout}"
    tenant = json.loads(lines[0])
    assert isinstance(tenant, dict), tenant
    assert isinstance(tenant.get("tenantId"), str) and tenant["tenantId"], tenant
    assert isinstance(tenant.get("apiKey"), str) and tenant["apiKey"], tenant
    return tenant


class EvniServer:
    """One `evni serve` process on a free loopback port; stderr goes to a log file in `workdir`.

    `db` is what new_database returns: a SQLite file path or a PostgreSQL URL."""

    def __init__(self, db, workdir: Path, name: str = "server", extra_args: tuple = ()):
        self.db = db if is_postgres_url(db) else Path(db)
        self.extra_args = tuple(extra_args)
        self.workdir = Path(workdir)
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path: Path | None = None
        self.out_path: Path | None = None
        self.stopped_at: float | None = None
        self.starts = 0
        SERVERS.append(self)

    @property
    def db_path(self) -> Path:
        """The SQLite file (SQLite only)."""
        assert not is_postgres_url(self.db), "db_path is for SQLite; use db_url"
        return self.db

    @property
    def db_url(self) -> str:
        return db_url(self.db)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> subprocess.Popen:
        """Starts the process without waiting for it to become healthy. It listens on a port the kernel picks
        (`--listen 127.0.0.1:0`; start() reads it from the log): a port picked here and bound later could be
        taken in between by a server of the other suite that ctest runs alongside."""
        self.starts += 1
        self.port = None
        self.log_path = self.workdir / f"{self.name}-{self.starts}.stderr.log"
        self.out_path = self.workdir / f"{self.name}-{self.starts}.stdout.log"
        with open(self.log_path, "wb") as err, open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(
                [BINARY, "serve", "--listen", "127.0.0.1:0", "--db", self.db_url, *self.extra_args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        self.stopped_at = None
        return self.proc

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> "EvniServer":
        self.spawn()
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"evni serve exited with {self.proc.returncode} during start-up; log:\n{self.log_tail()}"
                )
            if self.port is None:
                found = LISTENING.search(self.log_path.read_text(errors="replace"))
                if found is None:
                    last_error = "not listening yet"
                    time.sleep(0.05)
                    continue
                self.port = int(found.group(1))
            try:
                r = requests.get(self.base_url + "/healthz", timeout=2)
                if r.status_code == 200:
                    return self
                last_error = f"status {r.status_code}"
            except requests.RequestException as e:  # not listening yet
                last_error = repr(e)
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"evni serve not healthy after {timeout} s ({last_error}); log:\n{self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and wait. Returns the exit code; raises if it does not exit within `timeout`."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"evni serve did not exit within {timeout} s of SIGTERM; log:\n{self.log_tail()}")
        self.stopped_at = time.time()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.stopped_at = time.time()

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.log_path, self.out_path):
            if path is not None and path.exists():
                text = path.read_text(errors="replace").splitlines()
                if text:
                    parts.append(f"--- {path.name} (last {min(lines, len(text))} of {len(text)} lines)")
                    parts.extend(text[-lines:])
        return "\n".join(parts) if parts else "(no output)"


# ------------------------------------------------------------------------------------------------------------------
# HTTP


class ApiClient:
    """A keep-alive requests.Session bound to one server and (optionally) one API key."""

    def __init__(self, base_url: str, key: str | None = None):
        self.base_url = base_url
        self.key = key
        self.http = requests.Session()
        if key is not None:
            self.http.headers["Authorization"] = f"Bearer {key}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        r = self.http.request(method, self.base_url + path, **kwargs)
        contract.check_response(self.base_url, r)  # the response matches its schema in /openapi.json
        return r

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        return self.request("POST", path, **kwargs)

    def put(self, path: str, body=None, **kwargs) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, body=None, **kwargs) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def raw(self, method: str, path: str, data: bytes | str, content_type: str = "application/json"):
        return self.request(method, path, data=data, headers={"Content-Type": content_type})

    # Convenience wrappers that assert success.
    def create_session(self, body: dict) -> dict:
        r = self.post("/v1/sessions", body)
        assert r.status_code == 200, describe(r)
        return r.json()

    def session_detail(self, session_id: str) -> dict:
        r = self.get(f"/v1/sessions/{session_id}")
        assert r.status_code == 200, describe(r)
        return r.json()

    def list_sessions(self, **params) -> dict:
        r = self.get("/v1/sessions", params=params)
        assert r.status_code == 200, describe(r)
        return r.json()


def describe(r: requests.Response) -> str:
    body = r.text
    if len(body) > 2000:
        body = body[:2000] + "..."
    return f"{r.request.method} {r.request.url} -> {r.status_code}\n{body}"


def assert_error_body(r: requests.Response, status: int) -> dict:
    """Checks the common error shape {detail, code, requestId} and returns the body."""
    assert r.status_code == status, describe(r)
    body = r.json()
    assert isinstance(body, dict), describe(r)
    assert "detail" in body, describe(r)
    assert isinstance(body.get("code"), str) and body["code"], describe(r)
    assert isinstance(body.get("requestId"), str) and body["requestId"], describe(r)
    assert body["requestId"] == r.headers.get("X-Request-Id"), describe(r)
    return body


def assert_validation_error(r: requests.Response, loc: list, type_: str | None = None) -> dict:
    """422 whose detail list names `loc` (with error type `type_` when given)."""
    body = assert_error_body(r, 422)
    detail = body["detail"]
    assert isinstance(detail, list) and detail, describe(r)
    for item in detail:
        assert isinstance(item, dict) and {"loc", "msg", "type"} <= item.keys(), describe(r)
        assert isinstance(item["loc"], list) and isinstance(item["msg"], str) and isinstance(item["type"], str)
    matching = [item for item in detail if item["loc"] == loc]
    assert matching, f"no validation error at loc {loc}:\n{describe(r)}"
    if type_ is not None:
        assert type_ in [item["type"] for item in matching], f"expected type {type_} at {loc}:\n{describe(r)}"
    return body


def uid(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ------------------------------------------------------------------------------------------------------------------
# Time


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s: str) -> datetime:
    """Parses the server's UTC timestamps ("...Z", optionally with fractional seconds)."""
    assert isinstance(s, str) and s.endswith("Z"), f"not a UTC 'Z' timestamp: {s!r}"
    return datetime.fromisoformat(s[:-1] + "+00:00")


# ------------------------------------------------------------------------------------------------------------------
# Sessions

T0 = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
OFFERED = "Power.Offered"
SOC = "SoC"


def mv(ts: datetime | str, value, measurand: str | None = ENERGY, unit: str | None = "kWh", **extra) -> dict:
    v = {"timestamp": ts if isinstance(ts, str) else iso(ts), "value": value}
    if measurand is not None:
        v["measurand"] = measurand
    if unit is not None:
        v["unit"] = unit
    v.update(extra)
    return v


def energy_values(n: int, start: datetime = T0, step_min: int = 15, kwh_step: float = 1.85) -> list[dict]:
    return [mv(start + timedelta(minutes=step_min * i), round(kwh_step * i, 3)) for i in range(n)]


def reference_example(session_id: str, station: str = "CP-NL-AMS-0042") -> dict:
    """The POST body of the reference: SoC 80 -> 65 -> 50 % while the register goes 0 -> 5.5 -> 11.1 kWh."""
    values = []
    for minute, kwh, kw, soc in ((0, 0, 0, 80), (15, 5.5, 22, 65), (30, 11.1, 22, 50)):
        ts = datetime(2026, 2, 27, 10, minute, tzinfo=UTC)
        values += [mv(ts, kwh, ENERGY, "kWh"), mv(ts, kw, POWER, "kW"), mv(ts, soc, SOC, "Percent")]
    return {"sessionId": session_id, "chargingStationId": station, "connectorId": "1", "meterValues": values}


def clean_ac_values(minutes: int = 60, start: datetime = T0, kw: float = 7.4) -> list[dict]:
    """A clean 7.4 kW AC charge at 1-minute cadence: register, power and SoC rising 20 -> ~32 %."""
    values = []
    for m in range(minutes + 1):
        ts = start + timedelta(minutes=m)
        kwh = round(kw * m / 60, 3)
        values += [
            mv(ts, kwh, ENERGY, "kWh"),
            mv(ts, kw, POWER, "kW"),
            mv(ts, round(20 + kwh / 60 * 100, 2), SOC, "Percent"),
        ]
    return values


def clean_ac_session(session_id: str, station: str, minutes: int = 60, start: datetime = T0, **extra) -> dict:
    body = {"sessionId": session_id, "chargingStationId": station, "connectorId": "1",
            "meterValues": clean_ac_values(minutes, start)}
    body.update(extra)
    return body


KWH_DROP_MINUTE = 40


def kwh_decrease_values(start: datetime = T0) -> list[dict]:
    """7.4 kW for 80 min; the register reaches 10.0 kWh at minute 40, reads 7.0 at minute 41, then rises again."""
    slope = 7.4 / 60
    values = []
    for m in range(81):
        ts = start + timedelta(minutes=m)
        if m <= KWH_DROP_MINUTE:
            kwh = 10.0 - slope * (KWH_DROP_MINUTE - m)
        else:
            kwh = 7.0 + slope * (m - KWH_DROP_MINUTE - 1)
        values += [mv(ts, round(kwh, 3), ENERGY, "kWh"), mv(ts, 7.4, POWER, "kW")]
    return values


PIT_FROM_MINUTE = 20
PIT_TO_MINUTE = 35


def energy_pit_values(start: datetime = T0, with_offered: bool = True) -> list[dict]:
    """11 kW for 60 min at 1-minute cadence, except minutes 21..34: power 0 and the register flat from minute 20
    to 35 (a 15-minute pit) while Power.Offered stays at 11 kW; delivery resumes at minute 35."""
    slope = 11.0 / 60
    values = []
    kwh = 0.0
    for m in range(61):
        ts = start + timedelta(minutes=m)
        in_pit = PIT_FROM_MINUTE < m < PIT_TO_MINUTE
        if m > 0 and not (PIT_FROM_MINUTE < m <= PIT_TO_MINUTE):
            kwh += slope
        values += [mv(ts, round(kwh, 3), ENERGY, "kWh"), mv(ts, 0.0 if in_pit else 11.0, POWER, "kW")]
        if with_offered:
            values.append(mv(ts, 11.0, OFFERED, "kW"))
    return values


def earliest(values: list[dict]) -> datetime:
    return min(datetime.fromisoformat(v["timestamp"].replace("Z", "+00:00")) for v in values)


# ------------------------------------------------------------------------------------------------------------------
# Shape checks

SESSION_FIELDS = {
    "sessionId", "chargingStationId", "connectorId", "evseId", "status", "isAnomaly", "anomalyScore",
    "anomalyConfidence", "isIncident", "isRecurring", "anomalies", "analyzedAt", "socReconstructed", "message",
    "stopReason", "createdAt", "metadata",
}
DETAIL_FIELDS = SESSION_FIELDS | {"meterValues", "reconstructedSoc", "sorcConfidence"}
LIST_ITEM_FIELDS = {
    "sessionId", "chargingStationId", "connectorId", "evseId", "isAnomaly", "anomalyScore", "anomalyConfidence",
    "anomalyCount", "status", "createdAt", "lastAnalyzedAt", "startedAt",
}


def assert_session_shape(s: dict, detail: bool = False) -> None:
    expected = DETAIL_FIELDS if detail else SESSION_FIELDS
    missing = expected - s.keys()
    assert not missing, f"missing fields {sorted(missing)} in {json.dumps(s)[:1500]}"
    assert s["status"] in ("pending", "active", "failed", "completed", "invalid"), s["status"]
    # Only the detail view carries the SoC overlay (reconstructedSoc); write responses never do.
    assert s["socReconstructed"] is False if not detail else isinstance(s["socReconstructed"], bool)
    if detail:
        assert s["socReconstructed"] == bool(s["reconstructedSoc"])
    assert isinstance(s["anomalies"], list)
    parse_ts(s["createdAt"])


def assert_pending(s: dict) -> None:
    """No analysis (fewer than 3 meter values): verdict fields null, anomalies empty, a message saying why."""
    for field in ("isAnomaly", "anomalyScore", "anomalyConfidence", "isIncident", "isRecurring", "analyzedAt"):
        assert s[field] is None, f"{field} should be null before analysis: {s}"
    assert s["anomalies"] == []
    assert isinstance(s["message"], str) and s["message"], s


def assert_analysed(s: dict, values: list[dict] | None = None) -> None:
    """A verdict is present and self-consistent (analysis.md §1 and §3)."""
    assert s["message"] is None, s
    parse_ts(s["analyzedAt"])
    assert isinstance(s["isAnomaly"], bool)
    assert isinstance(s["isIncident"], bool)
    assert isinstance(s["isRecurring"], bool)
    assert 0.0 <= s["anomalyScore"] <= 1.0
    assert 0.0 <= s["anomalyConfidence"] <= 1.0
    t0 = earliest(values) if values else None
    for a in s["anomalies"]:
        assert isinstance(a["category"], str) and a["category"]
        assert 0.0 <= a["score"] <= 1.0 and 0.0 <= a["confidence"] <= 1.0, a
        br, tr = a.get("bucketRange"), a.get("timeRange")
        if br is not None:
            assert isinstance(br["startUnit"], int) and isinstance(br["endUnit"], int), a
            assert 0 <= br["startUnit"] <= br["endUnit"], a
        if br is not None and tr is not None and t0 is not None:
            assert parse_ts(tr["startTimestamp"]) == t0 + timedelta(seconds=15 * br["startUnit"]), a
            assert parse_ts(tr["endTimestamp"]) == t0 + timedelta(seconds=15 * (br["endUnit"] + 1)), a
    if s["anomalies"]:
        top = max(s["anomalies"], key=lambda a: a["score"])
        assert abs(s["anomalyScore"] - top["score"]) < 1e-9, "anomalyScore must be the highest category score"
    if s["anomalyScore"] >= 0.8 and s["anomalyConfidence"] >= 0.8:
        assert s["isIncident"] is True, "score >= 0.8 with confidence >= 0.8 is an incident"


def anomalies_of(s: dict, category: str) -> list[dict]:
    return [a for a in s["anomalies"] if a["category"] == category]


def overlaps(a: dict, start: datetime, end: datetime, slack_s: int = 60) -> bool:
    tr = a.get("timeRange")
    assert tr is not None and tr.get("startTimestamp") and tr.get("endTimestamp"), f"anomaly without timeRange: {a}"
    a_start, a_end = parse_ts(tr["startTimestamp"]), parse_ts(tr["endTimestamp"])
    slack = timedelta(seconds=slack_s)
    return a_start <= end + slack and start - slack <= a_end
