#include <gtest/gtest.h>

#include "util/time.h"

namespace evni {

TEST(ParseIsoDateTime, AcceptsUtcOffsetsAndFractions) {
    EXPECT_EQ(ParseIsoDateTime("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(ParseIsoDateTime("2026-02-27T10:00:00Z"), 1772186400000LL);
    EXPECT_EQ(ParseIsoDateTime("2026-02-27T10:00:00.250Z"), 1772186400250LL);
    EXPECT_EQ(ParseIsoDateTime("2026-02-27T11:00:00+01:00"), 1772186400000LL);
    EXPECT_EQ(ParseIsoDateTime("2026-02-27T09:30:00-0030"), 1772186400000LL);
    EXPECT_EQ(ParseIsoDateTime("2026-02-27T10:00:00"), 1772186400000LL);  // no offset: UTC (OCPP)
    EXPECT_EQ(ParseIsoDateTime("2026-02-27T10:00:00.123456789Z"), 1772186400123LL);
}

TEST(ParseIsoDateTime, RejectsGarbage) {
    for (const char* bad :
         {"", "yesterday", "2026-13-45T99:00:00Z", "2026-02-30T10:00:00Z", "2026-02-27", "2026-02-27T10:00Z",
          "2026-02-27T24:00:00Z", "2026-02-27T10:00:00ZZ", "2026-02-27T10:00:00+25:00", "1969-12-31T23:59:59Z",
          "2026-02-27T10:00:00.Z", "2026-02-27T10:00:60Z"}) {
        EXPECT_FALSE(ParseIsoDateTime(bad).has_value()) << bad;
    }
}

TEST(ParseDateBound, PlainDatesCoverTheWholeDay) {
    EXPECT_EQ(ParseDateBound("2026-02-27", false), 1772150400000LL);
    EXPECT_EQ(ParseDateBound("2026-02-27", true), 1772150400000LL + 86'400'000LL - 1);
    EXPECT_EQ(ParseDateBound("2026-02-27T10:00:00Z", true), 1772186400000LL);
    EXPECT_FALSE(ParseDateBound("2026-02-xx", false).has_value());
}

TEST(FormatIsoDateTime, RoundTrips) {
    EXPECT_EQ(FormatIsoDateTime(1772186400000LL), "2026-02-27T10:00:00Z");
    EXPECT_EQ(FormatIsoDateTime(1772186400250LL), "2026-02-27T10:00:00.250Z");
    EXPECT_EQ(FormatIsoDateTime(0), "1970-01-01T00:00:00Z");
    for (EpochMs t : {0LL, 1LL, 999LL, 1772186400001LL, 253402300799999LL}) {
        EXPECT_EQ(ParseIsoDateTime(FormatIsoDateTime(t)), t);
    }
}

}  // namespace evni
