#include "core/fixed.h"

#include <limits>

namespace fixgw {

std::optional<int64_t> parseDecimalMantissa(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  __int128 intPart = 0;
  int intDigits = 0;
  for (; i < s.size() && s[i] != '.'; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    intPart = intPart * 10 + (c - '0');
    if (++intDigits > 19) return std::nullopt;
  }
  int64_t frac = 0;
  int fracDigits = 0;
  if (i < s.size()) {  // at '.'
    ++i;
    if (i == s.size() && intDigits == 0) return std::nullopt;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c < '0' || c > '9') return std::nullopt;
      if (fracDigits == kScale) {
        // Extra digits are allowed only if they are zeros ("1.000000000").
        if (c != '0') return std::nullopt;
        continue;
      }
      frac = frac * 10 + (c - '0');
      ++fracDigits;
    }
  }
  if (intDigits == 0 && fracDigits == 0) return std::nullopt;
  for (int k = fracDigits; k < kScale; ++k) frac *= 10;
  __int128 m = intPart * kOne + frac;
  if (m > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return neg ? -static_cast<int64_t>(m) : static_cast<int64_t>(m);
}

void appendDecimalMantissa(std::string& out, int64_t m) {
  uint64_t u = m < 0 ? (~static_cast<uint64_t>(m) + 1) : static_cast<uint64_t>(m);
  if (m < 0) out.push_back('-');
  uint64_t ip = u / kOne;
  uint64_t fp = u % kOne;
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + ip % 10);
    ip /= 10;
  } while (ip);
  while (n) out.push_back(buf[--n]);
  if (fp) {
    char f[kScale];
    for (int k = kScale - 1; k >= 0; --k) {
      f[k] = static_cast<char>('0' + fp % 10);
      fp /= 10;
    }
    int len = kScale;
    while (len > 0 && f[len - 1] == '0') --len;
    out.push_back('.');
    out.append(f, static_cast<size_t>(len));
  }
}

std::string formatDecimalMantissa(int64_t m) {
  std::string s;
  s.reserve(24);
  appendDecimalMantissa(s, m);
  return s;
}

namespace {
int64_t saturate(__int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}
__int128 divRound(__int128 num, __int128 den) {
  // Round half away from zero.
  __int128 q = num / den;
  __int128 r = num % den;
  if (r < 0) r = -r;
  __int128 d = den < 0 ? -den : den;
  if (2 * r >= d) q += ((num < 0) != (den < 0)) ? -1 : 1;
  return q;
}
}  // namespace

Notional notional(Price p, Qty q) {
  return Notional::fromMantissa(saturate(rawProduct(p, q) / kOne));
}

Price averageFromRaw(__int128 rawSum, Qty qty) {
  if (qty.isZero()) return Price{};
  return Price::fromMantissa(saturate(divRound(rawSum, qty.mantissa())));
}

Price averagePrice(__int128 notionalMantissaSum, Qty qty) {
  if (qty.isZero()) return Price{};
  return Price::fromMantissa(
      saturate(divRound(notionalMantissaSum * kOne, qty.mantissa())));
}

Price applyPercent(Price p, int64_t pctMantissa, bool up) {
  __int128 delta = static_cast<__int128>(p.mantissa()) * pctMantissa / (100 * static_cast<__int128>(kOne));
  return Price::fromMantissa(saturate(up ? p.mantissa() + delta : p.mantissa() - delta));
}

}  // namespace fixgw
