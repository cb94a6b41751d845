// Version-free order enums shared by every module. The FIX acceptor converts
// tag values to and from these at its boundary; venue adapters do the same
// for their venue's vocabulary.
//
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fixgw {

enum class Side : uint8_t { Buy, Sell, SellShort };
enum class OrdType : uint8_t { Market, Limit };
enum class TimeInForce : uint8_t { Day, Gtc, Ioc, Fok };

// Order status as FIX tag 39 knows it.
enum class OrdStatus : uint8_t {
  PendingNew,
  New,
  PartiallyFilled,
  Filled,
  PendingCancel,
  Canceled,
  PendingReplace,
  Rejected,
  Expired,
};

// What happened, as FIX 4.4 tag 150 knows it (4.2 mapping is the acceptor's).
enum class ExecType : uint8_t {
  PendingNew,
  New,
  Trade,  // partial or full fill
  PendingCancel,
  Canceled,
  PendingReplace,
  Replaced,
  Rejected,
  Expired,
  OrderStatus,
};

inline bool isBuy(Side s) { return s == Side::Buy; }
inline bool isTerminal(OrdStatus s) {
  return s == OrdStatus::Filled || s == OrdStatus::Canceled || s == OrdStatus::Rejected ||
         s == OrdStatus::Expired;
}

std::string_view toString(Side);
std::string_view toString(OrdType);
std::string_view toString(TimeInForce);
std::string_view toString(OrdStatus);
std::string_view toString(ExecType);

// Inverses of toString, for reading the journal back; nullopt on unknown text.
std::optional<Side> sideFromString(std::string_view);
std::optional<OrdType> ordTypeFromString(std::string_view);
std::optional<TimeInForce> tifFromString(std::string_view);
std::optional<OrdStatus> ordStatusFromString(std::string_view);

}  // namespace fixgw
