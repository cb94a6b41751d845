// Microbenchmarks of the execution algorithms (algos/): the cost of one slice
// decision (a timer or a trade in, the schedule worked out, a child request
// with its reason text out) and of rolling one child fill up into the parent.
// A minimal host stands in for the router: it hands out child ids and keeps
// nothing. Results and the command: docs/algos.md, "Cost".
//
//   bench_algos --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "algos/algo.h"

using namespace fixgw;
using namespace fixgw::algos;

namespace {

constexpr WallNanos kStart = 1'796'306'400'000'000'000LL;  // 2026-12-03 14:00:00 UTC
constexpr int64_t kSecond = 1'000'000'000;

class BenchHost final : public AlgoHost {
 public:
  WallNanos now() const override { return clock; }
  void setTimer(WallNanos at) override { timer = at; }
  SendResult sendChild(const ChildOrder& c) override {
    SendResult r;
    std::string id = "C";
    id += std::to_string(++n);
    r.id = ChildOrderId(std::move(id));
    last = r.id;
    lastQty = c.qty;
    benchmark::DoNotOptimize(c.reason.data());
    return r;
  }
  void cancelChild(const ChildOrderId&) override {}
  bool venueHasNativeDisplay(const std::optional<VenueId>&) const override { return native; }
  void onParentDone(ParentOutcome, const std::string&) override { done = true; }

  WallNanos clock = kStart;
  WallNanos timer = 0;
  uint64_t n = 0;
  ChildOrderId last;
  Qty lastQty;
  bool native = false;
  bool done = false;
};

ParentOrder bigParent() {
  ParentOrder p;
  p.orderId = OrderId("P1");
  p.symbol = Symbol("AAPL");
  p.qty = Qty::fromInt(1'000'000'000);  // never runs out within a run
  return p;
}

// TWAP over a year in one-second slices: each iteration fires the next slice
// timer (one decision and one child sent), then fills that child so the next
// decision starts from the same shape (one roll-up included).
void BM_TwapSliceDecision(benchmark::State& state) {
  BenchHost host;
  AlgoParams p;
  p.strategy = Strategy::Twap;
  p.start = kStart;
  p.end = kStart + 365LL * 86'400 * kSecond;
  p.sliceIntervalNanos = kSecond;
  p.limit = Price::of("100.05");
  p.randomizeSize = Ratio::of(state.range(0) ? "0.2" : "0");
  p.seed = 1;
  auto r = AlgoRunner::create(bigParent(), p, host, nullptr);
  r->start();
  const Price px = Price::of("100.00");
  for (auto _ : state) {
    host.clock = host.timer;
    r->onTimer();
    r->onChildFill(host.last, host.lastQty, px);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "randomised sizes" : "even sizes");
}
BENCHMARK(BM_TwapSliceDecision)->Arg(0)->Arg(1);

// A VWAP slice with a 48-bucket (half-hour) volume profile.
void BM_VwapSliceDecision(benchmark::State& state) {
  BenchHost host;
  AlgoParams p;
  p.strategy = Strategy::Vwap;
  p.start = kStart;
  p.end = kStart + 365LL * 86'400 * kSecond;
  p.sliceIntervalNanos = kSecond;
  for (int m = 0; m < 1440; m += 30) p.volumeProfile.push_back(ProfileBucket{m, 1 + m % 7});
  auto r = AlgoRunner::create(bigParent(), p, host, nullptr);
  r->start();
  const Price px = Price::of("100.00");
  for (auto _ : state) {
    host.clock = host.timer;
    r->onTimer();
    r->onChildFill(host.last, host.lastQty, px);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VwapSliceDecision);

// POV at 10%: each trade of 10 makes one child of 1 (a decision and a send),
// which is then filled.
void BM_PovTradeDecision(benchmark::State& state) {
  BenchHost host;
  AlgoParams p;
  p.strategy = Strategy::Pov;
  p.start = kStart;
  p.participationRate = Ratio::of("0.1");
  auto r = AlgoRunner::create(bigParent(), p, host, nullptr);
  r->start();
  Trade t;
  t.symbol = Symbol("AAPL");
  t.qty = Qty::fromInt(10);
  t.price = Price::of("100.00");
  for (auto _ : state) {
    r->onTrade(t);
    r->onChildFill(host.last, host.lastQty, t.price);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PovTradeDecision);

// One partial fill of a live child rolled up into the parent (cum, average
// price, the child's open qty) and offered to the algorithm, which has
// nothing to do (an iceberg whose venue shows the floor itself).
void BM_ChildFillRollup(benchmark::State& state) {
  BenchHost host;
  host.native = true;
  AlgoParams p;
  p.strategy = Strategy::Iceberg;
  p.start = kStart;
  p.displayQty = Qty::fromInt(100);
  auto r = AlgoRunner::create(bigParent(), p, host, nullptr);
  r->start();
  const ChildOrderId child = host.last;
  const Qty one = Qty::fromInt(1);
  const Price px = Price::of("100.00");
  for (auto _ : state) r->onChildFill(child, one, px);
  benchmark::DoNotOptimize(r->avgPx());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChildFillRollup);

// Converting and validating an algo order's FIX fields.
void BM_ParseAlgoParams(benchmark::State& state) {
  AlgoFixFields f;
  f.targetStrategy = "TWAP";
  f.effectiveTime = "20261203-14:00:00";
  f.expireTime = "20261203-15:00:00.000";
  f.price = "100.05";
  f.noStrategyParameters = 3;
  f.strategyParameters = {
      {"SliceInterval", "1", "30"}, {"RandomizeSize", "11", "0.2"}, {"Venues", "14", "SIM,IBKR"}};
  for (auto _ : state) {
    auto r = parseAlgoParams(f, Qty::fromInt(1000), kStart);
    benchmark::DoNotOptimize(r.params);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAlgoParams);

}  // namespace

BENCHMARK_MAIN();
