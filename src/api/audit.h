#pragma once

#include <optional>
#include <string>

#include "domain/session.h"
#include "storage/store.h"
#include "util/time.h"

namespace evni::api {

// Records a security-relevant change in the same transaction as the change itself.
inline void RecordAudit(storage::Transaction& tx, const domain::Principal& who, EpochMs at, std::string action,
                        std::string target_type, std::string target_id,
                        std::optional<std::string> details_json = std::nullopt) {
    tx.Audit().Append({0, who.tenant_id, at, who.actor, std::move(action), std::move(target_type), std::move(target_id),
                       std::move(details_json)});
}

}  // namespace evni::api
