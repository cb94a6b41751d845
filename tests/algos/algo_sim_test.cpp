// Algorithms against the simulator's real matching core (SimMarket): a small
// host plays the router's part (child requests become venue orders, venue
// events and the venue's trades come back), so the children really meet a
// price-time book. Deterministic: no threads, no random walk, time by hand.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "tests/algos/algo_test_util.h"
#include "tests/sim/sim_test_util.h"
#include "venue_adapters/sim/sim_market.h"

namespace fixgw::algos {
namespace {

using testing::at;
using testing::kMinute;

std::string name(const char* prefix, int i) {
  std::string s = prefix;  // (not prefix + to_string: GCC 12 warns -Wrestrict on that)
  s += std::to_string(i);
  return s;
}

class SimHost final : public AlgoHost {
 public:
  SimHost(sim::SimMarket& m, WallNanos start) : market(m), clock(start) {}

  WallNanos now() const override { return clock; }
  void setTimer(WallNanos t) override { timer = t; }
  SendResult sendChild(const ChildOrder& c) override {
    SendResult r;
    std::string id = "A";
    id += std::to_string(++n);
    r.id = ChildOrderId(id);
    VenueNewOrder o;
    o.childId = r.id;
    o.symbol = c.symbol;
    o.side = c.side;
    o.ordType = c.limit ? OrdType::Limit : OrdType::Market;
    o.qty = c.qty;
    o.price = c.limit;
    o.account = Account("ACC1");
    // Answers wait until sendChild has returned, as the engine's posting does.
    for (auto& e : market.submit(o, clock)) pending.push_back(std::move(e));
    return r;
  }
  void cancelChild(const ChildOrderId& id) override {
    VenueCancel c;
    c.childId = id;
    c.symbol = Symbol("AAPL");
    for (auto& e : market.cancel(c, clock)) pending.push_back(std::move(e));
  }
  void onParentDone(ParentOutcome o, const std::string& reason) override {
    outcome = o;
    outcomeReason = reason;
  }

  // Another participant's order, its trades included in the market data.
  void otherOrder(const VenueNewOrder& o) {
    for (auto& e : market.submit(o, clock)) pending.push_back(std::move(e));
  }

  // Delivers venue events (ours only) and then the trades and the book, as a
  // venue adapter and the engine would, until nothing is left.
  void pump() {
    while (!pending.empty()) {
      while (!pending.empty()) {
        VenueEvent e = std::move(pending.front());
        pending.pop_front();
        if (e.childId.str().rfind("A", 0) != 0) continue;
        switch (e.kind) {
          case VenueEventKind::Accepted:
            runner->onChildAccepted(e.childId);
            break;
          case VenueEventKind::Fill:
            fills.push_back(e);
            runner->onChildFill(e.childId, e.lastQty, e.lastPx);
            break;
          case VenueEventKind::Rejected:
            runner->onChildRejected(e.childId, e.text);
            break;
          case VenueEventKind::Canceled:
          case VenueEventKind::Expired:
            runner->onChildCanceled(e.childId);
            break;
          default:
            break;
        }
      }
      for (const Trade& t : market.takeTrades()) {
        volume += t.qty;
        runner->onTrade(t);
      }
      runner->onBook(market.topOfBook(Symbol("AAPL"), 0, clock));
    }
  }
  void advanceTo(WallNanos t) {
    while (timer && *timer <= t) {
      clock = *timer;
      timer.reset();
      runner->onTimer();
      pump();
    }
    clock = t;
  }

  sim::SimMarket& market;
  AlgoRunner* runner = nullptr;
  WallNanos clock;
  std::optional<WallNanos> timer;
  std::deque<VenueEvent> pending;
  std::vector<VenueEvent> fills;
  Qty volume;
  std::optional<ParentOutcome> outcome;
  std::string outcomeReason;
  int n = 0;
};

class AlgoOnSimulator : public ::testing::Test {
 protected:
  static constexpr const char* kStart = "20261203-14:00:00";
  AlgoOnSimulator() : host(market, at(kStart)) {}

  void run(const AlgoParams& p, const char* qty, Side side) {
    ParentOrder parent;
    parent.orderId = OrderId("P1");
    parent.symbol = Symbol("AAPL");
    parent.side = side;
    parent.qty = Qty::of(qty);
    AlgoError e;
    runner = AlgoRunner::create(parent, p, host, &e);
    ASSERT_TRUE(runner) << e.text;
    host.runner = runner.get();
    runner->start();
    host.pump();
  }
  AlgoParams twap(const char* limit) const {
    AlgoParams p;
    p.strategy = Strategy::Twap;
    p.start = at(kStart);
    p.end = at("20261203-14:05:00");
    p.limit = Price::of(limit);
    return p;
  }
  // Our resting quantity on one side of the book.
  Qty ourResting(Side side) const {
    Qty q;
    for (const auto& o : market.openOrders())
      if (o.side == side && o.childId.str().rfind("A", 0) == 0) q += o.qty - o.cumQty;
    return q;
  }

  InstrumentMaster instruments = sim::testing::productInstruments();
  sim::SimMarket market{VenueId("SIM"), sim::SimConfig{}, instruments};
  SimHost host;
  std::unique_ptr<AlgoRunner> runner;
};

TEST_F(AlgoOnSimulator, ATwapBuyFillsByItsEndWithinTheLimit) {
  // The ask side holds 100 at each of 100.01 .. 100.05 (no re-quote: no walk).
  run(twap("100.05"), "500", Side::Buy);
  host.advanceTo(at("20261203-14:04:59"));
  EXPECT_EQ(host.outcome, ParentOutcome::Filled);
  EXPECT_EQ(runner->cum(), Qty::of("500"));
  EXPECT_EQ(runner->avgPx(), Price::of("100.03"));
  for (const auto& f : host.fills) EXPECT_LE(f.lastPx, Price::of("100.05"));
}

TEST_F(AlgoOnSimulator, ATwapNeverBuysThroughItsLimit) {
  run(twap("100.02"), "500", Side::Buy);
  host.advanceTo(at("20261203-14:05:00"));
  host.pump();
  for (const auto& f : host.fills) EXPECT_LE(f.lastPx, Price::of("100.02"));
  EXPECT_EQ(runner->cum(), Qty::of("200")) << "only the two levels at or inside the limit";
  EXPECT_EQ(host.outcome, ParentOutcome::Expired);
  EXPECT_NE(host.outcomeReason.find("300 unfilled"), std::string::npos) << host.outcomeReason;
  EXPECT_TRUE(ourResting(Side::Buy).isZero()) << "its resting children were cancelled at the end";
}

TEST_F(AlgoOnSimulator, APovFollowsTheSimulatorsTradeFeed) {
  AlgoParams p;
  p.strategy = Strategy::Pov;
  p.start = at(kStart);
  p.participationRate = Ratio::of("0.25");
  p.limit = Price::of("100.05");
  run(p, "1000", Side::Buy);
  EXPECT_TRUE(host.fills.empty()) << "no market volume yet";
  for (int i = 0; i < 3; ++i) {
    host.otherOrder(sim::testing::marketOrder(name("X", i).c_str(), Side::Buy, "100"));
    host.pump();
  }
  // Ours = 25% of everything printed, its own prints included, never more.
  EXPECT_TRUE(runner->cum().isPositive());
  EXPECT_LE(runner->cum().mantissa() * 4, host.volume.mantissa());
  EXPECT_GE((runner->cum() + Qty::of("1")).mantissa() * 4,
            host.volume.mantissa() - Qty::of("3").mantissa())
      << "within a lot of the target: cum " << runner->cum().str() << ", volume "
      << host.volume.str();
}

TEST_F(AlgoOnSimulator, AnIcebergNeverShowsMoreThanItsFloor) {
  AlgoParams p;
  p.strategy = Strategy::Iceberg;
  p.start = at(kStart);
  p.displayQty = Qty::of("100");
  p.limit = Price::of("100.00");  // inside the spread: rests as the best ask
  run(p, "600", Side::Sell);
  EXPECT_EQ(ourResting(Side::Sell), Qty::of("100"));
  // Buyers of 70 each, IOC: the first takes 70 of the shown 100, the next the
  // other 30 (the rest of it expires); then 100 more are shown.
  for (int i = 0; i < 12; ++i) {
    host.otherOrder(
        sim::testing::limit(name("B", i).c_str(), Side::Buy, "70", "100.00", TimeInForce::Ioc));
    host.pump();
    EXPECT_LE(ourResting(Side::Sell), Qty::of("100")) << "after buyer " << i;
  }
  EXPECT_EQ(host.outcome, ParentOutcome::Filled);
  EXPECT_EQ(runner->cum(), Qty::of("600"));
  for (const auto& f : host.fills) EXPECT_EQ(f.lastPx, Price::of("100.00"));
}

}  // namespace
}  // namespace fixgw::algos
