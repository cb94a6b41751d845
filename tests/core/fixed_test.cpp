#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/executor.h"
#include "core/fixed.h"

using namespace fixgw;

TEST(Fixed, ParsesFixStringsExactly) {
  EXPECT_EQ(Price::parse("100.25")->mantissa(), 10'025'000'000);
  EXPECT_EQ(Qty::parse("0.00000001")->mantissa(), 1);
  EXPECT_EQ(Qty::parse("7")->mantissa(), 700'000'000);
  EXPECT_EQ(Price::parse("-0.5")->mantissa(), -50'000'000);
  EXPECT_EQ(Price::parse(".5")->mantissa(), 50'000'000);
  EXPECT_EQ(Price::parse("5.")->mantissa(), 500'000'000);
  EXPECT_EQ(Price::parse("60000.00")->mantissa(), 6'000'000'000'000);
  EXPECT_EQ(Price::parse("1.000000000")->mantissa(), kOne);  // trailing zeros beyond scale
}

TEST(Fixed, RejectsWhatItCannotRepresentExactly) {
  EXPECT_FALSE(Qty::parse(""));
  EXPECT_FALSE(Qty::parse("-"));
  EXPECT_FALSE(Qty::parse("."));
  EXPECT_FALSE(Qty::parse("0.000000001"));  // 9 decimals
  EXPECT_FALSE(Qty::parse("1e5"));
  EXPECT_FALSE(Qty::parse("12a"));
  EXPECT_FALSE(Qty::parse(" 1"));
  EXPECT_FALSE(Qty::parse("1.2.3"));
  EXPECT_FALSE(Qty::parse("99999999999999999999"));  // overflows int64 at scale 8
  EXPECT_FALSE(Qty::parse("92233720368.54775808"));  // one past int64 max
  EXPECT_TRUE(Qty::parse("92233720368.54775807"));
}

TEST(Fixed, FormatsShortestExactDecimal) {
  EXPECT_EQ(Price::of("100.25").str(), "100.25");
  EXPECT_EQ(Price::of("100.2500").str(), "100.25");
  EXPECT_EQ(Qty::of("0.00000001").str(), "0.00000001");
  EXPECT_EQ(Qty::of("7").str(), "7");
  EXPECT_EQ(Price::of("-0.5").str(), "-0.5");
  EXPECT_EQ(Price{}.str(), "0");
}

TEST(Fixed, RoundTripsEveryScale) {
  for (const char* s : {"1", "0.1", "0.01", "0.001", "0.0001", "0.00001", "0.000001",
                        "0.0000001", "0.00000001", "123456.78901234", "-42.4200001"}) {
    EXPECT_EQ(Price::of(s).str(), s);
  }
}

TEST(Fixed, NotionalUses128BitsAndIsExact) {
  EXPECT_EQ(notional(Price::of("60000.00"), Qty::of("0.00000001")).str(), "0.0006");
  EXPECT_EQ(notional(Price::of("100.25"), Qty::of("1000000")).str(), "100250000");
  // 9e10 * 9e10 would overflow int64 mantissas; it saturates instead of wrapping.
  EXPECT_GT(notional(Price::of("90000000000"), Qty::of("90000000000")).mantissa(), 0);
}

TEST(Fixed, AveragePriceIsVolumeWeighted) {
  __int128 raw = rawProduct(Price::of("100.01"), Qty::of("100")) +
                 rawProduct(Price::of("100.02"), Qty::of("50"));
  // (10001 + 5001) / 150 = 100.01333333...
  EXPECT_EQ(averageFromRaw(raw, Qty::of("150")).str(), "100.01333333");
  EXPECT_EQ(averageFromRaw(0, Qty{}).str(), "0");
}

TEST(Fixed, MultipleOfStep) {
  EXPECT_TRUE(Price::of("100.25").isMultipleOf(Price::of("0.01")));
  EXPECT_FALSE(Price::of("100.255").isMultipleOf(Price::of("0.01")));
  EXPECT_TRUE(Qty::of("0.5").isMultipleOf(Qty::of("0.00000001")));
  EXPECT_FALSE(Qty::of("1.5").isMultipleOf(Qty::of("1")));
}

TEST(Fixed, PercentBands) {
  EXPECT_EQ(applyPercent(Price::of("100"), Price::of("10").mantissa(), true).str(), "110");
  EXPECT_EQ(applyPercent(Price::of("100"), Price::of("10").mantissa(), false).str(), "90");
  EXPECT_EQ(applyPercent(Price::of("60000"), Price::of("0.5").mantissa(), true).str(), "60300");
}

TEST(Clock, FixTimestampFormat) {
  // 2023-11-14T22:13:20.123Z
  WallNanos t = 1'700'000'000'123'456'789LL;
  EXPECT_EQ(formatFixTimestamp(t), "20231114-22:13:20.123");
  EXPECT_EQ(formatIsoTimestamp(t), "2023-11-14T22:13:20.123456Z");
}

TEST(EventLoop, ManualClockFiresTimersInOrderOnlyWhenDue) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<int> order;
  loop.postAfter(2'000, [&] { order.push_back(2); });
  loop.postAfter(1'000, [&] { order.push_back(1); });
  loop.post([&] { order.push_back(0); });
  EXPECT_EQ(loop.runDue(), 1u);
  clock.advance(1'000);
  loop.runDue();
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  clock.advance(1'000);
  loop.runDue();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(EventLoop, ThreadedLoopRunsPostedTasksInOrder) {
  EventLoop loop;
  loop.start("t");
  std::vector<int> seen;
  for (int i = 0; i < 1000; ++i) loop.post([&seen, i] { seen.push_back(i); });
  loop.sync([] {});
  loop.stop();
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], i);
}
