// Algo parents in the engine (issue 10): one AlgoRunner per parent with a
// TargetStrategy, in virtual time (ManualClock + runDue). The venue is the
// fixture's recording fake (the unit's edge); the journal is in memory.
#include <numeric>

#include "tests/router/engine_fixture.h"

namespace {

constexpr int64_t kSec = 1'000'000'000LL;

class EngineAlgoTest : public EngineTest {
 protected:
  // A TWAP parent of `qty` AAPL at 100.00 over `windowSec` seconds from now,
  // one slice every `sliceSec` seconds, plus any extra strategy parameters.
  void algoOrder(const char* clOrdId, const char* qty, AlgoOrderFields a,
                 const SessionKey& session = kSess) {
    NewOrder n;
    n.hdr.session = session;
    n.hdr.rawFix = std::string(
                       "8=FIX.4.4\x01"
                       "35=D\x01"
                       "11=") +
                   clOrdId + "\x01";
    n.hdr.receivedAt = clock.wallNow();
    n.clOrdId = ClOrdId(clOrdId);
    n.account = Account("ACC1");
    n.symbol = Symbol("AAPL");
    n.side = Side::Buy;
    n.ordType = OrdType::Limit;
    n.qty = Qty::of(qty);
    n.price = Price::of("100.00");
    auto d = std::make_shared<OrderDetails>();
    a.price = "100.00";
    d->algo = std::move(a);
    n.details = d;
    engine.submit(n);
    run();
  }
  AlgoOrderFields twap(int windowSec, int sliceSec) {
    AlgoOrderFields a;
    a.targetStrategy = "TWAP";
    a.expireTime = formatFixTimestamp(clock.wallNow() + windowSec * kSec);
    a.strategyParameters.push_back({"SliceInterval", "1", std::to_string(sliceSec)});
    return a;
  }
  void advance(int64_t sec) {
    clock.advance(sec * kSec);
    run();
  }
  // Acks and fully fills child i at 100.00.
  void ackAndFill(size_t i) {
    ack(i);
    fill(venue.submits.at(i).qty.str().c_str(), "100.00", i);
  }
  Qty sentQty() const {
    Qty q;
    for (const auto& s : venue.submits) q += s.qty;
    return q;
  }
  std::vector<const ExecReport*> ers(ExecType t) const {
    std::vector<const ExecReport*> out;
    for (const auto& r : reports.all)
      if (auto* e = std::get_if<ExecReport>(&r); e && e->execType == t) out.push_back(e);
    return out;
  }
  std::vector<const OrderEventRec*> events(const std::string& type) const {
    std::vector<const OrderEventRec*> out;
    for (const auto& r : journal.records)
      if (auto* e = recordIf<OrderEventRec>(&r); e && e->eventType == type) out.push_back(e);
    return out;
  }
};

TEST_F(EngineAlgoTest, TwapSlicesOverItsWindowAndCompletes) {
  // 60 s, a slice every 10 s: six slices, the last one whatever is left.
  algoOrder("A1", "600", twap(60, 10));
  ASSERT_EQ(ers(ExecType::New).size(), 1u);  // the parent is acknowledged at once
  ASSERT_EQ(venue.submits.size(), 1u) << "the first slice goes at the start";
  EXPECT_EQ(venue.submits[0].qty, Qty::of("100"));
  EXPECT_EQ(venue.submits[0].price, Price::of("100.00"));  // the parent's limit on every child
  EXPECT_EQ(venue.submits[0].ordType, OrdType::Limit);
  ackAndFill(0);
  for (int t = 1; t <= 6 && venue.submits.size() < 6; ++t) {
    advance(10);
    ASSERT_EQ(venue.submits.size(), static_cast<size_t>(t + 1)) << "slice " << t;
    EXPECT_LE(sentQty(), Qty::of("600"));
    ackAndFill(venue.submits.size() - 1);
  }
  EXPECT_EQ(venue.submits.size(), 6u);
  EXPECT_EQ(sentQty(), Qty::of("600"));

  const ParentOrder* p = engine.find(kSess, ClOrdId("A1"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status(), OrdStatus::Filled);
  EXPECT_EQ(p->cumQty, Qty::of("600"));
  EXPECT_EQ(p->avgPx, Price::of("100.00"));
  EXPECT_EQ(p->children.size(), 6u);

  // The client saw the parent only: New once, one fill per child fill with
  // its LastQty, leaves counting down, no cancel.
  auto fills = ers(ExecType::Trade);
  ASSERT_EQ(fills.size(), 6u);
  Qty cum;
  for (const ExecReport* f : fills) {
    EXPECT_EQ(f->orderId, p->orderId);
    EXPECT_EQ(f->clOrdId, ClOrdId("A1"));
    cum += f->lastQty;
    EXPECT_EQ(f->cumQty, cum);
    EXPECT_EQ(f->leavesQty, Qty::of("600") - cum);
    EXPECT_EQ(f->lastPx, Price::of("100.00"));
  }
  EXPECT_EQ(fills.back()->ordStatus, OrdStatus::Filled);
  EXPECT_EQ(ers(ExecType::New).size(), 1u);
  EXPECT_TRUE(ers(ExecType::Canceled).empty());

  // Every child is journaled under the parent with the algorithm's reason.
  auto routed = events("ROUTED");
  ASSERT_EQ(routed.size(), 6u);
  for (const OrderEventRec* e : routed) {
    ASSERT_TRUE(e->childOrderId);
    EXPECT_EQ(e->orderId, p->orderId);
    EXPECT_NE(e->text.find("TWAP slice"), std::string::npos) << e->text;
  }
  size_t childRows = 0;
  for (const auto& r : journal.records)
    if (auto* o = recordIf<OrderRec>(&r); o && o->created && o->parentOrderId)
      childRows += *o->parentOrderId == p->orderId;
  EXPECT_EQ(childRows, 6u);
  ASSERT_FALSE(events("ALGO_DONE").empty());
  EXPECT_EQ(events("ALGO_DONE").back()->reasonCode, "FILLED");
  EXPECT_EQ(engine.openOrders(), 0u);
  run();  // the runner is released
  EXPECT_EQ(engine.algoRunner(p->orderId), nullptr);
}

TEST_F(EngineAlgoTest, ParentCancelMidFlightCancelsTheLiveChildrenThenReportsCanceled) {
  algoOrder("A1", "600", twap(60, 10));
  ackAndFill(0);
  advance(10);
  ASSERT_EQ(venue.submits.size(), 2u);
  ack(1);
  fill("30", "100.00", 1);  // child 2 partly filled, 70 still live
  advance(10);
  ASSERT_EQ(venue.submits.size(), 3u);  // child 3 sent, not yet acknowledged

  cancel("X1", "A1");
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingCancel);
  ASSERT_EQ(venue.cancels.size(), 1u) << "the acknowledged live child is cancelled at once";
  EXPECT_EQ(venue.cancels[0].childId, venue.submits[1].childId);
  EXPECT_TRUE(ers(ExecType::Canceled).empty()) << "not before every child is done";

  ack(2);  // the unacknowledged child is cancelled once the venue has it
  ASSERT_EQ(venue.cancels.size(), 2u);
  EXPECT_EQ(venue.cancels[1].childId, venue.submits[2].childId);
  venueSays(VenueEventKind::Canceled, {}, 1);
  EXPECT_TRUE(ers(ExecType::Canceled).empty()) << "child 3 is still live";
  advance(10);
  EXPECT_EQ(venue.submits.size(), 3u) << "nothing new is sent while cancelling";
  venueSays(VenueEventKind::Canceled, {}, 2);

  auto canceled = ers(ExecType::Canceled);
  ASSERT_EQ(canceled.size(), 1u);
  EXPECT_EQ(canceled[0]->clOrdId, ClOrdId("X1"));
  EXPECT_EQ(canceled[0]->origClOrdId, ClOrdId("A1"));
  EXPECT_EQ(canceled[0]->ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(canceled[0]->cumQty, Qty::of("130"));
  EXPECT_EQ(canceled[0]->leavesQty, Qty{});
  advance(60);
  EXPECT_EQ(venue.submits.size(), 3u);
  EXPECT_EQ(engine.openOrders(), 0u);
}

TEST_F(EngineAlgoTest, AChildRejectPausesByDefault) {
  algoOrder("A1", "600", twap(60, 10));
  venueSays(VenueEventKind::Rejected, "price outside the band", 0);
  // The parent stays working: a child reject is the algorithm's business.
  EXPECT_TRUE(ers(ExecType::Rejected).empty());
  const ParentOrder* p = engine.find(kSess, ClOrdId("A1"));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->isOpen());
  ASSERT_EQ(events("CHILD_REJECTED").size(), 1u);
  EXPECT_NE(events("CHILD_REJECTED")[0]->text.find("price outside the band"), std::string::npos);
  ASSERT_EQ(events("ALGO_PAUSED").size(), 1u);
  advance(10);
  advance(10);
  EXPECT_EQ(venue.submits.size(), 1u) << "paused: nothing more is sent";
  ASSERT_TRUE(engine.algoRunner(p->orderId));
  EXPECT_EQ(engine.algoRunner(p->orderId)->state(), algos::AlgoRunner::State::Paused);
}

TEST_F(EngineAlgoTest, AChildRejectFinishesTheParentUnderOnRejectFinish) {
  AlgoOrderFields a = twap(60, 10);
  a.strategyParameters.push_back({"OnReject", "14", "finish"});
  algoOrder("A1", "600", a);
  ackAndFill(0);
  advance(10);
  ASSERT_EQ(venue.submits.size(), 2u);
  venueSays(VenueEventKind::Rejected, "no liquidity", 1);
  auto canceled = ers(ExecType::Canceled);
  ASSERT_EQ(canceled.size(), 1u);
  EXPECT_EQ(canceled[0]->ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(canceled[0]->cumQty, Qty::of("100"));
  EXPECT_NE(canceled[0]->text.find("Stopped"), std::string::npos) << canceled[0]->text;
  EXPECT_NE(canceled[0]->text.find("no liquidity"), std::string::npos) << canceled[0]->text;
  advance(30);
  EXPECT_EQ(venue.submits.size(), 2u);
}

TEST_F(EngineAlgoTest, ReplaceDownReplansToTheNewQuantity) {
  algoOrder("A1", "600", twap(60, 10));
  ackAndFill(0);
  replace("R1", "A1", "300", "100.00");
  ASSERT_EQ(reports.lastEr().execType, ExecType::Replaced);
  EXPECT_EQ(reports.lastEr().orderQty, Qty::of("300"));
  EXPECT_EQ(reports.lastEr().clOrdId, ClOrdId("R1"));
  size_t filled = 1;  // children acknowledged and filled so far
  for (int t = 0; t < 8; ++t) {
    advance(10);
    for (; filled < venue.submits.size(); ++filled) ackAndFill(filled);
    EXPECT_LE(sentQty(), Qty::of("300"));
  }
  const ParentOrder* p = engine.find(kSess, ClOrdId("R1"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cumQty, Qty::of("300"));
  EXPECT_EQ(p->status(), OrdStatus::Filled);
  EXPECT_EQ(sentQty(), Qty::of("300"));
}

TEST_F(EngineAlgoTest, ABadParameterIsAnOrderRejectNamingTheTag) {
  AlgoOrderFields a;
  a.targetStrategy = "TWAP";  // no ExpireTime: TWAP needs its end
  algoOrder("B1", "600", a);
  ASSERT_EQ(reports.all.size(), 1u);
  EXPECT_EQ(reports.lastEr().execType, ExecType::Rejected);
  EXPECT_NE(reports.lastEr().text.find("ExpireTime (126)"), std::string::npos)
      << reports.lastEr().text;
  EXPECT_NE(reports.lastEr().text.find("TargetStrategy (847) 'TWAP'"), std::string::npos)
      << reports.lastEr().text;
  EXPECT_TRUE(venue.submits.empty());

  AlgoOrderFields u;
  u.targetStrategy = "SNIPER";
  algoOrder("B2", "600", u);
  EXPECT_NE(reports.lastEr().text.find("847"), std::string::npos) << reports.lastEr().text;

  // FIX 4.2 names its own tags: ParticipationRate is 8849 there.
  AlgoOrderFields pov;
  pov.targetStrategy = "POV";
  algoOrder("B3", "600", pov, SessionKey("FIX.4.2:FIXGW->CLIENT42"));
  EXPECT_EQ(reports.lastEr().execType, ExecType::Rejected);
  EXPECT_NE(reports.lastEr().text.find("ParticipationRate (8849)"), std::string::npos)
      << reports.lastEr().text;

  AlgoOrderFields sp = twap(60, 10);
  sp.strategyParameters.push_back({"Bogus", "1", "1"});
  algoOrder("B4", "600", sp);
  EXPECT_NE(reports.lastEr().text.find("(958) 'Bogus'"), std::string::npos)
      << reports.lastEr().text;
  EXPECT_TRUE(venue.submits.empty());
}

TEST_F(EngineAlgoTest, ADelayedStartSendsNothingBeforeEffectiveTime) {
  AlgoOrderFields a = twap(80, 10);
  a.effectiveTime = formatFixTimestamp(clock.wallNow() + 20 * kSec);
  algoOrder("A1", "600", a);
  EXPECT_EQ(ers(ExecType::New).size(), 1u);
  EXPECT_TRUE(venue.submits.empty());
  advance(10);
  EXPECT_TRUE(venue.submits.empty());
  advance(10);
  EXPECT_EQ(venue.submits.size(), 1u);
}

TEST_F(EngineAlgoTest, AHaltRefusesTheNextChild) {
  algoOrder("A1", "600", twap(60, 10));
  ackAndFill(0);
  engine.setTradingState(risk::ScopeKind::Account, "ACC1", risk::TradingState::Halted, "test",
                         "drill", false);
  advance(10);
  EXPECT_EQ(venue.submits.size(), 1u) << "a halted account gets no new child";
}

TEST_F(EngineAlgoTest, TheEndTimeCancelsWhatIsLiveAndReportsExpired) {
  algoOrder("E1", "600", twap(30, 10));
  ackAndFill(0);
  advance(10);
  ack(1);  // child 2 rests, nothing fills any more
  advance(10);
  ack(2);
  advance(10);  // the end: the live children are cancelled
  EXPECT_TRUE(ers(ExecType::Expired).empty()) << "not before the children are done";
  ASSERT_GE(venue.cancels.size(), 2u);
  for (size_t i = 0; i < venue.submits.size(); ++i)
    if (i > 0) venueSays(VenueEventKind::Canceled, {}, i);
  auto expired = ers(ExecType::Expired);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0]->ordStatus, OrdStatus::Expired);
  EXPECT_EQ(expired[0]->cumQty, venue.submits[0].qty);  // only the first child filled
  EXPECT_NE(expired[0]->text.find("unfilled"), std::string::npos) << expired[0]->text;
  EXPECT_EQ(engine.openOrders(), 0u);
}

TEST_F(EngineAlgoTest, ACompleteFillThatRacesTheCancelWins) {
  algoOrder("F1", "100", twap(10, 10));  // one slice: the whole order
  ASSERT_EQ(venue.submits.size(), 1u);
  ack(0);
  cancel("X1", "F1");
  ASSERT_EQ(venue.cancels.size(), 1u);
  fill("100", "100.00", 0);  // the venue filled it before the cancel landed
  const ParentOrder* p = engine.find(kSess, ClOrdId("F1"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->baseStatus, OrdStatus::Filled);
  EXPECT_TRUE(ers(ExecType::Canceled).empty());
  ASSERT_TRUE(std::holds_alternative<CancelReject>(reports.all.back()));
  EXPECT_EQ(reports.lastCxlRej().clOrdId, ClOrdId("X1"));
}

TEST_F(EngineAlgoTest, PovFollowsTheVenuesTradesThroughTheMarketDataRelay) {
  venue.hasMarketData = true;
  AlgoOrderFields a;
  a.targetStrategy = "POV";
  a.participationRate = "0.2";
  a.expireTime = formatFixTimestamp(clock.wallNow() + 600 * kSec);
  algoOrder("P1", "1000", a);
  ASSERT_TRUE(venue.mdSink) << "the engine subscribes the parent's venue for its symbol";
  ASSERT_EQ(venue.mdSymbols, std::vector<Symbol>{Symbol("AAPL")});
  EXPECT_TRUE(venue.submits.empty()) << "no volume yet, nothing due";
  // The market prints 500: 20% of it is due.
  venue.mdSink->onTrade(
      Trade{VenueId("SIM"), Symbol("AAPL"), Price::of("100.00"), Qty::of("500"), clock.wallNow()});
  run();
  ASSERT_EQ(venue.submits.size(), 1u);
  EXPECT_EQ(venue.submits[0].qty, Qty::of("100"));
  EXPECT_NE(events("ROUTED").back()->text.find("POV"), std::string::npos)
      << events("ROUTED").back()->text;
  // A second parent on the same symbol shares the subscription.
  algoOrder("P2", "10", a);
  EXPECT_EQ(venue.mdSymbols.size(), 1u);
}

}  // namespace
