// Kill switch and risk hooks through the router engine: halting with open
// orders (and cancelling them), reduce-only, cancels never blocked, the
// daily loss limit halting an account from a fill, self-trade prevention
// cancelling the resting order, rounding to tick, and replaces checked as the
// resulting order. The venue is a recording fake; the loop is run by hand.
#include <gtest/gtest.h>

#include "core/executor.h"
#include "core/journal.h"
#include "router/engine.h"

using namespace fixgw;
using namespace fixgw::router;
using risk::ScopeKind;
using risk::TradingState;

namespace {

struct FakeVenue final : VenueAdapter {
  VenueId vid{"SIM"};
  std::vector<VenueNewOrder> submits;
  std::vector<VenueCancel> cancels;
  std::vector<VenueReplace> replaces;
  const VenueId& id() const override { return vid; }
  void start(VenueEventSink&) override {}
  void stop() override {}
  void submit(const VenueNewOrder& o) override { submits.push_back(o); }
  void cancel(const VenueCancel& c) override { cancels.push_back(c); }
  void replace(const VenueReplace& r) override { replaces.push_back(r); }
};

struct Reports final : ReportSink {
  std::vector<ClientReport> all;
  void deliver(const ClientReport& r) override { all.push_back(r); }
  const ExecReport& lastEr() const { return std::get<ExecReport>(all.back()); }
};

InstrumentMaster master() {
  InstrumentMaster m;
  Instrument a;
  a.symbol = Symbol("AAPL");
  a.referencePrice = Price::of("100.00");
  m.add(a);
  return m;
}

const SessionKey kSess("FIX.4.4:FIXGW->CLIENT1");

}  // namespace

class KillSwitch : public ::testing::Test {
 protected:
  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = master();
  risk::RiskConfig cfg;
  std::unique_ptr<risk::RiskEngine> risk;
  FakeVenue venue;
  MemoryJournal journal;
  Reports reports;
  std::unique_ptr<Engine> engine;

  void make() {
    risk = std::make_unique<risk::RiskEngine>(cfg, instruments, clock);
    risk->setJournal(&journal);
    engine = std::make_unique<Engine>(
        loop, clock, *risk, RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
        std::map<VenueId, VenueAdapter*>{{VenueId("SIM"), &venue}}, journal, reports, "t");
  }
  void run() { loop.runDue(); }

  void newOrder(const char* id, Side side, const char* qty, const char* px,
                const char* acct = "ACC1") {
    NewOrder n;
    n.hdr.session = kSess;
    n.clOrdId = ClOrdId(id);
    n.account = Account(acct);
    n.symbol = Symbol("AAPL");
    n.side = side;
    n.ordType = OrdType::Limit;
    n.qty = Qty::of(qty);
    n.price = Price::of(px);
    engine->submit(n);
    run();
  }
  void cancel(const char* id, const char* orig) {
    CancelOrder c;
    c.hdr.session = kSess;
    c.clOrdId = ClOrdId(id);
    c.origClOrdId = ClOrdId(orig);
    c.symbol = Symbol("AAPL");
    engine->submit(c);
    run();
  }
  void replace(const char* id, const char* orig, const char* qty, const char* px) {
    ReplaceOrder r;
    r.hdr.session = kSess;
    r.clOrdId = ClOrdId(id);
    r.origClOrdId = ClOrdId(orig);
    r.symbol = Symbol("AAPL");
    r.side = Side::Buy;
    r.ordType = OrdType::Limit;
    r.qty = Qty::of(qty);
    r.price = Price::of(px);
    engine->submit(r);
    run();
  }
  void venueEvent(VenueEventKind k, size_t child, const char* qty = "0", const char* px = "0") {
    VenueEvent e;
    e.kind = k;
    e.venue = VenueId("SIM");
    e.childId = venue.submits.at(child).childId;
    std::string tag = std::to_string(child);
    e.venueOrderId = VenueOrderId(std::string("V").append(tag));
    e.venueExecId =
        VenueExecId(std::string("X").append(tag).append("-").append(qty).append("-").append(px));
    e.lastQty = Qty::of(qty);
    e.lastPx = Price::of(px);
    engine->onVenueEvent(e);
    run();
  }
  void ack(size_t child) { venueEvent(VenueEventKind::Accepted, child); }
  void fill(size_t child, const char* qty, const char* px) {
    venueEvent(VenueEventKind::Fill, child, qty, px);
  }
  std::vector<const RiskEventRec*> riskEvents(const char* type) const {
    std::vector<const RiskEventRec*> out;
    for (const auto& r : journal.records)
      if (auto* e = recordIf<RiskEventRec>(&r); e && e->eventType == type) out.push_back(e);
    return out;
  }
  void setState(ScopeKind scope, const std::string& key, TradingState st, bool cancelOpen) {
    loop.post(
        [&] { engine->setTradingState(scope, key, st, "ops-alice", "test halt", cancelOpen); });
    run();
  }
};

TEST_F(KillSwitch, HaltAccountWithOpenOrdersCancelsThemAndRefusesNewOnes) {
  make();
  newOrder("A1", Side::Buy, "10", "99.00");
  newOrder("A2", Side::Sell, "10", "101.00");
  newOrder("B1", Side::Buy, "10", "99.00", "ACC2");
  ack(0), ack(1), ack(2);
  setState(ScopeKind::Account, "ACC1", TradingState::Halted, true);
  ASSERT_EQ(venue.cancels.size(), 2u) << "both of ACC1's orders, not ACC2's";
  EXPECT_EQ(engine->find(kSess, ClOrdId("A1"))->status(), OrdStatus::PendingCancel);
  EXPECT_EQ(engine->find(kSess, ClOrdId("B1"))->status(), OrdStatus::New);
  venueEvent(VenueEventKind::Canceled, 0);
  EXPECT_EQ(engine->find(kSess, ClOrdId("A1"))->status(), OrdStatus::Canceled);

  newOrder("A3", Side::Buy, "1", "99.00");
  EXPECT_EQ(reports.lastEr().execType, ExecType::Rejected);
  EXPECT_NE(reports.lastEr().text.find("HALTED"), std::string::npos);
  newOrder("B2", Side::Buy, "1", "99.00", "ACC2");
  EXPECT_EQ(venue.submits.size(), 4u) << "ACC2 still trades";

  auto changes = riskEvents("STATE_CHANGE");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]->who, "ops-alice");
  EXPECT_EQ(changes[0]->reason, "test halt");
  EXPECT_EQ(changes[0]->toState, "HALTED");
}

TEST_F(KillSwitch, CancelsAreNeverBlockedWhenHalted) {
  make();
  newOrder("A1", Side::Buy, "10", "99.00");
  ack(0);
  setState(ScopeKind::Global, "", TradingState::Halted, false);
  EXPECT_TRUE(venue.cancels.empty()) << "halt without cancel leaves orders working";
  cancel("A1-C", "A1");
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingCancel);
  ASSERT_EQ(venue.cancels.size(), 1u);
}

TEST_F(KillSwitch, ReducingOnlyLetsPositionReducingOrdersThrough) {
  make();
  newOrder("L1", Side::Buy, "100", "100.00");
  ack(0);
  fill(0, "100", "100.00");  // long 100
  setState(ScopeKind::Session, kSess.str(), TradingState::Reducing, false);
  newOrder("L2", Side::Buy, "1", "100.00");
  EXPECT_EQ(reports.lastEr().execType, ExecType::Rejected);
  EXPECT_NE(reports.lastEr().text.find("REDUCE_ONLY"), std::string::npos);
  newOrder("L3", Side::Sell, "60", "100.00");
  EXPECT_EQ(venue.submits.size(), 2u);
  newOrder("L4", Side::Sell, "41", "100.00");  // 100 - 60 open - 41 < 0: would go short
  EXPECT_EQ(reports.lastEr().execType, ExecType::Rejected);
  newOrder("L5", Side::Sell, "40", "100.00");
  EXPECT_EQ(venue.submits.size(), 3u);
}

TEST_F(KillSwitch, DailyLossFromAFillHaltsTheAccountAndCancelsItsOrders) {
  cfg.defaults.dailyLossLimit = Notional::of("500");
  make();
  newOrder("D1", Side::Buy, "100", "100.00");
  ack(0);
  fill(0, "100", "100.00");
  newOrder("D2", Side::Buy, "10", "95.00");  // rests
  ack(1);
  newOrder("D3", Side::Sell, "10", "94.00");
  ack(2);
  fill(2, "10", "94.00");  // realised -60, 90 marked at 94: -540 => -600
  EXPECT_EQ(risk->tradingState(ScopeKind::Account, "ACC1"), TradingState::Halted);
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(venue.cancels[0].childId, venue.submits[1].childId);
  auto changes = riskEvents("STATE_CHANGE");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0]->who, "risk");
  auto pos = risk->position(Account("ACC1"), Symbol("AAPL"));
  ASSERT_TRUE(pos);
  EXPECT_EQ(pos->qty, Qty::of("90"));
  EXPECT_EQ(pos->realised, Notional::of("-60"));
  EXPECT_EQ(pos->unrealised, Notional::of("-540"));
}

TEST_F(KillSwitch, SelfTradeCancelRestingCancelsTheAccountsCrossingOrder) {
  cfg.defaults.selfTrade = risk::StpAction::CancelResting;
  make();
  newOrder("S1", Side::Sell, "10", "101.00");
  ack(0);
  newOrder("B1", Side::Buy, "10", "101.00");
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(venue.cancels[0].childId, venue.submits[0].childId);
  EXPECT_EQ(venue.submits.size(), 2u) << "the incoming order still goes";
  bool sawRiskCancel = false;
  for (const auto& r : journal.records)
    if (auto* e = recordIf<OrderEventRec>(&r); e && e->eventType == "RISK_CANCEL_REQUESTED")
      sawRiskCancel = e->reasonCode == "SELF_TRADE";
  EXPECT_TRUE(sawRiskCancel);
}

TEST_F(KillSwitch, SelfTradeRejectIncoming) {
  cfg.defaults.selfTrade = risk::StpAction::RejectIncoming;
  make();
  newOrder("S1", Side::Sell, "10", "101.00");
  newOrder("B1", Side::Buy, "10", "101.00");
  EXPECT_EQ(reports.lastEr().execType, ExecType::Rejected);
  EXPECT_NE(reports.lastEr().text.find("SELF_TRADE"), std::string::npos);
  EXPECT_EQ(venue.submits.size(), 1u);
}

TEST_F(KillSwitch, RoundingToTickChangesWhatGoesToTheVenue) {
  cfg.instruments[Symbol("AAPL")] = risk::InstrumentRiskRules{true, false};
  make();
  newOrder("R1", Side::Buy, "10", "99.005");
  ASSERT_EQ(venue.submits.size(), 1u);
  EXPECT_EQ(*venue.submits[0].price, Price::of("99.00"));
  EXPECT_EQ(*engine->find(kSess, ClOrdId("R1"))->price, Price::of("99.00"));
}

TEST_F(KillSwitch, ReplaceThatGrowsOverTheLimitGetsACancelReject) {
  cfg.defaults.maxLongQty = Qty::of("100");
  make();
  newOrder("G1", Side::Buy, "60", "100.00");
  ack(0);
  replace("G2", "G1", "100", "100.00");  // exactly at the limit
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingReplace);
  VenueEvent e;
  e.kind = VenueEventKind::Replaced;
  e.venue = VenueId("SIM");
  e.childId = venue.submits[0].childId;
  e.newQty = Qty::of("100");
  engine->onVenueEvent(e);
  run();
  EXPECT_EQ(risk->position(Account("ACC1"), Symbol("AAPL"))->openBuyQty, Qty::of("100"));
  replace("G3", "G2", "101", "100.00");
  const auto& cr = std::get<CancelReject>(reports.all.back());
  EXPECT_TRUE(cr.responseToReplace);
  EXPECT_NE(cr.text.find("MAX_LONG_POSITION"), std::string::npos);
}

TEST_F(KillSwitch, TerminalOrdersStopCountingAsOpen) {
  cfg.defaults.maxOpenOrders = 1;
  make();
  newOrder("O1", Side::Buy, "10", "99.00");
  ack(0);
  newOrder("O2", Side::Buy, "10", "99.00");
  EXPECT_NE(reports.lastEr().text.find("MAX_OPEN_ORDERS"), std::string::npos);
  fill(0, "10", "99.00");  // O1 filled: no longer open
  newOrder("O3", Side::Buy, "10", "99.00");
  EXPECT_EQ(venue.submits.size(), 2u);
  venueEvent(VenueEventKind::Rejected, 1);  // the venue refuses O3: closed too
  newOrder("O4", Side::Buy, "10", "99.00");
  EXPECT_EQ(venue.submits.size(), 3u);
}
