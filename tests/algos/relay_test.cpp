// The market-data path an algo parent will use in the engine: the simulator
// venue publishes, MarketDataRelay posts to the engine loop, the attached
// runner decides. One hand-run loop stands for the engine thread (the
// simulator shares it), so every step is deterministic.
#include <gtest/gtest.h>

#include <memory>

#include "algos/market_data_relay.h"
#include "core/executor.h"
#include "tests/algos/algo_test_util.h"
#include "tests/sim/sim_test_util.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw::algos {
namespace {

using testing::at;

class NoEvents final : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent) override {}
};

class RelayFromSimulator : public ::testing::Test {
 protected:
  RelayFromSimulator() {
    sim::SimConfig cfg;
    cfg.stepIntervalNanos = 0;
    cfg.sharedLoop = &loop;
    venue = std::make_unique<sim::SimVenue>(VenueId("SIM"), cfg, instruments, clock);
    venue->start(events);
  }
  ~RelayFromSimulator() override {
    venue->stop();
    loop.runDue();
  }
  std::unique_ptr<AlgoRunner> povRunner() {
    AlgoParams p;
    p.strategy = Strategy::Pov;
    p.start = at("20261203-14:00:00");
    p.participationRate = Ratio::of("0.1");
    ParentOrder parent;
    parent.orderId = OrderId("P1");
    parent.symbol = Symbol("AAPL");
    parent.qty = Qty::of("1000");
    auto r = AlgoRunner::create(parent, p, host, nullptr);
    r->start();
    return r;
  }

  ManualClock clock{at("20261203-14:00:00")};
  EventLoop loop{clock};
  InstrumentMaster instruments = sim::testing::productInstruments();
  NoEvents events;
  std::unique_ptr<sim::SimVenue> venue;
  testing::FakeHost host{at("20261203-14:00:00")};
  MarketDataRelay relay{loop, 60};
};

TEST_F(RelayFromSimulator, AnAttachedPovTradesOnTheSimulatorsPrints) {
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), relay, 0).ok);
  auto runner = povRunner();
  relay.attach(*runner);
  venue->submit(sim::testing::marketOrder("X1", Side::Buy, "250"));
  loop.runDue();
  // Three prints (100 at 100.01, 100 at 100.02, 50 at 100.03): a decision on each.
  ASSERT_EQ(host.sent.size(), 3u);
  EXPECT_EQ(host.sent[0].order.qty, Qty::of("10"));
  EXPECT_EQ(host.sent[1].order.qty, Qty::of("10"));
  EXPECT_EQ(host.sent[2].order.qty, Qty::of("5"));
  relay.detach(*runner);
}

TEST_F(RelayFromSimulator, ARunnerAttachedLaterGetsTheLatestBookAtOnce) {
  venue->subscribeMarketData(Symbol("AAPL"), relay, 0);
  loop.runDue();
  ASSERT_TRUE(relay.latestBook(Symbol("AAPL")));
  EXPECT_EQ(relay.latestBook(Symbol("AAPL"))->askPx, Price::of("100.01"));
  auto runner = povRunner();
  relay.attach(*runner);
  // No trade yet: the book alone sends nothing, and the detached runner hears nothing more.
  EXPECT_TRUE(host.sent.empty());
  relay.detach(*runner);
  venue->submit(sim::testing::marketOrder("X1", Side::Buy, "250"));
  loop.runDue();
  EXPECT_TRUE(host.sent.empty());
}

TEST_F(RelayFromSimulator, ItLearnsEachSymbolsVolumeProfileFromTheTrades) {
  venue->subscribeMarketData(Symbol("AAPL"), relay, 0);
  venue->submit(sim::testing::marketOrder("X1", Side::Buy, "150"));
  loop.runDue();
  auto profile = relay.learnedProfile(Symbol("AAPL"));
  ASSERT_EQ(profile.size(), 24u);
  EXPECT_EQ(profile[14].weight, 1'000'000) << "all the volume so far traded in the 14:00 hour";
  EXPECT_TRUE(relay.learnedProfile(Symbol("MSFT")).empty());
}

}  // namespace
}  // namespace fixgw::algos
