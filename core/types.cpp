#include "core/types.h"

namespace fixgw {

std::string_view toString(Side s) {
  switch (s) {
    case Side::Buy: return "BUY";
    case Side::Sell: return "SELL";
    case Side::SellShort: return "SELL_SHORT";
  }
  return "?";
}
std::string_view toString(OrdType t) {
  switch (t) {
    case OrdType::Market: return "MARKET";
    case OrdType::Limit: return "LIMIT";
    case OrdType::Stop: return "STOP";
    case OrdType::StopLimit: return "STOP_LIMIT";
  }
  return "?";
}
std::string_view toString(TimeInForce t) {
  switch (t) {
    case TimeInForce::Day: return "DAY";
    case TimeInForce::Gtc: return "GTC";
    case TimeInForce::Ioc: return "IOC";
    case TimeInForce::Fok: return "FOK";
    case TimeInForce::AtTheOpening: return "OPG";
    case TimeInForce::GoodTillDate: return "GTD";
  }
  return "?";
}
std::string_view toString(OrdStatus s) {
  switch (s) {
    case OrdStatus::PendingNew: return "PENDING_NEW";
    case OrdStatus::New: return "NEW";
    case OrdStatus::PartiallyFilled: return "PARTIALLY_FILLED";
    case OrdStatus::Filled: return "FILLED";
    case OrdStatus::PendingCancel: return "PENDING_CANCEL";
    case OrdStatus::Canceled: return "CANCELED";
    case OrdStatus::PendingReplace: return "PENDING_REPLACE";
    case OrdStatus::Rejected: return "REJECTED";
    case OrdStatus::Expired: return "EXPIRED";
  }
  return "?";
}
std::string_view toString(ExecType e) {
  switch (e) {
    case ExecType::PendingNew: return "PENDING_NEW";
    case ExecType::New: return "NEW";
    case ExecType::Trade: return "TRADE";
    case ExecType::PendingCancel: return "PENDING_CANCEL";
    case ExecType::Canceled: return "CANCELED";
    case ExecType::PendingReplace: return "PENDING_REPLACE";
    case ExecType::Replaced: return "REPLACED";
    case ExecType::Rejected: return "REJECTED";
    case ExecType::Expired: return "EXPIRED";
    case ExecType::OrderStatus: return "ORDER_STATUS";
  }
  return "?";
}

namespace {
template <class E, size_t N>
std::optional<E> lookup(std::string_view s, const E (&all)[N]) {
  for (E e : all)
    if (toString(e) == s) return e;
  return std::nullopt;
}
}  // namespace

std::optional<Side> sideFromString(std::string_view s) {
  static const Side all[] = {Side::Buy, Side::Sell, Side::SellShort};
  return lookup(s, all);
}
std::optional<OrdType> ordTypeFromString(std::string_view s) {
  static const OrdType all[] = {OrdType::Market, OrdType::Limit, OrdType::Stop,
                                OrdType::StopLimit};
  return lookup(s, all);
}
std::optional<TimeInForce> tifFromString(std::string_view s) {
  static const TimeInForce all[] = {TimeInForce::Day, TimeInForce::Gtc, TimeInForce::Ioc,
                                    TimeInForce::Fok, TimeInForce::AtTheOpening,
                                    TimeInForce::GoodTillDate};
  return lookup(s, all);
}
std::optional<OrdStatus> ordStatusFromString(std::string_view s) {
  static const OrdStatus all[] = {OrdStatus::PendingNew,     OrdStatus::New,
                                  OrdStatus::PartiallyFilled, OrdStatus::Filled,
                                  OrdStatus::PendingCancel,  OrdStatus::Canceled,
                                  OrdStatus::PendingReplace, OrdStatus::Rejected,
                                  OrdStatus::Expired};
  return lookup(s, all);
}

}  // namespace fixgw
