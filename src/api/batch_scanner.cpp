#include "api/batch_scanner.h"

#include <fmt/format.h>

namespace evni::api {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

constexpr std::size_t kMaxKeyBytes = 1024;

}  // namespace

void SessionsArrayScanner::StartValue(char c) {
    depth_ = 0;
    in_string_ = false;
    escape_ = false;
    scalar_ = false;
    if (c == '{' || c == '[') {
        depth_ = 1;
    } else if (c == '"') {
        in_string_ = true;
    } else {
        scalar_ = true;
    }
}

bool SessionsArrayScanner::ValueStep(char c, bool& consumed) {
    consumed = true;
    if (in_string_) {
        if (escape_) {
            escape_ = false;
        } else if (c == '\\') {
            escape_ = true;
        } else if (c == '"') {
            in_string_ = false;
            return depth_ == 0;
        }
        return false;
    }
    if (scalar_) {
        if (c == ',' || c == ']' || c == '}' || IsSpace(c)) {
            consumed = false;
            return true;
        }
        return false;
    }
    if (c == '"') {
        in_string_ = true;
    } else if (c == '{' || c == '[') {
        ++depth_;
    } else if (c == '}' || c == ']') {
        return --depth_ == 0;
    }
    return false;
}

bool SessionsArrayScanner::EmitElement() {
    const std::int64_t index = count_++;
    if (!on_element_(element_, index)) return Fail(Status::kStopped);
    element_.clear();
    return true;
}

bool SessionsArrayScanner::Feed(std::string_view b) {
    if (status_ != Status::kOk) return false;
    std::size_t i = 0;
    const std::size_t n = b.size();
    while (i < n) {
        const char c = b[i];
        switch (state_) {
            case State::kStart:
                if (IsSpace(c)) break;
                if (c != '{') return Fail(Status::kNotAnObject);
                state_ = State::kKeyOrEnd;
                break;
            case State::kKeyOrEnd:
            case State::kKeyAfterComma:
                if (IsSpace(c)) break;
                if (c == '}' && state_ == State::kKeyOrEnd) {
                    state_ = State::kDone;
                    break;
                }
                if (c != '"') return Fail(Status::kSyntax);
                key_.clear();
                key_escape_ = false;
                state_ = State::kKey;
                break;
            case State::kKey:
                if (key_escape_) {
                    key_escape_ = false;
                } else if (c == '\\') {
                    key_escape_ = true;
                } else if (c == '"') {
                    state_ = State::kColon;
                    break;
                }
                key_ += c;
                if (key_.size() > kMaxKeyBytes) return Fail(Status::kSyntax);
                break;
            case State::kColon:
                if (IsSpace(c)) break;
                if (c != ':') return Fail(Status::kSyntax);
                state_ = State::kValue;
                break;
            case State::kValue:
                if (IsSpace(c)) break;
                if (key_ == "sessions") {
                    if (seen_sessions_) return Fail(Status::kSyntax);
                    seen_sessions_ = true;
                    if (c != '[') return Fail(Status::kSessionsNotAList);
                    state_ = State::kElementOrEnd;
                } else {
                    StartValue(c);
                    state_ = State::kSkip;
                }
                break;
            case State::kSkip: {
                bool consumed = true;
                if (ValueStep(c, consumed)) {
                    state_ = State::kAfterMember;
                    if (!consumed) continue;  // the byte after a scalar belongs to the object
                }
                break;
            }
            case State::kAfterMember:
                if (IsSpace(c)) break;
                if (c == ',') {
                    state_ = State::kKeyAfterComma;
                } else if (c == '}') {
                    state_ = State::kDone;
                } else {
                    return Fail(Status::kSyntax);
                }
                break;
            case State::kElementOrEnd:
            case State::kElementAfterComma:
                if (IsSpace(c)) break;
                if (c == ']' && state_ == State::kElementOrEnd) {
                    state_ = State::kAfterMember;
                    break;
                }
                if (c == ',' || c == ']' || c == '}' || c == ':') return Fail(Status::kSyntax);
                element_.clear();
                StartValue(c);
                element_ += c;
                state_ = State::kElement;
                break;
            case State::kElement: {
                // Copy the element's bytes in one piece per chunk rather than byte by byte.
                const std::size_t start = i;
                bool ended = false;
                bool consumed = true;
                for (; i < n; ++i) {
                    if (ValueStep(b[i], consumed)) {
                        ended = true;
                        break;
                    }
                }
                const std::size_t end = ended ? (consumed ? i + 1 : i) : n;
                if (element_.size() + (end - start) > max_element_bytes_) return Fail(Status::kElementTooLarge);
                element_.append(b.data() + start, end - start);
                offset_ += end - start;
                i = end;
                if (ended) {
                    state_ = State::kAfterElement;
                    if (!EmitElement()) return false;
                }
                continue;
            }
            case State::kAfterElement:
                if (IsSpace(c)) break;
                if (c == ',') {
                    state_ = State::kElementAfterComma;
                } else if (c == ']') {
                    state_ = State::kAfterMember;
                } else {
                    return Fail(Status::kSyntax);
                }
                break;
            case State::kDone:
                if (!IsSpace(c)) return Fail(Status::kSyntax);
                break;
        }
        ++i;
        ++offset_;
    }
    return true;
}

bool SessionsArrayScanner::Finish() {
    if (status_ != Status::kOk) return false;
    if (state_ != State::kDone) return Fail(state_ == State::kStart ? Status::kNotAnObject : Status::kSyntax);
    if (!seen_sessions_) return Fail(Status::kNoSessions);
    return true;
}

std::string SessionsArrayScanner::Message() const {
    switch (status_) {
        case Status::kOk:
            return "ok";
        case Status::kStopped:
            return "stopped";
        case Status::kSyntax:
            return fmt::format("Invalid JSON: syntax error at or before byte {}", offset_);
        case Status::kElementTooLarge:
            return fmt::format("A session of the batch is larger than {} bytes", max_element_bytes_);
        case Status::kNotAnObject:
            return "Input should be a valid dictionary or object";
        case Status::kSessionsNotAList:
            return "Input should be a valid list";
        case Status::kNoSessions:
            return "Field required";
    }
    return "invalid";
}

}  // namespace evni::api
