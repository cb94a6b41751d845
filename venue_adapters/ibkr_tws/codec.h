// The TWS API wire codec: framing (4-byte big-endian length, then
// NUL-terminated text fields), the connection handshake, and one encoder or
// decoder per message, each gated on the negotiated server version. Pure
// functions and small value classes; no sockets, so every byte is
// unit-testable. Both directions are here: the adapter uses the client side,
// the emulator the server side.
//
// Decoders never throw on bad input: they return an error naming the message
// and the field.
//
// Thread-safety: stateless functions; FrameDecoder/FieldReader are per-user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "venue_adapters/ibkr_tws/messages.h"

namespace fixgw::tws {

// A value or the reason there is none.
template <class T>
class Result {
 public:
  static Result ok(T v) {
    Result r;
    r.v_ = std::move(v);
    return r;
  }
  static Result fail(std::string e) {
    Result r;
    r.err_ = std::move(e);
    return r;
  }
  bool isOk() const { return v_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const T& value() const { return *v_; }
  T& value() { return *v_; }
  const std::string& error() const { return err_; }

 private:
  std::optional<T> v_;
  std::string err_;
};

// Largest payload either side accepts (the official client's limit).
inline constexpr uint32_t kMaxMessageLength = 0xFFFFFF;

// ---- framing ----

// 4-byte big-endian length + payload.
std::string frame(std::string_view payload);

// Accumulates bytes from the socket and splits them into payloads.
class FrameDecoder {
 public:
  enum class Status { NeedMore, Message, Error };
  void feed(const char* data, size_t n) { buf_.append(data, n); }
  // On Message, payload holds one message body. On Error the stream is out
  // of sync (length beyond kMaxMessageLength) and must be closed.
  Status next(std::string& payload, std::string& error);
  size_t buffered() const { return buf_.size(); }

 private:
  std::string buf_;
  size_t pos_ = 0;
};

// Builds a payload of NUL-terminated fields.
class FieldWriter {
 public:
  FieldWriter& str(std::string_view s);
  FieldWriter& i64(int64_t v);
  FieldWriter& boolean(bool b) { return i64(b ? 1 : 0); }
  // Decimal text ("150.25"); empty when unset (the protocol's "max" value).
  FieldWriter& priceOrEmpty(const std::optional<Price>& p);
  FieldWriter& price(Price p);
  FieldWriter& qty(Qty q);
  // The official client's two ways of writing an optional number. "Handle
  // empty" fields (lmtPrice, minQty, ...) carry unset as an empty field; raw
  // fields (cashQty, duration, postToAts, triggerPrice, ...) carry the unset
  // sentinel itself. Doubles are in the client's number format
  // (formatTwsDouble: "99.5", "100.0", "1e-08").
  FieldWriter& dblOrEmpty(const std::optional<Price>& p);
  FieldWriter& dblOrUnset(const std::optional<Price>& p);
  FieldWriter& intOrEmpty(const std::optional<int64_t>& v);
  FieldWriter& intOrUnset(const std::optional<int64_t>& v);
  const std::string& payload() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in order; each read names the field for its error.
class FieldReader {
 public:
  FieldReader(std::string_view payload, std::string msgName)
      : p_(payload), msg_(std::move(msgName)) {}
  bool str(const char* field, std::string& out);
  bool i64(const char* field, int64_t& out);
  bool i32(const char* field, int& out);
  bool boolean(const char* field, bool& out);
  // Empty or the protocol's unset double (~1.79e308) read as nullopt.
  bool optPrice(const char* field, std::optional<Price>& out);
  bool price(const char* field, Price& out);  // empty reads as 0
  bool qty(const char* field, Qty& out);      // empty reads as 0
  bool skip(const char* field, int n = 1);

  // Strict readers, as a server applies the official client's rules (the
  // emulator uses them). Empty is an error unless the field is one the
  // official client writes "handle empty" (kEmptyIsUnset); the unset
  // sentinels (UNSET_DOUBLE, UNSET_INTEGER, UNSET_LONG) read as nullopt,
  // never as a value.
  enum class Empty { kRefused, kIsUnset };
  bool dbl(const char* field, std::optional<Price>& out, Empty empty);
  bool integer(const char* field, std::optional<int64_t>& out, Empty empty);
  // A value is required: empty and the sentinel are both refused.
  bool reqInt(const char* field, int64_t& out);
  bool flag(const char* field, bool& out);  // "0" or "1"
  bool atEnd() const { return pos_ >= p_.size(); }
  const std::string& error() const { return err_; }
  bool fail(std::string e);

 private:
  bool raw(const char* field, std::string_view& out);
  std::string_view p_;
  size_t pos_ = 0;
  std::string msg_;
  std::string err_;
};

// Splits a payload into its fields (for tests and logs).
std::vector<std::string> splitFields(std::string_view payload);
// Printable form of a payload: fields joined by '|'.
std::string describe(std::string_view payload);

// Lenient number parsing for what TWS prints with "%g"-style doubles: plain
// decimals with any number of decimals (rounded half away from zero to 8) and
// exponents. Values at or beyond 1e300 (the unset double) read as nullopt.
std::optional<Price> parseTwsPrice(std::string_view s);
std::optional<Qty> parseTwsQty(std::string_view s);

// A price as the official Python client writes a float (repr): the shortest
// text that reads back as the same double, ".0" on whole numbers, exponent
// form below 1e-4 or from 1e16 ("150.25", "5000.0", "1e-08").
std::string formatTwsDouble(Price p);

// Order.goodTillDate for an instant (unix nanoseconds, UTC). From server
// version 170 (TWS 10.19 and later, which take the UTC form introduced in
// 10.17) "yyyymmdd-hh:mm:ss"; below it the older form with an explicit zone,
// "yyyymmdd hh:mm:ss GMT".
std::string formatGoodTillDate(int serverVersion, int64_t unixNanos);
// Server side: reads either form back to unix seconds; nullopt when the text
// is neither.
std::optional<int64_t> parseGoodTillDate(std::string_view s);

// ---- handshake ----

// Client's opening bytes: "API\0" + framed "v<min>..<max>[ <options>]".
std::string encodeClientHello(int minVersion, int maxVersion, std::string_view options = {});
// Server side: reads the payload after "API\0" ("v100..176 opts").
Result<std::pair<int, int>> parseClientVersionRange(std::string_view payload);
// Server's answer: fields server version and connection time.
std::string encodeServerHello(const ServerHello& h);
Result<ServerHello> decodeServerHello(std::string_view payload);

// ---- client -> server (adapter side) ----

std::string encodeStartApi(int serverVersion, int64_t clientId, std::string_view capabilities);
// Fails (naming the field) when the order cannot be expressed at this
// server version, e.g. a fractional quantity below version 101.
Result<std::string> encodePlaceOrder(int serverVersion, const OrderRequest& o);
std::string encodeCancelOrder(int serverVersion, int64_t orderId,
                              std::string_view manualOrderCancelTime = {});
std::string encodeReqOpenOrders();
std::string encodeReqAllOpenOrders();
std::string encodeReqExecutions(int serverVersion, int64_t reqId, const ExecutionFilter& f);
std::string encodeReqIds(int64_t numIds);
std::string encodeReqCurrentTime();
// Market data (issue 10), field by field as the official client's
// EClient.reqMktData / cancelMktData write them. Fails naming the field for
// what this codec does not send (BAG combos).
Result<std::string> encodeReqMktData(int serverVersion, const MktDataRequest& r);
std::string encodeCancelMktData(int64_t reqId);
// Reads an RTVolume tick value; fails naming the part that is not a number.
Result<RtVolume> parseRtVolume(std::string_view value);

// Decodes one server message. Unknown ids decode to UnhandledMsg.
Result<Incoming> decodeIncoming(int serverVersion, std::string_view payload);

// ---- server -> client (emulator side) ----

std::string encodeNextValidId(int64_t orderId);
std::string encodeOrderStatus(int serverVersion, const OrderStatusMsg& m);
// Writes the leading fields OpenOrderMsg models (see messages.h).
std::string encodeOpenOrder(int serverVersion, const OpenOrderMsg& m);
std::string encodeExecDetails(int serverVersion, const ExecDetailsMsg& m);
std::string encodeExecDetailsEnd(int64_t reqId);
std::string encodeCommissionReport(const CommissionReportMsg& m);
std::string encodeError(int serverVersion, const ErrorMsg& m);
std::string encodeCurrentTime(int64_t unixSeconds);
std::string encodeOpenOrderEnd();
std::string encodeManagedAccounts(std::string_view accounts);
// Market data ticks as TWS writes them: doubles in Java's text, the unset
// double as Java's DBL_MAX, sizes as integers below server version 163 and
// decimals from it, an unset size as an empty field.
std::string encodeTickPrice(int serverVersion, const TickPriceMsg& m);
std::string encodeTickSize(int serverVersion, const TickSizeMsg& m);
std::string encodeTickString(const TickStringMsg& m);
std::string encodeMarketDataType(int64_t reqId, int marketDataType);
std::string formatRtVolume(int serverVersion, const RtVolume& v);

// Decodes one client request as a server at serverVersion would. placeOrder
// is walked field by field through the whole documented sequence and must end
// exactly where the sequence ends.
Result<Request> decodeRequest(int serverVersion, std::string_view payload);

}  // namespace fixgw::tws
