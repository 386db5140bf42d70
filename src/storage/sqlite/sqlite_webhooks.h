#pragma once

#include <memory>

#include "storage/webhooks.h"

namespace evni::storage::sqlite {

class Connection;

std::unique_ptr<WebhookRepository> NewSqliteWebhooks(Connection& c);

}  // namespace evni::storage::sqlite
