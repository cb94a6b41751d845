// What metrics recording costs one order (core/metrics.h): every record the
// gateway makes for an order that is acknowledged and filled, done the way
// the real hooks do it (apps/gateway.cpp FixMessageTap and ReportRelay,
// router/engine.cpp metrics*), including their clock reads. Compare with the
// gateway's CPU per order in docs/performance.md (~65 µs): the budget is 1%.
//
//   FIXGW_JOBS=2 bash scripts/build.sh bench_metrics && build/bench/bench_metrics
#include <benchmark/benchmark.h>

#include <string>
#include <thread>

#include "core/clock.h"
#include "core/metrics.h"

namespace {

using fixgw::SystemClock;
namespace m = fixgw::metrics;

const std::string kSession = "FIX.4.4:FIXGW->CLIENT1";
const std::string kVenue = "SIM";

// The per-order sequence: NewOrderSingle in, risk check timed, child sent
// and acknowledged by the venue (round trip), ExecutionReport New out (ack
// latency, outcome), a fill from the venue and its ExecutionReport out
// (outcome filled), the FIX message counters for the three messages.
void recordOneOrder(m::GatewayMetrics& g, const SystemClock& clock) {
  // FixMessageTap: 35=D in.
  {
    auto& s = g.sessions.get(kSession);
    s.messagesIn.inc();
    s.lastInWallNanos.set(m::coarseWallNanos());
  }
  const auto received = clock.wallNow();  // the acceptor stamps it anyway; counted here
  // Engine: risk check timed, child sent.
  const auto t0 = clock.monoNow();
  g.riskCheck.observe(clock.monoNow() - t0);
  const auto sentAt = clock.monoNow();
  // Engine: venue ack (metricsVenueEvent).
  {
    auto& v = g.venues.get(kVenue);
    v.lastEventWallNanos.set(m::coarseWallNanos());
    const auto rtt = clock.monoNow() - sentAt;
    v.roundTrip.observe(rtt);
    v.lastRoundTripNanos.set(rtt);
  }
  // ReportRelay: ack latency and outcome (counter pointer cached).
  static m::Counter& accepted = g.ordersByOutcome.get("accepted");
  static m::Counter& filled = g.ordersByOutcome.get("filled");
  g.ackLatency.observe(clock.wallNow() - received);
  accepted.inc();
  // FixMessageTap: 35=8 New out.
  {
    auto& s = g.sessions.get(kSession);
    s.messagesOut.inc();
    s.lastOutWallNanos.set(m::coarseWallNanos());
  }
  // Engine: the fill (metricsVenueEvent, no round trip).
  g.venues.get(kVenue).lastEventWallNanos.set(m::coarseWallNanos());
  // ReportRelay: filled; FixMessageTap: 35=8 Trade out.
  filled.inc();
  {
    auto& s = g.sessions.get(kSession);
    s.messagesOut.inc();
    s.lastOutWallNanos.set(m::coarseWallNanos());
  }
}

void BM_MetricsPerOrder(benchmark::State& state) {
  auto& g = m::gateway();
  // Other sessions and venues configured, so label lookups scan a realistic table.
  for (int i = 0; i < 5; ++i) g.sessions.get("FIX.4.4:FIXGW->OTHER" + std::to_string(i));
  const auto& clock = SystemClock::instance();
  for (auto _ : state) recordOneOrder(g, clock);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsPerOrder);
// Two threads recording at once (FIX session thread + engine thread share
// the same cache lines in the real gateway).
BENCHMARK(BM_MetricsPerOrder)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  m::Histogram h;
  int64_t v = 1234;
  for (auto _ : state) {
    h.observe(v);
    v = (v * 7 + 13) % 20'000'000;
  }
}
BENCHMARK(BM_HistogramObserve);

void BM_FamilyLookup(benchmark::State& state) {
  auto& f = m::gateway().rejectsByReason;
  for (int i = 0; i < 20; ++i) f.get("RULE_" + std::to_string(i));
  const std::string rule = "RULE_19";
  for (auto _ : state) f.get(rule).inc();
}
BENCHMARK(BM_FamilyLookup);

void BM_RenderPrometheus(benchmark::State& state) {
  auto& g = m::gateway();
  for (auto _ : state) benchmark::DoNotOptimize(g.render());
}
BENCHMARK(BM_RenderPrometheus);

}  // namespace

BENCHMARK_MAIN();
