#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <variant>
#include <vector>

namespace evni {

// Expected failures. One table (HttpStatusOf) maps each code to an HTTP status.
enum class ErrorCode {
    kValidation,        // 422: field-level errors in `fields`
    kBadRequest,        // 400
    kUnauthorized,      // 401
    kForbidden,         // 403
    kNotFound,          // 404
    kMethodNotAllowed,  // 405
    kConflict,          // 409
    kGone,              // 410
    kPayloadTooLarge,   // 413
    kUnprocessable,     // 422 without field errors
    kTooManyRequests,   // 429
    kUnavailable,       // 503
    kInternal,          // 500
};

using LocPart = std::variant<std::string, std::int64_t>;

// One validation failure, in the reference framework's shape {loc, msg, type}.
struct FieldError {
    std::vector<LocPart> loc;
    std::string msg;
    std::string type;
};

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string detail;
    std::vector<FieldError> fields;

    static Error NotFound(std::string detail) { return {ErrorCode::kNotFound, std::move(detail), {}}; }
    static Error Conflict(std::string detail) { return {ErrorCode::kConflict, std::move(detail), {}}; }
    static Error Unauthorized(std::string detail) { return {ErrorCode::kUnauthorized, std::move(detail), {}}; }
    static Error Forbidden(std::string detail) { return {ErrorCode::kForbidden, std::move(detail), {}}; }
    static Error Unavailable(std::string detail) { return {ErrorCode::kUnavailable, std::move(detail), {}}; }
    static Error Internal(std::string detail) { return {ErrorCode::kInternal, std::move(detail), {}}; }
    static Error Validation(std::vector<FieldError> fields) {
        return {ErrorCode::kValidation, "Validation error", std::move(fields)};
    }
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

int HttpStatusOf(ErrorCode code);
std::string_view CodeName(ErrorCode code);

}  // namespace evni
