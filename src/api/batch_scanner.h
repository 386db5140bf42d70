#pragma once

// A streaming splitter for batch request bodies: {"sessions": [<session>, <session>, ...], ...}.
// Bytes are fed in chunks of any size; each element of the top-level "sessions" array is handed to
// the callback as its own JSON text (to be parsed on its own), so a body of hundreds of megabytes is
// never held or parsed as one document. Memory: one element at a time (bounded by
// max_element_bytes). Other top-level members are skipped. The scanner checks the structure it walks
// (object, strings, brackets); the text of each element is checked by whoever parses it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace evni::api {

class SessionsArrayScanner {
  public:
    // Called for each element in order; `index` counts from 0. Returning false stops the scan
    // (Feed returns false with the callback's reason left to the caller).
    using ElementFn = std::function<bool(std::string_view element, std::int64_t index)>;

    enum class Status { kOk, kStopped, kSyntax, kElementTooLarge, kNotAnObject, kSessionsNotAList, kNoSessions };

    SessionsArrayScanner(ElementFn on_element, std::size_t max_element_bytes)
        : on_element_(std::move(on_element)), max_element_bytes_(max_element_bytes) {}

    // Feeds the next bytes of the body. False once the scan failed or was stopped (see status()).
    bool Feed(std::string_view bytes);
    // Ends the body: checks the document is complete and had a "sessions" array.
    bool Finish();

    Status status() const { return status_; }
    // A human-readable reason for a failed status.
    std::string Message() const;
    std::int64_t elements() const { return count_; }
    // Bytes consumed so far (for error messages).
    std::uint64_t offset() const { return offset_; }

  private:
    enum class State {
        kStart,        // before the top-level '{'
        kKeyOrEnd,     // after '{': a key or '}'
        kKey,          // inside a top-level key string
        kColon,        // after a key
        kValue,        // before a member value
        kAfterMember,  // after a member value: ',' or '}'
        kKeyAfterComma,
        kElementOrEnd,  // after '[' of "sessions": an element or ']'
        kElement,       // inside an element (captured)
        kAfterElement,  // ',' or ']'
        kElementAfterComma,
        kSkip,  // inside another member's value (not captured)
        kDone,  // after the top-level '}'
    };

    // Advances the value machine (strings, nesting, scalars) over byte `c`; true when the value
    // ended with this byte. A scalar ends on the byte after it, which is then not part of the value:
    // `consumed` is false in that case.
    bool ValueStep(char c, bool& consumed);
    void StartValue(char c);
    bool Fail(Status s) {
        status_ = s;
        return false;
    }
    bool EmitElement();

    ElementFn on_element_;
    std::size_t max_element_bytes_;
    State state_ = State::kStart;
    Status status_ = Status::kOk;
    std::string key_;
    bool key_escape_ = false;
    bool seen_sessions_ = false;
    bool value_is_sessions_ = false;
    std::string element_;
    std::int64_t count_ = 0;
    std::uint64_t offset_ = 0;
    // Value machine.
    int depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    bool scalar_ = false;
};

}  // namespace evni::api
