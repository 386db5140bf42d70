#pragma once

#include <chrono>
#include <string>

#include "storage/store.h"

namespace evni::jobs {

// Claims one interval slot of a periodic task for this node, across every node on the database:
// the slot is floor(now / interval), recorded as a finished job of kind "schedule.<name>" with the slot
// as its dedupe key in one transaction. Only the first node to record a slot runs the task in it; the
// others skip it (true: run now). Finished records are deleted by the queue's purge after an hour.
// Used as the Scheduler's claim (util/scheduler.h), so singleton tasks such as the daily station
// model and the statistics run once per interval across the cluster.
bool ClaimScheduleSlot(storage::Store& store, const std::string& name, std::chrono::milliseconds interval,
                       domain::EpochMs now);

}  // namespace evni::jobs
