// Microbenchmarks of smart order routing (algos/sor.h): the cost of one SOR
// decision — every venue's depth walked, levels ranked by all-in price, the
// allocation rounded to lots, the resting venue chosen and every reason text
// built — for a few book shapes; and one decision through the SOR strategy
// under an AlgoRunner (decision + one IOC child request per venue + their
// fills rolled up). A minimal host stands in for the router.
// Results and the command: docs/performance.md, "Smart order routing".
//
//   bench_sor --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "algos/algo.h"
#include "algos/sor.h"

using namespace fixgw;
using namespace fixgw::algos;

namespace {

// `venues` venues with `levels` ask levels of 100 each, one tick apart, each
// venue's book a tick higher and its taker fee 0.5 bps higher than the last.
std::vector<SorVenue> books(int venues, int levels) {
  std::vector<SorVenue> out;
  for (int v = 0; v < venues; ++v) {
    SorVenue s;
    s.venue = VenueId("V" + std::to_string(v));
    TopOfBook b;
    b.venue = s.venue;
    b.symbol = Symbol("AAPL");
    for (int l = 0; l < levels; ++l)
      b.asks.push_back({Price::fromMantissa((10'000 + v + l) * 1'000'000), Qty::fromInt(100)});
    b.bids.push_back({Price::fromMantissa((9'990 - v) * 1'000'000), Qty::fromInt(100)});
    b.askPx = b.asks[0].price;
    b.askQty = b.asks[0].qty;
    b.bidPx = b.bids[0].price;
    b.bidQty = b.bids[0].qty;
    s.book = std::move(b);
    s.fees.taker = Bps::fromMantissa(v * 50'000'000);
    s.fees.maker = Bps::fromMantissa(-v * 10'000'000);
    s.health.ackLatencyMicros = 100 * v;
    out.push_back(std::move(s));
  }
  return out;
}

// Args: venues, levels per venue, order qty (shares).
void BM_SorDecision(benchmark::State& st) {
  const auto venues = books(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  SorRequest r;
  r.side = Side::Buy;
  r.qty = Qty::fromInt(st.range(2));
  r.limit = Price::fromMantissa(10'100 * 1'000'000);  // 101.00: every level is within it
  for (auto _ : st) {
    SorDecision d = decideSor(r, venues);
    benchmark::DoNotOptimize(d.allocated);
  }
}
BENCHMARK(BM_SorDecision)->Args({2, 5, 300})->Args({3, 5, 1000})->Args({8, 10, 5000});

class BenchHost final : public AlgoHost {
 public:
  WallNanos now() const override { return 1; }
  void setTimer(WallNanos) override {}
  SendResult sendChild(const ChildOrder& c) override {
    SendResult r;
    r.id = ChildOrderId("C" + std::to_string(++n));
    sent.push_back({r.id, c.qty, *c.limit});
    return r;
  }
  void cancelChild(const ChildOrderId&) override {}
  void onParentDone(ParentOutcome, const std::string&) override { done = true; }
  std::vector<SorVenue> sorVenues(const Symbol&) const override { return venues; }
  struct Sent {
    ChildOrderId id;
    Qty qty;
    Price px;
  };
  std::vector<Sent> sent;
  std::vector<SorVenue> venues;
  uint64_t n = 0;
  bool done = false;
};

// One SOR parent of 1000 over 3 venues x 5 levels: the runner is created and
// started (decision, three IOC children with their reasons), then each child
// fills completely and rolls up into the parent, which finishes Filled.
void BM_SorParentSweep(benchmark::State& st) {
  BenchHost host;
  host.venues = books(3, 5);
  AlgoParams p;
  p.strategy = Strategy::Sor;
  p.start = 1;
  p.limit = Price::fromMantissa(10'100 * 1'000'000);
  ParentOrder parent;
  parent.orderId = OrderId("P1");
  parent.symbol = Symbol("AAPL");
  parent.qty = Qty::fromInt(1000);
  for (auto _ : st) {
    host.sent.clear();
    host.done = false;
    auto runner = AlgoRunner::create(parent, p, host, nullptr);
    runner->start();
    for (const auto& c : host.sent) runner->onChildFill(c.id, c.qty, c.px);
    if (!host.done) st.SkipWithError("the parent did not fill");
  }
}
BENCHMARK(BM_SorParentSweep);

}  // namespace

BENCHMARK_MAIN();
