#pragma once

#include <spdlog/spdlog.h>

#include "api/events.h"
#include "api/json_util.h"
#include "util/log.h"

namespace evni::api {

// Passes events on to another sink and logs each one once its transaction committed (an info line
// "event <type> tenant=<id> <payload>"): an operator's trail of what was published, and the way the
// batch crash test sees `batch.completed` without a webhook receiver.
class LoggedEventSink final : public EventSink {
  public:
    explicit LoggedEventSink(EventSink& inner) : inner_(inner) {}
    void Emit(storage::Transaction& tx, const std::string& tenant_id, const std::string& type,
              boost::json::object data) override {
        std::string line = "event " + type + " tenant=" + tenant_id + " " + Serialize(data);
        inner_.Emit(tx, tenant_id, type, std::move(data));
        tx.AfterCommit([line = log::JsonEscape(line)] { spdlog::info("{}", line); });
    }

  private:
    EventSink& inner_;
};

}  // namespace evni::api
