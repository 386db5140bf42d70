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

}  // namespace evni::storage
