// The parent-side rules every algorithm gets from AlgoRunner: parent cancel
// and replace mid-flight, venue rejects and disconnects handled by policy.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/algos/algo_test_util.h"

namespace fixgw::algos {
namespace {

using namespace testing;

class ParentCancel : public AlgoScenario {};

TEST_F(ParentCancel, CancelsEveryLiveChild) {
  run(twap("20261203-14:10:00"));
  advanceTo(at("20261203-14:02:00"));  // three slices resting
  runner->cancel();
  EXPECT_EQ(host.cancels.size(), 3u);
}

TEST_F(ParentCancel, ReportsCanceledOnlyOnceEveryChildIsDone) {
  run(twap("20261203-14:10:00"));
  advanceTo(at("20261203-14:02:00"));
  runner->cancel();
  runner->onChildCanceled(host.cancels[0]);
  runner->onChildCanceled(host.cancels[1]);
  EXPECT_EQ(host.doneCount, 0);
  runner->onChildCanceled(host.cancels[2]);
  EXPECT_EQ(host.doneCount, 1);
  EXPECT_EQ(host.outcome, ParentOutcome::Canceled);
}

TEST_F(ParentCancel, SendsNothingMoreWhileCanceling) {
  run(twap("20261203-14:10:00"));
  runner->cancel();
  advanceTo(at("20261203-14:05:00"));
  EXPECT_EQ(host.sent.size(), 1u);
}

TEST_F(ParentCancel, WithNothingLiveIsDoneAtOnce) {
  AlgoParams p = twap("20261203-15:00:00");
  p.start = at("20261203-14:30:00");
  run(p);
  runner->cancel();
  EXPECT_EQ(host.doneCount, 1);
  EXPECT_EQ(host.outcome, ParentOutcome::Canceled);
}

TEST_F(ParentCancel, AFillThatRacesTheCancelStillRollsUp) {
  run(twap("20261203-14:10:00"));
  runner->cancel();
  fill(host.sent[0].id, "40", "100.10");
  runner->onChildCanceled(host.sent[0].id);
  EXPECT_EQ(runner->cum(), Qty::of("40"));
  EXPECT_EQ(runner->avgPx(), Price::of("100.10"));
  EXPECT_EQ(host.outcome, ParentOutcome::Canceled);
}

TEST_F(ParentCancel, IsReportedOnlyOnce) {
  run(twap("20261203-14:10:00"));
  runner->cancel();
  runner->cancel();
  confirmCancels();
  runner->onChildCanceled(host.sent[0].id);
  EXPECT_EQ(host.doneCount, 1);
}

class ParentReplace : public AlgoScenario {};

TEST_F(ParentReplace, ALowerQuantityCancelsTheNewestChildrenOverIt) {
  run(twap("20261203-14:10:00"));
  advanceTo(at("20261203-14:04:00"));  // five resting children of 100
  fill(host.sent[0].id, "100");
  ASSERT_FALSE(runner->replace(twap("20261203-14:10:00"), Qty::of("300")));
  // cum 100 + live 400 over 300: the two newest go.
  EXPECT_EQ(host.cancels, (std::vector<ChildOrderId>{host.sent[4].id, host.sent[3].id}));
}

TEST_F(ParentReplace, AFillOnAChildBeingCanceledMakesTheOthersRoomForIt) {
  run(twap("20261203-14:10:00"));
  advanceTo(at("20261203-14:04:00"));  // C1..C5 resting, 100 each
  ASSERT_FALSE(runner->replace(twap("20261203-14:10:00"), Qty::of("300")));
  ASSERT_EQ(host.cancels, (std::vector<ChildOrderId>{host.sent[4].id, host.sent[3].id}));
  fill(host.sent[4].id, "100");  // C5 filled before its cancel landed
  // cum 100 + C1..C3 300 would be over 300: the newest of them goes too.
  EXPECT_EQ(host.cancels.back(), host.sent[2].id);
}

TEST_F(ParentReplace, AHigherQuantityIsScheduledFromTheNextDecision) {
  run(twap("20261203-14:10:00"));
  fillAllLive();
  ASSERT_FALSE(runner->replace(twap("20261203-14:10:00"), Qty::of("2000")));
  // Slice 1 is due 200 of 2000 now; 100 is filled.
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("100"));
  fillAllLive();
  advanceBy(kMinute);
  EXPECT_EQ(sentQty(2), Qty::of("200"));
}

TEST_F(ParentReplace, ANewLimitCancelsChildrenThroughIt) {
  AlgoParams p = twap("20261203-14:10:00");
  p.limit = Price::of("100.10");
  run(p);
  p.limit = Price::of("100.00");
  ASSERT_FALSE(runner->replace(p, Qty::of("1000")));
  EXPECT_EQ(host.cancels, (std::vector<ChildOrderId>{host.sent[0].id}));
  confirmCancels();
  EXPECT_EQ(lastSent().order.limit, Price::of("100.00")) << "re-sent at the new limit";
}

TEST_F(ParentReplace, BelowTheFilledQuantityIsRefusedNaming38) {
  run(twap("20261203-14:10:00"));
  fill(host.sent[0].id, "100");
  auto e = runner->replace(twap("20261203-14:10:00"), Qty::of("50"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tag, 38);
  EXPECT_EQ(runner->parentOrder().qty, Qty::of("1000")) << "nothing changed";
}

TEST_F(ParentReplace, WithBadParametersIsRefusedNamingTheTag) {
  run(twap("20261203-14:10:00"));
  AlgoParams p = twap("20261203-14:10:00");
  p.end = at("20261203-13:00:00");
  auto e = runner->replace(p, Qty::of("1000"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tag, 126);
}

TEST_F(ParentReplace, DownToTheFilledQuantityFinishesFilled) {
  run(twap("20261203-14:10:00"));
  fillAllLive();
  ASSERT_FALSE(runner->replace(twap("20261203-14:10:00"), Qty::of("100")));
  EXPECT_EQ(host.outcome, ParentOutcome::Filled);
}

class ChildReject : public AlgoScenario {
 protected:
  AlgoParams withPolicy(Policy p) {
    AlgoParams a = twap("20261203-14:10:00");
    a.onReject = p;
    a.venues = {VenueId("SIM"), VenueId("IBKR")};
    return a;
  }
};

TEST_F(ChildReject, PausePolicyStopsSendingAndSaysWhy) {
  run(withPolicy(Policy::Pause));
  rejectChild(host.sent[0].id, "price out of band");
  advanceTo(at("20261203-14:03:00"));
  EXPECT_EQ(host.sent.size(), 1u);
  ASSERT_EQ(host.pauses.size(), 1u);
  EXPECT_NE(host.pauses[0].find("child C1 rejected by SIM: price out of band"), std::string::npos)
      << host.pauses[0];
  EXPECT_EQ(runner->state(), AlgoRunner::State::Paused);
}

TEST_F(ChildReject, AfterAPauseTheScheduleCatchesUp) {
  run(withPolicy(Policy::Pause));
  rejectChild(host.sent[0].id, "price out of band");
  advanceTo(at("20261203-14:03:00"));
  runner->resume();
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("400")) << "slices 1 to 4 in one catch-up child";
}

TEST_F(ChildReject, RetryPolicySendsItToTheNextVenue) {
  run(withPolicy(Policy::RetryElsewhere));
  rejectChild(host.sent[0].id, "no trading permission");
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(lastSent().order.venue, VenueId("IBKR"));
  EXPECT_EQ(sentQty(1), Qty::of("100"));
  EXPECT_EQ(lastSent().order.avoid, (std::vector<VenueId>{VenueId("SIM")}));
}

TEST_F(ChildReject, TheRetriedChildSaysWhereAndWhy) {
  run(withPolicy(Policy::RetryElsewhere));
  rejectChild(host.sent[0].id, "no trading permission");
  EXPECT_NE(lastSent().order.reason.find("venue IBKR, avoiding SIM"), std::string::npos)
      << lastSent().order.reason;
}

TEST_F(ChildReject, RetryPolicyWithNoVenueLeftFinishesWithTheReason) {
  run(withPolicy(Policy::RetryElsewhere));
  rejectChild(host.sent[0].id, "no trading permission");
  rejectChild(host.sent[1].id, "halted");
  EXPECT_EQ(host.outcome, ParentOutcome::Stopped);
  EXPECT_NE(host.outcomeReason.find("rejected by IBKR: halted"), std::string::npos)
      << host.outcomeReason;
  EXPECT_NE(host.outcomeReason.find("no other venue"), std::string::npos) << host.outcomeReason;
}

TEST_F(ChildReject, FinishPolicyCancelsWhatIsLiveThenFinishes) {
  run(withPolicy(Policy::Finish));
  advanceTo(at("20261203-14:01:00"));  // two children
  rejectChild(host.sent[1].id, "unknown symbol");
  EXPECT_EQ(host.cancels, (std::vector<ChildOrderId>{host.sent[0].id}));
  EXPECT_EQ(host.doneCount, 0);
  confirmCancels();
  EXPECT_EQ(host.outcome, ParentOutcome::Stopped);
  EXPECT_NE(host.outcomeReason.find("unknown symbol"), std::string::npos);
}

class VenueDisconnect : public AlgoScenario {
 protected:
  AlgoParams withPolicy(Policy p) {
    AlgoParams a = twap("20261203-14:10:00");
    a.onDisconnect = p;
    a.venues = {VenueId("SIM"), VenueId("IBKR")};
    return a;
  }
};

TEST_F(VenueDisconnect, PausesAndKeepsCountingTheChildrenThereAsLive) {
  run(withPolicy(Policy::Pause));
  runner->onVenueDisconnected(VenueId("SIM"));
  advanceTo(at("20261203-14:03:00"));
  EXPECT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(runner->live().size(), 1u) << "its state is unknown, so it still counts";
  EXPECT_NE(host.pauses.at(0).find("venue SIM disconnected"), std::string::npos);
}

TEST_F(VenueDisconnect, AReconnectResumesAndCatchesUp) {
  run(withPolicy(Policy::Pause));
  runner->onVenueDisconnected(VenueId("SIM"));
  advanceTo(at("20261203-14:03:00"));
  runner->onVenueReconnected(VenueId("SIM"));
  EXPECT_EQ(host.resumes, 1);
  ASSERT_EQ(host.sent.size(), 2u);
  EXPECT_EQ(sentQty(1), Qty::of("300"));
}

TEST_F(VenueDisconnect, RetryPolicySendsTheNextSlicesElsewhere) {
  run(withPolicy(Policy::RetryElsewhere));
  runner->onVenueDisconnected(VenueId("SIM"));
  advanceBy(kMinute);
  EXPECT_EQ(lastSent().order.venue, VenueId("IBKR"));
  EXPECT_EQ(sentQty(1), Qty::of("100")) << "the child at SIM still counts: nothing over-sent";
}

TEST_F(VenueDisconnect, FinishPolicyCancelsAndFinishes) {
  run(withPolicy(Policy::Finish));
  runner->onVenueDisconnected(VenueId("SIM"));
  confirmCancels();
  EXPECT_EQ(host.outcome, ParentOutcome::Stopped);
  EXPECT_NE(host.outcomeReason.find("venue SIM disconnected"), std::string::npos);
}

TEST_F(VenueDisconnect, AnotherVenueGoingDownChangesNothing) {
  run(withPolicy(Policy::Finish));
  runner->onVenueDisconnected(VenueId("IBKR"));
  EXPECT_EQ(runner->state(), AlgoRunner::State::Working);
}

class RouterRefusal : public AlgoScenario {};

TEST_F(RouterRefusal, ARefusedChildIsNotCountedAndIsRetriedAtTheNextSlice) {
  host.refuseWith = "risk: max open orders";
  run(twap("20261203-14:10:00"));
  EXPECT_TRUE(runner->live().empty());
  host.refuseWith.clear();
  advanceBy(kMinute);
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(sentQty(0), Qty::of("200"));
}

}  // namespace
}  // namespace fixgw::algos
