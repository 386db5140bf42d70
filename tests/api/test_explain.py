"""Explain and ask (issue 11, docs/explain.md): GET/POST /v1/sessions/{id}/explain and POST /v1/sessions/{id}/ask.

Shapes, the cache (hit, refresh/regenerate, invalidation by a new analysis), lang/style validation, questions in
six languages, unanswerable questions, the question log (audit, read from the database), tenant isolation, and
the optional LLM provider against a fake OpenAI-compatible server on loopback (good, slow, failing, malformed and
nonsense answers, each falling back to the built-in explainer when it cannot be used).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import evni_testlib as lib

TARIFF_METADATA = {"tariffPerKwh": 0.39, "currency": "EUR", "maxPowerKw": 11, "currentType": "AC", "phases": 3}


def kwh_decrease_session(api, station, session_id=None, **extra) -> str:
    session_id = session_id or lib.uid("s")
    body = {"sessionId": session_id, "chargingStationId": station, "connectorId": "1",
            "meterValues": lib.kwh_decrease_values()}
    body.update(extra)
    api.create_session(body)
    return session_id


def explain(api, session_id, **params):
    r = api.get(f"/v1/sessions/{session_id}/explain", params=params)
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def ask(api, session_id, question, lang=None):
    body = {"question": question}
    if lang is not None:
        body["lang"] = lang
    r = api.post(f"/v1/sessions/{session_id}/ask", body)
    assert r.status_code == 200, lib.describe(r)
    return r.json()


def numbers(text: str) -> list[str]:
    return [t.replace(",", ".") for t in re.findall(r"\d+(?:[.,]\d+)?", text)]


def question_log(db, session_id: str) -> list[tuple]:
    """(question, lang, answer, provider, answered) of a session, oldest first, read from the database."""
    sql = ("SELECT q.question, q.lang, q.answer, q.provider, q.answered FROM session_questions q "
           "JOIN sessions s ON s.pk = q.session_pk WHERE s.session_id = '{}' ORDER BY q.id").format(session_id)
    if lib.is_postgres_url(db):
        out = lib.psql(db, sql.replace("q.answered", "q.answered::int"))
        # psql -A separates columns with '|'; answers contain no '|'.
        return [tuple(line.split("|")) for line in out.splitlines() if line]
    conn = sqlite3.connect(db, timeout=10)
    try:
        return [tuple(str(c) for c in row) for row in conn.execute(sql)]
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------- explain


def test_explain_shape_and_cache(api_a, station):
    sid = kwh_decrease_session(api_a, station, metadata=TARIFF_METADATA)
    first = explain(api_a, sid)
    assert set(first) == {"sessionId", "explanation", "cached", "lang", "style", "provider", "analysisVersion",
                          "generatedAt"}
    assert first["sessionId"] == sid
    assert first["cached"] is False
    assert (first["lang"], first["style"], first["provider"]) == ("en", "detailed", "builtin")
    text = first["explanation"]
    assert "flagged as anomalous" in text
    assert "Energy register decrease" in text
    assert "Likely causes:" in text and "What to check next:" in text
    assert "At 0.39 EUR/kWh the energy delivered is worth" in text  # billing impact from the session's tariff
    assert "rated power 11.0 kW" in text
    lib.parse_ts(first["generatedAt"])

    second = explain(api_a, sid)
    assert second["cached"] is True
    assert second["explanation"] == text
    assert second["generatedAt"] == first["generatedAt"]

    # Another language or style is another cache entry.
    pl = explain(api_a, sid, lang="pl", style="short")
    assert pl["cached"] is False and pl["lang"] == "pl" and pl["style"] == "short"
    assert "Spadek wskazania licznika energii" in pl["explanation"]
    assert explain(api_a, sid, lang="pl", style="short")["cached"] is True

    # refresh forces a new one.
    refreshed = explain(api_a, sid, refresh="true")
    assert refreshed["cached"] is False
    assert refreshed["explanation"] == text  # same facts, same built-in text


def test_post_explain_defaults_and_regenerate(api_a, station):
    sid = kwh_decrease_session(api_a, station)
    r = api_a.post(f"/v1/sessions/{sid}/explain")
    assert r.status_code == 200, lib.describe(r)
    assert r.json()["cached"] is False and r.json()["lang"] == "en"
    r = api_a.post(f"/v1/sessions/{sid}/explain", {"lang": "en", "regenerate": False})
    assert r.json()["cached"] is True
    r = api_a.post(f"/v1/sessions/{sid}/explain", {"lang": "en", "regenerate": True})
    assert r.json()["cached"] is False
    r = api_a.post(f"/v1/sessions/{sid}/explain", {"lang": "fr", "style": "technical"})
    body = r.json()
    assert body["cached"] is False and body["style"] == "technical"
    assert "KWH_DECREASE buckets=" in body["explanation"]
    assert "Causes probables" in body["explanation"]
    # GET sees what POST cached.
    assert explain(api_a, sid, lang="fr", style="technical")["cached"] is True


def test_new_analysis_invalidates_the_cache(api_a, station):
    sid = kwh_decrease_session(api_a, station)
    first = explain(api_a, sid, style="short")
    assert explain(api_a, sid, style="short")["cached"] is True
    later = lib.T0 + lib.timedelta(minutes=81)
    r = api_a.patch(f"/v1/sessions/{sid}", {"meterValues": [lib.mv(later, 17.0)]})
    assert r.status_code == 200, lib.describe(r)
    after = explain(api_a, sid, style="short")
    assert after["cached"] is False
    assert after["analysisVersion"] > first["analysisVersion"]


def test_clean_and_pending_sessions(api_a, station):
    clean = lib.uid("s")
    api_a.create_session(lib.clean_ac_session(clean, station))
    text = explain(api_a, clean, style="short")["explanation"]
    assert "looks normal" in text and "No action is needed." in text
    pending = lib.uid("s")
    api_a.create_session({"sessionId": pending, "chargingStationId": station, "meterValues": lib.energy_values(2)})
    text = explain(api_a, pending, lang="de")["explanation"]
    assert "noch nicht analysiert" in text


@pytest.mark.parametrize("lang", ["en", "pl", "de", "nl", "fr", "es"])
@pytest.mark.parametrize("style", ["short", "detailed", "technical"])
def test_every_number_is_grounded(api_a, station, lang, style):
    """Every number of an explanation also appears in the session's data the API shows (values, verdict)."""
    sid = kwh_decrease_session(api_a, station, metadata=TARIFF_METADATA)
    text = explain(api_a, sid, lang=lang, style=style)["explanation"]
    detail = api_a.session_detail(sid)
    allowed = set(numbers(json.dumps(detail)))
    for n in list(allowed):  # the session's numbers as the texts round them
        v = float(n)
        allowed |= {f"{v:.0f}", f"{v:.1f}", f"{v:.2f}", f"{v * 100:.0f}"}
    # Derived facts of this session: history window and counts, threshold, delivered energy, register change and
    # drop, mean power, tariff, money, duration, anomaly length.
    allowed.add(str(len(detail["meterValues"])))
    # The SoC model's battery estimate is not in the session view (the unit tests check it is a fact).
    text = re.sub(r"sorc\.batteryEffectiveKwh=[\d.,]+", "", text)
    allowed |= {"0", "30", "0.50", "9.74", "6.74", "3.00", "7.3", "11.0", "3.80", "1.17", "0.39", "80", "1.2"}
    stray = [n for n in numbers(text) if n not in allowed]
    assert not stray, f"numbers {stray} not from the session ({lang}, {style}):\n{text}"


def test_lang_and_style_validation(api_a, station):
    sid = kwh_decrease_session(api_a, station)
    lib.assert_validation_error(api_a.get(f"/v1/sessions/{sid}/explain", params={"lang": "it"}), ["query", "lang"])
    lib.assert_validation_error(api_a.get(f"/v1/sessions/{sid}/explain", params={"style": "long"}),
                                ["query", "style"])
    lib.assert_validation_error(api_a.get(f"/v1/sessions/{sid}/explain", params={"refresh": "maybe"}),
                                ["query", "refresh"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/explain", {"lang": "xx"}), ["body", "lang"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/explain", {"style": 3}), ["body", "style"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/explain", {"regenerate": "yes"}),
                                ["body", "regenerate"])
    lib.assert_validation_error(api_a.raw("POST", f"/v1/sessions/{sid}/explain", "[1]"), ["body"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/ask", {}), ["body", "question"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/ask", {"question": "  "}), ["body", "question"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/ask", {"question": "x" * 2001}),
                                ["body", "question"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/ask", {"question": "SoC?", "lang": "klingon"}),
                                ["body", "lang"])
    lib.assert_validation_error(api_a.post(f"/v1/sessions/{sid}/ask", {"question": 42}), ["body", "question"])


def test_unknown_session_is_404(api_a):
    missing = lib.uid("missing")
    lib.assert_error_body(api_a.get(f"/v1/sessions/{missing}/explain"), 404)
    lib.assert_error_body(api_a.post(f"/v1/sessions/{missing}/explain", {}), 404)
    lib.assert_error_body(api_a.post(f"/v1/sessions/{missing}/ask", {"question": "SoC?"}), 404)


# ---------------------------------------------------------------------------------------------- ask


@pytest.mark.parametrize("question,lang,expected", [
    ("How much energy was delivered in this session?", "en", "Energy delivered: 9.74 kWh."),
    ("Ile energii dostarczono w tej sesji?", "pl", "Dostarczona energia: 9,74 kWh."),
    ("Wie viel Energie wurde geladen?", "de", "Gelieferte Energie: 9,74 kWh."),
    ("Hoeveel energie is er geleverd?", "nl", "Geleverde energie: 9,74 kWh."),
    ("Combien d'énergie a été fournie pendant cette session ?", "fr", "Énergie fournie : 9,74 kWh."),
    ("¿Cuánta energía se entregó en esta sesión?", "es", "Energía entregada: 9,74 kWh."),
])
def test_ask_answers_in_the_questions_language(api_a, station, question, lang, expected):
    sid = kwh_decrease_session(api_a, station)
    a = ask(api_a, sid, question)
    assert set(a) == {"sessionId", "answer", "lang", "answered", "provider"}
    assert a["sessionId"] == sid and a["lang"] == lang and a["answered"] is True and a["provider"] == "builtin"
    assert expected in a["answer"], a["answer"]


def test_ask_topics_lang_override_and_unanswerable(api_a, station):
    sid = kwh_decrease_session(api_a, station, metadata=TARIFF_METADATA)
    a = ask(api_a, sid, "Why did the SoC drop unexpectedly?", lang="en")
    assert "State of charge" in a["answer"] and "flagged because" in a["answer"], a
    a = ask(api_a, sid, "Warum ist die Sitzung auffällig?")
    assert a["lang"] == "de" and "Alarmschwelle" in a["answer"] and "Wahrscheinliche Ursachen" in a["answer"]
    a = ask(api_a, sid, "What does it cost?", lang="nl")
    assert a["lang"] == "nl" and "Tegen 0,39 EUR/kWh" in a["answer"], a
    a = ask(api_a, sid, "Quelle était la puissance maximale ?")
    assert a["lang"] == "fr" and "Puissance maximale : 7,4 kW." in a["answer"], a
    a = ask(api_a, sid, "Was there an ENERGY_PIT?")
    assert 'no finding of the type "energy pit"' in a["answer"], a
    a = ask(api_a, sid, "What is the weather in Amsterdam tomorrow?")
    assert a["answered"] is False
    assert "do not answer that question" in a["answer"]
    a = ask(api_a, sid, "Jaka będzie jutro pogoda w Warszawie?")
    assert a["answered"] is False and a["lang"] == "pl" and "nie odpowiadają na to pytanie" in a["answer"]


def test_ask_connector_history(api_a, station):
    for _ in range(2):
        kwh_decrease_session(api_a, station)
    sid = kwh_decrease_session(api_a, station)
    a = ask(api_a, sid, "Has this happened before on this connector?")
    assert "Other sessions on this connector in the 30 days up to this one: 2." in a["answer"], a
    assert "energy register decrease: 2" in a["answer"], a


def test_questions_are_logged(env, api_a, station):
    sid = kwh_decrease_session(api_a, station)
    a1 = ask(api_a, sid, "Ile energii dostarczono?")
    a2 = ask(api_a, sid, "What is the meaning of life?", lang="es")
    log = question_log(env.server.db, sid)
    assert log == [
        ("Ile energii dostarczono?", "pl", a1["answer"], "builtin", "1"),
        ("What is the meaning of life?", "es", a2["answer"], "builtin", "0"),
    ]


def test_viewer_may_read_explain_and_ask(env, api_a, station):
    sid = kwh_decrease_session(api_a, station)
    r = api_a.post("/v1/api-keys", {"name": lib.uid("viewer"), "role": "viewer"})
    assert r.status_code == 200, lib.describe(r)
    viewer = env.client(r.json()["key"])
    assert viewer.get(f"/v1/sessions/{sid}/explain").status_code == 200
    assert viewer.post(f"/v1/sessions/{sid}/explain", {"regenerate": True}).status_code == 200
    assert viewer.post(f"/v1/sessions/{sid}/ask", {"question": "SoC?"}).status_code == 200


def test_tenant_isolation(env, api_a, api_b, station):
    sid = kwh_decrease_session(api_a, station)
    explain(api_a, sid)
    lib.assert_error_body(api_b.get(f"/v1/sessions/{sid}/explain"), 404)
    lib.assert_error_body(api_b.post(f"/v1/sessions/{sid}/explain", {}), 404)
    lib.assert_error_body(api_b.post(f"/v1/sessions/{sid}/ask", {"question": "SoC?"}), 404)
    # B's sessions on a station and connector of the same name never count in A's history.
    for _ in range(3):
        kwh_decrease_session(api_b, station)
    b_sid = kwh_decrease_session(api_b, station, session_id=sid)  # the same session id in tenant B
    mine = ask(api_a, sid, "How often did this happen before on the connector?")
    assert "in the 30 days up to this one: 0." in mine["answer"], mine
    theirs = ask(api_b, b_sid, "How often did this happen before on the connector?")
    assert "in the 30 days up to this one: 3." in theirs["answer"], theirs
    # B's explanation of its own session of that id is B's, not A's cached text.
    assert explain(api_b, sid)["cached"] is False


# ---------------------------------------------------------------------------------------------- LLM provider


class FakeLlm:
    """An OpenAI-compatible /chat/completions endpoint on loopback whose behaviour the test switches."""

    def __init__(self):
        self.mode = "good"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                mode = fake.mode
                if mode == "slow":
                    time.sleep(4)
                if mode == "failing":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b'{"error": "boom"}')
                    return
                user = body["messages"][1]["content"]
                facts = json.loads(user.split("Facts (JSON):\n", 1)[1].split("\n", 1)[0])
                if mode == "nonsense":
                    content = "The session delivered 4242.42 kWh at 987 kW, a record for this charger."
                elif mode == "empty":
                    content = ""
                else:
                    content = (f"LLM: session {facts['sessionId']} delivered {facts['energyDeliveredKwh']} kWh; "
                               f"the register fell by {facts['anomalies'][0]['magnitudeKwh']} kWh.")
                if mode == "malformed":
                    payload = b'{"choices": [ {"message": '
                else:
                    payload = json.dumps({"id": "x", "object": "chat.completion",
                                          "choices": [{"index": 0, "message": {"role": "assistant",
                                                                               "content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def llm_env(tmp_path_factory):
    fake = FakeLlm()
    workdir = tmp_path_factory.mktemp("llm")
    db = lib.new_database(workdir)
    tenant = lib.create_tenant(lib.db_url(db), "llm-tenant")
    server = lib.EvniServer(db, workdir, name="llm", extra_args=(
        "--llm-url", fake.url, "--llm-model", "fake-model", "--llm-key", "sk-test", "--llm-timeout", "2")).start()
    yield fake, lib.ApiClient(server.base_url, tenant["apiKey"]), server
    server.stop()
    fake.close()


def test_llm_good_answer_is_used_and_cached(llm_env):
    fake, api, _ = llm_env
    fake.mode = "good"
    sid = kwh_decrease_session(api, lib.uid("CS"))
    e = explain(api, sid, lang="de")
    assert e["provider"] == "llm" and e["cached"] is False
    assert e["explanation"] == f"LLM: session {sid} delivered 9.74 kWh; the register fell by 3.00 kWh."
    req = fake.requests[-1]
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "fake-model"
    assert "Never invent numbers" in req["body"]["messages"][0]["content"]
    assert "German" in req["body"]["messages"][0]["content"]
    calls = len(fake.requests)
    again = explain(api, sid, lang="de")
    assert again["cached"] is True and again["provider"] == "llm" and len(fake.requests) == calls
    a = ask(api, sid, "How much energy was delivered?")
    assert a["provider"] == "llm" and a["answer"].startswith("LLM: session")


@pytest.mark.parametrize("mode", ["failing", "nonsense", "empty", "malformed", "slow"])
def test_llm_failures_fall_back_to_the_builtin_explainer(llm_env, mode):
    fake, api, server = llm_env
    fake.mode = mode
    sid = kwh_decrease_session(api, lib.uid("CS"))
    started = time.monotonic()
    e = explain(api, sid, style="short")
    elapsed = time.monotonic() - started
    assert e["provider"] == "builtin", e
    assert "Energy register decrease" in e["explanation"]
    a = ask(api, sid, "How much energy was delivered?")
    assert a["provider"] == "builtin" and "Energy delivered: 9.74 kWh." in a["answer"]
    if mode == "slow":
        assert elapsed < 3.9, f"the 2 s LLM timeout did not apply ({elapsed:.1f} s)"
    fake.mode = "good"
    assert server.running
