#include "jobs/schedule_claim.h"

#include <algorithm>

namespace evni::jobs {

bool ClaimScheduleSlot(storage::Store& store, const std::string& name, std::chrono::milliseconds interval,
                       domain::EpochMs now) {
    const auto every = std::max<std::int64_t>(interval.count(), 1);
    const auto slot = now / every;
    const std::string kind = "schedule." + name;
    return storage::WithRetry([&] {
        auto tx = store.Begin(storage::TxMode::kWrite);
        auto& jobs = tx->Jobs();
        auto id = jobs.Enqueue(storage::NewJob{"", kind, "{}", now, std::to_string(slot)}, now);
        if (!id) return false;  // another node (or an earlier run of this one) has the slot
        // Record it finished at once: no worker ever runs "schedule.*" jobs.
        const std::string kinds[] = {kind};
        for (const auto& job : jobs.Claim(kinds, 1, now, std::chrono::minutes(1))) jobs.Complete(job, now);
        tx->Commit();
        return true;
    });
}

}  // namespace evni::jobs
