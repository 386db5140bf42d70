#pragma once

#include <string_view>
#include <vector>

namespace evni::storage {

// One numbered schema migration, embedded in the binary from migrations/<dialect>/NNNN_name.sql.
struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

const std::vector<Migration>& sqlite_migrations();
const std::vector<Migration>& postgres_migrations();

}  // namespace evni::storage
