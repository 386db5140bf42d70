#include "storage/batches.h"

namespace evni::storage {

std::string_view BatchItemStateName(BatchItemState state) {
    switch (state) {
        case BatchItemState::kDone:
            return "done";
        case BatchItemState::kFailed:
            return "failed";
        case BatchItemState::kPending:
            break;
    }
    return "pending";
}

}  // namespace evni::storage
