#include "api/json_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace evni::api {
namespace json = boost::json;

std::optional<std::string> FieldErrors::RequiredString(const json::object& o, std::string_view key, const Loc& base,
                                                       std::size_t max_len) {
    auto f = OptionalString(o, key, base, max_len);
    if (!f.present) {
        Add(At(base, std::string(key)), "Field required", "missing");
        return std::nullopt;
    }
    if (!f.value) {
        // Present but null (an error was not yet recorded when null).
        if (o.if_contains(key) && o.at(key).is_null())
            Add(At(base, std::string(key)), "Input should be a valid string", "string_type");
        return std::nullopt;
    }
    if (f.value->empty()) {
        Add(At(base, std::string(key)), "String should have at least 1 character", "string_too_short");
        return std::nullopt;
    }
    return f.value;
}

Field<std::string> FieldErrors::OptionalString(const json::object& o, std::string_view key, const Loc& base,
                                               std::size_t max_len) {
    Field<std::string> f;
    auto* v = o.if_contains(key);
    if (!v) return f;
    f.present = true;
    if (v->is_null()) return f;
    if (!v->is_string()) {
        Add(At(base, std::string(key)), "Input should be a valid string", "string_type");
        return f;
    }
    const auto& s = v->get_string();
    // Databases store text without NUL characters (PostgreSQL refuses them): refuse them up front.
    if (std::find(s.begin(), s.end(), '\0') != s.end()) {
        Add(At(base, std::string(key)), "String should not contain NUL characters", "string_pattern_mismatch");
        return f;
    }
    if (s.size() > max_len) {
        Add(At(base, std::string(key)), fmt::format("String should have at most {} characters", max_len),
            "string_too_long");
        return f;
    }
    f.value = std::string(s);
    return f;
}

Field<bool> FieldErrors::OptionalBool(const json::object& o, std::string_view key, const Loc& base) {
    Field<bool> f;
    auto* v = o.if_contains(key);
    if (!v) return f;
    f.present = true;
    if (v->is_null()) return f;
    if (!v->is_bool()) {
        Add(At(base, std::string(key)), "Input should be a valid boolean", "bool_type");
        return f;
    }
    f.value = v->get_bool();
    return f;
}

Field<std::int64_t> FieldErrors::OptionalInt(const json::object& o, std::string_view key, const Loc& base,
                                             std::int64_t min, std::int64_t max) {
    Field<std::int64_t> f;
    auto* v = o.if_contains(key);
    if (!v) return f;
    f.present = true;
    if (v->is_null()) return f;
    std::optional<std::int64_t> n;
    if (v->is_int64()) n = v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        n = static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double() && std::floor(v->get_double()) == v->get_double() && std::abs(v->get_double()) < 9e15) {
        n = static_cast<std::int64_t>(v->get_double());
    }
    if (!n) {
        Add(At(base, std::string(key)), "Input should be a valid integer", "int_type");
        return f;
    }
    if (*n < min) {
        Add(At(base, std::string(key)), fmt::format("Input should be greater than or equal to {}", min),
            "greater_than_equal");
        return f;
    }
    if (*n > max) {
        Add(At(base, std::string(key)), fmt::format("Input should be less than or equal to {}", max),
            "less_than_equal");
        return f;
    }
    f.value = n;
    return f;
}

Result<json::object> ParseObjectBody(std::string_view body, json::monotonic_resource& arena) {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    json::value v = json::parse(body, ec, json::storage_ptr(&arena), opts);
    if (ec) {
        return Fail(Error::Validation({{{std::string("body")}, "Invalid JSON: " + ec.message(), "json_invalid"}}));
    }
    if (!v.is_object()) {
        return Fail(Error::Validation(
            {{{std::string("body")}, "Input should be a valid dictionary or object", "model_attributes_type"}}));
    }
    return std::move(v.get_object());
}

std::optional<double> NumberOrNumericString(const json::value& v) {
    double d;
    if (v.is_double()) {
        d = v.get_double();
    } else if (v.is_int64()) {
        d = static_cast<double>(v.get_int64());
    } else if (v.is_uint64()) {
        d = static_cast<double>(v.get_uint64());
    } else if (v.is_string()) {
        const auto& s = v.get_string();
        std::string_view sv(s.data(), s.size());
        while (!sv.empty() && sv.front() == ' ') sv.remove_prefix(1);
        while (!sv.empty() && sv.back() == ' ') sv.remove_suffix(1);
        if (!sv.empty() && sv.front() == '+') sv.remove_prefix(1);
        if (sv.empty()) return std::nullopt;
        auto [ptr, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), d);
        if (ec != std::errc() || ptr != sv.data() + sv.size()) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!std::isfinite(d)) return std::nullopt;
    return d;
}

namespace {

// Boost.JSON 1.81 prints doubles as "7.36E3"; clients expect the shortest plain form ("7360",
// "0.95"), which std::to_chars gives while still round-tripping exactly.
void Write(const json::value& v, std::string& out) {
    switch (v.kind()) {
        case json::kind::null:
            out += "null";
            break;
        case json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            break;
        case json::kind::int64:
            out += std::to_string(v.get_int64());
            break;
        case json::kind::uint64:
            out += std::to_string(v.get_uint64());
            break;
        case json::kind::double_: {
            double d = v.get_double();
            if (!std::isfinite(d)) {
                out += "null";
                break;
            }
            char buf[32];
            auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
            (void)ec;
            out.append(buf, ptr);
            break;
        }
        case json::kind::string:
            out += json::serialize(v.get_string());
            break;
        case json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& e : v.get_array()) {
                if (!first) out += ',';
                first = false;
                Write(e, out);
            }
            out += ']';
            break;
        }
        case json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) out += ',';
                first = false;
                out += json::serialize(kv.key());
                out += ':';
                Write(kv.value(), out);
            }
            out += '}';
            break;
        }
    }
}

}  // namespace

bool ContainsNul(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string: {
            const auto& s = v.get_string();
            return std::find(s.begin(), s.end(), '\0') != s.end();
        }
        case json::kind::array:
            return std::any_of(v.get_array().begin(), v.get_array().end(),
                               [](const json::value& e) { return ContainsNul(e); });
        case json::kind::object:
            for (const auto& kv : v.get_object()) {
                if (kv.key().find('\0') != std::string_view::npos || ContainsNul(kv.value())) return true;
            }
            return false;
        default:
            return false;
    }
}

std::string Serialize(const json::value& v) {
    std::string out;
    out.reserve(256);
    Write(v, out);
    return out;
}

std::optional<std::int64_t> QueryInt(std::optional<std::string_view> raw, std::string_view name, std::int64_t def,
                                     std::int64_t min, std::int64_t max, FieldErrors& errors) {
    if (!raw) return def;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
    Loc loc{std::string("query"), std::string(name)};
    if (raw->empty() || ec != std::errc() || ptr != raw->data() + raw->size()) {
        errors.Add(loc, "Input should be a valid integer, unable to parse string as an integer", "int_parsing");
        return std::nullopt;
    }
    if (v < min) {
        errors.Add(loc, fmt::format("Input should be greater than or equal to {}", min), "greater_than_equal");
        return std::nullopt;
    }
    if (v > max) {
        errors.Add(loc, fmt::format("Input should be less than or equal to {}", max), "less_than_equal");
        return std::nullopt;
    }
    return v;
}

std::optional<double> QueryDouble(std::optional<std::string_view> raw, std::string_view name, double min, double max,
                                  FieldErrors& errors) {
    if (!raw) return std::nullopt;
    double v = 0;
    auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
    Loc loc{std::string("query"), std::string(name)};
    if (raw->empty() || ec != std::errc() || ptr != raw->data() + raw->size() || !std::isfinite(v)) {
        errors.Add(loc, "Input should be a valid number, unable to parse string as a number", "float_parsing");
        return std::nullopt;
    }
    if (v < min) {
        errors.Add(loc, fmt::format("Input should be greater than or equal to {}", min), "greater_than_equal");
        return std::nullopt;
    }
    if (v > max) {
        errors.Add(loc, fmt::format("Input should be less than or equal to {}", max), "less_than_equal");
        return std::nullopt;
    }
    return v;
}

std::optional<bool> QueryBool(std::optional<std::string_view> raw, std::string_view name, FieldErrors& errors) {
    if (!raw) return std::nullopt;
    std::string s(*raw);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return false;
    errors.Add({std::string("query"), std::string(name)}, "Input should be a valid boolean, unable to interpret input",
               "bool_parsing");
    return std::nullopt;
}

}  // namespace evni::api
