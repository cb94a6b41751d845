// Algo parameters from FIX: conversion and validation, each bad value
// rejected with the tag it came in.
#include <gtest/gtest.h>

#include <string>

#include "algos/algo.h"
#include "tests/algos/algo_test_util.h"

namespace fixgw::algos {
namespace {

using testing::at;

constexpr WallNanos kNow = 1'796'306'400'000'000'000LL;  // 2026-12-03 14:00:00 UTC

AlgoFixFields twapFields() {
  AlgoFixFields f;
  f.targetStrategy = "TWAP";
  f.effectiveTime = "20261203-14:00:00";
  f.expireTime = "20261203-15:00:00";
  return f;
}

AlgoError errorOf(const AlgoFixFields& f, const char* qty = "1000") {
  auto r = parseAlgoParams(f, Qty::of(qty), kNow);
  EXPECT_FALSE(r.params) << "expected a rejection";
  return r.error;
}

bool mentions(const AlgoError& e, const char* s) { return e.text.find(s) != std::string::npos; }

TEST(AlgoParamsFromFix, AGoodTwapOrderParses) {
  AlgoFixFields f = twapFields();
  f.price = "100.05";
  f.minQty = "50";
  f.noStrategyParameters = 3;
  f.strategyParameters = {
      {"SliceInterval", "1", "300"}, {"RandomizeSize", "11", "0.2"}, {"Venues", "14", "SIM,IBKR"}};
  auto r = parseAlgoParams(f, Qty::of("1000"), kNow);
  ASSERT_TRUE(r.params) << r.error.tag << " " << r.error.text;
  EXPECT_EQ(r.params->strategy, Strategy::Twap);
  EXPECT_EQ(r.params->start, kNow);
  EXPECT_EQ(r.params->end, kNow + 3600 * testing::kSecond);
  EXPECT_EQ(r.params->limit, Price::of("100.05"));
  EXPECT_EQ(r.params->minQty, Qty::of("50"));
  EXPECT_EQ(r.params->sliceIntervalNanos, 300 * testing::kSecond);
  EXPECT_EQ(r.params->randomizeSize, Ratio::of("0.2"));
  ASSERT_EQ(r.params->venues.size(), 2u);
  EXPECT_EQ(r.params->venues[1], VenueId("IBKR"));
}

TEST(AlgoParamsFromFix, AMissingEffectiveTimeMeansNow) {
  AlgoFixFields f = twapFields();
  f.effectiveTime.reset();
  auto r = parseAlgoParams(f, Qty::of("1000"), kNow);
  ASSERT_TRUE(r.params);
  EXPECT_EQ(r.params->start, kNow);
}

TEST(AlgoParamsFromFix, EndBeforeStartIsRejectedNaming126) {
  AlgoFixFields f = twapFields();
  f.expireTime = "20261203-13:00:00";
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 126);
  EXPECT_TRUE(mentions(e, "ExpireTime (126)")) << e.text;
  EXPECT_TRUE(mentions(e, "EffectiveTime (168)")) << e.text;
}

TEST(AlgoParamsFromFix, ATwapWithoutAnEndIsRejectedNaming126) {
  AlgoFixFields f = twapFields();
  f.expireTime.reset();
  EXPECT_EQ(errorOf(f).tag, 126);
}

TEST(AlgoParamsFromFix, AnUnreadableEffectiveTimeIsRejectedNaming168) {
  AlgoFixFields f = twapFields();
  f.effectiveTime = "2026-12-03 14:00";
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 168);
  EXPECT_TRUE(mentions(e, "'2026-12-03 14:00'")) << e.text;
}

TEST(AlgoParamsFromFix, ARateOver100PercentIsRejectedNaming849) {
  AlgoFixFields f;
  f.targetStrategy = "POV";
  f.participationRate = "1.5";
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 849);
  EXPECT_TRUE(mentions(e, "1.5")) << e.text;
}

TEST(AlgoParamsFromFix, AZeroRateIsRejectedNaming849) {
  AlgoFixFields f;
  f.targetStrategy = "POV";
  f.participationRate = "0";
  EXPECT_EQ(errorOf(f).tag, 849);
}

TEST(AlgoParamsFromFix, APovWithoutARateIsRejectedNaming849) {
  AlgoFixFields f;
  f.targetStrategy = "POV";
  EXPECT_EQ(errorOf(f).tag, 849);
}

TEST(AlgoParamsFromFix, ADisplayBiggerThanTheOrderIsRejectedNaming111) {
  AlgoFixFields f;
  f.targetStrategy = "ICEBERG";
  f.maxFloor = "5000";
  AlgoError e = errorOf(f, "1000");
  EXPECT_EQ(e.tag, 111);
  EXPECT_TRUE(mentions(e, "bigger than the order quantity")) << e.text;
}

TEST(AlgoParamsFromFix, AnUnknownStrategyIsRejectedNaming847) {
  AlgoFixFields f = twapFields();
  f.targetStrategy = "SNIPER";
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 847);
  EXPECT_TRUE(mentions(e, "'SNIPER'")) << e.text;
}

TEST(AlgoParamsFromFix, ANonPositiveLimitIsRejectedNaming44) {
  AlgoFixFields f = twapFields();
  f.price = "-1";
  EXPECT_EQ(errorOf(f).tag, 44);
}

TEST(AlgoParamsFromFix, AMinQtyOverTheOrderIsRejectedNaming110) {
  AlgoFixFields f = twapFields();
  f.minQty = "2000";
  EXPECT_EQ(errorOf(f, "1000").tag, 110);
}

TEST(AlgoParamsFromFix, AParameterOfTheWrongTypeIsRejectedNaming959) {
  AlgoFixFields f = twapFields();
  f.strategyParameters = {{"MinSlice", "14", "100"}};  // String, where a Qty belongs
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 959);
  EXPECT_TRUE(mentions(e, "'MinSlice'")) << e.text;
  EXPECT_TRUE(mentions(e, "expected 7 (Qty)")) << e.text;
}

TEST(AlgoParamsFromFix, AnUnknownParameterNameIsRejectedNaming958) {
  AlgoFixFields f = twapFields();
  f.strategyParameters = {{"Urgency", "14", "high"}};
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 958);
  EXPECT_TRUE(mentions(e, "'Urgency'")) << e.text;
}

TEST(AlgoParamsFromFix, AnUnreadableParameterValueIsRejectedNaming960) {
  AlgoFixFields f = twapFields();
  f.strategyParameters = {{"SliceInterval", "1", "ten"}};
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 960);
  EXPECT_TRUE(mentions(e, "'SliceInterval'")) << e.text;
}

TEST(AlgoParamsFromFix, AGroupCountThatDoesNotMatchIsRejectedNaming957) {
  AlgoFixFields f = twapFields();
  f.noStrategyParameters = 2;
  f.strategyParameters = {{"Seed", "1", "7"}};
  EXPECT_EQ(errorOf(f).tag, 957);
}

TEST(AlgoParamsFromFix, AVolumeProfileOutOfOrderIsRejectedNaming960) {
  AlgoFixFields f = twapFields();
  f.targetStrategy = "VWAP";
  f.strategyParameters = {{"Profile", "14", "1000:1,0930:2"}};
  AlgoError e = errorOf(f);
  EXPECT_EQ(e.tag, 960);
  EXPECT_TRUE(mentions(e, "'Profile'")) << e.text;
}

TEST(AlgoParamsFromFix, AProfileIsReadAsMinutesOfTheDay) {
  AlgoFixFields f = twapFields();
  f.targetStrategy = "VWAP";
  f.strategyParameters = {{"Profile", "14", "0930:5,1600:0"}};
  auto r = parseAlgoParams(f, Qty::of("1000"), kNow);
  ASSERT_TRUE(r.params) << r.error.text;
  EXPECT_EQ(r.params->volumeProfile, (std::vector<ProfileBucket>{{9 * 60 + 30, 5}, {16 * 60, 0}}));
}

TEST(AlgoParamsFromFix, FixTimestampsAreReadExactly) {
  EXPECT_EQ(parseFixUtcTimestamp("19700101-00:00:01.5"), 1'500'000'000);
  EXPECT_EQ(parseFixUtcTimestamp("20261203-14:00:00"), kNow);
  EXPECT_EQ(parseFixUtcTimestamp("20261203-14:00:00.000000001"), kNow + 1);
  EXPECT_FALSE(parseFixUtcTimestamp("20261303-14:00:00"));
  EXPECT_FALSE(parseFixUtcTimestamp("20261203-14:00:00."));
}

TEST(AlgoRunnerCreate, BadParametersCreateNoRunnerAndNameTheTag) {
  testing::FakeHost host(kNow);
  AlgoParams p;
  p.strategy = Strategy::Iceberg;
  p.displayQty = Qty::of("0");
  ParentOrder parent;
  parent.qty = Qty::of("100");
  AlgoError e;
  EXPECT_FALSE(AlgoRunner::create(parent, p, host, &e));
  EXPECT_EQ(e.tag, 111);
}

}  // namespace
}  // namespace fixgw::algos

namespace fixgw::algos {
namespace {

TEST(AlgoFactory, StrategyNamesAreReadWithoutRegardToCase) {
  EXPECT_EQ(strategyFromName("twap"), Strategy::Twap);
  EXPECT_EQ(strategyFromName("Vwap"), Strategy::Vwap);
  EXPECT_EQ(strategyFromName("2"), Strategy::Pov) << "847=2 Participate";
  EXPECT_EQ(strategyFromName("iceberg"), Strategy::Iceberg);
  EXPECT_FALSE(strategyFromName("TWAP2"));
}

TEST(AlgoFactory, TheRunnerBuildsTheAlgorithmItsParametersName) {
  testing::FakeHost host(testing::at("20261203-14:00:00"));
  ParentOrder parent;
  parent.qty = Qty::of("100");
  AlgoParams p;
  p.strategy = Strategy::Pov;
  p.participationRate = Ratio::of("0.2");
  auto r = AlgoRunner::create(parent, p, host, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->strategy(), Strategy::Pov);
}

}  // namespace
}  // namespace fixgw::algos
