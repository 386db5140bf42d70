"""Fixtures for the black-box API tests.

One `evni serve` on a fresh database (SQLite, or PostgreSQL with EVNI_TEST_BACKEND=postgres: see
evni_testlib.new_database) is shared by the whole run (tests use unique session ids and
station ids, so they do not see each other); two tenants A and B are created on it before it starts.
Tests that need their own process (shutdown, restart, a second server) start one with `EvniServer`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest

import evni_testlib as lib


def pytest_report_header(config):
    return f"evni binary: {lib.BINARY}; backend: {lib.BACKEND}"


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: the test needs the SQLite backend (skipped on PostgreSQL)")
    config.addinivalue_line("markers", "postgres_only: the test needs the PostgreSQL backend (skipped on SQLite)")


def pytest_collection_modifyitems(config, items):
    if not os.access(lib.BINARY, os.X_OK):
        skip = pytest.mark.skip(reason=f"evni binary not found at {lib.BINARY} (set EVNI_BINARY)")
        for item in items:
            item.add_marker(skip)
    other = "postgres_only" if lib.BACKEND == "sqlite" else "sqlite_only"
    skip_backend = pytest.mark.skip(reason=f"not for the {lib.BACKEND} backend")
    for item in items:
        if item.get_closest_marker(other):
            item.add_marker(skip_backend)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, append the log tail of every server that was running during the test."""
    outcome = yield
    report = outcome.get_result()
    if call.when == "setup":
        item.evni_started_at = time.time()
    if report.failed and call.when in ("setup", "call"):
        started = getattr(item, "evni_started_at", 0)
        for server in lib.SERVERS:
            if server.proc is None:
                continue
            if server.running or (server.stopped_at or 0) >= started:
                report.sections.append((f"evni log: {server.name}", server.log_tail()))


@dataclass
class Tenant:
    tenant_id: str
    api_key: str
    client: lib.ApiClient


@dataclass
class Env:
    server: lib.EvniServer
    a: Tenant
    b: Tenant

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def anonymous(self) -> lib.ApiClient:
        return lib.ApiClient(self.base_url)

    def client(self, key: str | None) -> lib.ApiClient:
        return lib.ApiClient(self.base_url, key)


@pytest.fixture(scope="session")
def env(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("shared")
    db = lib.new_database(workdir)
    a = lib.create_tenant(lib.db_url(db), "tenant-a")
    b = lib.create_tenant(lib.db_url(db), "tenant-b")
    assert a["tenantId"] != b["tenantId"]
    assert a["apiKey"] != b["apiKey"]
    server = lib.EvniServer(db, workdir, name="shared").start()
    yield Env(
        server=server,
        a=Tenant(a["tenantId"], a["apiKey"], lib.ApiClient(server.base_url, a["apiKey"])),
        b=Tenant(b["tenantId"], b["apiKey"], lib.ApiClient(server.base_url, b["apiKey"])),
    )
    code = server.stop()
    assert code == 0, f"shared server exited with {code} after SIGTERM"


@pytest.fixture
def api_a(env) -> lib.ApiClient:
    return env.a.client


@pytest.fixture
def api_b(env) -> lib.ApiClient:
    return env.b.client


@pytest.fixture
def station() -> str:
    """A charging station id unique to the test, so list filters only see the test's own sessions."""
    return lib.uid("CS")
