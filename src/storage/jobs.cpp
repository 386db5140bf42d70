#include "storage/jobs.h"

namespace evni::storage {

std::string_view JobStateName(JobState state) {
    switch (state) {
        case JobState::kDone:
            return "done";
        case JobState::kFailed:
            return "failed";
        case JobState::kPending:
            break;
    }
    return "pending";
}

JobState ParseJobState(std::string_view name) {
    if (name == "done") return JobState::kDone;
    if (name == "failed") return JobState::kFailed;
    return JobState::kPending;
}

}  // namespace evni::storage
