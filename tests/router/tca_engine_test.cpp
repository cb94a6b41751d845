// TCA through the engine in virtual time, with the simulator on the engine's
// own loop (no thread): the simulator's book and trades reach the engine
// through its market-data port, fills through the venue events, and the
// engine journals one TcaRec per parent when it completes. Figures are worked
// by hand in the comments.
#include <gtest/gtest.h>

#include <memory>

#include "core/executor.h"
#include "core/journal.h"
#include "router/engine.h"
#include "tests/sim/sim_test_util.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw::router {
namespace {

const SessionKey kSess("FIX.4.4:FIXGW->CLIENT1");

struct NullReports final : ReportSink {
  std::vector<ClientReport> all;
  void deliver(const ClientReport& r) override { all.push_back(r); }
};

// Forwards to the simulator and counts market-data subscriptions.
struct CountingVenue final : VenueAdapter {
  explicit CountingVenue(VenueAdapter& v) : inner(v) {}
  const VenueId& id() const override { return inner.id(); }
  void start(VenueEventSink& s) override { inner.start(s); }
  void stop() override { inner.stop(); }
  void submit(const VenueNewOrder& o) override { inner.submit(o); }
  void cancel(const VenueCancel& c) override { inner.cancel(c); }
  void replace(const VenueReplace& r) override { inner.replace(r); }
  std::optional<Price> referencePrice(const Symbol& s) const override {
    return inner.referencePrice(s);
  }
  MarketDataStatus subscribeMarketData(const Symbol& s, MarketDataSink& sink,
                                       size_t depth) override {
    ++subscriptions;
    return inner.subscribeMarketData(s, sink, depth);
  }
  VenueAdapter& inner;
  int subscriptions = 0;
};

risk::RiskConfig riskCfg() {
  risk::RiskConfig c;
  c.defaults.maxOrderQty = Qty::of("1000");
  c.defaults.priceBandPct = Price::of("20");
  return c;
}

class TcaEngine : public ::testing::Test {
 protected:
  TcaEngine() {
    sim::SimConfig cfg;
    cfg.stepIntervalNanos = 0;  // the mid moves only when a test says so
    cfg.sharedLoop = &loop;
    cfg.levelQty = Qty::of("100");
    venue = std::make_unique<sim::SimVenue>(VenueId("SIM"), cfg, instruments, clock);
    counting = std::make_unique<CountingVenue>(*venue);
    engine = std::make_unique<Engine>(
        loop, clock, risk, RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
        std::map<VenueId, VenueAdapter*>{{VenueId("SIM"), counting.get()}}, journal, reports, "t");
    venue->start(*engine);
  }
  ~TcaEngine() override {
    venue->stop();
    loop.runDue();
  }

  void send(const char* clOrdId, const char* account, Side side, const char* qty, const char* px) {
    NewOrder n;
    n.hdr.session = kSess;
    n.clOrdId = ClOrdId(clOrdId);
    n.account = Account(account);
    n.symbol = Symbol("AAPL");
    n.side = side;
    n.ordType = OrdType::Limit;
    n.qty = Qty::of(qty);
    n.price = Price::of(px);
    n.hdr.receivedAt = clock.wallNow();
    engine->submit(std::move(n));
    settle();
  }
  // A TWAP parent (buy) over windowSec seconds, a slice every sliceSec.
  void twap(const char* clOrdId, const char* qty, const char* px, int windowSec, int sliceSec) {
    NewOrder n;
    n.hdr.session = kSess;
    n.hdr.receivedAt = clock.wallNow();
    n.clOrdId = ClOrdId(clOrdId);
    n.account = Account("ACC1");
    n.symbol = Symbol("AAPL");
    n.side = Side::Buy;
    n.ordType = OrdType::Limit;
    n.qty = Qty::of(qty);
    n.price = Price::of(px);
    AlgoOrderFields a;
    a.targetStrategy = "TWAP";
    a.price = px;
    a.expireTime = formatFixTimestamp(clock.wallNow() + windowSec * 1'000'000'000LL);
    a.strategyParameters.push_back({"SliceInterval", "1", std::to_string(sliceSec)});
    auto d = std::make_shared<OrderDetails>();
    d->algo = std::move(a);
    n.details = d;
    engine->submit(std::move(n));
    settle();
  }
  void cancel(const char* clOrdId, const char* orig) {
    CancelOrder c;
    c.hdr.session = kSess;
    c.clOrdId = ClOrdId(clOrdId);
    c.origClOrdId = ClOrdId(orig);
    c.symbol = Symbol("AAPL");
    engine->submit(std::move(c));
    settle();
  }
  // TCA figures are journaled a grace period after completion (the prints of
  // the last fills are on their way): let it pass in virtual time.
  void afterGrace() {
    clock.advance(1'000'000'000);
    settle();
  }
  void settle() {
    for (int i = 0; i < 20 && loop.runDue() > 0; ++i) {
    }
  }
  std::vector<TcaRec> tcas() const {
    std::vector<TcaRec> out;
    for (const auto& r : journal.records)
      if (auto* t = recordIf<TcaRec>(&r)) out.push_back(*t);
    return out;
  }
  const TcaRec* tcaOf(const char* clOrdId) const {
    const ParentOrder* p = engine->find(kSess, ClOrdId(clOrdId));
    if (!p) return nullptr;
    for (const auto& r : journal.records)
      if (auto* t = recordIf<TcaRec>(&r); t && t->orderId == p->orderId) return t;
    return nullptr;
  }

  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = sim::testing::productInstruments();
  risk::RiskEngine risk{riskCfg(), instruments};
  std::unique_ptr<sim::SimVenue> venue;
  std::unique_ptr<CountingVenue> counting;
  MemoryJournal journal;
  NullReports reports;
  std::unique_ptr<Engine> engine;
};

// The simulator quotes AAPL 99.99 / 100.01 (mid 100.00), 100 shares a level.
//
// W (ACC1 buy 1 @ 90) is the first order on AAPL: no book is known at its
// receipt, so its arrival is the venue's reference price 100.00, marked
// REFERENCE; it subscribes the book for every later order.
// P (ACC1 buy 300 @ 99.99) arrives with the book known: arrival MID 100.00.
// Q (ACC2 sell 250 @ 99.99) hits the bid: 100 @ 99.99 with the market maker
// (first in time), then 150 @ 99.99 with P.
// R (ACC2 buy 40 @ 100.01) lifts the offer: 40 @ 100.01.
// P is then canceled. Its interval: 290 traded, VWAP
// (250 * 99.99 + 40 * 100.01) / 290 = 99.99275862; P filled 150 @ 99.99:
// vs arrival (99.99 - 100) / 100 * 1e4 = -1 bps (bought below: a gain),
// vs VWAP (99.99 - 99.99275862) / 99.99275862 * 1e4 = -0.27588198 bps,
// participation 150 / 290 = 0.51724138, fill rate 150 / 300 = 0.5.
TEST_F(TcaEngine, DirectOrdersAgainstTheSimulatorsBookAndTrades) {
  send("W", "ACC1", Side::Buy, "1", "90");
  clock.advance(1'000'000'000);
  send("P", "ACC1", Side::Buy, "300", "99.99");
  clock.advance(1'000'000'000);
  send("Q", "ACC2", Side::Sell, "250", "99.99");
  clock.advance(1'000'000'000);
  send("R", "ACC2", Side::Buy, "40", "100.01");
  clock.advance(1'000'000'000);
  cancel("P-X", "P");
  cancel("W-X", "W");
  EXPECT_EQ(tcaOf("P"), nullptr) << "figures only after the print grace";
  afterGrace();

  const TcaRec* p = tcaOf("P");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->finalStatus, OrdStatus::Canceled);
  EXPECT_EQ(p->arrivalSource, "MID");
  EXPECT_EQ(p->arrivalPx, Price::of("100"));
  EXPECT_EQ(p->filledQty, Qty::of("150"));
  EXPECT_EQ(p->avgPx, Price::of("99.99"));
  EXPECT_EQ(p->marketVolume, Qty::of("290"));
  EXPECT_EQ(p->marketTrades, 3);
  EXPECT_EQ(p->intervalVwap, Price::of("99.99275862"));
  EXPECT_EQ(p->slippageArrivalBps, Bps::of("-1"));
  EXPECT_EQ(p->slippageVwapBps, Bps::of("-0.27588198"));
  EXPECT_EQ(p->participation, Ratio::of("0.51724138"));
  EXPECT_EQ(p->fillRate, Ratio::of("0.5"));
  EXPECT_EQ(p->venue, VenueId("SIM"));
  EXPECT_TRUE(p->strategy.empty());
  EXPECT_EQ(p->arrivalTime + 3'000'000'000, p->completedAt);  // completion, not the grace

  const TcaRec* w = tcaOf("W");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->arrivalSource, "REFERENCE");
  EXPECT_EQ(w->arrivalPx, Price::of("100"));
  EXPECT_EQ(w->filledQty, Qty{});
  EXPECT_FALSE(w->slippageArrivalBps);

  // Q sold 250 @ 99.99 against arrival mid 100.00: (100 - 99.99) / 100 * 1e4 = 1 bps of
  // cost. Its fills completed it before their prints reached the engine; the prints carry
  // the completion's time, so they are its interval: 250 @ 99.99, participation 1, 0 bps
  // against the VWAP.
  const TcaRec* q = tcaOf("Q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->finalStatus, OrdStatus::Filled);
  EXPECT_EQ(q->slippageArrivalBps, Bps::of("1"));
  EXPECT_EQ(q->marketVolume, Qty::of("250"));
  EXPECT_EQ(q->intervalVwap, Price::of("99.99"));
  EXPECT_EQ(q->slippageVwapBps, Bps::of("0"));
  EXPECT_EQ(q->participation, Ratio::of("1"));
  EXPECT_EQ(q->fillRate, Ratio::of("1"));
  EXPECT_EQ(w->marketVolume, Qty::of("290"));
  EXPECT_EQ(w->participation, Ratio::of("0"));
  EXPECT_EQ(tcas().size(), 4u);  // W, P, Q, R: one row each
  EXPECT_EQ(engine->tca().live(), 0u);
}

// A TWAP parent: two slices of 100 lift the simulator's offer, ten seconds
// apart. Its own prints are the only trades in its interval, so the interval
// VWAP is its average price (0 bps against it) and it took all of the volume.
// Against the arrival mid of 100.00 it paid (avg - 100) / 100 * 1e4.
TEST_F(TcaEngine, TwapParentAgainstArrivalAndItsInterval) {
  send("W", "ACC1", Side::Buy, "1", "90");  // subscribes the book: the TWAP arrives at a mid
  clock.advance(1'000'000'000);
  twap("T", "200", "100.05", 20, 10);
  for (int i = 0; i < 3; ++i) {
    clock.advance(10'000'000'000);
    settle();
  }
  const ParentOrder* p = engine->find(kSess, ClOrdId("T"));
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->status(), OrdStatus::Filled);
  ASSERT_EQ(p->children.size(), 2u);
  const TcaRec* t = tcaOf("T");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->strategy, "TWAP");
  EXPECT_EQ(t->arrivalSource, "MID");
  EXPECT_EQ(t->arrivalPx, Price::of("100"));
  EXPECT_EQ(t->filledQty, Qty::of("200"));
  EXPECT_EQ(t->avgPx, p->avgPx);
  EXPECT_GE(p->avgPx, Price::of("100.01"));  // at least the best offer
  EXPECT_EQ(t->marketVolume, Qty::of("200"));
  EXPECT_EQ(t->marketTrades, 2);
  EXPECT_EQ(t->intervalVwap, p->avgPx);
  EXPECT_EQ(t->slippageVwapBps, Bps::of("0"));
  EXPECT_EQ(t->participation, Ratio::of("1"));
  EXPECT_EQ(t->slippageArrivalBps, slippageBps(Side::Buy, p->avgPx, Price::of("100")));
  EXPECT_TRUE(t->slippageArrivalBps->isPositive());  // bought above the mid: a cost
  EXPECT_EQ(t->completedAt - t->arrivalTime, 10'000'000'000);
}

// At shutdown the parents still in their print grace are journaled at once
// (the gateway calls flushTca on the engine thread before it stops), once.
TEST_F(TcaEngine, FlushJournalsParentsStillInTheirGrace) {
  send("F1", "ACC1", Side::Buy, "1", "90");
  cancel("F1-X", "F1");
  EXPECT_EQ(tcaOf("F1"), nullptr);
  engine->flushTca();
  ASSERT_NE(tcaOf("F1"), nullptr);
  EXPECT_EQ(tcaOf("F1")->finalStatus, OrdStatus::Canceled);
  afterGrace();  // the grace timer finds nothing left to write
  EXPECT_EQ(tcas().size(), 1u);
}

// A direct order on a symbol already subscribed pays no second subscription:
// the book of the first order serves the next ones.
TEST_F(TcaEngine, OneSubscriptionPerVenueAndSymbol) {
  send("A1", "ACC1", Side::Buy, "1", "90");
  EXPECT_EQ(counting->subscriptions, 1);
  send("A2", "ACC1", Side::Buy, "1", "90");
  send("A3", "ACC1", Side::Buy, "1", "90");
  cancel("A2-X", "A2");
  cancel("A3-X", "A3");
  afterGrace();
  ASSERT_NE(tcaOf("A2"), nullptr);
  EXPECT_EQ(tcaOf("A2")->arrivalSource, "MID");
  EXPECT_EQ(tcaOf("A3")->arrivalSource, "MID");
  EXPECT_EQ(counting->subscriptions, 1);
  EXPECT_EQ(engine->tca().live(), 1u);  // A1 still works
}

// With the subscription for direct orders off, a direct order only reads
// books someone else subscribed: here none, so the reference price.
TEST_F(TcaEngine, WithoutSubscriptionsDirectOrdersUseTheReferencePrice) {
  engine->setTcaMarketData(false);
  send("B1", "ACC1", Side::Buy, "1", "90");
  send("B2", "ACC1", Side::Buy, "1", "90");
  cancel("B2-X", "B2");
  afterGrace();
  EXPECT_EQ(counting->subscriptions, 0);
  ASSERT_NE(tcaOf("B2"), nullptr);
  EXPECT_EQ(tcaOf("B2")->arrivalSource, "REFERENCE");
  EXPECT_EQ(tcaOf("B2")->arrivalPx, Price::of("100"));
}

}  // namespace
}  // namespace fixgw::router
