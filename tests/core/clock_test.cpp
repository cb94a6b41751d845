// FIX timestamps and dates parse exactly or not at all.
#include "core/clock.h"

#include <gtest/gtest.h>

using namespace fixgw;

TEST(FixTime, TimestampsParseToTheNanosecondAndRoundTrip) {
  auto t = parseFixTimestamp("20261203-14:05:06.789");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatFixTimestamp(*t), "20261203-14:05:06.789");
  EXPECT_EQ(*parseFixTimestamp("19700101-00:00:01"), 1'000'000'000LL);
  EXPECT_EQ(*parseFixTimestamp("19700101-00:00:00.000000001"), 1);
  EXPECT_EQ(*parseFixTimestamp("19700101-00:00:00.5"), 500'000'000LL);
  EXPECT_EQ(*parseFixDate("19700102"), 86'400LL * 1'000'000'000LL);
  EXPECT_EQ(*parseFixDate("20240229") + 86'400LL * 1'000'000'000LL, *parseFixDate("20240301"));
}

TEST(FixTime, MalformedOrImpossibleValuesAreRefused) {
  for (const char* bad :
       {"", "20261203", "20261203-14:05", "20261203 14:05:06", "20261303-14:05:06",
        "20261203-24:00:00", "20261203-14:60:00", "20261203-14:05:06.",
        "20261203-14:05:06.1234567890", "2026120X-14:05:06", "20230229-00:00:00"})
    EXPECT_FALSE(parseFixTimestamp(bad)) << bad;
  for (const char* bad : {"2026123", "202612031", "20260230", "20261200", "19691231", "abcdefgh"})
    EXPECT_FALSE(parseFixDate(bad)) << bad;
}
