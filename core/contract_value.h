// What a quantity of contracts is worth: price * qty * contractSize, for
// derivatives whose order quantity counts contracts (an OKX BTC-USDT-SWAP
// contract is 0.01 BTC) rather than units of the underlying. Risk, the
// simulator and reports value an order, a position, a P&L or a fee with these
// so every notional carries the instrument's contract size.
//
// Exactness: a price * qty product (rawProduct) is exact at 1e-16. Times a
// contract size with 8 decimals it would need 1e-24; contractNotional() keeps
// that and rounds once, to the 1e-8 Notional scale (half away from zero).
// contractRaw() returns the value at 1e-16 for sums and limit checks: exact
// whenever price, quantity and contract size together have at most 16
// decimals (every listed contract: e.g. tick 0.1, lot 0.01, size 0.01 has 5),
// else rounded half away from zero at 1e-16. A contract size of 1 (cash
// instruments) returns its input untouched.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "core/fixed.h"

namespace fixgw {

namespace detail {
// |v| * m / d rounded half away from zero, without overflowing for any v a
// position or order can hold (v is split so only |v| / d is multiplied by m).
// Values that fit in 64 bits take 64-bit division, which the compiler turns
// into a multiplication for the constant divisors used here (a risk check sums
// a few of these per book; 128-bit division is a library call).
inline __int128 mulDivRoundHalfAway(__int128 v, int64_t m, int64_t d) {
  using U = unsigned __int128;
  const bool neg = (v < 0) != (m < 0);
  const U a = v < 0 ? -static_cast<U>(v) : static_cast<U>(v);
  const U mm = m < 0 ? -static_cast<U>(static_cast<__int128>(m)) : static_cast<U>(m);
  const uint64_t ud = static_cast<uint64_t>(d);
  U hi;
  if ((a >> 64) == 0)
    hi = static_cast<uint64_t>(a) / ud;
  else
    hi = a / ud;
  const U lo = a - hi * ud;  // < d
  const U loProd = lo * mm;  // < d * |m|: no overflow for 64-bit d and m
  U q;
  if ((loProd >> 64) == 0)
    q = static_cast<uint64_t>(loProd) / ud;
  else
    q = loProd / ud;
  const U rem = loProd - q * ud;
  U r = hi * mm + q;
  if (2 * rem >= ud) ++r;
  const __int128 out = static_cast<__int128>(r);
  return neg ? -out : out;
}
}  // namespace detail

// raw (price*qty at 1e-16, in contracts) times the contract size, at 1e-16.
inline __int128 contractRaw(__int128 raw, Qty contractSize) {
  if (contractSize.mantissa() == kOne) return raw;
  return detail::mulDivRoundHalfAway(raw, contractSize.mantissa(), kOne);
}

// raw (price*qty at 1e-16, in contracts) times the contract size, rounded
// once to a Notional (saturating at the int64 limits).
inline Notional contractNotional(__int128 raw, Qty contractSize) {
  constexpr __int128 kOne2 = static_cast<__int128>(kOne) * kOne;  // 1e16
  __int128 q = detail::mulDivRoundHalfAway(raw, contractSize.mantissa(), kOne2);
  if (q > INT64_MAX) q = INT64_MAX;
  if (q < INT64_MIN) q = INT64_MIN;
  return Notional::fromMantissa(static_cast<int64_t>(q));
}

// The value of qty contracts at px (1e-16 raw), contract size included.
inline __int128 contractValueRaw(Price px, Qty qty, Qty contractSize) {
  return contractRaw(rawProduct(px, qty), contractSize);
}

}  // namespace fixgw
