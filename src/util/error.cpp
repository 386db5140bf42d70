#include "util/error.h"

namespace evni {

int HttpStatusOf(ErrorCode code) {
    switch (code) {
        case ErrorCode::kValidation:
            return 422;
        case ErrorCode::kBadRequest:
            return 400;
        case ErrorCode::kUnauthorized:
            return 401;
        case ErrorCode::kForbidden:
            return 403;
        case ErrorCode::kNotFound:
            return 404;
        case ErrorCode::kMethodNotAllowed:
            return 405;
        case ErrorCode::kConflict:
            return 409;
        case ErrorCode::kGone:
            return 410;
        case ErrorCode::kPayloadTooLarge:
            return 413;
        case ErrorCode::kUnprocessable:
            return 422;
        case ErrorCode::kTooManyRequests:
            return 429;
        case ErrorCode::kUnavailable:
            return 503;
        case ErrorCode::kInternal:
            return 500;
    }
    return 500;
}

std::string_view CodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::kValidation:
            return "validation_error";
        case ErrorCode::kBadRequest:
            return "bad_request";
        case ErrorCode::kUnauthorized:
            return "unauthorized";
        case ErrorCode::kForbidden:
            return "forbidden";
        case ErrorCode::kNotFound:
            return "not_found";
        case ErrorCode::kMethodNotAllowed:
            return "method_not_allowed";
        case ErrorCode::kConflict:
            return "conflict";
        case ErrorCode::kGone:
            return "gone";
        case ErrorCode::kPayloadTooLarge:
            return "payload_too_large";
        case ErrorCode::kUnprocessable:
            return "unprocessable";
        case ErrorCode::kTooManyRequests:
            return "too_many_requests";
        case ErrorCode::kUnavailable:
            return "unavailable";
        case ErrorCode::kInternal:
            return "internal_error";
    }
    return "internal_error";
}

}  // namespace evni
