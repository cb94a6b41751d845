// Microbenchmarks of TCA's cost on the engine thread (router/tca.h): what a
// parent pays on arrival (mid lookup + accumulator) and at completion (its
// figures), what a fill and a market trade cost. 10,000 parents stay live on
// the symbol, so a trade's O(1) cost is shown against a busy book of parents.
// Results and the command: docs/performance.md, "TCA".
//
//   bench_tca --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "router/tca.h"

using namespace fixgw;
using namespace fixgw::router;

namespace {

const Symbol kSym("AAPL");
const VenueId kVenue("SIM");

std::vector<OrderId> ids(size_t n) {
  std::vector<OrderId> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.emplace_back("o-" + std::to_string(i));
  return v;
}

void seed(TcaTracker& t, size_t live) {
  TopOfBook b;
  b.venue = kVenue;
  b.symbol = kSym;
  b.bidPx = Price::of("99.99");
  b.askPx = Price::of("100.01");
  t.onBook(b);
  for (const OrderId& id : ids(live))
    t.start(OrderId("live-" + id.str()), kSym, Side::Buy, 0, t.mid(kVenue, kSym),
            ArrivalSource::Mid);
}

// One parent's life: arrival (mid lookup + accumulator), one fill, completion.
void BM_TcaParentArrivalFillCompletion(benchmark::State& state) {
  TcaTracker t;
  seed(t, 10'000);
  const auto idv = ids(1024);
  size_t i = 0;
  for (auto _ : state) {
    const OrderId& id = idv[i++ & 1023];
    auto mid = t.mid(kVenue, kSym);
    t.start(id, kSym, Side::Buy, 0, mid, ArrivalSource::Mid)
        .onFill(kVenue, Qty::of("100"), Price::of("100.01"), std::nullopt, {});
    auto r = t.finish(id, kSym, Qty::of("100"), 0);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TcaParentArrivalFillCompletion);

void BM_TcaFill(benchmark::State& state) {
  TcaTracker t;
  seed(t, 10'000);
  const OrderId id("p");
  t.start(id, kSym, Side::Buy, 0, Price::of("100"), ArrivalSource::Mid);
  const Qty fee = Qty::of("0.01");
  const std::string usd = "USD";
  for (auto _ : state) {
    TcaAccumulator* a = t.find(id);
    a->onFill(kVenue, Qty::of("1"), Price::of("100.01"), fee, usd);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_TcaFill);

// A market trade with 10,000 parents live on its symbol.
void BM_TcaMarketTrade(benchmark::State& state) {
  TcaTracker t;
  seed(t, 10'000);
  Trade tr;
  tr.venue = kVenue;
  tr.symbol = kSym;
  tr.price = Price::of("100");
  tr.qty = Qty::of("5");
  for (auto _ : state) t.onTrade(tr);
  benchmark::DoNotOptimize(t.totals(kSym));
}
BENCHMARK(BM_TcaMarketTrade);

void BM_TcaBook(benchmark::State& state) {
  TcaTracker t;
  TopOfBook b;
  b.venue = kVenue;
  b.symbol = kSym;
  b.bidPx = Price::of("99.99");
  b.askPx = Price::of("100.01");
  for (auto _ : state) t.onBook(b);
  benchmark::DoNotOptimize(t.mid(kVenue, kSym));
}
BENCHMARK(BM_TcaBook);

}  // namespace

BENCHMARK_MAIN();
