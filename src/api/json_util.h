#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/time.h"

namespace evni::api {

using Loc = std::vector<LocPart>;

inline Loc At(Loc base, LocPart part) {
    base.push_back(std::move(part));
    return base;
}

// A body field that may be absent, explicitly null, or set.
template <typename T>
struct Field {
    bool present = false;
    std::optional<T> value;  // nullopt with present=true: explicit null
};

// Collects validation errors while a decoder walks a JSON document, so that one response names
// every bad field at once.
class FieldErrors {
  public:
    void Add(Loc loc, std::string msg, std::string type) {
        errors_.push_back({std::move(loc), std::move(msg), std::move(type)});
    }
    bool Empty() const { return errors_.empty(); }
    Error ToError() { return Error::Validation(std::move(errors_)); }

    // Typed readers: record an error and return nullopt/absent when the field is wrong.
    std::optional<std::string> RequiredString(const boost::json::object& o, std::string_view key, const Loc& base,
                                              std::size_t max_len = 255);
    Field<std::string> OptionalString(const boost::json::object& o, std::string_view key, const Loc& base,
                                      std::size_t max_len = 255);
    Field<bool> OptionalBool(const boost::json::object& o, std::string_view key, const Loc& base);
    Field<std::int64_t> OptionalInt(const boost::json::object& o, std::string_view key, const Loc& base,
                                    std::int64_t min, std::int64_t max);

  private:
    std::vector<FieldError> errors_;
};

// Parses a request body that must be a JSON object. Errors: json_invalid, model_attributes_type.
// The document lives in `arena` (one bump allocator per request instead of one malloc per node).
Result<boost::json::object> ParseObjectBody(std::string_view body, boost::json::monotonic_resource& arena);

// A per-request arena sized for a body.
inline boost::json::monotonic_resource BodyArena(std::string_view body) {
    return boost::json::monotonic_resource(body.size() * 2 + 1024);
}

// A JSON number, or a string holding a finite decimal number (OCPP 1.6 sends values as strings).
std::optional<double> NumberOrNumericString(const boost::json::value& v);

std::string Serialize(const boost::json::value& v);

// True when any string or key inside `v` contains a NUL character.
bool ContainsNul(const boost::json::value& v);

// Validation helpers for query parameters (loc ["query", name]).
std::optional<std::int64_t> QueryInt(std::optional<std::string_view> raw, std::string_view name, std::int64_t def,
                                     std::int64_t min, std::int64_t max, FieldErrors& errors);
std::optional<double> QueryDouble(std::optional<std::string_view> raw, std::string_view name, double min, double max,
                                  FieldErrors& errors);
std::optional<bool> QueryBool(std::optional<std::string_view> raw, std::string_view name, FieldErrors& errors);

// `value` as JSON, or null when absent.
inline boost::json::value StringOrNull(const std::optional<std::string>& value) {
    return value ? boost::json::value(*value) : boost::json::value(nullptr);
}
// An ISO 8601 UTC date-time, or null when absent.
inline boost::json::value TimeOrNull(const std::optional<EpochMs>& at) {
    return at ? boost::json::value(FormatIsoDateTime(*at)) : boost::json::value(nullptr);
}

}  // namespace evni::api
