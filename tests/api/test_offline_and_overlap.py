"""`evni generate` and `evni analyze` (offline, no server), and SESSION_OVERLAP through the API."""
import json
import subprocess
from datetime import timedelta
from pathlib import Path

import evni_testlib as lib
from evni_testlib import T0

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"


def run(*args, stdin=None):
    return subprocess.run([lib.BINARY, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_generate_then_analyze_finds_each_injected_category():
    cats = ["KWH_DECREASE", "METER_RESET", "ZERO_ENERGY", "DATA_GAP", "SESSION_OVERLAP"]
    gen = run("generate", "--seed", "11", "--sessions", "5", "--faults", ",".join(cats), "--severity", "0.9",
              "--data-dir", str(DATA_DIR))
    assert gen.returncode == 0, gen.stderr
    sessions = [json.loads(line) for line in gen.stdout.splitlines()]
    assert len(sessions) == 5
    assert [s["labels"][0]["category"] for s in sessions] == cats
    out = run("analyze", "-", stdin=gen.stdout)
    assert out.returncode == 0, out.stderr
    verdicts = [json.loads(line) for line in out.stdout.splitlines()]
    for s, v in zip(sessions, verdicts):
        assert v["sessionId"] == s["sessionId"]
        assert v["isAnomaly"] is True, (s["profile"], v)
        assert s["labels"][0]["category"] in {a["category"] for a in v["anomalies"]}, (s["profile"], v)


def test_generate_is_deterministic_and_clean_sessions_are_normal():
    a = run("generate", "--seed", "5", "--sessions", "4", "--data-dir", str(DATA_DIR))
    b = run("generate", "--seed", "5", "--sessions", "4", "--data-dir", str(DATA_DIR))
    assert a.returncode == 0 and a.stdout == b.stdout
    verdicts = [json.loads(line) for line in run("analyze", "-", stdin=a.stdout).stdout.splitlines()]
    assert all(v["isAnomaly"] is False for v in verdicts), verdicts


def test_analyze_accepts_object_array_and_reports_bad_sessions(tmp_path):
    example = lib.reference_example("ref-1")
    one = tmp_path / "one.json"
    one.write_text(json.dumps(example))
    out = run("analyze", str(one))
    assert out.returncode == 0, out.stderr
    v = json.loads(out.stdout)
    assert v["isAnomaly"] is True and "SOC_DECREASE" in {a["category"] for a in v["anomalies"]}
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([example, {"sessionId": "x"}]))
    out = run("analyze", str(arr))
    assert out.returncode == 1
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    bad = next(line for line in lines if "error" in line)
    assert bad["index"] == 1 and bad["error"][0]["loc"] == [1, "chargingStationId"]
    garbage = tmp_path / "bad.json"
    garbage.write_text("{not json")
    assert run("analyze", str(garbage)).returncode == 2
    assert run("analyze", str(tmp_path / "missing.json")).returncode == 2
    assert run("generate", "--faults", "NOT_A_CATEGORY").returncode == 2


def test_session_overlap_on_the_same_connector(api_a, station):
    first = lib.clean_ac_session(lib.uid(), station, minutes=60)
    first["connectorId"] = "2"
    assert api_a.create_session(first)["isAnomaly"] is False
    second = lib.clean_ac_session(lib.uid(), station, minutes=60, start=T0 + timedelta(minutes=30))
    second["connectorId"] = "2"
    s = api_a.create_session(second)
    overlaps = lib.anomalies_of(s, "SESSION_OVERLAP")
    assert s["isAnomaly"] is True and len(overlaps) == 1, s
    assert lib.parse_ts(overlaps[0]["timeRange"]["startTimestamp"]) <= T0 + timedelta(minutes=31)
    # Another connector of the same station does not overlap.
    third = lib.clean_ac_session(lib.uid(), station, minutes=60, start=T0 + timedelta(minutes=30))
    third["connectorId"] = "3"
    assert not lib.anomalies_of(api_a.create_session(third), "SESSION_OVERLAP")
