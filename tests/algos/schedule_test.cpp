// TWAP and VWAP scenarios in virtual time: the schedule, catch-up, the end
// time, the limit, randomisation.
#include <gtest/gtest.h>

#include <string>

#include "algos/volume_profile.h"
#include "tests/algos/algo_test_util.h"

namespace fixgw::algos {
namespace {

using namespace testing;

class Twap : public AlgoScenario {};

TEST_F(Twap, SendsTheFirstSliceAtTheStart) {
  run(twap("20261203-14:10:00"));  // 1000 over 10 one-minute slices
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("100"));
  EXPECT_EQ(host.sent[0].time, at(kStart));
}

TEST_F(Twap, SlicesAreEvenlySpacedAndEvenlySized) {
  run(twap("20261203-14:10:00"));
  for (int i = 1; i < 10; ++i) {
    fillAllLive();
    advanceBy(kMinute);
  }
  ASSERT_EQ(host.sent.size(), 10u);
  for (size_t i = 0; i < host.sent.size(); ++i) {
    EXPECT_EQ(sentQty(i), Qty::of("100")) << "slice " << i;
    EXPECT_EQ(host.sent[i].time, at(kStart) + static_cast<int64_t>(i) * kMinute) << "slice " << i;
  }
}

TEST_F(Twap, NothingMoreIsSentWhileTheSliceIsStillWorking) {
  run(twap("20261203-14:10:00"));
  advanceBy(30 * kSecond);
  EXPECT_EQ(host.sent.size(), 1u);
}

TEST_F(Twap, AnUnfilledSliceIsNotSentAgain) {
  run(twap("20261203-14:10:00"));
  advanceBy(kMinute);  // slice 2: due 200, live 100
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("100")) << "the resting 100 still counts";
}

TEST_F(Twap, ASliceTheVenueExpiredIsSentAgainAtOnce) {
  run(twap("20261203-14:10:00"));
  runner->onChildCanceled(host.sent[0].id);  // e.g. the venue expired it
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("100"));
}

TEST_F(Twap, ASliceThatCouldNotGoIsCaughtUpAtTheNextSlice) {
  host.refuseWith = "risk: throttled";
  run(twap("20261203-14:10:00"));
  host.refuseWith.clear();
  advanceBy(kMinute);
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("200"));
  EXPECT_NE(lastSent().order.reason.find("catch-up: 100 behind"), std::string::npos)
      << lastSent().order.reason;
}

TEST_F(Twap, CatchUpIsCappedAtMaxSlice) {
  AlgoParams p = twap("20261203-14:10:00");
  p.maxSlice = Qty::of("150");
  host.refuseWith = "risk: throttled";
  run(p);
  host.refuseWith.clear();
  advanceBy(kMinute);
  EXPECT_EQ(sentQty(0), Qty::of("150"));
}

TEST_F(Twap, EveryChildCarriesTheParentsLimit) {
  AlgoParams p = twap("20261203-14:10:00");
  p.limit = Price::of("100.05");
  run(p);
  fillAllLive();
  advanceBy(kMinute);
  ASSERT_EQ(host.sent.size(), 2u);
  for (const auto& s : host.sent) EXPECT_EQ(s.order.limit, Price::of("100.05"));
}

TEST_F(Twap, WithoutALimitChildrenAreMarketOrders) {
  run(twap("20261203-14:10:00"));
  EXPECT_FALSE(lastSent().order.limit);
}

TEST_F(Twap, EachChildSaysWhyItsSizeAndTime) {
  run(twap("20261203-14:10:00"));
  const std::string& reason = lastSent().order.reason;
  EXPECT_NE(reason.find("TWAP slice 1/10"), std::string::npos) << reason;
  EXPECT_NE(reason.find("due 100 of 1000"), std::string::npos) << reason;
}

TEST_F(Twap, WaitsForTheEffectiveTime) {
  AlgoParams p = twap("20261203-14:20:00");
  p.start = at("20261203-14:10:00");
  run(p);
  EXPECT_TRUE(host.sent.empty());
  advanceTo(at("20261203-14:09:59"));
  EXPECT_TRUE(host.sent.empty());
  advanceTo(at("20261203-14:10:00"));
  EXPECT_EQ(host.sent.size(), 1u);
}

TEST_F(Twap, AFullyFilledScheduleFinishesFilledBeforeTheEnd) {
  run(twap("20261203-14:10:00"));
  for (int i = 1; i < 10; ++i) {
    fillAllLive();
    advanceBy(kMinute);
  }
  fillAllLive();
  EXPECT_EQ(host.doneCount, 1);
  EXPECT_EQ(host.outcome, ParentOutcome::Filled);
  EXPECT_LT(host.clock, at("20261203-14:10:00"));
}

TEST_F(Twap, TheLastSliceSendsEverythingThatIsLeft) {
  run(twap("20261203-14:10:00"));
  advanceTo(at("20261203-14:09:00"));  // nothing filled; slices rested
  EXPECT_EQ(totalSent(), Qty::of("1000"));
}

TEST_F(Twap, AtTheEndLiveChildrenAreCanceledAndTheShortfallReported) {
  run(twap("20261203-14:10:00"));
  advanceTo(at("20261203-14:09:00"));
  fill(host.sent[0].id, "100");
  advanceTo(at("20261203-14:10:00"));
  EXPECT_EQ(host.cancels.size(), 9u);
  EXPECT_EQ(host.doneCount, 0) << "not done while children are live";
  confirmCancels();
  EXPECT_EQ(host.doneCount, 1);
  EXPECT_EQ(host.outcome, ParentOutcome::Expired);
  EXPECT_NE(host.outcomeReason.find("900 unfilled"), std::string::npos) << host.outcomeReason;
}

TEST_F(Twap, AShortfallWithinTheToleranceCountsAsComplete) {
  AlgoParams p = twap("20261203-14:10:00");
  p.completionTolerance = Qty::of("10");
  run(p);
  advanceTo(at("20261203-14:09:00"));
  for (const auto& c : std::vector<LiveChild>(runner->live())) fill(c.id, "99");
  advanceTo(at("20261203-14:10:00"));
  confirmCancels();
  EXPECT_EQ(host.outcome, ParentOutcome::Expired);
  EXPECT_NE(host.outcomeReason.find("within the tolerance of 10"), std::string::npos)
      << host.outcomeReason;
}

TEST_F(Twap, ChildrenAreWholeLots) {
  AlgoError e;
  ParentOrder parent = parentOf("1000");
  parent.lotSize = Qty::of("30");
  runner = AlgoRunner::create(parent, twap("20261203-14:10:00"), host, &e);
  ASSERT_TRUE(runner);
  runner->start();
  advanceTo(at("20261203-14:09:00"));
  for (const auto& s : host.sent) EXPECT_TRUE(s.order.qty.isMultipleOf(Qty::of("30")));
}

TEST_F(Twap, RandomisedSizesAreTheSameForTheSameSeed) {
  AlgoParams p = twap("20261203-14:10:00");
  p.randomizeSize = Ratio::of("0.3");
  p.randomizeTime = Ratio::of("0.5");
  p.seed = 7;
  run(p);
  advanceTo(at("20261203-14:09:59"));
  std::vector<std::pair<Qty, WallNanos>> first;
  for (const auto& s : host.sent) first.emplace_back(s.order.qty, s.time);

  FakeHost other(at(kStart));
  auto r2 = AlgoRunner::create(parentOf("1000"), p, other, nullptr);
  r2->start();
  while (other.timer && *other.timer <= at("20261203-14:09:59")) {
    other.clock = *other.timer;
    other.timer.reset();
    r2->onTimer();
  }
  ASSERT_EQ(other.sent.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(other.sent[i].order.qty, first[i].first);
    EXPECT_EQ(other.sent[i].time, first[i].second);
  }
}

TEST_F(Twap, RandomisedSizesVaryButStillAddUpToTheOrder) {
  AlgoParams p = twap("20261203-14:10:00");
  p.randomizeSize = Ratio::of("0.3");
  p.seed = 11;
  run(p);
  advanceTo(at("20261203-14:09:59"));
  EXPECT_EQ(totalSent(), Qty::of("1000"));
  bool varied = false;
  for (size_t i = 0; i < host.sent.size(); ++i) {
    varied |= sentQty(i) != Qty::of("100");
    EXPECT_LE(sentQty(i), Qty::of("160")) << "slice " << i << " beyond +/-30% of its neighbours";
  }
  EXPECT_TRUE(varied);
}

TEST_F(Twap, ARandomisedSliceTimeStaysInsideItsInterval) {
  AlgoParams p = twap("20261203-14:10:00");
  p.randomizeTime = Ratio::of("0.9");
  p.seed = 3;
  run(p);
  for (int i = 1; i < 10; ++i) {
    fillAllLive();
    advanceTo(at(kStart) + (i + 1) * kMinute - 1);
    ASSERT_EQ(host.sent.size(), static_cast<size_t>(i + 1));
    EXPECT_GE(lastSent().time, at(kStart) + i * kMinute);
  }
}

class Vwap : public AlgoScenario {
 protected:
  AlgoParams vwap(std::vector<ProfileBucket> profile) const {
    AlgoParams p = twap("20261203-14:10:00", 300);  // two five-minute slices
    p.strategy = Strategy::Vwap;
    p.volumeProfile = std::move(profile);
    return p;
  }
};

TEST_F(Vwap, SlicesFollowTheVolumeProfile) {
  // Three times the volume from 14:00 as from 14:05.
  run(vwap({{0, 0}, {14 * 60, 3}, {14 * 60 + 5, 1}, {14 * 60 + 10, 0}}));
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("750"));
  fillAllLive();
  advanceTo(at("20261203-14:05:00"));
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("250"));
  EXPECT_NE(lastSent().order.reason.find("by volume profile"), std::string::npos);
}

TEST_F(Vwap, WithoutAProfileItSpreadsByTime) {
  run(vwap({}));
  EXPECT_EQ(sentQty(0), Qty::of("500"));
  EXPECT_NE(lastSent().order.reason.find("spread by time"), std::string::npos);
}

TEST_F(Vwap, AProfileWithNoVolumeInTheWindowSpreadsByTime) {
  run(vwap({{0, 0}, {16 * 60, 5}}));
  EXPECT_EQ(sentQty(0), Qty::of("500"));
}

TEST(VolumeProfile, TheWeightOfAWindowIsWeightTimesDuration) {
  std::vector<ProfileBucket> p{{0, 1}, {600, 4}};  // 4x the rate from 10:00
  const WallNanos day = at("20261203-00:00:00");
  EXPECT_EQ(profileWeight(p, day + 9 * 60 * kMinute, day + 10 * 60 * kMinute),
            static_cast<__int128>(60) * kMinute);
  EXPECT_EQ(profileWeight(p, day + 10 * 60 * kMinute, day + 11 * 60 * kMinute),
            static_cast<__int128>(240) * kMinute);
}

TEST(VolumeProfile, TimesBeforeTheFirstBucketBelongToTheLast) {
  std::vector<ProfileBucket> p{{60, 1}, {120, 7}};
  const WallNanos day = at("20261203-00:00:00");
  EXPECT_EQ(profileWeight(p, day, day + kMinute), static_cast<__int128>(7) * kMinute);
}

TEST(VolumeProfile, AWindowOverMidnightAddsBothDaysParts) {
  std::vector<ProfileBucket> p{{0, 2}, {12 * 60, 5}};
  const WallNanos midnight = at("20261204-00:00:00");
  // 23:00-01:00: an hour of the afternoon rate, then an hour of the morning's.
  EXPECT_EQ(profileWeight(p, midnight - 60 * kMinute, midnight + 60 * kMinute),
            static_cast<__int128>(5 * 60 + 2 * 60) * kMinute);
  // Three whole days weigh three days.
  EXPECT_EQ(profileWeight(p, midnight, midnight + 3 * 1440 * kMinute),
            static_cast<__int128>(3) * (2 * 720 + 5 * 720) * kMinute);
}

TEST(VolumeProfile, TheLearnerWeighsBucketsByTheVolumeTraded) {
  VolumeProfileLearner learner(60);
  Trade t;
  t.qty = Qty::of("300");
  t.time = at("20261203-14:10:00");
  learner.add(t);
  t.qty = Qty::of("100");
  t.time = at("20261203-15:30:00");
  learner.add(t);
  auto p = learner.profile();
  ASSERT_EQ(p.size(), 24u);
  EXPECT_EQ(p[14], (ProfileBucket{14 * 60, 750'000}));
  EXPECT_EQ(p[15], (ProfileBucket{15 * 60, 250'000}));
  EXPECT_EQ(p[3].weight, 0);
}

TEST_F(Vwap, ALearnedProfileDrivesTheSlices) {
  VolumeProfileLearner learner(5);
  Trade t;
  t.qty = Qty::of("100");
  t.time = at("20261203-14:01:00");
  learner.add(t);
  t.time = at("20261203-14:06:00");
  learner.add(t);
  learner.add(t);
  learner.add(t);
  run(vwap(learner.profile()));
  EXPECT_EQ(sentQty(0), Qty::of("250"));
}

}  // namespace
}  // namespace fixgw::algos
