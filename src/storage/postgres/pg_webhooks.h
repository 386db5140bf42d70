#pragma once

#include <memory>

#include "storage/webhooks.h"

namespace evni::storage::postgres {

class Connection;

std::unique_ptr<WebhookRepository> NewPgWebhooks(Connection& c);

}  // namespace evni::storage::postgres
