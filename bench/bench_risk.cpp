// Microbenchmark of the full pre-trade check chain for one order, with the
// shipped defaults' 20+ rules configured (order, account and flow level) and
// an account that already has positions and resting orders in several
// symbols, so the exposure / credit / daily-loss sums and self-trade scan do
// real work. Results: docs/performance.md, section "Risk check chain".
//
//   bench_risk --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "risk/risk.h"

using namespace fixgw;
using namespace fixgw::risk;

namespace {

struct Setup {
  InstrumentMaster m;
  ManualClock clock;
  std::unique_ptr<RiskEngine> risk;
  OrderIntent order;

  // derivatives: every instrument is a swap with contract size 0.01, so each
  // notional, exposure and P&L sum also scales by the contract size.
  explicit Setup(bool derivatives = false) {
    const char* syms[] = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "JPM"};
    for (const char* s : syms) {
      Instrument i;
      i.symbol = Symbol(s);
      i.tickSize = Price::of("0.01");
      i.lotSize = Qty::of("1");
      i.referencePrice = Price::of("100.00");
      if (derivatives) {
        i.contractSize = Qty::of("0.01");
        i.marginMode = "cross";
      }
      m.add(i);
    }
    RiskConfig c;
    RiskLimits& l = c.defaults;
    l.maxOrderQty = Qty::of("1000000");
    l.maxNotional = Notional::of("10000000");
    l.minOrderQty = Qty::of("1");
    l.minNotional = Notional::of("1");
    l.priceBandPct = Price::of("10");
    l.priceBandTicks = 2000;
    l.allowedTifs = 0x0F;
    l.allowedOrdTypes = 0x03;
    l.maxOpenOrders = 1000;
    l.maxLongQty = Qty::of("5000000");
    l.maxShortQty = Qty::of("5000000");
    l.maxGrossExposure = Notional::of("500000000");
    l.maxNetExposure = Notional::of("250000000");
    l.creditLimit = Notional::of("500000000");
    l.dailyLossLimit = Notional::of("1000000");
    l.maxOrdersPerSec = 1'000'000;
    l.duplicateAction = RuleAction::Warn;
    l.selfTrade = StpAction::RejectIncoming;
    c.sessionDefaults.maxOrdersPerSec = 1'000'000;
    c.restrictedSymbols.insert(Symbol("XXXX"));
    risk = std::make_unique<RiskEngine>(c, m, clock);
    // A working account: positions and resting orders across its symbols.
    int n = 0;
    for (const char* s : syms) {
      OrderIntent o;
      o.account = Account("DESK1");
      o.symbol = Symbol(s);
      o.session = SessionKey("FIX.4.4:FIXGW->CLIENT1");
      o.qty = Qty::of("100");
      o.side = Side::Buy;
      o.price = Price::of("99.00");
      risk->onOrderOpen(OrderId(std::string("R").append(std::to_string(++n))), o);
      o.side = Side::Sell;
      o.price = Price::of("101.00");
      risk->onOrderOpen(OrderId(std::string("R").append(std::to_string(++n))), o);
      risk->onFill(OrderId("F"), o.account, o.symbol, Side::Buy, Qty::of("500"),
                   Price::of("100.00"), clock.wallNow());
    }
    order.account = Account("DESK1");
    order.symbol = Symbol("MSFT");
    order.session = SessionKey("FIX.4.4:FIXGW->CLIENT1");
    order.side = Side::Buy;
    order.qty = Qty::of("100");
    order.price = Price::of("100.50");
    order.clOrdId = ClOrdId("C1");
    order.orderId = OrderId("O1");
  }
};

void BM_RiskCheckChain(benchmark::State& state) {
  Setup s(state.range(0) != 0);
  if (s.risk->rulesConfigured(s.order.account) < 20) state.SkipWithError("fewer than 20 rules");
  int64_t i = 0;
  for (auto _ : state) {
    // Vary the quantity so the duplicate-order rule never fires (it would only warn).
    s.order.qty = Qty::fromInt(100 + (i++ & 1023));
    s.clock.advance(1000);  // 1 µs between orders: the throttles stay far from their limit
    RiskDecision d = s.risk->checkNew(s.order);
    if (!d.accepted) {
      state.SkipWithError(d.text.c_str());
      break;
    }
    benchmark::DoNotOptimize(d);
  }
  state.counters["rules"] = s.risk->rulesConfigured(s.order.account);
}
// Arg 0: cash instruments; 1: swaps with contract size 0.01 (issue 12).
BENCHMARK(BM_RiskCheckChain)->ArgName("derivatives")->Arg(0)->Arg(1);

// Per-call latency: each check timed on its own (steady_clock, ~20 ns of its
// own overhead included), reported as p50 / p99 / p99.9 in ns.
void BM_RiskCheckChainLatency(benchmark::State& state) {
  Setup s;
  std::vector<int64_t> ns;
  ns.reserve(1 << 22);
  int64_t i = 0;
  for (auto _ : state) {
    s.order.qty = Qty::fromInt(100 + (i++ & 1023));
    s.clock.advance(1000);
    auto t0 = std::chrono::steady_clock::now();
    RiskDecision d = s.risk->checkNew(s.order);
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(d);
    if (ns.size() < ns.capacity())
      ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  }
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) {
    return static_cast<double>(ns[static_cast<size_t>(p * (ns.size() - 1))]);
  };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
}
BENCHMARK(BM_RiskCheckChainLatency);

void BM_RiskCheckReject(benchmark::State& state) {
  Setup s;
  s.order.qty = Qty::of("2000000");  // MAX_ORDER_QTY: the reject path builds its Text
  for (auto _ : state) {
    s.clock.advance(1000);
    RiskDecision d = s.risk->checkNew(s.order);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_RiskCheckReject);

void BM_RiskOnFill(benchmark::State& state) {
  Setup s(state.range(0) != 0);
  for (auto _ : state) {
    s.risk->onFill(OrderId("R1"), s.order.account, s.order.symbol, Side::Buy, Qty::of("1"),
                   Price::of("100.00"), s.clock.wallNow());
  }
}
BENCHMARK(BM_RiskOnFill)->ArgName("derivatives")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
