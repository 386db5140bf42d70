#pragma once

#include <chrono>
#include <string>

#include "storage/store.h"

namespace evni::jobs {

// Claims the next run of a periodic task for this node, across every node on the database. Each task
// has one lease row in the jobs table (kind "schedule.<name>", never run by a worker): a node runs the
// task only when it can claim that row, which then stays leased for one interval, so the task runs once
// per interval across the cluster and a node restarting inside the interval does not repeat it.
// Used as the Scheduler's claim (util/scheduler.h) for the daily station model, the statistics and the
// purge.
bool ClaimScheduleSlot(storage::Store& store, const std::string& name, std::chrono::milliseconds interval,
                       domain::EpochMs now);

}  // namespace evni::jobs
