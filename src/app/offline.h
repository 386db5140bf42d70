#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace evni::app {

// `evni analyze FILE`: sessions in the request shape of POST /v1/sessions (one JSON object, a JSON
// array, or JSON lines; "-" reads standard input), one verdict per session as JSON lines on `out`.
// Sessions of the file on the same station and connector are checked for SESSION_OVERLAP with each
// other. Returns the process exit code (1 when any session failed to decode).
int AnalyzeFile(const std::string& path, std::ostream& out, std::ostream& err);

struct GenerateOptions {
    std::uint64_t seed = 1;
    int sessions = 10;
    std::vector<std::string> faults;  // categories to inject, cycled; empty: clean sessions
    double severity = 0.5;            // 0 subtle .. 1 blatant
    bool hard_negatives = false;      // cycle through the hard-negative kinds instead
    std::string data_dir;             // real session tables (../shared/data); empty: EVNI_DATA_DIR or built-in
};

// `evni generate`: labelled sessions as JSON lines in the request shape of POST /v1/sessions, with
// the ground truth in an extra "labels" field (ignored by the API).
int Generate(const GenerateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace evni::app
