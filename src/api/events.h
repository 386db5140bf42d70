#pragma once

#include <boost/json.hpp>
#include <string>

#include "storage/store.h"

namespace evni::api {

// Publishes domain events (webhooks). Emit records the event in `tx`, so it is delivered only when
// the transaction commits and is never lost after it did (an outbox, not a side channel).
class EventSink {
  public:
    virtual ~EventSink() = default;
    // `type` e.g. "station.anomaly"; `data` is the event's payload object.
    virtual void Emit(storage::Transaction& tx, const std::string& tenant_id, const std::string& type,
                      boost::json::object data) = 0;
};

// Drops every event (tests and tools without webhooks).
class NullEventSink final : public EventSink {
  public:
    void Emit(storage::Transaction&, const std::string&, const std::string&, boost::json::object) override {}
};

}  // namespace evni::api
