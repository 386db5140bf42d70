#include "util/ordered_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace evni {
namespace {

TEST(OrderedPool, HandsResultsBackInSubmissionOrder) {
    std::vector<int> seen;
    {
        OrderedPool<int> pool(3, 8, [&](int&& v) { seen.push_back(v); });
        for (int i = 0; i < 200; ++i) {
            pool.Submit([i] {
                // Later items finish first now and then: the order must not depend on it.
                if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
                return i * 2;
            });
        }
        pool.Drain();
    }
    ASSERT_EQ(seen.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i * 2);
}

TEST(OrderedPool, KeepsAtMostTheWindowInFlight) {
    std::size_t consumed = 0;
    OrderedPool<int> pool(2, 4, [&](int&&) { ++consumed; });
    for (int i = 0; i < 10; ++i) {
        pool.Submit([i] { return i; });
        EXPECT_GE(consumed + 4, static_cast<std::size_t>(i + 1));
    }
    pool.Drain();
    EXPECT_EQ(consumed, 10u);
}

TEST(OrderedPool, RethrowsWhatTheWorkThrewOnTheCallersThread) {
    std::vector<int> seen;
    OrderedPool<int> pool(2, 16, [&](int&& v) { seen.push_back(v); });
    pool.Submit([] { return 1; });
    pool.Submit([]() -> int { throw std::runtime_error("bad item"); });
    pool.Submit([] { return 3; });
    EXPECT_THROW(pool.Drain(), std::runtime_error);
    EXPECT_EQ(seen, std::vector<int>{1});
}

}  // namespace
}  // namespace evni
