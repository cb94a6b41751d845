// Shared arithmetic of the built-in algorithms, and the factory.
#include <string>

#include "algos/strategies.h"

namespace fixgw::algos {

namespace detail {

uint64_t mix(uint64_t seed, uint64_t k) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (k + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int64_t signedPpm(uint64_t seed, uint64_t k) {
  return static_cast<int64_t>(mix(seed, k) % 2'000'001ULL) - 1'000'000;
}

int64_t unsignedPpm(uint64_t seed, uint64_t k) {
  return static_cast<int64_t>(mix(seed, k) % 1'000'000ULL);
}

Qty scaled(Qty q, __int128 num, __int128 den) {
  if (den <= 0 || num <= 0) return Qty();
  return Qty::fromMantissa(static_cast<int64_t>(static_cast<__int128>(q.mantissa()) * num / den));
}

Qty roundDownToLot(Qty q, Qty lot) {
  if (!q.isPositive()) return Qty();
  if (!lot.isPositive()) return q;
  return Qty::fromMantissa(q.mantissa() / lot.mantissa() * lot.mantissa());
}

Qty jitter(Qty q, Ratio ratio, int64_t ppm) {
  const __int128 v =
      static_cast<__int128>(q.mantissa()) * ratio.mantissa() / kOne * ppm / 1'000'000;
  return Qty::fromMantissa(static_cast<int64_t>(v));
}

std::string fmtTime(WallNanos t) { return formatFixTimestamp(t); }

}  // namespace detail

std::unique_ptr<Algo> makeAlgo(Strategy s, AlgoContext& ctx) {
  switch (s) {
    case Strategy::Twap:
      return std::make_unique<detail::Twap>(ctx);
    case Strategy::Vwap:
      return std::make_unique<detail::Vwap>(ctx);
    case Strategy::Pov:
      return std::make_unique<detail::Pov>(ctx);
    case Strategy::Iceberg:
      return std::make_unique<detail::Iceberg>(ctx);
    case Strategy::Sor:
      return detail::makeSorAlgo(ctx);
  }
  return nullptr;
}

std::unique_ptr<Algo> makeAlgo(std::string_view strategyName, AlgoContext& ctx) {
  auto s = strategyFromName(strategyName);
  return s ? makeAlgo(*s, ctx) : nullptr;
}

}  // namespace fixgw::algos
