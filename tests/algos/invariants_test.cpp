// Every algorithm under a long seeded storm of events (time, trades, partial
// fills, rejects, venue cancels, replaces up and down, disconnects, resumes,
// and finally a parent cancel): live children never exceed the leaves (checked
// after every event), every child respects the lot, the limit and MinQty, and
// the parent is reported done exactly once, only when no child is live.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/algos/algo_test_util.h"

namespace fixgw::algos {
namespace {

using namespace testing;

struct Storm {
  Strategy strategy;
  uint64_t seed;
};

std::string stormName(const ::testing::TestParamInfo<Storm>& info) {
  return std::string(toString(info.param.strategy)) + "_seed" + std::to_string(info.param.seed);
}

class InvariantStorm : public AlgoScenario, public ::testing::WithParamInterface<Storm> {
 protected:
  AlgoParams paramsFor(Strategy s, std::mt19937_64& rng) const {
    AlgoParams p;
    p.strategy = s;
    p.start = at(kStart);
    p.end = at("20261203-18:00:00");
    p.limit = Price::of("100.05");
    p.minQty = Qty::of("5");
    p.venues = {VenueId("SIM"), VenueId("IBKR"), VenueId("IBFIX")};
    // Pausing keeps the storm going (retry runs out of venues after three
    // rejects and finish ends it: both are in runner_test.cpp).
    p.onReject = Policy::Pause;
    p.onDisconnect = rng() % 2 ? Policy::Pause : Policy::RetryElsewhere;
    p.seed = rng();
    p.randomizeSize = Ratio::of("0.2");
    switch (s) {
      case Strategy::Twap:
        p.randomizeTime = Ratio::of("0.5");
        break;
      case Strategy::Vwap:
        p.volumeProfile = {{0, 1}, {14 * 60 + 10, 4}, {14 * 60 + 20, 2}};
        break;
      case Strategy::Pov:
        p.end = 0;
        p.participationRate = Ratio::of("0.3");
        p.minSlice = Qty::of("10");
        p.maxAhead = Qty::of("20");
        break;
      case Strategy::Iceberg:
        p.end = 0;
        p.displayQty = Qty::of("90");
        break;
      case Strategy::Sor:  // not in the storm: SOR parents are tested in tests/router/*sor*
        break;
    }
    return p;
  }
};

TEST_P(InvariantStorm, TheParentRulesHoldForEveryAlgorithm) {
  std::mt19937_64 rng(GetParam().seed);
  AlgoParams params = paramsFor(GetParam().strategy, rng);
  run(params, "1000");
  auto pick = [&]() -> const LiveChild* {
    const auto& live = runner->live();
    return live.empty() ? nullptr : &live[rng() % live.size()];
  };
  for (int step = 0; step < 3000 && host.doneCount == 0; ++step) {
    const int e = static_cast<int>(rng() % 100);
    if (e < 20) {
      advanceBy(static_cast<int64_t>(rng() % 30) * kSecond);
    } else if (e < 40) {
      trade(std::to_string(1 + rng() % 300).c_str());
    } else if (e < 70) {
      if (const LiveChild* c = pick()) {
        const int64_t open = c->open().mantissa() / kOne;
        const int64_t q = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(open));
        fill(c->id, std::to_string(q).c_str(), "100.01");
      }
    } else if (e < 72) {
      if (const LiveChild* c = pick()) rejectChild(c->id, "storm reject");
    } else if (e < 82) {
      if (const LiveChild* c = pick()) {
        runner->onChildCanceled(c->id);
        checkInvariant();
      }
    } else if (e < 85) {
      const int64_t cum = runner->cum().mantissa() / kOne;
      const int64_t q = cum + 1 + static_cast<int64_t>(rng() % 1500);
      const bool finishing = runner->state() == AlgoRunner::State::Finishing;
      auto err = runner->replace(params, Qty::fromInt(q));
      // On its way out (a policy finished it) a replace is refused; else it is taken.
      EXPECT_EQ(err.has_value(), finishing) << (err ? err->text : std::string());
      checkInvariant();
    } else if (e < 86) {
      runner->onVenueDisconnected(VenueId(rng() % 2 ? "SIM" : "IBKR"));
      checkInvariant();
    } else if (e < 92) {
      runner->onVenueReconnected(VenueId("SIM"));
      runner->onVenueReconnected(VenueId("IBKR"));
      runner->resume();
      checkInvariant();
    } else {
      confirmCancels();
      host.cancels.clear();
    }
    ASSERT_LE(host.doneCount, 1);
  }
  EXPECT_GE(host.sent.size(), 10u) << "the storm should have kept the algorithm busy";
  runner->cancel();
  for (int i = 0; i < 5 && host.doneCount == 0; ++i) {
    for (const auto& c : std::vector<LiveChild>(runner->live())) runner->onChildCanceled(c.id);
  }
  EXPECT_EQ(host.doneCount, 1);
  EXPECT_TRUE(runner->live().empty());
  for (const auto& s : host.sent) {
    EXPECT_TRUE(s.order.qty.isPositive());
    EXPECT_TRUE(s.order.qty.isMultipleOf(Qty::of("1")));
    ASSERT_TRUE(s.order.limit);
    EXPECT_LE(*s.order.limit, Price::of("100.05"));
    EXPECT_FALSE(s.order.reason.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, InvariantStorm,
                         ::testing::Values(Storm{Strategy::Twap, 1}, Storm{Strategy::Twap, 2},
                                           Storm{Strategy::Vwap, 3}, Storm{Strategy::Vwap, 4},
                                           Storm{Strategy::Pov, 5}, Storm{Strategy::Pov, 6},
                                           Storm{Strategy::Iceberg, 7},
                                           Storm{Strategy::Iceberg, 8}),
                         stormName);

}  // namespace
}  // namespace fixgw::algos
