#!/usr/bin/python3
"""`make bench-batch`: one batch of SESSIONS sessions x VALUES meter values (default 10,000 x 360, ~600 MB of
JSON) against a fresh `evni serve` on SQLite (or BACKEND=postgres with PG_URL_FILE pointing at a cluster's
base URL file, scripts/pg-test-cluster.sh); prints the time from the start of the upload to the batch's
completedAt (and its parts: upload + acknowledgement, processing), throughput and the server's peak RSS
(VmHWM of /proc/<pid>/status). The body is generated into a file before the clock starts and streamed
from it. Debian's python3 + requests only. Prints figures; asserts nothing."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

SESSIONS = int(os.environ.get("SESSIONS", "10000"))
VALUES = int(os.environ.get("VALUES", "360"))
BINARY = os.environ.get("EVNI_BINARY", "build/release/src/app/evni")
WORKERS = os.environ.get("WORKERS", "8")
JOB_WORKERS = os.environ.get("JOB_WORKERS", "2")
BACKEND = os.environ.get("BACKEND", "sqlite")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_body(path: Path) -> int:
    """Realistic AC/DC sessions: energy rising with small noise, power, one reading a minute."""
    rng = random.Random(7)
    t0 = datetime(2026, 2, 1, tzinfo=timezone.utc)
    with open(path, "w") as f:
        f.write('{"sessions":[')
        for i in range(SESSIONS):
            start = t0 + timedelta(minutes=17 * i)
            kw = rng.choice([7.4, 11.0, 22.0, 50.0])
            kwh = 0.0
            values = []
            for k in range(VALUES // 2):
                ts = (start + timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
                kwh += kw / 60 * rng.uniform(0.97, 1.0)
                values.append({"timestamp": ts, "measurand": "Energy.Active.Import.Register", "unit": "kWh",
                               "value": round(kwh, 3)})
                values.append({"timestamp": ts, "measurand": "Power.Active.Import", "unit": "kW",
                               "value": round(kw * rng.uniform(0.97, 1.0), 2)})
            session = {"sessionId": f"bench-{i:06d}", "chargingStationId": f"CP-BENCH-{i % 500:04d}",
                       "connectorId": str(1 + i % 2), "meterValues": values}
            f.write(("," if i else "") + json.dumps(session, separators=(",", ":")))
        f.write("]}")
    return path.stat().st_size


def vm(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
    return 0


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="evni-bench-batch-"))
    body = tmp / "batch.json"
    size = write_body(body)
    if BACKEND == "postgres":
        base = Path(os.environ["PG_URL_FILE"]).read_text().strip()
        name = f"bench_batch_{os.getpid()}"
        subprocess.run(["psql", base + "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        db = base + name
    else:
        db = f"sqlite://{tmp / 'evni.db'}"
    tenant = json.loads(subprocess.run([BINARY, "tenant", "create", "--db", db, "--name", "bench"],
                                       check=True, capture_output=True, text=True).stdout)
    port = free_port()
    env = dict(os.environ, TMPDIR=str(tmp))
    with open(tmp / "server.log", "wb") as log:
        proc = subprocess.Popen([BINARY, "serve", "--listen", f"127.0.0.1:{port}", "--db", db, "--workers", WORKERS,
                                 "--job-workers", JOB_WORKERS, "--log-level", "warn"],
                                stdout=log, stderr=log, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        headers = {"Authorization": f"Bearer {tenant['apiKey']}", "Content-Type": "application/json"}
        rss_idle = vm(proc.pid, "VmRSS")
        started = time.monotonic()
        with open(body, "rb") as f:
            r = requests.post(base_url + "/v1/sessions/batch", data=f, headers=headers, timeout=600)
        acked = time.monotonic()
        assert r.status_code == 200, r.text[:500]
        batch_id = r.json()["batchId"]
        while True:
            s = requests.get(f"{base_url}/v1/sessions/batch/{batch_id}", headers=headers,
                             params={"pageSize": 1}, timeout=30).json()
            if s["completedAt"]:
                break
            time.sleep(0.05)
        finished = time.monotonic()
        peak = vm(proc.pid, "VmHWM")
        total = finished - started
        print(f"bench-batch ({BACKEND}): {SESSIONS} sessions x {VALUES} values, body {size / 1e6:.0f} MB, "
              f"--workers {WORKERS} --job-workers {JOB_WORKERS}")
        print(f"  upload + acknowledgement {acked - started:.2f} s, processing {finished - acked:.2f} s")
        print(f"  submission to completed: {total:.2f} s ({SESSIONS / total:.0f} sessions/s, "
              f"{SESSIONS * VALUES / total / 1e6:.2f} M values/s); status {s['status']}, "
              f"failed {s['failedSessions']}")
        print(f"  server RSS idle {rss_idle / 1024:.0f} MB, peak (VmHWM) {peak / 1024:.0f} MB")
        print(f"  machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if os.environ.get("KEEP_TMP") != "1":
            subprocess.run(["rm", "-rf", str(tmp)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
