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
// Stop: a market order once the market trades at or through StopPx (99);
// StopLimit: a limit order (Price 44) once triggered.
enum class OrdType : uint8_t { Market, Limit, Stop, StopLimit };
// AtTheOpening (FIX 59=2, IBKR "OPG"): participates in the opening auction only.
// GoodTillDate (FIX 59=6): works until OrderAttributes::expireTime, then expires.
enum class TimeInForce : uint8_t { Day, Gtc, Ioc, Fok, AtTheOpening, GoodTillDate };

// Which prices an order type carries: Price (44) for Limit and StopLimit,
// StopPx (99) for Stop and StopLimit.
inline bool hasLimitPrice(OrdType t) { return t == OrdType::Limit || t == OrdType::StopLimit; }
inline bool hasStopPrice(OrdType t) { return t == OrdType::Stop || t == OrdType::StopLimit; }

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
