// Documentation routes: GET /openapi.json (built from the route table), GET /docs (a Swagger UI page
// served from local files: nothing is loaded from the internet), GET /docs/{file} (the viewer's files)
// and GET /llms.txt (a plain-text guide). Public.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "api/handlers.h"
#include "api/json_util.h"
#include "api/openapi.h"

namespace evni::api {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// The files of the viewer that /docs/{file} serves (copied from swagger-ui-dist at build time).
constexpr std::string_view kViewerFiles[] = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"};

// The page may only load what evni itself serves.
constexpr std::string_view kDocsCsp =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:";

fs::path ExecutableDir() {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path(ec) : exe.parent_path();
}

std::optional<std::string> ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    return std::move(out).str();
}

std::string_view ContentType(std::string_view name) {
    auto ends = [&](std::string_view ext) {
        return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
    };
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".png")) return "image/png";
    return "application/octet-stream";
}

Response Html(std::string body) {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    r.headers.emplace_back("Content-Security-Policy", std::string(kDocsCsp));
    return r;
}

constexpr std::string_view kViewerPage = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evni API documentation</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="evni-docs"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#evni-docs",
  deepLinking: true,
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true
});
</script>
</body>
</html>
)";

constexpr std::string_view kFallbackPage = R"(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>evni API documentation</title></head>
<body style="font-family: sans-serif; max-width: 48em; margin: 2em auto">
<h1>evni API documentation</h1>
<p>The documentation viewer is not installed with this binary (it is installed from npm at build time, which
was not possible when this binary was built: no npm or no network). The API is fully described by:</p>
<ul>
<li><a href="/openapi.json">/openapi.json</a>: the OpenAPI 3.1 document</li>
<li><a href="/llms.txt">/llms.txt</a>: a plain-text guide</li>
</ul>
<p>To get the viewer, rebuild with npm available, or point <code>--docs-dir</code> / <code>EVNI_DOCS_DIR</code> at a
directory holding <code>swagger-ui-bundle.js</code> and <code>swagger-ui.css</code> from the npm package
<code>swagger-ui-dist</code>.</p>
</body>
</html>
)";

std::string LlmsTxt() {
    std::string t = R"(# evni: EV Network Intelligence

> evni is a self-hostable REST/JSON service for charge point operators, CPMS vendors and e-roaming hubs.
> Push the OCPP meter values of EV charging sessions, get anomaly verdicts back: which sessions are
> anomalous, where in the session (15-second buckets and timestamps), how badly (score 0-1) and how
> sure (confidence 0-1). No ML expertise required.

Machine-readable contract: /openapi.json (OpenAPI 3.1). Human-readable: /docs.

## Authentication

- Every /v1 route needs `Authorization: Bearer <API key>`. A key belongs to one tenant and has a role:
  viewer < member < admin < super_admin. Reading needs viewer, writing sessions needs member, managing
  keys needs admin.
- Keys look like `evni_<12 hex>_<43 chars>` and are shown once: by `evni tenant create --name NAME`
  (the first admin key of a tenant) or by `POST /v1/api-keys`.
- 401: missing, malformed, unknown, revoked or expired key. 403: role too low. Another tenant's
  objects are always 404, never 403.
- /healthz, /readyz, /metrics, /openapi.json, /docs and /llms.txt are public.

## Conventions

- JSON, camelCase fields. Timestamps returned as UTC `YYYY-MM-DDTHH:MM:SSZ` (`.mmm` when the
  milliseconds are not zero). Request timestamps: ISO 8601 with `Z` or an offset; none means UTC.
- Errors: `{"detail": "...", "code": "not_found", "requestId": "..."}`. Validation errors (422) list
  every bad field: `{"detail": [{"loc": ["body", "meterValues", 3, "value"], "msg": "...",
  "type": "greater_than_equal"}], "code": "validation_error", "requestId": "..."}`.
- Every response has an `X-Request-Id` header (yours, when you send a sane one).

## Main flows

Set `EVNI=http://127.0.0.1:8080` and `KEY=<your API key>`.

1. Push a whole session (creates it, or upserts by sessionId; exact duplicate readings are ignored):

    curl -s -X POST $EVNI/v1/sessions -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{
      "sessionId": "sess-abc-001", "chargingStationId": "CP-NL-AMS-0042", "connectorId": "1",
      "meterValues": [
        {"measurand": "Energy.Active.Import.Register", "timestamp": "2026-02-27T10:00:00Z", "unit": "kWh", "value": 0},
        {"measurand": "SoC", "timestamp": "2026-02-27T10:00:00Z", "unit": "Percent", "value": 80},
        {"measurand": "Energy.Active.Import.Register", "timestamp": "2026-02-27T10:15:00Z", "unit": "kWh", "value": 5.5},
        {"measurand": "SoC", "timestamp": "2026-02-27T10:15:00Z", "unit": "Percent", "value": 65},
        {"measurand": "Energy.Active.Import.Register", "timestamp": "2026-02-27T10:30:00Z", "unit": "kWh", "value": 11.1},
        {"measurand": "SoC", "timestamp": "2026-02-27T10:30:00Z", "unit": "Percent", "value": 50}]}'

   The answer is the session with its verdict: `isAnomaly`, `anomalyScore`, `anomalyConfidence`,
   `isIncident`, `isRecurring` and `anomalies` (each with `category`, `score`, `confidence`,
   `bucketRange` {startUnit, endUnit} and `timeRange` {startTimestamp, endTimestamp}). Here: SOC_DECREASE.
   The analysis runs once a session has at least 3 meter values; before that the verdict fields are
   null and `message` says why.

2. Stream readings as they arrive (append; the analysis is incremental):

    curl -s -X PATCH $EVNI/v1/sessions/sess-abc-001 -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d '{"meterValues": [{"measurand": "Energy.Active.Import.Register", "timestamp": "2026-02-27T10:45:00Z", "unit": "kWh", "value": 16.5}]}'

   Close it with `{"status": "completed", "stopReason": "EVDisconnected"}` in a PATCH.

3. Replace all readings (at least one): `PUT /v1/sessions/{sessionId}` with `{"meterValues": [...]}`.

4. Read a session with all its meter values: `curl -s $EVNI/v1/sessions/sess-abc-001 -H "Authorization: Bearer $KEY"`

5. Find anomalous sessions, most recent first:

    curl -s "$EVNI/v1/sessions?isAnomaly=true&minScore=0.5&dateFrom=2026-02-01&pageSize=100" -H "Authorization: Bearer $KEY"

   Filters: page (>= 1, default 1), pageSize (1-1000, default 50), chargingStationId, evseId,
   isAnomaly, minScore, minConfidence (0-1), dateFrom, dateTo (date-time or date; a date as dateTo
   includes that whole day; they filter on the session start).

6. Keys (admin): `GET /v1/api-keys`; `POST /v1/api-keys` with `{"name": "cpms", "role": "member",
   "expiresInDays": 365}` (role defaults to yours and can never be above it; the key is in the answer,
   once); `DELETE /v1/api-keys/{id}` revokes.

Meter value fields: `timestamp` and `value` (a number, or a numeric string as OCPP 1.6 sends, 0 to
10,000,000,000) are required; `measurand`, `unit`, `phase`, `location` (strings, stored as sent) and
`reconstructed` are optional. Session `metadata` may carry connector facts for the detectors:
`maxPowerKw`, `currentType` ("AC"/"DC"), `phases`. Without `maxPowerKw`, a connector with >= 5 sessions
of history gets a rating learned from them (the next standard rating above its sustained peaks;
findings against it have reduced confidence).

## Verdict

- Buckets: bucket b is the 15-second slot [t0 + 15 s * b, t0 + 15 s * (b+1)), t0 = the earliest meter
  value. `bucketRange` is inclusive; `timeRange` = [t0 + 15 s * startUnit, t0 + 15 s * (endUnit + 1)].
- `anomalyScore` is the highest category score. `isIncident`: score >= 0.8 with confidence >= 0.8, or
  recurring with score >= 0.6. `isRecurring`: the same category on the same station and connector in
  at least 2 other sessions within the 30 days before.
- Session status: pending (not analysed yet), active (analysed), failed (last analysis failed),
  completed / invalid (set by the client, sticky).

## Anomaly categories

)";
    for (const auto& c : openapi::AnomalyCategories()) {
        t += "- ";
        t += c.id;
        t += ": ";
        t += c.meaning;
        t += "\n";
    }
    t += R"(
All categories are part of the API's enum; detectors for KWH_DECREASE, ENERGY_PIT and SOC_DECREASE run
today, the others are added over time.

## Limits

- Request bodies: 32 MiB for session writes (POST/PUT/PATCH /v1/sessions...), 64 KiB to 1 MiB
  elsewhere; over the limit is 413 and the connection closes.
- At most 200,000 meter values per request and 2,000,000 per session (422 `too_long` beyond).
- Strings: ids up to 255 characters, measurand/unit/phase/location/stopReason up to 64, metadata up
  to 64 KiB. API keys: name up to 100, description up to 1000, expiresInDays 1-3650 (default 365).
- Status codes: 200, 401, 403, 404, 405 (known path, other method), 409 (sessionId already used on
  another charging station), 413, 422, 503 (/readyz when the database is not ready).
)";
    return t;
}

}  // namespace

void AddDocsRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    // `routes` is the Api's own table: the document is built on first use, when the table is complete.
    const std::vector<Route>* table = &routes;
    auto document = std::make_shared<std::pair<std::once_flag, std::string>>();
    routes.push_back({"GET", "/openapi.json", std::nullopt, 0, "The OpenAPI 3.1 document of this API",
                      [table, document](Request&) -> Result<Response> {
                          std::call_once(document->first, [&] {
                              document->second =
                                  Serialize(openapi::BuildDocument(*table, openapi::DocRegistry::Default()));
                          });
                          Response r;
                          r.body = document->second;
                          return r;
                      }});

    const fs::path dir = ctx.docs_dir.empty() ? ExecutableDir() / "docs" : fs::path(ctx.docs_dir);
    routes.push_back({"GET", "/docs", std::nullopt, 0, "API documentation page", [dir](Request&) -> Result<Response> {
                          std::error_code ec;
                          const bool installed = fs::is_regular_file(dir / "swagger-ui-bundle.js", ec);
                          return Html(std::string(installed ? kViewerPage : kFallbackPage));
                      }});

    routes.push_back({"GET", "/docs/{file}", std::nullopt, 0, "A file of the documentation viewer",
                      [dir](Request& req) -> Result<Response> {
                          const std::string& name = req.path_params["file"];
                          bool known = false;
                          for (auto f : kViewerFiles) known |= (f == name);
                          if (!known) return Fail(Error::NotFound("Not Found"));
                          auto body = ReadFile(dir / name);
                          if (!body) return Fail(Error::NotFound("The documentation viewer is not installed"));
                          Response r;
                          r.content_type = std::string(ContentType(name));
                          r.body = std::move(*body);
                          r.headers.emplace_back("Cache-Control", "public, max-age=86400");
                          return r;
                      }});

    auto llms = std::make_shared<const std::string>(LlmsTxt());
    routes.push_back({"GET", "/llms.txt", std::nullopt, 0, "Plain-text guide for language models and humans",
                      [llms](Request&) -> Result<Response> {
                          Response r;
                          r.content_type = "text/plain; charset=utf-8";
                          r.body = *llms;
                          return r;
                      }});
}

}  // namespace evni::api
