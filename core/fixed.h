// Fixed-point decimal numbers for prices and quantities.
//
// Every Price and Qty is an int64 mantissa with one explicit, shared scale of
// 10^-8 (kScale = 8 decimal places). One scale for both keeps arithmetic
// trivial and exact: crypto quantities need 8 decimals (0.00000001 BTC), and
// a price of 60,000.00 is 6e12 units, far inside int64. Products
// (notional = price * qty) are computed in __int128 and returned as Notional,
// which is also scaled by 10^-8. Parsing from FIX strings and venue JSON is
// exact: more than 8 decimals, exponents, or overflow are errors, never
// silent rounding.
//
// Thread-safety: value types, no shared state.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fixgw {

inline constexpr int kScale = 8;
inline constexpr int64_t kOne = 100'000'000;  // 10^kScale

// Parses a plain decimal ("100.25", "-0.5", "0.00000001", "7") into a mantissa
// at kScale. Returns nullopt on anything else (empty, exponent, >8 decimals,
// overflow, stray characters).
std::optional<int64_t> parseDecimalMantissa(std::string_view s);
// Formats a mantissa at kScale as the shortest exact decimal ("100.25", "7").
std::string formatDecimalMantissa(int64_t m);
// Appends the formatted value to out without other allocation.
void appendDecimalMantissa(std::string& out, int64_t m);

template <class Tag>
class Fixed {
 public:
  constexpr Fixed() = default;
  static constexpr Fixed fromMantissa(int64_t m) { return Fixed(m); }
  static constexpr Fixed fromInt(int64_t units) { return Fixed(units * kOne); }
  static std::optional<Fixed> parse(std::string_view s) {
    auto m = parseDecimalMantissa(s);
    if (!m) return std::nullopt;
    return Fixed(*m);
  }
  // For tests and literals only: aborts on malformed input.
  static Fixed of(std::string_view s) {
    auto v = parse(s);
    if (!v) __builtin_trap();
    return *v;
  }
  constexpr int64_t mantissa() const { return m_; }
  std::string str() const { return formatDecimalMantissa(m_); }
  // Lossy; for logging, statistics and simulation only, never for order math.
  double toDouble() const { return static_cast<double>(m_) / static_cast<double>(kOne); }

  constexpr bool isZero() const { return m_ == 0; }
  constexpr bool isPositive() const { return m_ > 0; }
  constexpr bool isNegative() const { return m_ < 0; }
  // True when this is an exact multiple of step (step > 0).
  constexpr bool isMultipleOf(Fixed step) const { return step.m_ > 0 && m_ % step.m_ == 0; }

  constexpr Fixed operator+(Fixed o) const { return Fixed(m_ + o.m_); }
  constexpr Fixed operator-(Fixed o) const { return Fixed(m_ - o.m_); }
  constexpr Fixed operator-() const { return Fixed(-m_); }
  constexpr Fixed& operator+=(Fixed o) { m_ += o.m_; return *this; }
  constexpr Fixed& operator-=(Fixed o) { m_ -= o.m_; return *this; }
  constexpr auto operator<=>(const Fixed&) const = default;

 private:
  constexpr explicit Fixed(int64_t m) : m_(m) {}
  int64_t m_ = 0;
};

struct PriceTag {};
struct QtyTag {};
struct NotionalTag {};
using Price = Fixed<PriceTag>;
using Qty = Fixed<QtyTag>;
using Notional = Fixed<NotionalTag>;

inline constexpr Qty minQty(Qty a, Qty b) { return a < b ? a : b; }

// price * qty, exact in 128-bit; saturates to int64 limits on overflow.
Notional notional(Price p, Qty q);
// Volume-weighted average price from accumulated notional and quantity,
// rounded half away from zero to kScale. Zero qty gives zero.
Price averagePrice(__int128 notionalMantissaSum, Qty qty);
// Exact notional in 128-bit mantissa units (scale 10^-8), for accumulation.
inline __int128 notional128(Price p, Qty q) {
  return static_cast<__int128>(p.mantissa()) * q.mantissa() / kOne;
}
// Exact price * qty at scale 10^-16, for accumulating fills without loss.
inline __int128 rawProduct(Price p, Qty q) {
  return static_cast<__int128>(p.mantissa()) * q.mantissa();
}
// Average from a sum of rawProduct()s.
Price averageFromRaw(__int128 rawSum, Qty qty);

// Percent expressed as a Fixed (e.g. "10" = 10%).
Price applyPercent(Price p, int64_t pctMantissa, bool up);

}  // namespace fixgw
