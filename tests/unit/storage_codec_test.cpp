#include <gtest/gtest.h>

#include <random>

#include "storage/meter_codec.h"

namespace evni::storage {

TEST(MeterCodec, RoundTripsLosslessly) {
    domain::MeterValues in;
    in.push_back({1772186400000LL, 0.0, "Energy.Active.Import.Register", "kWh", std::nullopt, "Outlet", false});
    in.push_back({1772186400000LL, 22.5, "Power.Active.Import", "kW", "L1-N", std::nullopt, true});
    in.push_back({1772186300000LL, 1e10, std::nullopt, std::nullopt, std::nullopt, std::nullopt, false});
    in.push_back({1772187300000LL, 0.1 + 0.2, "SoC", "Percent", std::nullopt, "EV", false});
    auto bytes = EncodeMeterChunk(in);
    domain::MeterValues out;
    ASSERT_TRUE(DecodeMeterChunk(bytes, out));
    EXPECT_EQ(in, out);
    EXPECT_LT(bytes.size(), 200u);  // the dictionary dominates a tiny chunk
}

TEST(MeterCodec, IsCompact) {
    domain::MeterValues in;
    for (int i = 0; i < 360; ++i) {
        in.push_back({1772186400000LL + (i / 3) * 60'000LL, i * 0.1,
                      i % 3 == 0 ? "Energy.Active.Import.Register" : (i % 3 == 1 ? "Power.Active.Import" : "SoC"),
                      i % 3 == 0 ? "kWh" : (i % 3 == 1 ? "kW" : "Percent"), std::nullopt, std::nullopt, false});
    }
    auto bytes = EncodeMeterChunk(in);
    EXPECT_LT(bytes.size(), 360u * 16);
}

TEST(MeterCodec, RejectsCorruptBytesWithoutCrashing) {
    domain::MeterValues in{{1000, 1.5, "SoC", "Percent", std::nullopt, std::nullopt, false}};
    auto bytes = EncodeMeterChunk(in);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        domain::MeterValues out;
        EXPECT_FALSE(DecodeMeterChunk(std::span(bytes.data(), cut), out)) << cut;
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::vector<std::uint8_t> junk(rng() % 64);
        for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
        domain::MeterValues out;
        (void)DecodeMeterChunk(junk, out);  // must not crash or trip a sanitizer
    }
}

}  // namespace evni::storage
