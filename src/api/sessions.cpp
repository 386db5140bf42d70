// Sessions resource: GET/POST /v1/sessions, GET/PUT/PATCH /v1/sessions/{session_id}.
#include <cmath>

#include "api/handlers.h"
#include "api/json_util.h"
#include "api/session_service.h"

namespace evni::api {
namespace json = boost::json;
namespace {

constexpr double kMaxMeterValue = 10'000'000'000.0;
constexpr std::size_t kMaxValuesPerRequest = 200'000;
constexpr std::size_t kSessionBodyLimit = 32u << 20;

// Decodes one meter value object at `loc`, recording every bad field.
std::optional<domain::MeterValue> DecodeMeterValue(const json::value& item, const Loc& loc, FieldErrors& errors) {
    if (!item.is_object()) {
        errors.Add(loc, "Input should be a valid dictionary or object", "dict_type");
        return std::nullopt;
    }
    const auto& o = item.get_object();
    bool ok = true;
    domain::MeterValue mv;
    auto* ts = o.if_contains("timestamp");
    if (!ts || ts->is_null()) {
        errors.Add(At(loc, std::string("timestamp")), "Field required", "missing");
        ok = false;
    } else if (!ts->is_string()) {
        errors.Add(At(loc, std::string("timestamp")), "Input should be a valid datetime string", "datetime_type");
        ok = false;
    } else if (auto t = ParseIsoDateTime(std::string_view(ts->get_string().data(), ts->get_string().size()))) {
        mv.timestamp = *t;
    } else {
        errors.Add(At(loc, std::string("timestamp")),
                   "Input should be a valid datetime (ISO 8601, e.g. 2026-02-27T10:00:00Z)", "datetime_parsing");
        ok = false;
    }
    auto* val = o.if_contains("value");
    if (!val || val->is_null()) {
        errors.Add(At(loc, std::string("value")), "Field required", "missing");
        ok = false;
    } else if (auto d = NumberOrNumericString(*val)) {
        if (*d < 0) {
            errors.Add(At(loc, std::string("value")), "Input should be greater than or equal to 0",
                       "greater_than_equal");
            ok = false;
        } else if (*d > kMaxMeterValue) {
            errors.Add(At(loc, std::string("value")), "Input should be less than or equal to 10000000000",
                       "less_than_equal");
            ok = false;
        } else {
            mv.value = *d == 0 ? 0.0 : *d;  // no negative zero
        }
    } else {
        errors.Add(At(loc, std::string("value")), "Input should be a valid number", "float_type");
        ok = false;
    }
    auto str = [&](std::string_view key, std::optional<std::string>& out) {
        auto f = errors.OptionalString(o, key, loc, 64);
        if (f.present && !f.value && !o.at(key).is_null()) ok = false;
        out = f.value;
    };
    str("measurand", mv.measurand);
    str("unit", mv.unit);
    str("phase", mv.phase);
    str("location", mv.location);
    auto rec = errors.OptionalBool(o, "reconstructed", loc);
    if (rec.present && !rec.value && !o.at("reconstructed").is_null()) ok = false;
    mv.reconstructed = rec.value.value_or(false);
    if (!ok) return std::nullopt;
    return mv;
}

std::optional<domain::MeterValues> DecodeMeterValues(const json::object& body, bool required, FieldErrors& errors,
                                                     const Loc& base = {std::string("body")}) {
    Loc loc = At(base, std::string("meterValues"));
    auto* v = body.if_contains("meterValues");
    if (!v || v->is_null()) {
        if (required) errors.Add(loc, "Field required", "missing");
        return std::nullopt;
    }
    if (!v->is_array()) {
        errors.Add(loc, "Input should be a valid list", "list_type");
        return std::nullopt;
    }
    const auto& arr = v->get_array();
    if (arr.size() > kMaxValuesPerRequest) {
        errors.Add(loc, "List should have at most 200000 items", "too_long");
        return std::nullopt;
    }
    domain::MeterValues out;
    out.reserve(arr.size());
    Loc item = At(loc, std::int64_t{0});  // one location reused for every item: no allocation per value
    for (std::size_t i = 0; i < arr.size(); ++i) {
        item.back() = static_cast<std::int64_t>(i);
        if (auto mv = DecodeMeterValue(arr[i], item, errors)) out.push_back(std::move(*mv));
    }
    return out;
}

// Decodes the fields common to POST, PUT and PATCH. `allowed_status` lists what the route accepts.
SessionChanges DecodeChanges(const json::object& body, std::initializer_list<std::string_view> allowed_status,
                             FieldErrors& errors, const Loc& base = {std::string("body")}) {
    SessionChanges c;
    if (auto* m = body.if_contains("metadata")) {
        c.metadata_json.present = true;
        if (m->is_object() && ContainsNul(*m)) {
            errors.Add(At(base, std::string("metadata")), "Metadata should not contain NUL characters",
                       "string_pattern_mismatch");
        } else if (m->is_object()) {
            c.metadata_json.value = Serialize(*m);
            if (c.metadata_json.value->size() > 64 * 1024) {
                errors.Add(At(base, std::string("metadata")), "Metadata should be at most 65536 bytes", "too_long");
            }
        } else if (!m->is_null()) {
            errors.Add(At(base, std::string("metadata")), "Input should be a valid dictionary", "dict_type");
        }
    }
    auto status = errors.OptionalString(body, "status", base, 32);
    if (status.value) {
        bool allowed = false;
        for (auto s : allowed_status) allowed |= (*status.value == s);
        if (!allowed) {
            std::string list;
            for (auto s : allowed_status) list += (list.empty() ? "'" : ", '") + std::string(s) + "'";
            errors.Add(At(base, std::string("status")), "Input should be " + list, "enum");
        } else if (*status.value == "completed") {
            c.status = domain::ClientStatus::kCompleted;
        } else if (*status.value == "invalid") {
            c.status = domain::ClientStatus::kInvalid;
        } else {
            c.status = domain::ClientStatus::kNone;
        }
    }
    c.stop_reason = errors.OptionalString(body, "stopReason", base, 64);
    return c;
}

json::value OptString(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
json::value OptDouble(const std::optional<double>& d) { return d ? json::value(*d) : json::value(nullptr); }
json::value OptBool(const std::optional<bool>& b) { return b ? json::value(*b) : json::value(nullptr); }

json::value MetadataValue(const std::optional<std::string>& m) {
    if (!m) return nullptr;
    boost::system::error_code ec;
    auto v = json::parse(*m, ec);
    return ec ? json::value(nullptr) : v;
}

json::object SessionObject(const storage::SessionRecord& r) {
    json::object o;
    o["sessionId"] = r.session_id;
    o["chargingStationId"] = r.station_id;
    o["connectorId"] = OptString(r.connector_id);
    o["evseId"] = OptString(r.evse_id);
    o["status"] = domain::SessionStatusName(r.client_status, r.analyzed_at.has_value(), r.analysis_failed);
    o["isAnomaly"] = OptBool(r.is_anomaly);
    o["anomalyScore"] = OptDouble(r.anomaly_score);
    o["anomalyConfidence"] = OptDouble(r.anomaly_confidence);
    o["isIncident"] = OptBool(r.is_incident);
    o["isRecurring"] = OptBool(r.is_recurring);
    o["anomalies"] = AnomaliesJson(r.anomalies);
    o["analyzedAt"] = TimeOrNull(r.analyzed_at);
    o["socReconstructed"] = false;
    o["message"] = OptString(r.message);
    o["stopReason"] = OptString(r.stop_reason);
    o["createdAt"] = FormatIsoDateTime(r.created_at);
    o["metadata"] = MetadataValue(r.metadata_json);
    return o;
}

json::object MeterValueObject(const domain::MeterValue& v) {
    return json::object{
        {"timestamp", FormatIsoDateTime(v.timestamp)},
        {"value", v.value},
        {"measurand", OptString(v.measurand)},
        {"unit", OptString(v.unit)},
        {"phase", OptString(v.phase)},
        {"location", OptString(v.location)},
        {"reconstructed", v.reconstructed},
    };
}

Result<Response> Encode(Result<storage::SessionRecord> r) {
    if (!r) return Fail(std::move(r.error()));
    return JsonResponse(SessionObject(*r));
}

}  // namespace

Result<UpsertSession> DecodeUpsertSession(const json::object& body, const Loc& base) {
    FieldErrors errors;
    UpsertSession cmd;
    auto sid = errors.RequiredString(body, "sessionId", base);
    auto station = errors.RequiredString(body, "chargingStationId", base);
    cmd.changes = DecodeChanges(body, {"active", "pending", "completed", "invalid"}, errors, base);
    cmd.changes.connector_id = errors.OptionalString(body, "connectorId", base);
    cmd.changes.evse_id = errors.OptionalString(body, "evseId", base);
    cmd.changes.meter_values = DecodeMeterValues(body, false, errors, base);
    if (!errors.Empty()) return Fail(errors.ToError());
    cmd.session_id = std::move(*sid);
    cmd.station_id = std::move(*station);
    return cmd;
}

json::object SessionJson(const storage::SessionRecord& record) { return SessionObject(record); }

json::array AnomaliesJson(const std::vector<analysis::Anomaly>& anomalies) {
    json::array out;
    for (const auto& a : anomalies) {
        out.push_back(json::object{
            {"category", a.category},
            {"score", a.score},
            {"confidence", a.confidence},
            {"bucketRange", json::object{{"startUnit", a.buckets.start_unit}, {"endUnit", a.buckets.end_unit}}},
            {"timeRange", json::object{{"startTimestamp", FormatIsoDateTime(a.start_ms)},
                                       {"endTimestamp", FormatIsoDateTime(a.end_ms)}}},
        });
    }
    return out;
}

void AddSessionRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    SessionService* svc = ctx.sessions;
    using domain::Role;

    routes.push_back(
        {"GET", "/v1/sessions", Role::kViewer, 0, "List sessions", [svc](Request& req) -> Result<Response> {
             FieldErrors errors;
             storage::SessionFilter f;
             auto page = QueryInt(req.Query("page"), "page", 1, 1, 1'000'000, errors);
             auto size = QueryInt(req.Query("pageSize"), "pageSize", 50, 1, 1000, errors);
             if (auto s = req.Query("chargingStationId")) f.station_id = std::string(*s);
             if (auto s = req.Query("evseId")) f.evse_id = std::string(*s);
             f.is_anomaly = QueryBool(req.Query("isAnomaly"), "isAnomaly", errors);
             f.min_score = QueryDouble(req.Query("minScore"), "minScore", 0.0, 1.0, errors);
             f.min_confidence = QueryDouble(req.Query("minConfidence"), "minConfidence", 0.0, 1.0, errors);
             auto bound = [&](const char* name, bool end) -> std::optional<EpochMs> {
                 auto raw = req.Query(name);
                 if (!raw) return std::nullopt;
                 auto t = ParseDateBound(*raw, end);
                 if (!t) {
                     errors.Add({std::string("query"), std::string(name)},
                                "Input should be a valid date or datetime (YYYY-MM-DD or ISO 8601)",
                                "datetime_parsing");
                 }
                 return t;
             };
             f.date_from = bound("dateFrom", false);
             f.date_to = bound("dateTo", true);
             if (!errors.Empty()) return Fail(errors.ToError());
             f.page = *page;
             f.page_size = *size;
             auto result = svc->List(*req.principal, f);
             if (!result) return Fail(std::move(result.error()));
             json::array content;
             for (const auto& r : result->items) {
                 content.push_back(json::object{
                     {"sessionId", r.session_id},
                     {"chargingStationId", r.station_id},
                     {"connectorId", OptString(r.connector_id)},
                     {"evseId", OptString(r.evse_id)},
                     {"isAnomaly", OptBool(r.is_anomaly)},
                     {"anomalyScore", OptDouble(r.anomaly_score)},
                     {"anomalyConfidence", OptDouble(r.anomaly_confidence)},
                     {"anomalyCount", r.anomaly_count},
                     {"status",
                      domain::SessionStatusName(r.client_status, r.analyzed_at.has_value(), r.analysis_failed)},
                     {"createdAt", FormatIsoDateTime(r.created_at)},
                     {"lastAnalyzedAt", TimeOrNull(r.analyzed_at)},
                     {"startedAt", TimeOrNull(r.started_at)},
                 });
             }
             return JsonResponse(json::object{
                 {"content", std::move(content)},
                 {"pagination",
                  json::object{{"totalCount", result->total_count}, {"page", f.page}, {"size", f.page_size}}},
             });
         }});

    routes.push_back({"POST", "/v1/sessions", Role::kMember, kSessionBodyLimit, "Create or upsert a session",
                      [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          auto cmd = DecodeUpsertSession(*body, {std::string("body")});
                          if (!cmd) return Fail(std::move(cmd.error()));
                          return Encode(svc->Upsert(*req.principal, std::move(*cmd)));
                      }});

    routes.push_back(
        {"GET", "/v1/sessions/{session_id}", Role::kViewer, 0, "Get a session with its meter values",
         [svc](Request& req) -> Result<Response> {
             auto d = svc->Get(*req.principal, req.path_params["session_id"]);
             if (!d) return Fail(std::move(d.error()));
             json::object o = SessionObject(d->record);
             json::array values;
             values.reserve(d->values.size());
             for (const auto& v : d->values) values.push_back(MeterValueObject(v));
             o["meterValues"] = std::move(values);
             json::array soc;
             for (const auto& p : d->soc.points) {
                 soc.push_back(json::object{{"timestamp", FormatIsoDateTime(p.timestamp)}, {"value", p.value}});
             }
             const bool reconstructed = d->soc.reconstructed && !soc.empty();
             o["socReconstructed"] = reconstructed;
             o["reconstructedSoc"] = std::move(soc);
             o["sorcConfidence"] = reconstructed ? json::value(d->soc.confidence) : json::value(nullptr);
             return JsonResponse(o);
         }});

    routes.push_back({"PUT", "/v1/sessions/{session_id}", Role::kMember, kSessionBodyLimit,
                      "Replace all meter values of a session", [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          SessionChanges c = DecodeChanges(*body, {"completed", "invalid"}, errors);
                          c.meter_values = DecodeMeterValues(*body, true, errors);
                          if (c.meter_values && c.meter_values->empty() && errors.Empty()) {
                              errors.Add({std::string("body"), std::string("meterValues")},
                                         "List should have at least 1 item", "too_short");
                          }
                          if (!errors.Empty()) return Fail(errors.ToError());
                          return Encode(svc->Replace(*req.principal, req.path_params["session_id"], std::move(c)));
                      }});

    routes.push_back({"PATCH", "/v1/sessions/{session_id}", Role::kMember, kSessionBodyLimit,
                      "Append meter values to a session", [svc](Request& req) -> Result<Response> {
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          SessionChanges c = DecodeChanges(*body, {"completed", "invalid"}, errors);
                          c.meter_values = DecodeMeterValues(*body, false, errors);
                          if (!errors.Empty()) return Fail(errors.ToError());
                          return Encode(svc->Append(*req.principal, req.path_params["session_id"], std::move(c)));
                      }});
}

}  // namespace evni::api
