// The crash case: a working parent re-created after a restart from its
// parameters, the journal's cum qty, its live children and the time carries
// on its schedule and sends nothing twice.
#include <gtest/gtest.h>

#include <string>

#include "tests/algos/algo_test_util.h"

namespace fixgw::algos {
namespace {

using namespace testing;

LiveChild liveChild(const char* id, const char* qty, const char* cum = "0") {
  LiveChild c;
  c.id = ChildOrderId(id);
  c.qty = Qty::of(qty);
  c.cum = Qty::of(cum);
  c.accepted = true;
  return c;
}

class Rebuild : public AlgoScenario {};

TEST_F(Rebuild, ATwapOnScheduleSendsNothingUntilItsNextSlice) {
  host.clock = at("20261203-14:04:30");  // slice 5 is due 500
  AlgoRestoreState st;
  st.cumQty = Qty::of("400");
  st.avgPx = Price::of("100.00");
  st.liveChildren = {liveChild("C5", "100")};
  restore(twap("20261203-14:10:00"), st);
  EXPECT_TRUE(host.sent.empty());
  advanceTo(at("20261203-14:05:00"));
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("100"));
}

TEST_F(Rebuild, ATwapBehindItsScheduleSendsOnlyTheShortfall) {
  host.clock = at("20261203-14:04:30");
  AlgoRestoreState st;
  st.cumQty = Qty::of("250");
  st.liveChildren = {liveChild("C3", "100", "50")};  // 50 open
  restore(twap("20261203-14:10:00"), st);
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("200")) << "500 due - 250 filled - 50 open";
}

TEST_F(Rebuild, LiveChildrenAreStillCanceledWithTheParent) {
  host.clock = at("20261203-14:04:30");
  AlgoRestoreState st;
  st.cumQty = Qty::of("400");
  st.liveChildren = {liveChild("C5", "100")};
  restore(twap("20261203-14:10:00"), st);
  runner->cancel();
  EXPECT_EQ(host.cancels, (std::vector<ChildOrderId>{ChildOrderId("C5")}));
  runner->onChildCanceled(ChildOrderId("C5"));
  EXPECT_EQ(host.outcome, ParentOutcome::Canceled);
}

TEST_F(Rebuild, ARandomisedTwapMakesTheSameChoicesAsIfNeverStopped) {
  AlgoParams p = twap("20261203-14:10:00");
  p.randomizeSize = Ratio::of("0.4");
  p.randomizeTime = Ratio::of("0.5");
  p.seed = 99;
  run(p);
  advanceTo(at("20261203-14:09:59"));
  const auto uninterrupted = host.sent;

  // The same order, crashed at 14:04:40 with the first five slices live.
  FakeHost before(at(kStart));
  auto first = AlgoRunner::create(parentOf("1000"), p, before, nullptr);
  first->start();
  while (before.timer && *before.timer <= at("20261203-14:04:40")) {
    before.clock = *before.timer;
    before.timer.reset();
    first->onTimer();
  }
  AlgoRestoreState st;
  st.liveChildren = first->live();
  host = FakeHost(at("20261203-14:04:40"));
  restore(p, st);
  advanceTo(at("20261203-14:09:59"));
  ASSERT_EQ(before.sent.size() + host.sent.size(), uninterrupted.size());
  for (size_t i = 0; i < host.sent.size(); ++i) {
    const auto& want = uninterrupted[before.sent.size() + i];
    EXPECT_EQ(host.sent[i].order.qty, want.order.qty) << "slice " << i;
    EXPECT_EQ(host.sent[i].time, want.time) << "slice " << i;
  }
}

TEST_F(Rebuild, AnIcebergWithItsShownChildLiveWaitsForItsFill) {
  AlgoParams p;
  p.strategy = Strategy::Iceberg;
  p.start = at(kStart);
  p.displayQty = Qty::of("100");
  AlgoRestoreState st;
  st.cumQty = Qty::of("300");
  st.liveChildren = {liveChild("C4", "100", "20")};
  restore(p, st);
  EXPECT_TRUE(host.sent.empty());
  fill(ChildOrderId("C4"), "80");
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("100"));
}

TEST_F(Rebuild, APovCountsVolumeFromTheRestartOnTopOfItsCum) {
  AlgoParams p;
  p.strategy = Strategy::Pov;
  p.start = at(kStart);
  p.participationRate = Ratio::of("0.1");
  host.clock = at("20261203-14:20:00");
  AlgoRestoreState st;
  st.cumQty = Qty::of("400");
  restore(p, st);
  EXPECT_TRUE(host.sent.empty()) << "no volume seen since the restart: nothing due";
  trade("500");
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("50"));
}

TEST_F(Rebuild, AParentRestoredAfterItsEndTimeFinishesAtOnce) {
  host.clock = at("20261203-14:30:00");
  AlgoRestoreState st;
  st.cumQty = Qty::of("600");
  st.liveChildren = {liveChild("C7", "100")};
  restore(twap("20261203-14:10:00"), st);
  EXPECT_TRUE(host.sent.empty());
  EXPECT_EQ(host.cancels, (std::vector<ChildOrderId>{ChildOrderId("C7")}));
  runner->onChildCanceled(ChildOrderId("C7"));
  EXPECT_EQ(host.outcome, ParentOutcome::Expired);
}

TEST_F(Rebuild, APausedParentStaysPaused) {
  host.clock = at("20261203-14:04:30");
  AlgoRestoreState st;
  st.paused = true;
  st.pauseReason = "child C3 rejected by SIM";
  restore(twap("20261203-14:10:00"), st);
  EXPECT_TRUE(host.sent.empty());
  EXPECT_EQ(runner->state(), AlgoRunner::State::Paused);
  runner->resume();
  EXPECT_EQ(sentQty(0), Qty::of("500"));
}

}  // namespace
}  // namespace fixgw::algos
