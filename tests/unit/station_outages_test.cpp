#include "api/station_outages.h"

#include <gtest/gtest.h>

#include "util/time.h"

namespace evni::api {
namespace {

constexpr domain::EpochMs kDay = 86'400'000;

domain::EpochMs At(const char* iso) { return *ParseIsoDateTime(iso); }

TEST(StationOutages, WholeDayOutageTakesEveryPort) {
    const auto day = At("2026-03-02T00:00:00Z");
    const std::string details =
        R"({"findings":[{"anomaly_type":"outage","affected_period":"2026-03-02","score":0.9}]})";
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(details, day, 3, day - kDay, day + 2 * kDay), 3 * 1440.0);
}

TEST(StationOutages, PartialOutageIsClippedToThePeriod) {
    const auto day = At("2026-03-02T00:00:00Z");
    const std::string details = R"({"findings":[{"anomaly_type":"outage",)"
                                R"("affected_period":"2026-03-02T10:00:00Z/2026-03-02T14:00:00Z"}]})";
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(details, day, 2, day, day + kDay), 2 * 240.0);
    // The period ends at noon: two hours of the outage fall in it.
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(details, day, 2, day, At("2026-03-02T12:00:00Z")), 2 * 120.0);
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(details, day, 2, day + kDay, day + 2 * kDay), 0.0);
}

TEST(StationOutages, ConnectorDownTakesOnePortAndOtherTypesNone) {
    const auto day = At("2026-03-02T00:00:00Z");
    const std::string details =
        R"({"findings":[{"anomaly_type":"connector_down","affected_period":"2026-03-02","connector_id":"2"},)"
        R"({"anomaly_type":"energy_drop","affected_period":"2026-03-02"},)"
        R"({"anomaly_type":"energy_surge","affected_period":"2026-03-02"}]})";
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(details, day, 4, day, day + kDay), 1440.0);
}

TEST(StationOutages, MalformedDetailsCountNothing) {
    const auto day = At("2026-03-02T00:00:00Z");
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay("not json", day, 2, day, day + kDay), 0.0);
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(R"({"findings":{}})", day, 2, day, day + kDay), 0.0);
    EXPECT_DOUBLE_EQ(OutagePortMinutesOfDay(R"({"findings":[{"anomaly_type":"outage","affected_period":"x/y"}]})", day,
                                            2, day, day + kDay),
                     0.0);
    // A station without connectors still has one port.
    EXPECT_DOUBLE_EQ(
        OutagePortMinutesOfDay(R"({"findings":[{"anomaly_type":"outage","affected_period":"2026-03-02"}]})", day, 0,
                               day, day + kDay),
        1440.0);
}

}  // namespace
}  // namespace evni::api
