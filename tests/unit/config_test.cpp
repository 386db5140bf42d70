#include "config/config.h"

#include <gtest/gtest.h>

namespace evni::config {

TEST(ParseDbUrl, SqliteAndPostgres) {
    auto a = ParseDbUrl("sqlite:///var/lib/evni/evni.db");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, DbKind::kSqlite);
    EXPECT_EQ(a->target, "/var/lib/evni/evni.db");
    auto b = ParseDbUrl("sqlite://./data/evni.db");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->target, "./data/evni.db");
    auto c = ParseDbUrl("postgresql://u:p@127.0.0.1:5432/evni");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, DbKind::kPostgres);
    EXPECT_FALSE(ParseDbUrl("mysql://x"));
    EXPECT_FALSE(ParseDbUrl("sqlite://"));
}

TEST(ParseListen, HostAndPort) {
    auto a = ParseListen("127.0.0.1:8080");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, 8080);
    auto b = ParseListen("[::1]:0");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "::1");
    EXPECT_FALSE(ParseListen("8080"));
    EXPECT_FALSE(ParseListen("host:99999"));
    EXPECT_FALSE(ParseListen("host:"));
}

}  // namespace evni::config
