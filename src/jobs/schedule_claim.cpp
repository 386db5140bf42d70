#include "jobs/schedule_claim.h"

#include <algorithm>

namespace evni::jobs {

bool ClaimScheduleSlot(storage::Store& store, const std::string& name, std::chrono::milliseconds interval,
                       domain::EpochMs now) {
    const auto every = std::chrono::milliseconds(std::max<std::int64_t>(interval.count(), 1));
    const std::string kind = "schedule." + name;
    const std::string kinds[] = {kind};
    return storage::WithRetry([&] {
        auto tx = store.Begin(storage::TxMode::kWrite);
        auto& jobs = tx->Jobs();
        // The task's lease row is due: take it for one interval.
        bool claimed = !jobs.Claim(kinds, 1, now, every).empty();
        // First run on this database: create the row (one node wins the dedupe key), then take it.
        if (!claimed && jobs.Enqueue(storage::NewJob{"", kind, "{}", now, name}, now)) {
            claimed = !jobs.Claim(kinds, 1, now, every).empty();
        }
        tx->Commit();
        return claimed;
    });
}

}  // namespace evni::jobs
