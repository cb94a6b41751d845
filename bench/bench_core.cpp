// bench_core: Google Benchmark microbenchmarks of the core value types on the
// order path (fixgw::Price / fixgw::Qty parse and format, core/fixed.h).
//
// Thread-safety: single-threaded benchmark bodies, no shared state.
#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <string_view>

#include "core/fixed.h"

namespace {

// Inputs shaped like what arrives in FIX tags 44/38 and venue JSON.
constexpr std::array<std::string_view, 6> kPrices = {"90",     "100.25",       "60000.5",
                                                     "0.0001", "12345.678901", "0.00000001"};
constexpr std::array<std::string_view, 4> kQtys = {"1", "100", "0.5", "1234.56789012"};

void BM_PriceParse(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto p = fixgw::Price::parse(kPrices[i++ % kPrices.size()]);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_PriceParse);

void BM_QtyParse(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto q = fixgw::Qty::parse(kQtys[i++ % kQtys.size()]);
    benchmark::DoNotOptimize(q);
  }
}
BENCHMARK(BM_QtyParse);

void BM_PriceParseInvalid(benchmark::State& state) {
  for (auto _ : state) {
    auto p = fixgw::Price::parse("100.123456789");  // 9 decimals: rejected
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_PriceParseInvalid);

void BM_PriceFormatStr(benchmark::State& state) {
  std::array<fixgw::Price, kPrices.size()> prices;
  for (size_t k = 0; k < kPrices.size(); ++k) prices[k] = fixgw::Price::of(kPrices[k]);
  size_t i = 0;
  for (auto _ : state) {
    std::string s = prices[i++ % prices.size()].str();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_PriceFormatStr);

// The allocation-free path: append into a buffer reserved once.
void BM_PriceFormatAppend(benchmark::State& state) {
  std::array<fixgw::Price, kPrices.size()> prices;
  for (size_t k = 0; k < kPrices.size(); ++k) prices[k] = fixgw::Price::of(kPrices[k]);
  std::string buf;
  buf.reserve(64);
  size_t i = 0;
  for (auto _ : state) {
    buf.clear();
    fixgw::appendDecimalMantissa(buf, prices[i++ % prices.size()].mantissa());
    benchmark::DoNotOptimize(buf.data());
  }
}
BENCHMARK(BM_PriceFormatAppend);

void BM_QtyFormatStr(benchmark::State& state) {
  std::array<fixgw::Qty, kQtys.size()> qtys;
  for (size_t k = 0; k < kQtys.size(); ++k) qtys[k] = fixgw::Qty::of(kQtys[k]);
  size_t i = 0;
  for (auto _ : state) {
    std::string s = qtys[i++ % qtys.size()].str();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_QtyFormatStr);

void BM_PriceRoundTrip(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto p = fixgw::Price::parse(kPrices[i++ % kPrices.size()]);
    std::string s = p->str();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_PriceRoundTrip);

}  // namespace

BENCHMARK_MAIN();
