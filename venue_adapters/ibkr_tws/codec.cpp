#include "venue_adapters/ibkr_tws/codec.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>

namespace fixgw::tws {

namespace {

enum class NumStatus { Ok, Unset, Bad };

// Parses "[-]digits[.digits][e[+-]digits]" into a mantissa at kScale.
// Magnitudes of 1e300 and beyond are the protocol's "unset" double.
NumStatus parseScaled(std::string_view s, int64_t& out) {
  if (s.empty()) return NumStatus::Bad;
  if (s == "inf" || s == "Infinity" || s == "-inf" || s == "-Infinity") return NumStatus::Unset;
  size_t i = 0;
  bool neg = false;
  if (s[i] == '-' || s[i] == '+') {
    neg = s[i] == '-';
    ++i;
  }
  __int128 digits = 0;
  int sig = 0;    // significant digits kept
  int exp10 = 0;  // value = digits * 10^exp10
  int intDigits = 0;
  bool any = false, seenDot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (seenDot) return NumStatus::Bad;
      seenDot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (!seenDot) ++intDigits;
    if (sig < 30) {
      if (digits != 0 || c != '0') ++sig;
      digits = digits * 10 + (c - '0');
      if (seenDot) --exp10;
    } else if (!seenDot) {
      ++exp10;  // dropped integer digit still scales the value
    }
  }
  if (!any) return NumStatus::Bad;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return NumStatus::Bad;
    ++i;
    int e = 0;
    bool eneg = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      eneg = s[i] == '-';
      ++i;
    }
    if (i >= s.size()) return NumStatus::Bad;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return NumStatus::Bad;
      if (e < 100000) e = e * 10 + (s[i] - '0');
    }
    exp10 += eneg ? -e : e;
  }
  (void)intDigits;
  if (digits == 0) {
    out = 0;
    return NumStatus::Ok;
  }
  int magnitude = sig + exp10;  // decimal digits left of the point
  if (magnitude > 300) return NumStatus::Unset;
  int shift = exp10 + kScale;
  __int128 v = digits;
  const __int128 lim = static_cast<__int128>(std::numeric_limits<int64_t>::max());
  if (shift >= 0) {
    for (int k = 0; k < shift; ++k) {
      v *= 10;
      if (v > lim) return NumStatus::Bad;
    }
  } else {
    int k = -shift;
    if (k > 36) {
      v = 0;
    } else {
      __int128 div = 1;
      for (int j = 0; j < k; ++j) div *= 10;
      __int128 q = v / div, r = v % div;
      if (r * 2 >= div) ++q;
      v = q;
    }
  }
  if (v > lim) return NumStatus::Bad;
  out = static_cast<int64_t>(neg ? -v : v);
  return NumStatus::Ok;
}

bool parseInt(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// DBL_MAX as the official Python client prints it; reads back exactly.
constexpr std::string_view kUnsetDouble = kUnsetDoubleText;

// The official client sends contract.strike with make_field: a float, 0.0
// when the contract has none.
std::string contractStrike(const std::optional<Price>& p) {
  return p ? formatTwsDouble(*p) : std::string("0.0");
}

bool isUnsetInt(int64_t v) { return v == kUnsetInteger || v == kUnsetLong; }

}  // namespace

// ---- numbers ----

std::optional<Price> parseTwsPrice(std::string_view s) {
  int64_t m = 0;
  if (parseScaled(s, m) != NumStatus::Ok) return std::nullopt;
  return Price::fromMantissa(m);
}

std::optional<Qty> parseTwsQty(std::string_view s) {
  int64_t m = 0;
  if (parseScaled(s, m) != NumStatus::Ok) return std::nullopt;
  return Qty::fromMantissa(m);
}

std::string formatTwsDouble(Price p) {
  if (p.isZero()) return "0.0";
  // The double nearest the exact decimal (from_chars rounds correctly), the
  // same double a Python literal of that decimal gives.
  const std::string dec = p.str();
  double d = 0;
  std::from_chars(dec.data(), dec.data() + dec.size(), d);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // "-9.95e+01"
  std::string out;
  if (!sci.empty() && sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits.push_back(c);
  int exp10 = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp10);
  const int decpt = exp10 + 1;  // value = 0.digits * 10^decpt
  const int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {  // CPython's repr switches form at these bounds
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(static_cast<size_t>(decpt - n), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(decpt));
      out.push_back('.');
      out += digits.substr(static_cast<size_t>(decpt));
    }
    return out;
  }
  out.push_back(digits[0]);
  if (n > 1) {
    out.push_back('.');
    out += digits.substr(1);
  }
  const int x = decpt - 1;
  char eb[16];
  std::snprintf(eb, sizeof eb, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
  out += eb;
  return out;
}

std::string formatGoodTillDate(int v, int64_t unixNanos) {
  int64_t secs = unixNanos / 1'000'000'000;
  if (unixNanos % 1'000'000'000 > 0) ++secs;  // never expire before the instant asked for
  time_t t = static_cast<time_t>(secs);
  struct tm tmv {};
  gmtime_r(&t, &tmv);
  char buf[64];
  if (v >= sv::kPegBestPegMidOffsets)
    std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d", tmv.tm_year + 1900,
                  tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
  else
    std::snprintf(buf, sizeof buf, "%04d%02d%02d %02d:%02d:%02d GMT", tmv.tm_year + 1900,
                  tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
  return buf;
}

std::optional<int64_t> parseGoodTillDate(std::string_view s) {
  // yyyymmdd?hh:mm:ss with '-' (UTC) or ' ' followed by " GMT" / " UTC".
  if (s.size() < 17) return std::nullopt;
  const bool utcForm = s[8] == '-' && s.size() == 17;
  const bool zoneForm = s[8] == ' ' && (s.substr(17) == " GMT" || s.substr(17) == " UTC");
  if (!utcForm && !zoneForm) return std::nullopt;
  auto num = [&](size_t pos, size_t len, int& out) {
    auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return r.ec == std::errc() && r.ptr == s.data() + pos + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!num(0, 4, y) || !num(4, 2, mo) || !num(6, 2, d) || s[11] != ':' || s[14] != ':' ||
      !num(9, 2, h) || !num(12, 2, mi) || !num(15, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  struct tm tmv {};
  tmv.tm_year = y - 1900;
  tmv.tm_mon = mo - 1;
  tmv.tm_mday = d;
  tmv.tm_hour = h;
  tmv.tm_min = mi;
  tmv.tm_sec = se;
  return static_cast<int64_t>(timegm(&tmv));
}

// ---- framing ----

std::string frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  uint32_t n = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>((n >> 24) & 0xFF));
  out.push_back(static_cast<char>((n >> 16) & 0xFF));
  out.push_back(static_cast<char>((n >> 8) & 0xFF));
  out.push_back(static_cast<char>(n & 0xFF));
  out.append(payload);
  return out;
}

FrameDecoder::Status FrameDecoder::next(std::string& payload, std::string& error) {
  if (buf_.size() - pos_ < 4) {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    return Status::NeedMore;
  }
  auto b = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(buf_[pos_ + i]));
  };
  uint32_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  if (n > kMaxMessageLength) {
    error = "message length " + std::to_string(n) + " exceeds the maximum " +
            std::to_string(kMaxMessageLength);
    return Status::Error;
  }
  if (buf_.size() - pos_ - 4 < n) {
    buf_.erase(0, pos_);
    pos_ = 0;
    return Status::NeedMore;
  }
  payload.assign(buf_, pos_ + 4, n);
  pos_ += 4 + n;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return Status::Message;
}

FieldWriter& FieldWriter::str(std::string_view s) {
  out_.append(s);
  out_.push_back('\0');
  return *this;
}
FieldWriter& FieldWriter::i64(int64_t v) { return str(std::to_string(v)); }
FieldWriter& FieldWriter::priceOrEmpty(const std::optional<Price>& p) {
  return p ? str(p->str()) : str("");
}
FieldWriter& FieldWriter::price(Price p) { return str(p.str()); }
FieldWriter& FieldWriter::dblOrEmpty(const std::optional<Price>& p) {
  return p ? str(formatTwsDouble(*p)) : str("");
}
FieldWriter& FieldWriter::dblOrUnset(const std::optional<Price>& p) {
  return p ? str(formatTwsDouble(*p)) : str(kUnsetDouble);
}
FieldWriter& FieldWriter::intOrEmpty(const std::optional<int64_t>& v) {
  return v ? i64(*v) : str("");
}
FieldWriter& FieldWriter::intOrUnset(const std::optional<int64_t>& v) {
  return v ? i64(*v) : str(kUnsetIntText);
}
FieldWriter& FieldWriter::qty(Qty q) { return str(q.str()); }

bool FieldReader::fail(std::string e) {
  if (err_.empty()) err_ = msg_ + ": " + e;
  return false;
}

bool FieldReader::raw(const char* field, std::string_view& out) {
  if (pos_ >= p_.size()) return fail(std::string("missing field ") + field);
  size_t z = p_.find('\0', pos_);
  if (z == std::string_view::npos)
    return fail(std::string("field ") + field + " is not NUL-terminated");
  out = p_.substr(pos_, z - pos_);
  pos_ = z + 1;
  return true;
}

bool FieldReader::str(const char* field, std::string& out) {
  std::string_view v;
  if (!raw(field, v)) return false;
  out.assign(v);
  return true;
}

bool FieldReader::i64(const char* field, int64_t& out) {
  std::string_view v;
  if (!raw(field, v)) return false;
  if (v.empty()) {
    out = 0;
    return true;
  }
  if (!parseInt(v, out))
    return fail(std::string("field ") + field + ": expected an integer, got '" + std::string(v) +
                "'");
  return true;
}

bool FieldReader::i32(const char* field, int& out) {
  int64_t v = 0;
  if (!i64(field, v)) return false;
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    return fail(std::string("field ") + field + ": out of range");
  out = static_cast<int>(v);
  return true;
}

bool FieldReader::boolean(const char* field, bool& out) {
  int64_t v = 0;
  if (!i64(field, v)) return false;
  out = v != 0;
  return true;
}

bool FieldReader::optPrice(const char* field, std::optional<Price>& out) {
  std::string_view v;
  if (!raw(field, v)) return false;
  if (v.empty()) {
    out.reset();
    return true;
  }
  int64_t m = 0;
  switch (parseScaled(v, m)) {
    case NumStatus::Ok:
      out = Price::fromMantissa(m);
      return true;
    case NumStatus::Unset:
      out.reset();
      return true;
    case NumStatus::Bad:
      break;
  }
  return fail(std::string("field ") + field + ": expected a number, got '" + std::string(v) + "'");
}

bool FieldReader::price(const char* field, Price& out) {
  std::string_view v;
  if (!raw(field, v)) return false;
  if (v.empty()) {
    out = Price();
    return true;
  }
  int64_t m = 0;
  switch (parseScaled(v, m)) {
    case NumStatus::Ok:
      out = Price::fromMantissa(m);
      return true;
    case NumStatus::Unset:
      return fail(std::string("field ") + field + ": unset (" + std::string(v) +
                  ") where a value is required");
    case NumStatus::Bad:
      break;
  }
  return fail(std::string("field ") + field + ": expected a number, got '" + std::string(v) + "'");
}

bool FieldReader::qty(const char* field, Qty& out) {
  std::string_view v;
  if (!raw(field, v)) return false;
  if (v.empty()) {
    out = Qty();
    return true;
  }
  int64_t m = 0;
  if (parseScaled(v, m) == NumStatus::Ok) {
    out = Qty::fromMantissa(m);
    return true;
  }
  if (parseScaled(v, m) == NumStatus::Unset)
    return fail(std::string("field ") + field + ": unset (" + std::string(v) +
                ") where a quantity is required");
  return fail(std::string("field ") + field + ": expected a quantity, got '" + std::string(v) +
              "'");
}

bool FieldReader::dbl(const char* field, std::optional<Price>& out, Empty empty) {
  std::string_view v;
  if (!raw(field, v)) return false;
  out.reset();
  if (v.empty()) {
    if (empty == Empty::kIsUnset) return true;
    return fail(std::string("field ") + field +
                ": empty; the official client sends a number or the unset value " +
                std::string(kUnsetDouble));
  }
  int64_t m = 0;
  switch (parseScaled(v, m)) {
    case NumStatus::Ok:
      out = Price::fromMantissa(m);
      return true;
    case NumStatus::Unset:
      return true;
    case NumStatus::Bad:
      break;
  }
  return fail(std::string("field ") + field + ": expected a number, got '" + std::string(v) + "'");
}

bool FieldReader::integer(const char* field, std::optional<int64_t>& out, Empty empty) {
  std::string_view v;
  if (!raw(field, v)) return false;
  out.reset();
  if (v.empty()) {
    if (empty == Empty::kIsUnset) return true;
    return fail(std::string("field ") + field +
                ": empty; the official client sends an integer or the unset value " +
                std::string(kUnsetIntText));
  }
  int64_t x = 0;
  if (!parseInt(v, x))
    return fail(std::string("field ") + field + ": expected an integer, got '" + std::string(v) +
                "'");
  if (!isUnsetInt(x)) out = x;
  return true;
}

bool FieldReader::reqInt(const char* field, int64_t& out) {
  std::optional<int64_t> v;
  if (!integer(field, v, Empty::kRefused)) return false;
  if (!v) return fail(std::string("field ") + field + ": unset where a value is required");
  out = *v;
  return true;
}

bool FieldReader::flag(const char* field, bool& out) {
  std::string_view v;
  if (!raw(field, v)) return false;
  if (v != "0" && v != "1")
    return fail(std::string("field ") + field + ": expected 0 or 1, got '" + std::string(v) + "'");
  out = v == "1";
  return true;
}

bool FieldReader::skip(const char* field, int n) {
  std::string_view v;
  for (int i = 0; i < n; ++i)
    if (!raw(field, v)) return false;
  return true;
}

std::vector<std::string> splitFields(std::string_view payload) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < payload.size()) {
    size_t z = payload.find('\0', pos);
    if (z == std::string_view::npos) {
      out.emplace_back(payload.substr(pos));
      break;
    }
    out.emplace_back(payload.substr(pos, z - pos));
    pos = z + 1;
  }
  return out;
}

std::string describe(std::string_view payload) {
  std::string out;
  for (const auto& f : splitFields(payload)) {
    if (!out.empty()) out.push_back('|');
    for (char c : f) out.push_back((c >= 32 && c < 127) ? c : '?');
  }
  return out;
}

// ---- handshake ----

std::string encodeClientHello(int minVersion, int maxVersion, std::string_view options) {
  std::string v = "v" + std::to_string(minVersion) + ".." + std::to_string(maxVersion);
  if (!options.empty()) {
    v.push_back(' ');
    v.append(options);
  }
  std::string out("API", 3);
  out.push_back('\0');
  out += frame(v);
  return out;
}

Result<std::pair<int, int>> parseClientVersionRange(std::string_view p) {
  using R = Result<std::pair<int, int>>;
  if (p.empty() || p[0] != 'v') return R::fail("handshake: expected 'v<min>..<max>'");
  auto sp = p.find(' ');
  std::string_view range = p.substr(1, sp == std::string_view::npos ? p.size() - 1 : sp - 1);
  auto dots = range.find("..");
  int64_t lo = 0, hi = 0;
  if (dots == std::string_view::npos) {
    if (!parseInt(range, lo)) return R::fail("handshake: bad version '" + std::string(range) + "'");
    hi = lo;
  } else if (!parseInt(range.substr(0, dots), lo) || !parseInt(range.substr(dots + 2), hi)) {
    return R::fail("handshake: bad version range '" + std::string(range) + "'");
  }
  if (lo > hi || lo <= 0) return R::fail("handshake: empty version range");
  return R::ok({static_cast<int>(lo), static_cast<int>(hi)});
}

std::string encodeServerHello(const ServerHello& h) {
  return FieldWriter().i64(h.serverVersion).str(h.connectionTime).take();
}

Result<ServerHello> decodeServerHello(std::string_view payload) {
  FieldReader r(payload, "server hello");
  ServerHello h;
  if (!r.i32("serverVersion", h.serverVersion) || !r.str("connectionTime", h.connectionTime))
    return Result<ServerHello>::fail(r.error());
  if (h.serverVersion <= 0) return Result<ServerHello>::fail("server hello: bad server version");
  return Result<ServerHello>::ok(std::move(h));
}

// ---- client -> server ----

std::string encodeStartApi(int serverVersion, int64_t clientId, std::string_view caps) {
  FieldWriter w;
  w.i64(out::kStartApi).i64(2).i64(clientId);
  if (serverVersion >= sv::kOptionalCapabilities) w.str(caps);
  return w.take();
}

Result<std::string> encodePlaceOrder(int v, const OrderRequest& o) {
  using R = Result<std::string>;
  const Contract& c = o.contract;
  if (c.secType == "BAG") return R::fail("placeOrder: secType BAG (combos) is not supported");
  if (!o.totalQuantity.isPositive()) return R::fail("placeOrder: totalQuantity must be positive");
  if (v < sv::kFractionalPositions && !o.totalQuantity.isMultipleOf(Qty::fromInt(1)))
    return R::fail("placeOrder: totalQuantity " + o.totalQuantity.str() +
                   " is fractional; server version " + std::to_string(v) +
                   " needs whole quantities");
  if (o.minQty && *o.minQty <= 0) return R::fail("placeOrder: minQty must be positive");
  if (o.displaySize < 0) return R::fail("placeOrder: displaySize must not be negative");
  if (o.tif == "GTD" && o.goodTillDate.empty())
    return R::fail("placeOrder: tif GTD needs goodTillDate");
  if (o.cashQty && v < sv::kCashQty)
    return R::fail("placeOrder: cashQty needs server version " + std::to_string(sv::kCashQty));
  if (o.duration && v < sv::kDuration)
    return R::fail("placeOrder: duration needs server version " + std::to_string(sv::kDuration));
  if (o.postToAts && v < sv::kPostToAts)
    return R::fail("placeOrder: postToAts needs server version " + std::to_string(sv::kPostToAts));
  // Field by field as the official client's EClient.placeOrder writes them
  // for a non-combo order with no conditions, algo, scale, hedge or delta
  // neutral parts. "E" below = make_field_handle_empty (unset -> empty),
  // "raw" = make_field (unset -> the sentinel itself).
  FieldWriter w;
  w.i64(out::kPlaceOrder);
  if (v < sv::kOrderContainer) w.i64(45);  // message version
  w.i64(o.orderId);
  // contract
  w.i64(c.conId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth);
  w.str(contractStrike(c.strike)).str(c.right).str(c.multiplier).str(c.exchange);
  w.str(c.primaryExchange).str(c.currency).str(c.localSymbol).str(c.tradingClass);
  w.str("").str("");  // secIdType, secId
  // main order fields
  w.str(o.action);
  if (v >= sv::kFractionalPositions)
    w.qty(o.totalQuantity);
  else
    w.i64(o.totalQuantity.mantissa() / kOne);
  w.str(o.orderType).dblOrEmpty(o.lmtPrice).dblOrEmpty(o.auxPrice);  // E, E
  // extended order fields
  w.str(o.tif).str("" /*ocaGroup*/).str(o.account).str(o.openClose).i64(0 /*origin*/);
  w.str(o.orderRef).boolean(o.transmit).i64(0 /*parentId*/);
  w.boolean(false /*blockOrder*/).boolean(false /*sweepToFill*/).i64(o.displaySize);
  w.i64(0 /*triggerMethod*/).boolean(o.outsideRth).boolean(false /*hidden*/);
  w.str("" /*sharesAllocation (deprecated)*/).str("0" /*discretionaryAmt: raw int 0*/);
  w.str("" /*goodAfterTime*/).str(o.goodTillDate);
  w.str("" /*faGroup*/).str("" /*faMethod*/).str("" /*faPercentage*/);
  if (v < sv::kFaProfileDesupport) w.str("" /*faProfile (deprecated)*/);
  if (v >= sv::kModelsSupport) w.str("" /*modelCode*/);
  w.i64(0 /*shortSaleSlot*/).str("" /*designatedLocation*/).i64(-1 /*exemptCode*/);
  w.i64(0 /*ocaType*/).str(o.rule80A).str("" /*settlingFirm*/).boolean(false /*allOrNone*/);
  w.intOrEmpty(o.minQty).dblOrEmpty(std::nullopt /*percentOffset E*/);
  w.boolean(false /*eTradeOnly*/).boolean(false /*firmQuoteOnly*/);
  w.dblOrEmpty(std::nullopt /*nbboPriceCap E*/).i64(0 /*auctionStrategy*/);
  w.dblOrEmpty(std::nullopt /*startingPrice E*/).dblOrEmpty(std::nullopt /*stockRefPrice E*/);
  w.dblOrEmpty(std::nullopt /*delta E*/);
  w.dblOrEmpty(std::nullopt /*stockRangeLower E*/).dblOrEmpty(std::nullopt /*stockRangeUpper E*/);
  w.boolean(false /*overridePercentageConstraints*/);
  w.dblOrEmpty(std::nullopt /*volatility E*/).intOrEmpty(std::nullopt /*volatilityType E*/);
  w.str("" /*deltaNeutralOrderType*/).dblOrEmpty(std::nullopt /*deltaNeutralAuxPrice E*/);
  w.boolean(false /*continuousUpdate*/).intOrEmpty(std::nullopt /*referencePriceType E*/);
  w.dblOrEmpty(std::nullopt /*trailStopPrice E*/).dblOrEmpty(std::nullopt /*trailingPercent E*/);
  w.intOrEmpty(std::nullopt /*scaleInitLevelSize E*/);
  w.intOrEmpty(std::nullopt /*scaleSubsLevelSize E*/);
  w.dblOrEmpty(std::nullopt /*scalePriceIncrement E*/);
  w.str("" /*scaleTable*/).str("" /*activeStartTime*/).str("" /*activeStopTime*/);
  w.str("" /*hedgeType*/).boolean(false /*optOutSmartRouting*/);
  w.str("" /*clearingAccount*/).str("" /*clearingIntent*/).boolean(false /*notHeld*/);
  w.boolean(false /*deltaNeutralContract present*/).str("" /*algoStrategy*/).str("" /*algoId*/);
  w.boolean(false /*whatIf*/).str("" /*orderMiscOptions*/).boolean(false /*solicited*/);
  w.boolean(false /*randomizeSize*/).boolean(false /*randomizePrice*/);
  if (v >= sv::kPeggedToBenchmark) {
    w.i64(0 /*conditions count*/).str("" /*adjustedOrderType*/);
    w.dblOrUnset(std::nullopt /*triggerPrice raw*/).dblOrUnset(std::nullopt /*lmtPriceOffset*/);
    w.dblOrUnset(std::nullopt /*adjustedStopPrice*/);
    w.dblOrUnset(std::nullopt /*adjustedStopLimitPrice*/);
    w.dblOrUnset(std::nullopt /*adjustedTrailingAmount*/).i64(0 /*adjustableTrailingUnit*/);
  }
  if (v >= sv::kExtOperator) w.str("" /*extOperator*/);
  if (v >= sv::kSoftDollarTier) w.str("" /*softDollarTier name*/).str("" /*value*/);
  if (v >= sv::kCashQty) w.dblOrUnset(o.cashQty);  // raw
  if (v >= sv::kDecisionMaker) w.str("" /*mifid2DecisionMaker*/).str("" /*mifid2DecisionAlgo*/);
  if (v >= sv::kMifidExecution) w.str("" /*mifid2ExecutionTrader*/).str("" /*mifid2ExecutionAlgo*/);
  if (v >= sv::kAutoPriceForHedge) w.boolean(false /*dontUseAutoPriceForHedge*/);
  if (v >= sv::kOrderContainer) w.boolean(false /*isOmsContainer*/);
  if (v >= sv::kDPegOrders) w.boolean(false /*discretionaryUpToLimitPrice*/);
  if (v >= sv::kPriceMgmtAlgo) w.intOrEmpty(std::nullopt /*usePriceMgmtAlgo E*/);
  if (v >= sv::kDuration) w.intOrUnset(o.duration);    // raw
  if (v >= sv::kPostToAts) w.intOrUnset(o.postToAts);  // raw
  if (v >= sv::kAutoCancelParent) w.boolean(false /*autoCancelParent*/);
  if (v >= sv::kAdvancedOrderReject) w.str("" /*advancedErrorOverride*/);
  if (v >= sv::kManualOrderTime) w.str("" /*manualOrderTime*/);
  // kPegBestPegMidOffsets adds fields only for IBKRATS / PEG BEST / PEG MID.
  if (v >= sv::kPegBestPegMidOffsets && c.exchange == "IBKRATS")
    w.intOrEmpty(std::nullopt /*minTradeQty E*/);
  return R::ok(w.take());
}

std::string encodeCancelOrder(int v, int64_t orderId, std::string_view manualTime) {
  FieldWriter w;
  w.i64(out::kCancelOrder).i64(1).i64(orderId);
  if (v >= sv::kManualOrderTime) w.str(manualTime);
  return w.take();
}

std::string encodeReqOpenOrders() { return FieldWriter().i64(out::kReqOpenOrders).i64(1).take(); }
std::string encodeReqAllOpenOrders() {
  return FieldWriter().i64(out::kReqAllOpenOrders).i64(1).take();
}

std::string encodeReqExecutions(int /*serverVersion*/, int64_t reqId, const ExecutionFilter& f) {
  // reqId is present from MIN_SERVER_VER_EXECUTION_DATA_CHAIN (42), below our range.
  FieldWriter w;
  w.i64(out::kReqExecutions).i64(3).i64(reqId);
  w.i64(f.clientId).str(f.acctCode).str(f.time).str(f.symbol).str(f.secType).str(f.exchange);
  w.str(f.side);
  return w.take();
}

std::string encodeReqIds(int64_t numIds) {
  return FieldWriter().i64(out::kReqIds).i64(1).i64(numIds).take();
}
std::string encodeReqCurrentTime() { return FieldWriter().i64(out::kReqCurrentTime).i64(1).take(); }

Result<std::string> encodeReqMktData(int v, const MktDataRequest& r) {
  using R = Result<std::string>;
  const Contract& c = r.contract;
  if (c.secType == "BAG") return R::fail("reqMktData: secType BAG (combos) is not supported");
  if (r.regulatorySnapshot && v < sv::kReqSmartComponents)
    return R::fail("reqMktData: regulatorySnapshot needs server version " +
                   std::to_string(sv::kReqSmartComponents));
  // As EClient.reqMktData writes it (message version 11). conId (47),
  // tradingClass (68), the delta-neutral flag (40) and mktDataOptions (70)
  // are below our range, so always present.
  FieldWriter w;
  w.i64(out::kReqMktData).i64(11).i64(r.reqId);
  w.i64(c.conId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth);
  w.str(contractStrike(c.strike)).str(c.right).str(c.multiplier).str(c.exchange);
  w.str(c.primaryExchange).str(c.currency).str(c.localSymbol).str(c.tradingClass);
  w.boolean(false /*deltaNeutralContract present*/);
  w.str(r.genericTickList).boolean(r.snapshot);
  if (v >= sv::kReqSmartComponents) w.boolean(r.regulatorySnapshot);
  w.str("" /*mktDataOptions: internal, always empty*/);
  return R::ok(w.take());
}

std::string encodeCancelMktData(int64_t reqId) {
  return FieldWriter().i64(out::kCancelMktData).i64(2).i64(reqId).take();
}

Result<RtVolume> parseRtVolume(std::string_view value) {
  using R = Result<RtVolume>;
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (true) {
    size_t semi = value.find(';', pos);
    parts.push_back(value.substr(pos, semi == std::string_view::npos ? semi : semi - pos));
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  if (parts.size() != 6)
    return R::fail(
        "RTVolume: expected 6 ';'-separated parts "
        "(price;size;time;totalVolume;VWAP;singleTrade), got " +
        std::to_string(parts.size()) + " in '" + std::string(value) + "'");
  auto bad = [&](const char* part, std::string_view got) {
    return R::fail(std::string("RTVolume: ") + part + " '" + std::string(got) +
                   "' is not a number");
  };
  RtVolume rv;
  if (!parts[0].empty()) {
    rv.price = parseTwsPrice(parts[0]);
    if (!rv.price) return bad("price", parts[0]);
  }
  auto size = parts[1].empty() ? std::optional<Qty>(Qty()) : parseTwsQty(parts[1]);
  if (!size || size->isNegative()) return bad("size", parts[1]);
  rv.size = *size;
  if (!parseInt(parts[2], rv.timeMs) || rv.timeMs < 0) return bad("time", parts[2]);
  auto vol = parts[3].empty() ? std::optional<Qty>(Qty()) : parseTwsQty(parts[3]);
  if (!vol) return bad("totalVolume", parts[3]);
  rv.totalVolume = *vol;
  if (!parts[4].empty()) {
    rv.vwap = parseTwsPrice(parts[4]);
    if (!rv.vwap) return bad("VWAP", parts[4]);
  }
  if (parts[5] != "true" && parts[5] != "false")
    return R::fail("RTVolume: singleTrade '" + std::string(parts[5]) + "' is not true or false");
  rv.singleTrade = parts[5] == "true";
  if (rv.price && !rv.size.isPositive())
    return R::fail("RTVolume: a trade at " + rv.price->str() + " needs a positive size");
  return R::ok(rv);
}

// ---- server -> client: decode ----

namespace {

bool readContract(FieldReader& r, Contract& c, bool withMultiplier, bool withTradingClass) {
  std::optional<Price> strike;
  if (!r.i64("conId", c.conId) || !r.str("symbol", c.symbol) || !r.str("secType", c.secType) ||
      !r.str("lastTradeDateOrContractMonth", c.lastTradeDateOrContractMonth) ||
      !r.optPrice("strike", strike) || !r.str("right", c.right))
    return false;
  c.strike = (strike && !strike->isZero()) ? strike : std::nullopt;
  if (withMultiplier && !r.str("multiplier", c.multiplier)) return false;
  if (!r.str("exchange", c.exchange) || !r.str("currency", c.currency) ||
      !r.str("localSymbol", c.localSymbol))
    return false;
  if (withTradingClass && !r.str("tradingClass", c.tradingClass)) return false;
  return true;
}

Result<Incoming> decodeOrderStatus(int v, FieldReader& r) {
  OrderStatusMsg m;
  if (v < sv::kMarketCapPrice && !r.skip("version")) return Result<Incoming>::fail(r.error());
  if (!r.i64("orderId", m.orderId) || !r.str("status", m.status) || !r.qty("filled", m.filled) ||
      !r.qty("remaining", m.remaining) || !r.optPrice("avgFillPrice", m.avgFillPrice) ||
      !r.i64("permId", m.permId) || !r.i64("parentId", m.parentId) ||
      !r.optPrice("lastFillPrice", m.lastFillPrice) || !r.i64("clientId", m.clientId) ||
      !r.str("whyHeld", m.whyHeld))
    return Result<Incoming>::fail(r.error());
  if (v >= sv::kMarketCapPrice && !r.optPrice("mktCapPrice", m.mktCapPrice))
    return Result<Incoming>::fail(r.error());
  if (m.status.empty()) return Result<Incoming>::fail("orderStatus: field status is empty");
  return Result<Incoming>::ok(m);
}

Result<Incoming> decodeOpenOrder(int v, FieldReader& r) {
  OpenOrderMsg m;
  int version = v;
  if (v < sv::kOrderContainer && !r.i32("version", version))
    return Result<Incoming>::fail(r.error());
  if (version < 32)
    return Result<Incoming>::fail("openOrder: message version " + std::to_string(version) +
                                  " is older than this client reads");
  if (!r.i64("orderId", m.orderId) || !readContract(r, m.contract, true, true) ||
      !r.str("action", m.action) || !r.qty("totalQuantity", m.totalQuantity) ||
      !r.str("orderType", m.orderType) || !r.optPrice("lmtPrice", m.lmtPrice) ||
      !r.optPrice("auxPrice", m.auxPrice) || !r.str("tif", m.tif) ||
      !r.str("ocaGroup", m.ocaGroup) || !r.str("account", m.account) ||
      !r.str("openClose", m.openClose) || !r.i32("origin", m.origin) ||
      !r.str("orderRef", m.orderRef) || !r.i64("clientId", m.clientId) ||
      !r.i64("permId", m.permId) || !r.boolean("outsideRth", m.outsideRth))
    return Result<Incoming>::fail(r.error());
  return Result<Incoming>::ok(m);
}

Result<Incoming> decodeExecDetails(int v, FieldReader& r) {
  ExecDetailsMsg m;
  int version = v;
  if (v < sv::kLastLiquidity && !r.i32("version", version))
    return Result<Incoming>::fail(r.error());
  if (version < 10)
    return Result<Incoming>::fail("execDetails: message version " + std::to_string(version) +
                                  " is older than this client reads");
  Execution& e = m.exec;
  if (!r.i64("reqId", m.reqId) || !r.i64("orderId", m.orderId) ||
      !readContract(r, m.contract, true, true) || !r.str("execId", e.execId) ||
      !r.str("time", e.time) || !r.str("acctNumber", e.acctNumber) ||
      !r.str("exchange", e.exchange) || !r.str("side", e.side) || !r.qty("shares", e.shares) ||
      !r.price("price", e.price) || !r.i64("permId", e.permId) || !r.i64("clientId", e.clientId) ||
      !r.i32("liquidation", e.liquidation) || !r.qty("cumQty", e.cumQty) ||
      !r.price("avgPrice", e.avgPrice) || !r.str("orderRef", e.orderRef) ||
      !r.str("evRule", e.evRule) || !r.str("evMultiplier", e.evMultiplier))
    return Result<Incoming>::fail(r.error());
  if (v >= sv::kModelsSupport && !r.str("modelCode", e.modelCode))
    return Result<Incoming>::fail(r.error());
  if (v >= sv::kLastLiquidity && !r.i32("lastLiquidity", e.lastLiquidity))
    return Result<Incoming>::fail(r.error());
  if (e.execId.empty()) return Result<Incoming>::fail("execDetails: field execId is empty");
  if (!e.shares.isPositive())
    return Result<Incoming>::fail("execDetails: field shares must be positive, got " +
                                  e.shares.str());
  return Result<Incoming>::ok(m);
}

// A tick size as the official decoder reads a Decimal: empty, UNSET_INTEGER,
// UNSET_LONG and the unset double (either spelling) are unset. Below server
// version 163 TWS sends whole numbers only.
bool readTickSize(FieldReader& r, int v, const char* field, std::optional<Qty>& out) {
  std::string s;
  if (!r.str(field, s)) return false;
  out.reset();
  if (s.empty() || s == kUnsetIntText || s == "9223372036854775807" ||
      s == "170141183460469231731687303715884105727")
    return true;
  int64_t m = 0;
  switch (parseScaled(s, m)) {
    case NumStatus::Unset:
      return true;
    case NumStatus::Bad:
      return r.fail(std::string("field ") + field + ": expected a size, got '" + s + "'");
    case NumStatus::Ok:
      break;
  }
  if (m < 0) return r.fail(std::string("field ") + field + ": negative size '" + s + "'");
  Qty q = Qty::fromMantissa(m);
  if (v < sv::kFractionalSizeSupport && !q.isMultipleOf(Qty::fromInt(1)))
    return r.fail(std::string("field ") + field + ": fractional size '" + s +
                  "' below server version " + std::to_string(sv::kFractionalSizeSupport));
  out = q;
  return true;
}

Result<Incoming> decodeTickPrice(int v, FieldReader& r) {
  using R = Result<Incoming>;
  TickPriceMsg m;
  int64_t version = 0, type = 0, mask = 0;
  if (!r.reqInt("version", version) || !r.reqInt("reqId", m.reqId) || !r.reqInt("tickType", type) ||
      !r.dbl("price", m.price, FieldReader::Empty::kRefused))
    return R::fail(r.error());
  if (version >= 2 && !readTickSize(r, v, "size", m.size)) return R::fail(r.error());
  if (version >= 3 && !r.reqInt("attrMask", mask)) return R::fail(r.error());
  if (type < 0 || type > 1000) return R::fail("tickPrice: field tickType out of range");
  if (mask < 0 || mask > 0xFFFF) return R::fail("tickPrice: field attrMask out of range");
  m.tickType = static_cast<int>(type);
  m.attrMask = static_cast<int>(mask);
  return R::ok(m);
}

Result<Incoming> decodeTickSize(int v, FieldReader& r) {
  using R = Result<Incoming>;
  TickSizeMsg m;
  int64_t type = 0;
  if (!r.skip("version") || !r.reqInt("reqId", m.reqId) || !r.reqInt("tickType", type) ||
      !readTickSize(r, v, "size", m.size))
    return R::fail(r.error());
  if (type < 0 || type > 1000) return R::fail("tickSize: field tickType out of range");
  m.tickType = static_cast<int>(type);
  return R::ok(m);
}

}  // namespace

Result<Incoming> decodeIncoming(int v, std::string_view payload) {
  using R = Result<Incoming>;
  FieldReader r(payload, "message");
  int id = 0;
  if (!r.i32("msgId", id)) return R::fail(r.error());
  switch (id) {
    case in::kOrderStatus: {
      FieldReader rr(payload, "orderStatus");
      rr.skip("msgId");
      return decodeOrderStatus(v, rr);
    }
    case in::kOpenOrder: {
      FieldReader rr(payload, "openOrder");
      rr.skip("msgId");
      return decodeOpenOrder(v, rr);
    }
    case in::kExecDetails: {
      FieldReader rr(payload, "execDetails");
      rr.skip("msgId");
      return decodeExecDetails(v, rr);
    }
    case in::kErrMsg: {
      FieldReader rr(payload, "error");
      ErrorMsg m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("id", m.id) ||
          !rr.i32("errorCode", m.code) || !rr.str("errorString", m.text))
        return R::fail(rr.error());
      if (v >= sv::kAdvancedOrderReject &&
          !rr.str("advancedOrderRejectJson", m.advancedOrderRejectJson))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case in::kTickPrice: {
      FieldReader rr(payload, "tickPrice");
      rr.skip("msgId");
      return decodeTickPrice(v, rr);
    }
    case in::kTickSize: {
      FieldReader rr(payload, "tickSize");
      rr.skip("msgId");
      return decodeTickSize(v, rr);
    }
    case in::kTickString: {
      FieldReader rr(payload, "tickString");
      TickStringMsg m;
      int64_t type = 0;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.reqInt("reqId", m.reqId) ||
          !rr.reqInt("tickType", type) || !rr.str("value", m.value))
        return R::fail(rr.error());
      if (type < 0 || type > 1000) return R::fail("tickString: field tickType out of range");
      m.tickType = static_cast<int>(type);
      return R::ok(m);
    }
    case in::kNextValidId: {
      FieldReader rr(payload, "nextValidId");
      NextValidIdMsg m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("orderId", m.orderId))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case in::kCurrentTime: {
      FieldReader rr(payload, "currentTime");
      CurrentTimeMsg m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("time", m.time))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case in::kOpenOrderEnd: {
      FieldReader rr(payload, "openOrderEnd");
      if (!rr.skip("msgId") || !rr.skip("version")) return R::fail(rr.error());
      return R::ok(OpenOrderEndMsg{});
    }
    case in::kExecDetailsEnd: {
      FieldReader rr(payload, "execDetailsEnd");
      ExecDetailsEndMsg m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("reqId", m.reqId))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case in::kCommissionReport: {
      FieldReader rr(payload, "commissionReport");
      CommissionReportMsg m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.str("execId", m.execId) ||
          !rr.price("commission", m.commission) || !rr.str("currency", m.currency) ||
          !rr.dbl("realizedPNL", m.realizedPnl, FieldReader::Empty::kIsUnset) ||
          !rr.dbl("yield", m.yield, FieldReader::Empty::kIsUnset) ||
          !rr.integer("yieldRedemptionDate", m.yieldRedemptionDate, FieldReader::Empty::kIsUnset))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case in::kManagedAccounts: {
      FieldReader rr(payload, "managedAccounts");
      ManagedAccountsMsg m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.str("accountsList", m.accounts))
        return R::fail(rr.error());
      return R::ok(m);
    }
    default:
      return R::ok(UnhandledMsg{id});
  }
}

// ---- server -> client: encode ----

namespace {
// Server side: a double as TWS writes it, the unset one in Java's spelling.
std::string javaDouble(const std::optional<Price>& p) {
  return p ? p->str() : std::string(kUnsetDoubleJavaText);
}

void writeContract(FieldWriter& w, const Contract& c) {
  w.i64(c.conId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth);
  w.str(contractStrike(c.strike)).str(c.right).str(c.multiplier).str(c.exchange).str(c.currency);
  w.str(c.localSymbol).str(c.tradingClass);
}
}  // namespace

std::string encodeNextValidId(int64_t orderId) {
  return FieldWriter().i64(in::kNextValidId).i64(1).i64(orderId).take();
}

std::string encodeOrderStatus(int v, const OrderStatusMsg& m) {
  FieldWriter w;
  w.i64(in::kOrderStatus);
  if (v < sv::kMarketCapPrice) w.i64(6);
  w.i64(m.orderId).str(m.status).qty(m.filled).qty(m.remaining).str(javaDouble(m.avgFillPrice));
  w.i64(m.permId).i64(m.parentId).str(javaDouble(m.lastFillPrice)).i64(m.clientId);
  w.str(m.whyHeld);
  if (v >= sv::kMarketCapPrice) w.priceOrEmpty(m.mktCapPrice);
  return w.take();
}

std::string encodeOpenOrder(int v, const OpenOrderMsg& m) {
  FieldWriter w;
  w.i64(in::kOpenOrder);
  if (v < sv::kOrderContainer) w.i64(34);
  w.i64(m.orderId);
  writeContract(w, m.contract);
  w.str(m.action).qty(m.totalQuantity).str(m.orderType).priceOrEmpty(m.lmtPrice);
  w.priceOrEmpty(m.auxPrice).str(m.tif).str(m.ocaGroup).str(m.account).str(m.openClose);
  w.i64(m.origin).str(m.orderRef).i64(m.clientId).i64(m.permId).boolean(m.outsideRth);
  return w.take();
}

std::string encodeExecDetails(int v, const ExecDetailsMsg& m) {
  FieldWriter w;
  w.i64(in::kExecDetails);
  if (v < sv::kLastLiquidity) w.i64(10);
  w.i64(m.reqId).i64(m.orderId);
  writeContract(w, m.contract);
  const Execution& e = m.exec;
  w.str(e.execId).str(e.time).str(e.acctNumber).str(e.exchange).str(e.side).qty(e.shares);
  w.price(e.price).i64(e.permId).i64(e.clientId).i64(e.liquidation).qty(e.cumQty);
  w.price(e.avgPrice).str(e.orderRef).str(e.evRule).str(e.evMultiplier);
  if (v >= sv::kModelsSupport) w.str(e.modelCode);
  if (v >= sv::kLastLiquidity) w.i64(e.lastLiquidity);
  return w.take();
}

std::string encodeExecDetailsEnd(int64_t reqId) {
  return FieldWriter().i64(in::kExecDetailsEnd).i64(1).i64(reqId).take();
}

std::string encodeCommissionReport(const CommissionReportMsg& m) {
  FieldWriter w;
  w.i64(in::kCommissionReport).i64(1).str(m.execId).price(m.commission).str(m.currency);
  w.str(javaDouble(m.realizedPnl)).str(javaDouble(m.yield));
  w.i64(m.yieldRedemptionDate.value_or(0));
  return w.take();
}

std::string encodeError(int v, const ErrorMsg& m) {
  FieldWriter w;
  w.i64(in::kErrMsg).i64(2).i64(m.id).i64(m.code).str(m.text);
  if (v >= sv::kAdvancedOrderReject) w.str(m.advancedOrderRejectJson);
  return w.take();
}

std::string encodeCurrentTime(int64_t t) {
  return FieldWriter().i64(in::kCurrentTime).i64(1).i64(t).take();
}
std::string encodeOpenOrderEnd() { return FieldWriter().i64(in::kOpenOrderEnd).i64(1).take(); }
std::string encodeManagedAccounts(std::string_view accounts) {
  return FieldWriter().i64(in::kManagedAccounts).i64(1).str(accounts).take();
}

namespace {
// A size as TWS writes it: an integer below 163, a decimal from it, empty
// when unset.
std::string tickSizeText(int v, const std::optional<Qty>& q) {
  if (!q) return "";
  if (v >= sv::kFractionalSizeSupport) return q->str();
  return std::to_string(q->mantissa() / kOne);
}
}  // namespace

std::string encodeTickPrice(int v, const TickPriceMsg& m) {
  FieldWriter w;
  w.i64(in::kTickPrice).i64(6).i64(m.reqId).i64(m.tickType).str(javaDouble(m.price));
  w.str(tickSizeText(v, m.size)).i64(m.attrMask);
  return w.take();
}

std::string encodeTickSize(int v, const TickSizeMsg& m) {
  FieldWriter w;
  w.i64(in::kTickSize).i64(6).i64(m.reqId).i64(m.tickType).str(tickSizeText(v, m.size));
  return w.take();
}

std::string encodeTickString(const TickStringMsg& m) {
  return FieldWriter().i64(in::kTickString).i64(6).i64(m.reqId).i64(m.tickType).str(m.value).take();
}

std::string encodeMarketDataType(int64_t reqId, int marketDataType) {
  return FieldWriter().i64(in::kMarketDataType).i64(1).i64(reqId).i64(marketDataType).take();
}

std::string formatRtVolume(int v, const RtVolume& r) {
  std::string out = r.price ? r.price->str() : "";
  out += ';' + tickSizeText(v, r.size) + ';' + std::to_string(r.timeMs) + ';' +
         tickSizeText(v, r.totalVolume) + ';' + (r.vwap ? r.vwap->str() : "") + ';' +
         (r.singleTrade ? "true" : "false");
  return out;
}

// ---- client -> server: decode (emulator) ----

namespace {

// The server side of placeOrder, applying the official client's rules to
// every field: a "handle empty" number may be empty (unset) or a number; a
// raw number must be a number or the unset sentinel, never empty (a server
// would read an empty raw field as 0, a value); booleans are 0 or 1.
Result<Request> decodePlaceOrder(int v, FieldReader& r) {
  using R = Result<Request>;
  using E = FieldReader::Empty;
  PlaceOrderReq req;
  OrderRequest& o = req.order;
  Contract& c = o.contract;
  std::optional<Price> d;    // scratch for numbers the emulator does not keep
  std::optional<int64_t> n;  // scratch
  int64_t k = 0;             // scratch
  bool b = false;            // scratch
  auto bad = [&] { return R::fail(r.error()); };
  // Optional numbers that must be unset for the orders this emulator takes.
  auto unsetDbl = [&](const char* f, E e) {
    if (!r.dbl(f, d, e)) return false;
    return !d || r.fail(std::string("field ") + f + " is not supported by this emulator");
  };
  auto unsetInt = [&](const char* f, E e) {
    if (!r.integer(f, n, e)) return false;
    return !n || r.fail(std::string("field ") + f + " is not supported by this emulator");
  };
  if (v < sv::kOrderContainer && !r.reqInt("version", k)) return bad();
  std::optional<Price> strike;
  if (!r.reqInt("orderId", o.orderId) || !r.reqInt("conId", c.conId) ||
      !r.str("symbol", c.symbol) || !r.str("secType", c.secType) ||
      !r.str("lastTradeDateOrContractMonth", c.lastTradeDateOrContractMonth) ||
      !r.dbl("strike", strike, E::kRefused) || !r.str("right", c.right) ||
      !r.str("multiplier", c.multiplier) || !r.str("exchange", c.exchange) ||
      !r.str("primaryExchange", c.primaryExchange) || !r.str("currency", c.currency) ||
      !r.str("localSymbol", c.localSymbol) || !r.str("tradingClass", c.tradingClass) ||
      !r.skip("secIdType") || !r.skip("secId") || !r.str("action", o.action))
    return bad();
  c.strike = (strike && !strike->isZero()) ? strike : std::nullopt;
  if (c.secType == "BAG") return R::fail("placeOrder: secType BAG is not supported");
  if (!r.qty("totalQuantity", o.totalQuantity) || !r.str("orderType", o.orderType) ||
      !r.dbl("lmtPrice", o.lmtPrice, E::kIsUnset) || !r.dbl("auxPrice", o.auxPrice, E::kIsUnset) ||
      !r.str("tif", o.tif) || !r.skip("ocaGroup") || !r.str("account", o.account) ||
      !r.str("openClose", o.openClose) || !r.reqInt("origin", k) ||
      !r.str("orderRef", o.orderRef) || !r.flag("transmit", o.transmit) ||
      !r.reqInt("parentId", k) || !r.flag("blockOrder", b) || !r.flag("sweepToFill", b) ||
      !r.reqInt("displaySize", o.displaySize) || !r.reqInt("triggerMethod", k) ||
      !r.flag("outsideRth", o.outsideRth) || !r.flag("hidden", b) || !r.skip("sharesAllocation") ||
      !r.dbl("discretionaryAmt", d, E::kRefused) || !r.skip("goodAfterTime") ||
      !r.str("goodTillDate", o.goodTillDate) || !r.skip("faGroup") || !r.skip("faMethod") ||
      !r.skip("faPercentage"))
    return bad();
  if (v < sv::kFaProfileDesupport && !r.skip("faProfile")) return bad();
  if (v >= sv::kModelsSupport && !r.skip("modelCode")) return bad();
  if (!r.reqInt("shortSaleSlot", k) || !r.skip("designatedLocation") ||
      !r.reqInt("exemptCode", k) || !r.reqInt("ocaType", k) || !r.str("rule80A", o.rule80A) ||
      !r.skip("settlingFirm") || !r.flag("allOrNone", b) ||
      !r.integer("minQty", o.minQty, E::kIsUnset) || !unsetDbl("percentOffset", E::kIsUnset) ||
      !r.flag("eTradeOnly", b) || !r.flag("firmQuoteOnly", b) ||
      !unsetDbl("nbboPriceCap", E::kIsUnset) || !r.reqInt("auctionStrategy", k) ||
      !unsetDbl("startingPrice", E::kIsUnset) || !unsetDbl("stockRefPrice", E::kIsUnset) ||
      !unsetDbl("delta", E::kIsUnset) || !unsetDbl("stockRangeLower", E::kIsUnset) ||
      !unsetDbl("stockRangeUpper", E::kIsUnset) || !r.flag("overridePercentageConstraints", b) ||
      !unsetDbl("volatility", E::kIsUnset) || !unsetInt("volatilityType", E::kIsUnset))
    return bad();
  std::string dnType;
  if (!r.str("deltaNeutralOrderType", dnType) || !unsetDbl("deltaNeutralAuxPrice", E::kIsUnset))
    return bad();
  if (!dnType.empty()) return R::fail("placeOrder: delta neutral orders are not supported");
  if (!r.flag("continuousUpdate", b) || !unsetInt("referencePriceType", E::kIsUnset) ||
      !unsetDbl("trailStopPrice", E::kIsUnset) || !unsetDbl("trailingPercent", E::kIsUnset) ||
      !unsetInt("scaleInitLevelSize", E::kIsUnset) ||
      !unsetInt("scaleSubsLevelSize", E::kIsUnset) || !unsetDbl("scalePriceIncrement", E::kIsUnset))
    return bad();
  std::string hedgeType;
  if (!r.skip("scaleTable") || !r.skip("activeStartTime") || !r.skip("activeStopTime") ||
      !r.str("hedgeType", hedgeType))
    return bad();
  if (!hedgeType.empty()) return R::fail("placeOrder: hedge orders are not supported");
  bool dnContract = false;
  if (!r.flag("optOutSmartRouting", b) || !r.skip("clearingAccount") || !r.skip("clearingIntent") ||
      !r.flag("notHeld", b) || !r.flag("deltaNeutralContract", dnContract))
    return bad();
  if (dnContract) return R::fail("placeOrder: delta neutral contracts are not supported");
  std::string algo;
  if (!r.str("algoStrategy", algo)) return bad();
  if (!algo.empty()) {
    int64_t count = 0;
    if (!r.reqInt("algoParamsCount", count)) return bad();
    if (count < 0 || count > 1000) return R::fail("placeOrder: field algoParamsCount out of range");
    if (count > 0 && !r.skip("algoParams", static_cast<int>(2 * count))) return bad();
  }
  if (!r.skip("algoId") || !r.flag("whatIf", b) || !r.skip("orderMiscOptions") ||
      !r.flag("solicited", b) || !r.flag("randomizeSize", b) || !r.flag("randomizePrice", b))
    return bad();
  if (v >= sv::kPeggedToBenchmark) {
    if (o.orderType == "PEG BENCH") return R::fail("placeOrder: PEG BENCH is not supported");
    int64_t conditions = 0;
    if (!r.reqInt("conditionsCount", conditions)) return bad();
    if (conditions != 0) return R::fail("placeOrder: order conditions are not supported");
    if (!r.skip("adjustedOrderType") || !unsetDbl("triggerPrice", E::kRefused) ||
        !unsetDbl("lmtPriceOffset", E::kRefused) || !unsetDbl("adjustedStopPrice", E::kRefused) ||
        !unsetDbl("adjustedStopLimitPrice", E::kRefused) ||
        !unsetDbl("adjustedTrailingAmount", E::kRefused) || !r.reqInt("adjustableTrailingUnit", k))
      return bad();
  }
  if (v >= sv::kExtOperator && !r.skip("extOperator")) return bad();
  if (v >= sv::kSoftDollarTier && !r.skip("softDollarTier", 2)) return bad();
  if (v >= sv::kCashQty && !r.dbl("cashQty", o.cashQty, E::kRefused)) return bad();
  if (v >= sv::kDecisionMaker && !r.skip("mifid2Decision", 2)) return bad();
  if (v >= sv::kMifidExecution && !r.skip("mifid2Execution", 2)) return bad();
  if (v >= sv::kAutoPriceForHedge && !r.flag("dontUseAutoPriceForHedge", b)) return bad();
  if (v >= sv::kOrderContainer && !r.flag("isOmsContainer", b)) return bad();
  if (v >= sv::kDPegOrders && !r.flag("discretionaryUpToLimitPrice", b)) return bad();
  if (v >= sv::kPriceMgmtAlgo && !r.integer("usePriceMgmtAlgo", n, E::kIsUnset)) return bad();
  if (v >= sv::kDuration && !r.integer("duration", o.duration, E::kRefused)) return bad();
  if (v >= sv::kPostToAts && !r.integer("postToAts", o.postToAts, E::kRefused)) return bad();
  if (v >= sv::kAutoCancelParent && !r.flag("autoCancelParent", b)) return bad();
  if (v >= sv::kAdvancedOrderReject && !r.skip("advancedErrorOverride")) return bad();
  if (v >= sv::kManualOrderTime && !r.skip("manualOrderTime")) return bad();
  if (v >= sv::kPegBestPegMidOffsets) {
    if (c.exchange == "IBKRATS" && !r.integer("minTradeQty", n, E::kIsUnset)) return bad();
    if (o.orderType == "PEG BEST" || o.orderType == "PEG MID")
      return R::fail("placeOrder: PEG BEST / PEG MID are not supported");
  }
  if (!r.atEnd()) return R::fail("placeOrder: unexpected fields after the last documented field");
  return R::ok(req);
}

}  // namespace

Result<Request> decodeRequest(int v, std::string_view payload) {
  using R = Result<Request>;
  FieldReader r(payload, "request");
  int id = 0;
  if (!r.i32("msgId", id)) return R::fail(r.error());
  switch (id) {
    case out::kStartApi: {
      FieldReader rr(payload, "startApi");
      StartApiReq m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("clientId", m.clientId))
        return R::fail(rr.error());
      if (v >= sv::kOptionalCapabilities && !rr.str("optionalCapabilities", m.optionalCapabilities))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case out::kPlaceOrder: {
      FieldReader rr(payload, "placeOrder");
      rr.skip("msgId");
      return decodePlaceOrder(v, rr);
    }
    case out::kCancelOrder: {
      FieldReader rr(payload, "cancelOrder");
      CancelOrderReq m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("orderId", m.orderId))
        return R::fail(rr.error());
      if (v >= sv::kManualOrderTime && !rr.str("manualOrderCancelTime", m.manualOrderCancelTime))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case out::kReqOpenOrders:
      return R::ok(ReqOpenOrdersReq{});
    case out::kReqAllOpenOrders:
      return R::ok(ReqAllOpenOrdersReq{});
    case out::kReqExecutions: {
      FieldReader rr(payload, "reqExecutions");
      ReqExecutionsReq m;
      ExecutionFilter& f = m.filter;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("reqId", m.reqId) ||
          !rr.i64("clientId", f.clientId) || !rr.str("acctCode", f.acctCode) ||
          !rr.str("time", f.time) || !rr.str("symbol", f.symbol) || !rr.str("secType", f.secType) ||
          !rr.str("exchange", f.exchange) || !rr.str("side", f.side))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case out::kReqIds: {
      FieldReader rr(payload, "reqIds");
      ReqIdsReq m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.i64("numIds", m.numIds))
        return R::fail(rr.error());
      return R::ok(m);
    }
    case out::kReqCurrentTime:
      return R::ok(ReqCurrentTimeReq{});
    case out::kReqMktData: {
      FieldReader rr(payload, "reqMktData");
      using E = FieldReader::Empty;
      ReqMktDataReq m;
      MktDataRequest& q = m.req;
      Contract& c = q.contract;
      int64_t version = 0;
      std::optional<Price> strike;
      bool deltaNeutral = false;
      std::string options;
      if (!rr.skip("msgId") || !rr.reqInt("version", version) || !rr.reqInt("reqId", q.reqId) ||
          !rr.reqInt("conId", c.conId) || !rr.str("symbol", c.symbol) ||
          !rr.str("secType", c.secType) ||
          !rr.str("lastTradeDateOrContractMonth", c.lastTradeDateOrContractMonth) ||
          !rr.dbl("strike", strike, E::kRefused) || !rr.str("right", c.right) ||
          !rr.str("multiplier", c.multiplier) || !rr.str("exchange", c.exchange) ||
          !rr.str("primaryExchange", c.primaryExchange) || !rr.str("currency", c.currency) ||
          !rr.str("localSymbol", c.localSymbol) || !rr.str("tradingClass", c.tradingClass))
        return R::fail(rr.error());
      c.strike = (strike && !strike->isZero()) ? strike : std::nullopt;
      if (c.secType == "BAG") return R::fail("reqMktData: secType BAG is not supported");
      if (!rr.flag("deltaNeutralContract", deltaNeutral)) return R::fail(rr.error());
      if (deltaNeutral) return R::fail("reqMktData: delta neutral contracts are not supported");
      if (!rr.str("genericTickList", q.genericTickList) || !rr.flag("snapshot", q.snapshot))
        return R::fail(rr.error());
      if (v >= sv::kReqSmartComponents && !rr.flag("regulatorySnapshot", q.regulatorySnapshot))
        return R::fail(rr.error());
      if (!rr.str("mktDataOptions", options)) return R::fail(rr.error());
      if (!rr.atEnd())
        return R::fail("reqMktData: unexpected fields after the last documented field");
      return R::ok(m);
    }
    case out::kCancelMktData: {
      FieldReader rr(payload, "cancelMktData");
      CancelMktDataReq m;
      if (!rr.skip("msgId") || !rr.skip("version") || !rr.reqInt("reqId", m.reqId))
        return R::fail(rr.error());
      return R::ok(m);
    }
    default:
      return R::ok(UnhandledReq{id});
  }
}

}  // namespace fixgw::tws
